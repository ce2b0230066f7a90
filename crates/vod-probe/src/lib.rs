//! Decides whether an uploaded object is media MediaConvert can transcode, and what it holds,
//! from a few ranged reads — never a download.
//!
//! The probe reads the first 64 KiB once and sniffs the family from the bytes (the key's
//! extension is ignored). ISO BMFF (MP4/MOV/M4A/3GP), Matroska/WebM and MPEG-TS are parsed
//! down to track facts; AVI, MXF, ASF/WMV and FLV are accepted as `partial`; MP3, WAV and
//! FLAC yield audio facts from their first header; documents, images, archives and text are
//! rejected as [`RejectReason::NotMedia`] with what they look like. MP4 and Matroska probes
//! read at most 1 MiB + 64 KiB per track, whatever the file size: sample tables and clusters
//! are stepped over, not read.
//!
//! A duration beyond [`MAX_SOURCE_DURATION_SECONDS`] (48 h) rejects the file as
//! [`RejectReason::TooLong`], whichever container claimed it.
//!
//! A reader failure (a throttled or timed-out S3 request) is returned as `Err` so the caller
//! retries; only the content decides [`ProbeOutcome::Accepted`] or
//! [`ProbeOutcome::Rejected`].
//!
//! # Modules
//!
//! - `lib.rs`: [`probe`], the dispatch from [`Family`] to its parser, and the rejections the
//!   family alone decides (not media, unknown, containers MediaConvert does not take).
//! - `sniff`: the [`Family`] from the first bytes, whatever the key's extension claims.
//! - `source`: the only door to the object: bounded ranged reads, the cached head, the byte
//!   budget, and the `Stop` (retry or reject) every parser returns.
//! - `local`: [`LocalFile`], a local file as a `MediaReader` for `vod probe FILE` and tests.
//! - `mp4/`: ISO BMFF: the top-level walk to `moov`; `boxes` (box headers, leaf payloads),
//!   `walk` (`trak/mdia/minf/stbl`), `sample_entry` (the `stsd` entry), `tracks` (the report).
//! - `mkv`: Matroska/WebM: the EBML header, `SeekHead`, `Info` and `Tracks`.
//! - `ts`: MPEG-TS: PAT and PMT, PCR duration, ADTS and SPS facts from each stream's first PES.
//! - `nal/`: H.264 and HEVC sequence parameter sets: `annexb` (NAL units, emulation
//!   prevention), `bits` (Exp-Golomb reader), `h264`, `hevc`, `vui` (aspect, transfer, timing).
//! - `codec`: decoder configuration records (`avcC`, `hvcC`, `vpcC`, `av1C`), codec and
//!   profile names, and which codecs MediaConvert takes.
//! - `audio_only`: MP3, WAV and FLAC, facts from their first header.
//! - `header_only`: AVI, MXF, ASF/WMV and FLV, recognised and accepted as `partial`.
//! - `report`: helpers that fill the report: rounding, display aspect, duration and bitrate.
//!
//! # Example
//!
//! ```
//! use vod_core::ports::{MediaProbe, ObjectRange, ObjectVersion};
//! use vod_core::probe::{ProbeOutcome, RejectReason};
//! use vod_probe::RangeProbe;
//! use vod_testkit::MemoryMediaReader;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let reader = MemoryMediaReader::new().with_object("src", "notes.mp4", b"%PDF-1.7\n...".to_vec());
//! let version = ObjectVersion::ANY;
//! let object = ObjectRange { reader: &reader, bucket: "src", key: "notes.mp4", size: 12, version: &version };
//! let outcome = RangeProbe::new().probe(object).await?;
//! let ProbeOutcome::Rejected { rejection } = outcome else { panic!("a PDF is not a video") };
//! assert_eq!(rejection.reason, RejectReason::NotMedia);
//! assert_eq!(rejection.detected.as_deref(), Some("PDF document"));
//! # Ok::<(), vod_core::ports::PortError>(())
//! # }).unwrap();
//! ```

mod audio_only;
mod codec;
mod header_only;
mod local;
mod mkv;
mod mp4;
mod nal;
mod report;
mod sniff;
mod source;
mod ts;

use async_trait::async_trait;
use source::{Source, Stop};
use vod_core::ports::{MediaProbe, ObjectRange, PortResult};
use vod_core::probe::{
    Container, MAX_SOURCE_DURATION_SECONDS, ProbeOutcome, ProbeReport, RejectReason, Rejection,
};

pub use local::LocalFile;
pub use sniff::{Family, sniff};

/// Bytes every probe may read for headers, before the per-track allowance.
pub const BASE_BUDGET_BYTES: u64 = source::BASE_BUDGET;
/// Extra header bytes allowed for each track found.
pub const PER_TRACK_BUDGET_BYTES: u64 = source::PER_TRACK_BUDGET;
/// How much of the object's start is read once for sniffing and reused.
pub const HEAD_BYTES: u64 = source::HEAD_LEN;

/// The [`MediaProbe`] port over ranged reads. Stateless; build once and share.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeProbe;

impl RangeProbe {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl MediaProbe for RangeProbe {
    async fn probe(&self, object: ObjectRange<'_>) -> PortResult<ProbeOutcome> {
        probe(object).await
    }
}

/// Probes one object: `Ok(Accepted | Rejected)` from its content, `Err` when reading failed.
pub async fn probe(object: ObjectRange<'_>) -> PortResult<ProbeOutcome> {
    if object.size == 0 {
        return Ok(ProbeOutcome::Rejected {
            rejection: Rejection::new(
                RejectReason::Empty,
                "the file is empty (0 bytes); the upload did not carry any data — upload it again",
            ),
        });
    }
    probe_family(object, None).await
}

/// Runs one family's parser whatever the bytes look like: for the fuzz targets, so each one
/// exercises its parser instead of the sniffer. Not part of the supported API.
#[doc(hidden)]
pub async fn probe_as(object: ObjectRange<'_>, family: Family) -> PortResult<ProbeOutcome> {
    probe_family(object, Some(family)).await
}

async fn probe_family(object: ObjectRange<'_>, forced: Option<Family>) -> PortResult<ProbeOutcome> {
    let mut source = match Source::open(object).await {
        Ok(source) => source,
        Err(Stop::Port(e)) => return Err(e),
        Err(Stop::Reject(rejection)) => return Ok(ProbeOutcome::Rejected { rejection }),
    };
    let family = forced.unwrap_or_else(|| sniff(source.head()));
    let result = run(&mut source, family).await;
    match result {
        Ok(mut report) => {
            report.bytes_read = source.bytes_read();
            Ok(bounded(report, family))
        }
        Err(Stop::Port(e)) => Err(e),
        Err(Stop::Reject(mut rejection)) => {
            if rejection.detected.is_none() {
                rejection.detected = detected_name(family).map(str::to_owned);
            }
            Ok(ProbeOutcome::Rejected { rejection })
        }
    }
}

async fn run(source: &mut Source<'_>, family: Family) -> Result<ProbeReport, Stop> {
    match family {
        Family::IsoBmff => mp4::probe(source).await,
        Family::Ebml => mkv::probe(source).await,
        Family::MpegTs { packet, offset } => ts::probe(source, packet, offset).await,
        Family::Mp3 => audio_only::mp3(source).await,
        Family::Wav => audio_only::wav(source),
        Family::Flac => audio_only::flac(source),
        Family::Avi => Ok(header_only::avi(source)),
        Family::Mxf => Ok(header_only::partial(source, Container::Mxf, "MXF")),
        Family::Asf => Ok(header_only::partial(source, Container::Asf, "ASF/WMV")),
        Family::Flv => Ok(header_only::partial(source, Container::Flv, "FLV")),
        Family::AdtsAac => Err(source::reject(
            RejectReason::UnsupportedContainer,
            "raw AAC (ADTS) audio is not an input container MediaConvert takes; wrap it without \
             re-encoding (`ffmpeg -i in.aac -c copy out.m4a`) and upload the .m4a",
        )),
        Family::Ogg => Err(source::reject(
            RejectReason::UnsupportedContainer,
            "Ogg files are not an input container MediaConvert takes; convert to FLAC, M4A or \
             WebM (`ffmpeg -i in.ogg -c:a flac out.flac`) and upload that",
        )),
        Family::Aiff => Err(source::reject(
            RejectReason::UnsupportedContainer,
            "AIFF audio is not an input container we accept; convert to WAV or FLAC \
             (`ffmpeg -i in.aiff out.wav`) and upload that",
        )),
        Family::MpegPs => Err(source::reject(
            RejectReason::UnsupportedContainer,
            "MPEG program streams (VOB/MPG) are not probed by this pipeline; remux to MPEG-TS \
             or MP4 (`ffmpeg -i in.mpg -c copy out.ts`) and upload that",
        )),
        Family::NotMedia(what) => Err(Stop::Reject(
            Rejection::new(
                RejectReason::NotMedia,
                format!("this is a {what}, not audio or video; upload the video file itself"),
            )
            .detected(what),
        )),
        Family::Unknown => Err(source::reject(
            RejectReason::UnknownFormat,
            "the file's format is not recognised as audio or video; upload an MP4, MOV, MKV, WebM or MPEG-TS file",
        )),
    }
}

/// The one check every family's duration passes: one that is not a length (NaN, infinite,
/// zero, negative) becomes unknown, one beyond [`MAX_SOURCE_DURATION_SECONDS`] rejects the file,
/// so nothing downstream ever derives a count from an absurd header.
fn bounded(mut report: ProbeReport, family: Family) -> ProbeOutcome {
    match report.duration_seconds {
        Some(seconds) if !(seconds.is_finite() && seconds > 0.0) => {
            report.duration_seconds = None;
            report.bitrate_bps = None;
            report.notes.push(format!(
                "the container's duration ({seconds}) is not a length: treated as unknown"
            ));
        }
        Some(seconds) if seconds > MAX_SOURCE_DURATION_SECONDS => {
            let mut rejection = Rejection::too_long(seconds);
            rejection.detected = detected_name(family).map(str::to_owned);
            return ProbeOutcome::Rejected { rejection };
        }
        _ => {}
    }
    ProbeOutcome::Accepted { report }
}

/// What a rejection says the file looked like, when its parser did not say more: the one
/// place these names are written.
fn detected_name(family: Family) -> Option<&'static str> {
    Some(match family {
        Family::IsoBmff => "MP4/QuickTime",
        Family::Ebml => "Matroska/WebM",
        Family::MpegTs { .. } => "MPEG transport stream",
        Family::MpegPs => "MPEG program stream",
        Family::Avi => "AVI video",
        Family::Mxf => "MXF video",
        Family::Asf => "ASF/WMV",
        Family::Flv => "FLV video",
        Family::Mp3 => "MP3 audio",
        Family::Wav => "WAV audio",
        Family::Flac => "FLAC audio",
        Family::AdtsAac => "AAC audio (ADTS)",
        Family::Ogg => "Ogg audio",
        Family::Aiff => "AIFF audio",
        Family::NotMedia(what) => what,
        Family::Unknown => return None,
    })
}

//! What a probe learned about a source: facts for the ladder, or a reason to reject it.
//!
//! Produced by `vod-probe` from ranged reads; stored on the asset record; read by the ladder
//! policy and the job builder. Every field a container may not signal is optional.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest source the pipeline takes, in seconds (48 h). The probe rejects anything longer
/// as [`RejectReason::TooLong`] and the ladder refuses to plan it, so every count derived from
/// a duration (thumbnails, storyboard cues, timeouts) stays small whatever a header claims (an
/// MP4 `mvhd` of 2^64 ticks at timescale 1, a Matroska float of 1e300).
pub const MAX_SOURCE_DURATION_SECONDS: f64 = 48.0 * 3600.0;

/// The probe's decision about one object.
// The accepted report is the common case and lives briefly; boxing it buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum ProbeOutcome {
    /// MediaConvert can take it; `report` holds what we know.
    Accepted { report: ProbeReport },
    /// Not worth a MediaConvert job; `rejection` says why in words a person can act on.
    Rejected { rejection: Rejection },
}

/// Facts about an accepted source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    pub container: Container,
    /// Brand or doctype as found in the file (e.g. `isom`, `qt  `, `webm`), for diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    pub size_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// Overall bitrate (size × 8 / duration) when the duration is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate_bps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoTrack>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audio: Vec<AudioTrack>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtitles: Vec<SubtitleTrack>,
    /// True when the container family is recognised but only partly parsed (MediaConvert will
    /// read it; our facts may be incomplete).
    #[serde(default)]
    pub partial: bool,
    /// Bytes the probe read from the object (it never downloads the whole file).
    pub bytes_read: u64,
    /// Things worth knowing that did not stop the probe (e.g. "moov at end of file").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ProbeReport {
    /// True when there is audio but no video: the ladder becomes an audio-only package.
    pub fn is_audio_only(&self) -> bool {
        self.video.is_none() && !self.audio.is_empty()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// ISO BMFF with an MP4-family brand (mp4, m4v, 3gp).
    #[default]
    Mp4,
    /// QuickTime (ISO BMFF with `qt  ` brand or no ftyp).
    Mov,
    Matroska,
    Webm,
    MpegTs,
    Avi,
    Mxf,
    Asf,
    Flv,
    /// Audio-only files (MP3, WAV, FLAC, AAC/ADTS, Ogg).
    Mp3,
    Wav,
    Flac,
    Aac,
    Ogg,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VideoTrack {
    /// Short codec name: `h264`, `hevc`, `vp8`, `vp9`, `av1`, `prores`, `mpeg2`, …
    pub codec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Display width after rotation (a portrait phone video is narrower than tall).
    pub width: u32,
    /// Display height after rotation.
    pub height: u32,
    /// Rotation in degrees from the container's matrix / metadata (0, 90, 180, 270).
    #[serde(default)]
    pub rotation: u16,
    /// Display aspect ratio as `W:H` in lowest terms, after rotation and pixel aspect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_aspect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_depth: Option<u8>,
    /// Transfer characteristics when signalled: `pq` (HDR10), `hlg`, `sdr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate_bps: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AudioTrack {
    /// `aac`, `opus`, `vorbis`, `mp3`, `ac3`, `eac3`, `flac`, `pcm`, …
    pub codec: String,
    pub channels: u16,
    pub sample_rate: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate_bps: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubtitleTrack {
    pub codec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Why a source was turned away, for the record, the event and the uploader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub reason: RejectReason,
    /// What the bytes look like, when recognised (e.g. "PDF document", "PNG image").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<String>,
    /// A sentence for a person: what is wrong and what to do about it.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectReason {
    /// Zero bytes.
    Empty,
    /// Recognised as something that is not audio or video (document, image, archive, text).
    NotMedia,
    /// Not recognised at all.
    UnknownFormat,
    /// A media container we (or MediaConvert) cannot take.
    UnsupportedContainer,
    /// A codec we cannot transcode.
    UnsupportedCodec,
    /// The file ends before its structure does (half-uploaded or cut).
    Truncated,
    /// The object under the key was overwritten while it was being probed: the bytes are no
    /// longer the upload this asset names. The new upload is processed as its own asset.
    SourceReplaced,
    /// The structure is inconsistent (sizes that lie, missing mandatory parts).
    Corrupt,
    /// A media container with no audio and no video track.
    NoStreams,
    /// Longer than the 48 h the pipeline takes, be it a real length or an absurd header.
    TooLong,
}

impl Rejection {
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            detected: None,
            message: message.into(),
        }
    }

    /// The rejection of a source whose header says it lasts `seconds`, beyond
    /// [`MAX_SOURCE_DURATION_SECONDS`].
    pub fn too_long(seconds: f64) -> Self {
        Self::new(
            RejectReason::TooLong,
            format!(
                "the file says it lasts {seconds:.0} s ({:.1} h), longer than the {:.0} s ({:.0} h) \
                 the pipeline takes; split it into parts, or re-export it if that length is wrong",
                seconds / 3600.0,
                MAX_SOURCE_DURATION_SECONDS,
                MAX_SOURCE_DURATION_SECONDS / 3600.0
            ),
        )
    }

    pub fn detected(mut self, what: impl Into<String>) -> Self {
        self.detected = Some(what.into());
        self
    }
}

//! What the twin lets ffmpeg open: one local file, read by the demuxer the pipeline's own probe
//! names, through the `file` protocol only.
//!
//! Left alone, ffmpeg picks a demuxer by content and follows any protocol, so an upload that
//! reads as an HLS playlist or a DASH MPD (an ID3 tag in front of one, say) would make it fetch
//! URLs and open local files while "probing the source". The twin therefore probes the
//! downloaded input with vod-probe (the code ingest-probe runs), names the demuxer of the
//! container it found ([`demuxer`], the one table) and hands ffmpeg
//! `-protocol_whitelist file -f <demuxer> -i file:<path>` ([`Input::args`]). No container maps
//! to a playlist demuxer, and nested opens may only be local files. Both options have been in
//! ffmpeg since 3.0: Debian's 5.1 and the pinned 9 take them alike.
//!
//! A file vod-probe rejects never reaches ffmpeg: the job ends ERROR 1010 with the probe's
//! sentence (what the file looks like and what to upload instead).

use std::path::{Path, PathBuf};

use vod_core::ports::{ObjectRange, ObjectVersion};
use vod_core::probe::{Container, ProbeOutcome};
use vod_probe::LocalFile;

use crate::error::JobFailure;

/// The ffmpeg demuxer (`-f`) for each container vod-probe reports. Exhaustive on purpose: a
/// container added to the probe does not compile here until it names its demuxer.
pub fn demuxer(container: Container) -> &'static str {
    match container {
        // ffmpeg's ISO BMFF demuxer is one, named `mov,mp4,m4a,3gp,3g2,mj2`; `-f` takes any.
        Container::Mp4 | Container::Mov => "mov",
        Container::Matroska | Container::Webm => "matroska",
        // Also M2TS (192-byte packets): the demuxer finds the packet size itself.
        Container::MpegTs => "mpegts",
        Container::Avi => "avi",
        Container::Mxf => "mxf",
        Container::Asf => "asf",
        Container::Flv => "flv",
        Container::Mp3 => "mp3",
        Container::Wav => "wav",
        Container::Flac => "flac",
        Container::Aac => "aac",
        Container::Ogg => "ogg",
    }
}

/// A local source file and the demuxer ffmpeg must read it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    path: PathBuf,
    demuxer: &'static str,
}

impl Input {
    /// `path`, read as `container` (use [`identify`] to learn the container from the bytes).
    pub fn new(path: impl Into<PathBuf>, container: Container) -> Self {
        Self {
            path: path.into(),
            demuxer: demuxer(container),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The ffmpeg demuxer name passed with `-f`.
    pub fn demuxer(&self) -> &'static str {
        self.demuxer
    }

    /// `-protocol_whitelist file -f <demuxer> -i file:<path>`: the input options of every
    /// ffmpeg the twin runs. The `file:` prefix keeps a path with a `:` from naming a protocol.
    pub fn args(&self) -> Vec<String> {
        vec![
            "-protocol_whitelist".into(),
            "file".into(),
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            format!("file:{}", self.path.to_string_lossy()),
        ]
    }
}

/// Probes the local file at `path` with vod-probe: its [`Input`] when the probe accepts it, else
/// ERROR 1010 with the probe's reason.
pub async fn identify(path: &Path) -> Result<Input, JobFailure> {
    let size = tokio::fs::metadata(path)
        .await
        .map_err(|e| JobFailure::internal(format!("reading {}: {e}", path.display())))?
        .len();
    let reader = LocalFile::new(path);
    let object = ObjectRange {
        reader: &reader,
        bucket: "local",
        key: "input",
        size,
        version: &ObjectVersion::ANY,
    };
    match vod_probe::probe(object).await {
        Ok(ProbeOutcome::Accepted { report }) => Ok(Input::new(path, report.container)),
        Ok(ProbeOutcome::Rejected { rejection }) => {
            let detected = rejection
                .detected
                .map(|d| format!(" (it looks like: {d})"))
                .unwrap_or_default();
            Err(JobFailure::input_access(format!(
                "the probe rejected the input{detected}: {}",
                rejection.message
            )))
        }
        Err(e) => Err(JobFailure::internal(format!(
            "probing {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_is_a_named_demuxer_over_the_file_protocol() {
        let input = Input::new("/work/a:b/input", Container::Webm);
        assert_eq!(
            input.args(),
            [
                "-protocol_whitelist",
                "file",
                "-f",
                "matroska",
                "-i",
                "file:/work/a:b/input"
            ]
        );
        for (container, name) in [
            (Container::Mp4, "mov"),
            (Container::Mov, "mov"),
            (Container::MpegTs, "mpegts"),
            (Container::Mp3, "mp3"),
        ] {
            assert_eq!(demuxer(container), name);
        }
    }
}

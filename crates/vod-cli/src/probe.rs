//! `vod probe FILE`: the ingest Lambda's probe run on a local file, before anything is
//! uploaded. Same code, same ranged reads, same decision: the report it prints is what the
//! asset record would hold, and `vod job plan` takes it as it is.

use crate::error::{CliError, CliResult};
use crate::{exit, print_json};
use clap::Args;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vod_core::ports::{ObjectRange, ObjectVersion};
use vod_core::probe::{ProbeOutcome, ProbeReport};
use vod_probe::LocalFile;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    pub file: PathBuf,
}

/// The report (or rejection) as JSON on stdout, a summary on stderr; exit 2 when rejected.
pub async fn run(args: ProbeArgs) -> CliResult<u8> {
    match probe_file(&args.file).await? {
        ProbeOutcome::Accepted { report } => {
            eprint!("accepted: {}", describe(&report));
            print_json(&report)?;
            Ok(exit::OK)
        }
        ProbeOutcome::Rejected { rejection } => {
            eprintln!(
                "rejected ({}): {}",
                serde_json::to_value(rejection.reason)?
                    .as_str()
                    .unwrap_or("?"),
                rejection.message
            );
            print_json(&rejection)?;
            Ok(exit::REJECTED)
        }
    }
}

/// Probes `path` as the pipeline would probe it in the source bucket.
pub async fn probe_file(path: &Path) -> CliResult<ProbeOutcome> {
    let size = std::fs::metadata(path)
        .map_err(|e| CliError::read(path, e))?
        .len();
    let key = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reader = LocalFile::new(path);
    vod_probe::probe(ObjectRange {
        reader: &reader,
        bucket: "local",
        key: &key,
        size,
        version: &ObjectVersion::ANY,
    })
    .await
    .map_err(|e| CliError::bad_input(format!("probing {} failed: {e}", path.display())))
}

/// The facts in a few lines for a person (the JSON on stdout has all of them).
pub fn describe(report: &ProbeReport) -> String {
    let mut out = format!("{:?}", report.container).to_lowercase();
    if let Some(d) = report.duration_seconds {
        let _ = write!(out, ", {d:.2} s");
    }
    if let Some(b) = report.bitrate_bps {
        let _ = write!(out, ", {} kb/s", b / 1000);
    }
    if report.partial {
        out.push_str(" (partly parsed: MediaConvert reads it, our facts may be incomplete)");
    }
    out.push('\n');
    if let Some(v) = &report.video {
        let _ = write!(out, "  video {}", v.codec);
        if let Some(p) = &v.profile {
            let _ = write!(out, " {p}");
        }
        let _ = write!(out, " {}x{}", v.width, v.height);
        if v.rotation != 0 {
            let _ = write!(out, " (rotated {}°)", v.rotation);
        }
        if let Some(fps) = v.frame_rate {
            let _ = write!(out, " {fps:.3} fps");
        }
        if let Some(bits) = v.bit_depth {
            let _ = write!(out, " {bits}-bit");
        }
        if let Some(t) = &v.transfer {
            let _ = write!(out, " {t}");
        }
        out.push('\n');
    }
    for a in &report.audio {
        let _ = write!(
            out,
            "  audio {} {} ch {} Hz",
            a.codec, a.channels, a.sample_rate
        );
        if let Some(lang) = &a.language {
            let _ = write!(out, " [{lang}]");
        }
        out.push('\n');
    }
    for s in &report.subtitles {
        let _ = writeln!(
            out,
            "  subtitles {}{}",
            s.codec,
            s.language
                .as_deref()
                .map(|l| format!(" [{l}]"))
                .unwrap_or_default()
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(
        out,
        "  read {} of {} bytes",
        report.bytes_read, report.size_bytes
    );
    out
}

//! The media corpus, made with ffmpeg at test time, through `vod probe` (the ingest probe on
//! a local file) and, for what it accepts, `vod job plan`: each file gets the right decision
//! and facts, every accepted one a CreateJob body botocore's model accepts with no rung above
//! the source, and every rejected one a reason in words.

use crate::common::{bin, expect_code};
use crate::plan::{plan_probe_file, video_sizes};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vod_testkit::media::ClipCache;

fn cache() -> &'static ClipCache {
    static CACHE: OnceLock<ClipCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        ClipCache::new(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vod-cli-corpus"))
    })
}

/// `vod probe FILE`: (exit code, stdout JSON, stderr).
fn probe(path: &Path) -> (i32, Value, String) {
    let out = bin().arg("probe").arg(path).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: stdout is not JSON ({e}):\n{}\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a corpus file must come out as.
struct Accepted {
    container: &'static str,
    video: Option<(&'static str, u64, u64)>,
    frame_rate: Option<f64>,
    audio: Option<(&'static str, u64)>,
}

/// Probes `path`, checks the facts, plans the job and checks the ladder against the source.
fn accepted(name: &str, path: &Path, want: Accepted) {
    let (code, report, stderr) = probe(path);
    assert_eq!(code, 0, "{name}: {stderr}");
    assert!(stderr.starts_with("accepted: "), "{name}: {stderr}");
    assert_eq!(report["container"], want.container, "{name}: {report:#}");
    match want.video {
        Some((codec, w, h)) => {
            let video = &report["video"];
            assert_eq!(video["codec"], codec, "{name}: {report:#}");
            assert_eq!(
                (video["width"].as_u64(), video["height"].as_u64()),
                (Some(w), Some(h)),
                "{name}: {report:#}"
            );
        }
        None => assert!(report.get("video").is_none(), "{name}: {report:#}"),
    }
    if let Some(fps) = want.frame_rate {
        let got = report["video"]["frameRate"].as_f64().unwrap_or(0.0);
        assert!((got - fps).abs() < 0.01, "{name}: {got} fps, want {fps}");
    }
    if let Some((codec, channels)) = want.audio {
        assert_eq!(report["audio"][0]["codec"], codec, "{name}: {report:#}");
        assert_eq!(
            report["audio"][0]["channels"], channels,
            "{name}: {report:#}"
        );
    }
    let duration = report["durationSeconds"].as_f64().unwrap_or(0.0);
    assert!(duration > 0.3, "{name}: duration {duration}");
    // Ranged reads only: a few KiB of header for these small files, never the whole budget.
    assert!(
        report["bytesRead"].as_u64().unwrap_or(u64::MAX) <= vod_probe::BASE_BUDGET_BYTES,
        "{name}: {report:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.json"));
    std::fs::write(&file, report.to_string()).unwrap();
    let body = plan_probe_file(&file);
    let sizes = video_sizes(&body);
    match want.video {
        Some((_, w, h)) => {
            assert!(!sizes.is_empty(), "{name}: no video rungs");
            assert!(
                sizes.contains(&(w, h)) || sizes.iter().all(|&(rw, rh)| rw < w || rh < h),
                "{name}: {sizes:?}"
            );
            for (rw, rh) in sizes {
                assert!(
                    rw <= w && rh <= h,
                    "{name}: rung {rw}x{rh} is above the {w}x{h} source"
                );
                assert!(rw % 2 == 0 && rh % 2 == 0, "{name}: odd rung {rw}x{rh}");
                assert_eq!(rh > rw, h > w, "{name}: orientation of {rw}x{rh}");
            }
        }
        None => assert!(sizes.is_empty(), "{name}: audio-only got video {sizes:?}"),
    }
}

fn rejected(name: &str, path: &Path, reason: &str, words: &str) {
    let (code, rejection, stderr) = probe(path);
    assert_eq!(code, 2, "{name}: {stderr}");
    assert_eq!(rejection["reason"], reason, "{name}: {rejection:#}");
    let message = rejection["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(words),
        "{name}: message {message:?} should mention {words:?}"
    );
    assert!(
        stderr.contains(&format!("rejected ({reason})")),
        "{name}: {stderr}"
    );
}

#[test]
fn the_corpus_gets_the_right_decision_facts_and_a_valid_job() {
    let c = cache();
    let hd = c.h264_clip("1080p30.mp4", "1920x1080", 30, &["-movflags", "+faststart"]);
    let video = |codec, w, h| Some((codec, w, h));
    accepted(
        "1080p30",
        &hd,
        Accepted {
            container: "mp4",
            video: video("h264", 1920, 1080),
            frame_rate: Some(30.0),
            audio: Some(("aac", 2)),
        },
    );
    let moov_at_end = c.remux("moov-at-end.mp4", &[], &hd, &["-c", "copy"]);
    accepted(
        "moov-at-end",
        &moov_at_end,
        Accepted {
            container: "mp4",
            video: video("h264", 1920, 1080),
            frame_rate: Some(30.0),
            audio: Some(("aac", 2)),
        },
    );
    let uhd = c.h264_clip("2160p.mp4", "3840x2160", 30, &["-t", "0.5"]);
    accepted(
        "2160p",
        &uhd,
        Accepted {
            container: "mp4",
            video: video("h264", 3840, 2160),
            frame_rate: Some(30.0),
            audio: None,
        },
    );
    let hd60 = c.h264_clip("720p60.mp4", "1280x720", 60, &[]);
    accepted(
        "720p60",
        &hd60,
        Accepted {
            container: "mp4",
            video: video("h264", 1280, 720),
            frame_rate: Some(60.0),
            audio: None,
        },
    );
    let portrait = c.h264_clip("portrait.mp4", "1080x1920", 30, &[]);
    accepted(
        "portrait",
        &portrait,
        Accepted {
            container: "mp4",
            video: video("h264", 1080, 1920),
            frame_rate: None,
            audio: None,
        },
    );
    let sd = c.h264_clip("480p.mp4", "854x480", 25, &[]);
    accepted(
        "480p",
        &sd,
        Accepted {
            container: "mp4",
            video: video("h264", 854, 480),
            frame_rate: Some(25.0),
            audio: None,
        },
    );
    let rotated = c.remux(
        "rotated.mov",
        &["-display_rotation", "-90"],
        &c.h264_clip("landscape.mov", "1280x720", 30, &[]),
        &["-c", "copy"],
    );
    vod_testkit::media::assert_fixture_has(&rotated, &["rotation of -90.00 degrees"]);
    accepted(
        "mov rotated 90°",
        &rotated,
        Accepted {
            container: "mov",
            video: video("h264", 720, 1280),
            frame_rate: None,
            audio: None,
        },
    );
    let mkv = c.h264_clip("h264.mkv", "1280x720", 30, &["-c:a", "ac3", "-ac", "6"]);
    accepted(
        "mkv",
        &mkv,
        Accepted {
            container: "matroska",
            video: video("h264", 1280, 720),
            frame_rate: None,
            audio: Some(("ac3", 6)),
        },
    );
    let webm = c.clip(
        "vp9-opus.webm",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "1",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
            "-c:a",
            "libopus",
            "-ac",
            "2",
        ],
    );
    accepted(
        "webm",
        &webm,
        Accepted {
            container: "webm",
            video: video("vp9", 640, 360),
            frame_rate: None,
            audio: Some(("opus", 2)),
        },
    );
    let m4a = c.clip(
        "audio.m4a",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "2",
            "-c:a",
            "aac",
            "-ac",
            "2",
        ],
    );
    accepted(
        "audio-only",
        &m4a,
        Accepted {
            container: "mp4",
            video: None,
            frame_rate: None,
            audio: Some(("aac", 2)),
        },
    );
}

#[test]
fn broken_and_non_media_files_are_rejected_in_words() {
    let c = cache();
    let hd = c.h264_clip("1080p30.mp4", "1920x1080", 30, &["-movflags", "+faststart"]);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let bytes = std::fs::read(&hd).unwrap();
    let truncated = write("half-uploaded.mp4", &bytes[..bytes.len() / 2]);
    rejected("truncated mp4", &truncated, "TRUNCATED", "upload");
    rejected("zero bytes", &write("empty.mp4", b""), "EMPTY", "empty");
    let pdf = write(
        "report.mp4",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    );
    rejected("renamed pdf", &pdf, "NOT_MEDIA", "PDF");
    let png = c.clip(
        "frame.png",
        &["-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1"],
    );
    let renamed_png = write("frame.mov", &std::fs::read(png).unwrap());
    rejected("renamed png", &renamed_png, "NOT_MEDIA", "PNG");
    let text = write(
        "notes.mkv",
        "just some notes, not a video\n".repeat(40).as_bytes(),
    );
    rejected("renamed text", &text, "NOT_MEDIA", "text");
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let out = bin()
        .args(["probe", "/nonexistent/clip.mp4"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/clip.mp4"), "{stderr}");
}

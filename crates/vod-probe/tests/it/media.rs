//! Real files encoded by ffmpeg: the right decision, the right facts, few bytes read.

use crate::corpus::{clip, h264_clip, remux};
use crate::{accepted, budget, close, probe_file, rejected};
use vod_core::probe::{Container, RejectReason};

#[tokio::test]
async fn mp4_1080p30_h264_aac_with_moov_at_end() {
    let path = h264_clip("1080p30.mp4", "1920x1080", 30, &[]);
    let (outcome, served) = probe_file(&path).await;
    let report = accepted(outcome);
    let video = report.video.as_ref().expect("video");
    assert_eq!(report.container, Container::Mp4);
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 1920, 1080)
    );
    assert_eq!(
        video.profile.as_deref(),
        Some("baseline"),
        "ultrafast x264 is constrained baseline"
    );
    assert_eq!(video.display_aspect.as_deref(), Some("16:9"));
    close(video.frame_rate, 30.0, 0.01);
    close(report.duration_seconds, 1.0, 0.1);
    assert_eq!(report.audio.len(), 1);
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("aac", 2, 48000)
    );
    assert!(
        report.notes.iter().any(|n| n.contains("moov at end")),
        "{:?}",
        report.notes
    );
    assert!(report.bitrate_bps.is_some_and(|b| b > 0));
    assert_eq!(
        report.bytes_read, served,
        "the report counts what the reader served"
    );
    assert!(served <= budget(2));
    eprintln!(
        "bytes read, moov at end ({} bytes file): {served}",
        report.size_bytes
    );
}

#[tokio::test]
async fn mp4_with_moov_at_front_reads_little_more_than_the_head() {
    let path = h264_clip(
        "720p60-faststart.mp4",
        "1280x720",
        60,
        &["-movflags", "+faststart"],
    );
    let (outcome, served) = probe_file(&path).await;
    let report = accepted(outcome);
    let video = report.video.as_ref().expect("video");
    assert_eq!((video.width, video.height), (1280, 720));
    close(video.frame_rate, 60.0, 0.01);
    assert!(!report.notes.iter().any(|n| n.contains("moov at end")));
    assert!(
        served <= vod_probe::HEAD_BYTES + 64 * 1024,
        "served {served}"
    );
    eprintln!(
        "bytes read, moov first ({} bytes file): {served}",
        report.size_bytes
    );
}

#[tokio::test]
async fn mp4_4k_short_clip() {
    let path = h264_clip("2160p.mp4", "3840x2160", 30, &["-t", "0.5"]);
    let report = accepted(probe_file(&path).await.0);
    let video = report.video.expect("video");
    assert_eq!((video.width, video.height), (3840, 2160));
    close(report.duration_seconds, 0.5, 0.1);
}

#[tokio::test]
async fn mp4_portrait_1080x1920() {
    let path = h264_clip("portrait.mp4", "1080x1920", 30, &[]);
    let report = accepted(probe_file(&path).await.0);
    let video = report.video.expect("video");
    assert_eq!((video.width, video.height, video.rotation), (1080, 1920, 0));
    assert_eq!(video.display_aspect.as_deref(), Some("9:16"));
}

#[tokio::test]
async fn mp4_480p_25fps() {
    let path = h264_clip("480p.mp4", "854x480", 25, &[]);
    let report = accepted(probe_file(&path).await.0);
    let video = report.video.expect("video");
    assert_eq!((video.width, video.height), (854, 480));
    close(video.frame_rate, 25.0, 0.01);
}

#[tokio::test]
async fn mov_with_rotation_90_reports_portrait_dimensions() {
    // A QuickTime display matrix that turns the picture 90° clockwise (ffmpeg's
    // `-display_rotation` counts counter-clockwise), written by stream copy.
    let plain = h264_clip("unrotated.mov", "1280x720", 30, &[]);
    let path = remux(
        "rotated.mov",
        &["-display_rotation", "-90"],
        &plain,
        &["-c", "copy"],
    );
    vod_testkit::media::assert_fixture_has(&path, &["1280x720", "rotation of -90.00 degrees"]);
    let report = accepted(probe_file(&path).await.0);
    assert_eq!(report.container, Container::Mov);
    let video = report.video.expect("video");
    assert_eq!(video.rotation, 90);
    assert_eq!((video.width, video.height), (720, 1280));
    assert_eq!(video.display_aspect.as_deref(), Some("9:16"));
    assert_eq!(
        report.audio[0].codec, "aac",
        "QuickTime keeps esds inside `wave`"
    );
}

#[tokio::test]
async fn mp4_with_5_1_audio() {
    let path = h264_clip("surround.mp4", "640x360", 30, &["-ac", "6", "-c:a", "aac"]);
    let report = accepted(probe_file(&path).await.0);
    assert_eq!(report.audio[0].channels, 6);
}

#[tokio::test]
async fn m4a_aac_is_audio_only() {
    let path = clip(
        "audio.m4a",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=44100",
            "-t",
            "1",
            "-c:a",
            "aac",
            "-ac",
            "2",
        ],
    );
    let report = accepted(probe_file(&path).await.0);
    assert!(report.is_audio_only());
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("aac", 2, 44100)
    );
    close(report.duration_seconds, 1.0, 0.1);
}

#[tokio::test]
async fn mp3_with_id3_is_audio_only() {
    let path = clip(
        "audio.mp3",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=44100",
            "-t",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-metadata",
            "title=probe",
        ],
    );
    let report = accepted(probe_file(&path).await.0);
    assert_eq!(report.container, Container::Mp3);
    assert!(report.is_audio_only());
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("mp3", 2, 44100)
    );
    close(report.duration_seconds, 2.0, 0.2);
}

#[tokio::test]
async fn wav_pcm() {
    let path = clip(
        "audio.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=48000",
            "-t",
            "1",
            "-ac",
            "2",
        ],
    );
    let report = accepted(probe_file(&path).await.0);
    assert_eq!(report.container, Container::Wav);
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("pcm", 2, 48000)
    );
    close(report.duration_seconds, 1.0, 0.01);
}

#[tokio::test]
async fn mkv_h264_with_ac3_5_1() {
    let path = h264_clip(
        "h264-ac3.mkv",
        "1280x720",
        25,
        &["-c:a", "ac3", "-ac", "6", "-metadata:s:a", "language=fra"],
    );
    let (outcome, served) = probe_file(&path).await;
    let report = accepted(outcome);
    assert_eq!(report.container, Container::Matroska);
    let video = report.video.as_ref().expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 1280, 720)
    );
    close(video.frame_rate, 25.0, 0.01);
    close(report.duration_seconds, 1.0, 0.1);
    let audio = &report.audio[0];
    assert_eq!(
        (audio.codec.as_str(), audio.channels, audio.sample_rate),
        ("ac3", 6, 48000)
    );
    assert_eq!(audio.language.as_deref(), Some("fra"));
    assert!(served <= budget(2));
    eprintln!(
        "bytes read, MKV ({} bytes file): {served}",
        report.size_bytes
    );
}

#[tokio::test]
async fn webm_vp9_opus() {
    let path = clip(
        "vp9-opus.webm",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=24",
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=48000",
            "-t",
            "1",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "100k",
            "-c:a",
            "libopus",
            "-ac",
            "2",
        ],
    );
    let (outcome, served) = probe_file(&path).await;
    let report = accepted(outcome);
    assert_eq!(report.container, Container::Webm);
    let video = report.video.as_ref().expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("vp9", 320, 240)
    );
    close(report.duration_seconds, 1.0, 0.1);
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("opus", 2, 48000)
    );
    eprintln!(
        "bytes read, WebM ({} bytes file): {served}",
        report.size_bytes
    );
}

#[tokio::test]
async fn mpeg_ts_lists_streams_and_estimates_duration() {
    let path = h264_clip("h264-aac.ts", "640x360", 30, &["-t", "2"]);
    let report = accepted(probe_file(&path).await.0);
    assert_eq!(report.container, Container::MpegTs);
    assert!(!report.partial, "the SPS gives the picture: {report:?}");
    assert_eq!(
        report
            .video
            .as_ref()
            .map(|v| (v.codec.as_str(), v.width, v.height)),
        Some(("h264", 640, 360))
    );
    assert_eq!(
        (
            report.audio[0].codec.as_str(),
            report.audio[0].channels,
            report.audio[0].sample_rate
        ),
        ("aac", 2, 48000)
    );
    close(report.duration_seconds, 2.0, 0.25);
}

#[tokio::test]
async fn mp4_cut_in_half_is_truncated() {
    for (name, extra) in [
        ("cut-end.mp4", &[][..]),
        ("cut-front.mp4", &["-movflags", "+faststart"][..]),
    ] {
        let path = h264_clip(name, "640x360", 30, extra);
        let full = std::fs::read(&path).expect("clip");
        let half = path.with_extension("half.mp4");
        std::fs::write(&half, &full[..full.len() / 2]).expect("write");
        let rejection = rejected(probe_file(&half).await.0, RejectReason::Truncated);
        assert!(
            rejection.message.contains("cut off"),
            "{name}: {}",
            rejection.message
        );
    }
}

#[tokio::test]
async fn mkv_cut_in_half_is_truncated() {
    let path = h264_clip("cut.mkv", "640x360", 30, &[]);
    let full = std::fs::read(&path).expect("clip");
    let half = path.with_extension("half.mkv");
    std::fs::write(&half, &full[..full.len() / 2]).expect("write");
    rejected(probe_file(&half).await.0, RejectReason::Truncated);
}

#[tokio::test]
async fn hevc_in_mp4() {
    let path = clip(
        "hevc.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-t",
            "0.5",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
        ],
    );
    let report = accepted(probe_file(&path).await.0);
    let video = report.video.expect("video");
    assert_eq!(
        (
            video.codec.as_str(),
            video.width,
            video.height,
            video.bit_depth
        ),
        ("hevc", 640, 360, Some(8))
    );
    assert_eq!(video.profile.as_deref(), Some("main"));
    assert!(report.audio.is_empty());
}

#[tokio::test]
async fn unsupported_video_codec_is_rejected() {
    let path = clip(
        "png.mov",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x64:rate=5",
            "-t",
            "0.4",
            "-c:v",
            "png",
        ],
    );
    let rejection = rejected(probe_file(&path).await.0, RejectReason::UnsupportedCodec);
    assert!(rejection.message.contains("png"), "{}", rejection.message);
}

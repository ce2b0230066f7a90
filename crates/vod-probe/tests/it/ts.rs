//! MPEG-TS video facts read from the first H.264/HEVC sequence parameter set in the video
//! PES: dimensions after cropping, profile, bit depth, frame rate, display aspect.

use crate::corpus::{clip, h264_clip};
use crate::{accepted, close, probe_bytes, probe_file};
use vod_core::probe::{Container, VideoTrack};

async fn video_of(path: &std::path::Path) -> (VideoTrack, vod_core::probe::ProbeReport) {
    let (outcome, served) = probe_file(path).await;
    let report = accepted(outcome);
    assert_eq!(report.container, Container::MpegTs);
    assert_eq!(report.bytes_read, served);
    assert!(
        served <= vod_probe::BASE_BUDGET_BYTES,
        "read {served} bytes of a TS file"
    );
    let video = report.video.clone().expect("a video track");
    (video, report)
}

#[tokio::test]
async fn h264_720p30_dimensions_frame_rate_and_profile() {
    let path = h264_clip("720p30.ts", "1280x720", 30, &[]);
    let (video, report) = video_of(&path).await;
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 1280, 720)
    );
    assert_eq!(video.profile.as_deref(), Some("baseline"));
    assert_eq!(video.bit_depth, Some(8));
    assert_eq!(video.display_aspect.as_deref(), Some("16:9"));
    close(video.frame_rate, 30.0, 0.01);
    assert!(
        !report.partial,
        "H.264 in TS with an SPS is fully probed: {report:?}"
    );
    assert_eq!(
        report
            .audio
            .iter()
            .map(|a| (a.codec.as_str(), a.channels, a.sample_rate))
            .collect::<Vec<_>>(),
        [("aac", 2, 48000)],
        "the ADTS header after a large first video frame is still read"
    );
}

#[tokio::test]
async fn h264_1080p_is_cropped_from_1088() {
    let path = h264_clip("1080p25.ts", "1920x1080", 25, &[]);
    let (video, _) = video_of(&path).await;
    assert_eq!((video.width, video.height), (1920, 1080));
    close(video.frame_rate, 25.0, 0.01);
}

#[tokio::test]
async fn h264_portrait_keeps_its_orientation() {
    let path = h264_clip("portrait.ts", "720x1280", 30, &[]);
    let (video, _) = video_of(&path).await;
    assert_eq!((video.width, video.height), (720, 1280));
    assert_eq!(video.display_aspect.as_deref(), Some("9:16"));
}

#[tokio::test]
async fn h264_ntsc_rate_and_high_profile() {
    let path = clip(
        "high-2997.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30000/1001",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let (video, report) = video_of(&path).await;
    assert_eq!((video.width, video.height), (640, 360));
    assert_eq!(video.profile.as_deref(), Some("high"));
    assert_eq!(video.bit_depth, Some(8));
    close(video.frame_rate, 29.97, 0.001);
    assert!(report.audio.is_empty());
}

#[tokio::test]
async fn h264_high10_reports_ten_bits() {
    let path = clip(
        "high10.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=24",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-profile:v",
            "high10",
            "-pix_fmt",
            "yuv420p10le",
        ],
    );
    let (video, _) = video_of(&path).await;
    assert_eq!((video.width, video.height), (640, 360));
    assert_eq!(video.profile.as_deref(), Some("high10"));
    assert_eq!(video.bit_depth, Some(10));
    close(video.frame_rate, 24.0, 0.01);
}

#[tokio::test]
async fn h264_anamorphic_sample_aspect_sets_the_display_aspect() {
    // 1440x1080 with 4:3 pixels (HDV) is 16:9 on screen.
    let path = h264_clip(
        "hdv.ts",
        "1440x1080",
        25,
        &["-vf", "setsar=4/3", "-t", "0.5"],
    );
    let (video, _) = video_of(&path).await;
    assert_eq!((video.width, video.height), (1440, 1080));
    assert_eq!(video.display_aspect.as_deref(), Some("16:9"));
}

#[tokio::test]
async fn h264_hlg_transfer_is_reported() {
    let path = clip(
        "hlg.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-t",
            "0.4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p10le",
            // In the SPS's VUI itself: ffmpeg >= 7 does not pass -color_trc on to x264 when
            // the filter graph's frames carry no colour tags.
            "-x264-params",
            "colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
        ],
    );
    vod_testkit::media::assert_fixture_has(&path, &["yuv420p10le", "bt2020nc/bt2020/arib-std-b67"]);
    let (video, _) = video_of(&path).await;
    assert_eq!(video.transfer.as_deref(), Some("hlg"));
    assert_eq!(video.bit_depth, Some(10));
}

#[tokio::test]
async fn hevc_main_dimensions_and_frame_rate() {
    let path = clip(
        "hevc-1080p25.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=25",
            "-t",
            "0.4",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let (video, report) = video_of(&path).await;
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("hevc", 1920, 1080)
    );
    assert_eq!(video.profile.as_deref(), Some("main"));
    assert_eq!(video.bit_depth, Some(8));
    close(video.frame_rate, 25.0, 0.01);
    assert!(!report.partial, "{report:?}");
}

#[tokio::test]
async fn hevc_main10_with_a_conformance_window() {
    // 642x362 is not a multiple of the 8-pixel minimum coding block: the SPS crops.
    let path = clip(
        "hevc-main10.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=642x362:rate=50",
            "-t",
            "0.4",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-pix_fmt",
            "yuv420p10le",
        ],
    );
    let (video, _) = video_of(&path).await;
    assert_eq!((video.width, video.height), (642, 362));
    assert_eq!(video.profile.as_deref(), Some("main10"));
    assert_eq!(video.bit_depth, Some(10));
    close(video.frame_rate, 50.0, 0.01);
}

#[tokio::test]
async fn mpeg2_video_in_ts_stays_partial() {
    let path = clip(
        "mpeg2.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-t",
            "0.4",
            "-c:v",
            "mpeg2video",
        ],
    );
    let (video, report) = video_of(&path).await;
    assert_eq!(video.codec, "mpeg2");
    assert!(report.partial);
}

/// One 188-byte TS packet: PID, payload-unit-start, payload padded with an adaptation field.
fn ts_packet(pid: u16, start: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![
        0x47,
        (u8::from(start) << 6) | ((pid >> 8) as u8 & 0x1F),
        pid as u8,
    ];
    let room = 184usize;
    let payload = &payload[..payload.len().min(room)];
    if payload.len() == room {
        p.push(0x10);
    } else {
        p.push(0x30);
        let af = room - payload.len() - 1;
        p.push(af as u8);
        if af > 0 {
            p.push(0x00);
            p.extend(std::iter::repeat_n(0xFF, af - 1));
        }
    }
    p.extend_from_slice(payload);
    assert_eq!(p.len(), 188);
    p
}

/// PAT (program 1 → PMT PID 0x1000) and a PMT with one H.264 stream on PID 0x100.
fn psi() -> Vec<u8> {
    let pat = [
        0x00, 0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00, 0, 0, 0, 0,
    ];
    let pmt = [
        0x00, 0x02, 0xB0, 0x12, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
        0x00, 0xF0, 0x00, 0, 0, 0, 0,
    ];
    [ts_packet(0, true, &pat), ts_packet(0x1000, true, &pmt)].concat()
}

fn pes(es: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 0, 1, 0xE0, 0, 0, 0x80, 0x00, 0x00];
    p.extend_from_slice(es);
    p
}

#[tokio::test]
async fn hand_made_sps_with_emulation_prevention_is_read() {
    // Baseline 1280x720 SPS (x264), with a start code and AUD in front.
    let sps = [
        0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC,
        0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0F, 0x03, 0xC6, 0x0C, 0xA8, 0, 0,
        0, 1, 0x68, 0xCE, 0x0F, 0xC8,
    ];
    let body = [psi(), ts_packet(0x100, true, &pes(&sps))].concat();
    let report = accepted(probe_bytes(body).await.0);
    let video = report.video.expect("video");
    assert_eq!((video.width, video.height), (1280, 720));
    close(video.frame_rate, 30.0, 0.01);
}

#[tokio::test]
async fn a_lying_sps_does_not_invent_dimensions() {
    let cases: [&[u8]; 5] = [
        // Just a NAL header.
        &[0, 0, 1, 0x67],
        // All zeros after the header: Exp-Golomb runs off the end.
        &[0, 0, 1, 0x67, 0x42, 0, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0],
        // All ones: every ue(v) is 0, width/height 16x16, then truncated.
        &[0, 0, 1, 0x67, 0x64, 0, 0x28, 0xFF, 0xFF, 0xFF],
        // Cropping larger than the picture.
        &[0, 0, 1, 0x67, 0x42, 0, 0x1F, 0xF8, 0x2F, 0xFF, 0xFF, 0xFF],
        // HEVC-style header under an H.264 PMT entry.
        &[0, 0, 1, 0x42, 0x01, 0x01, 0x01],
    ];
    for es in cases {
        let body = [psi(), ts_packet(0x100, true, &pes(es))].concat();
        let report = accepted(probe_bytes(body).await.0);
        let video = report.video.expect("video");
        assert!(
            video.width == 0 && video.height == 0 || video.width >= 16 && video.height >= 16,
            "{es:02x?} → {video:?}"
        );
        assert!(report.partial || video.width > 0, "{es:02x?}");
    }
}

#[tokio::test]
async fn m2ts_192_byte_packets_read_the_sps_too() {
    let path = h264_clip("bluray.m2ts", "1280x720", 25, &["-t", "0.5"]);
    let (video, report) = video_of(&path).await;
    assert_eq!((video.width, video.height), (1280, 720));
    close(video.frame_rate, 25.0, 0.01);
    assert!(!report.partial, "{report:?}");
}

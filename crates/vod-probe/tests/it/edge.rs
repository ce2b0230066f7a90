//! Synthetic inputs: non-media, lying sizes, huge sparse files, huge sample tables, a failing
//! reader.

use crate::corpus::h264_clip;
use crate::{
    accepted, bmff, budget, cat, close, full, probe_bytes, probe_file, probe_with, rejected,
};
use async_trait::async_trait;
use std::io::{Seek, SeekFrom, Write};
use vod_core::ports::{
    MediaReader, ObjectMeta, ObjectVersion, PortError, PortErrorKind, PortResult,
};
use vod_core::probe::{Container, RejectReason};

/// Top-level boxes of a real file: `(kind, start, size)`.
fn top_level(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().expect("4 bytes");
        out.push((kind, at, size));
        at += size;
    }
    out
}

#[tokio::test]
async fn zero_bytes_is_empty() {
    rejected(probe_bytes(Vec::new()).await.0, RejectReason::Empty);
}

#[tokio::test]
async fn documents_images_archives_and_text_are_not_media() {
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &bmff(b"IHDR", &[0; 13]),
    ]
    .concat();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec(),
            "PDF document",
        ),
        (png, "PNG image"),
        (
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0],
            "JPEG image",
        ),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "GIF image"),
        (
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(),
            "ZIP archive (or an Office document)",
        ),
        (vec![0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3], "gzip archive"),
        (
            b"Hello, this is not a video.\nIt is a note.\n".to_vec(),
            "plain text",
        ),
        (
            b"<!DOCTYPE html><html><body>upload</body></html>".to_vec(),
            "HTML document",
        ),
        (b"{\"video\": \"no\"}".to_vec(), "JSON document"),
    ];
    for (body, what) in cases {
        let rejection = rejected(probe_bytes(body).await.0, RejectReason::NotMedia);
        assert_eq!(rejection.detected.as_deref(), Some(what));
        assert!(rejection.message.contains(what), "{}", rejection.message);
    }
}

#[tokio::test]
async fn random_binary_is_unknown() {
    let body: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let rejection = rejected(probe_bytes(body).await.0, RejectReason::UnknownFormat);
    assert!(rejection.detected.is_none());
}

#[tokio::test]
async fn recognised_families_get_a_decision_each() {
    let mut ogg = b"OggS\x00\x02".to_vec();
    ogg.resize(64, 0);
    let r = rejected(probe_bytes(ogg).await.0, RejectReason::UnsupportedContainer);
    assert_eq!(r.detected.as_deref(), Some("Ogg audio"));
    let r = rejected(
        probe_bytes(vec![0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, 0, 0, 0])
            .await
            .0,
        RejectReason::UnsupportedContainer,
    );
    assert!(r.message.contains("m4a"));
    let mut flv = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
    flv.resize(64, 0);
    let report = accepted(probe_bytes(flv).await.0);
    assert_eq!((report.container, report.partial), (Container::Flv, true));
    let mut asf = vec![
        0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE,
        0x6C,
    ];
    asf.resize(64, 0);
    assert_eq!(accepted(probe_bytes(asf).await.0).container, Container::Asf);
}

#[tokio::test]
async fn lying_box_sizes_are_rejected_not_trusted() {
    let ftyp = bmff(b"ftyp", b"isom\0\0\0\0isom");
    // Smaller than its own header.
    let tiny = cat(&[
        ftyp.clone(),
        vec![0, 0, 0, 4],
        b"moov".to_vec(),
        vec![0; 32],
    ]);
    rejected(probe_bytes(tiny).await.0, RejectReason::Corrupt);
    // 64-bit size smaller than the 16-byte header.
    let large = cat(&[
        ftyp.clone(),
        vec![0, 0, 0, 1],
        b"moov".to_vec(),
        3u64.to_be_bytes().to_vec(),
    ]);
    rejected(probe_bytes(large).await.0, RejectReason::Corrupt);
    // mdat claims far more than the file holds, no moov.
    let huge = cat(&[
        ftyp.clone(),
        vec![0xFF, 0xFF, 0xFF, 0xF0],
        b"mdat".to_vec(),
        vec![0; 100],
    ]);
    rejected(probe_bytes(huge).await.0, RejectReason::Truncated);
    // A child that overruns its parent.
    let overrun = cat(&[
        ftyp.clone(),
        bmff(b"moov", &[vec![0, 0, 0x10, 0], b"trak".to_vec()].concat()),
    ]);
    rejected(probe_bytes(overrun).await.0, RejectReason::Corrupt);
    // Size 0 ("to the end of file") on the last box is allowed: a moov without tracks.
    let mut to_end = ftyp.clone();
    to_end.extend_from_slice(&[0, 0, 0, 0]);
    to_end.extend_from_slice(b"moov");
    to_end.extend_from_slice(&full(b"mvhd", 0, &[0; 96]));
    rejected(probe_bytes(to_end).await.0, RejectReason::NoStreams);
    // Only ftyp: no index at all.
    rejected(probe_bytes(ftyp).await.0, RejectReason::Corrupt);
}

/// A 500 MB moov-at-end MP4 without 500 MB on disk: the real clip's ftyp, a 64-bit `mdat`
/// header over a sparse hole, then the real moov.
#[tokio::test]
async fn sparse_500_mb_moov_at_end_stays_within_budget() {
    let path = h264_clip("sparse-src.mp4", "1920x1080", 30, &[]);
    let real = std::fs::read(&path).expect("clip");
    let boxes = top_level(&real);
    let pick = |kind: &[u8; 4]| {
        let (_, start, size) = boxes
            .iter()
            .find(|(k, _, _)| k == kind)
            .copied()
            .expect("box");
        real[start..start + size].to_vec()
    };
    let (ftyp, moov) = (pick(b"ftyp"), pick(b"moov"));
    let hole: u64 = 500_000_000;
    let sparse = path.with_extension("sparse.mp4");
    let mut file = std::fs::File::create(&sparse).expect("create");
    file.write_all(&ftyp).expect("ftyp");
    file.write_all(&1u32.to_be_bytes()).expect("mdat");
    file.write_all(b"mdat").expect("mdat");
    file.write_all(&(16 + hole).to_be_bytes()).expect("mdat");
    let moov_at = ftyp.len() as u64 + 16 + hole;
    file.set_len(moov_at).expect("sparse hole");
    file.seek(SeekFrom::End(0)).expect("seek");
    file.write_all(&moov).expect("moov");
    drop(file);

    let (outcome, served) = probe_file(&sparse).await;
    let report = accepted(outcome);
    assert!(report.size_bytes > hole);
    let video = report.video.as_ref().expect("video");
    assert_eq!((video.width, video.height), (1920, 1080));
    close(video.frame_rate, 30.0, 0.01);
    close(report.duration_seconds, 1.0, 0.1);
    assert_eq!(report.audio.len(), 1);
    assert!(served <= budget(2), "served {served}");
    eprintln!("bytes read, 500 MB sparse moov at end: {served}");
    let _ = std::fs::remove_file(&sparse);
}

/// A moov whose sample tables declare four million samples (32 MB of stsz + stco): the probe
/// steps over them and still knows the frame rate.
#[tokio::test]
async fn huge_sample_tables_are_skipped() {
    let samples: u32 = 4_000_000;
    let mut avc1 = vec![0u8; 78];
    avc1[7] = 1; // data_reference_index
    avc1[24..26].copy_from_slice(&1920u16.to_be_bytes());
    avc1[26..28].copy_from_slice(&1080u16.to_be_bytes());
    avc1.extend_from_slice(&bmff(b"avcC", &[1, 100, 0, 40, 0xFF, 0xE0, 0]));
    let stsd = full(
        b"stsd",
        0,
        &[1u32.to_be_bytes().to_vec(), bmff(b"avc1", &avc1)].concat(),
    );
    let stts = full(
        b"stts",
        0,
        &[
            1u32.to_be_bytes(),
            samples.to_be_bytes(),
            1001u32.to_be_bytes(),
        ]
        .concat(),
    );
    let mut stsz_body = [0u32.to_be_bytes(), samples.to_be_bytes()].concat();
    stsz_body.resize(8 + samples as usize * 4, 0);
    let stsz = full(b"stsz", 0, &stsz_body);
    let mut stco_body = samples.to_be_bytes().to_vec();
    stco_body.resize(4 + samples as usize * 4, 0);
    let stco = full(b"stco", 0, &stco_body);
    let stbl = bmff(b"stbl", &cat(&[stsd, stts, stsz, stco]));
    let minf = bmff(b"minf", &stbl);
    let duration = samples as u64 * 1001;
    let mut mdhd = vec![0u8; 20];
    mdhd[8..12].copy_from_slice(&30000u32.to_be_bytes());
    mdhd[12..16].copy_from_slice(&(duration as u32).to_be_bytes());
    mdhd[16..18].copy_from_slice(&0x15c7u16.to_be_bytes()); // "eng"
    let hdlr = full(
        b"hdlr",
        0,
        &[
            0, 0, 0, 0, b'v', b'i', b'd', b'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let mdia = bmff(b"mdia", &cat(&[full(b"mdhd", 0, &mdhd), hdlr, minf]));
    let trak = bmff(b"trak", &cat(&[full(b"tkhd", 0, &[0; 80]), mdia]));
    let mut mvhd = vec![0u8; 96];
    mvhd[8..12].copy_from_slice(&30000u32.to_be_bytes());
    mvhd[12..16].copy_from_slice(&(duration as u32).to_be_bytes());
    let moov = bmff(b"moov", &cat(&[full(b"mvhd", 0, &mvhd), trak]));
    let file = cat(&[bmff(b"ftyp", b"isom\0\0\0\0isom"), moov]);
    assert!(file.len() > 32_000_000);

    let (outcome, served) = probe_bytes(file).await;
    let report = accepted(outcome);
    let video = report.video.expect("video");
    assert_eq!(
        (video.width, video.height, video.profile.as_deref()),
        (1920, 1080, Some("high"))
    );
    close(video.frame_rate, 29.97, 0.001);
    close(report.duration_seconds, 133_466.667, 0.01);
    assert!(
        served < 80 * 1024,
        "served {served}: the sample tables were read"
    );
    eprintln!("bytes read, 32 MB moov: {served}");
}

/// Fails every ranged read after the first `ok` ones.
#[derive(Debug)]
struct FlakyReader {
    inner: vod_testkit::FileMediaReader,
    ok: usize,
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl MediaReader for FlakyReader {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        self.inner.stat(bucket, key).await
    }
    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.ok {
            return Err(PortError::transient(
                "SlowDown: please reduce your request rate",
            ));
        }
        self.inner
            .read_range(bucket, key, version, offset, len)
            .await
    }
}

#[tokio::test]
async fn transient_reader_errors_propagate_instead_of_rejecting() {
    let path = h264_clip("flaky.mp4", "1920x1080", 30, &[]);
    let size = std::fs::metadata(&path).expect("meta").len();
    for ok in [0, 1] {
        let reader = FlakyReader {
            inner: vod_testkit::FileMediaReader::new(&path),
            ok,
            calls: 0.into(),
        };
        let err = probe_with(&reader, size)
            .await
            .expect_err("a failing read must be an Err");
        assert_eq!(err.kind, PortErrorKind::Transient, "after {ok} good reads");
    }
}

/// An ID3v2 header (10 bytes, empty tag) followed by `body`.
fn id3_then(body: &[u8]) -> Vec<u8> {
    [b"ID3\x04\x00\x00\x00\x00\x00\x00".as_slice(), body].concat()
}

/// A layer III frame header (MPEG-1, 128 kbit/s, 44.1 kHz, stereo) and silence.
fn mp3_frame() -> Vec<u8> {
    let mut frame = vec![0xFF, 0xFB, 0x90, 0x00];
    frame.resize(417, 0);
    frame
}

#[tokio::test]
async fn an_mp3_frame_must_follow_the_id3_tag_directly() {
    let report = accepted(probe_bytes(id3_then(&mp3_frame())).await.0);
    assert_eq!(report.container, Container::Mp3);
    assert_eq!(report.audio[0].sample_rate, 44_100);

    // A polyglot: an ID3 tag, then an HLS playlist that names a local file and a URL, with a
    // frame header further on. Were it accepted as MP3, a demuxer that follows playlists could
    // be handed it; it is no MP3, so it is rejected in words.
    let playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n\
                     #EXTINF:1,\nhttp://127.0.0.1:9/steal.ts\n#EXT-X-ENDLIST\n";
    let polyglot = id3_then(&[playlist.as_slice(), &mp3_frame()].concat());
    let rejection = rejected(probe_bytes(polyglot).await.0, RejectReason::Corrupt);
    assert!(rejection.message.contains("MP3"), "{}", rejection.message);
}

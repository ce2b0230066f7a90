//! What ffmpeg may open: an upload that reads as an HLS playlist or a DASH MPD (behind an ID3
//! tag or not) makes the twin open neither the local file nor the URL it names, and every
//! container the probe accepts is still read, by the demuxer the twin names for it.
//!
//! The witnesses: the local file is a FIFO whose writer end a thread holds open-pending, so any
//! reader that ever opens it (ffmpeg following the playlist) releases the thread; the URL is a
//! listener on 127.0.0.1 that counts connections. `the_witnesses_see_an_unguarded_ffmpeg` proves
//! both see the pinned ffmpeg when it is run without the twin's input options. (ffmpeg's own
//! default for a local input already allows nested opens of `file,crypto,data` only; the twin
//! narrows that to `file` and, above all, never lets a playlist demuxer read the upload.)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use vod_mediaconvert_local::{identify, probe};
use vod_testkit::media::ClipCache;

use crate::env::{Env, HEAVY};
use crate::jobs::{asset_id, small_job, submit};

/// A FIFO no one reads; `opened()` turns true once any reader opens it.
struct FifoWitness {
    path: PathBuf,
    opened: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl FifoWitness {
    fn new(dir: &Path, name: &str) -> Self {
        let path = dir.join(name);
        let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
        assert!(status.success(), "mkfifo {}", path.display());
        let opened = Arc::new(AtomicBool::new(false));
        let closing = Arc::new(AtomicBool::new(false));
        let writer = {
            let (path, opened, closing) = (path.clone(), Arc::clone(&opened), Arc::clone(&closing));
            // Opening a FIFO for writing blocks until a reader opens it.
            std::thread::spawn(move || {
                let pipe = std::fs::OpenOptions::new().write(true).open(&path);
                if !closing.load(Ordering::SeqCst) {
                    opened.store(true, Ordering::SeqCst);
                }
                drop(pipe); // the reader sees end of file
            })
        };
        Self {
            path,
            opened,
            closing,
            writer: Some(writer),
        }
    }

    /// Whether a reader opened the FIFO; stops the witness.
    fn opened(mut self) -> bool {
        self.closing.store(true, Ordering::SeqCst);
        if let Some(writer) = self.writer.take() {
            if !writer.is_finished() {
                // Our own reader releases the pending writer (and is not counted).
                let _ = std::fs::File::open(&self.path);
            }
            let _ = writer.join();
        }
        self.opened.load(Ordering::SeqCst)
    }
}

/// A listener on 127.0.0.1 that counts connections and closes each at once.
struct UrlWitness {
    url: String,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl UrlWitness {
    async fn new() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/segment.ts",
            listener.local_addr().expect("address")
        );
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self {
            url,
            connections,
            task,
        }
    }

    fn connections(self) -> usize {
        self.task.abort();
        self.connections.load(Ordering::SeqCst)
    }
}

/// An ID3v2.4 tag of `body` zero bytes (10-byte header, syncsafe size).
fn id3(body: usize) -> Vec<u8> {
    let size = u32::try_from(body).expect("small tag");
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend([21, 14, 7, 0].map(|shift| ((size >> shift) & 0x7F) as u8));
    tag.resize(10 + body, 0);
    tag
}

fn hls(first: &str, second: &str) -> Vec<u8> {
    format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{first}\n#EXTINF:2,\n{second}\n#EXT-X-ENDLIST\n"
    )
    .into_bytes()
}

fn mpd(first: &str, second: &str) -> Vec<u8> {
    let representation = |id: &str, url: &str| {
        format!(
            "<Representation id=\"{id}\" bandwidth=\"1000\" width=\"320\" height=\"180\"><BaseURL>{url}</BaseURL><SegmentBase/></Representation>"
        )
    };
    format!(
        "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" mediaPresentationDuration=\"PT4S\" minBufferTime=\"PT2S\">\n<Period start=\"PT0S\"><AdaptationSet mimeType=\"video/mp4\">{}{}</AdaptationSet></Period>\n</MPD>\n",
        representation("a", first),
        representation("b", second)
    )
    .into_bytes()
}

/// Two seconds of a 440 Hz tone (ffmpeg input options), and its MP3 encoding.
const TONE: [&str; 6] = ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "2"];
const MP3: [&str; 2] = ["-c:a", "libmp3lame"];

fn clips() -> ClipCache {
    ClipCache::new(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("twin-containers"))
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Runs the pinned ffmpeg with `args` (bounded: killed after 30 s).
fn run_ffmpeg(args: &[&str]) {
    let mut child = Command::new(vod_testkit::media::ffmpeg())
        .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The control: the pinned ffmpeg, run without the twin's input options on a bare MPD, opens
/// the local file it names; allowed http (as it is when the playlist itself came over http),
/// it connects to the URL. So the witnesses can see what the job test asserts never happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_witnesses_see_an_unguarded_ffmpeg() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = FifoWitness::new(dir.path(), "secret.mp4");
    let url = UrlWitness::new().await;
    let local = fifo.path.to_string_lossy().into_owned();
    let local_first = dir.path().join("local-first");
    let url_first = dir.path().join("url-first");
    std::fs::write(&local_first, mpd(&local, &url.url)).expect("write");
    std::fs::write(&url_first, mpd(&url.url, &local)).expect("write");
    for (file, options) in [
        (&local_first, &[][..]),
        (&url_first, &["-protocol_whitelist", "file,http,tcp"][..]),
    ] {
        let args: Vec<String> = options
            .iter()
            .map(|o| o.to_string())
            .chain(["-i".to_owned(), file.to_string_lossy().into_owned()])
            .collect();
        tokio::task::spawn_blocking(move || {
            run_ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .expect("ffmpeg task");
    }
    assert!(
        fifo.opened(),
        "ffmpeg -i <MPD> opens the local file it names"
    );
    assert!(
        url.connections() > 0,
        "ffmpeg -i <MPD> fetches the URL it names"
    );
}

/// ID3 + HLS, ID3 + MPD and a bare MPD are rejected by the probe before ffmpeg runs; a real MP3
/// with an MPD appended passes the probe as MP3 and ffmpeg reads it as MP3 (`-f mp3`), not as
/// the MPD it also holds. No job opens the local file or connects to the URL; each ends ERROR saying
/// why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playlist_polyglots_open_nothing_and_fail_with_a_reason() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = FifoWitness::new(dir.path(), "secret.ts");
    let url = UrlWitness::new().await;
    let local = fifo.path.to_string_lossy().into_owned();
    // A real MP3 (ffmpeg's muxer writes an ID3v2 tag, then the frames), an MPD appended.
    let real_mp3 =
        std::fs::read(clips().clip("tone.mp3", &[&TONE[..], &MP3].concat())).expect("mp3");
    assert!(
        real_mp3.starts_with(b"ID3"),
        "the MP3 fixture has an ID3 tag"
    );
    let cases: [(&str, Vec<u8>, i64, &str); 4] = [
        (
            "poly/id3-hls.mp3",
            concat(&[&id3(0), &hls(&local, &url.url)]),
            1010,
            "no MPEG audio frame right after it",
        ),
        (
            "poly/id3-mpd.mp3",
            concat(&[&id3(16), &mpd(&local, &url.url)]),
            1010,
            "no MPEG audio frame right after it",
        ),
        (
            "poly/bare.mpd",
            mpd(&local, &url.url),
            1010,
            "the probe rejected the input",
        ),
        (
            "poly/mp3-mpd.mp3",
            concat(&[&real_mp3, &mpd(&local, &url.url)]),
            1040,
            "has no video stream",
        ),
    ];
    let mut jobs = Vec::new();
    for (key, body, code, reason) in cases {
        env.put_source(key, body).await;
        let job = submit(&env, &small_job(key, &asset_id(key))).await;
        jobs.push((key, job, code, reason));
    }
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for (key, job, code, reason) in jobs {
        let e = env.wait_for_event(&job, "ERROR", &mut seen).await;
        errors.push((key, e, code, reason));
    }
    // Every job has ended: whatever ffmpeg was going to open, it has opened by now.
    assert!(
        !fifo.opened(),
        "a job opened the local file its upload names"
    );
    assert_eq!(
        url.connections(),
        0,
        "a job fetched the URL its upload names"
    );
    for (key, e, code, reason) in errors {
        assert_eq!(e["detail"]["errorCode"], code, "{key}: {e}");
        let message = e["detail"]["errorMessage"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{key}: {message}");
        assert!(
            message.contains(&format!("s3://src-bucket/{key}")),
            "{key}: {message}"
        );
    }
    env.stop().await;
}

/// Every container family the probe accepts is read by the demuxer the twin names for it: the
/// probe report and ffmpeg's own description agree on the streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_container_is_read_by_its_named_demuxer() {
    let clips = clips();
    let ffmpeg = vod_testkit::media::ffmpeg();
    let video = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "2",
    ];
    let av = |codecs: &[&'static str]| [&video[..], codecs].concat();
    let tone = |codecs: &[&'static str]| [&TONE[..], codecs].concat();
    let h264_aac = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ];
    // (file, ffmpeg options, the demuxer the twin must name, has video)
    let cases: Vec<(&str, Vec<&str>, &str, bool)> = vec![
        ("clip.mp4", av(&h264_aac), "mov", true),
        ("clip.mov", av(&h264_aac), "mov", true),
        ("clip.mkv", av(&h264_aac), "matroska", true),
        ("clip.ts", av(&h264_aac), "mpegts", true),
        ("clip.flv", av(&h264_aac), "flv", true),
        (
            "clip.avi",
            av(&["-c:v", "mpeg4", "-c:a", "libmp3lame"]),
            "avi",
            true,
        ),
        (
            "clip.wmv",
            av(&["-c:v", "wmv2", "-c:a", "wmav2"]),
            "asf",
            true,
        ),
        (
            "clip.mxf",
            av(&["-c:v", "mpeg2video", "-c:a", "pcm_s16le", "-ar", "48000"]),
            "mxf",
            true,
        ),
        ("tone.mp3", tone(&MP3), "mp3", false),
        ("tone.wav", tone(&["-c:a", "pcm_s16le"]), "wav", false),
        ("tone.flac", tone(&["-c:a", "flac"]), "flac", false),
    ];
    for (name, args, demuxer, has_video) in cases {
        let path = clips.clip(name, &args);
        let input = identify(&path)
            .await
            .unwrap_or_else(|e| panic!("{name}: the probe refused it: {e}"));
        assert_eq!(input.demuxer(), demuxer, "{name}");
        let source = probe(&ffmpeg, &input)
            .await
            .unwrap_or_else(|e| panic!("{name}: ffmpeg -f {demuxer} could not read it: {e}"));
        assert_eq!(source.video.is_some(), has_video, "{name}: {source:?}");
        assert_eq!(source.audio_streams, 1, "{name}: {source:?}");
        assert!(
            source.duration_secs.is_some_and(|d| d > 1.0),
            "{name}: {source:?}"
        );
    }
}

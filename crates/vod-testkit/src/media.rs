//! Short test clips encoded by ffmpeg at test time (nothing large is committed), cached by
//! their arguments so a second run reuses them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The project's pinned ffmpeg ([`vod_toolchain::ffmpeg`]). A missing one fails the test with
/// the command that installs it: a media test that skips proves nothing.
pub fn ffmpeg() -> PathBuf {
    static FFMPEG: OnceLock<Result<PathBuf, vod_toolchain::ToolMissing>> = OnceLock::new();
    match FFMPEG.get_or_init(vod_toolchain::ffmpeg) {
        Ok(path) => path.clone(),
        Err(missing) => panic!("{missing}"),
    }
}

/// What ffmpeg says of a file (`ffmpeg -i FILE`: container, streams, colour, display matrix),
/// so a test can check that its fixture holds what the test is about before asserting on it.
pub fn describe(path: &Path) -> String {
    let output = Command::new(ffmpeg())
        .args(["-hide_banner", "-nostdin", "-i"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running ffmpeg -i {}: {e}", path.display()));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Panics unless `ffmpeg -i` shows every one of `needles` for the fixture at `path`.
pub fn assert_fixture_has(path: &Path, needles: &[&str]) {
    let description = describe(path);
    for needle in needles {
        assert!(
            description.contains(needle),
            "fixture {} lacks {needle:?}; ffmpeg says:\n{description}",
            path.display()
        );
    }
}

/// A folder of clips, each encoded on first use; names carry a hash of the arguments.
#[derive(Debug, Clone)]
pub struct ClipCache {
    dir: PathBuf,
}

impl ClipCache {
    /// Clips under `dir` (created); a test passes e.g. `CARGO_TARGET_TMPDIR/<crate>-corpus`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
        Self { dir }
    }

    /// Encodes `name` with the project's ffmpeg and `args` (inputs and codec options; the
    /// output path is appended).
    pub fn clip(&self, name: &str, args: &[&str]) -> PathBuf {
        let hash = args
            .iter()
            .flat_map(|a| a.bytes().chain([0]))
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let path = self.dir.join(format!("{hash:016x}-{name}"));
        if path.exists() {
            return path;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let tmp = self.dir.join(
            format!("{name}.{:?}.tmp.{ext}", std::thread::current().id()).replace(['(', ')'], ""),
        );
        let output = Command::new(ffmpeg())
            .args(["-hide_banner", "-loglevel", "error", "-y", "-threads", "1"])
            .args(args)
            .arg(&tmp)
            .output()
            .unwrap_or_else(|e| panic!("running ffmpeg for {name}: {e}"));
        assert!(
            output.status.success(),
            "ffmpeg failed for {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("renaming {tmp:?}: {e}"));
        path
    }

    /// One second of `testsrc2` at `size` and `rate` with a tone (x264 ultrafast, AAC stereo),
    /// plus `extra` ffmpeg options.
    pub fn h264_clip(&self, name: &str, size: &str, rate: u32, extra: &[&str]) -> PathBuf {
        let mut args = h264_args(size, rate);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.clip(name, &refs)
    }

    /// Remuxes `from` with ffmpeg `args` (e.g. `-c copy`) into `name`; options that apply to
    /// the input (`-display_rotation 90`) go in `input_args`.
    pub fn remux(&self, name: &str, input_args: &[&str], from: &Path, args: &[&str]) -> PathBuf {
        let from = from
            .to_str()
            .unwrap_or_else(|| panic!("clip path {from:?} is not UTF-8"));
        let mut all = input_args.to_vec();
        all.extend(["-i", from]);
        all.extend_from_slice(args);
        self.clip(name, &all)
    }
}

/// `testsrc2` video of `size` at `rate` for one second with a 440 Hz tone, x264 ultrafast.
pub fn h264_args(size: &str, rate: u32) -> Vec<String> {
    [
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={size}:rate={rate}"),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "40",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-ac",
        "2",
        "-b:a",
        "64k",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Width and height of a baseline or progressive JPEG, from its start-of-frame segment;
/// `None` for anything else.
pub fn jpeg_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = *jpeg.get(at + 1)?;
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u16::from_be_bytes([*jpeg.get(at + 5)?, *jpeg.get(at + 6)?]);
            let w = u16::from_be_bytes([*jpeg.get(at + 7)?, *jpeg.get(at + 8)?]);
            return Some((u32::from(w), u32::from(h)));
        }
        at += 2 + len;
    }
}

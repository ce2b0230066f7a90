//! Short clips encoded by ffmpeg into the target's temp dir, each on first use
//! ([`vod_testkit::media::ClipCache`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vod_testkit::media::ClipCache;

fn cache() -> &'static ClipCache {
    static CACHE: OnceLock<ClipCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        ClipCache::new(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vod-probe-corpus"))
    })
}

pub fn clip(name: &str, args: &[&str]) -> PathBuf {
    cache().clip(name, args)
}

pub fn h264_clip(name: &str, size: &str, rate: u32, extra: &[&str]) -> PathBuf {
    cache().h264_clip(name, size, rate, extra)
}

pub fn remux(name: &str, input_args: &[&str], from: &Path, args: &[&str]) -> PathBuf {
    cache().remux(name, input_args, from, args)
}

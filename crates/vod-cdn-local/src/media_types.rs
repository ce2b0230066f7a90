//! Content types and cache rules by file extension, as our CloudFront behaviours set them.

/// Playlists and manifests: re-fetched often, so a re-packaged asset shows up within seconds.
pub const CACHE_MANIFEST: &str = "public, max-age=5";
/// Segments, init segments, MP4s and images: written once under a fresh name, never changed.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Storyboards and anything we do not recognise: cacheable for a minute.
pub const CACHE_METADATA: &str = "public, max-age=60";

fn extension(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The `Content-Type` for an object key, or `None` when the extension is not ours (then the
/// type S3 stored is used).
pub fn content_type(key: &str) -> Option<&'static str> {
    Some(match extension(key).as_str() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        "cmfv" | "mp4" | "m4v" => "video/mp4",
        "cmfa" | "m4a" => "audio/mp4",
        "m4s" => "video/iso.segment",
        "ts" => "video/mp2t",
        "aac" => "audio/aac",
        "vtt" => "text/vtt",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "json" => "application/json",
        _ => return None,
    })
}

/// The `Cache-Control` for an object key.
pub fn cache_control(key: &str) -> &'static str {
    match extension(key).as_str() {
        "m3u8" | "mpd" => CACHE_MANIFEST,
        "cmfv" | "cmfa" | "m4s" | "mp4" | "m4v" | "m4a" | "ts" | "aac" | "jpg" | "jpeg" | "png" => {
            CACHE_IMMUTABLE
        }
        _ => CACHE_METADATA,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_case_insensitive_and_ignores_dots_in_folders() {
        assert_eq!(
            content_type("a.b/STREAM.M3U8"),
            Some("application/vnd.apple.mpegurl")
        );
        assert_eq!(content_type("a.mpd/readme"), None);
        assert_eq!(cache_control("a/seg_00001.cmfv"), CACHE_IMMUTABLE);
        assert_eq!(cache_control("a/stream.mpd"), CACHE_MANIFEST);
        assert_eq!(cache_control("a/storyboard.vtt"), CACHE_METADATA);
    }
}

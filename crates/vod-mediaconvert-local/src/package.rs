//! After ffmpeg: MediaConvert names for every file, an HLS master written from what was
//! actually encoded (CODECS, RESOLUTION, BANDWIDTH, AVERAGE-BANDWIDTH), and the
//! `outputGroupDetails` of the COMPLETE event.
//!
//! Names (relative to the group destination `s3://bucket/dir/<basename>`):
//! CMAF: `<basename>.m3u8` (HLS master), `<basename>.mpd`, `<basename><nameModifier>.m3u8`
//! (media playlists), `<basename><nameModifier>_init.cmfv|cmfa` and
//! `<basename><nameModifier>_00001.cmfv|cmfa`, … (segments).
//! Trick-play tiles: `<basename>_thumbnails_<W>x<H>_00001.jpg`, … (module `package_tiles`).
//! Frame captures: `<basename><nameModifier>.0000000.jpg`, `.0000001.jpg`, …
//! MP4: `<basename><nameModifier>.mp4`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::error::JobFailure;
use crate::plan::{
    CaptureLayout, CmafLayout, CmafMedia, FfmpegPlan, LocalOutput, Mp4Layout, SourceInfo,
};

/// Characters left as-is in relative URIs inside playlists and manifests.
const URI_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Everything to upload, and the event/API details describing it.
#[derive(Debug, Default)]
pub struct Packaged {
    pub uploads: Vec<LocalOutput>,
    /// `outputGroupDetails` as in the COMPLETE event, in the job's group order.
    pub event_details: Vec<Value>,
}

/// Renames and completes the files of every group of `plan`.
pub fn package(
    plan: &FfmpegPlan,
    source: &SourceInfo,
    group_count: usize,
) -> Result<Packaged, JobFailure> {
    let duration_ms = source
        .duration_secs
        .map(|d| (d * 1000.0).round() as i64)
        .unwrap_or(0);
    let mut details: BTreeMap<usize, Value> = BTreeMap::new();
    let mut uploads = Vec::new();
    for cmaf in &plan.cmaf {
        let detail = package_cmaf(cmaf, source, duration_ms, &mut uploads)?;
        details.insert(cmaf.group_index, detail);
    }
    let mut file_outputs: BTreeMap<usize, BTreeMap<usize, Value>> = BTreeMap::new();
    for cap in &plan.captures {
        let detail = package_capture(cap, source, duration_ms, &mut uploads)?;
        file_outputs
            .entry(cap.group_index)
            .or_default()
            .insert(cap.output_index, detail);
    }
    for mp4 in &plan.mp4 {
        let detail = package_mp4(mp4, source, duration_ms, &mut uploads)?;
        file_outputs
            .entry(mp4.group_index)
            .or_default()
            .insert(mp4.output_index, detail);
    }
    for (gi, outputs) in file_outputs {
        details.insert(
            gi,
            json!({ "outputDetails": outputs.into_values().collect::<Vec<_>>(), "type": "FILE_GROUP" }),
        );
    }
    let event_details = (0..group_count)
        .filter_map(|i| details.remove(&i))
        .collect();
    Ok(Packaged {
        uploads,
        event_details,
    })
}

fn read(path: &Path) -> Result<String, JobFailure> {
    std::fs::read_to_string(path)
        .map_err(|e| JobFailure::transcode(format!("ffmpeg did not write {}: {e}", path.display())))
}

fn write(path: &Path, text: &str) -> Result<(), JobFailure> {
    std::fs::write(path, text)
        .map_err(|e| JobFailure::internal(format!("writing {}: {e}", path.display())))
}

fn rename(from: &Path, to: &Path) -> Result<(), JobFailure> {
    std::fs::rename(from, to).map_err(|e| {
        JobFailure::internal(format!(
            "renaming {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

pub(crate) fn uri_escape(name: &str) -> String {
    utf8_percent_encode(name, URI_KEEP).to_string()
}

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Attribute `name="value"` of one XML start tag on one line.
fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let start = line.find(&needle)? + needle.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// What one encoded representation turned out to be.
#[derive(Debug, Clone, Default)]
struct Rendition {
    name: String,
    playlist: String,
    codecs: String,
    width: Option<u32>,
    height: Option<u32>,
    channels: Option<u32>,
    peak_bps: u64,
    average_bps: u64,
    is_video: bool,
}

fn package_cmaf(
    layout: &CmafLayout,
    source: &SourceInfo,
    duration_ms: i64,
    uploads: &mut Vec<LocalOutput>,
) -> Result<Value, JobFailure> {
    let group = &layout.group;
    let dest = &group.destination;
    // Stream order in the dash output: video outputs, then audio outputs (see ffmpeg_plan).
    let mut order: Vec<usize> = Vec::new();
    order.extend(
        group
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| matches!(o.media, CmafMedia::Video(_)))
            .map(|(i, _)| i),
    );
    order.extend(
        group
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| matches!(o.media, CmafMedia::Audio(_)))
            .map(|(i, _)| i),
    );

    let mpd_path = layout.dir.join("manifest.mpd");
    let mpd = read(&mpd_path)?;
    let sets = mpd.matches("<AdaptationSet ").count();
    let tiles = crate::package_tiles::package_tiles(layout, source, duration_ms, sets, uploads)?;
    let mut reps: BTreeMap<usize, Rendition> = BTreeMap::new();
    let mut new_mpd = String::with_capacity(mpd.len());
    let mut current: Option<usize> = None;
    for line in mpd.lines() {
        let mut line = line.to_owned();
        if line.trim() == "</Period>"
            && let Some(set) = &tiles
        {
            new_mpd.push_str(set);
        }
        if line.trim_start().starts_with("<Representation ") {
            let id = attr(&line, "id").and_then(|v| v.parse::<usize>().ok());
            current = id;
            if let Some(id) = id {
                let entry = reps.entry(id).or_default();
                entry.codecs = attr(&line, "codecs").unwrap_or_default().to_owned();
                entry.width = attr(&line, "width").and_then(|v| v.parse().ok());
                entry.height = attr(&line, "height").and_then(|v| v.parse().ok());
            }
        } else if line.contains("<AudioChannelConfiguration ")
            && let Some(id) = current
        {
            reps.entry(id).or_default().channels =
                attr(&line, "value").and_then(|v| v.parse().ok());
        } else if line.contains("<SegmentTemplate ")
            && let Some(id) = current
            && let Some(&out) = order.get(id)
        {
            let o = &group.outputs[out];
            let ext = if matches!(o.media, CmafMedia::Video(_)) {
                "cmfv"
            } else {
                "cmfa"
            };
            let base = dest.basename.clone() + &o.name_modifier;
            let literal = xml_escape(&uri_escape(&base)).replace('$', "$$");
            line = line
                .replace(
                    "\"$RepresentationID$_init.m4s\"",
                    &format!("\"{literal}_init.{ext}\""),
                )
                .replace(
                    "\"$RepresentationID$_$Number%05d$.m4s\"",
                    &format!("\"{literal}_$Number%05d$.{ext}\""),
                );
        }
        new_mpd.push_str(&line);
        new_mpd.push('\n');
    }

    for (id, &out) in order.iter().enumerate() {
        let o = &group.outputs[out];
        let is_video = matches!(o.media, CmafMedia::Video(_));
        let ext = if is_video { "cmfv" } else { "cmfa" };
        let base = dest.basename.clone() + &o.name_modifier;
        let init_local = layout.dir.join(format!("{id}_init.m4s"));
        let init_name = format!("{base}_init.{ext}");
        let init_new = layout.dir.join(format!("r{id}_init.{ext}"));
        rename(&init_local, &init_new)?;
        uploads.push(LocalOutput {
            local: init_new,
            bucket: dest.bucket.clone(),
            key: format!("{}{init_name}", dest.dir),
        });

        // The media playlist ffmpeg wrote for this stream drives the segment list.
        let media_local = layout.dir.join(format!("media_{id}.m3u8"));
        let media = read(&media_local)?;
        let mut playlist = String::new();
        let mut pending_duration: Option<f64> = None;
        let mut total_bytes: u64 = 0;
        let mut total_secs: f64 = 0.0;
        let mut peak: f64 = 0.0;
        for line in media.lines() {
            if line.starts_with("#EXT-X-PROGRAM-DATE-TIME") {
                continue;
            }
            if line.starts_with("#EXT-X-MAP:") {
                playlist.push_str(&format!("#EXT-X-MAP:URI=\"{}\"\n", uri_escape(&init_name)));
                continue;
            }
            if let Some(d) = line.strip_prefix("#EXTINF:") {
                pending_duration = d
                    .trim_end_matches(',')
                    .split(',')
                    .next()
                    .and_then(|v| v.parse().ok());
                playlist.push_str(line);
                playlist.push('\n');
                continue;
            }
            if !line.starts_with('#') && !line.trim().is_empty() {
                let seg_local = layout.dir.join(line.trim());
                let number = line
                    .trim()
                    .strip_prefix(&format!("{id}_"))
                    .and_then(|r| r.strip_suffix(".m4s"))
                    .unwrap_or("00000")
                    .to_owned();
                let seg_name = format!("{base}_{number}.{ext}");
                let seg_new = layout.dir.join(format!("r{id}_{number}.{ext}"));
                let size = std::fs::metadata(&seg_local).map(|m| m.len()).unwrap_or(0);
                rename(&seg_local, &seg_new)?;
                if let Some(d) = pending_duration.take().filter(|d| *d > 0.0) {
                    total_bytes += size;
                    total_secs += d;
                    peak = peak.max(size as f64 * 8.0 / d);
                }
                uploads.push(LocalOutput {
                    local: seg_new,
                    bucket: dest.bucket.clone(),
                    key: format!("{}{seg_name}", dest.dir),
                });
                playlist.push_str(&uri_escape(&seg_name));
                playlist.push('\n');
                continue;
            }
            playlist.push_str(line);
            playlist.push('\n');
            if line.starts_with("#EXT-X-VERSION") {
                playlist.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n");
            }
        }
        let rendition = reps.entry(id).or_default();
        rendition.name = o.name_modifier.clone();
        rendition.is_video = is_video;
        rendition.peak_bps = peak.round() as u64;
        rendition.average_bps = if total_secs > 0.0 {
            (total_bytes as f64 * 8.0 / total_secs).round() as u64
        } else {
            0
        };
        let playlist_name = format!("{base}.m3u8");
        rendition.playlist = playlist_name.clone();
        if group.write_hls {
            let local = layout.dir.join(format!("r{id}.m3u8"));
            write(&local, &playlist)?;
            uploads.push(LocalOutput {
                local,
                bucket: dest.bucket.clone(),
                key: format!("{}{playlist_name}", dest.dir),
            });
        }
    }

    let mut playlist_paths = Vec::new();
    if group.write_dash {
        let local = layout.dir.join("out.mpd");
        write(&local, &new_mpd)?;
        uploads.push(LocalOutput {
            local,
            bucket: dest.bucket.clone(),
            key: dest.key(".mpd"),
        });
        playlist_paths.push(dest.uri(".mpd"));
    }
    if group.write_hls {
        let master = master_playlist(&reps.values().cloned().collect::<Vec<_>>());
        let local = layout.dir.join("out.m3u8");
        write(&local, &master)?;
        uploads.push(LocalOutput {
            local,
            bucket: dest.bucket.clone(),
            key: dest.key(".m3u8"),
        });
        playlist_paths.push(dest.uri(".m3u8"));
    }

    // outputDetails in the job's output order.
    let mut output_details = Vec::new();
    for (out_index, o) in group.outputs.iter().enumerate() {
        let id = order.iter().position(|&i| i == out_index).unwrap_or(0);
        let mut detail = json!({ "durationInMs": duration_ms });
        if matches!(o.media, CmafMedia::Video(_))
            && let Some(r) = reps.get(&id)
        {
            detail["videoDetails"] = json!({
                "widthInPx": r.width.unwrap_or(0),
                "heightInPx": r.height.unwrap_or(0),
                "averageBitrate": r.average_bps,
            });
        }
        output_details.push(detail);
    }
    Ok(json!({
        "outputDetails": output_details,
        "playlistFilePaths": playlist_paths,
        "type": "CMAF_GROUP",
    }))
}

/// The HLS multivariant playlist: one variant per video rendition (with the group's audio),
/// or one per audio rendition when the group has no video.
fn master_playlist(renditions: &[Rendition]) -> String {
    let audio: Vec<&Rendition> = renditions.iter().filter(|r| !r.is_video).collect();
    let video: Vec<&Rendition> = renditions.iter().filter(|r| r.is_video).collect();
    let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if video.is_empty() {
        for a in &audio {
            m.push_str(&format!(
                "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"\n{}\n",
                a.peak_bps.max(1),
                a.average_bps.max(1),
                a.codecs,
                uri_escape(&a.playlist)
            ));
        }
        return m;
    }
    for (i, a) in audio.iter().enumerate() {
        let name = if a.name.is_empty() {
            format!("audio_{i}")
        } else {
            a.name.trim_start_matches('_').to_owned()
        };
        m.push_str(&format!(
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"{}\",AUTOSELECT=YES,DEFAULT={},CHANNELS=\"{}\",URI=\"{}\"\n",
            name.replace('"', "'"),
            if i == 0 { "YES" } else { "NO" },
            a.channels.unwrap_or(2),
            uri_escape(&a.playlist)
        ));
    }
    let audio_peak = audio.iter().map(|a| a.peak_bps).max().unwrap_or(0);
    let audio_avg = audio.first().map(|a| a.average_bps).unwrap_or(0);
    let mut audio_codecs: Vec<&str> = audio.iter().map(|a| a.codecs.as_str()).collect();
    audio_codecs.dedup();
    for v in &video {
        let mut codecs = vec![v.codecs.as_str()];
        codecs.extend(audio_codecs.iter().copied());
        let mut inf = format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
            (v.peak_bps + audio_peak).max(1),
            (v.average_bps + audio_avg).max(1),
            codecs.join(",")
        );
        if let (Some(w), Some(h)) = (v.width, v.height) {
            inf.push_str(&format!(",RESOLUTION={w}x{h}"));
        }
        if !audio.is_empty() {
            inf.push_str(",AUDIO=\"audio\"");
        }
        m.push_str(&format!("{inf}\n{}\n", uri_escape(&v.playlist)));
    }
    m
}

/// The size a video output comes out at, from the request and the source (even numbers, as
/// ffmpeg's `-2` scaling gives).
pub fn output_size(width: Option<u32>, height: Option<u32>, source: &SourceInfo) -> (u32, u32) {
    let (sw, sh) = source
        .video
        .as_ref()
        .map(|v| (v.width.max(1), v.height.max(1)))
        .unwrap_or((0, 0));
    let even = |v: f64| ((v / 2.0).round() * 2.0) as u32;
    match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) if sw > 0 => (w, even(f64::from(w) * f64::from(sh) / f64::from(sw))),
        (None, Some(h)) if sh > 0 => (even(f64::from(h) * f64::from(sw) / f64::from(sh)), h),
        _ => (width.unwrap_or(sw), height.unwrap_or(sh)),
    }
}

fn package_capture(
    cap: &CaptureLayout,
    source: &SourceInfo,
    duration_ms: i64,
    uploads: &mut Vec<LocalOutput>,
) -> Result<Value, JobFailure> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cap.dir)
        .map_err(|e| JobFailure::internal(format!("reading {}: {e}", cap.dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{}.", cap.prefix)) && n.ends_with(".jpg"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(JobFailure::transcode(format!(
            "no frame was captured for {}",
            cap.destination.uri(&cap.capture.name_modifier)
        )));
    }
    let mut last = String::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let number = name
            .strip_prefix(&format!("{}.", cap.prefix))
            .and_then(|r| r.strip_suffix(".jpg"))
            .unwrap_or("0000000");
        let suffix = format!(
            "{}.{number}.{}",
            cap.capture.name_modifier, cap.capture.extension
        );
        last = cap.destination.uri(&suffix);
        uploads.push(LocalOutput {
            local: file.clone(),
            bucket: cap.destination.bucket.clone(),
            key: cap.destination.key(&suffix),
        });
    }
    let (w, h) = output_size(cap.capture.width, cap.capture.height, source);
    // MediaConvert reports the final capture of a frame-capture output.
    Ok(json!({
        "outputFilePaths": [last],
        "durationInMs": duration_ms,
        "videoDetails": { "widthInPx": w, "heightInPx": h },
    }))
}

fn package_mp4(
    mp4: &Mp4Layout,
    source: &SourceInfo,
    duration_ms: i64,
    uploads: &mut Vec<LocalOutput>,
) -> Result<Value, JobFailure> {
    let size = std::fs::metadata(&mp4.local)
        .map_err(|e| {
            JobFailure::transcode(format!("ffmpeg did not write {}: {e}", mp4.local.display()))
        })?
        .len();
    let suffix = format!("{}.{}", mp4.file.name_modifier, mp4.file.extension);
    uploads.push(LocalOutput {
        local: mp4.local.clone(),
        bucket: mp4.destination.bucket.clone(),
        key: mp4.destination.key(&suffix),
    });
    let mut detail = json!({
        "outputFilePaths": [mp4.destination.uri(&suffix)],
        "durationInMs": duration_ms,
    });
    if let Some(v) = &mp4.file.video {
        let (w, h) = output_size(v.width, v.height, source);
        // In u128: bytes × 8000 overflows u64 past 2 PB, a size no test clip has but the
        // arithmetic should not care.
        let bps = u64::try_from(duration_ms)
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| u64::try_from(u128::from(size) * 8000 / u128::from(ms)).unwrap_or(u64::MAX))
            .unwrap_or(0);
        detail["videoDetails"] = json!({ "widthInPx": w, "heightInPx": h, "averageBitrate": bps });
    }
    Ok(detail)
}

/// The Content-Type S3 should serve a file with.
pub fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        "cmfv" | "mp4" => "video/mp4",
        "cmfa" => "audio/mp4",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_lists_each_rung_with_codecs_and_resolution() {
        let video = Rendition {
            name: "_720p".into(),
            playlist: "stream_720p.m3u8".into(),
            codecs: "avc1.64001f".into(),
            width: Some(1280),
            height: Some(720),
            peak_bps: 3_000_000,
            average_bps: 2_000_000,
            is_video: true,
            ..Rendition::default()
        };
        let audio = Rendition {
            name: "_audio".into(),
            playlist: "stream_audio.m3u8".into(),
            codecs: "mp4a.40.2".into(),
            channels: Some(2),
            peak_bps: 130_000,
            average_bps: 128_000,
            ..Rendition::default()
        };
        let m = master_playlist(&[video, audio]);
        assert!(m.contains("BANDWIDTH=3130000,AVERAGE-BANDWIDTH=2128000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,AUDIO=\"audio\"\nstream_720p.m3u8"), "{m}");
        assert!(m.contains("URI=\"stream_audio.m3u8\""), "{m}");
    }

    #[test]
    fn names_are_escaped_in_uris() {
        assert_eq!(
            uri_escape("my stream+1_720p.m3u8"),
            "my%20stream%2B1_720p.m3u8"
        );
    }
}

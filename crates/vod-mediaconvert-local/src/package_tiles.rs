//! After ffmpeg: a CMAF group's thumbnail tiles get their names and the group's DASH manifest
//! its thumbnail track, in the DASH-IF IOP shape MediaConvert writes:
//!
//! ```xml
//! <AdaptationSet id="2" contentType="image" mimeType="image/jpeg">
//!   <SegmentTemplate media="stream_thumbnails_160x90_$Number%05d$.jpg" duration="1000000" timescale="1000" startNumber="1"/>
//!   <Representation id="thumbnails_160x90" bandwidth="9000" width="1600" height="900">
//!     <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="10x10"/>
//!   </Representation>
//! </AdaptationSet>
//! ```
//!
//! Tile `n` (from 1) holds thumbnails `(n-1)·C·R` onwards, left to right, top to bottom, one
//! every interval from 0 s; the last tile is padded black. Players and the completion handler
//! read the names from the `SegmentTemplate`.

use std::path::PathBuf;

use crate::error::JobFailure;
use crate::package::{uri_escape, xml_escape};
use crate::plan::{CmafLayout, LocalOutput, SourceInfo, TILES_DIR};

/// The DASH-IF IOP scheme of a tiled thumbnail track.
const THUMBNAIL_TILE_SCHEME: &str = "http://dashif.org/thumbnail_tile";

/// Queues the group's tiles for upload; the AdaptationSet (with `id`) that describes them, or
/// `None` when the group has no trick play.
pub(crate) fn package_tiles(
    layout: &CmafLayout,
    source: &SourceInfo,
    duration_ms: i64,
    id: usize,
    uploads: &mut Vec<LocalOutput>,
) -> Result<Option<String>, JobFailure> {
    let Some(trick_play) = &layout.group.trick_play else {
        return Ok(None);
    };
    let dir = layout.dir.join(TILES_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| JobFailure::internal(format!("reading {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(JobFailure::transcode(
            "no thumbnail tile was written for image-based trick play",
        ));
    }
    let (w, h) = trick_play.thumbnail_size(source);
    let dest = &layout.group.destination;
    let base = format!("{}_thumbnails_{w}x{h}", dest.basename);
    let mut bytes: u64 = 0;
    for (i, file) in files.iter().enumerate() {
        bytes += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        uploads.push(LocalOutput {
            local: file.clone(),
            bucket: dest.bucket.clone(),
            key: format!("{}{base}_{:05}.jpg", dest.dir, i + 1),
        });
    }
    let tile_ms = (trick_play.interval * 1000.0).round().max(1.0) as u64
        * u64::from(trick_play.columns)
        * u64::from(trick_play.rows);
    let bandwidth = match u64::try_from(duration_ms).ok().filter(|ms| *ms > 0) {
        Some(ms) => (u128::from(bytes) * 8000 / u128::from(ms)).max(1),
        None => 1,
    };
    let media = format!(
        "{}_$Number%05d$.jpg",
        xml_escape(&uri_escape(&base)).replace('$', "$$")
    );
    Ok(Some(format!(
        "\t\t<AdaptationSet id=\"{id}\" contentType=\"image\" mimeType=\"image/jpeg\">\n\
         \t\t\t<SegmentTemplate media=\"{media}\" duration=\"{tile_ms}\" timescale=\"1000\" startNumber=\"1\"/>\n\
         \t\t\t<Representation id=\"thumbnails_{w}x{h}\" bandwidth=\"{bandwidth}\" width=\"{}\" height=\"{}\">\n\
         \t\t\t\t<EssentialProperty schemeIdUri=\"{THUMBNAIL_TILE_SCHEME}\" value=\"{}x{}\"/>\n\
         \t\t\t</Representation>\n\
         \t\t</AdaptationSet>\n",
        w * trick_play.columns,
        h * trick_play.rows,
        trick_play.columns,
        trick_play.rows,
    )))
}

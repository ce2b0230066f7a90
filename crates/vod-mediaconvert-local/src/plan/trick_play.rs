//! A CMAF group's image-based trick play (`imageBasedTrickPlay: ADVANCED`): thumbnails tiled
//! into JPEG images, described by a DASH-IF thumbnail track in the group's DASH manifest.
//!
//! The twin writes the tiles with one ffmpeg branch (`select` one frame per interval from 0 s,
//! `scale`, `tile=CxR`; the last tile is padded black) and names them
//! `<basename>_thumbnails_<W>x<H>_<00001>.jpg`: MediaConvert does not document its own names,
//! and nothing may depend on them: the manifest's `SegmentTemplate` names them.
//! `THUMBNAIL`/`THUMBNAIL_AND_FULLFRAME` and the HLS image playlists are not produced (warned).

use super::json_cursor::JsonCursor;
use crate::error::BadRequest;

/// What one tile image holds and how often a thumbnail is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct TrickPlay {
    pub thumbnail_width: u32,
    /// `None`: follows the source's aspect ratio (MediaConvert's default).
    pub thumbnail_height: Option<u32>,
    /// Thumbnails in a row (`tileWidth`) and in a column (`tileHeight`).
    pub columns: u32,
    pub rows: u32,
    /// Seconds between thumbnails, the first at 0 s.
    pub interval: f64,
}

/// MediaConvert's default `thumbnailWidth`.
const DEFAULT_THUMBNAIL_WIDTH: u32 = 312;

/// Reads `imageBasedTrickPlay` (+ settings) of a CMAF group's settings: `None` for `NONE` or
/// absent, the tiles for `ADVANCED`; other modes are accepted with a warning and not produced.
pub(super) fn trick_play(
    cmaf: &JsonCursor<'_>,
    write_hls: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<TrickPlay>, BadRequest> {
    let mode = cmaf.opt_str("imageBasedTrickPlay")?.unwrap_or("NONE");
    match mode {
        "NONE" => return Ok(None),
        "ADVANCED" => {}
        other => {
            warnings.push(format!(
                "{}/imageBasedTrickPlay: {other} trick play is not produced by the twin (use ADVANCED)",
                cmaf.path
            ));
            return Ok(None);
        }
    }
    let settings = cmaf
        .opt_obj("imageBasedTrickPlaySettings")?
        .ok_or_else(|| cmaf.err("imageBasedTrickPlaySettings", "required with ADVANCED"))?;
    match settings.opt_str("intervalCadence")? {
        None | Some("FOLLOW_CUSTOM") => {}
        Some(other) => {
            return Err(settings.err(
                "intervalCadence",
                format!("{other} is not supported by the twin (use FOLLOW_CUSTOM)"),
            ));
        }
    }
    let interval = settings
        .opt_f64("thumbnailInterval")?
        .filter(|i| i.is_finite() && *i > 0.0)
        .ok_or_else(|| {
            settings.err(
                "thumbnailInterval",
                "required: a positive number of seconds",
            )
        })?;
    let thumbnail_width = settings
        .opt_u32("thumbnailWidth")?
        .unwrap_or(DEFAULT_THUMBNAIL_WIDTH);
    if thumbnail_width < 8 || thumbnail_width % 8 != 0 {
        return Err(settings.err("thumbnailWidth", "must be a positive multiple of 8"));
    }
    let thumbnail_height = settings.opt_u32("thumbnailHeight")?;
    if thumbnail_height.is_some_and(|h| h < 2 || h % 2 != 0) {
        return Err(settings.err("thumbnailHeight", "must be a positive even number"));
    }
    let count = |key: &str| -> Result<u32, BadRequest> {
        settings
            .opt_u32(key)?
            .filter(|n| (1..=2048).contains(n))
            .ok_or_else(|| settings.err(key, "required: thumbnails per tile side, 1 to 2048"))
    };
    let (columns, rows) = (count("tileWidth")?, count("tileHeight")?);
    if write_hls {
        warnings.push(format!(
            "{}/imageBasedTrickPlay: the twin describes the thumbnail tiles in the DASH manifest only (no HLS image playlist)",
            cmaf.path
        ));
    }
    Ok(Some(TrickPlay {
        thumbnail_width,
        thumbnail_height,
        columns,
        rows,
        interval,
    }))
}

impl TrickPlay {
    /// The size of one thumbnail: the requested width, and the requested height or the one
    /// that keeps the source's aspect ratio (even, as MediaConvert rounds).
    pub fn thumbnail_size(&self, source: &super::SourceInfo) -> (u32, u32) {
        let height = self.thumbnail_height.unwrap_or_else(|| {
            let (sw, sh) = source
                .video
                .as_ref()
                .map_or((16, 9), |v| (v.width.max(1), v.height.max(1)));
            let h = (f64::from(self.thumbnail_width) * f64::from(sh) / f64::from(sw) / 2.0).round();
            (h as u32 * 2).max(2)
        });
        (self.thumbnail_width, height)
    }

    /// The filter chain (after the split) that turns decoded video into tile images.
    pub(super) fn filter_chain(&self, source: &super::SourceInfo) -> String {
        let (w, h) = self.thumbnail_size(source);
        // `select`, not `fps`: the first thumbnail is the first frame (see the frame captures).
        format!(
            "select='gte(t,selected_n*{})',scale={w}:{h},setsar=1,tile={}x{}",
            super::ffmpeg_args::fmt_num(self.interval),
            self.columns,
            self.rows
        )
    }
}

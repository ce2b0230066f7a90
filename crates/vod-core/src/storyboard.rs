//! The WebVTT storyboard players read for scrub previews (`storyboard.vtt`).
//!
//! Two shapes, one cue per thumbnail, each covering its interval (the last one clipped to the
//! source's end):
//! - **sprites** ([`ThumbnailTiles`], [`sprite_vtt`]): the thumbnail track of the DASH
//!   manifest, as the DASH-IF IOP describes it (an AdaptationSet with `contentType="image"`,
//!   an `EssentialProperty` `http://dashif.org/thumbnail_tile` with `value="CxR"`, a
//!   `SegmentTemplate` numbering the tile images, the Representation's `width`/`height` the
//!   whole tile image). Cues point into a tile: `tile_00001.jpg#xywh=160,0,160,90`. Tile file
//!   names are read from the manifest, never guessed: MediaConvert does not document them.
//! - **single images** ([`thumbnail_vtt`]): one frame capture per cue, for jobs whose manifest
//!   has no thumbnail track (trick play off, or a job from before it was on).
//!
//! ```
//! use vod_core::storyboard::{ThumbnailTiles, sprite_vtt};
//! let mpd = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT25S">
//!   <Period><AdaptationSet contentType="image" mimeType="image/jpeg">
//!     <SegmentTemplate media="tiles/t_$Number%03d$.jpg" duration="20" startNumber="1"/>
//!     <Representation id="thumbs" bandwidth="1000" width="320" height="90">
//!       <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="2x1"/>
//!     </Representation></AdaptationSet></Period></MPD>"#;
//! let tiles = ThumbnailTiles::from_mpd(mpd, "https://cdn/a/stream.mpd")?.expect("a thumbnail track");
//! assert_eq!(tiles.thumbnail_ms(), 10_000);
//! let vtt = sprite_vtt(&tiles, 25.0);
//! assert!(vtt.contains("00:00:20.000 --> 00:00:25.000\nhttps://cdn/a/tiles/t_002.jpg#xywh=0,0,160,90\n"));
//! # Ok::<(), vod_core::storyboard::StoryboardError>(())
//! ```

use crate::record::ThumbnailSeries;
use roxmltree::{Document, Node};
use url::Url;

/// The DASH-IF IOP scheme of a tiled thumbnail track (`value="<columns>x<rows>"`).
pub const THUMBNAIL_TILE_SCHEME: &str = "http://dashif.org/thumbnail_tile";
/// No storyboard has more cues than this: one a second for the longest accepted source
/// ([`crate::probe::MAX_SOURCE_DURATION_SECONDS`]); a manifest asking for more is cut there.
pub const MAX_CUES: u64 = 172_800;
/// Columns and rows of a tile beyond this are refused as nonsense.
const MAX_GRID: u32 = 100;

/// Why a manifest's thumbnail track cannot be turned into a storyboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoryboardError {
    #[error("the DASH manifest is not well-formed XML: {0}")]
    Xml(String),
    #[error("the DASH manifest's thumbnail track {0}")]
    Track(String),
    #[error("the DASH manifest's URL {0:?} is not an absolute URL")]
    BaseUrl(String),
}

fn track(message: impl Into<String>) -> StoryboardError {
    StoryboardError::Track(message.into())
}

/// A tiled thumbnail track: which images exist and where each thumbnail sits in them.
#[derive(Debug, Clone, PartialEq)]
pub struct ThumbnailTiles {
    /// The `SegmentTemplate@media` with `$RepresentationID$`/`$Bandwidth$` filled in.
    media: String,
    /// Where `media` is resolved: the manifest's URL and its `BaseURL`s.
    base: Url,
    start_number: u64,
    /// One tile image covers `tile_duration / timescale` seconds.
    tile_duration: u64,
    timescale: u64,
    pub columns: u32,
    pub rows: u32,
    /// Size of one thumbnail (the tile image is `columns × width` by `rows × height`).
    pub width: u32,
    pub height: u32,
    /// How long the manifest says the presentation lasts, in milliseconds.
    pub presentation_ms: Option<u64>,
}

/// One storyboard cue: `[start_ms, end_ms)` shows the `w×h` crop at (`x`, `y`) of `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub url: String,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

fn local<'a, 'input>(node: Node<'a, 'input>, name: &'static str) -> Option<Node<'a, 'input>> {
    elements(node, name).next()
}

fn elements<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// `base` joined with the `BaseURL` child of `node`, if it has one.
fn with_base_url(base: &Url, node: Node<'_, '_>) -> Result<Url, StoryboardError> {
    match elements(node, "BaseURL").next().and_then(|b| b.text()) {
        Some(text) => base
            .join(text.trim())
            .map_err(|e| track(format!("has a BaseURL {text:?} that does not resolve: {e}"))),
        None => Ok(base.clone()),
    }
}

fn is_image(node: Node<'_, '_>) -> bool {
    node.attribute("contentType") == Some("image")
        || node
            .attribute("mimeType")
            .is_some_and(|m| m.starts_with("image/"))
}

fn tile_property<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    elements(node, "EssentialProperty")
        .chain(elements(node, "SupplementalProperty"))
        .find(|p| p.attribute("schemeIdUri") == Some(THUMBNAIL_TILE_SCHEME))
        .and_then(|p| p.attribute("value"))
}

/// An attribute of the Representation's `SegmentTemplate`, else of the AdaptationSet's.
fn template_attr<'a>(rep: Node<'a, '_>, set: Node<'a, '_>, name: &'static str) -> Option<&'a str> {
    [rep, set]
        .into_iter()
        .filter_map(|n| local(n, "SegmentTemplate"))
        .find_map(|t| t.attribute(name))
}

fn number<T: std::str::FromStr>(
    value: Option<&str>,
    what: &str,
) -> Result<Option<T>, StoryboardError> {
    value
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| track(format!("has an unreadable {what} {v:?}")))
        })
        .transpose()
}

/// `PT1H2M3.5S` (and `P1DT…`) in milliseconds; `None` for anything else.
pub fn iso8601_duration_ms(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((days, time)) => (days, time),
        None => (rest, ""),
    };
    let mut ms: f64 = 0.0;
    if !days.is_empty() {
        ms += days.strip_suffix('D')?.parse::<f64>().ok()? * 86_400_000.0;
    }
    let mut number = String::new();
    for c in time.chars() {
        let unit = match c {
            'H' => 3_600_000.0,
            'M' => 60_000.0,
            'S' => 1000.0,
            _ => {
                number.push(c);
                continue;
            }
        };
        ms += number.parse::<f64>().ok()? * unit;
        number.clear();
    }
    (number.is_empty() && ms.is_finite() && ms >= 0.0).then(|| ms.round() as u64)
}

/// `$Number$` / `$Number%05d$` replaced by `n`; `None` when the template has no such
/// identifier or another one this module does not fill (`$Time$`).
fn fill_number(template: &str, n: u64) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    let mut numbered = false;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('$')?;
        let ident = &after[..end];
        if ident.is_empty() {
            out.push('$');
        } else if ident == "Number" {
            out.push_str(&n.to_string());
            numbered = true;
        } else if let Some(format) = ident.strip_prefix("Number%0") {
            let digits: usize = format
                .strip_suffix('d')?
                .parse()
                .ok()
                .filter(|d| *d <= 20)?;
            out.push_str(&format!("{n:0digits$}"));
            numbered = true;
        } else {
            return None;
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    numbered.then_some(out)
}

impl ThumbnailTiles {
    /// The first tiled thumbnail track of the manifest's first Period, its tile URLs resolved
    /// against `mpd_url`; `Ok(None)` when the manifest has none.
    pub fn from_mpd(mpd: &str, mpd_url: &str) -> Result<Option<Self>, StoryboardError> {
        let doc = Document::parse(mpd).map_err(|e| StoryboardError::Xml(e.to_string()))?;
        let root = doc.root_element();
        if root.tag_name().name() != "MPD" {
            return Err(StoryboardError::Xml(format!(
                "the root element is <{}>, not <MPD>",
                root.tag_name().name()
            )));
        }
        let base = Url::parse(mpd_url).map_err(|_| StoryboardError::BaseUrl(mpd_url.to_owned()))?;
        let base = with_base_url(&base, root)?;
        let Some(period) = elements(root, "Period").next() else {
            return Ok(None);
        };
        let presentation_ms = period
            .attribute("duration")
            .or(root.attribute("mediaPresentationDuration"))
            .and_then(iso8601_duration_ms);
        let base = with_base_url(&base, period)?;
        for set in elements(period, "AdaptationSet") {
            for rep in elements(set, "Representation") {
                let grid = tile_property(rep).or_else(|| tile_property(set));
                if let (Some(grid), true) = (grid, is_image(set) || is_image(rep)) {
                    let base = with_base_url(&with_base_url(&base, set)?, rep)?;
                    return Self::from_track(set, rep, grid, base, presentation_ms).map(Some);
                }
            }
        }
        Ok(None)
    }

    fn from_track(
        set: Node<'_, '_>,
        rep: Node<'_, '_>,
        grid: &str,
        base: Url,
        presentation_ms: Option<u64>,
    ) -> Result<Self, StoryboardError> {
        let (columns, rows) = grid
            .split_once(['x', 'X'])
            .and_then(|(c, r)| Some((c.trim().parse::<u32>().ok()?, r.trim().parse::<u32>().ok()?)))
            .filter(|(c, r)| (1..=MAX_GRID).contains(c) && (1..=MAX_GRID).contains(r))
            .ok_or_else(|| {
                track(format!(
                    "has a tile grid {grid:?}, not <columns>x<rows> of 1 to {MAX_GRID}"
                ))
            })?;
        let size = |name| {
            number::<u32>(rep.attribute(name).or(set.attribute(name)), name)?
                .filter(|v| *v > 0)
                .ok_or_else(|| track(format!("has no positive {name}")))
        };
        let (image_width, image_height) = (size("width")?, size("height")?);
        let (width, height) = (image_width / columns, image_height / rows);
        if width == 0 || height == 0 {
            return Err(track(format!(
                "has {image_width}x{image_height} tile images, too small for a {grid} grid"
            )));
        }
        let attr = |name| template_attr(rep, set, name);
        let media = attr("media").ok_or_else(|| track("has no SegmentTemplate@media"))?;
        let timescale = number::<u64>(attr("timescale"), "timescale")?.unwrap_or(1);
        let start_number = number::<u64>(attr("startNumber"), "startNumber")?.unwrap_or(1);
        let tile_duration = match number::<u64>(attr("duration"), "duration")? {
            Some(d) => d,
            None => uniform_timeline(rep, set)?,
        };
        let thumbnails = u64::from(columns) * u64::from(rows);
        // At least a millisecond per thumbnail: cues are written in milliseconds.
        if timescale == 0
            || u128::from(tile_duration) * 1000 < u128::from(timescale) * u128::from(thumbnails)
        {
            return Err(track(format!(
                "gives each tile {tile_duration}/{timescale} s, under a millisecond a thumbnail"
            )));
        }
        let media = media
            .replace(
                "$RepresentationID$",
                rep.attribute("id").unwrap_or_default(),
            )
            .replace(
                "$Bandwidth$",
                rep.attribute("bandwidth").unwrap_or_default(),
            );
        if fill_number(&media, start_number).is_none() {
            return Err(track(format!(
                "numbers its tiles with {media:?}, which has no $Number$ (or has $Time$)"
            )));
        }
        Ok(Self {
            media,
            base,
            start_number,
            tile_duration,
            timescale,
            columns,
            rows,
            width,
            height,
            presentation_ms,
        })
    }

    /// Milliseconds between thumbnails (rounded down).
    pub fn thumbnail_ms(&self) -> u64 {
        self.start_ms(1)
    }

    fn per_tile(&self) -> u64 {
        u64::from(self.columns) * u64::from(self.rows)
    }

    /// Where thumbnail `i` starts: `i × tile_duration / (timescale × per_tile)` seconds, in
    /// whole milliseconds (rounded down, so consecutive cues meet exactly).
    fn start_ms(&self, i: u64) -> u64 {
        let num = u128::from(i) * u128::from(self.tile_duration) * 1000;
        let den = u128::from(self.timescale) * u128::from(self.per_tile());
        u64::try_from(num / den.max(1)).unwrap_or(u64::MAX)
    }

    /// The URL of tile image `index` (0-based; the manifest numbers from `startNumber`).
    pub fn tile_url(&self, index: u64) -> Option<String> {
        let name = fill_number(&self.media, self.start_number.checked_add(index)?)?;
        self.base.join(&name).ok().map(String::from)
    }

    /// The cues over `duration_seconds` of source (the manifest's own duration when that is
    /// shorter or the source's is unknown): `ceil(duration / interval)` of them, at most
    /// [`MAX_CUES`] and never past the last tile the manifest's duration implies.
    pub fn cues(&self, duration_seconds: f64) -> Vec<Cue> {
        let given = (duration_seconds.is_finite() && duration_seconds > 0.0)
            .then(|| (duration_seconds * 1000.0).round() as u64);
        let Some(duration_ms) = (match (given, self.presentation_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }) else {
            return Vec::new();
        };
        // ceil(duration_ms / interval) with the interval as the exact fraction.
        let num =
            u128::from(duration_ms) * u128::from(self.timescale) * u128::from(self.per_tile());
        let den = u128::from(self.tile_duration) * 1000;
        let count = u64::try_from(num.div_ceil(den.max(1)))
            .unwrap_or(u64::MAX)
            .min(MAX_CUES);
        let mut cues = Vec::new();
        let mut tile: Option<(u64, String)> = None;
        for i in 0..count {
            let index = i / self.per_tile();
            let url = match &tile {
                Some((at, url)) if *at == index => url.clone(),
                _ => {
                    let Some(url) = self.tile_url(index) else {
                        break;
                    };
                    tile = Some((index, url.clone()));
                    url
                }
            };
            let cell = i % self.per_tile();
            let (col, row) = (
                cell % u64::from(self.columns),
                cell / u64::from(self.columns),
            );
            let start_ms = self.start_ms(i);
            cues.push(Cue {
                start_ms,
                end_ms: self.start_ms(i + 1).min(duration_ms),
                url,
                // Below columns × width and rows × height, both u32 image sizes.
                x: u32::try_from(col).unwrap_or(0) * self.width,
                y: u32::try_from(row).unwrap_or(0) * self.height,
                w: self.width,
                h: self.height,
            });
        }
        cues
    }
}

/// A `SegmentTimeline` whose segments all last the same: that length (the only kind a tile
/// grid at a fixed interval yields).
fn uniform_timeline(rep: Node<'_, '_>, set: Node<'_, '_>) -> Result<u64, StoryboardError> {
    let timeline = [rep, set]
        .into_iter()
        .filter_map(|n| local(n, "SegmentTemplate"))
        .find_map(|t| local(t, "SegmentTimeline"))
        .ok_or_else(|| track("has neither SegmentTemplate@duration nor a SegmentTimeline"))?;
    let mut lengths = elements(timeline, "S").map(|s| number::<u64>(s.attribute("d"), "S@d"));
    let first = lengths
        .next()
        .transpose()?
        .flatten()
        .ok_or_else(|| track("has an empty SegmentTimeline"))?;
    for d in lengths {
        // The last tile may be shorter: the source ended inside it.
        if d?.is_some_and(|d| d > first) {
            return Err(track("has tiles of different lengths"));
        }
    }
    Ok(first)
}

/// `HH:MM:SS.mmm`.
pub fn timestamp(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn push_cue(vtt: &mut String, start_ms: u64, end_ms: u64, target: &str) {
    vtt.push_str(&format!(
        "\n{} --> {}\n{target}\n",
        timestamp(start_ms),
        timestamp(end_ms)
    ));
}

/// The sprite storyboard: one cue per thumbnail, `tile-url#xywh=x,y,w,h`.
pub fn sprite_vtt(tiles: &ThumbnailTiles, duration_seconds: f64) -> String {
    let mut vtt = String::from("WEBVTT\n");
    for cue in tiles.cues(duration_seconds) {
        let target = format!("{}#xywh={},{},{},{}", cue.url, cue.x, cue.y, cue.w, cue.h);
        push_cue(&mut vtt, cue.start_ms, cue.end_ms, &target);
    }
    vtt
}

/// The single-image storyboard: one cue per frame capture of `series`.
pub fn thumbnail_vtt(series: &ThumbnailSeries, duration_seconds: f64) -> String {
    let mut vtt = String::from("WEBVTT\n");
    let step = u64::from(series.interval_seconds.max(1)) * 1000;
    let duration_ms = (duration_seconds.is_finite() && duration_seconds > 0.0)
        .then(|| (duration_seconds * 1000.0).round() as u64);
    for i in 0..series.count {
        let Some(url) = series.url(i) else { break };
        let start = u64::from(i) * step;
        let mut end = start + step;
        // The last cue (or one past the end) stops at the end of the source, never later
        // than its own interval.
        if let Some(d) = duration_ms.filter(|d| *d > start && *d < end) {
            end = d;
        }
        push_cue(&mut vtt, start, end, &url);
    }
    vtt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_iso_8601() {
        assert_eq!(iso8601_duration_ms("PT25S"), Some(25_000));
        assert_eq!(iso8601_duration_ms("PT1H2M3.5S"), Some(3_723_500));
        assert_eq!(iso8601_duration_ms("P1DT0.001S"), Some(86_400_001));
        assert_eq!(iso8601_duration_ms("PT0H0M6.016S"), Some(6016));
        for odd in ["", "25", "PT5", "PTxS", "P-1D"] {
            assert_eq!(iso8601_duration_ms(odd), None, "{odd}");
        }
    }

    #[test]
    fn numbers_fill_dash_templates() {
        assert_eq!(
            fill_number("t_$Number%05d$.jpg", 7).as_deref(),
            Some("t_00007.jpg")
        );
        assert_eq!(
            fill_number("t$$_$Number$.jpg", 12).as_deref(),
            Some("t$_12.jpg")
        );
        assert_eq!(fill_number("t_$Time$.jpg", 1), None);
        assert_eq!(fill_number("t.jpg", 1), None);
        assert_eq!(fill_number("t_$Number%0xd$.jpg", 1), None);
        assert_eq!(fill_number("t_$Number", 1), None);
    }

    #[test]
    fn single_image_cues_cover_the_duration() {
        let series = ThumbnailSeries {
            url_template: "t.$Number%03d$.jpg".into(),
            count: 3,
            interval_seconds: 10,
            width: None,
            height: None,
        };
        assert_eq!(
            thumbnail_vtt(&series, 25.5),
            "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\nt.000.jpg\n\n00:00:10.000 --> 00:00:20.000\nt.001.jpg\n\n00:00:20.000 --> 00:00:25.500\nt.002.jpg\n"
        );
    }
}

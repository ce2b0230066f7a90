//! The sprite storyboard from DASH thumbnail tracks: a hand-written manifest in the DASH-IF
//! IOP shape, and properties over every grid, size and interval.

use proptest::prelude::*;
use vod_core::storyboard::{Cue, MAX_CUES, StoryboardError, ThumbnailTiles, sprite_vtt};

/// The DASH-IF IOP's thumbnail example (10×1 tiles of 320×180, 125 s a tile), under a BaseURL
/// and next to the video and audio sets a player plays.
const DASH_IF_MPD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011"
     mediaPresentationDuration="PT5M10S" minBufferTime="PT2S">
  <BaseURL>media/</BaseURL>
  <Period id="0" start="PT0S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true">
      <SegmentTemplate media="v_$Number$.m4s" initialization="v_init.mp4" duration="6" startNumber="1"/>
      <Representation id="720p" bandwidth="3000000" width="1280" height="720" codecs="avc1.64001f"/>
    </AdaptationSet>
    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="en">
      <SegmentTemplate media="a_$Number$.m4s" initialization="a_init.mp4" duration="6" startNumber="1"/>
      <Representation id="aac" bandwidth="128000" codecs="mp4a.40.2"/>
    </AdaptationSet>
    <AdaptationSet id="3" mimeType="image/jpeg" contentType="image">
      <SegmentTemplate media="$RepresentationID$/tile_$Number$.jpg" duration="125" startNumber="1"/>
      <Representation bandwidth="10000" id="thumbnails_320x180" width="3200" height="180">
        <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="10x1"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>"#;

#[test]
fn a_dash_if_thumbnail_track_becomes_sprite_cues() -> Result<(), StoryboardError> {
    let tiles = ThumbnailTiles::from_mpd(DASH_IF_MPD, "https://cdn.example/a/b/stream.mpd")?
        .ok_or(StoryboardError::Track("missing".into()))?;
    assert_eq!(
        (tiles.columns, tiles.rows, tiles.width, tiles.height),
        (10, 1, 320, 180)
    );
    assert_eq!(tiles.thumbnail_ms(), 12_500);
    assert_eq!(tiles.presentation_ms, Some(310_000));
    // The source says 320 s, the manifest 310 s: cues stop where the tiles do.
    let cues = tiles.cues(320.0);
    assert_eq!(cues.len(), 25, "ceil(310 / 12.5)");
    let tile = |n| format!("https://cdn.example/a/b/media/thumbnails_320x180/tile_{n}.jpg");
    assert_eq!(
        cues[0],
        Cue {
            start_ms: 0,
            end_ms: 12_500,
            url: tile(1),
            x: 0,
            y: 0,
            w: 320,
            h: 180
        }
    );
    assert_eq!((cues[11].url.as_str(), cues[11].x), (tile(2).as_str(), 320));
    let last = &cues[24];
    assert_eq!(
        (last.start_ms, last.end_ms, last.x),
        (300_000, 310_000, 1280)
    );
    assert_eq!(last.url, tile(3));

    let vtt = sprite_vtt(&tiles, 320.0);
    assert!(
        vtt.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:12.500\n"),
        "{vtt}"
    );
    assert!(
        vtt.ends_with(&format!(
            "\n00:05:00.000 --> 00:05:10.000\n{}#xywh=1280,0,320,180\n",
            tile(3)
        )),
        "{vtt}"
    );
    Ok(())
}

#[test]
fn manifests_without_a_thumbnail_track_give_none() -> Result<(), StoryboardError> {
    let without = DASH_IF_MPD.replace("http://dashif.org/thumbnail_tile", "urn:other");
    assert_eq!(
        ThumbnailTiles::from_mpd(&without, "https://cdn/x.mpd")?,
        None
    );
    let no_period = r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>"#;
    assert_eq!(
        ThumbnailTiles::from_mpd(no_period, "https://cdn/x.mpd")?,
        None
    );
    Ok(())
}

#[test]
fn broken_thumbnail_tracks_are_errors_that_say_what_is_wrong() {
    let cases = [
        ("value=\"10x1\"", "value=\"10\"", "tile grid"),
        ("value=\"10x1\"", "value=\"0x1\"", "tile grid"),
        ("width=\"3200\"", "width=\"5\"", "too small"),
        ("tile_$Number$.jpg", "tile_$Time$.jpg", "$Number$"),
        (
            "duration=\"125\" startNumber",
            "startNumber",
            "SegmentTimeline",
        ),
        ("duration=\"125\"", "duration=\"0\"", "millisecond"),
    ];
    for (from, to, says) in cases {
        let mpd = DASH_IF_MPD.replacen(from, to, 1);
        let err = ThumbnailTiles::from_mpd(&mpd, "https://cdn/x.mpd").map(|_| ());
        assert!(
            matches!(&err, Err(e) if e.to_string().contains(says)),
            "{to}: {err:?}"
        );
    }
    assert!(matches!(
        ThumbnailTiles::from_mpd("<MPD", "https://cdn/x.mpd"),
        Err(StoryboardError::Xml(_))
    ));
    assert!(matches!(
        ThumbnailTiles::from_mpd(DASH_IF_MPD, "stream.mpd"),
        Err(StoryboardError::BaseUrl(_))
    ));
}

#[test]
fn a_uniform_segment_timeline_numbers_tiles_like_a_duration() -> Result<(), StoryboardError> {
    let mpd = DASH_IF_MPD.replace(
        r#"<SegmentTemplate media="$RepresentationID$/tile_$Number$.jpg" duration="125" startNumber="1"/>"#,
        r#"<SegmentTemplate media="t_$Number%03d$.jpg" timescale="1000" startNumber="0"><SegmentTimeline><S t="0" d="125000" r="1"/><S d="60000"/></SegmentTimeline></SegmentTemplate>"#,
    );
    let tiles = ThumbnailTiles::from_mpd(&mpd, "https://cdn/a/stream.mpd")?
        .ok_or(StoryboardError::Track("missing".into()))?;
    assert_eq!(tiles.thumbnail_ms(), 12_500);
    assert_eq!(
        tiles.tile_url(2).as_deref(),
        Some("https://cdn/a/media/t_002.jpg")
    );
    Ok(())
}

fn mpd(
    columns: u32,
    rows: u32,
    w: u32,
    h: u32,
    duration: u64,
    timescale: u64,
    total_ms: u64,
) -> String {
    format!(
        r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT{}.{:03}S"><Period>
<AdaptationSet contentType="image" mimeType="image/jpeg"><SegmentTemplate media="tile_$Number%05d$.jpg" duration="{duration}" timescale="{timescale}" startNumber="1"/>
<Representation id="t" bandwidth="1" width="{}" height="{}"><EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="{columns}x{rows}"/></Representation>
</AdaptationSet></Period></MPD>"#,
        total_ms / 1000,
        total_ms % 1000,
        columns * w,
        rows * h
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every cue lies inside its tile image and inside a tile that exists, cues are ordered
    /// and contiguous from 0 to the end, and there are ceil(duration / interval) of them.
    #[test]
    fn cues_tile_the_duration(
        columns in 1u32..=12,
        rows in 1u32..=12,
        w in 2u32..400,
        h in 2u32..300,
        thumb_ms in 1000u64..30_000,
        total_ms in 1u64..4 * 3_600_000,
        source_extra_ms in 0u64..5000,
    ) {
        let per_tile = u64::from(columns * rows);
        let text = mpd(columns, rows, w, h, thumb_ms * per_tile, 1000, total_ms);
        let tiles = ThumbnailTiles::from_mpd(&text, "https://cdn/a/stream.mpd")
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .ok_or_else(|| TestCaseError::fail("no track"))?;
        let source_seconds = (total_ms + source_extra_ms) as f64 / 1000.0;
        let cues = tiles.cues(source_seconds);
        let expected = total_ms.div_ceil(thumb_ms).min(MAX_CUES);
        prop_assert_eq!(cues.len() as u64, expected);
        let tiles_that_exist = total_ms.div_ceil(thumb_ms * per_tile);
        prop_assert_eq!(cues[0].start_ms, 0);
        prop_assert_eq!(cues[cues.len() - 1].end_ms, total_ms);
        for (i, cue) in cues.iter().enumerate() {
            prop_assert!(cue.start_ms < cue.end_ms, "{cue:?}");
            prop_assert!(cue.x + cue.w <= columns * w && cue.y + cue.h <= rows * h, "{cue:?}");
            prop_assert_eq!((cue.w, cue.h), (w, h));
            let number: u64 = cue.url.trim_start_matches("https://cdn/a/tile_")
                .trim_end_matches(".jpg").parse().map_err(|_| TestCaseError::fail(cue.url.clone()))?;
            prop_assert!((1..=tiles_that_exist).contains(&number), "{} of {tiles_that_exist}", cue.url);
            prop_assert_eq!(number, i as u64 / per_tile + 1);
            if let Some(next) = cues.get(i + 1) {
                prop_assert_eq!(cue.end_ms, next.start_ms);
            }
        }
    }
}

/// The MPD the local MediaConvert twin wrote for the 10 s 1080p clip with the default ladder
/// (`VOD_BLESS=1 cargo test -p vod-mediaconvert-local the_job_our_builder_emits` rewrites it).
#[test]
fn the_twins_manifest_gives_sprite_cues() -> Result<(), StoryboardError> {
    let path = vod_testkit::repo_root().join("crates/vod-core/tests/fixtures/twin-stream.mpd");
    let mpd = std::fs::read_to_string(&path).map_err(|e| StoryboardError::Xml(e.to_string()))?;
    let tiles = ThumbnailTiles::from_mpd(&mpd, "http://127.0.0.1:4566/assets/ASSET/stream.mpd")?
        .ok_or(StoryboardError::Track("missing".into()))?;
    assert_eq!(
        (tiles.columns, tiles.rows, tiles.width, tiles.height),
        (10, 10, 160, 90)
    );
    assert_eq!(tiles.presentation_ms, Some(10_000));
    let vtt = sprite_vtt(&tiles, 10.0);
    assert_eq!(
        vtt,
        "WEBVTT\n\n00:00:00.000 --> 00:00:10.000\n\
         http://127.0.0.1:4566/assets/ASSET/stream_thumbnails_160x90_00001.jpg#xywh=0,0,160,90\n"
    );
    Ok(())
}

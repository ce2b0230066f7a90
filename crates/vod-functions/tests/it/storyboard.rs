//! The storyboard the completion handler writes: sprites when the DASH manifest has a
//! thumbnail track, single frame captures when it has none or one that cannot be read.

use crate::flow::transcoding;
use crate::*;
use vod_core::AssetStatus;
use vod_functions::completion_handler;

/// A thumbnail track as the DASH-IF IOP describes it: 2×2 tiles of 160×90, a second each.
const TRACK: &str = r#"<AdaptationSet id="9" contentType="image" mimeType="image/jpeg">
      <SegmentTemplate media="sprites/stream_$RepresentationID$_$Number%05d$.jpg" duration="4" startNumber="1"/>
      <Representation id="thumbs" bandwidth="8000" width="320" height="180">
        <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="2x2"/>
      </Representation>
    </AdaptationSet>"#;

fn manifest(track: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT20S">
  <Period>
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4">
      <Representation id="0" bandwidth="1000000" width="640" height="360"/>
    </AdaptationSet>
    {track}
  </Period>
</MPD>"#
    )
    .into_bytes()
}

/// Completes a job whose DASH manifest is `mpd` (none stored for `None`); the storyboard.
async fn storyboard_after(mpd: Option<Vec<u8>>) -> (String, f64) {
    let p = Pipeline::new();
    let (id, job_id) = transcoding(&p).await;
    if let Some(mpd) = mpd {
        p.reader
            .insert(OUTPUT_BUCKET, &format!("assets/{id}/stream.mpd"), mpd);
    }
    let event = job_event("mediaconvert-complete.json", id.as_str(), &job_id);
    completion_handler::handle(&p.completion, event)
        .await
        .unwrap();
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Complete);
    assert_eq!(
        record.playback.unwrap().storyboard_url,
        Some(format!("{CDN}/assets/{id}/storyboard.vtt"))
    );
    let (_, vtt) = p
        .writer
        .file(OUTPUT_BUCKET, &format!("assets/{id}/storyboard.vtt"))
        .unwrap();
    let duration = record.probe.unwrap().duration_seconds.unwrap();
    (String::from_utf8(vtt).unwrap(), duration)
}

#[tokio::test]
async fn a_thumbnail_track_in_the_dash_manifest_gives_sprite_cues() {
    let (vtt, duration) = storyboard_after(Some(manifest(TRACK))).await;
    let targets: Vec<&str> = vtt.lines().filter(|l| l.starts_with("https://")).collect();
    assert_eq!(targets.len() as f64, duration.ceil(), "{vtt}");
    // Tile URLs come from the manifest's SegmentTemplate, beside the manifest on the CDN.
    assert!(
        targets[0].ends_with("/sprites/stream_thumbs_00001.jpg#xywh=0,0,160,90"),
        "{vtt}"
    );
    assert!(
        targets[1].ends_with("/sprites/stream_thumbs_00001.jpg#xywh=160,0,160,90"),
        "{vtt}"
    );
    assert!(
        vtt.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n"),
        "{vtt}"
    );
    assert!(!vtt.contains("thumb.0000"), "{vtt}");
}

#[tokio::test]
async fn without_a_usable_thumbnail_track_the_storyboard_shows_single_captures() {
    let broken = TRACK.replace("value=\"2x2\"", "value=\"two by two\"");
    for mpd in [None, Some(manifest("")), Some(manifest(&broken))] {
        let (vtt, _) = storyboard_after(mpd).await;
        assert!(
            vtt.starts_with("WEBVTT") && vtt.contains("/thumbs/thumb.0000000.jpg\n"),
            "{vtt}"
        );
        assert!(!vtt.contains("#xywh"), "{vtt}");
    }
}

/// A manifest store that is down: every read is a transient failure.
struct Unavailable;

#[async_trait::async_trait]
impl vod_core::ports::MediaReader for Unavailable {
    async fn stat(
        &self,
        _: &str,
        _: &str,
    ) -> vod_core::ports::PortResult<Option<vod_core::ports::ObjectMeta>> {
        Err(vod_core::ports::PortError::transient("SlowDown"))
    }

    async fn read_range(
        &self,
        _: &str,
        _: &str,
        _: &vod_core::ports::ObjectVersion,
        _: u64,
        _: u64,
    ) -> vod_core::ports::PortResult<Vec<u8>> {
        Err(vod_core::ports::PortError::transient("SlowDown"))
    }
}

#[tokio::test]
async fn a_transient_manifest_read_fails_the_event_for_a_retry_and_completes_nothing() {
    let mut p = Pipeline::new();
    p.completion.manifests = std::sync::Arc::new(Unavailable);
    let (id, job_id) = transcoding(&p).await;
    let event = job_event("mediaconvert-complete.json", id.as_str(), &job_id);
    let err = completion_handler::handle(&p.completion, event.clone())
        .await
        .unwrap_err();
    assert!(err.message.contains("DASH manifest"), "{err:?}");
    assert_eq!(
        p.store.record(&id).unwrap().status,
        AssetStatus::Transcoding
    );
    assert!(p.callback.calls().is_empty());

    // The redelivery, once the store answers, writes the sprite storyboard.
    p.completion.manifests = p.reader.clone();
    p.reader.insert(
        OUTPUT_BUCKET,
        &format!("assets/{id}/stream.mpd"),
        manifest(TRACK),
    );
    completion_handler::handle(&p.completion, event)
        .await
        .unwrap();
    assert_eq!(p.store.record(&id).unwrap().status, AssetStatus::Complete);
    let (_, vtt) = p
        .writer
        .file(OUTPUT_BUCKET, &format!("assets/{id}/storyboard.vtt"))
        .unwrap();
    assert!(String::from_utf8(vtt).unwrap().contains("#xywh="));
}

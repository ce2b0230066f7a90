//! completion-handler: MediaConvert job events → progress, outputs, playback URLs and the
//! storyboard on the record, and the answer to the paused Transcode state.
//!
//! STATUS_UPDATE/PROGRESSING → progress % and a heartbeat; COMPLETE → outputs from
//! `outputGroupDetails` (never guessed file names), playback URLs, storyboard, then
//! `SendTaskSuccess` (`SendTaskFailure` with `Vod.TooLarge` when the record or the
//! `asset.completed` event would exceed DynamoDB's or SNS's size limit); ERROR/CANCELED →
//! `SendTaskFailure` with `MediaConvert.JobFailed` / `MediaConvert.JobCanceled` and
//! MediaConvert's code and message. Events for jobs we do not know are logged and ignored.
//! Redelivered events are harmless. A schedule's "Scheduled Event" runs the
//! [`crate::queue_keeper`] instead.

use crate::HandlerError;
use crate::inbound_events::{MediaConvertJobEvent, MediaConvertJobStateChange, VideoDetails};
use crate::read_modify_write::{Change, modify};
use serde::Serialize;
use std::sync::Arc;
use vod_core::event::{EventType, PipelineEvent};
use vod_core::job::{
    JobStatus, POSTER_PATH, STORYBOARD_FILE, THUMBNAILS_PATH, USER_METADATA_ASSET_ID, asset_prefix,
};
use vod_core::ladder::ThumbnailPlan;
use vod_core::limits;
use vod_core::ports::{
    AssetStore, Clock, JobQueue, MediaReader, ObjectVersion, OutputWriter, PortErrorKind,
    TaskCallback, Transcoder,
};
use vod_core::probe::MAX_SOURCE_DURATION_SECONDS;
use vod_core::record::{AssetRecord, Playback, Rendition, RenditionKind, ThumbnailSeries};
use vod_core::storyboard::{ThumbnailTiles, sprite_vtt, thumbnail_vtt};
use vod_core::{AssetId, AssetStatus, error_names};

#[derive(Debug, Clone, PartialEq)]
pub struct CompletionSettings {
    pub output_bucket: String,
    pub output_prefix: String,
    /// e.g. `https://d111.cloudfront.net` (no trailing slash).
    pub cdn_base_url: String,
}

#[derive(Clone)]
pub struct CompletionDeps {
    pub store: Arc<dyn AssetStore>,
    pub callback: Arc<dyn TaskCallback>,
    pub writer: Arc<dyn OutputWriter>,
    /// Reads the DASH manifest the job wrote (its thumbnail track names the sprites).
    pub manifests: Arc<dyn MediaReader>,
    pub clock: Arc<dyn Clock>,
    /// Cancels a job that no live record takes (an extra job, or one whose asset already
    /// ended), so it stops writing into the asset's outputs and billing.
    pub transcoder: Arc<dyn Transcoder>,
    /// This pipeline's jobs waiting in the queue (for [`crate::queue_keeper`]).
    pub queue: Arc<dyn JobQueue>,
    pub settings: CompletionSettings,
}

/// What the handler did with an event (returned for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionOutcome {
    pub action: CompletionAction,
    pub detail: String,
}

/// What the completion handler did (serde: `progress`, `completed`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CompletionAction {
    /// Progress recorded and the task heartbeated.
    Progress,
    /// Outputs recorded and the task answered with success.
    Completed,
    /// The task answered with the job's failure.
    Failed,
    /// Nothing to do (a job the asset does not wait on, a closed task, an event we skip).
    Ignored,
    /// A job no record takes was cancelled.
    Cancelled,
    /// The queue keeper heartbeated queued jobs.
    Heartbeat,
}

fn outcome(action: CompletionAction, detail: impl Into<String>) -> CompletionOutcome {
    CompletionOutcome {
        action,
        detail: detail.into(),
    }
}

pub async fn handle(
    deps: &CompletionDeps,
    payload: serde_json::Value,
) -> Result<CompletionOutcome, HandlerError> {
    if crate::queue_keeper::is_tick(&payload) {
        return crate::queue_keeper::keep_queued_alive(deps).await;
    }
    let event: MediaConvertJobEvent = serde_json::from_value(payload).map_err(|e| {
        HandlerError::invalid_input(format!("not a MediaConvert job state change event: {e}"))
    })?;
    let job = &event.detail;
    let Some(asset_id) = job
        .user_metadata
        .get(USER_METADATA_ASSET_ID)
        .and_then(|id| AssetId::parse(id).ok())
    else {
        tracing::warn!(job_id = %job.job_id, "job event without our asset id: ignored");
        return Ok(outcome(
            CompletionAction::Ignored,
            "no asset id in userMetadata",
        ));
    };
    let record = deps
        .store
        .get(&asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?;
    let Some(record) = record else {
        tracing::warn!(job_id = %job.job_id, asset_id = %asset_id, "job event for an unknown asset: ignored");
        return Ok(outcome(CompletionAction::Ignored, "unknown asset"));
    };
    let recorded = record.job.as_ref().is_some_and(|j| j.job_id == job.job_id);
    // A COMPLETE record still answers its job's redelivered COMPLETE (the task may not have
    // heard); a failed or rejected one waits on no job at all.
    let ended = record.status.is_final() && record.status != AssetStatus::Complete;
    if !recorded || ended {
        return stray_job(deps, &record, job).await;
    }
    let Some(job_ref) = record.job.clone() else {
        return Ok(outcome(CompletionAction::Ignored, "unknown job"));
    };

    match job.status.as_str() {
        "PROGRESSING" | "STATUS_UPDATE" => progress(deps, &record, job, &job_ref.task_token).await,
        "COMPLETE" => complete(deps, &record, job, &job_ref.task_token).await,
        "ERROR" => {
            let cause = format!(
                "MediaConvert job {} failed with error {}: {}",
                job.job_id,
                job.error_code
                    .map_or_else(|| "?".to_owned(), |c| c.to_string()),
                job.error_message.as_deref().unwrap_or("no message")
            );
            fail(
                deps,
                &job_ref.task_token,
                error_names::MEDIACONVERT_JOB_FAILED,
                &cause,
            )
            .await
        }
        "CANCELED" => {
            let cause = format!("MediaConvert job {} was canceled", job.job_id);
            fail(
                deps,
                &job_ref.task_token,
                error_names::MEDIACONVERT_JOB_CANCELED,
                &cause,
            )
            .await
        }
        other => Ok(outcome(
            CompletionAction::Ignored,
            format!("status {other}"),
        )),
    }
}

/// An event from a job the record does not wait on. A job that is still running is
/// cancelled when the asset has ended or records another job (an extra job would write into
/// the same outputs and bill twice); while a submission is in flight (PROBED), its job's first
/// events may come before job-submit records it, so they are only ignored.
async fn stray_job(
    deps: &CompletionDeps,
    record: &AssetRecord,
    job: &MediaConvertJobStateChange,
) -> Result<CompletionOutcome, HandlerError> {
    let running = JobStatus::parse(&job.status).is_none_or(|s| !s.is_final());
    let unwanted =
        record.status.is_final() || record.job.as_ref().is_some_and(|j| j.job_id != job.job_id);
    if !(running && unwanted) {
        tracing::info!(job_id = %job.job_id, asset_id = %record.asset_id, status = %job.status, "event for a job this asset does not wait on: ignored");
        return Ok(outcome(
            CompletionAction::Ignored,
            "a job this asset does not wait on",
        ));
    }
    let cancelled = deps
        .transcoder
        .cancel(&job.job_id)
        .await
        .map_err(|e| HandlerError::from_port("cancelling a job no record takes", e))?;
    tracing::warn!(job_id = %job.job_id, asset_id = %record.asset_id, asset_status = %record.status, ?cancelled, "job no record takes: cancelled");
    Ok(outcome(
        CompletionAction::Cancelled,
        format!(
            "job {} runs for a {} asset that does not wait on it",
            job.job_id, record.status
        ),
    ))
}

/// Callback errors that mean "the task is already closed" (timed out, answered): nothing to do.
fn closed_task(kind: PortErrorKind) -> bool {
    kind == PortErrorKind::NotFound
}

async fn progress(
    deps: &CompletionDeps,
    record: &AssetRecord,
    job: &MediaConvertJobStateChange,
    token: &str,
) -> Result<CompletionOutcome, HandlerError> {
    if record.status != AssetStatus::Transcoding {
        return Ok(outcome(
            CompletionAction::Ignored,
            format!("progress for a {} asset", record.status),
        ));
    }
    let percent = job
        .job_progress
        .as_ref()
        .and_then(|p| p.job_percent_complete)
        .map(|p| p.min(99));
    if let Some(percent) = percent {
        modify(
            deps.store.as_ref(),
            deps.clock.as_ref(),
            &record.asset_id,
            |r| {
                let newer = r.status == AssetStatus::Transcoding
                    && r.progress_percent.is_none_or(|old| percent > old);
                if newer {
                    r.progress_percent = Some(percent);
                    Ok(Change::Write)
                } else {
                    Ok(Change::Keep)
                }
            },
        )
        .await?;
    }
    if let Err(e) = deps.callback.heartbeat(token).await
        && !closed_task(e.kind)
    {
        return Err(HandlerError::from_port("sending the task heartbeat", e));
    }
    Ok(outcome(
        CompletionAction::Progress,
        format!("{}%", percent.unwrap_or(0)),
    ))
}

async fn fail(
    deps: &CompletionDeps,
    token: &str,
    error: &str,
    cause: &str,
) -> Result<CompletionOutcome, HandlerError> {
    tracing::warn!(error, cause, "transcode failed");
    match deps.callback.fail(token, error, cause).await {
        Ok(()) => Ok(outcome(CompletionAction::Failed, cause)),
        // The cause stays in the outcome: the reconciler fails an asset nobody waits for with it.
        Err(e) if closed_task(e.kind) => Ok(outcome(
            CompletionAction::Ignored,
            format!("the task was already closed: {cause}"),
        )),
        Err(e) => Err(HandlerError::from_port("SendTaskFailure", e)),
    }
}

/// What a COMPLETE event says was written.
#[derive(Debug, Default)]
struct Outputs<'a> {
    hls: Option<String>,
    dash: Option<String>,
    poster: Option<String>,
    /// Last thumbnail MediaConvert reported (it reports only the last capture), and its size.
    last_thumbnail: Option<(String, Option<&'a VideoDetails>)>,
    mp4: Option<String>,
    files: Vec<String>,
    renditions: Vec<Rendition>,
}

fn read_outputs(job: &MediaConvertJobStateChange) -> Outputs<'_> {
    let mut out = Outputs::default();
    for group in &job.output_group_details {
        for playlist in &group.playlist_file_paths {
            out.files.push(playlist.clone());
            if playlist.ends_with(".m3u8") {
                out.hls.get_or_insert_with(|| playlist.clone());
            } else if playlist.ends_with(".mpd") {
                out.dash.get_or_insert_with(|| playlist.clone());
            }
        }
        for detail in &group.output_details {
            out.files.extend(detail.output_file_paths.iter().cloned());
            for path in &detail.output_file_paths {
                if path.contains(&format!("/{POSTER_PATH}")) {
                    out.poster = Some(path.clone());
                } else if path.contains(&format!("/{THUMBNAILS_PATH}")) {
                    out.last_thumbnail = Some((path.clone(), detail.video_details.as_ref()));
                } else if path.ends_with(".mp4") {
                    out.mp4 = Some(path.clone());
                }
            }
            let is_capture = detail.output_file_paths.iter().any(|p| p.ends_with(".jpg"));
            if is_capture {
                continue;
            }
            let video = detail
                .video_details
                .as_ref()
                .filter(|v| v.width_in_px.unwrap_or(0) > 0);
            out.renditions.push(Rendition {
                kind: if video.is_some() {
                    RenditionKind::Video
                } else {
                    RenditionKind::Audio
                },
                width: video.and_then(|v| v.width_in_px),
                height: video.and_then(|v| v.height_in_px),
                max_bitrate_bps: video.and_then(|v| v.average_bitrate),
                duration_ms: detail.duration_in_ms,
                files: detail.output_file_paths.clone(),
            });
        }
    }
    out
}

/// `…/thumb.0000003.jpg` → (`…/thumb.$Number%07d$.jpg`, 4): the series a last capture ends,
/// at most `limit` long (what the job can have written: the event's number is not trusted).
fn thumbnail_series(last: &str, limit: u32) -> Option<(String, u32)> {
    let (base, number) = last.strip_suffix(".jpg")?.rsplit_once('.')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count = number
        .parse::<u32>()
        .map_or(u32::MAX, |n| n.saturating_add(1));
    Some((
        format!("{base}.{}.jpg", ThumbnailSeries::placeholder(number.len())),
        count.min(limit),
    ))
}

/// The DASH manifest is read up to this many bytes: MediaConvert's (a SegmentTemplate per
/// set) is a few KB, the twin's (a SegmentTimeline) well under this for 48 h of source.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// The sprite storyboard from the thumbnail track of the DASH manifest at `dash` (an
/// `s3://` URI the job reported), or `None` when there is none to use: no manifest in the
/// output bucket, no thumbnail track (trick play off), or one this pipeline cannot read. A
/// transient read failure is an error (the event is retried); any other failure is logged
/// and the single-image storyboard is written instead: a storyboard is no reason to fail a
/// completed transcode.
async fn sprite_storyboard(
    deps: &CompletionDeps,
    dash: &str,
    dash_url: &str,
    duration: f64,
) -> Result<Option<String>, HandlerError> {
    let bucket = &deps.settings.output_bucket;
    let Some(key) = dash.strip_prefix(&format!("s3://{bucket}/")) else {
        return Ok(None);
    };
    let mpd = match deps
        .manifests
        .read_range(bucket, key, &ObjectVersion::ANY, 0, MAX_MANIFEST_BYTES)
        .await
    {
        Ok(bytes) => bytes,
        Err(e) if e.kind == PortErrorKind::Transient => {
            return Err(HandlerError::from_port("reading the DASH manifest", e));
        }
        Err(e) => {
            tracing::warn!(key, error = %e, "DASH manifest unreadable: single-image storyboard");
            return Ok(None);
        }
    };
    let tiles = std::str::from_utf8(&mpd)
        .map_err(|e| vod_core::storyboard::StoryboardError::Xml(e.to_string()))
        .and_then(|text| ThumbnailTiles::from_mpd(text, dash_url));
    match tiles {
        Ok(Some(tiles)) => Ok(Some(sprite_vtt(&tiles, duration))),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::warn!(key, error = %e, "no sprite storyboard: single-image storyboard");
            Ok(None)
        }
    }
}

async fn complete(
    deps: &CompletionDeps,
    record: &AssetRecord,
    job: &MediaConvertJobStateChange,
    token: &str,
) -> Result<CompletionOutcome, HandlerError> {
    let settings = &deps.settings;
    if !matches!(
        record.status,
        AssetStatus::Transcoding | AssetStatus::Complete
    ) {
        return Ok(outcome(
            CompletionAction::Ignored,
            format!("COMPLETE for a {} asset", record.status),
        ));
    }
    let to_url = |s3_uri: &str| -> String {
        let prefix = format!("s3://{}/", settings.output_bucket);
        match s3_uri.strip_prefix(&prefix) {
            Some(key) => format!("{}/{key}", settings.cdn_base_url),
            None => s3_uri.to_owned(),
        }
    };
    let outputs = read_outputs(job);
    if outputs.hls.is_none() && outputs.dash.is_none() {
        let cause = format!(
            "MediaConvert job {} completed without any HLS or DASH manifest",
            job.job_id
        );
        return fail(deps, token, error_names::MEDIACONVERT_JOB_FAILED, &cause).await;
    }
    let planned = record.ladder.as_ref().and_then(|l| l.thumbnails.as_ref());
    let interval = planned.map_or(10, |t| t.interval_seconds);
    let duration = record
        .probe
        .as_ref()
        .and_then(|p| p.duration_seconds)
        .or_else(|| {
            outputs
                .renditions
                .iter()
                .find_map(|r| r.duration_ms)
                .map(|ms| ms as f64 / 1000.0)
        })
        .unwrap_or(0.0);
    // No more thumbnails than a source of the longest accepted duration yields, whatever the
    // event's last file name says: the count sizes the storyboard this Lambda writes.
    let limit = ThumbnailPlan::captures_within(MAX_SOURCE_DURATION_SECONDS, interval);
    let thumbnail_series = outputs.last_thumbnail.as_ref().and_then(|(last, size)| {
        let (template, count) = thumbnail_series(last, limit)?;
        Some(ThumbnailSeries {
            url_template: to_url(&template),
            count,
            interval_seconds: interval,
            width: size
                .and_then(|v| v.width_in_px)
                .or(planned.map(|t| t.width)),
            height: size
                .and_then(|v| v.height_in_px)
                .or(planned.map(|t| t.height)),
        })
    });

    let sprites = match &outputs.dash {
        Some(dash) => sprite_storyboard(deps, dash, &to_url(dash), duration).await?,
        None => None,
    };
    let storyboard = sprites.or_else(|| {
        thumbnail_series
            .as_ref()
            .map(|s| thumbnail_vtt(s, duration))
    });
    let mut storyboard_url = None;
    if let Some(vtt) = storyboard {
        let key = format!(
            "{}{STORYBOARD_FILE}",
            asset_prefix(&settings.output_prefix, &record.asset_id)
        );
        deps.writer
            .put(&settings.output_bucket, &key, "text/vtt", vtt.into_bytes())
            .await
            .map_err(|e| HandlerError::from_port("writing the storyboard", e))?;
        storyboard_url = Some(format!("{}/{key}", settings.cdn_base_url));
    }
    let playback = Playback {
        hls_url: outputs.hls.as_deref().map(to_url),
        dash_url: outputs.dash.as_deref().map(to_url),
        poster_url: outputs.poster.as_deref().map(to_url),
        thumbnail_series,
        storyboard_url,
        mp4_url: outputs.mp4.as_deref().map(to_url),
    };

    let at = deps.clock.now();
    let mut completed = |r: &mut AssetRecord| {
        if r.status != AssetStatus::Transcoding {
            return Ok(Change::Keep);
        }
        r.outputs = outputs.files.clone();
        r.renditions = outputs.renditions.clone();
        r.playback = Some(playback.clone());
        r.progress_percent = Some(100);
        r.transition(AssetStatus::Complete, at, None)
            .map_err(|e| HandlerError::internal(e.to_string()))?;
        Ok(Change::Write)
    };
    // The record as it would be, and the asset.completed event the notifier will publish from
    // it: a job whose outputs do not fit fails now, with the sizes, rather than as a refused
    // write or publish that leaves the task waiting.
    let mut candidate = record.clone();
    if completed(&mut candidate)? == Change::Write {
        let event = PipelineEvent::from_record(EventType::Completed, &candidate, at);
        if let Err(too_large) =
            limits::check_record(&candidate, &[]).and_then(|_| limits::check_event(&event))
        {
            let cause = format!("MediaConvert job {} completed, but {too_large}", job.job_id);
            return fail(deps, token, error_names::TOO_LARGE, &cause).await;
        }
    }
    let written = modify(
        deps.store.as_ref(),
        deps.clock.as_ref(),
        &record.asset_id,
        &mut completed,
    )
    .await;
    let record = match written {
        // The store measured more than the estimate (its own index attributes).
        Err(e) if e.error_type == error_names::TOO_LARGE => {
            let cause = format!(
                "MediaConvert job {} completed, but {}",
                job.job_id, e.message
            );
            return fail(deps, token, error_names::TOO_LARGE, &cause).await;
        }
        written => written?,
    };
    if record.status != AssetStatus::Complete {
        return Ok(outcome(
            CompletionAction::Ignored,
            format!("asset became {} meanwhile", record.status),
        ));
    }
    let answer = serde_json::json!({
        "assetId": record.asset_id,
        "jobId": job.job_id,
        "hlsUrl": playback.hls_url,
        "dashUrl": playback.dash_url,
    });
    match deps.callback.succeed(token, &answer).await {
        Ok(()) => {}
        // Already answered (a redelivered COMPLETE) or timed out: the record holds the truth.
        Err(e) if closed_task(e.kind) => {
            tracing::warn!(asset_id = %record.asset_id, "task already closed")
        }
        Err(e) => return Err(HandlerError::from_port("SendTaskSuccess", e)),
    }
    tracing::info!(asset_id = %record.asset_id, job_id = %job.job_id, "complete");
    Ok(outcome(CompletionAction::Completed, job.job_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_capture_names_its_series_up_to_the_limit() {
        assert_eq!(
            thumbnail_series("s3://o/a/thumbs/thumb.0000002.jpg", 10),
            Some(("s3://o/a/thumbs/thumb.$Number%07d$.jpg".to_owned(), 3))
        );
        assert_eq!(
            thumbnail_series("t.9999999.jpg", 2),
            Some(("t.$Number%07d$.jpg".to_owned(), 2))
        );
        assert_eq!(
            thumbnail_series("t.99999999999.jpg", 5),
            Some(("t.$Number%011d$.jpg".to_owned(), 5))
        );
        for odd in ["x.jpg", "t.+1.jpg", "t.0001.png", "t..jpg"] {
            assert_eq!(thumbnail_series(odd, 10), None, "{odd}");
        }
    }
}

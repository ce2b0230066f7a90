//! The twin: [`TwinConfig`] and its job manager — job table, queue, and the worker that runs one
//! job end to end.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::error::{JobFailure, TwinError};
use crate::events::{self, EventSender, Phase};
use crate::ffmpeg::{self, RunOutcome};
use crate::input;
use crate::job::{JobRecord, JobStatus, StateDir};
use crate::package;
use crate::plan::{EncoderOptions, JobPlan, S3Location, ffmpeg_plan_for};

/// How the twin runs. `Default` is the local-development setup.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    /// Root of the twin's state; jobs and request bodies live in `<state_dir>/mediaconvert/`.
    pub state_dir: PathBuf,
    /// Region used in ARNs and events.
    pub region: String,
    /// Account id used in ARNs and events.
    pub account_id: String,
    /// Jobs transcoding at once; the rest wait in SUBMITTED.
    pub max_concurrent_jobs: usize,
    /// x264 preset for every video encode.
    pub x264_preset: String,
    /// SVT-AV1 preset of AV1 outputs (`VOD_MEDIACONVERT_SVTAV1_PRESET`).
    pub svtav1_preset: u8,
    /// QVBR as a VMAF target: search each rung's CRF on sampled chunks with libvmaf
    /// (`VOD_MEDIACONVERT_QUALITY_SEARCH`) instead of the level's fixed CRF.
    pub quality_search: bool,
    /// STATUS_UPDATE period (the job's `statusUpdateInterval` is ignored locally).
    pub status_update_interval: Duration,
    /// AWS SDK configuration for S3 and EventBridge; `None` loads it from the environment
    /// (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_EVENTBRIDGE`, credentials,
    /// region).
    pub sdk_config: Option<aws_config::SdkConfig>,
    /// S3 endpoint override (path-style addressing is always used).
    pub s3_endpoint: Option<String>,
    /// EventBridge endpoint override.
    pub events_endpoint: Option<String>,
    /// Whether to send job events at all.
    pub send_events: bool,
    /// Event bus for PutEvents.
    pub event_bus_name: String,
    /// ffmpeg binary; `None` uses [`crate::find_ffmpeg`].
    pub ffmpeg: Option<PathBuf>,
}

impl Default for TwinConfig {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from(".vod"),
            region: "us-east-1".to_owned(),
            account_id: "000000000000".to_owned(),
            max_concurrent_jobs: 1,
            x264_preset: "veryfast".to_owned(),
            svtav1_preset: crate::plan::DEFAULT_SVTAV1_PRESET,
            quality_search: false,
            status_update_interval: Duration::from_secs(3),
            sdk_config: None,
            s3_endpoint: None,
            events_endpoint: None,
            send_events: true,
            event_bus_name: "default".to_owned(),
            ffmpeg: None,
        }
    }
}

/// A job known to the twin: its record and, while it can still be canceled, the switch
/// that cancels it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub record: JobRecord,
    pub cancel: Option<watch::Sender<bool>>,
}

/// The twin's job manager: the job table, the queue that lets `max_concurrent_jobs` run, the
/// workers and the clients they use. The API handlers and [`crate::MediaConvertTwin`] share it.
#[derive(Debug)]
pub(crate) struct JobManager {
    pub config: TwinConfig,
    pub state: StateDir,
    pub jobs: Mutex<HashMap<String, Entry>>,
    pub queue: Arc<Semaphore>,
    pub s3: aws_sdk_s3::Client,
    pub events: EventSender,
    pub ffmpeg: PathBuf,
    pub workers: Mutex<JoinSet<()>>,
    pub shutting_down: watch::Sender<bool>,
}

impl JobManager {
    pub async fn start(config: TwinConfig) -> Result<Arc<Self>, TwinError> {
        let ffmpeg = match &config.ffmpeg {
            Some(p) => p.clone(),
            None => ffmpeg::find_ffmpeg()?,
        };
        let state = StateDir::new(&config.state_dir);
        state.create().map_err(|source| TwinError::StateDir {
            path: config.state_dir.clone(),
            source,
        })?;
        let sdk = match &config.sdk_config {
            Some(c) => c.clone(),
            None => aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await,
        };
        let mut s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true);
        if let Some(e) = &config.s3_endpoint {
            s3 = s3.endpoint_url(e);
        }
        let mut eb = aws_sdk_eventbridge::config::Builder::from(&sdk);
        if let Some(e) = &config.events_endpoint {
            eb = eb.endpoint_url(e);
        }
        let events = EventSender::new(
            config
                .send_events
                .then(|| aws_sdk_eventbridge::Client::from_conf(eb.build())),
            config.event_bus_name.clone(),
        );
        let manager = Arc::new(Self {
            queue: Arc::new(Semaphore::new(config.max_concurrent_jobs.max(1))),
            config,
            state,
            jobs: Mutex::new(HashMap::new()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            events,
            ffmpeg,
            workers: Mutex::new(JoinSet::new()),
            shutting_down: watch::channel(false).0,
        });
        manager.recover();
        Ok(manager)
    }

    /// Loads stored jobs; jobs that were in flight when the twin stopped become ERROR (and
    /// say so in an ERROR event, so a waiting pipeline does not wait forever).
    fn recover(self: &Arc<Self>) {
        let mut jobs = self.lock();
        for mut record in self.state.load_all() {
            if !record.status.is_final() {
                record.status = JobStatus::Error;
                record.error_code = Some(1999);
                record.error_message = Some(
                    "the local MediaConvert twin restarted while this job was in flight; resubmit the job"
                        .to_owned(),
                );
                record.finish_time = Some(chrono::Utc::now().timestamp());
                if let Err(e) = self.state.save(&record) {
                    tracing::warn!(job = %record.id, error = %e, "could not store recovered job");
                }
                let this = Arc::clone(self);
                let rec = record.clone();
                self.spawn(async move {
                    let detail = events::error(
                        &rec,
                        &this.config.account_id,
                        1999,
                        rec.error_message.as_deref().unwrap_or_default(),
                    );
                    this.events.send(&rec.arn, &detail).await;
                });
            }
            jobs.insert(
                record.id.clone(),
                Entry {
                    record,
                    cancel: None,
                },
            );
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves the table usable: recover the guard.
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut workers = self
            .workers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Reap finished tasks so the set does not grow without bound.
        while workers.try_join_next().is_some() {}
        workers.spawn(fut);
    }

    pub fn queue_arn(&self, queue: Option<&str>) -> String {
        match queue {
            Some(q) if q.starts_with("arn:") => q.to_owned(),
            Some(q) if !q.is_empty() => format!(
                "arn:aws:mediaconvert:{}:{}:queues/{q}",
                self.config.region, self.config.account_id
            ),
            _ => format!(
                "arn:aws:mediaconvert:{}:{}:queues/Default",
                self.config.region, self.config.account_id
            ),
        }
    }

    pub fn job_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:mediaconvert:{}:{}:jobs/{id}",
            self.config.region, self.config.account_id
        )
    }

    /// Applies `change` to the job, persists it, and returns the new record.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> Option<JobRecord> {
        let mut jobs = self.lock();
        let entry = jobs.get_mut(id)?;
        change(&mut entry.record);
        if entry.record.status.is_final() {
            entry.cancel = None;
        }
        if let Err(e) = self.state.save(&entry.record) {
            tracing::warn!(job = id, error = %e, "could not store job state");
        }
        Some(entry.record.clone())
    }

    pub fn record(&self, id: &str) -> Option<JobRecord> {
        self.lock().get(id).map(|e| e.record.clone())
    }

    /// Queues an accepted job.
    pub fn enqueue(self: &Arc<Self>, record: JobRecord, plan: JobPlan) {
        let (tx, rx) = watch::channel(false);
        let id = record.id.clone();
        if let Err(e) = self.state.save(&record) {
            tracing::warn!(job = %id, error = %e, "could not store job state");
        }
        self.lock().insert(
            id.clone(),
            Entry {
                record,
                cancel: Some(tx),
            },
        );
        let this = Arc::clone(self);
        self.spawn(async move { this.run_job(id, plan, rx).await });
    }

    /// Cancels a SUBMITTED or PROGRESSING job. `Err` carries the status that forbids it.
    pub fn cancel(&self, id: &str) -> Result<Option<()>, JobStatus> {
        let jobs = self.lock();
        let Some(entry) = jobs.get(id) else {
            return Ok(None);
        };
        if entry.record.status.is_final() {
            return Err(entry.record.status);
        }
        if let Some(tx) = &entry.cancel {
            let _ = tx.send(true);
        }
        Ok(Some(()))
    }

    async fn finish_canceled(&self, id: &str) {
        let now = chrono::Utc::now().timestamp();
        if let Some(rec) = self.update(id, |r| {
            r.status = JobStatus::Canceled;
            r.finish_time = Some(now);
        }) {
            tracing::info!(job = id, "job canceled");
            self.events
                .send(&rec.arn, &events::canceled(&rec, &self.config.account_id))
                .await;
        }
    }

    async fn finish_error(&self, id: &str, failure: JobFailure) {
        let now = chrono::Utc::now().timestamp();
        if let Some(rec) = self.update(id, |r| {
            r.status = JobStatus::Error;
            r.error_code = Some(failure.code);
            r.error_message = Some(failure.message.clone());
            r.finish_time = Some(now);
        }) {
            tracing::warn!(job = id, code = failure.code, message = %failure.message, "job failed");
            let detail = events::error(
                &rec,
                &self.config.account_id,
                failure.code,
                &failure.message,
            );
            self.events.send(&rec.arn, &detail).await;
        }
    }

    async fn run_job(
        self: Arc<Self>,
        id: String,
        plan: JobPlan,
        mut cancel: watch::Receiver<bool>,
    ) {
        let mut stop = self.shutting_down.subscribe();
        // Wait for a transcode slot (or a cancel / shutdown while waiting).
        let permit = tokio::select! {
            permit = Arc::clone(&self.queue).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
            true = async { cancel.wait_for(|c| *c).await.is_ok() } => {
                self.finish_canceled(&id).await;
                return;
            }
            true = async { stop.wait_for(|s| *s).await.is_ok() } => return,
        };
        let now = chrono::Utc::now().timestamp();
        let Some(rec) = self.update(&id, |r| {
            r.status = JobStatus::Progressing;
            r.start_time = Some(now);
            r.current_phase = Some(Phase::Probing.as_str().to_owned());
            r.job_percent_complete = Some(0);
        }) else {
            return;
        };
        tracing::info!(job = %id, "job progressing");
        self.events
            .send(
                &rec.arn,
                &events::progressing(&rec, &self.config.account_id),
            )
            .await;

        let progress = Arc::new(Mutex::new((Phase::Probing, 0u8)));
        let ticker = {
            let this = Arc::clone(&self);
            let progress = Arc::clone(&progress);
            let id = id.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(this.config.status_update_interval);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let (phase, pct) = *progress
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let Some(rec) = this.update(&id, |r| {
                        r.current_phase = Some(phase.as_str().to_owned());
                        r.job_percent_complete = Some(events::job_percent(phase, pct));
                    }) else {
                        return;
                    };
                    if rec.status != JobStatus::Progressing {
                        return;
                    }
                    let detail = events::status_update(&rec, &this.config.account_id, phase, pct);
                    this.events.send(&rec.arn, &detail).await;
                }
            })
        };

        let outcome = tokio::select! {
            outcome = self.transcode(&id, &plan, &progress, cancel.clone()) => outcome,
            true = async { stop.wait_for(|s| *s).await.is_ok() } => Err(None),
        };
        ticker.abort();
        let _ = ticker.await;
        drop(permit);
        match outcome {
            Ok(details) => {
                let now = chrono::Utc::now().timestamp();
                if let Some(rec) = self.update(&id, |r| {
                    r.status = JobStatus::Complete;
                    r.job_percent_complete = Some(100);
                    r.current_phase = None;
                    r.finish_time = Some(now);
                    r.output_group_details = Some(details.clone());
                }) {
                    tracing::info!(job = %id, "job complete");
                    let detail = events::complete(&rec, &self.config.account_id, &details);
                    self.events.send(&rec.arn, &detail).await;
                }
            }
            Err(Some(failure)) => self.finish_error(&id, failure).await,
            Err(None) if *cancel.borrow() => self.finish_canceled(&id).await,
            // Shutdown: the record stays in flight and becomes ERROR at the next start.
            Err(None) => {}
        }
    }

    /// Download → probe → ffmpeg → package → upload. `Err(None)` means canceled.
    async fn transcode(
        &self,
        id: &str,
        plan: &JobPlan,
        progress: &Mutex<(Phase, u8)>,
        cancel: watch::Receiver<bool>,
    ) -> Result<Vec<Value>, Option<JobFailure>> {
        let set = |phase: Phase, pct: u8| {
            *progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = (phase, pct);
        };
        let work = tempfile::Builder::new()
            .prefix(&format!("{id}-"))
            .tempdir_in(self.state.work())
            .map_err(|e| {
                Some(JobFailure::internal(format!(
                    "creating a work directory: {e}"
                )))
            })?;
        let input_path = work.path().join("input");
        download(&self.s3, &plan.input, &input_path)
            .await
            .map_err(Some)?;
        if *cancel.borrow() {
            return Err(None);
        }
        // The probe names the demuxer; a file it rejects never reaches ffmpeg.
        let open_error = |f: JobFailure| {
            Some(JobFailure {
                message: format!(
                    "Unable to open input file [{}]: [Failed probe/open: [{}]]",
                    plan.input.uri(),
                    f.message
                ),
                ..f
            })
        };
        let input = input::identify(&input_path).await.map_err(open_error)?;
        let source = ffmpeg::probe(&self.ffmpeg, &input)
            .await
            .map_err(|f| open_error(JobFailure::input_access(f.message)))?;
        set(Phase::Probing, 100);
        let out_dir = work.path().join("out");
        let options = EncoderOptions {
            x264_preset: self.config.x264_preset.clone(),
            svtav1_preset: self.config.svtav1_preset,
        };
        let searched;
        let plan = if self.config.quality_search && plan.needs_video() {
            let (ffmpeg, input, source, options) = (
                self.ffmpeg.clone(),
                input.clone(),
                source.clone(),
                options.clone(),
            );
            let mut job = plan.clone();
            searched = tokio::task::spawn_blocking(move || {
                let samples = crate::quality::Samples::cut(
                    &ffmpeg,
                    &input,
                    &source,
                    crate::quality::CHUNK_SECONDS,
                )?;
                crate::quality::search_crfs(&ffmpeg, &samples, &mut job, &options)?;
                Ok::<_, crate::quality::QualityError>(job)
            })
            .await
            .map_err(|e| {
                Some(JobFailure::internal(format!(
                    "the quality search stopped: {e}"
                )))
            })?
            .map_err(|e| Some(JobFailure::internal(format!("quality search: {e}"))))?;
            &searched
        } else {
            plan
        };
        let ff = ffmpeg_plan_for(plan, &source, &input, &out_dir, &options).map_err(|e| {
            Some(match e {
                crate::plan::PlanError::BadRequest(b) => JobFailure::invalid_input(b.to_string()),
                crate::plan::PlanError::Source(s) => JobFailure::invalid_input(s),
            })
        })?;
        for dir in &ff.dirs {
            std::fs::create_dir_all(dir).map_err(|e| {
                Some(JobFailure::internal(format!(
                    "creating {}: {e}",
                    dir.display()
                )))
            })?;
        }
        set(Phase::Transcoding, 0);
        let duration = source.duration_secs.unwrap_or(0.0);
        tracing::info!(job = id, args = ?ff.args, "running ffmpeg");
        let outcome = ffmpeg::run(
            &self.ffmpeg,
            &ff.args,
            |secs| {
                if duration > 0.0 {
                    set(
                        Phase::Transcoding,
                        ((secs / duration) * 100.0).clamp(0.0, 99.0) as u8,
                    );
                }
            },
            cancel.clone(),
        )
        .await;
        match outcome {
            RunOutcome::Finished => {}
            RunOutcome::Canceled => return Err(None),
            RunOutcome::Failed(f) => return Err(Some(f)),
        }
        set(Phase::Uploading, 0);
        let group_count = plan.groups.len();
        let packaged = package::package(&ff, &source, group_count).map_err(Some)?;
        let total = packaged.uploads.len().max(1);
        for (i, up) in packaged.uploads.iter().enumerate() {
            if *cancel.borrow() {
                return Err(None);
            }
            upload(&self.s3, &up.local, &up.bucket, &up.key)
                .await
                .map_err(Some)?;
            set(Phase::Uploading, ((i + 1) * 100 / total) as u8);
        }
        Ok(packaged.event_details)
    }

    /// Stops accepting work, kills running ffmpeg children and waits for the workers.
    pub async fn shutdown(&self) {
        let _ = self.shutting_down.send(true);
        {
            let mut jobs = self.lock();
            for entry in jobs.values_mut() {
                // Dropping the switch kills the child (the receiver sees the sender gone).
                entry.cancel = None;
            }
        }
        let mut workers = {
            let mut guard = self
                .workers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::take(&mut *guard)
        };
        if tokio::time::timeout(Duration::from_secs(10), async {
            while workers.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            workers.abort_all();
        }
    }
}

async fn download(s3: &aws_sdk_s3::Client, from: &S3Location, to: &Path) -> Result<(), JobFailure> {
    let open_error = |reason: String| {
        JobFailure::input_access(format!(
            "Unable to open input file [{}]: [Failed probe/open: [{reason}]]",
            from.uri()
        ))
    };
    let object = s3
        .get_object()
        .bucket(&from.bucket)
        .key(&from.key)
        .send()
        .await
        .map_err(|e| {
            let reason = match e.as_service_error() {
                Some(se) if se.is_no_such_key() => "the object does not exist".to_owned(),
                _ => aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            };
            open_error(reason)
        })?;
    let mut file = tokio::fs::File::create(to)
        .await
        .map_err(|e| JobFailure::internal(format!("creating {}: {e}", to.display())))?;
    let mut body = object.body.into_async_read();
    tokio::io::copy(&mut body, &mut file)
        .await
        .map_err(|e| open_error(format!("reading the object: {e}")))?;
    Ok(())
}

async fn upload(
    s3: &aws_sdk_s3::Client,
    local: &Path,
    bucket: &str,
    key: &str,
) -> Result<(), JobFailure> {
    let body = ByteStream::from_path(local)
        .await
        .map_err(|e| JobFailure::internal(format!("reading {}: {e}", local.display())))?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(package::content_type(key))
        .body(body)
        .send()
        .await
        .map_err(|e| {
            JobFailure::internal(format!(
                "writing s3://{bucket}/{key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            ))
        })?;
    Ok(())
}

//! CreateJob requests as job-submit builds them: a vod-core [`JobSpec`] turned into the
//! request by vod-aws's builder ([`create_job_request`]), with the ladder each test needs.

use aws_sdk_mediaconvert::operation::create_job::builders::CreateJobFluentBuilder;
use aws_sdk_mediaconvert::types as mc;
use vod_aws::mediaconvert::{JobOptions, create_job_request, job_settings};
use vod_core::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{AudioRendition, LadderPlan, Rung};

use crate::env::{Env, OUT, PIPELINE, SRC};

/// The id the pipeline gives an upload named `name` (derived as for an S3 object).
pub fn asset_id(name: &str) -> AssetId {
    AssetId::derive(SRC, name, "it")
}

/// A QVBR level 7 rung.
pub fn rung(name: &str, width: u32, height: u32, max_bitrate_bps: u64) -> Rung {
    Rung {
        name: name.to_owned(),
        width,
        height,
        qvbr_quality_level: 7,
        max_bitrate_bps,
    }
}

/// `rungs` plus one stereo AAC output `_audio`: 2 s GOPs, 6 s segments, the source's frame
/// rate, no frame captures, no MP4 download.
pub fn ladder(rungs: Vec<Rung>) -> LadderPlan {
    LadderPlan {
        rungs,
        audio: vec![AudioRendition {
            name: "_audio".to_owned(),
            channels: 2,
            bitrate_bps: 128_000,
            sample_rate: 48_000,
        }],
        gop_seconds: 2.0,
        segment_seconds: 6,
        frame_rate: None,
        thumbnails: None,
        automated_abr: false,
        mp4_download: false,
        trick_play: false,
        av1: None,
        reasons: Vec::new(),
    }
}

/// The job of `s3://src-bucket/<input_key>`, written under `s3://out-bucket/assets/<asset>/`.
pub fn spec(input_key: &str, asset: &AssetId, plan: LadderPlan) -> JobSpec {
    JobSpec::new(
        asset.clone(),
        format!("s3://{SRC}/{input_key}"),
        OUT,
        "assets/",
        plan,
        PIPELINE,
    )
}

/// A small, fast job: one 320x180 rung + audio.
pub fn small_job(input_key: &str, asset: &AssetId) -> JobSpec {
    spec(
        input_key,
        asset,
        ladder(vec![rung("_180p", 320, 180, 400_000)]),
    )
}

/// The CreateJob call job-submit makes for `spec` (10 s status updates, no acceleration).
pub fn create_job(env: &Env, spec: &JobSpec) -> CreateJobFluentBuilder {
    let mut options = JobOptions::new("arn:aws:iam::000000000000:role/MediaConvertRole");
    options.status_update_interval = mc::StatusUpdateInterval::Seconds10;
    options.acceleration = Some("DISABLED".to_owned());
    create_job_request(&env.mc, spec, &options)
}

/// [`create_job`] with the settings changed by `change` first: an unusual setting on an
/// otherwise ordinary job.
pub fn create_changed_job(
    env: &Env,
    spec: &JobSpec,
    change: impl FnOnce(&mut mc::JobSettings),
) -> CreateJobFluentBuilder {
    let mut settings = job_settings(spec);
    change(&mut settings);
    create_job(env, spec).settings(settings)
}

/// Submits [`create_job`]; the job id.
pub async fn submit(env: &Env, spec: &JobSpec) -> String {
    submitted_id(create_job(env, spec)).await
}

/// Sends a CreateJob that must be accepted; the job id.
pub async fn submitted_id(request: CreateJobFluentBuilder) -> String {
    request
        .send()
        .await
        .expect("CreateJob accepted")
        .job()
        .and_then(|j| j.id())
        .expect("job id")
        .to_owned()
}

//! End-to-end tests of the MediaConvert twin: the real `aws-sdk-mediaconvert` client against
//! the twin's router, moto for S3/EventBridge/SQS, ffmpeg for the transcodes. Job events are
//! read back through an EventBridge rule (the pipeline's own pattern) → SQS target. The jobs
//! are built the way job-submit builds them (vod-aws's builder over a vod-core `JobSpec`).
//!
//! - `env`: the harness (moto, the twin on a local port, SDK clients, test media);
//! - `jobs`: job specs and CreateJob calls through vod-aws's builder;
//! - `ladder`: jobs that complete and the files they write;
//! - `rejections`: what CreateJob refuses, naming the setting;
//! - `events`: ERROR / CANCELED / STATUS_UPDATE events and the queue;
//! - `restart`: what a restarted twin says about old and in-flight jobs;
//! - `inputs`: what ffmpeg may open: playlist polyglots open nothing, every accepted container
//!   is read by its named demuxer;
//! - `av1`: the AV1 tier (av01 in the master, its own adaptation set) and the quality search;
//! - `plan`: CreateJob bodies → validation and the ffmpeg command, without running anything.

mod av1;
mod env;
mod events;
mod inputs;
mod jobs;
mod ladder;
mod plan;
mod rejections;
mod restart;

//! `vod upload`: one PutObject for small files, a multipart upload (8 MiB parts) otherwise,
//! aborted on any failure or on Ctrl-C/SIGTERM so no orphaned parts keep costing money.

use crate::error::{CliError, CliResult, aws_error};
use crate::records::{self, WaitOutcome};
use crate::settings::{Resources, parse_duration};
use crate::{exit, print_json};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_core::AssetId;

#[derive(Debug, Args)]
pub struct UploadArgs {
    pub file: PathBuf,
    /// Object key (default: the file name, exactly as it is).
    #[arg(long)]
    pub key: Option<String>,
    /// Wait for COMPLETE/REJECTED/FAILED (exit 0/2/3; 4 on timeout).
    #[arg(long)]
    pub wait: bool,
    #[arg(long)]
    pub json: bool,
    /// How long --wait waits (90s, 30m, 2h).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// How often --wait reads the record.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub poll_interval: Duration,
}

/// Uploads the file and prints the asset id (or `--json`); with `--wait`, follows the record
/// until the pipeline is done with it and exits with how it ended.
pub async fn run(args: UploadArgs, resources: &Resources) -> CliResult<u8> {
    let UploadArgs {
        file,
        key,
        wait,
        json,
        timeout,
        poll_interval,
    } = args;
    let bucket = resources.source_bucket()?.to_owned();
    let table = if wait {
        Some(resources.table()?.to_owned())
    } else {
        None
    };
    let key = match key {
        Some(k) => k,
        None => default_key(&file)?,
    };
    let clients = AwsClients::from_sdk_config(&resources.sdk_config().await);
    let done = upload(&clients.s3(), &bucket, &key, &file).await?;
    eprintln!(
        "uploaded {} to s3://{}/{} ({} bytes); asset id {}",
        file.display(),
        done.bucket,
        done.key,
        done.size_bytes,
        done.asset_id
    );
    let Some(table) = table else {
        if json {
            print_json(&done)?;
        } else {
            println!("{}", done.asset_id);
        }
        return Ok(exit::OK);
    };
    if !json {
        println!("{}", done.asset_id);
    }
    let store = DynamoAssetStore::new(clients.dynamodb(), table);
    match records::wait_final(&store, &done.asset_id, timeout, poll_interval).await? {
        WaitOutcome::Final(record) => {
            if json {
                print_json(&record)?;
            } else {
                print!("{}", records::describe(&record));
            }
            Ok(records::final_code(&record))
        }
        WaitOutcome::TimedOut(last) => {
            let status = last
                .as_ref()
                .map(|r| r.status.as_str())
                .unwrap_or("not claimed yet");
            eprintln!(
                "error: gave up after {timeout:?}: {} is still {status}; check later with `vod status {}`",
                done.asset_id, done.asset_id
            );
            if json {
                print_json(
                    &serde_json::json!({"assetId": done.asset_id, "timedOut": true, "record": last}),
                )?;
            }
            Ok(exit::TIMEOUT)
        }
    }
}

/// Size of each multipart part; files up to this size go in one PutObject.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// What S3 said about the stored object, and the asset id the pipeline will give it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    pub asset_id: AssetId,
    pub bucket: String,
    pub key: String,
    pub size_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub multipart: bool,
}

impl Uploaded {
    /// What S3 answered for the stored object, with the asset id derived from it.
    fn stored(
        bucket: &str,
        key: &str,
        size_bytes: u64,
        etag: Option<&str>,
        version_id: Option<&str>,
        multipart: bool,
    ) -> CliResult<Self> {
        Ok(Self {
            asset_id: asset_id(bucket, key, etag, version_id)?,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size_bytes,
            etag: etag.map(str::to_owned),
            version_id: version_id.map(str::to_owned),
            multipart,
        })
    }
}

/// The default key: the file name exactly as it is (spaces, unicode and all).
pub fn default_key(path: &Path) -> CliResult<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            CliError::bad_input(format!("{} has no file name: pass --key", path.display()))
        })
}

/// The same revision the ingest step uses: the version id on a versioned bucket, else the ETag.
pub fn asset_id(
    bucket: &str,
    key: &str,
    etag: Option<&str>,
    version_id: Option<&str>,
) -> CliResult<AssetId> {
    let revision = vod_core::asset_id::object_revision(version_id, etag).ok_or_else(|| {
            CliError::bad_input(format!(
                "S3 stored s3://{bucket}/{key} but returned neither an ETag nor a version id, so the asset id cannot be derived"
            ))
        })?;
    Ok(AssetId::derive(bucket, key, revision))
}

pub async fn upload(client: &Client, bucket: &str, key: &str, path: &Path) -> CliResult<Uploaded> {
    let size = tokio::fs::metadata(path)
        .await
        .map_err(|e| CliError::read(path, e))?
        .len();
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("uploading to s3://{bucket}/{key}"));
    let result = if size <= PART_SIZE {
        put_single(client, bucket, key, path, size).await
    } else {
        tokio::select! {
            r = put_multipart(client, bucket, key, path, size, &bar) => r,
            signal = crate::shutdown_signal() => Err(CliError::Interrupted(format!(
                "{signal} during the upload of s3://{bucket}/{key}; the multipart upload was aborted"
            ))),
        }
    };
    match &result {
        Ok(_) => {
            bar.set_position(size);
            bar.finish_and_clear();
        }
        Err(_) => bar.abandon(),
    }
    // An interrupted multipart upload is aborted here: the select dropped the upload future.
    if let Err(CliError::Interrupted(_)) = &result {
        abort_all_for_key(client, bucket, key).await;
    }
    result
}

async fn put_single(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    size: u64,
) -> CliResult<Uploaded> {
    let body = ByteStream::from_path(path)
        .await
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let out = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .map_err(|e| aws_error(format!("uploading s3://{bucket}/{key}"), e))?;
    Uploaded::stored(bucket, key, size, out.e_tag(), out.version_id(), false)
}

async fn put_multipart(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    size: u64,
    bar: &ProgressBar,
) -> CliResult<Uploaded> {
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                format!("starting the multipart upload of s3://{bucket}/{key}"),
                e,
            )
        })?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| {
            CliError::bad_input("S3 started a multipart upload but returned no upload id")
        })?
        .to_owned();
    match upload_parts(client, bucket, key, path, &upload_id, bar).await {
        Ok(parts) => {
            let out = client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await;
            match out {
                Ok(out) => Uploaded::stored(bucket, key, size, out.e_tag(), out.version_id(), true),
                Err(e) => {
                    abort(client, bucket, key, &upload_id).await;
                    Err(aws_error(
                        format!("completing the multipart upload of s3://{bucket}/{key}"),
                        e,
                    ))
                }
            }
        }
        Err(e) => {
            abort(client, bucket, key, &upload_id).await;
            Err(e)
        }
    }
}

async fn upload_parts(
    client: &Client,
    bucket: &str,
    key: &str,
    path: &Path,
    upload_id: &str,
    bar: &ProgressBar,
) -> CliResult<Vec<CompletedPart>> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| CliError::read(path, e))?;
    let mut parts = Vec::new();
    let mut part_number = 1;
    loop {
        let mut buf = Vec::with_capacity(PART_SIZE as usize);
        let read = (&mut file)
            .take(PART_SIZE)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| CliError::read(path, e))?;
        if read == 0 {
            break;
        }
        let out = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number)
            .body(ByteStream::from(buf))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("uploading part {part_number} of s3://{bucket}/{key}"),
                    e,
                )
            })?;
        parts.push(
            CompletedPart::builder()
                .part_number(part_number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .build(),
        );
        bar.inc(read as u64);
        part_number += 1;
    }
    Ok(parts)
}

async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) {
    let result = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await;
    if let Err(e) = result {
        eprintln!(
            "warning: could not abort multipart upload {upload_id} of s3://{bucket}/{key} ({}); a bucket lifecycle rule for incomplete uploads will clean it up",
            aws_sdk_s3::error::DisplayErrorContext(&e)
        );
    }
}

/// After an interruption the upload id may be unknown here: abort every pending upload of `key`.
async fn abort_all_for_key(client: &Client, bucket: &str, key: &str) {
    let Ok(list) = client
        .list_multipart_uploads()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
    else {
        eprintln!(
            "warning: could not list pending multipart uploads of s3://{bucket}/{key} to abort them"
        );
        return;
    };
    for pending in list.uploads() {
        if let (Some(k), Some(id)) = (pending.key(), pending.upload_id())
            && k == key
        {
            abort(client, bucket, key, id).await;
        }
    }
}

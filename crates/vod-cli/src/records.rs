//! Reading asset records (`status`, `list`, `upload --wait`) and saying them in words.

use crate::error::{CliError, CliResult, port_error};
use crate::exit;
use crate::settings::Resources;
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_core::ports::AssetStore;
use vod_core::{AssetId, AssetRecord, AssetStatus};

/// The asset table named by the resources, reached with their SDK configuration.
pub async fn open_store(resources: &Resources) -> CliResult<DynamoAssetStore> {
    let table = resources.table()?.to_owned();
    let clients = AwsClients::from_sdk_config(&resources.sdk_config().await);
    Ok(DynamoAssetStore::new(clients.dynamodb(), table))
}

pub fn parse_id(text: &str) -> CliResult<AssetId> {
    AssetId::parse(text.trim()).map_err(|_| {
        CliError::bad_input(format!(
            "{text:?} is not an asset id: ids are 32 lowercase hex characters, as printed by `vod upload` or `vod list`"
        ))
    })
}

pub async fn get(store: &DynamoAssetStore, id: &AssetId) -> CliResult<Option<AssetRecord>> {
    store
        .get(id)
        .await
        .map_err(|e| port_error(&format!("reading the record of {id}"), e))
}

pub async fn get_existing(store: &DynamoAssetStore, id: &AssetId) -> CliResult<AssetRecord> {
    get(store, id).await?.ok_or_else(|| {
        CliError::bad_input(format!(
            "no asset {id} in the table: check the id, or --table / VOD_ASSET_TABLE (the pipeline may not have claimed a fresh upload yet)"
        ))
    })
}

/// Newest first across the given statuses (all of them when `status` is `None`).
pub async fn list(
    store: &DynamoAssetStore,
    status: Option<AssetStatus>,
    limit: usize,
) -> CliResult<Vec<AssetRecord>> {
    let statuses: Vec<AssetStatus> = match status {
        Some(s) => vec![s],
        None => AssetStatus::ALL.to_vec(),
    };
    let per_query = i32::try_from(limit).unwrap_or(i32::MAX).max(1);
    let mut all = Vec::new();
    for s in statuses {
        let mut records = store
            .list_by_status(s.as_str(), per_query)
            .await
            .map_err(|e| port_error(&format!("listing {} assets", s.as_str()), e))?;
        all.append(&mut records);
    }
    all.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(a.asset_id.cmp(&b.asset_id))
    });
    all.truncate(limit);
    Ok(all)
}

pub fn parse_status(text: &str) -> Result<AssetStatus, String> {
    AssetStatus::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
        let names: Vec<&str> = AssetStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status {text:?}; one of {}", names.join(", "))
    })
}

/// One line per record for `vod list`.
pub fn list_line(r: &AssetRecord) -> String {
    format!(
        "{}  {:<11}  {}  s3://{}/{}",
        r.created_at.format("%Y-%m-%d %H:%M:%S"),
        r.status.as_str(),
        r.asset_id,
        r.source.bucket,
        r.source.object_key()
    )
}

/// The whole record in words for `vod status`.
pub fn describe(r: &AssetRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "asset    {}", r.asset_id);
    let _ = writeln!(
        out,
        "source   s3://{}/{}",
        r.source.bucket,
        r.source.object_key()
    );
    let mut status = r.status.as_str().to_owned();
    if let (AssetStatus::Transcoding, Some(p)) = (r.status, r.progress_percent) {
        let _ = write!(status, " ({p}%)");
    }
    let _ = writeln!(out, "status   {status}");
    let _ = writeln!(out, "history");
    for change in &r.history {
        let _ = write!(
            out,
            "  {}  {}",
            change.at.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
            change.status.as_str()
        );
        if let Some(note) = &change.note {
            let _ = write!(out, "  ({note})");
        }
        out.push('\n');
    }
    if let Some(p) = &r.probe {
        let _ = writeln!(out, "probe");
        out.push_str("  ");
        out.push_str(&crate::probe::describe(p));
    }
    if let Some(rejection) = &r.rejection {
        let _ = writeln!(
            out,
            "rejected {}",
            serde_json::to_string(rejection).unwrap_or_default()
        );
    }
    if let Some(ladder) = &r.ladder {
        let _ = writeln!(out, "ladder");
        for rung in &ladder.rungs {
            let _ = writeln!(
                out,
                "  {} {}x{} QVBR {} max {} kb/s",
                rung.name,
                rung.width,
                rung.height,
                rung.qvbr_quality_level,
                rung.max_bitrate_bps / 1000
            );
        }
        for reason in &ladder.reasons {
            let _ = writeln!(out, "  why: {reason}");
        }
    }
    if !r.renditions.is_empty() {
        let _ = writeln!(out, "renditions");
        for rendition in &r.renditions {
            let size = match (rendition.width, rendition.height) {
                (Some(w), Some(h)) => format!(" {w}x{h}"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}{size} ({} files)",
                rendition.kind,
                rendition.files.len()
            );
        }
    }
    if let Some(p) = &r.playback {
        let _ = writeln!(out, "playback");
        for (name, url) in [
            ("hls", &p.hls_url),
            ("dash", &p.dash_url),
            ("poster", &p.poster_url),
            ("storyboard", &p.storyboard_url),
            ("mp4", &p.mp4_url),
        ] {
            if let Some(url) = url {
                let _ = writeln!(out, "  {name:<10} {url}");
            }
        }
    }
    if let Some(e) = &r.error {
        let _ = writeln!(out, "error    {}: {}", e.name, e.message);
    }
    out
}

/// The exit code of a record that `--wait` saw end (see [`crate::exit`]).
pub fn final_code(record: &AssetRecord) -> u8 {
    match record.status {
        AssetStatus::Complete => exit::OK,
        AssetStatus::Rejected => exit::REJECTED,
        AssetStatus::Failed => exit::FAILED,
        _ => exit::ERROR,
    }
}

/// How `--wait` ended.
#[derive(Debug)]
pub enum WaitOutcome {
    Final(Box<AssetRecord>),
    /// The deadline passed; the last record seen, if any.
    TimedOut(Option<Box<AssetRecord>>),
}

/// Polls the record until it reaches a final state or `timeout` passes. A missing record means
/// the pipeline has not claimed the upload yet: keep waiting.
pub async fn wait_final(
    store: &DynamoAssetStore,
    id: &AssetId,
    timeout: Duration,
    every: Duration,
) -> CliResult<WaitOutcome> {
    let bar = ProgressBar::new(100).with_style(
        ProgressStyle::with_template("{spinner} {msg:<24} [{bar:30}] {pos:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("waiting for the pipeline");
    bar.enable_steady_tick(Duration::from_millis(200));
    let deadline = Instant::now() + timeout;
    let mut last: Option<AssetRecord> = None;
    loop {
        if let Some(record) = get(store, id).await? {
            bar.set_message(record.status.as_str().to_owned());
            let percent = match record.status {
                AssetStatus::Transcoding => record.progress_percent.unwrap_or(0),
                s if s.is_final() => 100,
                _ => 0,
            };
            bar.set_position(u64::from(percent));
            if record.status.is_final() {
                bar.finish_and_clear();
                return Ok(WaitOutcome::Final(Box::new(record)));
            }
            last = Some(record);
        }
        let now = Instant::now();
        if now >= deadline {
            bar.abandon();
            return Ok(WaitOutcome::TimedOut(last.map(Box::new)));
        }
        tokio::select! {
            _ = tokio::time::sleep(every.min(deadline - now)) => {}
            signal = crate::shutdown_signal() => {
                bar.abandon();
                return Err(CliError::Interrupted(format!("{signal} while waiting for {id}; the upload itself is done")));
            }
        }
    }
}

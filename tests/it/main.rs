//! End-to-end tests of the local twin: each test has its own moto and its own vod-local
//! (in-process, free ports) and drives them only through AWS APIs, like a user would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod load;

use serde_json::Value;
use std::collections::HashSet;
use vod_e2e::{Pipeline, clip, corrupt_mdat, http_get, pdf_bytes, playlist_uris, resolve};

const FINAL: [&str; 3] = ["COMPLETE", "REJECTED", "FAILED"];

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Every playlist and segment the HLS master references answers 200 on the local CDN.
async fn assert_hls_playable(master_url: &str) {
    let (status, body) = http_get(master_url).await.unwrap();
    assert_eq!(status, 200, "{master_url}");
    let master = String::from_utf8(body).unwrap();
    assert!(master.starts_with("#EXTM3U"), "{master}");
    let media: Vec<String> = playlist_uris(&master)
        .iter()
        .map(|u| resolve(master_url, u))
        .collect();
    assert!(
        !media.is_empty(),
        "master references no playlists:\n{master}"
    );
    let mut fetched = 0;
    for playlist_url in media {
        let (status, body) = http_get(&playlist_url).await.unwrap();
        assert_eq!(status, 200, "{playlist_url}");
        let playlist = String::from_utf8(body).unwrap();
        let uris = playlist_uris(&playlist);
        assert!(
            !uris.is_empty(),
            "{playlist_url} references nothing:\n{playlist}"
        );
        for uri in uris {
            let url = resolve(&playlist_url, &uri);
            let (status, body) = http_get(&url).await.unwrap();
            assert_eq!(status, 200, "{url}");
            assert!(!body.is_empty(), "{url} is empty");
            fetched += 1;
        }
    }
    assert!(fetched > 0);
}

/// The storyboard is sprite cues (`tile#xywh=x,y,w,h`): each tile is a JPEG on the CDN and
/// each crop lies inside it.
async fn assert_sprite_storyboard(vtt_url: &str, cdn: &str) {
    let (status, body) = http_get(vtt_url).await.unwrap();
    assert_eq!(status, 200, "{vtt_url}");
    let vtt = String::from_utf8(body).unwrap();
    let targets: Vec<&str> = vtt.lines().filter(|l| l.contains("#xywh=")).collect();
    let cues = vtt.lines().filter(|l| l.contains(" --> ")).count();
    assert!(cues > 0 && targets.len() == cues, "{vtt}");
    let mut sizes = std::collections::HashMap::new();
    for target in targets {
        let (url, xywh) = target.split_once("#xywh=").unwrap();
        assert!(url.starts_with(cdn), "{target}");
        let crop: Vec<u32> = xywh.split(',').map(|n| n.parse().unwrap()).collect();
        let (x, y, w, h) = (crop[0], crop[1], crop[2], crop[3]);
        if !sizes.contains_key(url) {
            let (status, jpeg) = http_get(url).await.unwrap();
            assert_eq!(status, 200, "{url}");
            let size = vod_testkit::media::jpeg_size(&jpeg);
            sizes.insert(
                url.to_owned(),
                size.unwrap_or_else(|| panic!("{url} is not a JPEG")),
            );
        }
        let (iw, ih) = sizes[url];
        assert!(
            w > 0 && h > 0 && x + w <= iw && y + h <= ih,
            "{target} in {iw}x{ih}"
        );
        assert!(w < iw, "{target}: a crop of a sprite, not a whole image");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_upload_to_completed_event_and_playable_hls() {
    let p = Pipeline::start().await.unwrap();
    let key = "uploads/happy.mp4";
    p.upload(key, std::fs::read(clip(640, 360, 6).unwrap()).unwrap())
        .await
        .unwrap();

    let record = p.wait_final(key).await.unwrap();
    assert_eq!(record["status"], "COMPLETE", "{record:#}");
    let playback = &record["playback"];
    let cdn = &p.local.endpoints().cdn;
    for field in ["hlsUrl", "dashUrl", "posterUrl", "storyboardUrl"] {
        assert!(
            s(&playback[field]).starts_with(cdn.as_str()),
            "{field}: {playback:#}"
        );
    }
    let asset_id = s(&record["assetId"]).to_owned();
    let completed = p
        .wait_for_event(&asset_id, "asset.completed")
        .await
        .unwrap();
    assert_eq!(completed["status"], "COMPLETE");
    assert_eq!(completed["playback"]["hlsUrl"], playback["hlsUrl"]);

    assert_hls_playable(s(&playback["hlsUrl"])).await;
    for field in ["dashUrl", "posterUrl", "storyboardUrl"] {
        let (status, _) = http_get(s(&playback[field])).await.unwrap();
        assert_eq!(status, 200, "{field}");
    }
    assert_sprite_storyboard(s(&playback["storyboardUrl"]), cdn).await;
    let (status, page) = http_get(&format!("{cdn}/player/{asset_id}")).await.unwrap();
    assert_eq!(status, 200);
    assert!(!page.is_empty());

    // The execution, seen through the real SDK client on our Step Functions API.
    let settled = p.wait_executions_settled().await.unwrap();
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert_eq!(settled[0].1, "SUCCEEDED");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_functions_api_speaks_to_the_sdk() {
    let p = Pipeline::start().await.unwrap();
    let sm = p.local.endpoints().state_machine_arn.clone();

    let machines = p.sfn.list_state_machines().send().await.unwrap();
    assert_eq!(machines.state_machines()[0].state_machine_arn(), sm);
    let described = p
        .sfn
        .describe_state_machine()
        .state_machine_arn(&sm)
        .send()
        .await
        .unwrap();
    assert!(
        described.definition().contains("arn:aws:lambda:"),
        "placeholders are substituted"
    );
    assert!(!described.definition().contains("${"));

    // Not an S3 event: the probe refuses it, the notifier cannot name an asset, the run fails.
    let started = p
        .sfn
        .start_execution()
        .state_machine_arn(&sm)
        .name("not-an-upload")
        .input(r#"{"hello": "world"}"#)
        .send()
        .await
        .unwrap();
    let arn = started.execution_arn().to_owned();
    // Same name, same input, still running or not: never a second execution.
    let again = p
        .sfn
        .start_execution()
        .state_machine_arn(&sm)
        .name("not-an-upload")
        .input(r#"{"other": 1}"#)
        .send()
        .await;
    assert!(
        again
            .unwrap_err()
            .into_service_error()
            .is_execution_already_exists()
    );
    p.wait_executions_settled().await.unwrap();
    let d = p
        .sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status().as_str(), "FAILED");
    assert_eq!(d.input(), Some(r#"{"hello":"world"}"#));
    let history = p
        .sfn
        .get_execution_history()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    let types: Vec<&str> = history
        .events()
        .iter()
        .map(|e| e.r#type().as_str())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionFailed"));
    assert!(types.contains(&"TaskFailed"), "{types:?}");
    let listed = p
        .sfn
        .list_executions()
        .state_machine_arn(&sm)
        .status_filter(aws_sdk_sfn::types::ExecutionStatus::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 1);

    // Errors with the names the SDK models.
    let err = p
        .sfn
        .describe_execution()
        .execution_arn(format!("{arn}-nope"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_execution_does_not_exist());
    let err = p
        .sfn
        .send_task_success()
        .task_token("not-a-token")
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_token());
    let well_formed = {
        use std::fmt::Write as _;
        let hex = (0..64).fold(String::new(), |mut acc, i| {
            let _ = write!(acc, "{:x}", i % 16);
            acc
        });
        base64_url(hex.as_bytes())
    };
    let err = p
        .sfn
        .send_task_heartbeat()
        .task_token(&well_formed)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_task_does_not_exist());
    let err = p
        .sfn
        .start_execution()
        .state_machine_arn(format!("{sm}-other"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_state_machine_does_not_exist());
    p.shutdown().await;
}

fn base64_url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_upload_event_five_times_makes_one_job_and_one_completed_event() {
    let p = Pipeline::start().await.unwrap();
    let key = "uploads/duplicated.mp4";
    p.upload(key, std::fs::read(clip(640, 360, 5).unwrap()).unwrap())
        .await
        .unwrap();
    let sm = p.local.endpoints().state_machine_arn.clone();

    // The execution the pump started holds the event EventBridge delivered.
    let first = loop {
        let listed = p
            .sfn
            .list_executions()
            .state_machine_arn(&sm)
            .send()
            .await
            .unwrap();
        if let Some(e) = listed.executions().first() {
            break e.execution_arn().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let event = p
        .sfn
        .describe_execution()
        .execution_arn(&first)
        .send()
        .await
        .unwrap()
        .input()
        .unwrap()
        .to_owned();
    // Redeliveries: the event body on the rule's queue 5 times, and 5 more executions of it
    // (as if five rules or retries had started them), all while the first one runs.
    let queue = p.local.resources().s3_events_queue_url.clone();
    let mut starts = Vec::new();
    for _ in 0..5 {
        p.sqs
            .send_message()
            .queue_url(&queue)
            .message_body(&event)
            .send()
            .await
            .unwrap();
        starts.push(
            p.sfn
                .start_execution()
                .state_machine_arn(&sm)
                .input(&event)
                .send(),
        );
    }
    for s in starts {
        s.await.unwrap();
    }

    let record = p.wait_final(key).await.unwrap();
    assert_eq!(record["status"], "COMPLETE", "{record:#}");
    let settled = p.wait_executions_settled().await.unwrap();
    assert_eq!(
        settled.len(),
        6,
        "1 + 5 started by hand; queue redeliveries join the first: {settled:?}"
    );
    assert!(
        settled.iter().all(|(_, st)| st == "SUCCEEDED"),
        "{settled:?}"
    );
    let jobs = p.mediaconvert.list_jobs().send().await.unwrap();
    assert_eq!(jobs.jobs().len(), 1, "exactly one MediaConvert job");
    // Give stragglers a moment to publish before counting.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let completed = p
        .events_for(s(&record["assetId"]), "asset.completed")
        .await
        .unwrap();
    assert_eq!(completed.len(), 1, "{completed:#?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_media_is_rejected_and_undecodable_video_fails_with_reasons() {
    let p = Pipeline::start().await.unwrap();
    p.upload("bad/document.mp4", pdf_bytes()).await.unwrap();
    let corrupt = corrupt_mdat(&clip(640, 360, 5).unwrap()).unwrap();
    p.upload("bad/corrupt.mp4", corrupt).await.unwrap();

    let rejected = p.wait_final("bad/document.mp4").await.unwrap();
    assert_eq!(rejected["status"], "REJECTED", "{rejected:#}");
    assert!(
        !rejected["rejection"].is_null(),
        "the record says why: {rejected:#}"
    );
    let event = p
        .wait_for_event(s(&rejected["assetId"]), "asset.rejected")
        .await
        .unwrap();
    assert_eq!(event["status"], "REJECTED");

    let failed = p.wait_final("bad/corrupt.mp4").await.unwrap();
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    assert!(!s(&failed["error"]["name"]).is_empty(), "{failed:#}");
    assert!(!s(&failed["error"]["message"]).is_empty(), "{failed:#}");
    let event = p
        .wait_for_event(s(&failed["assetId"]), "asset.failed")
        .await
        .unwrap();
    assert_eq!(event["error"]["name"], failed["error"]["name"]);
    let settled = p.wait_executions_settled().await.unwrap();
    assert_eq!(settled.len(), 2, "{settled:?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_concurrent_uploads_with_awkward_keys_all_complete() {
    let p = Pipeline::start().await.unwrap();
    let body = std::fs::read(clip(640, 360, 5).unwrap()).unwrap();
    let keys = [
        "awkward/with spaces.mp4",
        "awkward/plus+sign.mp4",
        "awkward/100% done.mp4",
        "awkward/ünïcödé 视频 🎬.mp4",
        "awkward/mixed +% é/clip (1).mp4",
    ];
    let uploads: Vec<_> = keys.iter().map(|k| p.upload(k, body.clone())).collect();
    let mut predicted = Vec::new();
    for u in uploads {
        predicted.push(u.await.unwrap());
    }
    let mut ids = HashSet::new();
    for (key, predicted) in keys.iter().zip(&predicted) {
        let record = p.wait_final(key).await.unwrap();
        assert_eq!(record["status"], "COMPLETE", "{key}: {record:#}");
        assert_eq!(
            s(&record["assetId"]),
            predicted,
            "{key}: the uploader's id (`vod upload --wait`) is the pipeline's: {record:#}"
        );
        assert_eq!(
            record["source"]["resolvedKey"], *key,
            "the pipeline read the uploaded object: {record:#}"
        );
        let hls = s(&record["playback"]["hlsUrl"]).to_owned();
        let (status, _) = http_get(&hls).await.unwrap();
        assert_eq!(status, 200, "{hls}");
        ids.insert(s(&record["assetId"]).to_owned());
    }
    assert_eq!(ids.len(), 5);
    for id in &ids {
        p.wait_for_event(id, "asset.completed").await.unwrap();
    }
    // Nothing stuck.
    let settled = p.wait_executions_settled().await.unwrap();
    assert_eq!(settled.len(), 5, "{settled:?}");
    assert!(
        settled.iter().all(|(_, st)| st == "SUCCEEDED"),
        "{settled:?}"
    );
    for r in p.all_records().await.unwrap() {
        assert!(FINAL.contains(&s(&r["status"])), "{r:#}");
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_fails_assets_left_transcoding_with_a_reason() {
    let first = Pipeline::start().await.unwrap();
    let key = "restart/long.mp4";
    first
        .upload(key, std::fs::read(clip(1280, 720, 8).unwrap()).unwrap())
        .await
        .unwrap();
    first
        .wait_for_record(key, "TRANSCODING", |r| r["status"] == "TRANSCODING")
        .await
        .unwrap();
    // The instance goes away mid-transcode (its ffmpeg is killed with it); moto keeps running.
    let left = first.shutdown().await;

    let second = Pipeline::start_on(left).await.unwrap();
    let record = second.record_for_key(key).await.unwrap().unwrap();
    assert_eq!(record["status"], "FAILED", "{record:#}");
    assert_eq!(record["error"]["name"], "Vod.Internal", "{record:#}");
    assert!(
        s(&record["error"]["message"]).contains("restarted"),
        "{record:#}"
    );
    assert_eq!(second.local.recovered().len(), 1);
    let event = second
        .wait_for_event(s(&record["assetId"]), "asset.failed")
        .await
        .unwrap();
    assert_eq!(event["status"], "FAILED");
    // A record that is final stays as it is on the next start.
    let third = Pipeline::start_on(second.shutdown().await).await.unwrap();
    assert!(third.local.recovered().is_empty());
    assert_eq!(
        third.record_for_key(key).await.unwrap().unwrap()["status"],
        "FAILED"
    );
    third.shutdown().await;
}

use crate::common::{BUCKET, Env, expect_code, record, stdout};
use chrono::Utc;
use vod_core::ports::AssetStore;
use vod_core::{AssetId, AssetStatus};

/// Keys S3 events would encode: spaces, `+`, `%` and non-ASCII, kept exactly as given.
const KEYS: [&str; 2] = ["my holiday+2 100% ünïcødé 🎬.mp4", "big file +%20 東京.mov"];

fn object_etag(out: &aws_sdk_s3::operation::head_object::HeadObjectOutput) -> String {
    out.e_tag().expect("etag").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn small_and_multipart_uploads_land_under_the_exact_key_with_the_derived_id() {
    let env = Env::start().await;
    let s3 = env.clients().s3();
    let dir = tempfile::tempdir().unwrap();

    // Small file, key from the file name (default), through --local.
    let small = dir.path().join(KEYS[0]);
    std::fs::write(&small, b"not really a video, nothing reads it").unwrap();
    let out = env.local().arg("upload").arg(&small).output().unwrap();
    expect_code(&out, 0);
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(KEYS[0])
        .send()
        .await
        .expect("object under the exact key");
    assert_eq!(head.content_length(), Some(36));
    let expected = AssetId::derive(BUCKET, KEYS[0], &object_etag(&head));
    assert_eq!(stdout(&out).trim(), expected.as_str());

    // 8 MiB × 2 + a tail: three parts, explicit --key, configured like a real account, --json.
    let big = dir.path().join("big.bin");
    let bytes: Vec<u8> = (0..(16 * 1024 * 1024 + 12_345))
        .map(|i: u32| (i % 251) as u8)
        .collect();
    std::fs::write(&big, &bytes).unwrap();
    let out = env
        .aws()
        .arg("upload")
        .arg(&big)
        .args(["--key", KEYS[1], "--json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let printed: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json is JSON on stdout only");
    assert_eq!(printed["multipart"], true);
    assert_eq!(printed["key"], KEYS[1]);
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(KEYS[1])
        .send()
        .await
        .expect("multipart object under the exact key");
    assert_eq!(head.content_length(), Some(bytes.len() as i64));
    assert!(
        object_etag(&head).contains('-'),
        "a multipart ETag: {}",
        object_etag(&head)
    );
    let expected = AssetId::derive(BUCKET, KEYS[1], &object_etag(&head));
    assert_eq!(printed["assetId"], expected.as_str());
    let body = s3
        .get_object()
        .bucket(BUCKET)
        .key(KEYS[1])
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(
        body.as_ref() == bytes.as_slice(),
        "the parts were reassembled in order"
    );
    let pending = s3
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert!(
        pending.uploads().is_empty(),
        "no multipart upload left open"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_to_a_missing_bucket_says_which_setting_to_fix() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.mp4");
    std::fs::write(&file, b"x").unwrap();
    let out = env
        .aws()
        .args(["upload", "--source-bucket", "no-such-bucket"])
        .arg(&file)
        .output()
        .unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NoSuchBucket") && err.contains("--source-bucket"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// `--wait` keeps waiting while no record exists, follows the record and maps the final status
/// to the exit code (here REJECTED → 2), printing the record as JSON.
#[tokio::test(flavor = "multi_thread")]
async fn wait_exits_2_when_the_pipeline_rejects_and_4_on_timeout() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reject me.mp4");
    std::fs::write(&file, b"plain text is not a video").unwrap();
    let child = env
        .local()
        .arg("upload")
        .arg(&file)
        .args([
            "--wait",
            "--json",
            "--timeout",
            "5m",
            "--poll-interval",
            "1s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // Play the pipeline: once the object exists, claim it, then reject it.
    let s3 = env.clients().s3();
    let etag = loop {
        if let Ok(head) = s3
            .head_object()
            .bucket(BUCKET)
            .key("reject me.mp4")
            .send()
            .await
        {
            break head.e_tag().unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let store = env.store();
    let mut rec = record("reject me.mp4", &etag, Utc::now());
    store.claim(&rec).await.unwrap();
    rec.transition(
        AssetStatus::Rejected,
        Utc::now(),
        Some("not a media file".into()),
    )
    .unwrap();
    rec.touch(Utc::now());
    store.update(&rec).await.unwrap();

    let out = child.wait_with_output().unwrap();
    expect_code(&out, 2);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["status"], "REJECTED");
    assert_eq!(printed["assetId"], rec.asset_id.as_str());

    // Same key, new content: a new asset the "pipeline" never claims → timeout.
    std::fs::write(&file, b"changed").unwrap();
    let out = env
        .local()
        .arg("upload")
        .arg(&file)
        .args(["--wait", "--timeout", "1s", "--poll-interval", "1s"])
        .output()
        .unwrap();
    expect_code(&out, 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not claimed yet"));
}

use crate::common::{Env, expect_code, record, stdout};
use chrono::{TimeDelta, Utc};
use vod_core::AssetStatus;
use vod_core::ports::AssetStore;
use vod_core::record::Playback;

#[tokio::test(flavor = "multi_thread")]
async fn status_and_list_read_records_newest_first() {
    let env = Env::start().await;
    let store = env.store();
    let t0 = Utc::now() - TimeDelta::hours(1);
    let mut ids = Vec::new();
    for (i, key) in ["one.mp4", "two ü.mp4", "three+3.mp4"].iter().enumerate() {
        let rec = record(key, &format!("etag{i}"), t0 + TimeDelta::minutes(i as i64));
        store.claim(&rec).await.unwrap();
        ids.push(rec);
    }
    // The newest goes all the way to COMPLETE with playback URLs.
    let mut done = ids[2].clone();
    for s in [
        AssetStatus::Probed,
        AssetStatus::Transcoding,
        AssetStatus::Complete,
    ] {
        done.transition(s, Utc::now(), None).unwrap();
    }
    done.playback = Some(Playback {
        hls_url: Some(format!(
            "https://d.example/assets/{}/stream.m3u8",
            done.asset_id
        )),
        ..Playback::default()
    });
    done.touch(Utc::now());
    store.update(&done).await.unwrap();

    let out = env
        .aws()
        .args(["status", done.asset_id.as_str()])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("COMPLETE") && text.contains("stream.m3u8") && text.contains("three+3.mp4"),
        "{text}"
    );
    assert_eq!(
        text.matches("PROBING").count(),
        1,
        "history lists each change: {text}"
    );

    let out = env
        .local()
        .args(["status", done.asset_id.as_str(), "--json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["playback"]["hlsUrl"],
        done.playback.as_ref().unwrap().hls_url.clone().unwrap()
    );

    // All statuses merged, newest first.
    let out = env.local().args(["list", "--json"]).output().unwrap();
    expect_code(&out, 0);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<&str> = list
        .iter()
        .map(|r| r["assetId"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            ids[2].asset_id.as_str(),
            ids[1].asset_id.as_str(),
            ids[0].asset_id.as_str()
        ]
    );

    let out = env
        .local()
        .args(["list", "--status", "probing", "--limit", "1", "--json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["assetId"], ids[1].asset_id.as_str());

    let out = env
        .local()
        .args(["list", "--status", "COMPLETE"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 1);

    // Unknown id: exit 1 with a sentence, nothing on stdout.
    let out = env
        .local()
        .args(["status", "0123456789abcdef0123456789abcdef"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no asset"));
    let out = env.local().args(["status", "not-an-id"]).output().unwrap();
    expect_code(&out, 1);
}

#[test]
fn missing_table_names_the_flag_and_variable() {
    let out = crate::common::bin()
        .args(["status", "0123456789abcdef0123456789abcdef"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--table") && err.contains("VOD_ASSET_TABLE"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn playback_prints_urls_and_cookies_for_the_asset_prefix() {
    let env = Env::start().await;
    let store = env.store();
    let mut rec = record("play me.mp4", "etag-p", Utc::now());
    store.claim(&rec).await.unwrap();
    for s in [
        AssetStatus::Probed,
        AssetStatus::Transcoding,
        AssetStatus::Complete,
    ] {
        rec.transition(s, Utc::now(), None).unwrap();
    }
    rec.touch(Utc::now());
    store.update(&rec).await.unwrap();
    let keys =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vod-signing/tests/data");
    let out = env
        .aws()
        .args([
            "playback",
            rec.asset_id.as_str(),
            "--key-pair-id",
            "K2TESTONLYEXAMPLE",
            "--for",
            "2h",
            "--json",
            "--private-key",
        ])
        .arg(keys.join("TEST-ONLY-DO-NOT-USE.rsa-private.pkcs8.pem"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let prefix = format!("/assets/{}/", rec.asset_id);
    assert_eq!(
        json["hlsUrl"],
        format!("https://d.example{prefix}stream.m3u8")
    );
    assert_eq!(json["resource"], format!("https://d.example{prefix}*"));
    let pem =
        std::fs::read_to_string(keys.join("TEST-ONLY-DO-NOT-USE.rsa-public.spki.pem")).unwrap();
    let group = std::collections::HashMap::from([(
        "K2TESTONLYEXAMPLE".to_owned(),
        vod_signing::VerifyingKey::from_pem(&pem).unwrap(),
    )]);
    let segment = format!("{prefix}stream_720p/seg_00001.mp4");
    let decision = vod_signing::verify(
        &vod_signing::VerifyRequest {
            scheme: "https",
            host: "d.example",
            path_and_query: &segment,
            cookie_header: json["cookieHeader"].as_str(),
            client_ip: "198.51.100.1".parse().unwrap(),
            now: Utc::now(),
        },
        &group,
    );
    assert!(decision.is_allowed(), "{decision:?}");
}

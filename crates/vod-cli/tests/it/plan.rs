use crate::common::{bin, data, expect_code};
use serde_json::Value;
use std::path::Path;

fn plan(fixture: &str) -> Value {
    plan_probe_file(&data(fixture))
}

/// Runs `vod job plan PROBE`, validates the body with botocore's model (`--wire`: the JSON
/// the SDK sends), returns it.
pub fn plan_probe_file(probe: &Path) -> Value {
    let out = bin().args(["job", "plan"]).arg(probe).output().unwrap();
    expect_code(&out, 0);
    let body: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON body only");
    assert!(
        !String::from_utf8_lossy(&out.stderr).trim().is_empty(),
        "ladder reasons on stderr"
    );
    vod_testkit::tools::assert_valid_create_job(&body, &probe.display().to_string());
    body
}

/// (width, height) of every video output in the body.
pub fn video_sizes(body: &Value) -> Vec<(u64, u64)> {
    body["settings"]["outputGroups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["name"] == "CMAF")
        .flat_map(|g| g["outputs"].as_array().unwrap().iter())
        .filter_map(|o| {
            let v = o.get("videoDescription")?;
            Some((v["width"].as_u64()?, v["height"].as_u64()?))
        })
        .collect()
}

#[test]
fn job_plans_validate_and_never_upscale() {
    for (fixture, src_w, src_h) in [
        ("probe-1080p.json", 1920, 1080),
        ("probe-720p.json", 1280, 720),
        ("probe-portrait-1080x1920.json", 1080, 1920),
        ("probe-4k.json", 3840, 2160),
    ] {
        let body = plan(fixture);
        let sizes = video_sizes(&body);
        assert!(!sizes.is_empty(), "{fixture}: no video rungs");
        for (w, h) in sizes {
            assert!(
                w <= src_w && h <= src_h,
                "{fixture}: rung {w}x{h} exceeds the source {src_w}x{src_h}"
            );
            if src_h > src_w {
                assert!(h > w, "{fixture}: portrait stays portrait, got {w}x{h}");
            }
        }
        assert!(body["role"].as_str().unwrap().starts_with("arn:aws:iam::"));
        assert!(body["userMetadata"]["vodAssetId"].is_string());
    }
}

#[test]
fn audio_only_plan_validates_and_has_no_video() {
    let body = plan("probe-audio-only.json");
    assert!(video_sizes(&body).is_empty());
}

#[test]
fn a_record_with_a_probe_is_accepted_and_keeps_its_id_and_source() {
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(data("probe-720p.json")).unwrap()).unwrap();
    let rec = serde_json::json!({
        "assetId": "0123456789abcdef0123456789abcdef",
        "source": {"bucket": "uploads", "key": {"raw": "a+b.mov", "decoded": "a b.mov"}},
        "probe": report,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("record.json");
    std::fs::write(&file, rec.to_string()).unwrap();
    let out = bin()
        .args(["job", "plan", "--role", "arn:aws:iam::111122223333:role/mc"])
        .arg(&file)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["role"], "arn:aws:iam::111122223333:role/mc");
    assert_eq!(
        body["userMetadata"]["vodAssetId"],
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        body["settings"]["inputs"][0]["fileInput"],
        "s3://uploads/a b.mov"
    );
}

#[test]
fn a_file_that_is_not_a_probe_is_refused_in_words() {
    let out = bin()
        .args(["job", "plan"])
        .arg(data("../../Cargo.toml"))
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not JSON"));
}

use crate::common::{bin, expect_code, stdout};
use chrono::{TimeDelta, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use vod_signing::{DenyReason, KeyGroup, VerifyRequest, VerifyingKey, verify};

const KEY_ID: &str = "K2TESTONLYEXAMPLE";

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vod-signing/tests/data")
        .join(name)
}

fn keys() -> KeyGroup {
    let pem =
        std::fs::read_to_string(key_file("TEST-ONLY-DO-NOT-USE.rsa-public.spki.pem")).unwrap();
    HashMap::from([(KEY_ID.to_owned(), VerifyingKey::from_pem(&pem).unwrap())])
}

fn sign(args: &[&str]) -> std::process::Output {
    bin()
        .args(["sign", "--key-pair-id", KEY_ID, "--private-key"])
        .arg(key_file("TEST-ONLY-DO-NOT-USE.rsa-private.pkcs1.pem"))
        .args(args)
        .output()
        .unwrap()
}

fn check(
    path_and_query: &str,
    cookie_header: Option<&str>,
    ip: &str,
    now: chrono::DateTime<Utc>,
) -> vod_signing::Decision {
    verify(
        &VerifyRequest {
            scheme: "https",
            host: "d.example",
            path_and_query,
            cookie_header,
            client_ip: ip.parse().unwrap(),
            now,
        },
        &keys(),
    )
}

#[test]
fn canned_signed_url_verifies_and_expires() {
    let out = sign(&[
        "https://d.example/assets/abc/stream.m3u8",
        "--expires",
        "1h",
    ]);
    expect_code(&out, 0);
    let url = stdout(&out).trim().to_owned();
    let path = url.strip_prefix("https://d.example").unwrap();
    assert!(path.contains("Expires=") && !path.contains("Policy="));
    let now = Utc::now();
    assert!(check(path, None, "198.51.100.1", now).is_allowed());
    assert_eq!(
        check(path, None, "198.51.100.1", now + TimeDelta::hours(2)).deny_reason(),
        Some(DenyReason::Expired)
    );
}

#[test]
fn custom_policy_url_and_cookies_cover_the_prefix_and_ip() {
    let resource = "https://d.example/assets/abc/*";
    let out = sign(&[
        "https://d.example/assets/abc/stream.m3u8",
        "--policy-resource",
        resource,
        "--ip",
        "203.0.113.0/24",
        "--expires",
        "2h",
        "--json",
    ]);
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["policy"], "custom");
    let cookies: vod_signing::SignedCookies =
        serde_json::from_value(json["cookies"].clone()).unwrap();
    let header = cookies.cookie_header();
    let now = Utc::now();
    assert!(
        check(
            "/assets/abc/stream_720p/seg_00001.mp4",
            Some(&header),
            "203.0.113.9",
            now
        )
        .is_allowed()
    );
    assert_eq!(
        check(
            "/assets/other/stream.m3u8",
            Some(&header),
            "203.0.113.9",
            now
        )
        .deny_reason(),
        Some(DenyReason::ResourceMismatch)
    );
    assert_eq!(
        check(
            "/assets/abc/stream.m3u8",
            Some(&header),
            "198.51.100.1",
            now
        )
        .deny_reason(),
        Some(DenyReason::IpNotAllowed)
    );
    let url = json["signedUrl"].as_str().unwrap();
    assert!(
        check(
            url.strip_prefix("https://d.example").unwrap(),
            None,
            "203.0.113.9",
            now
        )
        .is_allowed()
    );

    // --cookies: Set-Cookie lines scoped to the prefix.
    let out = sign(&[
        "https://d.example/assets/abc/stream.m3u8",
        "--policy-resource",
        resource,
        "--cookies",
    ]);
    expect_code(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("Set-Cookie: CloudFront-") && l.contains("Path=/assets/abc/"))
    );
}

#[test]
fn not_before_is_honoured_and_bad_input_is_explained() {
    let out = sign(&[
        "https://d.example/a.mp4",
        "--not-before",
        "30m",
        "--expires",
        "2h",
        "--json",
    ]);
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let url = json["signedUrl"]
        .as_str()
        .unwrap()
        .strip_prefix("https://d.example")
        .unwrap()
        .to_owned();
    let now = Utc::now();
    assert_eq!(
        check(&url, None, "198.51.100.1", now).deny_reason(),
        Some(DenyReason::NotYetValid)
    );
    assert!(check(&url, None, "198.51.100.1", now + TimeDelta::hours(1)).is_allowed());

    let out = sign(&["https://d.example/a.mp4", "--expires", "yesterday"]);
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--expires"));
    let out = bin()
        .args([
            "sign",
            "https://d.example/a.mp4",
            "--key-pair-id",
            KEY_ID,
            "--private-key",
            "/nonexistent.pem",
        ])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.pem"));
}

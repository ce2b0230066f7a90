//! Byte-for-byte compatibility with botocore's `CloudFrontSigner`.
//! Expected values: tests/data/vectors.json, made by
//! tools/signing-vectors/generate.py (no Python needed here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::Value;
use vod_signing::{CustomPolicy, SignedCookies, canned_policy};

use common::{at, key};

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(include_str!("data/vectors.json")).unwrap();
    assert_eq!(doc["key_pair_id"], common::KEY_PAIR_ID);
    doc["cases"].as_array().unwrap().clone()
}

fn custom_policy(case: &Value) -> CustomPolicy {
    let mut policy = CustomPolicy::new(
        case["resource"].as_str().unwrap(),
        at(case["expires"].as_i64().unwrap()),
    );
    if let Some(nb) = case["not_before"].as_i64() {
        policy = policy.with_not_before(at(nb));
    }
    if let Some(ip) = case["ip_address"].as_str() {
        policy = policy.with_source_ip(ip).unwrap();
    }
    policy
}

fn expected_cookies(case: &Value) -> SignedCookies {
    serde_json::from_value(case["expected_cookies"].clone()).unwrap()
}

#[test]
fn vectors_cover_required_cases() {
    let names: Vec<String> = cases()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    for required in [
        "canned_url_no_query",
        "canned_url_with_query",
        "custom_url_wildcard_not_before_ip",
        "custom_cookies_prefix",
        "canned_cookies_single_object",
    ] {
        assert!(names.iter().any(|n| n == required), "missing {required}");
    }
}

#[test]
fn canned_urls_match_botocore() {
    let key = key();
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "canned_url") {
        let url = case["url"].as_str().unwrap();
        let expires = at(case["expires"].as_i64().unwrap());
        assert_eq!(
            canned_policy(url, expires),
            case["policy"].as_str().unwrap()
        );
        let signed = key.signed_url_canned(url, expires).unwrap();
        assert_eq!(
            signed,
            case["expected_url"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        n += 1;
    }
    assert!(n >= 2);
}

#[test]
fn custom_urls_match_botocore() {
    let key = key();
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "custom_url") {
        let policy = custom_policy(case);
        assert_eq!(
            policy.to_json(),
            case["policy"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        let signed = key
            .signed_url_custom(case["url"].as_str().unwrap(), &policy)
            .unwrap();
        assert_eq!(
            signed,
            case["expected_url"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn custom_cookies_match_botocore() {
    let key = key();
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "custom_cookies") {
        let policy = custom_policy(case);
        assert_eq!(policy.to_json(), case["policy"].as_str().unwrap());
        let cookies = key.signed_cookies_custom(&policy).unwrap();
        assert_eq!(cookies, expected_cookies(case), "{}", case["name"]);
        // The JSON form is the same object the script wrote (minus number vs string).
        assert_eq!(
            serde_json::to_value(&cookies).unwrap(),
            case["expected_cookies"]
        );
        n += 1;
    }
    assert!(n >= 2);
}

#[test]
fn canned_cookies_match_botocore() {
    let key = key();
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "canned_cookies") {
        let resource = case["resource"].as_str().unwrap();
        let expires = at(case["expires"].as_i64().unwrap());
        let cookies = key.signed_cookies_canned(resource, expires).unwrap();
        let expected = &case["expected_cookies"];
        assert_eq!(
            cookies.expires.map(|e| e.to_string()).as_deref(),
            expected["CloudFront-Expires"].as_str()
        );
        assert_eq!(cookies.policy, None);
        assert_eq!(
            cookies.signature,
            expected["CloudFront-Signature"].as_str().unwrap()
        );
        assert_eq!(
            cookies.key_pair_id,
            expected["CloudFront-Key-Pair-Id"].as_str().unwrap()
        );
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn pkcs8_and_pkcs1_keys_sign_identically() {
    let pkcs1 = key();
    let pkcs8 = vod_signing::SigningKey::from_pem(common::KEY_PAIR_ID, common::PKCS8_PEM).unwrap();
    let url = "https://d111111abcdef8.cloudfront.net/a.m3u8";
    assert_eq!(
        pkcs1.signed_url_canned(url, at(1_893_456_000)).unwrap(),
        pkcs8.signed_url_canned(url, at(1_893_456_000)).unwrap()
    );
    assert_eq!(
        pkcs1.verifying_key(),
        vod_signing::VerifyingKey::from_pem(common::PUBLIC_PEM).unwrap()
    );
}

#[test]
fn botocore_signed_urls_and_cookies_pass_verification() {
    let keys = common::keys();
    // Inside every vector's validity window, from inside 203.0.113.0/24.
    let now = at(1_892_000_000);
    let client_ip = "203.0.113.10".parse().unwrap();
    let split = |url: &str| -> (String, String) {
        let rest = url.strip_prefix("https://").unwrap();
        let slash = rest.find('/').unwrap();
        (rest[..slash].to_owned(), rest[slash..].to_owned())
    };
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let (url, cookie_header) = match case["kind"].as_str().unwrap() {
            "canned_url" | "custom_url" => {
                (case["expected_url"].as_str().unwrap().to_owned(), None)
            }
            _ => {
                // Cookie header straight from the botocore-made values.
                let header = case["expected_cookies"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                    .collect::<Vec<_>>()
                    .join("; ");
                let url = case["resource"]
                    .as_str()
                    .unwrap()
                    .replace('*', "hls/master.m3u8");
                (url, Some(header))
            }
        };
        let (host, path_and_query) = split(&url);
        // Vectors with a single-IP restriction are checked from that IP.
        let ip = match case["ip_address"].as_str() {
            Some("198.51.100.7") => "198.51.100.7".parse().unwrap(),
            _ => client_ip,
        };
        let decision = vod_signing::verify(
            &vod_signing::VerifyRequest {
                scheme: "https",
                host: &host,
                path_and_query: &path_and_query,
                cookie_header: cookie_header.as_deref(),
                client_ip: ip,
                now,
            },
            &keys,
        );
        assert!(decision.is_allowed(), "{name}: {decision:?}");
    }
}

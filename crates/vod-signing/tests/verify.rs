//! Edge verification: allow paths and every deny reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use vod_signing::{
    CredentialSource, CustomPolicy, Decision, DenyReason, PlaybackRequest, PolicyKind, SigningKey,
    VerifyRequest, cloudfront_b64decode, cloudfront_b64encode, playback, verify,
};

use common::{KEY_PAIR_ID, at, key, keys};

const BASE: &str = "https://d111111abcdef8.cloudfront.net";
const EXPIRES: i64 = 1_893_456_000; // 2030-01-01
const NOT_BEFORE: i64 = 1_890_777_600; // 2029-12-01
const NOW: i64 = 1_892_000_000; // between the two
const INSIDE_IP: &str = "203.0.113.77";
const OUTSIDE_IP: &str = "192.0.2.1";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Verifies a full signed URL (as produced by the signer) with optional cookies.
fn check_url(url: &str, cookies: Option<&str>, client_ip: &str, now: DateTime<Utc>) -> Decision {
    let rest = url.strip_prefix("https://").unwrap();
    let slash = rest.find('/').unwrap();
    let (host, path_and_query) = rest.split_at(slash);
    verify(
        &VerifyRequest {
            scheme: "https",
            host,
            path_and_query,
            cookie_header: cookies,
            client_ip: ip(client_ip),
            now,
        },
        &keys(),
    )
}

fn deny(decision: Decision) -> DenyReason {
    decision.deny_reason().expect("expected a deny")
}

fn prefix_policy() -> CustomPolicy {
    CustomPolicy::new(format!("{BASE}/assets/abc123/*"), at(EXPIRES))
}

fn full_policy() -> CustomPolicy {
    prefix_policy()
        .with_not_before(at(NOT_BEFORE))
        .with_source_ip("203.0.113.0/24")
        .unwrap()
}

fn master() -> String {
    format!("{BASE}/assets/abc123/hls/master.m3u8")
}

/// Replaces the value of query parameter `name` in a signed URL.
fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n == name => format!("{n}={value}"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn param<'a>(url: &'a str, name: &str) -> &'a str {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap()
}

#[test]
fn canned_url_allows() {
    let url = key().signed_url_canned(&master(), at(EXPIRES)).unwrap();
    match check_url(&url, None, OUTSIDE_IP, at(NOW)) {
        Decision::Allow(grant) => {
            assert_eq!(grant.source, CredentialSource::QueryString);
            assert_eq!(grant.kind, PolicyKind::Canned);
            assert_eq!(grant.key_pair_id, KEY_PAIR_ID);
            assert_eq!(grant.expires, at(EXPIRES));
        }
        other => panic!("expected allow, got {other:?}"),
    }
}

#[test]
fn canned_url_with_existing_query_allows_and_binds_the_query() {
    let url = key()
        .signed_url_canned(&format!("{}?session=42&lang=en", master()), at(EXPIRES))
        .unwrap();
    assert!(check_url(&url, None, OUTSIDE_IP, at(NOW)).is_allowed());
    let changed = url.replace("session=42", "session=43");
    assert_eq!(
        deny(check_url(&changed, None, OUTSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
}

#[test]
fn custom_url_allows() {
    let url = key().signed_url_custom(&master(), &full_policy()).unwrap();
    let decision = check_url(&url, None, INSIDE_IP, at(NOW));
    assert!(decision.is_allowed(), "{decision:?}");
    // The same policy signs any URL under the prefix.
    let seg = key()
        .signed_url_custom(
            &format!("{BASE}/assets/abc123/hls/720p/seg_001.ts?x=1"),
            &full_policy(),
        )
        .unwrap();
    assert!(check_url(&seg, None, INSIDE_IP, at(NOW)).is_allowed());
}

fn playback_cookies(now: DateTime<Utc>) -> String {
    let session = playback(
        &key(),
        &PlaybackRequest {
            cdn_base_url: BASE,
            asset_prefix: "assets/abc123/",
            hls_manifest: Some("hls/master.m3u8"),
            dash_manifest: Some("dash/manifest.mpd"),
            valid_for: TimeDelta::hours(2),
            now,
            client_ip: None,
        },
    )
    .unwrap();
    session.cookies.cookie_header()
}

#[test]
fn cookies_allow_playlist_and_segments_under_prefix() {
    let now = at(NOW);
    let cookies = playback_cookies(now);
    for path in [
        "/assets/abc123/hls/master.m3u8",
        "/assets/abc123/hls/720p/index.m3u8",
        "/assets/abc123/hls/720p/segment_00042.ts",
        "/assets/abc123/dash/manifest.mpd",
        "/assets/abc123/dash/video/1080p/chunk-7.m4s?range=1",
    ] {
        let decision = check_url(&format!("{BASE}{path}"), Some(&cookies), OUTSIDE_IP, now);
        match decision {
            Decision::Allow(grant) => {
                assert_eq!(grant.source, CredentialSource::Cookies);
                assert_eq!(grant.kind, PolicyKind::Custom);
            }
            other => panic!("{path}: expected allow, got {other:?}"),
        }
    }
}

#[test]
fn cookies_with_other_cookies_and_attributes_allow() {
    let now = at(NOW);
    let header = format!("theme=dark; {}; _ga=GA1.2.3", playback_cookies(now));
    assert!(
        check_url(
            &format!("{BASE}/assets/abc123/hls/master.m3u8"),
            Some(&header),
            OUTSIDE_IP,
            now
        )
        .is_allowed()
    );
}

#[test]
fn canned_cookies_allow_only_their_url() {
    let cookies = key()
        .signed_cookies_canned(&master(), at(EXPIRES))
        .unwrap()
        .cookie_header();
    assert!(check_url(&master(), Some(&cookies), OUTSIDE_IP, at(NOW)).is_allowed());
    let other = format!("{BASE}/assets/abc123/hls/720p/segment_00042.ts");
    assert_eq!(
        deny(check_url(&other, Some(&cookies), OUTSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
}

#[test]
fn cookies_deny_outside_prefix() {
    let now = at(NOW);
    let cookies = playback_cookies(now);
    for path in [
        "/assets/abc124/hls/master.m3u8",
        "/assets/abc123",
        "/other/abc123/hls/master.m3u8",
    ] {
        assert_eq!(
            deny(check_url(
                &format!("{BASE}{path}"),
                Some(&cookies),
                OUTSIDE_IP,
                now
            )),
            DenyReason::ResourceMismatch,
            "{path}"
        );
    }
    // Other distribution host, same path.
    assert_eq!(
        deny(check_url(
            "https://d999.cloudfront.net/assets/abc123/hls/master.m3u8",
            Some(&cookies),
            OUTSIDE_IP,
            now
        )),
        DenyReason::ResourceMismatch
    );
}

#[test]
fn expired_denies() {
    let custom = key()
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    assert_eq!(
        deny(check_url(&custom, None, INSIDE_IP, at(EXPIRES))),
        DenyReason::Expired
    );
    assert_eq!(
        deny(check_url(&custom, None, INSIDE_IP, at(EXPIRES + 3600))),
        DenyReason::Expired
    );
    assert!(check_url(&custom, None, INSIDE_IP, at(EXPIRES - 1)).is_allowed());

    let canned = key().signed_url_canned(&master(), at(EXPIRES)).unwrap();
    assert_eq!(
        deny(check_url(&canned, None, INSIDE_IP, at(EXPIRES))),
        DenyReason::Expired
    );

    let cookies = playback_cookies(at(NOW));
    let later = at(NOW) + TimeDelta::hours(2);
    assert_eq!(
        deny(check_url(&master(), Some(&cookies), INSIDE_IP, later)),
        DenyReason::Expired
    );
}

#[test]
fn wrong_resource_denies() {
    let policy = CustomPolicy::new(format!("{BASE}/assets/abc123/hls/master.m3u8"), at(EXPIRES));
    let url = key().signed_url_custom(&master(), &policy).unwrap();
    assert!(check_url(&url, None, INSIDE_IP, at(NOW)).is_allowed());
    // Move the signing params to another object.
    let moved = url.replace("/hls/master.m3u8", "/hls/other.m3u8");
    assert_eq!(
        deny(check_url(&moved, None, INSIDE_IP, at(NOW))),
        DenyReason::ResourceMismatch
    );
    // http vs https is part of the resource.
    let plain_http = url.replacen("https://", "http://", 1);
    let rest = plain_http.strip_prefix("http://").unwrap();
    let (host, pq) = rest.split_at(rest.find('/').unwrap());
    let decision = verify(
        &VerifyRequest {
            scheme: "http",
            host,
            path_and_query: pq,
            cookie_header: None,
            client_ip: ip(INSIDE_IP),
            now: at(NOW),
        },
        &keys(),
    );
    assert_eq!(deny(decision), DenyReason::ResourceMismatch);
}

#[test]
fn single_char_wildcard_matches_exactly_one_char() {
    let policy = CustomPolicy::new(format!("{BASE}/assets/abc123/seg_?.ts"), at(EXPIRES));
    let cookies = key()
        .signed_cookies_custom(&policy)
        .unwrap()
        .cookie_header();
    let go = |p: &str| check_url(&format!("{BASE}{p}"), Some(&cookies), INSIDE_IP, at(NOW));
    assert!(go("/assets/abc123/seg_1.ts").is_allowed());
    assert_eq!(
        deny(go("/assets/abc123/seg_12.ts")),
        DenyReason::ResourceMismatch
    );
    assert_eq!(
        deny(go("/assets/abc123/seg_.ts")),
        DenyReason::ResourceMismatch
    );
}

#[test]
fn tampered_policy_denies() {
    let url = key()
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    // Re-encode a policy with a later expiry: still valid base64 and JSON.
    let original = String::from_utf8(cloudfront_b64decode(param(&url, "Policy")).unwrap()).unwrap();
    let extended = original.replace(&EXPIRES.to_string(), &(EXPIRES + 86_400 * 365).to_string());
    assert_ne!(original, extended);
    let tampered = replace_param(&url, "Policy", &cloudfront_b64encode(extended.as_bytes()));
    assert_eq!(
        deny(check_url(&tampered, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
    // Widen the resource.
    let widened = original.replace("/assets/abc123/*", "/*");
    let tampered = replace_param(&url, "Policy", &cloudfront_b64encode(widened.as_bytes()));
    assert_eq!(
        deny(check_url(&tampered, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
    // Not base64 at all.
    let garbage = replace_param(&url, "Policy", "not*base64!");
    assert_eq!(
        deny(check_url(&garbage, None, INSIDE_IP, at(NOW))),
        DenyReason::MalformedPolicy
    );
}

#[test]
fn validly_signed_but_malformed_policy_denies() {
    let key = key();
    for doc in [
        "not json",
        r#"{"Statement":[]}"#,
        r#"{"Statement":[{"Resource":"*"}]}"#,
        r#"{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}"#,
        r#"{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000},"IpAddress":{"AWS:SourceIp":"300.1.1.1/8"}}}]}"#,
    ] {
        let cookies = format!(
            "CloudFront-Policy={}; CloudFront-Signature={}; CloudFront-Key-Pair-Id={KEY_PAIR_ID}",
            cloudfront_b64encode(doc.as_bytes()),
            key.sign_policy(doc).unwrap()
        );
        assert_eq!(
            deny(check_url(&master(), Some(&cookies), INSIDE_IP, at(NOW))),
            DenyReason::MalformedPolicy,
            "{doc}"
        );
    }
}

#[test]
fn policy_without_resource_allows_any_url() {
    let doc = r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}"#;
    let key = key();
    let cookies = format!(
        "CloudFront-Policy={}; CloudFront-Signature={}; CloudFront-Key-Pair-Id={KEY_PAIR_ID}",
        cloudfront_b64encode(doc.as_bytes()),
        key.sign_policy(doc).unwrap()
    );
    assert!(
        check_url(
            "https://anything.example/x",
            Some(&cookies),
            INSIDE_IP,
            at(NOW)
        )
        .is_allowed()
    );
}

#[test]
fn tampered_signature_denies() {
    let url = key()
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    let sig = param(&url, "Signature");
    let mut bytes = cloudfront_b64decode(sig).unwrap();
    bytes[10] ^= 0x01;
    let tampered = replace_param(&url, "Signature", &cloudfront_b64encode(&bytes));
    assert_eq!(
        deny(check_url(&tampered, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
    let truncated = replace_param(&url, "Signature", &sig[..40]);
    assert_eq!(
        deny(check_url(&truncated, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
    let garbage = replace_param(&url, "Signature", "%%%");
    assert_eq!(
        deny(check_url(&garbage, None, INSIDE_IP, at(NOW))),
        DenyReason::MalformedSignature
    );

    let canned = key().signed_url_canned(&master(), at(EXPIRES)).unwrap();
    let tampered = replace_param(&canned, "Expires", &(EXPIRES + 1).to_string());
    assert_eq!(
        deny(check_url(&tampered, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
}

#[test]
fn wrong_key_id_denies() {
    let other_id = SigningKey::from_pem("K3UNKNOWNKEY", common::PKCS1_PEM).unwrap();
    let url = other_id
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    assert_eq!(
        deny(check_url(&url, None, INSIDE_IP, at(NOW))),
        DenyReason::UnknownKeyPairId
    );
    let cookies = other_id
        .signed_cookies_custom(&prefix_policy())
        .unwrap()
        .cookie_header();
    assert_eq!(
        deny(check_url(&master(), Some(&cookies), INSIDE_IP, at(NOW))),
        DenyReason::UnknownKeyPairId
    );
}

#[test]
fn right_key_id_but_other_private_key_denies() {
    let impostor = SigningKey::from_pem(KEY_PAIR_ID, common::OTHER_PKCS8_PEM).unwrap();
    let url = impostor
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    assert_eq!(
        deny(check_url(&url, None, INSIDE_IP, at(NOW))),
        DenyReason::SignatureMismatch
    );
}

#[test]
fn not_yet_valid_denies() {
    let url = key().signed_url_custom(&master(), &full_policy()).unwrap();
    assert_eq!(
        deny(check_url(&url, None, INSIDE_IP, at(NOT_BEFORE - 1))),
        DenyReason::NotYetValid
    );
    assert!(check_url(&url, None, INSIDE_IP, at(NOT_BEFORE)).is_allowed());
}

#[test]
fn ip_outside_range_denies() {
    let url = key().signed_url_custom(&master(), &full_policy()).unwrap();
    assert_eq!(
        deny(check_url(&url, None, OUTSIDE_IP, at(NOW))),
        DenyReason::IpNotAllowed
    );
    assert_eq!(
        deny(check_url(&url, None, "203.0.114.1", at(NOW))),
        DenyReason::IpNotAllowed
    );
    assert_eq!(
        deny(check_url(&url, None, "2001:db8::1", at(NOW))),
        DenyReason::IpNotAllowed
    );
    // IPv4-mapped IPv6 form of an address inside the block.
    assert!(check_url(&url, None, "::ffff:203.0.113.9", at(NOW)).is_allowed());
}

#[test]
fn ipv6_source_ip_is_enforced() {
    let policy = prefix_policy().with_source_ip("2001:db8:1::/48").unwrap();
    let url = key().signed_url_custom(&master(), &policy).unwrap();
    assert!(check_url(&url, None, "2001:db8:1:ff::7", at(NOW)).is_allowed());
    assert_eq!(
        deny(check_url(&url, None, "2001:db8:2::7", at(NOW))),
        DenyReason::IpNotAllowed
    );
    assert_eq!(
        deny(check_url(&url, None, INSIDE_IP, at(NOW))),
        DenyReason::IpNotAllowed
    );
}

#[test]
fn missing_or_incomplete_credentials_deny() {
    assert_eq!(
        deny(check_url(&master(), None, INSIDE_IP, at(NOW))),
        DenyReason::MissingCredentials
    );
    assert_eq!(
        deny(check_url(&master(), Some("theme=dark"), INSIDE_IP, at(NOW))),
        DenyReason::MissingCredentials
    );
    let url = key().signed_url_canned(&master(), at(EXPIRES)).unwrap();
    let no_sig = url.split("&Signature=").next().unwrap().to_owned();
    assert_eq!(
        deny(check_url(&no_sig, None, INSIDE_IP, at(NOW))),
        DenyReason::MalformedCredentials
    );
    let both = format!("{url}&Policy=abc");
    assert_eq!(
        deny(check_url(&both, None, INSIDE_IP, at(NOW))),
        DenyReason::MalformedCredentials
    );
    let bad_expires = replace_param(&url, "Expires", "soon");
    assert_eq!(
        deny(check_url(&bad_expires, None, INSIDE_IP, at(NOW))),
        DenyReason::MalformedExpires
    );
}

#[test]
fn query_string_credentials_take_precedence_over_cookies() {
    let now = at(NOW);
    let good_cookies = playback_cookies(now);
    let expired_url = key().signed_url_canned(&master(), at(NOW - 10)).unwrap();
    assert_eq!(
        deny(check_url(&expired_url, Some(&good_cookies), INSIDE_IP, now)),
        DenyReason::Expired
    );
}

#[test]
fn percent_encoded_signing_params_are_decoded() {
    let url = key()
        .signed_url_custom(&master(), &prefix_policy())
        .unwrap();
    let encode = |v: &str| {
        v.replace('~', "%7E")
            .replace('-', "%2D")
            .replace('_', "%5F")
    };
    let encoded = replace_param(&url, "Policy", &encode(param(&url, "Policy")));
    let encoded = replace_param(&encoded, "Signature", &encode(param(&url, "Signature")));
    assert_ne!(encoded, url);
    assert!(check_url(&encoded, None, INSIDE_IP, at(NOW)).is_allowed());
}

//! Property tests: what we sign verifies; any flipped signature byte is denied.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use vod_signing::{
    CustomPolicy, DenyReason, SigningKey, VerifyRequest, cloudfront_b64decode,
    cloudfront_b64encode, verify,
};

use common::at;

const HOST: &str = "d111111abcdef8.cloudfront.net";

fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(common::key)
}

fn req<'a>(path_and_query: &'a str, cookies: Option<&'a str>, now: i64) -> VerifyRequest<'a> {
    VerifyRequest {
        scheme: "https",
        host: HOST,
        path_and_query,
        cookie_header: cookies,
        client_ip: "203.0.113.9".parse().unwrap(),
        now: at(now),
    }
}

fn path_strategy() -> impl Strategy<Value = String> {
    // Path segments of URL-safe characters, optionally with a query string.
    (
        proptest::collection::vec("[A-Za-z0-9._~-]{1,12}", 1..4),
        proptest::option::of("[a-z]{1,5}=[A-Za-z0-9]{0,6}"),
    )
        .prop_map(|(segs, query)| {
            let mut p = format!("/{}", segs.join("/"));
            if let Some(q) = query {
                p.push('?');
                p.push_str(&q);
            }
            p
        })
}

/// One canned and one custom signed URL, signed once and shared (RSA signing
/// in debug builds is slow); the byte-flip property runs against them.
fn fixed_urls() -> &'static (String, String) {
    static URLS: OnceLock<(String, String)> = OnceLock::new();
    URLS.get_or_init(|| {
        let key = signing_key();
        let url = format!("https://{HOST}/assets/abc/hls/master.m3u8?session=1");
        let canned = key.signed_url_canned(&url, at(2_000_000_000)).unwrap();
        let policy = CustomPolicy::new(format!("https://{HOST}/assets/abc/*"), at(2_000_000_000))
            .with_source_ip("203.0.113.0/24")
            .unwrap();
        let custom = key.signed_url_custom(&url, &policy).unwrap();
        (canned, custom)
    })
}

fn flip_signature(url: &str, index: usize, bit: u8) -> String {
    let (before, after) = url.split_once("&Signature=").unwrap();
    let (sig, rest) = after.split_once('&').unwrap();
    let mut bytes = cloudfront_b64decode(sig).unwrap();
    let i = index % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
    format!("{before}&Signature={}&{rest}", cloudfront_b64encode(&bytes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn signed_urls_and_cookies_verify(
        path in path_strategy(),
        now in 1_000_000_000i64..1_900_000_000,
        ttl in 1i64..1_000_000,
        canned in any::<bool>(),
    ) {
        let key = signing_key();
        let keys = common::keys();
        let url = format!("https://{HOST}{path}");
        let expires = now + ttl;
        let signed = if canned {
            key.signed_url_canned(&url, at(expires)).unwrap()
        } else {
            key.signed_url_custom(&url, &CustomPolicy::new(url.clone(), at(expires))).unwrap()
        };
        let pq = signed.strip_prefix(&format!("https://{HOST}")).unwrap();
        let decision = verify(&req(pq, None, now), &keys);
        prop_assert!(decision.is_allowed(), "{signed}: {decision:?}");
        // And it expires exactly at DateLessThan.
        prop_assert_eq!(verify(&req(pq, None, expires), &keys).deny_reason(), Some(DenyReason::Expired));

        let prefix = format!("https://{HOST}{}*", &path[..path.rfind('/').unwrap() + 1]);
        let cookies = key.signed_cookies_custom(&CustomPolicy::new(prefix, at(expires))).unwrap();
        let header = cookies.cookie_header();
        prop_assert!(verify(&req(&path, Some(&header), now), &keys).is_allowed());
    }

    #[test]
    fn flipping_any_signature_byte_denies(index in 0usize..256, bit in 0u8..8, custom in any::<bool>()) {
        let (canned_url, custom_url) = fixed_urls();
        let url = if custom { custom_url } else { canned_url };
        let keys = common::keys();
        let pq = url.strip_prefix(&format!("https://{HOST}")).unwrap();
        prop_assert!(verify(&req(pq, None, 1_900_000_000), &keys).is_allowed());
        let flipped = flip_signature(url, index, bit);
        let pq = flipped.strip_prefix(&format!("https://{HOST}")).unwrap();
        prop_assert_eq!(
            verify(&req(pq, None, 1_900_000_000), &keys).deny_reason(),
            Some(DenyReason::SignatureMismatch)
        );
    }
}

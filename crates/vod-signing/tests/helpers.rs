//! Policy JSON, base64, wildcards, CIDRs, cookies, playback and expiry parsing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::TimeDelta;
use vod_signing::{
    CookieAttributes, CustomPolicy, IpCidr, PlaybackRequest, SameSite, SigningError, SigningKey,
    VerifyingKey, cloudfront_b64decode, cloudfront_b64encode, parse_duration, parse_expiry,
    playback, resource_matches,
};

use common::{at, key};

#[test]
fn policy_json_key_order_and_escaping_match_python_json_dumps() {
    let policy = CustomPolicy::new("https://h/a\"b\\c\u{7f}é😀*", at(10))
        .with_not_before(at(5))
        .with_source_ip("10.0.0.1")
        .unwrap();
    assert_eq!(
        policy.to_json(),
        r#"{"Statement":[{"Resource":"https://h/a\"b\\c\u007f\u00e9\ud83d\ude00*","Condition":{"DateLessThan":{"AWS:EpochTime":10},"IpAddress":{"AWS:SourceIp":"10.0.0.1/32"},"DateGreaterThan":{"AWS:EpochTime":5}}}]}"#
    );
    assert_eq!(policy.source_ip(), Some("10.0.0.1/32"));
    assert_eq!(policy.expires(), at(10));
    assert_eq!(policy.not_before(), Some(at(5)));
    let v6 = CustomPolicy::new("r", at(10))
        .with_source_ip("2001:db8::1")
        .unwrap();
    assert_eq!(v6.source_ip(), Some("2001:db8::1/128"));
    assert!(
        CustomPolicy::new("r", at(10))
            .with_source_ip("10.0.0.0/33")
            .is_err()
    );
    assert!(
        CustomPolicy::new("r", at(10))
            .with_source_ip("example.com")
            .is_err()
    );
}

#[test]
fn cloudfront_base64_alphabet() {
    assert_eq!(cloudfront_b64encode(&[0xfb, 0xff]), "-~8_");
    assert_eq!(cloudfront_b64decode("-~8_").unwrap(), vec![0xfb, 0xff]);
    assert_eq!(cloudfront_b64decode("-~8").unwrap(), vec![0xfb, 0xff]);
    assert_eq!(cloudfront_b64decode("+/8=").unwrap(), vec![0xfb, 0xff]);
    assert!(cloudfront_b64decode("*!").is_none());
}

#[test]
fn wildcard_matching() {
    assert!(resource_matches("https://h/a/*", "https://h/a/"));
    assert!(resource_matches("https://h/a/*", "https://h/a/b/c.ts?x=1"));
    assert!(resource_matches("*", ""));
    assert!(resource_matches(
        "https://h/*/master.m3u8",
        "https://h/x/y/master.m3u8"
    ));
    assert!(resource_matches(
        "https://h/seg_??.ts",
        "https://h/seg_01.ts"
    ));
    assert!(!resource_matches(
        "https://h/seg_??.ts",
        "https://h/seg_1.ts"
    ));
    assert!(!resource_matches("https://h/a/*", "https://h/a"));
    assert!(!resource_matches("https://h/A/*", "https://h/a/x"));
    assert!(!resource_matches("https://h/a/*.ts", "https://h/a/x.m4s"));
    assert!(resource_matches("http*://h/*", "https://h/z"));
}

#[test]
fn cidr_contains() {
    let net: IpCidr = "203.0.113.5/24".parse().unwrap();
    assert!(net.contains("203.0.113.200".parse().unwrap()));
    assert!(!net.contains("203.0.112.200".parse().unwrap()));
    let all: IpCidr = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains("8.8.8.8".parse().unwrap()));
    let host: IpCidr = "198.51.100.7".parse().unwrap();
    assert_eq!(host.prefix_len(), 32);
    assert!(host.contains("198.51.100.7".parse().unwrap()));
    assert!(!host.contains("198.51.100.8".parse().unwrap()));
    assert!("1.2.3.4/".parse::<IpCidr>().is_err());
    assert!("1.2.3.4/+8".parse::<IpCidr>().is_err());
    assert_eq!(net.to_string(), "203.0.113.5/24");
}

#[test]
fn set_cookie_lines() {
    let cookies = key()
        .signed_cookies_custom(&CustomPolicy::new(
            "https://cdn.example.com/assets/a/*",
            at(2_000_000_000),
        ))
        .unwrap();
    let attrs = CookieAttributes {
        domain: Some(".example.com".into()),
        path: Some("/assets/a/".into()),
        secure: false,
        http_only: true,
        same_site: Some(SameSite::None),
        max_age: Some(7200),
        expires: Some(at(2_000_000_000)),
    };
    let lines = cookies.set_cookie_headers(&attrs).unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("CloudFront-Policy="));
    assert!(lines[1].starts_with("CloudFront-Signature="));
    assert!(lines[2].starts_with("CloudFront-Key-Pair-Id=K2TESTONLYEXAMPLE;"));
    assert!(lines[2].ends_with(
        "; Domain=.example.com; Path=/assets/a/; Expires=Wed, 18 May 2033 03:33:20 GMT; Max-Age=7200; Secure; HttpOnly; SameSite=None"
    ));
    let lax = CookieAttributes {
        same_site: Some(SameSite::Lax),
        ..CookieAttributes::secure("/")
    };
    assert_eq!(
        cookies.set_cookie_headers(&lax).unwrap()[2],
        "CloudFront-Key-Pair-Id=K2TESTONLYEXAMPLE; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    let injected = CookieAttributes {
        path: Some("/\r\nX-Evil: 1".into()),
        ..Default::default()
    };
    assert!(matches!(
        cookies.set_cookie_headers(&injected),
        Err(SigningError::InvalidCookieAttribute { name: "Path", .. })
    ));
    let json = serde_json::to_value(&cookies).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 3);
    assert!(json.get("CloudFront-Policy").is_some());
    let canned = key()
        .signed_cookies_canned("https://cdn.example.com/a.m3u8", at(2_000_000_000))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&canned).unwrap()["CloudFront-Expires"],
        2_000_000_000
    );
}

fn request<'a>(base: &'a str, prefix: &'a str) -> PlaybackRequest<'a> {
    PlaybackRequest {
        cdn_base_url: base,
        asset_prefix: prefix,
        hls_manifest: Some("hls/master.m3u8"),
        dash_manifest: None,
        valid_for: TimeDelta::minutes(90),
        now: at(1_700_000_000),
        client_ip: None,
    }
}

#[test]
fn playback_builds_urls_policy_and_cookie_path() {
    let key = key();
    let p = playback(
        &key,
        &request("https://d123.cloudfront.net/", "/assets/xyz"),
    )
    .unwrap();
    assert_eq!(
        p.hls_url.as_deref(),
        Some("https://d123.cloudfront.net/assets/xyz/hls/master.m3u8")
    );
    assert_eq!(p.dash_url, None);
    assert_eq!(p.resource, "https://d123.cloudfront.net/assets/xyz/*");
    assert_eq!(p.cookie_path, "/assets/xyz/");
    assert_eq!(p.expires_at, at(1_700_005_400));
    let policy =
        String::from_utf8(cloudfront_b64decode(p.cookies.policy.as_deref().unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        policy,
        r#"{"Statement":[{"Resource":"https://d123.cloudfront.net/assets/xyz/*","Condition":{"DateLessThan":{"AWS:EpochTime":1700005400}}}]}"#
    );
    let attrs = p.cookie_attributes(at(1_700_000_000));
    assert_eq!(attrs.max_age, Some(5400));
    assert_eq!(attrs.path.as_deref(), Some("/assets/xyz/"));

    let with_path = playback(&key, &request("https://cdn.example.com/vod", "assets/xyz/")).unwrap();
    assert_eq!(
        with_path.resource,
        "https://cdn.example.com/vod/assets/xyz/*"
    );
    assert_eq!(with_path.cookie_path, "/vod/assets/xyz/");

    let mut ip = request("https://d123.cloudfront.net", "assets/xyz/");
    ip.client_ip = Some("198.51.100.0/24");
    let p = playback(&key, &ip).unwrap();
    let policy =
        String::from_utf8(cloudfront_b64decode(p.cookies.policy.as_deref().unwrap()).unwrap())
            .unwrap();
    assert!(policy.contains(r#""IpAddress":{"AWS:SourceIp":"198.51.100.0/24"}"#));
}

#[test]
fn playback_rejects_inputs_that_would_widen_the_policy() {
    let key = key();
    for (base, prefix) in [
        ("d123.cloudfront.net", "assets/x/"),
        ("https://", "assets/x/"),
        ("https://d123.cloudfront.net?x=1", "assets/x/"),
        ("https://d123.cloudfront.net", ""),
        ("https://d123.cloudfront.net", "/"),
        ("https://d123.cloudfront.net", "assets/*"),
        ("https://d123.cloudfront.net", "assets/x?/"),
        ("https://d123.cloudfront.net", "assets/../x/"),
    ] {
        assert!(
            playback(&key, &request(base, prefix)).is_err(),
            "{base} {prefix}"
        );
    }
    let mut bad = request("https://d123.cloudfront.net", "assets/x/");
    bad.hls_manifest = Some("../other/master.m3u8");
    assert!(playback(&key, &bad).is_err());
    let mut zero = request("https://d123.cloudfront.net", "assets/x/");
    zero.valid_for = TimeDelta::zero();
    assert!(playback(&key, &zero).is_err());
}

#[test]
fn expiry_parsing() {
    let now = at(1_700_000_000);
    assert_eq!(parse_expiry("1h", now).unwrap(), at(1_700_003_600));
    assert_eq!(parse_expiry("30m", now).unwrap(), at(1_700_001_800));
    assert_eq!(parse_expiry("2d", now).unwrap(), at(1_700_172_800));
    assert_eq!(parse_expiry("90s", now).unwrap(), at(1_700_000_090));
    assert_eq!(
        parse_expiry(" 1893456000 ", now).unwrap(),
        at(1_893_456_000)
    );
    assert_eq!(
        parse_expiry("2030-01-01T00:00:00Z", now).unwrap(),
        at(1_893_456_000)
    );
    assert_eq!(
        parse_expiry("2030-01-01T01:00:00+01:00", now).unwrap(),
        at(1_893_456_000)
    );
    for bad in [
        "",
        "h",
        "0s",
        "-1h",
        "1w",
        "1.5h",
        "tomorrow",
        "2020-01-01T00:00:00Z",
        "1000",
        "99999999999999999999s",
        "9223372036854775807d",
    ] {
        assert!(
            matches!(
                parse_expiry(bad, now),
                Err(SigningError::InvalidExpiry { .. })
            ),
            "{bad:?}"
        );
    }
    assert_eq!(parse_duration("2d").unwrap(), TimeDelta::days(2));
}

#[test]
fn key_loading_errors() {
    assert!(matches!(
        SigningKey::from_pem("K1", "not a pem"),
        Err(SigningError::InvalidPrivateKey(_))
    ));
    assert!(matches!(
        SigningKey::from_pem("K1", common::PUBLIC_PEM),
        Err(SigningError::InvalidPrivateKey(_))
    ));
    let corrupt = common::PKCS1_PEM.replacen("MII", "MIJ", 1);
    assert!(matches!(
        SigningKey::from_pem("K1", &corrupt),
        Err(SigningError::InvalidPrivateKey(_))
    ));
    assert!(matches!(
        SigningKey::from_pem("", common::PKCS1_PEM),
        Err(SigningError::InvalidKeyPairId(_))
    ));
    assert!(matches!(
        SigningKey::from_pem("K1&x=1", common::PKCS1_PEM),
        Err(SigningError::InvalidKeyPairId(_))
    ));
    assert!(matches!(
        VerifyingKey::from_pem(common::PKCS1_PEM),
        Err(SigningError::InvalidPublicKey(_))
    ));
    let debug = format!("{:?}", key());
    assert!(debug.contains("K2TESTONLYEXAMPLE") && debug.contains("redacted"));
}

//! Every parser behind a `vod` option is total over arbitrary Unicode (no panic, an error in
//! words), and a bad value on the real command line is a usage error, not a crash.

use crate::common::bin;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use vod_cli::records::{parse_id, parse_status};
use vod_cli::settings::parse_duration;
use vod_cli::sign::parse_time;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn option_parsers_are_total(text in any::<String>()) {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let _ = parse_duration(&text);
        let _ = parse_time(&text, now);
        let _ = parse_id(&text);
        let _ = parse_status(&text);
    }
}

fn key_file(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vod-signing/tests/data")
        .join(name)
}

#[test]
fn a_multibyte_last_character_is_an_error_in_words() {
    let asset = vod_core::AssetId::derive("b", "k", "e").to_string();
    let sign = [
        "sign",
        "https://d.example/a",
        "--key-pair-id",
        "K2TESTONLYEXAMPLE",
    ];
    let playback = [
        "playback",
        asset.as_str(),
        "--key-pair-id",
        "K2TESTONLYEXAMPLE",
    ];
    let private_key = key_file("TEST-ONLY-DO-NOT-USE.rsa-private.pkcs1.pem");
    let cases: [(&[&str], &[&str], &str); 5] = [
        (&["upload", "clip.mp4"], &["--timeout", "5é"], "--timeout"),
        (
            &["upload", "clip.mp4"],
            &["--poll-interval", "2秒"],
            "--poll-interval",
        ),
        (&sign, &["--expires", "5é"], "--expires"),
        (&sign, &["--not-before", "5é"], "5é"),
        (&playback, &["--for", "1h🙂"], "--for"),
    ];
    for (command, option, named) in cases {
        let mut cmd = bin();
        cmd.args(command);
        if command[0] != "upload" {
            cmd.arg("--private-key").arg(&private_key);
        }
        let out = cmd
            .args(option)
            .env("VOD_CDN_BASE_URL", "https://d.example")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{option:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{option:?}: exit {:?}: {stderr}",
            out.status.code()
        );
        assert!(stderr.contains(named), "{option:?} names {named}: {stderr}");
    }
}

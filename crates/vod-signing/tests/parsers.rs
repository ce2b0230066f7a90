//! The duration and expiry parsers behind every CLI time option are total: any Unicode text
//! gets `Ok` or an error that quotes it, never a panic (a multibyte last character once split
//! a string inside a character).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use vod_signing::{parse_duration, parse_expiry};

#[test]
fn a_multibyte_unit_is_an_error_not_a_panic() {
    let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    for text in ["5é", "é", "10分", "1h🙂", "💥", "5\u{301}"] {
        let err = parse_duration(text).expect_err(text).to_string();
        assert!(err.contains(&format!("{text:?}")), "{text}: {err}");
        assert!(parse_expiry(text, now).is_err(), "{text}");
    }
    assert_eq!(parse_duration("90s").unwrap().num_seconds(), 90);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn duration_and_expiry_parsers_are_total(text in any::<String>()) {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let _ = parse_duration(&text);
        let _ = parse_expiry(&text, now);
    }

    #[test]
    fn a_number_and_a_unit_parse_and_anything_after_it_does_not(
        amount in 1u32..100_000,
        unit in prop::sample::select(vec!['s', 'm', 'h', 'd']),
        tail in any::<char>(),
    ) {
        let text = format!("{amount}{unit}");
        let seconds = i64::from(amount) * match unit { 's' => 1, 'm' => 60, 'h' => 3_600, _ => 86_400 };
        prop_assert_eq!(parse_duration(&text).unwrap().num_seconds(), seconds);
        let longer = format!("{text}{tail}");
        if !tail.is_whitespace() {
            prop_assert!(parse_duration(&longer).is_err(), "{:?} parsed", longer);
        }
    }
}

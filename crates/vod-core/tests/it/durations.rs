//! Durations from probe reports, sane or absurd, never overflow what is derived from them.

use vod_core::job::CallbackTimeouts;
use vod_core::ladder::{LadderError, LadderPolicy, plan_ladder};
use vod_core::probe::{
    AudioTrack, MAX_SOURCE_DURATION_SECONDS, ProbeReport, RejectReason, Rejection, VideoTrack,
};

const TWELVE_HOURS: f64 = 12.0 * 3600.0;

fn report(duration: Option<f64>) -> ProbeReport {
    ProbeReport {
        size_bytes: 20_000_000_000,
        duration_seconds: duration,
        video: Some(VideoTrack {
            codec: "h264".into(),
            width: 1920,
            height: 1080,
            frame_rate: Some(25.0),
            ..VideoTrack::default()
        }),
        audio: vec![AudioTrack {
            codec: "aac".into(),
            channels: 2,
            sample_rate: 48_000,
            ..AudioTrack::default()
        }],
        ..ProbeReport::default()
    }
}

#[test]
fn a_twelve_hour_source_gets_one_capture_every_interval_and_the_longest_timeout() {
    let plan = plan_ladder(&report(Some(TWELVE_HOURS)), &LadderPolicy::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let thumbs = plan.thumbnails.unwrap_or_else(|| panic!("no thumbnails"));
    assert_eq!(thumbs.interval_seconds, 10);
    assert_eq!(thumbs.max_captures, 4321);
    assert_eq!(thumbs.poster_seconds, 10);
    assert_eq!(plan.rungs.len(), 5);
    let timeouts = CallbackTimeouts::for_duration(Some(TWELVE_HOURS));
    assert_eq!(
        timeouts.timeout_seconds,
        CallbackTimeouts::MAX_TIMEOUT_SECONDS
    );
}

#[test]
fn a_source_beyond_the_bound_gets_no_ladder_and_the_error_names_both_numbers() {
    for seconds in [1e12, MAX_SOURCE_DURATION_SECONDS + 1.0, 1.8e19, f64::MAX] {
        let err = plan_ladder(&report(Some(seconds)), &LadderPolicy::default())
            .err()
            .unwrap_or_else(|| panic!("{seconds} s was planned"));
        assert!(matches!(err, LadderError::TooLong { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(&format!("{seconds:.0} s")), "{text}");
        assert!(text.contains("172800 s"), "{text}");
        let timeouts = CallbackTimeouts::for_duration(Some(seconds));
        assert_eq!(
            timeouts.timeout_seconds,
            CallbackTimeouts::MAX_TIMEOUT_SECONDS
        );
    }
    let at_the_bound = plan_ladder(
        &report(Some(MAX_SOURCE_DURATION_SECONDS)),
        &LadderPolicy::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        at_the_bound.thumbnails.map(|t| t.max_captures),
        Some(17_281)
    );
}

#[test]
fn a_duration_that_is_not_a_length_counts_as_unknown() {
    let unknown =
        plan_ladder(&report(None), &LadderPolicy::default()).unwrap_or_else(|e| panic!("{e}"));
    for bogus in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -5.0, 0.0, -0.0] {
        let plan = plan_ladder(&report(Some(bogus)), &LadderPolicy::default())
            .unwrap_or_else(|e| panic!("{bogus}: {e}"));
        assert_eq!(plan, unknown, "{bogus}");
        assert_eq!(plan.thumbnails.map(|t| t.max_captures), Some(1), "{bogus}");
        let timeouts = CallbackTimeouts::for_duration(Some(bogus));
        assert_eq!(timeouts, CallbackTimeouts::for_duration(None), "{bogus}");
    }
}

#[test]
fn the_too_long_rejection_says_the_duration_and_the_limit() {
    let rejection = Rejection::too_long(1e12);
    assert_eq!(rejection.reason, RejectReason::TooLong);
    assert!(
        rejection.message.contains("1000000000000 s") && rejection.message.contains("172800 s"),
        "{}",
        rejection.message
    );
}

//! Expiry parsing for the CLI: relative durations or absolute times.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::SigningError;

fn bad(input: &str, reason: &'static str) -> SigningError {
    SigningError::InvalidExpiry {
        input: input.to_owned(),
        reason,
    }
}

/// Parses a relative duration: a positive integer followed by `s`, `m`, `h`
/// or `d` (`90s`, `30m`, `1h`, `2d`).
pub fn parse_duration(input: &str) -> Result<TimeDelta, SigningError> {
    let text = input.trim();
    // The unit is the last character, which may be any character a person typed.
    let (unit_at, _) = text
        .char_indices()
        .next_back()
        .ok_or_else(|| bad(input, "empty"))?;
    let (digits, unit) = text.split_at(unit_at);
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad(input, "expected a number followed by s, m, h or d")),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(input, "expected a number followed by s, m, h or d"));
    }
    let amount: i64 = digits.parse().map_err(|_| bad(input, "number too large"))?;
    if amount == 0 {
        return Err(bad(input, "duration must be positive"));
    }
    amount
        .checked_mul(unit_seconds)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| bad(input, "duration too large"))
}

/// Turns an expiry given on the command line into an absolute time:
/// a relative duration from `now` (`1h`, `30m`, `2d`, `90s`), epoch seconds
/// (`1893456000`) or an RFC 3339 date-time (`2030-01-01T00:00:00Z`).
/// The result must be after `now`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
/// let at = vod_signing::parse_expiry("2h", now).unwrap();
/// assert_eq!(at.timestamp(), 1_700_007_200);
/// ```
pub fn parse_expiry(input: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SigningError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(bad(input, "empty"));
    }
    let at = if text.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = text.parse().map_err(|_| bad(input, "number too large"))?;
        DateTime::from_timestamp(secs, 0).ok_or_else(|| bad(input, "out of range"))?
    } else if text.ends_with(['s', 'm', 'h', 'd'])
        && text[..text.len() - 1].bytes().all(|b| b.is_ascii_digit())
    {
        now.checked_add_signed(parse_duration(text)?)
            .ok_or_else(|| bad(input, "out of range"))?
    } else {
        DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                bad(
                    input,
                    "expected 1h/30m/2d/90s, epoch seconds or an RFC 3339 date-time",
                )
            })?
            .with_timezone(&Utc)
    };
    if at <= now {
        return Err(bad(input, "expiry is not in the future"));
    }
    Ok(at)
}

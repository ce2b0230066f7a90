//! The story of a run: one line per thing that happened (time, actor, call, result), each
//! tagged with the upload it concerns so a violation prints only its own asset's story.

use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Simulated time since the run started.
    pub at: Duration,
    /// The upload this concerns (`None`: the whole run).
    pub upload: Option<usize>,
    /// Who acted: `u0` (an upload), `x1 Transcode#0` (a Task attempt), `job-3`, `eb` …
    pub actor: String,
    pub text: String,
}

/// `d+hh:mm:ss.mmm`, the day only when there is one.
pub fn clock(at: Duration) -> String {
    let ms = at.as_millis();
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let hms = format!(
        "{:02}:{:02}:{:02}.{:03}",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    );
    if days > 0 {
        format!("{days}d+{hms}")
    } else {
        hms
    }
}

/// The lines about `upload` (all lines when `None`) up to `until` (all when `None`), at most
/// `limit` of them; when there are more, the first and the last half of the limit with a gap
/// line between.
pub fn render(
    lines: &[Line],
    upload: Option<usize>,
    until: Option<Duration>,
    limit: usize,
) -> String {
    let chosen: Vec<&Line> = lines
        .iter()
        .filter(|l| upload.is_none() || l.upload.is_none() || l.upload == upload)
        .filter(|l| until.is_none_or(|t| l.at <= t))
        .collect();
    let write = |out: &mut String, l: &Line| {
        let _ = writeln!(out, "  {:>15}  {:<30} {}", clock(l.at), l.actor, l.text);
    };
    let mut out = String::new();
    if chosen.len() <= limit {
        chosen.iter().for_each(|l| write(&mut out, l));
    } else {
        let head = limit / 2;
        let tail = limit - head;
        chosen[..head].iter().for_each(|l| write(&mut out, l));
        let skipped = chosen.len() - head - tail;
        let _ = writeln!(
            out,
            "  {:>15}  … {skipped} more lines (--trace all shows them)",
            ""
        );
        chosen[chosen.len() - tail..]
            .iter()
            .for_each(|l| write(&mut out, l));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_shows_days_only_when_there_are_some() {
        assert_eq!(clock(Duration::from_millis(3_723_004)), "01:02:03.004");
        assert_eq!(clock(Duration::from_secs(86_400 + 60)), "1d+00:01:00.000");
    }
}

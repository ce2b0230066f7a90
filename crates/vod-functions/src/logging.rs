//! Logging as Lambda's logging controls ask: `AWS_LAMBDA_LOG_FORMAT` (JSON or text) and
//! `AWS_LAMBDA_LOG_LEVEL`, read once at start-up.

use tracing::level_filters::LevelFilter;

/// Installs the tracing subscriber for a Lambda process.
pub fn init_lambda_tracing() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let level = lambda_log_level(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .without_time();
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The level Lambda's log-level control asks for (`AWS_LAMBDA_LOG_LEVEL`: TRACE, DEBUG, INFO,
/// WARN, ERROR or FATAL; tracing has no FATAL, so that is ERROR). Unset or unknown: INFO.
pub fn lambda_log_level(value: Option<&str>) -> LevelFilter {
    match value.map(str::trim) {
        // tracing reads "" as ERROR; an empty setting is no setting.
        None | Some("") => LevelFilter::INFO,
        Some(v) if v.eq_ignore_ascii_case("fatal") => LevelFilter::ERROR,
        Some(v) => v.parse().unwrap_or(LevelFilter::INFO),
    }
}

#[cfg(test)]
mod tests {
    use super::lambda_log_level;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn lambda_log_levels_map_to_tracing_levels() {
        assert_eq!(lambda_log_level(Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(lambda_log_level(Some("warn")), LevelFilter::WARN);
        assert_eq!(lambda_log_level(Some("TRACE")), LevelFilter::TRACE);
        assert_eq!(lambda_log_level(Some("FATAL")), LevelFilter::ERROR);
        assert_eq!(lambda_log_level(Some(" ERROR ")), LevelFilter::ERROR);
    }

    #[test]
    fn unset_or_unknown_levels_are_info() {
        assert_eq!(lambda_log_level(None), LevelFilter::INFO);
        assert_eq!(lambda_log_level(Some("")), LevelFilter::INFO);
        assert_eq!(lambda_log_level(Some("loud")), LevelFilter::INFO);
    }
}

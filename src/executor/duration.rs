//! stout's duration syntax (`Duration::parse`), as the agent writes `MESOS_RECOVERY_TIMEOUT`,
//! `MESOS_SUBSCRIPTION_BACKOFF_MAX` and `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`: a decimal number
//! (fractions allowed) followed by one of `ns`, `us`, `ms`, `secs`, `mins`, `hrs`, `days`,
//! `weeks`, e.g. `15mins`, `1.5secs`, `250ms`.

use std::time::Duration;

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("ms", 1e-3),
    ("secs", 1.0),
    ("mins", 60.0),
    ("hrs", 3600.0),
    ("days", 86400.0),
    ("weeks", 604800.0),
];

/// Parses a stout duration; the error names what is wrong with `text`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| {
            format!("duration {text:?} has no unit (ns|us|ms|secs|mins|hrs|days|weeks)")
        })?;
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(format!("duration {text:?} does not start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("duration {text:?}: {number:?} is not a number"))?;
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            format!("duration {text:?}: unknown unit {unit:?} (ns|us|ms|secs|mins|hrs|days|weeks)")
        })?;
    Duration::try_from_secs_f64(value * scale)
        .map_err(|e| format!("duration {text:?} is out of range: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_37_stout_durations() {
        assert_eq!(parse("15mins").unwrap(), Duration::from_secs(900));
        assert_eq!(parse("2secs").unwrap(), Duration::from_secs(2));
        assert_eq!(parse("1.5secs").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("10ns").unwrap(), Duration::from_nanos(10));
        assert_eq!(parse("3us").unwrap(), Duration::from_micros(3));
        assert_eq!(parse("1hrs").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse("1days").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse("2weeks").unwrap(), Duration::from_secs(2 * 604800));
        assert_eq!(parse(" 5secs\n").unwrap(), Duration::from_secs(5));
        for bad in [
            "",
            "secs",
            "5",
            "5 secs",
            "5s",
            "-1secs",
            "1.2.3secs",
            "5minutes",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

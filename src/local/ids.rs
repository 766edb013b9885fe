//! Identifiers and clocks: random v4 UUIDs (stream ids, container ids, the master id), Mesos's
//! UUID validity rule, and the wall clock as Mesos writes it (seconds since the epoch).

use std::time::{SystemTime, UNIX_EPOCH};

/// 16 random bytes shaped as an RFC 4122 version 4 UUID.
pub(crate) fn uuid_bytes() -> [u8; 16] {
    let mut b = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// The canonical text form `8-4-4-4-12` of 16 bytes.
pub(crate) fn uuid_text(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A fresh random UUID in text form.
pub(crate) fn uuid() -> String {
    uuid_text(&uuid_bytes())
}

/// Mesos accepts 16 bytes whose version nibble is 1 to 5 (`UUID::fromBytes`).
pub(crate) fn valid_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 16 && (1..=5).contains(&(bytes[6] >> 4))
}

/// Seconds since the epoch, as `TaskStatus.timestamp` and the state endpoints carry them.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Mesos's `validateID`: the error text for a bad task, executor or framework id.
pub(crate) fn id_error(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("ID must not be empty".into());
    }
    if id.len() > 255 {
        return Some("ID must not be greater than 255 characters".into());
    }
    if id == "." || id == ".." {
        return Some(format!("'{id}' is disallowed"));
    }
    if id.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Some(format!("'{id}' contains invalid characters"));
    }
    None
}

/// A duration the way Mesos prints flags and `MESOS_*` variables (`5secs`, `15mins`, `250ms`).
pub(crate) fn mesos_duration(d: std::time::Duration) -> String {
    let ns = d.as_nanos();
    let units: [(u128, &str); 6] = [
        (7 * 86_400 * 1_000_000_000, "weeks"),
        (86_400 * 1_000_000_000, "days"),
        (3_600 * 1_000_000_000, "hrs"),
        (60 * 1_000_000_000, "mins"),
        (1_000_000_000, "secs"),
        (1_000_000, "ms"),
    ];
    for (size, name) in units {
        if ns >= size {
            let value = ns as f64 / size as f64;
            return format!("{}{name}", trim_float(value));
        }
    }
    format!("{ns}ns")
}

/// `2`, `1.5`, `0.1`: a number without trailing zeros, as stout prints doubles.
pub(crate) fn trim_float(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn uuids_are_v4_and_valid() {
        let b = uuid_bytes();
        assert!(valid_uuid(&b));
        assert_eq!(b[6] >> 4, 4);
        assert_eq!(uuid().len(), 36);
        assert!(!valid_uuid(b"0123456789abcdef0"));
        assert!(!valid_uuid(&[0u8; 16]));
    }

    #[test]
    fn ids_follow_mesos_rules() {
        assert_eq!(
            id_error("a/b").unwrap(),
            "'a/b' contains invalid characters"
        );
        assert_eq!(id_error("").unwrap(), "ID must not be empty");
        assert_eq!(id_error("..").unwrap(), "'..' is disallowed");
        assert!(id_error(&"x".repeat(256)).is_some());
        assert!(id_error("ok-1.2_x").is_none());
    }

    #[test]
    fn durations_print_like_stout() {
        assert_eq!(mesos_duration(Duration::from_secs(5)), "5secs");
        assert_eq!(mesos_duration(Duration::from_secs(900)), "15mins");
        assert_eq!(mesos_duration(Duration::from_millis(1500)), "1.5secs");
        assert_eq!(mesos_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(trim_float(2048.0), "2048");
        assert_eq!(trim_float(1.95), "1.95");
    }
}

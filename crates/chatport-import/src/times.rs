//! Turning the times exports write into the format's times: instants where the source knows the
//! offset, local times where it does not, assumed times only when the user named a zone.

use chatport_model::{Precision, Time};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use std::fmt::Write;

/// The zone a user named with `--tz`, resolved.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The IANA name as the user gave it.
    pub name: String,
    /// The zone.
    pub tz: TimeZone,
}

impl Zone {
    /// Resolves an IANA zone name from the bundled database.
    pub fn new(name: &str) -> Result<Zone, String> {
        let tz = jiff::tz::db().get(name).map_err(|_| {
            format!("--tz {name:?} is not an IANA time zone name (e.g. Europe/Berlin)")
        })?;
        Ok(Zone {
            name: name.to_owned(),
            tz,
        })
    }
}

/// Writes a civil date-time as `YYYY-MM-DDTHH:MM` (minute precision) or with `:SS`.
pub fn civil_text(dt: DateTime, seconds: bool) -> String {
    // By hand rather than with `write!`: importers call this once or twice per message.
    fn two(out: &mut [u8], v: i8) {
        let v = v.unsigned_abs();
        out[0] = b'0' + v / 10 % 10;
        out[1] = b'0' + v % 10;
    }
    let mut b = *b"0000-00-00T00:00:00";
    let y = dt.year();
    if !(0..=9999).contains(&y) {
        let mut s = format!(
            "{y:04}-{:02}-{:02}T{:02}:{:02}",
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        );
        if seconds {
            let _ = write!(s, ":{:02}", dt.second());
        }
        return s;
    }
    let y = y as u16;
    b[0] = b'0' + (y / 1000) as u8;
    b[1] = b'0' + (y / 100 % 10) as u8;
    b[2] = b'0' + (y / 10 % 10) as u8;
    b[3] = b'0' + (y % 10) as u8;
    two(&mut b[5..7], dt.month());
    two(&mut b[8..10], dt.day());
    two(&mut b[11..13], dt.hour());
    two(&mut b[14..16], dt.minute());
    two(&mut b[17..19], dt.second());
    let len = if seconds { 19 } else { 16 };
    String::from_utf8_lossy(&b[..len]).into_owned()
}

/// A wall-clock time with no zone: `local`, or `assumed` in `zone` when the user named one.
/// `original` is the source's own text for the time.
pub fn local(dt: DateTime, seconds: bool, original: &str, zone: Option<&Zone>) -> Time {
    let precision = if seconds {
        Precision::Second
    } else {
        Precision::Minute
    };
    let text = civil_text(dt, seconds);
    let t = match zone {
        None => Time::local(text),
        Some(z) => {
            // The wall time stays what the source wrote. In a fold (the hour that repeats) the
            // earlier offset is taken; in a gap (the hour that is skipped) the offset in force
            // before it, as the format allows (spec section 8.4).
            use jiff::tz::AmbiguousOffset;
            let offset = match z.tz.to_ambiguous_timestamp(dt).offset() {
                AmbiguousOffset::Unambiguous { offset } => offset,
                AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => {
                    before
                }
            };
            let mut at = civil_text(dt, true);
            let secs = offset.seconds();
            let sign = if secs < 0 { '-' } else { '+' };
            let a = secs.unsigned_abs();
            let _ = write!(at, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
            Time::assumed(at, text, z.name.clone())
        }
    };
    t.with_precision(precision).with_original(original)
}

/// An instant from Unix seconds, in UTC.
pub fn unix_seconds(secs: i64) -> Option<Time> {
    let ts = jiff::Timestamp::from_second(secs).ok()?;
    Some(Time::instant(ts.to_string()).with_precision(Precision::Second))
}

/// An instant from an RFC 3339 / ISO 8601 text with an offset (`2024-01-02T03:04:05.678+01:00`),
/// keeping the source's offset and fraction; `None` when it has no offset or does not parse.
pub fn instant_text(s: &str) -> Option<Time> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    // The offset as written: `Z`, `±HH:MM`, `±HHMM` or `±HH`, possibly followed by a zone in
    // brackets (RFC 9557). Anything but `Z` and `±HH:MM` keeps the source's text in `original`.
    let core = match s.find('[') {
        Some(i) => &s[..i],
        None => s,
    };
    let after_t = core.find(['T', 't', ' ']).map_or(0, |i| i + 1);
    let sign_at = core[after_t..].rfind(['+', '-']).map(|i| after_t + i);
    let (offset_secs, plain): (i32, bool) = match sign_at {
        None => (0, core.ends_with(['Z', 'z'])),
        Some(i) => {
            let digits: Vec<i32> = core[i + 1..]
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|c| i32::from(c - b'0'))
                .collect();
            let v = match digits.as_slice() {
                [h1, h2] => (h1 * 10 + h2) * 3600,
                [h1, h2, m1, m2] => (h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60,
                _ => 0,
            };
            let v = if core.as_bytes()[i] == b'-' { -v } else { v };
            (v, core.len() == i + 6 && core.as_bytes()[i + 3] == b':')
        }
    };
    let keep_original = !plain || core.len() != s.len();
    let offset = jiff::tz::Offset::from_seconds(offset_secs).ok()?;
    let dt = offset.to_datetime(ts);
    let mut at = civil_text(dt, true);
    let nanos = dt.subsec_nanosecond();
    let precision = if nanos == 0 {
        Precision::Second
    } else if nanos % 1_000_000 == 0 {
        let _ = write!(at, ".{:03}", nanos / 1_000_000);
        Precision::Millisecond
    } else if nanos % 1000 == 0 {
        let _ = write!(at, ".{:06}", nanos / 1000);
        Precision::Microsecond
    } else {
        let _ = write!(at, ".{nanos:09}");
        Precision::Nanosecond
    };
    let secs = offset_secs;
    if secs == 0 {
        at.push('Z');
    } else {
        let sign = if secs < 0 { '-' } else { '+' };
        let a = secs.unsigned_abs();
        let _ = write!(at, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
    }
    let t = Time::instant(at).with_precision(precision);
    Some(if keep_original { t.with_original(s) } else { t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_stays_local_without_a_zone() {
        let dt = DateTime::new(2024, 3, 31, 2, 30, 0, 0).unwrap();
        let t = local(dt, false, "31/03/2024, 02:30", None);
        assert_eq!(t.at, "2024-03-31T02:30");
        assert_eq!(t.kind, chatport_model::TimeKind::Local);
        assert_eq!(t.zone, None);
    }

    #[test]
    fn assumed_carries_the_zone_offset_including_dst_gaps() {
        let z = Zone::new("Europe/Berlin").unwrap();
        let dt = DateTime::new(2024, 7, 1, 12, 0, 5, 0).unwrap();
        let t = local(dt, true, "x", Some(&z));
        assert_eq!(t.at, "2024-07-01T12:00:05+02:00");
        assert_eq!(t.local.as_deref(), Some("2024-07-01T12:00:05"));
        // 02:30 on the spring-forward day does not exist: the wall time stays, with the offset
        // in force before the gap.
        let gap = DateTime::new(2024, 3, 31, 2, 30, 0, 0).unwrap();
        let t = local(gap, false, "x", Some(&z));
        assert_eq!(t.at, "2024-03-31T02:30:00+01:00");
        assert_eq!(t.local.as_deref(), Some("2024-03-31T02:30"));
        // 02:30 on the fall-back day happens twice: the earlier, summer-time one.
        let fold = DateTime::new(2024, 10, 27, 2, 30, 0, 0).unwrap();
        assert_eq!(
            local(fold, false, "x", Some(&z)).at,
            "2024-10-27T02:30:00+02:00"
        );
        assert!(Zone::new("Mars/Olympus").is_err());
    }

    #[test]
    fn instants_keep_offset_and_fraction() {
        assert_eq!(
            instant_text("2020-09-24T19:03:45.123+03:00").unwrap().at,
            "2020-09-24T19:03:45.123+03:00"
        );
        assert_eq!(
            instant_text("2020-09-24T16:03:45Z").unwrap().at,
            "2020-09-24T16:03:45Z"
        );
        assert_eq!(
            instant_text("2020-09-24T16:03:45.1234567+00:00")
                .unwrap()
                .at,
            "2020-09-24T16:03:45.123456700Z"
        );
        assert!(instant_text("2020-09-24T16:03:45").is_none());
        // Other offset spellings keep their offset, and the source's text.
        let t = instant_text("2020-09-24T19:03:45+0300").unwrap();
        assert_eq!(t.at, "2020-09-24T19:03:45+03:00");
        assert_eq!(t.original.as_deref(), Some("2020-09-24T19:03:45+0300"));
        let t = instant_text("2020-09-24T19:03:45.5-05").unwrap();
        assert_eq!(t.at, "2020-09-24T19:03:45.500-05:00");
        let t = instant_text("2020-09-24T19:03:45+02:00[Europe/Paris]").unwrap();
        assert_eq!(t.at, "2020-09-24T19:03:45+02:00");
        assert_eq!(
            t.original.as_deref(),
            Some("2020-09-24T19:03:45+02:00[Europe/Paris]")
        );
        assert_eq!(instant_text("2020-09-24T16:03:45Z").unwrap().original, None);
        assert_eq!(unix_seconds(0).unwrap().at, "1970-01-01T00:00:00Z");
    }
}

//! Checks of the three time shapes: syntax by hand (it runs for every message, so it must be
//! cheap), calendar validity, and for assumed times the zone rules of the bundled IANA database.

use crate::codes::Code;
use chatport_model::{Time, TimeKind};

/// A parsed date-time: civil fields plus an optional UTC offset in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    year: i16,
    month: i8,
    day: i8,
    hour: i8,
    minute: i8,
    second: i8,
    nanos: i32,
    has_seconds: bool,
    offset: Option<i32>,
}

/// What failed: the code, the field of the time object at fault, and a message.
type Fail = (Code, &'static str, String);

/// Checks one time. `Err` carries the code and a message naming the offending value.
pub(crate) fn check_time(t: &Time) -> Result<(), Fail> {
    match t.kind {
        TimeKind::Instant | TimeKind::Local => {
            if t.local.is_some() || t.zone.is_some() {
                return Err((
                    Code::TimeShape,
                    "",
                    format!(
                        "`{}` times must not have `local` or `zone`",
                        kind_name(t.kind)
                    ),
                ));
            }
        }
        TimeKind::Assumed => {
            if t.local.is_none() || t.zone.is_none() {
                return Err((
                    Code::TimeShape,
                    "",
                    "an `assumed` time needs `local` and `zone`".to_owned(),
                ));
            }
        }
    }
    let at = parse(&t.at)?;
    match t.kind {
        TimeKind::Local => {
            if at.offset.is_some() {
                return Err((
                    Code::TimeUnexpectedOffset,
                    "at",
                    format!("local time {:?} must not carry a UTC offset", t.at),
                ));
            }
            Ok(())
        }
        TimeKind::Instant | TimeKind::Assumed => {
            if at.offset.is_none() {
                return Err((
                    Code::TimeMissingOffset,
                    "at",
                    format!(
                        "{:?} has no UTC offset; a time without one is `local`",
                        t.at
                    ),
                ));
            }
            if !at.has_seconds {
                return Err((
                    Code::TimeInvalid,
                    "at",
                    format!("{:?} lacks seconds, which RFC 3339 requires", t.at),
                ));
            }
            if t.kind == TimeKind::Assumed {
                check_assumed(t, &at)?;
            }
            Ok(())
        }
    }
}

fn kind_name(k: TimeKind) -> &'static str {
    match k {
        TimeKind::Instant => "instant",
        TimeKind::Local => "local",
        TimeKind::Assumed => "assumed",
    }
}

/// Checks that an IANA zone name exists in the bundled database.
pub(crate) fn check_zone(zone: &str) -> Result<jiff::tz::TimeZone, Fail> {
    jiff::tz::TimeZone::get(zone).map_err(|_| {
        (
            Code::ZoneUnknown,
            "zone",
            format!("{zone:?} is not an IANA time zone"),
        )
    })
}

fn check_assumed(t: &Time, at: &Parsed) -> Result<(), Fail> {
    let (Some(local), Some(zone)) = (&t.local, &t.zone) else {
        return Ok(());
    };
    let lp = parse(local).map_err(|(c, _, m)| (c, "local", m))?;
    if lp.offset.is_some() {
        return Err((
            Code::TimeUnexpectedOffset,
            "local",
            format!("`local` {local:?} must not carry a UTC offset"),
        ));
    }
    let tz = check_zone(zone)?;
    let dt = jiff::civil::DateTime::new(
        lp.year, lp.month, lp.day, lp.hour, lp.minute, lp.second, lp.nanos,
    )
    .map_err(|e| (Code::TimeImpossible, "local", format!("{local:?}: {e}")))?;
    // The instant `at` names, in seconds and nanoseconds since the epoch.
    let at_dt = jiff::civil::DateTime::new(
        at.year, at.month, at.day, at.hour, at.minute, at.second, at.nanos,
    )
    .map_err(|e| (Code::TimeImpossible, "at", format!("{:?}: {e}", t.at)))?;
    let at_offset = jiff::tz::Offset::from_seconds(at.offset.unwrap_or(0))
        .map_err(|e| (Code::TimeInvalid, "at", format!("{:?}: {e}", t.at)))?;
    let at_ts = at_offset
        .to_timestamp(at_dt)
        .map_err(|e| (Code::TimeInvalid, "at", format!("{:?}: {e}", t.at)))?;
    // In a gap or fold the wall time has two candidate offsets; either is consistent.
    let candidates = match tz.to_ambiguous_timestamp(dt).offset() {
        jiff::tz::AmbiguousOffset::Unambiguous { offset } => [offset, offset],
        jiff::tz::AmbiguousOffset::Gap { before, after }
        | jiff::tz::AmbiguousOffset::Fold { before, after } => [before, after],
    };
    // `at` must name the same instant and carry the zone's offset at that moment.
    let matches = candidates.iter().any(|off| {
        off.seconds() == at_offset.seconds() && off.to_timestamp(dt).ok() == Some(at_ts)
    });
    if matches {
        Ok(())
    } else {
        Err((
            Code::TimeInconsistent,
            "at",
            format!("{:?} is not the local time {local:?} in {zone}", t.at),
        ))
    }
}

/// The fast path's whole check of an `instant` or `local` time's `at` (a time with neither
/// `local` nor `zone`): true exactly when [`check_time`] would accept it, without building a
/// message.
pub(crate) fn at_is_valid(at: &str, local: bool) -> bool {
    match parse_fields(at) {
        Ok(p) if local => p.offset.is_none(),
        Ok(p) => p.offset.is_some() && p.has_seconds,
        Err(_) => false,
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i32> {
    let s = b.get(at..at + n)?;
    let mut v = 0i32;
    for c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i32::from(c - b'0');
    }
    Some(v)
}

/// Why a date-time did not parse. Kept small: this runs for every time of every message, and
/// the message text is built only when a diagnostic is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Syntax,
    Offset,
    Calendar,
}

/// Parses `YYYY-MM-DDTHH:MM[:SS[.f{1,9}]][Z|±HH:MM]` and checks the calendar.
pub(crate) fn parse(s: &str) -> Result<Parsed, Fail> {
    parse_fields(s).map_err(|bad| match bad {
        Bad::Syntax => (
            Code::TimeInvalid,
            "at",
            format!(
                "{s:?} is not a date-time of the form YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM]"
            ),
        ),
        Bad::Offset => (
            Code::TimeImpossible,
            "at",
            format!("{s:?} has an impossible UTC offset"),
        ),
        Bad::Calendar => (
            Code::TimeImpossible,
            "at",
            format!("{s:?} names a date or clock time that does not exist"),
        ),
    })
}

fn parse_fields(s: &str) -> Result<Parsed, Bad> {
    let b = s.as_bytes();
    let bad = || Bad::Syntax;
    let year = digits(b, 0, 4).ok_or_else(bad)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return Err(bad());
    }
    let month = digits(b, 5, 2).ok_or_else(bad)?;
    let day = digits(b, 8, 2).ok_or_else(bad)?;
    let hour = digits(b, 11, 2).ok_or_else(bad)?;
    if b.get(13) != Some(&b':') {
        return Err(bad());
    }
    let minute = digits(b, 14, 2).ok_or_else(bad)?;
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0;
    let mut has_seconds = false;
    if b.get(i) == Some(&b':') {
        second = digits(b, i + 1, 2).ok_or_else(bad)?;
        has_seconds = true;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = i - start;
            if n == 0 || n > 9 {
                return Err(bad());
            }
            nanos = digits(b, start, n).ok_or_else(bad)? * 10i32.pow(9 - n as u32);
        }
    }
    let offset = match b.get(i) {
        None => None,
        Some(b'Z') if i + 1 == b.len() => Some(0),
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2).ok_or_else(bad)?;
            let om = digits(b, i + 4, 2).ok_or_else(bad)?;
            if oh > 23 || om > 59 {
                return Err(Bad::Offset);
            }
            let secs = oh * 3600 + om * 60;
            Some(if sign == b'-' { -secs } else { secs })
        }
        _ => return Err(bad()),
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return Err(Bad::Calendar);
    }
    Ok(Parsed {
        year: year as i16,
        month: month as i8,
        day: day as i8,
        hour: hour as i8,
        minute: minute as i8,
        second: second as i8,
        nanos,
        has_seconds,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(t: Time) -> Option<Code> {
        check_time(&t).err().map(|(c, _, _)| c)
    }

    #[test]
    fn shapes() {
        assert_eq!(code(Time::instant("2024-02-29T23:59:59Z")), None);
        assert_eq!(code(Time::instant("2024-02-29T23:59:59.123+05:30")), None);
        assert_eq!(code(Time::local("2024-02-29T23:59")), None);
        assert_eq!(
            code(Time::instant("2023-02-29T10:00:00Z")),
            Some(Code::TimeImpossible)
        );
        assert_eq!(
            code(Time::instant("2023-01-01T24:00:00Z")),
            Some(Code::TimeImpossible)
        );
        assert_eq!(
            code(Time::instant("2023-01-01T10:00:00")),
            Some(Code::TimeMissingOffset)
        );
        assert_eq!(
            code(Time::instant("2023-01-01T10:00Z")),
            Some(Code::TimeInvalid)
        );
        assert_eq!(
            code(Time::local("2023-01-01T10:00+01:00")),
            Some(Code::TimeUnexpectedOffset)
        );
        assert_eq!(
            code(Time::local("01/02/2023, 10:00")),
            Some(Code::TimeInvalid)
        );
        assert_eq!(
            code(Time::instant("2023-01-01T10:00:00.1234567891Z")),
            Some(Code::TimeInvalid)
        );
    }

    #[test]
    fn assumed_times_follow_the_zone_rules() {
        let ok = Time::assumed(
            "2024-07-01T12:00:00+02:00",
            "2024-07-01T12:00",
            "Europe/Berlin",
        );
        assert_eq!(code(ok), None);
        let utc = Time::assumed("2024-07-01T10:00:00Z", "2024-07-01T12:00", "Europe/Berlin");
        assert_eq!(
            code(utc),
            Some(Code::TimeInconsistent),
            "same instant, not the zone's offset"
        );
        let winter = Time::assumed(
            "2024-01-01T12:00:00+02:00",
            "2024-01-01T12:00",
            "Europe/Berlin",
        );
        assert_eq!(code(winter), Some(Code::TimeInconsistent));
        let zone = Time::assumed(
            "2024-01-01T12:00:00+01:00",
            "2024-01-01T12:00",
            "Europe/Atlantis",
        );
        assert_eq!(code(zone), Some(Code::ZoneUnknown));
        // 02:30 on 2024-10-27 happens twice in Berlin: both offsets are consistent.
        for at in ["2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00"] {
            assert_eq!(
                code(Time::assumed(at, "2024-10-27T02:30", "Europe/Berlin")),
                None
            );
        }
        let mut shape = Time::local("2024-01-01T12:00");
        shape.zone = Some("Europe/Berlin".into());
        assert_eq!(code(shape), Some(Code::TimeShape));
    }
}

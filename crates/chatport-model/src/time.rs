//! Times as chat exports give them: an instant when the source knows its offset, a local wall-clock
//! time when it does not, never an invented zone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// # Time
///
/// A point in time as the source export gave it. `kind` says which of three shapes it is:
///
/// - `instant`: the source knew the UTC offset (or gave a Unix time). `at` is RFC 3339 with an
///   offset or `Z`, e.g. `2024-03-01T18:04:05+01:00`. `local` and `zone` are absent.
/// - `local`: the source gave a wall-clock time with no zone (WhatsApp, LINE, signal-export).
///   `at` is `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with no offset. `local` and `zone` are absent.
/// - `assumed`: a local time that the user placed in a named IANA zone when importing. `local`
///   is the wall-clock time as the source gave it, `zone` the zone the user named, and `at` the
///   resulting instant in RFC 3339 with the zone's offset at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Time {
    /// Which of the three shapes this time has: `instant`, `local` or `assumed`.
    pub kind: TimeKind,
    /// The time itself: RFC 3339 with offset for `instant` and `assumed`, a local date-time with no
    /// offset for `local`.
    pub at: String,
    /// For `assumed` only: the local wall-clock time the source gave, without offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// For `assumed` only: the IANA time zone the user named (e.g. `Europe/Berlin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// How precise the source was: a WhatsApp time without seconds has `minute` precision, so its
    /// `:00` seconds are not a fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// The source's own text for this time, kept where converting it could lose something
    /// (localized 12-hour clocks, two-digit years, exporter-local strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// Which shape a [`Time`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    /// An instant with a UTC offset that the source gave.
    Instant,
    /// A local wall-clock time whose zone is unknown.
    Local,
    /// A local time placed in a zone that the user named.
    Assumed,
}

/// The finest unit that the source's time text carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Only the date is known.
    Day,
    /// Hours and minutes.
    Minute,
    /// Whole seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl Time {
    /// An instant. `at` must be RFC 3339 with an offset or `Z`.
    pub fn instant(at: impl Into<String>) -> Self {
        Time {
            kind: TimeKind::Instant,
            at: at.into(),
            local: None,
            zone: None,
            precision: None,
            original: None,
        }
    }

    /// A local wall-clock time with no known zone, `YYYY-MM-DDTHH:MM[:SS[.f]]`.
    pub fn local(at: impl Into<String>) -> Self {
        Time {
            kind: TimeKind::Local,
            ..Time::instant(at)
        }
    }

    /// A local time the user placed in `zone`; `at` is the resulting RFC 3339 instant.
    pub fn assumed(
        at: impl Into<String>,
        local: impl Into<String>,
        zone: impl Into<String>,
    ) -> Self {
        Time {
            kind: TimeKind::Assumed,
            at: at.into(),
            local: Some(local.into()),
            zone: Some(zone.into()),
            precision: None,
            original: None,
        }
    }

    /// The same time with its precision set.
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = Some(precision);
        self
    }

    /// The same time with the source's original text kept.
    pub fn with_original(mut self, original: impl Into<String>) -> Self {
        self.original = Some(original.into());
        self
    }
}

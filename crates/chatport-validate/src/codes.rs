//! The registry of diagnostic codes. Codes are stable: once released, a code keeps its meaning,
//! and a retired code is never reused. The table in `spec/` is checked against this one by a test.

use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The archive breaks a MUST of the specification: it is invalid.
    Error,
    /// The archive is valid, but a reader may lose or misread something.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What one code means: its identifier, a short name, its severity and a one-line summary.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The stable identifier, e.g. `E311`.
    pub code: &'static str,
    /// A short kebab-case name, e.g. `ref-unknown`.
    pub name: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What the code means, in one sentence.
    pub summary: &'static str,
}

macro_rules! codes {
    ($( $variant:ident $code:literal $name:literal $sev:ident $summary:literal; )*) => {
        /// A diagnostic code. See [`Code::info`] and the table in the specification.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        /// Every code, in order.
        pub const ALL_CODES: &[CodeInfo] = &[
            $( CodeInfo { code: $code, name: $name, severity: Severity::$sev, summary: $summary }, )*
        ];

        impl Code {
            /// Every code, in order.
            pub const ALL: &[Code] = &[ $( Code::$variant, )* ];

            /// The code's registry entry.
            pub fn info(self) -> CodeInfo {
                match self {
                    $( Code::$variant => CodeInfo {
                        code: $code, name: $name, severity: Severity::$sev, summary: $summary,
                    }, )*
                }
            }
        }
    };
}

codes! {
    NotUtf8 "E100" "not-utf8" Error "A line is not valid UTF-8.";
    JsonSyntax "E101" "json-syntax" Error "A line is not valid JSON.";
    NotObject "E102" "not-object" Error "A line is valid JSON but not a JSON object.";
    EmptyLine "E103" "empty-line" Error "A line is empty or only white space (only the final newline may end the file).";
    DuplicateKey "E104" "duplicate-key" Error "A JSON object names the same field twice.";
    LineTooLong "E107" "line-too-long" Error "A line is longer than the validator's line limit (by default 64 MiB).";
    TypeMissing "E200" "type-missing" Error "A record has no `type` field, or it is not a string.";
    TypeUnknown "E201" "type-unknown" Error "A record's `type` names no record type of this format version.";
    SchemaType "E210" "schema-type" Error "A field has the wrong JSON type.";
    SchemaRequired "E211" "schema-required" Error "A required field is missing.";
    SchemaUnknownField "E212" "schema-unknown-field" Error "A record or object has a field the format does not define (platform data belongs under `extensions`).";
    SchemaEnum "E213" "schema-enum" Error "A field's value is not one of the values the format allows.";
    SchemaRange "E214" "schema-range" Error "A number, string or list is outside its allowed range (including latitude and longitude).";
    SchemaOther "E219" "not-representable" Error "A value the schema admits but the format's types cannot hold, such as an integer written as 1.0 or above 2^64-1.";
    HeaderMissing "E300" "header-missing" Error "The first record is not a header (or the archive is empty).";
    HeaderRepeated "E301" "header-repeated" Error "A header appears after the first record.";
    VersionUnsupported "E302" "version-unsupported" Error "The header's `version` is malformed or has a major version this validator does not support.";
    IdDuplicate "E310" "id-duplicate" Error "An id is defined by more than one record (or two sources of the header share an id).";
    RefUnknown "E311" "ref-unknown" Error "A reference names an id that no record of the archive defines.";
    RefForward "E312" "ref-forward" Error "A reference names a record that appears only later in the archive.";
    RefWrongKind "E313" "ref-wrong-kind" Error "A reference names a record of the wrong kind (e.g. a sender that is a conversation).";
    OrdinalOrder "E314" "ordinal-order" Error "A message's ordinal is not greater than the previous message's in the same conversation.";
    SpanRange "E315" "span-range" Error "A rich-text span's start or end lies outside its text, or its start is after its end.";
    IdMalformed "E316" "id-malformed" Error "An id is empty, longer than 256 bytes, or contains white space or control characters.";
    TimeInvalid "E400" "time-invalid" Error "A time's `at` (or `local`) does not follow the syntax its kind requires.";
    TimeImpossible "E401" "time-impossible" Error "A time names a date or clock time that does not exist (e.g. February 30th, 24:10).";
    TimeMissingOffset "E402" "time-missing-offset" Error "An `instant` or `assumed` time has no UTC offset.";
    TimeUnexpectedOffset "E403" "time-unexpected-offset" Error "A `local` time, or an `assumed` time's `local`, carries a UTC offset.";
    ZoneUnknown "E404" "zone-unknown" Error "A time zone name is not an IANA time zone.";
    TimeInconsistent "E405" "time-inconsistent" Error "An `assumed` time's `at` is not its `local` time in its `zone`.";
    TimeShape "E406" "time-shape" Error "A time has fields its kind forbids, or lacks fields its kind requires.";
    PathAbsolute "E500" "path-absolute" Error "An attachment path is absolute.";
    PathTraversal "E501" "path-traversal" Error "An attachment path has a `..` segment.";
    PathInvalid "E502" "path-invalid" Error "An attachment path is empty, uses `\\`, has empty or `.` segments, or control characters.";
    MediaMissing "E503" "media-missing" Error "An attachment marked `present` names a file the bundle does not hold.";
    MediaSize "E504" "media-size" Error "An attachment's `size` differs from its file's size.";
    MediaHash "E505" "media-hash" Error "An attachment's `sha256` differs from its file's hash.";
    MediaIncomplete "E506" "media-incomplete" Error "An attachment lacks a field its status requires (`present`: path, size, sha256; `remote`: url).";
    HashMalformed "E507" "hash-malformed" Error "An attachment's `sha256` is not 64 lowercase hexadecimal digits.";
    ExtensionKey "E600" "extension-key" Error "An `extensions` key is not a reverse-DNS namespace such as `org.telegram`.";
    LocalTimeNoZoneHint "W100" "local-time-no-zone-hint" Warning "The archive has local times but no source gives a zone hint, so readers cannot place them in time.";
    VersionNewerMinor "W101" "version-newer-minor" Warning "The archive uses a newer minor version; fields and record types this validator does not know are reported as warnings.";
    UnknownFieldNewer "W102" "unknown-field-newer" Warning "A field this version does not define, in an archive of a newer minor version.";
    UnknownTypeNewer "W103" "unknown-type-newer" Warning "A record type this version does not define, in an archive of a newer minor version; the record is skipped.";
    MediaNotChecked "W104" "media-not-checked" Warning "Attachments are marked `present` but the archive was validated alone, so their files were not checked.";
}

impl Code {
    /// The stable identifier, e.g. `E311`.
    pub fn as_str(self) -> &'static str {
        self.info().code
    }

    /// The code's severity.
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// The code whose identifier is `s`.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

//! The header record: the first line of every archive, naming the format, its version and the
//! exports the archive was made from.

use crate::{Extensions, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// # Header
///
/// The first record of every archive, and only the first. It names the format and its version,
/// the program that wrote the archive and the exports it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always `chatport`.
    pub format: FormatName,
    /// The format version the archive follows, `MAJOR.MINOR` (this specification: `0.1`).
    pub version: String,
    /// The program that wrote the archive.
    pub generator: Generator,
    /// When the archive was written. Optional: importers that promise byte-identical output for
    /// the same input leave it out unless the user supplies a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Time>,
    /// A human title for the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The exports this archive was made from, in import order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Platform or tool data that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// The format's name; the only allowed value is `chatport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatName {
    /// This format.
    #[default]
    Chatport,
}

/// # Generator
///
/// The program that wrote the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// The program's name, e.g. `chatport`.
    pub name: String,
    /// The program's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// # Source
///
/// One export the archive was imported from: which platform, which tool produced it, which files,
/// and the choices the user made when importing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// An id for this source, unique among the header's sources; coverage entries refer to it.
    pub id: String,
    /// The platform the chats come from, lowercase: `whatsapp`, `telegram`, `discord`, `slack`, ...
    pub platform: String,
    /// The tool or feature that produced the export, e.g. `Telegram Desktop`,
    /// `DiscordChatExporter`, `WhatsApp Export chat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<String>,
    /// The exporter's version, where the export says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter_version: Option<String>,
    /// The export's own file names, relative to what the user gave the importer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// When the export was made, where the export says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<Time>,
    /// An IANA zone that the source's local times are probably in, given as a hint only: the
    /// times stay `local`. (A zone the user asserted turns times into `assumed` ones instead.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_hint: Option<String>,
    /// The IANA zone the user named when importing, which made local times `assumed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_zone: Option<String>,
    /// Platform or tool data about the export that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

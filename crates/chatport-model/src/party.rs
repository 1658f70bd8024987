//! Accounts (a handle on one platform) and people (who may hold several accounts). Linking is
//! optional and reversible: a person record only lists account ids.

use crate::{Attachment, Extensions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// # Account
///
/// One identity on one platform: a user id, handle, phone number or, where the export gives
/// nothing else, a display name. Messages name their sender by account id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account's id in this archive, unique among all records.
    pub id: String,
    /// The platform, lowercase (as in the header's sources).
    pub platform: String,
    /// The platform's own id for the account, as exported (numbers as decimal strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// The handle or username, without a leading `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The name shown for the account, the latest the export knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Other names the export showed for this account (earlier names, nicknames in groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_names: Vec<String>,
    /// A phone number, as the export wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// An email address, as the export wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// True when the account is a bot or an automated integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<bool>,
    /// True when this is the account of the person who made the export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_self: Option<bool>,
    /// True when the platform marks the account as deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// The account's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Attachment>,
    /// Platform data about the account that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// # Person
///
/// A human who holds one or more accounts. Optional: an archive without person records is
/// complete. Removing a person record undoes the link without touching any account or message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The person's id in this archive, unique among all records.
    pub id: String,
    /// A name for the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ids of the account records this person holds (each defined earlier in the archive).
    pub accounts: Vec<String>,
    /// Who made the link and on what grounds, e.g. `user` or `importer: same phone number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Data about the person that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

//! Conversations: direct chats, groups, channels and threads, with the span of time each source
//! export covered.

use crate::{Attachment, Extensions, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// # Conversation
///
/// A chat: a direct conversation, a group, a channel or a thread. Messages name their
/// conversation by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// The conversation's id in this archive, unique among all records.
    pub id: String,
    /// The platform, lowercase (as in the header's sources).
    pub platform: String,
    /// What kind of conversation this is.
    pub kind: ConversationKind,
    /// The platform's own id for the conversation, as exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// The conversation's name or title, the latest the export knows. Renames are events in the
    /// message stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The conversation's description, topic or purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The workspace, server or guild the conversation belongs to, where the platform has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<Space>,
    /// For threads and forum topics: the id of the conversation they belong to (defined earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// When the conversation was created, where the export says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Time>,
    /// The members the export lists, each an account defined earlier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// Which span of time each source export covered for this conversation, so that later merges
    /// know what is new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<Coverage>,
    /// The conversation's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Attachment>,
    /// Platform data about the conversation that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// What kind of conversation a [`Conversation`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two people (or one person and a bot).
    Direct,
    /// A group chat with several members who may all write.
    Group,
    /// A broadcast channel or a workspace channel.
    Channel,
    /// A thread or forum topic inside another conversation (see `parent`).
    Thread,
    /// Notes to oneself (Telegram's Saved Messages, a chat with oneself).
    SelfChat,
    /// The source did not say.
    Unknown,
}

/// # Space
///
/// The workspace, server or guild a conversation belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Space {
    /// The platform's id for the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// The space's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// # Member
///
/// An account that belongs to a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The id of an account record defined earlier.
    pub account: String,
    /// The member's role as the platform names it (`admin`, `owner`, a Discord role name, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The name shown for this member in this conversation, where it differs from the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// # Coverage
///
/// The span of time one source export covered for a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// The id of a source in the header.
    pub source: String,
    /// The time of the earliest message the export held, or the start of the range it was asked
    /// for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Time>,
    /// The time of the latest message the export held, or the end of the range it was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Time>,
    /// How many messages this source held for the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<u64>,
    /// True when the export claims to hold the whole history up to `to`, false when it is known
    /// to be partial (a date range, a message limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
}

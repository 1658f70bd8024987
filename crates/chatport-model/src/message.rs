//! Messages and everything a message can carry: rich text, replies, threads, forwards, edits,
//! deletions, reactions, attachments, locations, contacts, polls, calls and system events.

use crate::{Attachment, Extensions, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// Rarely present parts are boxed: a message is moved several times on its way through a parser,
// and keeping it small keeps validation and import fast.

/// # Message
///
/// One entry of a conversation as the source showed it: something a person or bot sent, or a
/// system event (see `event`). Messages of one conversation appear in the archive in the
/// source's order, with strictly increasing `ordinal`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The message's id in this archive, unique among all records.
    pub id: String,
    /// The id of the conversation (defined earlier) the message belongs to.
    pub conversation: String,
    /// The message's position in the source's order within its conversation. Strictly increasing
    /// along the archive for each conversation; not necessarily contiguous. Many messages share a
    /// timestamp and some exports are out of time order, so readers order by `ordinal`, not time.
    pub ordinal: u64,
    /// The platform's own id for the message, as exported (numbers as decimal strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// When the message was sent. Absent only when the source gives no time at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// The id of the sender's account record (defined earlier). Absent when the sender is unknown
    /// or for system events with no author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The sender's name exactly as this message showed it, where the source shows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// The message's plain text. Formatting, links and mentions are described by `spans` over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Rich-text spans over `text`, in Unicode scalar values (code points) from 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<Span>,
    /// The message this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Box<Reply>>,
    /// The thread this message belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Box<ThreadRef>>,
    /// Where this message was forwarded from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<Box<Forward>>,
    /// Present when the message was edited: when, and earlier versions where the source has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Box<Edit>>,
    /// Present when the message was deleted (unsent, revoked, redacted, tombstoned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Box<Deletion>>,
    /// Reactions to the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Files and media attached to the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Link previews and embeds shown with the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<Embed>,
    /// A shared location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// A shared contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Box<Contact>>,
    /// A poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Box<Poll>>,
    /// A voice or video call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<Box<Call>>,
    /// Present when this entry is a system event rather than something a person wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<Event>>,
    /// True when the message is pinned in its conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Where in the source export this message came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Box<Origin>>,
    /// Platform data about the message that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// # Span
///
/// A rich-text span over a message's `text`: `start` and `end` count Unicode scalar values
/// (code points) from 0, `end` exclusive, `start <= end <= ` the text's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// What the span marks.
    pub kind: SpanKind,
    /// The first code point of the span.
    pub start: u64,
    /// One past the last code point of the span.
    pub end: u64,
    /// For `link`: the target address. For `mention` of something outside the archive: its address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `mention`: the id of the mentioned account (defined earlier), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For `mention` of a conversation (a channel): the id of its conversation record, when it
    /// is in the archive (defined earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// For `pre` and `code`: the programming language, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Extra naming: a custom emoji's name or id, a group mention's target (`here`, `channel`,
    /// `everyone`), or the source's own name for an `other` span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a [`Span`] marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// Bold text.
    Bold,
    /// Italic text.
    Italic,
    /// Underlined text.
    Underline,
    /// Struck-through text.
    Strikethrough,
    /// Inline code.
    Code,
    /// A preformatted block, optionally with a `language`.
    Pre,
    /// A link; `url` holds the target when it differs from the text.
    Link,
    /// A mention of an account, a conversation or a group (`here`, `everyone`).
    Mention,
    /// A quoted block.
    Quote,
    /// Text hidden until the reader reveals it.
    Spoiler,
    /// A hashtag.
    Hashtag,
    /// A cashtag such as `$USD`.
    Cashtag,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A bot command such as `/start`.
    BotCommand,
    /// A custom (platform) emoji; `name` holds its name or id.
    CustomEmoji,
    /// A span kind chatport has no name for; `name` holds the source's.
    Other,
}

/// # Reply
///
/// The message a reply answers. `message` is set when the target is in the archive (defined
/// earlier); otherwise `platform_id` and the quoted text say what the source said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// The id of the replied-to message record, when it is in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The platform's id of the replied-to message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// The quoted text the source showed with the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The name of the replied-to message's sender as the source showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
}

/// # ThreadRef
///
/// The thread a message belongs to: its root message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadRef {
    /// The id of the thread's root message record, when it is in the archive (defined earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The platform's id of the thread or of its root message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// True when a thread reply was also sent to the conversation (Slack's broadcast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<bool>,
}

/// # Forward
///
/// Where a forwarded message came from, as much as the source says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// The id of the original author's account record, when it is in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The original author's or chat's name as the source showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// When the original was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// The platform's id of the original message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
}

/// # Edit
///
/// A message's edit state: when it was last edited, and earlier versions where the source kept
/// them (most exports keep only the last edit time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// When the message was last edited, where the source says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// The id of the account that made the last edit, when the source says who and that
    /// account is in the archive (defined earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Earlier versions, oldest first. The message's own `text` is the latest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Revision>,
}

/// # Revision
///
/// An earlier version of an edited message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    /// When this version was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// This version's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Rich-text spans over this version's text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<Span>,
}

/// # Deletion
///
/// A message that was deleted, unsent, revoked or redacted. Its text is absent unless the
/// source kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deletion {
    /// When it was deleted, where the source says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// The id of the account that deleted it, when known and in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The placeholder the source showed instead of the message, verbatim
    /// (e.g. "This message was deleted").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// # Reaction
///
/// One reaction (an emoji) and who gave it. `count` is authoritative where the source gives it;
/// `by` may list only some of the reactors (Telegram keeps a sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// The emoji as Unicode text, or a custom emoji's name or shortcode (see `custom`).
    pub emoji: String,
    /// True when `emoji` names a custom (platform) emoji rather than Unicode text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<bool>,
    /// For custom emoji: the platform's id or image address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// How many reacted with this emoji, where the source gives a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Who reacted, as far as the source says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<Reactor>,
    /// Reaction data that has no field here (a custom emoji's image address, animation), under
    /// namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// # Reactor
///
/// One account's reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reactor {
    /// The id of the reacting account's record, when it is in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The reactor's name as the source showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When they reacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
}

/// # Embed
///
/// A link preview or rich embed shown with a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Embed {
    /// The address the embed points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The site or provider name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// The preview picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Attachment>,
    /// Embed data that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// # Location
///
/// A shared place or live location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude in degrees, -90 to 90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude in degrees, -180 to 180.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// The place's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The place's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A map address the source gave instead of (or besides) coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For live locations: how long the location was shared, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_seconds: Option<u64>,
}

/// # Contact
///
/// A shared contact card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The contact's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone numbers, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    /// Email addresses, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// The vCard text, when the source included it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcard: Option<String>,
}

/// # Poll
///
/// A poll and, as far as the source says, its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    /// The question.
    pub question: String,
    /// The options, in the source's order.
    pub options: Vec<PollOption>,
    /// True when more than one option may be chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<bool>,
    /// True when the poll is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
    /// How many people voted in all, where the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_voters: Option<u64>,
}

/// # PollOption
///
/// One option of a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PollOption {
    /// The option's text.
    pub text: String,
    /// How many voted for it, where the source gives a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<u64>,
    /// Who voted for it: ids of account records defined earlier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voters: Vec<String>,
    /// True when the exporting user chose this option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<bool>,
}

/// # Call
///
/// A voice or video call shown in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Voice or video.
    pub media: CallMedia,
    /// How the call ended, where the source says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CallOutcome>,
    /// How long it lasted, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// When it ended, where the source gives it apart from the duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<Time>,
    /// Who took part: ids of account records defined earlier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
}

/// Voice or video, for a [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallMedia {
    /// A voice call.
    Voice,
    /// A video call.
    Video,
    /// The source did not say.
    Unknown,
}

/// How a [`Call`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// It was answered and took place.
    Answered,
    /// Nobody answered.
    Missed,
    /// The callee declined.
    Declined,
    /// The callee was busy.
    Busy,
    /// The caller hung up before an answer.
    Cancelled,
    /// It failed for another reason.
    Failed,
}

/// # Event
///
/// A system event shown in the conversation: joins, leaves, renames, pins, encryption notices
/// and the like. `platform_kind` keeps the source's own name for it, and `text` the line the
/// source showed, so nothing is lost when `kind` is `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The source's own name for the event (e.g. Telegram's `edit_group_title`, Slack's
    /// `channel_join`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_kind: Option<String>,
    /// The account that caused it, when in the archive (the message's `sender` may be absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The accounts it happened to (added, removed members), when in the archive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// The names of those it happened to, as the source showed them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_names: Vec<String>,
    /// The value before a change (an old title), when the source says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_value: Option<String>,
    /// The value after a change (a new title or topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_value: Option<String>,
    /// For pins: the id of the message record pinned or unpinned, when in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The event line as the source showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What an [`Event`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The conversation was created.
    Created,
    /// Someone joined by themselves.
    Joined,
    /// Someone left.
    Left,
    /// Someone was added by another member.
    Added,
    /// Someone was removed by another member.
    Removed,
    /// The conversation's title changed.
    Renamed,
    /// The conversation's picture changed or was removed.
    PhotoChanged,
    /// The conversation's description, topic or purpose changed.
    DescriptionChanged,
    /// A message was pinned.
    Pinned,
    /// A message was unpinned.
    Unpinned,
    /// A notice about end-to-end encryption.
    EncryptionNotice,
    /// A participant's security code or safety number changed.
    SecurityCodeChanged,
    /// A participant changed phone number.
    NumberChanged,
    /// Disappearing messages were turned on, off or changed.
    DisappearingTimer,
    /// The conversation moved (e.g. a group became a supergroup).
    Migrated,
    /// History was cleared.
    HistoryCleared,
    /// A screenshot was taken.
    Screenshot,
    /// Any other event; see `platform_kind` and `text`.
    Other,
}

/// # Origin
///
/// Where in the source export a record came from: a file and line, or a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The id of a source in the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The file within the export, relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The 1-based line in that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// A JSON pointer into that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Message {
    /// A message with only the required fields set.
    pub fn new(id: impl Into<String>, conversation: impl Into<String>, ordinal: u64) -> Self {
        Message {
            id: id.into(),
            conversation: conversation.into(),
            ordinal,
            platform_id: None,
            time: None,
            sender: None,
            sender_name: None,
            text: None,
            spans: Vec::new(),
            reply_to: None,
            thread: None,
            forwarded: None,
            edited: None,
            deleted: None,
            reactions: Vec::new(),
            attachments: Vec::new(),
            embeds: Vec::new(),
            location: None,
            contact: None,
            poll: None,
            call: None,
            event: None,
            pinned: None,
            origin: None,
            extensions: Extensions::new(),
        }
    }
}

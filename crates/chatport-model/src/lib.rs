//! The chatport archive format as Rust types: the records, the JSON Schema generated from them,
//! and a writer that produces archives a validator accepts.
//!
//! An archive is JSON Lines: a [`Header`] first, then [`Account`], [`Person`],
//! [`Conversation`] and [`Message`] records, each line one [`Record`] whose `type` field names its
//! kind. A record refers to others only by ids of records that came before it. The normative
//! description is `spec/` in the repository; these types and their doc comments are the source
//! the schema in `schema/` is generated from.

mod conversation;
mod header;
pub mod ids;
pub mod json;
mod media;
mod message;
mod party;
mod record;
pub mod schema;
pub mod strict;
mod time;
mod writer;

pub use conversation::{Conversation, ConversationKind, Coverage, Member, Space};
pub use header::{FormatName, Generator, Header, Source};
pub use media::{Attachment, AttachmentKind, MediaStatus};
pub use message::{
    Call, CallMedia, CallOutcome, Contact, Deletion, Edit, Embed, Event, EventKind, Forward,
    Location, Message, Origin, Poll, PollOption, Reaction, Reactor, Reply, Revision, Span,
    SpanKind, ThreadRef,
};
pub use party::{Account, Person};
pub use record::{Path, PathSeg, Record, RecordType, RecordView, Reference};
pub use time::{Precision, Time, TimeKind};
pub use writer::{ArchiveWriter, WriteError};

/// The format version this crate reads and writes, `MAJOR.MINOR`.
pub const FORMAT_VERSION: &str = "0.1";
/// The format version as numbers.
pub const FORMAT_VERSION_PARTS: (u64, u64) = (0, 1);

/// Platform-specific data that fits no field of the format, kept verbatim. Keys are namespaces
/// in reverse-DNS form (`org.telegram`, `com.discord`), each holding any JSON value. Readers that
/// do not know a namespace keep it and otherwise ignore it.
pub type Extensions = std::collections::BTreeMap<String, serde_json::Value>;

impl Header {
    /// A header for this format version written by `generator`.
    pub fn new(generator: impl Into<String>, generator_version: Option<String>) -> Self {
        Header {
            format: FormatName::Chatport,
            version: FORMAT_VERSION.to_owned(),
            generator: Generator {
                name: generator.into(),
                version: generator_version,
            },
            created: None,
            title: None,
            sources: Vec::new(),
            extensions: Extensions::new(),
        }
    }
}

impl Account {
    /// An account with only the required fields set.
    pub fn new(id: impl Into<String>, platform: impl Into<String>) -> Self {
        Account {
            id: id.into(),
            platform: platform.into(),
            platform_id: None,
            handle: None,
            display_name: None,
            other_names: Vec::new(),
            phone: None,
            email: None,
            bot: None,
            is_self: None,
            deleted: None,
            avatar: None,
            extensions: Extensions::new(),
        }
    }
}

impl Event {
    /// An event of `kind` with every other field empty.
    pub fn new(kind: EventKind) -> Self {
        Event {
            kind,
            platform_kind: None,
            actor: None,
            targets: Vec::new(),
            target_names: Vec::new(),
            old_value: None,
            new_value: None,
            message: None,
            text: None,
        }
    }
}

impl Conversation {
    /// A conversation with only the required fields set.
    pub fn new(id: impl Into<String>, platform: impl Into<String>, kind: ConversationKind) -> Self {
        Conversation {
            id: id.into(),
            platform: platform.into(),
            kind,
            platform_id: None,
            title: None,
            description: None,
            space: None,
            parent: None,
            created: None,
            members: Vec::new(),
            coverage: Vec::new(),
            avatar: None,
            extensions: Extensions::new(),
        }
    }
}

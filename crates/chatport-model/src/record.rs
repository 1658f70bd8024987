//! The record envelope: every line of an archive is one [`Record`], told apart by its `type`.
//! Also the walk over every reference a record makes, shared by the writer and the validator.

use crate::strict::StrictValue;
use crate::{Account, Conversation, Header, Message, Person};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// # Record
///
/// One line of an archive: a JSON object whose `type` names its kind.
// The variants carry no doc comments on purpose: schemars would put them in place of the record
// types' own descriptions in the generated schema.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Account(Account),
    Person(Person),
    Conversation(Conversation),
    Message(Message),
}

/// The kinds of record, as written in their `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    /// `header`
    Header,
    /// `account`
    Account,
    /// `person`
    Person,
    /// `conversation`
    Conversation,
    /// `message`
    Message,
}

impl RecordType {
    /// Every record type, in the order the schema lists them.
    pub const ALL: [RecordType; 5] = [
        RecordType::Header,
        RecordType::Account,
        RecordType::Person,
        RecordType::Conversation,
        RecordType::Message,
    ];

    /// The value of the `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Header => "header",
            RecordType::Account => "account",
            RecordType::Person => "person",
            RecordType::Conversation => "conversation",
            RecordType::Message => "message",
        }
    }

    /// The record type whose `type` field is `s`.
    pub fn parse(s: &str) -> Option<RecordType> {
        RecordType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A borrowed record: what the writer takes, so that records need not be moved or cloned into a
/// [`Record`] to be checked and written. Serializes exactly as the [`Record`] it mirrors.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordView<'a> {
    /// A header.
    Header(&'a Header),
    /// An account.
    Account(&'a Account),
    /// A person.
    Person(&'a Person),
    /// A conversation.
    Conversation(&'a Conversation),
    /// A message.
    Message(&'a Message),
}

impl Record {
    /// The borrowed view of this record.
    pub fn view(&self) -> RecordView<'_> {
        match self {
            Record::Header(h) => RecordView::Header(h),
            Record::Account(a) => RecordView::Account(a),
            Record::Person(p) => RecordView::Person(p),
            Record::Conversation(c) => RecordView::Conversation(c),
            Record::Message(m) => RecordView::Message(m),
        }
    }

    /// The record's kind.
    pub fn record_type(&self) -> RecordType {
        self.view().record_type()
    }

    /// The record's id; the header has none.
    pub fn id(&self) -> Option<&str> {
        self.view().id()
    }

    /// Calls `f` for every id this record refers to; see [`RecordView::each_reference`].
    pub fn each_reference<'a>(&'a self, f: impl FnMut(Reference<'a>)) {
        self.view().each_reference(f)
    }
}

impl<'a> RecordView<'a> {
    /// The record's kind.
    pub fn record_type(self) -> RecordType {
        match self {
            RecordView::Header(_) => RecordType::Header,
            RecordView::Account(_) => RecordType::Account,
            RecordView::Person(_) => RecordType::Person,
            RecordView::Conversation(_) => RecordType::Conversation,
            RecordView::Message(_) => RecordType::Message,
        }
    }

    /// The record's id; the header has none.
    pub fn id(self) -> Option<&'a str> {
        match self {
            RecordView::Header(_) => None,
            RecordView::Account(a) => Some(&a.id),
            RecordView::Person(p) => Some(&p.id),
            RecordView::Conversation(c) => Some(&c.id),
            RecordView::Message(m) => Some(&m.id),
        }
    }

    /// Calls `f` for every id this record refers to, with the kind of record the id must name and
    /// where in the record the reference sits.
    pub fn each_reference(self, mut f: impl FnMut(Reference<'a>)) {
        use PathSeg::{Index as I, Key as K};
        use RecordType::{Account as A, Conversation as C, Message as M};
        let mut put = |id: Option<&'a String>, expected, path: Path| {
            if let Some(id) = id {
                f(Reference { id, expected, path })
            }
        };
        match self {
            RecordView::Header(_) | RecordView::Account(_) => {}
            RecordView::Person(p) => {
                for (i, a) in p.accounts.iter().enumerate() {
                    put(Some(a), A, Path::new(&[K("accounts"), I(i)]));
                }
            }
            RecordView::Conversation(c) => {
                put(
                    c.parent.as_ref(),
                    RecordType::Conversation,
                    Path::new(&[K("parent")]),
                );
                for (i, m) in c.members.iter().enumerate() {
                    put(
                        Some(&m.account),
                        A,
                        Path::new(&[K("members"), I(i), K("account")]),
                    );
                }
            }
            RecordView::Message(m) => {
                let p = Path::new(&[K("conversation")]);
                put(Some(&m.conversation), RecordType::Conversation, p);
                put(m.sender.as_ref(), A, Path::new(&[K("sender")]));
                if let Some(r) = &m.reply_to {
                    put(
                        r.message.as_ref(),
                        M,
                        Path::new(&[K("reply_to"), K("message")]),
                    );
                }
                if let Some(t) = &m.thread {
                    put(t.root.as_ref(), M, Path::new(&[K("thread"), K("root")]));
                }
                if let Some(fw) = &m.forwarded {
                    put(
                        fw.account.as_ref(),
                        A,
                        Path::new(&[K("forwarded"), K("account")]),
                    );
                }
                if let Some(d) = &m.deleted {
                    put(d.by.as_ref(), A, Path::new(&[K("deleted"), K("by")]));
                }
                for (i, s) in m.spans.iter().enumerate() {
                    put(
                        s.account.as_ref(),
                        A,
                        Path::new(&[K("spans"), I(i), K("account")]),
                    );
                    put(
                        s.conversation.as_ref(),
                        C,
                        Path::new(&[K("spans"), I(i), K("conversation")]),
                    );
                }
                if let Some(e) = &m.edited {
                    put(e.by.as_ref(), A, Path::new(&[K("edited"), K("by")]));
                    for (i, r) in e.history.iter().enumerate() {
                        for (j, s) in r.spans.iter().enumerate() {
                            let p = [K("edited"), K("history"), I(i), K("spans"), I(j)];
                            put(s.account.as_ref(), A, Path::new(&p).with(K("account")));
                            put(
                                s.conversation.as_ref(),
                                C,
                                Path::new(&p).with(K("conversation")),
                            );
                        }
                    }
                }
                for (i, r) in m.reactions.iter().enumerate() {
                    for (j, by) in r.by.iter().enumerate() {
                        let p = [K("reactions"), I(i), K("by"), I(j), K("account")];
                        put(by.account.as_ref(), A, Path::new(&p));
                    }
                }
                if let Some(poll) = &m.poll {
                    for (i, o) in poll.options.iter().enumerate() {
                        for (j, v) in o.voters.iter().enumerate() {
                            let p = [K("poll"), K("options"), I(i), K("voters"), I(j)];
                            put(Some(v), A, Path::new(&p));
                        }
                    }
                }
                if let Some(call) = &m.call {
                    for (i, a) in call.participants.iter().enumerate() {
                        put(Some(a), A, Path::new(&[K("call"), K("participants"), I(i)]));
                    }
                }
                if let Some(ev) = &m.event {
                    put(ev.actor.as_ref(), A, Path::new(&[K("event"), K("actor")]));
                    for (i, t) in ev.targets.iter().enumerate() {
                        put(Some(t), A, Path::new(&[K("event"), K("targets"), I(i)]));
                    }
                    put(
                        ev.message.as_ref(),
                        M,
                        Path::new(&[K("event"), K("message")]),
                    );
                }
            }
        }
    }
}

/// One reference from a record to another record's id.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    /// The id referred to.
    pub id: &'a str,
    /// The kind of record the id must name.
    pub expected: RecordType,
    /// Where the reference sits in the record.
    pub path: Path,
}

/// One step of a [`Path`]: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSeg {
    /// An object member.
    Key(&'static str),
    /// An array element.
    Index(usize),
}

/// A short location inside a record, rendered as a JSON pointer (RFC 6901) by `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    segs: [PathSeg; 8],
    len: usize,
}

impl Path {
    /// A path of up to eight segments (more are dropped).
    pub fn new(segs: &[PathSeg]) -> Path {
        let mut p = Path {
            segs: [PathSeg::Index(0); 8],
            len: 0,
        };
        for s in segs {
            p = p.with(*s);
        }
        p
    }

    /// This path with one more segment (dropped past eight).
    pub fn with(mut self, seg: PathSeg) -> Path {
        if self.len < self.segs.len() {
            self.segs[self.len] = seg;
            self.len += 1;
        }
        self
    }

    /// The segments.
    pub fn segments(&self) -> &[PathSeg] {
        &self.segs[..self.len]
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.segments() {
            match s {
                PathSeg::Key(k) => write!(f, "/{k}")?,
                PathSeg::Index(i) => write!(f, "/{i}")?,
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

// The first key decides the path: when it is `type` (as every chatport writer emits), the rest of
// the object streams straight into the variant's struct; otherwise the object is buffered.
enum FirstKey {
    Type,
    Other(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FirstKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FirstKey, E> {
                Ok(if v == "type" {
                    FirstKey::Type
                } else {
                    FirstKey::Other(v.to_owned())
                })
            }
        }
        d.deserialize_str(V)
    }
}

fn variant_from<'de, D: Deserializer<'de>>(t: RecordType, d: D) -> Result<Record, D::Error> {
    Ok(match t {
        RecordType::Header => Record::Header(Header::deserialize(d)?),
        RecordType::Account => Record::Account(Account::deserialize(d)?),
        RecordType::Person => Record::Person(Person::deserialize(d)?),
        RecordType::Conversation => Record::Conversation(Conversation::deserialize(d)?),
        RecordType::Message => Record::Message(Message::deserialize(d)?),
    })
}

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chatport record (a JSON object with a `type` field)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        match map.next_key::<FirstKey>()? {
            None => Err(de::Error::missing_field("type")),
            Some(FirstKey::Type) => {
                let t: RecordType = map.next_value()?;
                variant_from(t, de::value::MapAccessDeserializer::new(map))
            }
            Some(FirstKey::Other(first)) => {
                let mut obj = serde_json::Map::new();
                let StrictValue(v) = map.next_value()?;
                obj.insert(first, v);
                while let Some(k) = map.next_key::<String>()? {
                    let StrictValue(v) = map.next_value()?;
                    if obj.contains_key(&k) {
                        return Err(de::Error::custom(format_args!("duplicate field `{k}`")));
                    }
                    obj.insert(k, v);
                }
                let t = obj
                    .remove("type")
                    .ok_or_else(|| de::Error::missing_field("type"))?;
                let t = RecordType::deserialize(t).map_err(de::Error::custom)?;
                variant_from(t, serde_json::Value::Object(obj)).map_err(de::Error::custom)
            }
        }
    }
}

//! Element's "Export chat" as JSON, one Matrix room: `{room_name, room_creator, topic,
//! export_date, exported_by, messages: [...]}` where each message is a raw Matrix event
//! (`type`, `sender`, `content`, `origin_server_ts` in ms, `event_id`, `room_id`, `unsigned`).
//! Element writes decrypted events in their clear form; events it could not decrypt stay
//! `m.room.encrypted`.
//!
//! # Relations: two passes
//!
//! Edits (`m.replace`), reactions (`m.annotation`) and redactions refer to earlier events, and a
//! record cannot change once written. The file is therefore read twice, both times streamed:
//!
//! 1. the first pass keeps, per event id, only the sender (bounded by ids) and, per target,
//!    the relations that point at it: each edit's new content, each reaction's key, sender and
//!    time, each redaction's sender and time; and the members' display names;
//! 2. the second pass writes every event as a message, with the relations applied to their
//!    target: the latest edit's content becomes the text (with `edited.time`, `edited.by`, and
//!    the original and intermediate versions in `edited.history`), reactions are grouped by key
//!    (who and when), a redaction sets `deleted`. A relation event applied to a target in the
//!    export is counted as skipped under `merged-into-target` (what it said lives on the
//!    target); one whose target is not in the export (or an edit by someone else than the
//!    target's sender, which Matrix ignores) is written as its own message: an edit with its new
//!    text and `edited`, a reaction or redaction as an event that names its target under
//!    `extensions["org.matrix"]`. A redacted reaction or edit is not applied (and is skipped as
//!    `redacted-relation`).
//!
//! Memory grows with the number of events (ids) and with the text of edits, not with the rest
//! of the file.
//!
//! Other mappings: `body` is the text (a reply's quoted fallback lines go to `reply_to.quote`);
//! `formatted_body` (HTML) is kept under `extensions["org.matrix"]`, not turned into spans;
//! `m.in_reply_to` is the reply, `rel_type: m.thread` the thread; media (`m.image`, `m.file`,
//! `m.audio`, `m.video`, `m.sticker`) are remote attachments at their `mxc://` address, never
//! downloaded; `m.location` a location; membership and state events (name, topic, avatar,
//! encryption, create) are events; anything else is kept as an `other` event naming its type.
//! Keys of an event with no field in the model are kept under `extensions["org.matrix"]`.

use crate::googlechat::{json_error, json_keys, starts_object};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, Conversation, ConversationKind, Deletion,
    Edit, Event, EventKind, Location, MediaStatus, Message, Precision, Reaction, Reactor, Reply,
    Revision, ThreadRef, Time,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

/// The extension namespace for Matrix data with no field in the model.
const NS: &str = "org.matrix";

/// What a Matrix export is called in errors.
const WHAT: &str = "Element (Matrix) JSON export";

/// The root keys Element writes besides `messages`.
const ROOT_KEYS: [&str; 5] = [
    "room_name",
    "room_creator",
    "topic",
    "export_date",
    "exported_by",
];

pub(crate) fn sniff(input: &Input) -> bool {
    export_file(input).is_some()
}

fn looks_like(head: &[u8]) -> bool {
    if !starts_object(head) {
        return false;
    }
    let keys = json_keys(head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    let root = ROOT_KEYS.iter().filter(|k| has(k)).count();
    root >= 2 && (has("messages") || has("exported_by"))
        || (has("room_name") && has("messages") && has("origin_server_ts"))
}

/// The export's JSON file: the input itself, or a JSON file at the top of a folder or zip
/// (Element's zip with attachments holds `export.json`).
fn export_file(input: &Input) -> Option<String> {
    let candidates: Vec<&str> = if input.is_single_file() {
        input.entries().iter().map(|e| e.name.as_str()).collect()
    } else {
        input
            .entries()
            .iter()
            .filter(|e| e.name.ends_with(".json") && e.name.matches('/').count() <= 1)
            .map(|e| e.name.as_str())
            .collect()
    };
    candidates
        .into_iter()
        .find(|name| {
            input
                .peek(name, 16 << 10)
                .is_ok_and(|head| looks_like(&head))
        })
        .map(str::to_owned)
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let file = match export_file(input) {
        Some(f) => f,
        None if input.is_single_file() => input
            .entries()
            .first()
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        None => {
            return Err(ImportError::invalid(
                input.path().display().to_string(),
                "no Element export JSON (room_name, messages) in this folder or zip",
            ));
        }
    };
    let shown = input.display(&file);
    {
        let src = sink.source_mut();
        src.exporter = Some("Element".into());
        src.files.push(file.clone());
    }
    input.expect_passes(2);
    // Pass 1: relations, senders, names.
    let mut meta = Map::new();
    let mut first = First::default();
    stream(input, &file, &shown, WHAT, &mut meta, &mut |i, v| {
        first.read(i, &v);
        Ok(())
    })?;
    // A redaction applied to its target is not written: relations aimed at it are not applied
    // to it either, but written as events of their own.
    let merged: Vec<String> = first
        .redactions
        .iter()
        .filter(|(target, _)| first.events.contains_key(*target))
        .filter_map(|(_, r)| r.event_id.clone())
        .collect();
    for id in merged {
        if let Some(e) = first.events.get_mut(&id) {
            e.1 = true;
        }
    }
    let Some(has_messages) = meta.remove("\u{0}messages") else {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "no \"messages\" array: not an Element (Matrix) export",
        ));
    };
    let _ = has_messages;
    if !ROOT_KEYS.iter().any(|k| meta.contains_key(*k)) {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "a \"messages\" array without room_name, room_creator, topic, export_date or \
             exported_by: not an Element (Matrix) export",
        ));
    }
    // Accounts, in a stable order.
    let exported_by = meta
        .get("exported_by")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // `exported_by` is the exporting user's display name in the room, or their user id when
    // they have none.
    let self_matches: Vec<&String> = first
        .names
        .iter()
        .filter(|(id, names)| {
            exported_by
                .as_ref()
                .is_some_and(|e| names.contains(e) || *id == e)
        })
        .map(|(id, _)| id)
        .collect();
    let me = match self_matches.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    };
    for (mxid, names) in &first.names {
        let mut a = Account::new(account_id(mxid), "matrix");
        a.platform_id = Some(mxid.clone());
        a.handle = Some(mxid.clone());
        let mut names = names.iter();
        a.display_name = names.next().cloned();
        a.other_names = names.cloned().collect();
        if me.as_ref() == Some(mxid) {
            a.is_self = Some(true);
        }
        sink.account(a)?;
    }
    // The room.
    let room = first.room_id.clone();
    let conv_id = match &room {
        Some(r) => format!("mx-c-{}", id_safe(r)),
        None => derive_id(
            "mx-c-",
            &[meta.get("room_name").and_then(Value::as_str).unwrap_or("")],
        ),
    };
    let mut c = Conversation::new(conv_id.clone(), "matrix", ConversationKind::Group);
    c.platform_id = room.clone();
    c.title = meta
        .get("room_name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    c.description = meta
        .get("topic")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    c.created = first.created.clone();
    let mut ext = Map::new();
    for (k, v) in &meta {
        if !matches!(k.as_str(), "room_name" | "topic") {
            ext.insert(k.clone(), v.clone());
        }
    }
    if !ext.is_empty() {
        c.extensions.insert(NS.into(), Value::Object(ext));
    }
    sink.conversation(c)?;
    // Pass 2: the messages.
    let base = file.rsplit_once('/').map_or("", |(b, _)| b);
    let mut media_files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if !input.is_single_file() {
        for e in input.entries() {
            let rel = if base.is_empty() {
                Some(e.name.as_str())
            } else {
                e.name.strip_prefix(base).and_then(|r| r.strip_prefix('/'))
            };
            if let Some((dir, _)) = rel.and_then(|r| r.split_once('/'))
                && matches!(dir, "images" | "videos" | "audio" | "stickers" | "files")
            {
                media_files
                    .entry(dir.to_owned())
                    .or_default()
                    .push(e.name.clone());
            }
        }
    }
    let mut second = Second {
        sink,
        input,
        media_files,
        first: &first,
        file: file.clone(),
        shown: shown.clone(),
        conv: conv_id,
        room: room.unwrap_or_default(),
        ordinal: 0,
        applied: Default::default(),
    };
    let mut ignored = Map::new();
    stream(input, &file, &shown, WHAT, &mut ignored, &mut |i, v| {
        second.write(i, v)
    })?;
    Ok(())
}

/// Streams a JSON file whose root object holds a `messages` array: the root's other (small)
/// keys go to `meta` (and `"\0messages"` marks that the array was there), each element of
/// `messages` to `each`. Syntax errors name `what` the file should have been.
pub(crate) fn stream(
    input: &Input,
    file: &str,
    shown: &str,
    what: &str,
    meta: &mut Map<String, Value>,
    each: &mut dyn FnMut(usize, Value) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    input.read_entry(file, |r| {
        let reader = io::BufReader::with_capacity(64 << 10, r);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut failure = None;
        let result = (&mut de)
            .deserialize_map(RootVisitor {
                meta,
                each,
                failure: &mut failure,
            })
            .and_then(|()| de.end());
        if let Some(f) = failure {
            return Err(f);
        }
        result.map_err(|e| json_error(shown, &e, what))
    })
}

struct RootVisitor<'a> {
    meta: &'a mut Map<String, Value>,
    each: &'a mut dyn FnMut(usize, Value) -> Result<(), ImportError>,
    failure: &'a mut Option<ImportError>,
}

impl<'de> Visitor<'de> for RootVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an Element export object with \"messages\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "messages" {
                map.next_value_seed(MessagesSeed {
                    each: &mut *self.each,
                    failure: &mut *self.failure,
                })?;
                self.meta.insert("\u{0}messages".into(), Value::Bool(true));
            } else {
                let v: Value = map.next_value()?;
                self.meta.insert(key, v);
            }
        }
        Ok(())
    }
}

struct MessagesSeed<'a> {
    each: &'a mut dyn FnMut(usize, Value) -> Result<(), ImportError>,
    failure: &'a mut Option<ImportError>,
}

impl<'de> DeserializeSeed<'de> for MessagesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MessagesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Matrix events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(e) = (self.each)(i, v) {
                *self.failure = Some(e);
                return Err(de::Error::custom("import stopped"));
            }
            i += 1;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 1

/// An edit of an event: its new content, who and when.
struct EditInfo {
    event_id: Option<String>,
    sender: Option<String>,
    ts: Option<i64>,
    content: Value,
}

/// A reaction to an event.
struct ReactionInfo {
    event_id: Option<String>,
    key: String,
    sender: Option<String>,
    ts: Option<i64>,
}

/// A redaction of an event.
struct RedactionInfo {
    event_id: Option<String>,
    sender: Option<String>,
    ts: Option<i64>,
    reason: Option<String>,
}

#[derive(Default)]
struct First {
    room_id: Option<String>,
    created: Option<Time>,
    /// Every event id, with its sender and whether it is a relation (edit or reaction).
    events: HashMap<String, (Option<String>, bool)>,
    edits: HashMap<String, Vec<EditInfo>>,
    reactions: HashMap<String, Vec<ReactionInfo>>,
    redactions: HashMap<String, RedactionInfo>,
    /// Each user's display names, first seen first (senders too, with no name).
    names: BTreeMap<String, Vec<String>>,
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn ts_of(v: &Value) -> Option<i64> {
    v.get("origin_server_ts").and_then(Value::as_i64)
}

/// The relation of an event's content: (rel_type, target event id).
fn relation(v: &Value) -> Option<(String, String)> {
    let r = v.get("content")?.get("m.relates_to")?;
    Some((s(r, "rel_type")?, s(r, "event_id")?))
}

impl First {
    fn read(&mut self, _i: usize, v: &Value) {
        if self.room_id.is_none() {
            self.room_id = s(v, "room_id");
        }
        let ty = s(v, "type").unwrap_or_default();
        let sender = s(v, "sender");
        if let Some(u) = &sender {
            self.names.entry(u.clone()).or_default();
        }
        if let Some(u) = v
            .pointer("/unsigned/redacted_because/sender")
            .and_then(Value::as_str)
        {
            self.names.entry(u.to_owned()).or_default();
        }
        if ty == "m.room.create" && self.created.is_none() {
            self.created = ts_of(v).and_then(millis);
        }
        if ty == "m.room.member"
            && let Some(target) = s(v, "state_key")
        {
            let names = self.names.entry(target).or_default();
            if let Some(n) = v
                .pointer("/content/displayname")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                && !names.iter().any(|x| x == n)
            {
                names.push(n.to_owned());
            }
        }
        let rel = relation(v);
        let is_relation = match (&rel, ty.as_str()) {
            (Some((r, _)), "m.room.message") if r == "m.replace" => true,
            (Some((r, _)), "m.reaction") if r == "m.annotation" => true,
            _ => false,
        };
        if let Some(id) = s(v, "event_id") {
            self.events.insert(id, (sender.clone(), is_relation));
        }
        match (rel, ty.as_str()) {
            (Some((r, target)), "m.room.message") if r == "m.replace" => {
                // Older clients and bridges send edits without `m.new_content`: the edit's own
                // content then stands for it, its fallback `* ` taken off the body.
                let content = match v.pointer("/content/m.new_content") {
                    Some(c @ Value::Object(_)) => c.clone(),
                    _ => {
                        let mut c = v.get("content").cloned().unwrap_or(Value::Null);
                        if let Some(o) = c.as_object_mut() {
                            o.remove("m.relates_to");
                            if let Some(Value::String(b)) = o.get_mut("body")
                                && let Some(rest) = b.strip_prefix("* ")
                            {
                                *b = rest.to_owned();
                            }
                        }
                        c
                    }
                };
                self.edits.entry(target).or_default().push(EditInfo {
                    event_id: s(v, "event_id"),
                    sender: sender.clone(),
                    ts: ts_of(v),
                    content,
                });
            }
            (Some((r, target)), "m.reaction") if r == "m.annotation" => {
                let key = v
                    .pointer("/content/m.relates_to/key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.reactions
                    .entry(target)
                    .or_default()
                    .push(ReactionInfo {
                        event_id: s(v, "event_id"),
                        key,
                        sender: sender.clone(),
                        ts: ts_of(v),
                    });
            }
            _ => {}
        }
        if ty == "m.room.redaction"
            && let Some(target) = s(v, "redacts").or_else(|| {
                v.pointer("/content/redacts")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        {
            self.redactions.entry(target).or_insert(RedactionInfo {
                event_id: s(v, "event_id"),
                sender,
                ts: ts_of(v),
                reason: v
                    .pointer("/content/reason")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }

    /// True when `target` is an event of the export that is not itself an edit or reaction.
    fn is_base(&self, target: &str) -> bool {
        self.events.get(target).is_some_and(|(_, rel)| !rel)
    }

    fn sender_of(&self, target: &str) -> Option<&String> {
        self.events.get(target).and_then(|(s, _)| s.as_ref())
    }

    /// True when the relation event `id` was redacted.
    fn redacted(&self, id: Option<&String>) -> bool {
        id.is_some_and(|id| self.redactions.contains_key(id))
    }
}

/// Milliseconds since the epoch as a UTC instant.
fn millis(ms: i64) -> Option<Time> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let at = format!(
        "{}.{:03}Z",
        crate::times::civil_text(dt, true),
        dt.subsec_nanosecond() / 1_000_000
    );
    Some(Time::instant(at).with_precision(Precision::Millisecond))
}

fn id_safe(s: &str) -> String {
    if !s.is_empty() && s.len() <= 100 && !s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        s.to_owned()
    } else {
        derive_id("h", &[s])
    }
}

fn account_id(mxid: &str) -> String {
    format!("mx-u-{}", id_safe(mxid))
}

// ---------------------------------------------------------------------------------------------
// Pass 2

struct Second<'a> {
    sink: &'a mut Sink,
    input: &'a Input,
    /// The media files of a zipped export (Element writes them to `images/`, `videos/`,
    /// `audio/`, `stickers/` and `files/` beside `export.json`), by folder.
    media_files: BTreeMap<String, Vec<String>>,
    first: &'a First,
    file: String,
    shown: String,
    conv: String,
    room: String,
    ordinal: u64,
    /// Event ids whose relations were applied: a repeated event gets them once.
    applied: std::collections::HashSet<String>,
}

impl Second<'_> {
    fn message_id(&self, event_id: &str) -> String {
        let id = format!("mx-m-{}-{}", id_safe(&self.room), id_safe(event_id));
        if id.len() <= 200 {
            id
        } else {
            derive_id("mx-m-", &[&self.room, event_id])
        }
    }

    /// The account of a Matrix user id, when the first pass added it.
    fn account(&self, mxid: Option<&String>) -> Option<String> {
        mxid.filter(|m| self.first.names.contains_key(*m))
            .map(|m| account_id(m))
    }

    fn write(&mut self, i: usize, v: Value) -> Result<(), ImportError> {
        self.sink.source_message();
        let pointer = format!("/messages/{i}");
        let location = format!("{}#{pointer}", self.shown);
        let Value::Object(mut ev) = v else {
            self.sink.skip(
                "not-an-event",
                "an element of the messages array is not an object",
                location,
            );
            return Ok(());
        };
        let ty = ev
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let whole = Value::Object(ev.clone());
        let event_id = s(&whole, "event_id");
        let rel = relation(&whole);
        // Relation events applied to their target are not written again.
        if let Some((r, target)) = &rel {
            let applies = match (r.as_str(), ty.as_str()) {
                ("m.replace", "m.room.message") => {
                    self.first.is_base(target)
                        && self.first.sender_of(target) == s(&whole, "sender").as_ref()
                }
                ("m.annotation", "m.reaction") => self.first.is_base(target),
                _ => false,
            };
            if applies && (r == "m.replace" || r == "m.annotation") {
                if self.first.redacted(event_id.as_ref()) {
                    self.sink.skip(
                        "redacted-relation",
                        "an edit or reaction that was itself redacted: not applied",
                        location,
                    );
                } else {
                    self.sink.skip(
                        "merged-into-target",
                        "an edit or reaction applied to the message it refers to",
                        location,
                    );
                }
                return Ok(());
            }
        }
        if ty == "m.room.redaction"
            && let Some(target) = s(&whole, "redacts").or_else(|| {
                whole
                    .pointer("/content/redacts")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            && self.first.events.contains_key(&target)
            && self
                .first
                .redactions
                .get(&target)
                .is_some_and(|r| r.event_id == event_id)
        {
            self.sink.skip(
                "merged-into-target",
                "a redaction applied to the event it removes",
                location,
            );
            return Ok(());
        }
        self.ordinal += 1;
        let id = match &event_id {
            Some(e) => self.message_id(e),
            None => derive_id("mx-m-", &[&self.conv, &self.ordinal.to_string()]),
        };
        let mut m = Message::new(id, self.conv.clone(), self.ordinal);
        m.platform_id = event_id.clone();
        ev.remove("event_id");
        ev.remove("type");
        if let Some(t) = ts_of(&whole).and_then(millis) {
            m.time = Some(t);
            ev.remove("origin_server_ts");
        }
        let sender = s(&whole, "sender");
        m.sender = self.account(sender.as_ref());
        if m.sender.is_some() {
            ev.remove("sender");
        }
        if ev.get("room_id").and_then(Value::as_str) == Some(self.room.as_str()) {
            ev.remove("room_id");
        }
        m.origin = self.sink.origin_pointer(&self.file, pointer);
        let mut content = match ev.remove("content") {
            Some(Value::Object(c)) => c,
            Some(other) => {
                ev.insert("content".into(), other);
                Map::new()
            }
            None => Map::new(),
        };
        // Redacted in the export: `unsigned.redacted_because`.
        if let Some(because) = ev
            .get_mut("unsigned")
            .and_then(Value::as_object_mut)
            .and_then(|u| u.remove("redacted_because"))
        {
            m.deleted = Some(Box::new(Deletion {
                time: ts_of(&because).and_then(millis),
                by: self.account(s(&because, "sender").as_ref()),
                placeholder: None,
            }));
            ev.insert("redacted_because".into(), because);
        }
        if let Some(u) = ev.get("unsigned").and_then(Value::as_object)
            && u.is_empty()
        {
            ev.remove("unsigned");
        }
        match ty.as_str() {
            "m.room.message" => self.room_message(&mut m, &mut content, rel.as_ref()),
            "m.sticker" => {
                m.attachments
                    .push(media(AttachmentKind::Sticker, &mut content));
                if let Some(b) = take_str(&mut content, "body") {
                    m.attachments[0].caption = Some(b);
                }
                self.relates(&mut m, &mut content);
            }
            "m.reaction" => {
                let key = content
                    .get("m.relates_to")
                    .and_then(|r| r.get("key"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    new_value: key,
                    ..Event::new(EventKind::Other)
                }));
            }
            "m.room.redaction" => {
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    ..Event::new(EventKind::Other)
                }));
            }
            "m.room.member" => self.member(&mut m, &mut ev, &mut content),
            "m.room.name" => {
                let new = take_str(&mut content, "name");
                let old = prev(&ev, "name");
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    old_value: old,
                    new_value: new,
                    ..Event::new(EventKind::Renamed)
                }));
            }
            "m.room.topic" => {
                let new = take_str(&mut content, "topic");
                let old = prev(&ev, "topic");
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    old_value: old,
                    new_value: new,
                    ..Event::new(EventKind::DescriptionChanged)
                }));
            }
            "m.room.avatar" => {
                let new = take_str(&mut content, "url");
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    new_value: new,
                    ..Event::new(EventKind::PhotoChanged)
                }));
            }
            "m.room.encryption" => {
                let alg = content
                    .get("algorithm")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    new_value: alg,
                    ..Event::new(EventKind::EncryptionNotice)
                }));
            }
            "m.room.create" => {
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    ..Event::new(EventKind::Created)
                }));
            }
            "m.call.invite" => {
                let video = content
                    .get("offer")
                    .and_then(|o| o.get("sdp"))
                    .and_then(Value::as_str)
                    .is_some_and(|sdp| sdp.contains("m=video"));
                m.call = Some(Box::new(Call {
                    media: if video {
                        CallMedia::Video
                    } else {
                        CallMedia::Voice
                    },
                    outcome: None,
                    duration_seconds: None,
                    ended: None,
                    participants: Vec::new(),
                }));
                ev.insert("type".into(), Value::String(ty.clone()));
            }
            "m.room.encrypted" => {
                m.event = Some(Box::new(Event {
                    platform_kind: Some(ty.clone()),
                    actor: m.sender.clone(),
                    text: Some("(an encrypted event the export could not decrypt)".into()),
                    ..Event::new(EventKind::Other)
                }));
            }
            _ => {
                m.event = Some(Box::new(Event {
                    platform_kind: Some(if ty.is_empty() {
                        "unknown".into()
                    } else {
                        ty.clone()
                    }),
                    actor: m.sender.clone(),
                    ..Event::new(EventKind::Other)
                }));
            }
        }
        if !self.media_files.is_empty() {
            self.local_media(&mut m, &whole, &ty, &location)?;
        }
        // Relations of this event that live elsewhere in the file.
        if let Some(e) = &event_id
            && self.applied.insert(e.clone())
        {
            self.apply(&mut m, e, &mut ev);
        }
        if m.text.is_none()
            && m.attachments.is_empty()
            && m.event.is_none()
            && m.call.is_none()
            && m.location.is_none()
            && m.deleted.is_none()
        {
            // A message whose content says nothing (an empty body): an event keeps it visible.
            m.event = Some(Box::new(Event {
                platform_kind: Some(ty.clone()),
                actor: m.sender.clone(),
                ..Event::new(EventKind::Other)
            }));
        }
        if !content.is_empty() {
            ev.insert("content".into(), Value::Object(content));
        }
        if !ev.is_empty() {
            m.extensions.insert(NS.into(), Value::Object(ev));
        }
        if !self.sink.message_or_taken(&m)? {
            // The same event id twice in the file: the later one gets an id of its own.
            m.id = derive_id("mx-m-", &[&m.id, &self.ordinal.to_string()]);
            self.sink.message(&m)?;
        }
        Ok(())
    }

    /// For a zipped export with its media: the file Element wrote for this event's attachment
    /// (`<folder>/<body's stem>-<localized date><body's extension>`, `.png` for stickers). The
    /// date is written in the exporter's locale, so the file is found by folder, stem and
    /// extension; when several files fit, none is taken (the attachment stays remote) and a
    /// warning says so.
    fn local_media(
        &mut self,
        m: &mut Message,
        whole: &Value,
        ty: &str,
        location: &str,
    ) -> Result<(), ImportError> {
        if m.attachments.len() != 1 || m.attachments[0].status != MediaStatus::Remote {
            return Ok(());
        }
        let msgtype = whole.pointer("/content/msgtype").and_then(Value::as_str);
        let dir = match (ty, msgtype) {
            ("m.sticker", _) => "stickers",
            (_, Some("m.image")) => "images",
            (_, Some("m.video")) => "videos",
            (_, Some("m.audio")) => "audio",
            _ => "files",
        };
        let Some(body) = whole.pointer("/content/body").and_then(Value::as_str) else {
            return Ok(());
        };
        let (stem, ext) = match body.rfind('.') {
            Some(i) => (&body[..i], &body[i..]),
            None => (body, ""),
        };
        let ext = if ty == "m.sticker" { ".png" } else { ext };
        let prefix = format!("{stem}-");
        let Some(files) = self.media_files.get(dir) else {
            return Ok(());
        };
        let fits: Vec<&String> = files
            .iter()
            .filter(|name| {
                let file = name.rsplit('/').next().unwrap_or(name);
                file.starts_with(&prefix)
                    && file.ends_with(ext)
                    && file.len() > prefix.len() + ext.len()
            })
            .collect();
        match fits.as_slice() {
            [one] => {
                let one = (*one).clone();
                let remote = m.attachments[0].clone();
                let mut a = self.sink.attach_entry(self.input, &one, remote.kind)?;
                if a.status != MediaStatus::Present {
                    // A single .jsonl output copies no media: the address stays the record.
                    return Ok(());
                }
                a.url = remote.url;
                a.original_name = remote.original_name;
                a.mime_type = remote.mime_type;
                a.width = remote.width;
                a.height = remote.height;
                a.duration_seconds = remote.duration_seconds;
                a.caption = remote.caption;
                a.extensions = remote.extensions;
                m.attachments[0] = a;
            }
            [] => {}
            _ => self.sink.warn(
                "media-ambiguous",
                "several files of the zipped export fit this attachment's name; it is kept as remote",
                location.to_owned(),
            ),
        }
        Ok(())
    }

    /// Reply and thread from `m.relates_to` (an edit's `m.replace` is handled by the caller).
    fn relates(&self, m: &mut Message, content: &mut Map<String, Value>) {
        let Some(Value::Object(mut r)) = content.remove("m.relates_to") else {
            return;
        };
        let falling_back = r
            .get("is_falling_back")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if r.get("rel_type").and_then(Value::as_str) == Some("m.thread")
            && let Some(root) = r.get("event_id").and_then(Value::as_str).map(str::to_owned)
        {
            let rid = self.message_id(&root);
            m.thread = Some(Box::new(ThreadRef {
                root: self.sink.is_defined(&rid).then_some(rid),
                platform_id: Some(root),
                broadcast: None,
            }));
            r.remove("rel_type");
            r.remove("event_id");
        }
        if let Some(Value::Object(irt)) = r.get("m.in_reply_to")
            && let Some(target) = irt.get("event_id").and_then(Value::as_str)
            && !(falling_back && m.thread.is_some())
        {
            let tid = self.message_id(target);
            m.reply_to = Some(Box::new(Reply {
                message: self.sink.is_defined(&tid).then_some(tid),
                platform_id: Some(target.to_owned()),
                quote: None,
                sender_name: None,
            }));
            if irt.len() == 1 {
                r.remove("m.in_reply_to");
            }
        }
        if !r.is_empty() {
            content.insert("m.relates_to".into(), Value::Object(r));
        }
    }

    fn room_message(
        &self,
        m: &mut Message,
        content: &mut Map<String, Value>,
        rel: Option<&(String, String)>,
    ) {
        // An edit written as its own message (its target is not in the export): the new
        // content is its text.
        if let Some((r, target)) = rel
            && r == "m.replace"
        {
            if let Some(Value::Object(new)) = content.remove("m.new_content") {
                let old_body = content.remove("body");
                let mut new = new;
                let mut ext = Map::new();
                if let Some(b) = old_body {
                    ext.insert("body".into(), b);
                }
                ext.insert("replaces".into(), Value::String(target.clone()));
                self.message_content(m, &mut new);
                if !new.is_empty() {
                    ext.insert("m.new_content".into(), Value::Object(new));
                }
                content.insert("edit".into(), Value::Object(ext));
            } else {
                self.message_content(m, content);
            }
            m.edited = Some(Box::new(Edit {
                time: m.time.clone(),
                by: m.sender.clone(),
                history: Vec::new(),
            }));
            if let Some(Value::Object(mut rr)) = content.remove("m.relates_to") {
                rr.remove("rel_type");
                rr.remove("event_id");
                if !rr.is_empty() {
                    content.insert("m.relates_to".into(), Value::Object(rr));
                }
            }
            return;
        }
        self.message_content(m, content);
        self.relates(m, content);
        // A reply's body starts with the quoted fallback (`> <@user> text` lines, then a blank
        // line): it goes to the reply's quote.
        if let (Some(reply), Some(text)) = (&mut m.reply_to, &m.text)
            && text.starts_with("> ")
            && let Some(end) = text.find("\n\n")
        {
            let quote: Vec<&str> = text[..end]
                .lines()
                .map(|l| l.strip_prefix("> ").or(l.strip_prefix('>')).unwrap_or(l))
                .collect();
            reply.quote = Some(quote.join("\n"));
            let rest = text[end + 2..].to_owned();
            m.text = (!rest.is_empty()).then_some(rest);
        }
    }

    /// Text, media and location of a message's content (`msgtype`, `body`, `url`, `info`, ...).
    fn message_content(&self, m: &mut Message, content: &mut Map<String, Value>) {
        let msgtype = content
            .get("msgtype")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if msgtype == "m.text" {
            content.remove("msgtype");
        }
        let kind = match msgtype.as_str() {
            "m.image" => Some(AttachmentKind::Image),
            "m.file" => Some(AttachmentKind::File),
            "m.audio" => Some(if content.contains_key("org.matrix.msc3245.voice") {
                AttachmentKind::Voice
            } else {
                AttachmentKind::Audio
            }),
            "m.video" => Some(AttachmentKind::Video),
            _ => None,
        };
        match kind {
            Some(kind) => {
                let mut a = media(kind, content);
                let body = take_str(content, "body");
                let filename = take_str(content, "filename");
                match (body, filename) {
                    (Some(b), Some(f)) if b != f => {
                        a.original_name = Some(f);
                        m.text = Some(b);
                    }
                    (Some(b), _) => a.original_name = Some(b),
                    (None, f) => a.original_name = f,
                }
                m.attachments.push(a);
            }
            None if msgtype == "m.location" => {
                let geo = content
                    .get("geo_uri")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let (lat, lon) = geo.as_deref().and_then(parse_geo).unzip();
                m.location = Some(Box::new(Location {
                    latitude: lat,
                    longitude: lon,
                    name: take_str(content, "body"),
                    address: None,
                    url: geo,
                    live_seconds: None,
                }));
                content.remove("geo_uri");
            }
            None => {
                if let Some(b) = take_str(content, "body") {
                    m.text = Some(b);
                }
            }
        }
    }

    /// Membership: join, leave, invite, ban, and profile changes.
    fn member(
        &self,
        m: &mut Message,
        ev: &mut Map<String, Value>,
        content: &mut Map<String, Value>,
    ) {
        let target = ev
            .get("state_key")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let membership = content
            .get("membership")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let prev_membership = ev
            .get("unsigned")
            .and_then(|u| u.get("prev_content"))
            .and_then(|p| p.get("membership"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let by_self = m.sender.is_some() && target.as_ref().map(|t| account_id(t)) == m.sender;
        let kind = match membership.as_str() {
            "join" if prev_membership.as_deref() == Some("join") => EventKind::Other,
            "join" => EventKind::Joined,
            "leave" if by_self => EventKind::Left,
            "leave" | "ban" => EventKind::Removed,
            _ => EventKind::Other,
        };
        let targets: Vec<String> = target.iter().map(|t| account_id(t)).collect();
        let name = content
            .get("displayname")
            .and_then(Value::as_str)
            .map(str::to_owned);
        m.event = Some(Box::new(Event {
            platform_kind: Some(format!("m.room.member:{membership}")),
            actor: m.sender.clone(),
            targets,
            target_names: name.iter().cloned().collect(),
            ..Event::new(kind)
        }));
        if target.is_some() {
            ev.remove("state_key");
        }
    }

    /// Applies the edits, reactions and redaction that point at event `e`.
    fn apply(&self, m: &mut Message, e: &str, ev: &mut Map<String, Value>) {
        let first = self.first;
        let mut ids = Map::new();
        if let Some(edits) = first.edits.get(e) {
            let sender = first.sender_of(e);
            let valid: Vec<&EditInfo> = edits
                .iter()
                .filter(|x| x.sender.as_ref() == sender && !first.redacted(x.event_id.as_ref()))
                .collect();
            if let Some(last) = valid.last() {
                let mut history = vec![Revision {
                    time: m.time.clone(),
                    text: m.text.clone(),
                    spans: Vec::new(),
                }];
                for x in &valid[..valid.len() - 1] {
                    history.push(Revision {
                        time: x.ts.and_then(millis),
                        text: x
                            .content
                            .get("body")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        spans: Vec::new(),
                    });
                }
                if let Value::Object(new) = &last.content {
                    let mut new = new.clone();
                    m.text = None;
                    let atts = std::mem::take(&mut m.attachments);
                    self.message_content(m, &mut new);
                    if m.attachments.is_empty() {
                        m.attachments = atts;
                    }
                    if !new.is_empty() {
                        ids.insert("latest_content".into(), Value::Object(new));
                    }
                }
                m.edited = Some(Box::new(Edit {
                    time: last.ts.and_then(millis),
                    by: self.account(last.sender.as_ref()),
                    history,
                }));
                ids.insert(
                    "edit_event_ids".into(),
                    valid
                        .iter()
                        .map(|x| x.event_id.clone().map_or(Value::Null, Value::String))
                        .collect(),
                );
            }
        }
        if let Some(rs) = first.reactions.get(e) {
            let mut by_key: Vec<(String, Vec<&ReactionInfo>)> = Vec::new();
            for r in rs.iter().filter(|r| !first.redacted(r.event_id.as_ref())) {
                match by_key.iter_mut().find(|(k, _)| *k == r.key) {
                    Some((_, v)) => v.push(r),
                    None => by_key.push((r.key.clone(), vec![r])),
                }
            }
            for (key, list) in by_key {
                let mut reaction = Reaction {
                    emoji: key,
                    custom: None,
                    custom_id: None,
                    count: Some(list.len() as u64),
                    by: list
                        .iter()
                        .map(|r| Reactor {
                            account: self.account(r.sender.as_ref()),
                            name: None,
                            time: r.ts.and_then(millis),
                        })
                        .collect(),
                    extensions: Default::default(),
                };
                if reaction.emoji.starts_with("mxc://") {
                    reaction.custom = Some(true);
                    reaction.custom_id = Some(reaction.emoji.clone());
                }
                reaction.extensions.insert(
                    NS.into(),
                    serde_json::json!({
                        "event_ids": list.iter().map(|r| r.event_id.clone()).collect::<Vec<_>>()
                    }),
                );
                m.reactions.push(reaction);
            }
        }
        if let Some(r) = first.redactions.get(e) {
            m.deleted = Some(Box::new(Deletion {
                time: r.ts.and_then(millis),
                by: self.account(r.sender.as_ref()),
                placeholder: None,
            }));
            let mut red = Map::new();
            if let Some(id) = &r.event_id {
                red.insert("event_id".into(), Value::String(id.clone()));
            }
            if let Some(reason) = &r.reason {
                red.insert("reason".into(), Value::String(reason.clone()));
            }
            ids.insert("redaction".into(), Value::Object(red));
        }
        if !ids.is_empty() {
            ev.insert("relations".into(), Value::Object(ids));
        }
    }
}

fn take_str(c: &mut Map<String, Value>, key: &str) -> Option<String> {
    match c.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            c.insert(key.into(), other);
            None
        }
        None => None,
    }
}

fn prev(ev: &Map<String, Value>, key: &str) -> Option<String> {
    ev.get("unsigned")
        .and_then(|u| u.get("prev_content"))
        .and_then(|p| p.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A remote attachment at the content's `mxc://` address (`url`, or `file.url` when encrypted),
/// with what `info` says of it. An encrypted file's key is removed (`file.key_removed`).
fn media(kind: AttachmentKind, content: &mut Map<String, Value>) -> Attachment {
    // An encrypted file's decryption key is a secret, not chat data: it does not go into an
    // archive that may be shared. Its place says it was removed.
    if let Some(Value::Object(f)) = content.get_mut("file")
        && f.remove("key").is_some()
    {
        f.insert("key_removed".into(), Value::Bool(true));
    }
    let url = content
        .get("url")
        .and_then(Value::as_str)
        .or_else(|| {
            content
                .get("file")
                .and_then(|f| f.get("url"))
                .and_then(Value::as_str)
        })
        .map(str::to_owned);
    let mut a = match url {
        Some(u) => {
            if content.get("url").and_then(Value::as_str) == Some(u.as_str()) {
                content.remove("url");
            }
            Attachment {
                status: MediaStatus::Remote,
                url: Some(u),
                ..Attachment::missing(kind, None)
            }
        }
        None => Attachment::missing(kind, Some("the event gives no address for the file".into())),
    };
    if let Some(Value::Object(mut info)) = content.remove("info") {
        a.mime_type = take_str(&mut info, "mimetype");
        a.width = info.remove("w").and_then(|v| v.as_u64());
        a.height = info.remove("h").and_then(|v| v.as_u64());
        a.duration_seconds = info
            .remove("duration")
            .and_then(|v| v.as_f64())
            .map(|ms| ms / 1000.0);
        if !info.is_empty() {
            a.extensions
                .insert(NS.into(), serde_json::json!({ "info": info }));
        }
    }
    a
}

/// Latitude and longitude of a `geo:` URI (`geo:51.5,-0.1;u=35`).
fn parse_geo(uri: &str) -> Option<(f64, f64)> {
    let rest = uri.strip_prefix("geo:")?;
    let coords = rest.split(';').next()?;
    let mut parts = coords.split(',');
    let lat: f64 = parts.next()?.trim().parse().ok()?;
    let lon: f64 = parts.next()?.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

//! Telegram Desktop's JSON export (`result.json`): one chat's history, or the whole account's
//! data with `chats.list` and `left_chats.list`.
//!
//! The file is streamed: it is read in chunks of a megabyte ([`stream::JsonStream`]), whose
//! walker goes through the top-level object, the chat lists and each `messages` array. The
//! messages are parsed by serde_json straight from the read buffer with a hand-written visitor
//! into a typed [`Raw`] (frequent keys into fields whose strings borrow the buffer, rare ones
//! into a short list of JSON values). The messages of a chat that lie in the bytes read already
//! are converted one at a time on the reading thread (a chat that fits in them needs no other);
//! past them, the messages are parsed all those that lie whole in one buffer at a time: such a
//! [`Batch`] takes its buffer with it to a second thread, which converts and writes its messages
//! in order while the next buffer is read and parsed, and hands the buffer back. A buffer grows
//! only while one message does not fit in it. Messages are written vouched (the
//! writer keeps no message ids); each chat keeps its own message ids as bits ([`SeenIds`]) to
//! resolve replies and pins, which name only messages of their chat, and forgets them when the
//! chat ends. Memory is bounded by the largest message, a few buffers and batches, the accounts
//! and one chat's bits, not by the size of the file.
//!
//! Source format (tdesktop `export_output_json.cpp`), in short:
//! - single chat: `{name, type, id, messages: [...]}`; full export: `{about,
//!   personal_information, contacts, ..., chats: {about, list: [chat...]}, left_chats: {...}}`.
//! - a message: `id`, `type` (`message`, `service`, `unsupported`), `date` (local time, no
//!   zone), `date_unixtime` (a string, since 2022), `from`/`from_id` (`actor`/`actor_id` for
//!   service messages; ids are integers in 2020 exports, `"user123"` strings since), `text` (a
//!   string, or an array of strings and `{type, text, ...}` entities), `text_entities` (the same
//!   parts, always an array), media as flat keys (`photo`, `file`, `media_type`, ...). A file the
//!   export left out is named by a sentence such as "(File not included. Change data exporting
//!   settings to download.)" instead of a path.
//! - invalid JSON that tdesktop writes: `\xHH` escapes (rewritten to `\u00HH` while reading) and
//!   duplicate keys (the last one wins, with a warning).

use crate::input::json_keys;
use crate::refill::set_opt;
use crate::seen::SeenIds;
use crate::{ImportError, ImportOptions, Input, Sink, times};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Contact, Conversation,
    ConversationKind, Edit, Event, EventKind, Extensions, Forward, Location, Message, Poll,
    PollOption, Precision, Reaction, Reactor, Reply, Span, SpanKind, Time, TimeKind,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::mpsc;

mod stream;

use stream::JsonStream;

/// The extension namespace for Telegram data with no field in the model.
const NS: &str = "org.telegram";

/// Bytes of the export read at once (values are parsed from this buffer, which grows only
/// while one value does not fit).
const READ_BUFFER: usize = 1 << 20;

#[cfg(test)]
thread_local! {
    /// A smaller read buffer for tests, to cut values at every place.
    static TEST_CHUNK: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The read buffer's starting size.
fn chunk_size() -> usize {
    #[cfg(test)]
    if let Some(n) = TEST_CHUNK.with(|c| c.get()) {
        return n;
    }
    READ_BUFFER
}

// ---------------------------------------------------------------------------------------------
// Detection

pub(crate) fn sniff(input: &Input) -> bool {
    let Some(name) = export_file(input) else {
        return false;
    };
    let Ok(head) = input.peek(&name, 16 << 10) else {
        return false;
    };
    looks_like_export(&head)
}

/// True when the first bytes of a file look like a Telegram export: a JSON object whose keys
/// include Telegram's own (`personal_information`, or `messages` with `date`/`date_unixtime`
/// messages) and none of DiscordChatExporter's.
fn looks_like_export(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let keys = json_keys(head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has("guild") || has("timestamp") || has("channel") {
        return false;
    }
    has("personal_information")
        || (has("chats") && has("left_chats"))
        || (has("messages") && (has("date") || has("date_unixtime")) && has("type"))
}

/// The export's JSON file: the input itself when it is one file, otherwise the `result.json`
/// nearest the top of the folder or zip.
fn export_file(input: &Input) -> Option<String> {
    if input.is_single_file() {
        return input.entries().first().map(|e| e.name.clone());
    }
    input
        .entries()
        .iter()
        .filter(|e| {
            e.name.rsplit('/').next() == Some("result.json") && e.name.matches('/').count() <= 1
        })
        .min_by_key(|e| (e.name.matches('/').count(), e.name.clone()))
        .map(|e| e.name.clone())
}

// ---------------------------------------------------------------------------------------------
// Reading

pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let Some(file) = export_file(input) else {
        return Err(ImportError::invalid(
            input.path().display().to_string(),
            "no result.json in this folder or zip: not a Telegram Desktop JSON export",
        ));
    };
    let base = match file.rfind('/') {
        Some(i) => file[..i].to_owned(),
        None => String::new(),
    };
    let shown = input.display(&file);
    {
        let src = sink.source_mut();
        src.exporter = Some("Telegram Desktop".into());
        src.files.push(file.clone());
    }
    let mut ctx = Ctx {
        input,
        options,
        sink,
        file: file.clone(),
        shown: shown.clone(),
        base,
        names: HashMap::new(),
        chats: 0,
        single: None,
        skipped_sections: Vec::new(),
        saw_root_content: false,
        self_known: false,
        personal: Vec::new(),
        msg: blank_message(),
        pointer: String::new(),
    };
    let repaired = input.read_entry(&file, |r| {
        let mut stream = JsonStream::new(r, &shown, chunk_size());
        root(&mut stream, &mut ctx)?;
        stream.finish()?;
        Ok(stream.repaired())
    })?;
    if !ctx.self_known {
        infer_self(&mut ctx);
    }
    if !ctx.saw_root_content {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "no messages, chats or personal_information: not a Telegram Desktop JSON export",
        ));
    }
    if repaired > 0 {
        ctx.sink.warn(
            "invalid-escape-repaired",
            "the export writes \\xHH escapes, which JSON does not allow; read as \\u00HH",
            format!("{shown} ({repaired} escapes)"),
        );
    }
    if !ctx.skipped_sections.is_empty() {
        let list = ctx.skipped_sections.join(", ");
        ctx.sink.warn(
            "section-not-imported",
            "sections of the account export that hold no messages are not imported",
            format!("{shown}: {list}"),
        );
        ctx.sink.header_mut().extensions.insert(
            NS.into(),
            serde_json::json!({ "sections_not_imported": ctx.skipped_sections }),
        );
    }
    Ok(())
}

/// What the readers of the file's parts share while walking it.
struct Ctx<'a> {
    input: &'a Input,
    options: &'a ImportOptions,
    sink: &'a mut Sink,
    /// The export file's entry name, for origins.
    file: String,
    /// The export file as shown to the user, for locations.
    shown: String,
    /// The folder of the export file: media paths are relative to it.
    base: String,
    /// The last name each account was given to the sink with, to call it only on changes.
    names: HashMap<String, Option<String>>,
    /// Chats met so far (for ids of chats without one).
    chats: usize,
    /// The root's chat when the file is a single chat's export.
    single: Option<ChatState>,
    /// Top-level sections read past.
    skipped_sections: Vec<String>,
    /// True once the root held messages, chats or personal information.
    saw_root_content: bool,
    /// True when `personal_information` named the exporting account.
    self_known: bool,
    /// For each personal chat: the peer's account and everyone who wrote in it.
    personal: Vec<(String, BTreeSet<String>)>,
    /// The last message's record, refilled for the next one (see [`convert`]).
    msg: Message,
    /// A spare buffer for the next message's JSON pointer.
    pointer: String,
}

impl Ctx<'_> {
    /// Adds an account, or updates its name when it changed.
    fn ensure_account(
        &mut self,
        id: &str,
        platform_id: Option<&str>,
        name: Option<&str>,
        deleted: bool,
    ) -> Result<(), ImportError> {
        if let Some(known) = self.names.get(id)
            && (name.is_none() || known.as_deref() == name)
        {
            return Ok(());
        }
        self.names.insert(id.to_owned(), name.map(str::to_owned));
        let mut a = account(id);
        a.platform_id = platform_id.map(str::to_owned);
        a.display_name = name.map(str::to_owned);
        if deleted {
            a.deleted = Some(true);
        }
        self.sink.account(a)
    }

    /// The account id for a sender or actor (`from_id` / `from`), added to the sink. `None`
    /// when the source names nobody.
    fn party(
        &mut self,
        id: Option<&Id<'_>>,
        name: Option<&Option<Cow<'_, str>>>,
    ) -> Result<Option<String>, ImportError> {
        let mut out = None;
        self.party_into(id, name, &mut out)?;
        Ok(out)
    }

    /// [`Ctx::party`] written into `out`, whose string is reused: this runs for every message.
    fn party_into(
        &mut self,
        id: Option<&Id<'_>>,
        name: Option<&Option<Cow<'_, str>>>,
        out: &mut Option<String>,
    ) -> Result<(), ImportError> {
        let name_text = name.and_then(|n| n.as_deref());
        let deleted = matches!(name, Some(None));
        match id {
            Some(id) => {
                let aid = out.get_or_insert_with(String::new);
                account_key_into(aid, id);
                // The common case, a sender seen before under the same name, allocates
                // nothing.
                let seen = self
                    .names
                    .get(aid.as_str())
                    .is_some_and(|known| name_text.is_none() || known.as_deref() == name_text);
                if !seen {
                    let pid = account_id(id).1;
                    self.ensure_account(aid, Some(&pid), name_text, deleted)?;
                }
            }
            None => match name_text {
                Some(n) => {
                    let aid = derive_id("tg-u-n", &["name", n]);
                    self.ensure_account(&aid, None, Some(n), false)?;
                    *out = Some(aid);
                }
                None => *out = None,
            },
        }
        Ok(())
    }
}

fn account(id: &str) -> Account {
    Account {
        id: id.to_owned(),
        platform: "telegram".into(),
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

/// A Telegram id as exported: an integer (2020) or a prefixed string (`user123`, `channel123`).
/// A string id may borrow the text it was read from.
#[derive(Debug, Clone)]
enum Id<'a> {
    Int(i64),
    Str(Cow<'a, str>),
}

impl Id<'_> {
    fn text(&self) -> String {
        match self {
            Id::Int(i) => i.to_string(),
            Id::Str(s) => s.to_string(),
        }
    }

    fn from_value(v: &Value) -> Option<Id<'_>> {
        match v {
            Value::Number(n) => n.as_i64().map(Id::Int),
            Value::String(s) => Some(Id::Str(Cow::Borrowed(s))),
            _ => None,
        }
    }

    fn into_owned(self) -> Id<'static> {
        match self {
            Id::Int(i) => Id::Int(i),
            Id::Str(s) => Id::Str(Cow::Owned(s.into_owned())),
        }
    }
}

/// The account id and platform id for a Telegram peer id: `user123` and `123` both become
/// `tg-u-123`; other peers keep their prefix (`tg-u-channel123`). Written into `out` (cleared
/// first), as [`account_id`] gives it.
fn account_key_into(out: &mut String, id: &Id) {
    use std::fmt::Write;
    out.clear();
    out.push_str("tg-u-");
    match id {
        Id::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Id::Str(s) => {
            let bare = user_number(s);
            if is_id_safe(bare) {
                out.push_str(bare);
            } else {
                out.push_str(&derive_id("h", &[bare]));
            }
        }
    }
}

/// `123` for `user123` (since 2021) and `123` (2020): the same user. Other peers keep their
/// prefix.
fn user_number(s: &str) -> &str {
    s.strip_prefix("user").filter(|r| is_number(r)).unwrap_or(s)
}

fn account_id(id: &Id) -> (String, String) {
    match id {
        Id::Int(i) => (format!("tg-u-{i}"), i.to_string()),
        Id::Str(s) => {
            // `user123` (since 2021) and `123` (2020) are the same user: both keep the bare
            // number as the platform id, so exports of different years merge.
            let bare = user_number(s);
            (format!("tg-u-{}", id_safe(bare)), bare.to_owned())
        }
    }
}

/// The record id of message `id` of the chat whose id part is `chat`.
fn message_id(chat: &str, id: &Id) -> String {
    let mut out = String::with_capacity(chat.len() + 26);
    message_id_into(&mut out, chat, id);
    out
}

/// [`message_id`] written into `out` (cleared first), whose buffer is reused.
fn message_id_into(out: &mut String, chat: &str, id: &Id) {
    out.clear();
    out.push_str("tg-m-");
    out.push_str(chat);
    out.push('-');
    match id {
        Id::Int(i) => push_int(out, *i),
        Id::Str(s) if is_id_safe(s) => out.push_str(s),
        Id::Str(s) => out.push_str(&derive_id("h", &[s])),
    }
    // Ids are at most 256 bytes: two long string parts are hashed together instead.
    if out.len() > 256 {
        let hashed = derive_id("tg-m-", &[chat, &id.text()]);
        out.clear();
        out.push_str(&hashed);
    }
}

/// The id as exported, as text (numbers in decimal), written into `out` (cleared first).
fn id_text_into(out: &mut String, id: &Id) {
    out.clear();
    match id {
        Id::Int(i) => push_int(out, *i),
        Id::Str(s) => out.push_str(s),
    }
}

/// Appends `n` in decimal, as `write!` would, without the formatting machinery: this runs a
/// few times for every message.
fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    chatport_model::json::push_decimal(out, n.unsigned_abs());
}

fn is_number(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

/// An id part without whitespace or control characters (ids may not hold them).
fn id_safe(s: &str) -> String {
    if is_id_safe(s) {
        s.to_owned()
    } else {
        derive_id("h", &[s])
    }
}

/// True when `s` may be used in an id as it is (see [`id_safe`]).
fn is_id_safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

// ---------------------------------------------------------------------------------------------
// The top level

/// Walks the whole file: a single chat's object or the account export's.
fn root(s: &mut JsonStream<'_>, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    if !s.begin_object()? {
        return Err(s.unexpected("a Telegram export object (a chat or the account's data)"));
    }
    let mut meta = ChatMeta::default();
    let mut unknown: Vec<(String, Value)> = Vec::new();
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key.as_str() {
            "messages" => {
                ctx.saw_root_content = true;
                let mut state = ChatState::new(ctx.chats, String::new(), false);
                ctx.chats += 1;
                state.meta = std::mem::take(&mut meta);
                state.extra = std::mem::take(&mut unknown);
                messages(s, ctx, &mut state)?;
                ctx.single = Some(state);
            }
            "name" | "type" | "id" => {
                let v: Value = s.value()?;
                match ctx.single.as_mut() {
                    Some(state) => state.late_meta(ctx.sink, &key, v),
                    None => {
                        if let Some(v) = meta.set(&key, v) {
                            unknown.push((key, v));
                        }
                    }
                }
            }
            "chats" | "left_chats" => {
                ctx.saw_root_content = true;
                let left = key == "left_chats";
                section(s, ctx, left, &key)?;
            }
            "personal_information" => {
                ctx.saw_root_content = true;
                let v: Value = s.value()?;
                personal_information(ctx, &v)?;
            }
            "contacts" => {
                let v: Value = s.value()?;
                contacts(ctx, &v)?;
            }
            "guild" | "channel" | "timestamp" => {
                return Err(ImportError::invalid(
                    format!("{}#/{key}", ctx.shown),
                    format!(
                        "a {key:?} key at the top: not a Telegram export (DiscordChatExporter?)"
                    ),
                ));
            }
            "about" => s.skip()?,
            // The account export's sections without messages are read past unparsed.
            "profile_pictures" | "stories" | "frequent_contacts" | "sessions" | "web_sessions"
            | "other_data" => {
                s.skip()?;
                ctx.skipped_sections.push(key);
            }
            _ => {
                // A single chat's extra keys are kept on the conversation; the account
                // export's other sections (sessions, stories, ...) are named in a warning.
                let v: Value = s.value()?;
                if is_section(&v) {
                    ctx.skipped_sections.push(key);
                } else if let Some(state) = ctx.single.as_mut() {
                    state.late_meta(ctx.sink, &key, v);
                } else {
                    unknown.push((key, v));
                }
            }
        }
    }
    if let Some(mut state) = ctx.single.take() {
        state.finish(ctx);
        ctx.single = Some(state);
    }
    if ctx.single.is_none() && (meta.any() || !unknown.is_empty()) {
        if !ctx.saw_root_content {
            // A chat object without messages: keep the chat.
            ctx.saw_root_content = meta.id.is_some() || meta.kind.is_some();
            if ctx.saw_root_content {
                let mut state = ChatState::new(ctx.chats, String::new(), false);
                state.meta = meta;
                state.extra = unknown;
                state.open(ctx)?;
            }
        } else {
            for (k, _) in unknown {
                ctx.skipped_sections.push(k);
            }
        }
    }
    Ok(())
}

/// True for a value that looks like one of the account export's sections (`{about, list}` or
/// an array), which is never chat metadata.
fn is_section(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.contains_key("about") || o.contains_key("list"),
        Value::Array(_) => true,
        _ => false,
    }
}

fn personal_information(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ImportError> {
    let Value::Object(o) = v else {
        return Ok(());
    };
    let Some(uid) = o.get("user_id").and_then(Id::from_value) else {
        ctx.sink.warn(
            "self-without-id",
            "personal_information has no user_id; the exporting account is not marked",
            format!("{}#/personal_information", ctx.shown),
        );
        return Ok(());
    };
    let (aid, pid) = account_id(&uid);
    let mut a = account(&aid);
    a.platform_id = Some(pid);
    a.is_self = Some(true);
    a.display_name = full_name(o.get("first_name"), o.get("last_name"));
    a.phone = o
        .get("phone_number")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    a.handle = o
        .get("username")
        .and_then(Value::as_str)
        .map(|s| s.trim_start_matches('@').to_owned())
        .filter(|s| !s.is_empty());
    let rest: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "user_id" | "first_name" | "last_name" | "phone_number" | "username"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !rest.is_empty() {
        a.extensions.insert(NS.into(), Value::Object(rest));
    }
    // Names merge into an account the messages may have added already.
    let was = ctx.sink.has_account(&aid);
    let name = a.display_name.clone();
    ctx.sink.account(a)?;
    if was && let Some(known) = ctx.sink.account_mut(&aid) {
        known.is_self = Some(true);
    }
    ctx.names.entry(aid).or_insert(name);
    ctx.self_known = true;
    Ok(())
}

/// Marks the exporting account when `personal_information` did not: the account named by
/// `--me`, or else the one account other than the peer that wrote in the personal chats (a
/// personal chat's id is its peer's user id).
fn infer_self(ctx: &mut Ctx<'_>) {
    let found: Option<String> = match &ctx.options.me {
        Some(me) => {
            let mut ids: Vec<&String> = ctx
                .names
                .iter()
                .filter(|(_, n)| n.as_deref() == Some(me.as_str()))
                .map(|(id, _)| id)
                .collect();
            ids.sort();
            ids.first().map(|s| (*s).clone())
        }
        None => {
            let mut others = BTreeSet::new();
            for (peer, senders) in &ctx.personal {
                others.extend(senders.iter().filter(|s| *s != peer).cloned());
            }
            match others.len() {
                1 => others.into_iter().next(),
                _ => None,
            }
        }
    };
    if let Some(id) = found
        && let Some(a) = ctx.sink.account_mut(&id)
    {
        a.is_self = Some(true);
    }
}

/// The account export's address book: each contact with a `user_id` becomes (or completes) that
/// user's account; contacts without one become accounts named by their phone number.
fn contacts(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), ImportError> {
    let Some(list) = v.get("list").and_then(Value::as_array) else {
        return Ok(());
    };
    for c in list {
        let Value::Object(o) = c else { continue };
        let phone = o
            .get("phone_number")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let name = full_name(o.get("first_name"), o.get("last_name"));
        let (aid, pid) = match o.get("user_id").and_then(Id::from_value) {
            Some(Id::Int(0)) | None => {
                let key = phone.unwrap_or_default();
                let n = name.as_deref().unwrap_or_default();
                (derive_id("tg-u-contact-", &[key, n]), None)
            }
            Some(id) => {
                let (a, p) = account_id(&id);
                (a, Some(p))
            }
        };
        let mut a = account(&aid);
        a.platform_id = pid;
        a.display_name = name;
        a.phone = phone.map(str::to_owned);
        let rest: Map<String, Value> = o
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "user_id" | "first_name" | "last_name" | "phone_number"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut ext = Map::new();
        ext.insert("contact".into(), Value::Object(rest));
        a.extensions.insert(NS.into(), Value::Object(ext));
        ctx.sink.account(a)?;
    }
    Ok(())
}

fn full_name(first: Option<&Value>, last: Option<&Value>) -> Option<String> {
    let f = first.and_then(Value::as_str).unwrap_or("").trim();
    let l = last.and_then(Value::as_str).unwrap_or("").trim();
    let n = match (f.is_empty(), l.is_empty()) {
        (true, true) => return None,
        (false, true) => f.to_owned(),
        (true, false) => l.to_owned(),
        (false, false) => format!("{f} {l}"),
    };
    Some(n)
}

/// `chats` or `left_chats`: `{about, list: [chat...]}` (or null).
fn section(
    s: &mut JsonStream<'_>,
    ctx: &mut Ctx<'_>,
    left: bool,
    key: &str,
) -> Result<(), ImportError> {
    if s.peek()? == Some(b'n') {
        return s.value::<()>();
    }
    if !s.begin_object()? {
        return Err(s.unexpected("an object with a list of chats"));
    }
    let mut first = true;
    while let Some(k) = s.next_key(&mut first)? {
        if k == "list" {
            chat_list(s, ctx, left, &format!("/{key}/list"))?;
        } else {
            s.skip()?;
        }
    }
    Ok(())
}

/// A list of chats, each with its messages.
fn chat_list(
    s: &mut JsonStream<'_>,
    ctx: &mut Ctx<'_>,
    left: bool,
    pointer: &str,
) -> Result<(), ImportError> {
    if !s.begin_array()? {
        return Err(s.unexpected("a list of chats"));
    }
    let mut i = 0usize;
    let mut first = true;
    while s.next_element(&mut first)? {
        let mut state = ChatState::new(ctx.chats, format!("{pointer}/{i}"), left);
        ctx.chats += 1;
        chat(s, ctx, &mut state)?;
        i += 1;
    }
    Ok(())
}

/// What a chat object says about the chat, apart from its messages.
#[derive(Default)]
struct ChatMeta {
    name: Option<Option<String>>,
    kind: Option<String>,
    id: Option<Id<'static>>,
}

impl ChatMeta {
    fn any(&self) -> bool {
        self.name.is_some() || self.kind.is_some() || self.id.is_some()
    }

    /// Sets `name`, `type` or `id`; a value of an unexpected type is kept as an extra key.
    fn set(&mut self, key: &str, v: Value) -> Option<Value> {
        match (key, v) {
            ("name", Value::String(s)) => self.name = Some(Some(s)),
            ("name", Value::Null) => self.name = Some(None),
            ("type", Value::String(s)) => self.kind = Some(s),
            ("id", v @ (Value::Number(_) | Value::String(_))) => match Id::from_value(&v) {
                Some(id) => self.id = Some(id.into_owned()),
                None => return Some(v),
            },
            (_, v) => return Some(v),
        }
        None
    }
}

/// One chat being read: its metadata, and once its conversation exists, ids and the counter.
struct ChatState {
    index: usize,
    pointer: String,
    left: bool,
    meta: ChatMeta,
    extra: Vec<(String, Value)>,
    /// The conversation's id, once it was given to the sink.
    conv: Option<String>,
    /// The chat part of message ids.
    key: String,
    ordinal: u64,
    /// The record ids of the chat's messages written so far: replies and pins name only
    /// messages of their own chat, and messages are written vouched (the writer keeps no ids).
    seen: SeenIds,
    /// For a personal chat: who wrote in it (to tell the exporting account from the peer).
    senders: Option<BTreeSet<String>>,
}

impl ChatState {
    fn new(index: usize, pointer: String, left: bool) -> Self {
        ChatState {
            index,
            pointer,
            left,
            meta: ChatMeta::default(),
            extra: Vec::new(),
            conv: None,
            key: String::new(),
            ordinal: 0,
            seen: SeenIds::default(),
            senders: None,
        }
    }

    /// True when a message of this chat was written under the record id `id`.
    fn has_message(&self, id: &str) -> bool {
        match seen_number(&self.key, id) {
            Some(n) => self.seen.contains_number(n),
            None => self.seen.contains_text(id),
        }
    }

    /// Notes that a message of this chat is written under `id`; false when one already was.
    fn add_message(&mut self, id: &str) -> bool {
        match seen_number(&self.key, id) {
            Some(n) => self.seen.insert_number(n),
            None => self.seen.insert_text(id),
        }
    }

    /// Creates the conversation from what is known so far (the chat's metadata usually comes
    /// before its messages; what comes after is added with [`ChatState::late_meta`]).
    fn open(&mut self, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
        if self.conv.is_some() {
            return Ok(());
        }
        let name = self.meta.name.clone().flatten();
        let mut key = match &self.meta.id {
            Some(id) => id_safe(&id.text()),
            None => derive_id(
                "n",
                &[&self.index.to_string(), name.as_deref().unwrap_or("")],
            ),
        };
        if ctx.sink.has_conversation(&format!("tg-c-{key}")) {
            // The same chat twice (in `chats` and `left_chats`): the second gets its own id.
            ctx.sink.warn(
                "duplicate-chat",
                "a chat id appears twice in the export; the second copy gets its own conversation",
                format!("{}#{}", ctx.shown, self.pointer),
            );
            key = format!("{key}-{}", self.index);
        }
        let id = format!("tg-c-{key}");
        let c = Conversation {
            id: id.clone(),
            platform: "telegram".into(),
            kind: ConversationKind::Unknown,
            platform_id: self.meta.id.as_ref().map(Id::text),
            title: name,
            description: None,
            space: None,
            parent: None,
            created: None,
            members: Vec::new(),
            coverage: Vec::new(),
            avatar: None,
            extensions: Extensions::new(),
        };
        ctx.sink.conversation(c)?;
        self.conv = Some(id);
        self.key = key;
        if self.left {
            self.put_ext(ctx.sink, "left", Value::Bool(true));
        }
        let kind = self.meta.kind.take();
        if kind.as_deref() == Some("personal_chat") && self.meta.id.is_some() {
            self.senders = Some(BTreeSet::new());
        }
        if let Some(k) = kind {
            self.set_kind(ctx.sink, k);
        }
        for (k, v) in std::mem::take(&mut self.extra) {
            self.put_ext(ctx.sink, &k, v);
        }
        Ok(())
    }

    /// Hands what the chat taught about the exporting account to the context.
    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        if let (Some(set), Some(id)) = (self.senders.take(), self.meta.id.as_ref()) {
            ctx.personal.push((account_id(id).0, set));
        }
    }

    fn set_kind(&mut self, sink: &mut Sink, kind: String) {
        let k = match kind.as_str() {
            "personal_chat" | "bot_chat" => ConversationKind::Direct,
            "private_group" | "private_supergroup" | "public_supergroup" => ConversationKind::Group,
            "private_channel" | "public_channel" => ConversationKind::Channel,
            "saved_messages" => ConversationKind::SelfChat,
            _ => ConversationKind::Unknown,
        };
        if let Some(c) = self
            .conv
            .as_deref()
            .and_then(|id| sink.conversation_mut(id))
        {
            c.kind = k;
        }
        self.put_ext(sink, "type", Value::String(kind));
    }

    fn put_ext(&self, sink: &mut Sink, key: &str, v: Value) {
        if let Some(c) = self
            .conv
            .as_deref()
            .and_then(|id| sink.conversation_mut(id))
        {
            let e = c
                .extensions
                .entry(NS.into())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = e {
                o.insert(key.to_owned(), v);
            }
        }
    }

    /// A chat key met after the messages: the conversation exists, so it is updated (its id
    /// stays the one it was created with).
    fn late_meta(&mut self, sink: &mut Sink, key: &str, v: Value) {
        if self.conv.is_none() {
            if let Some(v) = self.meta.set(key, v) {
                self.extra.push((key.to_owned(), v));
            }
            return;
        }
        match (key, v) {
            ("type", Value::String(s)) => self.set_kind(sink, s),
            ("name", Value::String(s)) => {
                if let Some(c) = self
                    .conv
                    .as_deref()
                    .and_then(|id| sink.conversation_mut(id))
                {
                    c.title = Some(s);
                }
            }
            ("name", Value::Null) => {}
            ("id", v) if Id::from_value(&v).is_some() => {
                if let Some(c) = self
                    .conv
                    .as_deref()
                    .and_then(|id| sink.conversation_mut(id))
                {
                    c.platform_id = Id::from_value(&v).map(|i| i.text());
                }
            }
            (k, v) => self.put_ext(sink, k, v),
        }
    }
}

/// One chat object of a chat list: its keys, and its messages.
fn chat(
    s: &mut JsonStream<'_>,
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
) -> Result<(), ImportError> {
    if !s.begin_object()? {
        return Err(s.unexpected("a chat object"));
    }
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        if key == "messages" {
            messages(s, ctx, chat)?;
        } else {
            let v: Value = s.value()?;
            chat.late_meta(ctx.sink, &key, v);
        }
    }
    chat.open(ctx)?;
    chat.finish(ctx);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Messages

/// A chat's `messages` array. The messages that lie in what was read already are parsed from
/// the read buffer and converted one at a time (a chat that fits in it needs nothing more); once
/// the array goes on past it, the rest is read in batches converted on a second thread.
fn messages(
    s: &mut JsonStream<'_>,
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
) -> Result<(), ImportError> {
    if !s.begin_array()? {
        return Err(s.unexpected("an array of messages"));
    }
    chat.open(ctx)?;
    let mut first = true;
    let mut index = 0u64;
    let reads = s.reads();
    while s.reads() == reads {
        if !s.next_element(&mut first)? {
            return Ok(());
        }
        s.parse::<Elements, _>(|Element(mut raw)| element(ctx, chat, raw.as_mut(), &mut index))??;
    }
    let Some(batch) = s.elements::<Batch>(&mut first, || None)? else {
        return Ok(());
    };
    // Then two threads: this one reads and parses the messages, a batch per read buffer; the
    // other turns them into records and writes them, in order, and hands each buffer back.
    std::thread::scope(|scope| {
        let (to_convert, batches) = mpsc::sync_channel::<Batch>(BATCHES_WAITING);
        // Used batches go back whole: their messages are dropped on this thread, which
        // allocated them (freeing on the other thread made both wait on the allocator).
        let (to_reuse, spares) = mpsc::channel::<Batch>();
        let converter = std::thread::Builder::new()
            .name("chatport-convert".into())
            .spawn_scoped(scope, move || -> Result<(), ImportError> {
                for mut batch in batches {
                    convert_batch(ctx, chat, &mut batch, &mut index)?;
                    // The parser may have ended: the buffer is then not needed.
                    let _ = to_reuse.send(batch);
                }
                Ok(())
            })
            .map_err(|e| ImportError::io_shown(format!("{} (starting a thread)", s.shown()), e))?;
        let read = (|| {
            let mut next = Some(batch);
            while let Some(batch) = next {
                if to_convert.send(batch).is_err() {
                    // The converter stopped on an error, which it returns.
                    break;
                }
                next = s.elements::<Batch>(&mut first, || {
                    spares.try_recv().ok().map(stream::Batch::into_parts)
                })?;
            }
            Ok(())
        })();
        drop(to_convert);
        // A panic of the converter goes on here, as it would have on this thread.
        let converted = converter
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The converter's error comes first in the file: it only saw messages before the
        // reader's.
        converted.and(read)
    })
}

/// How many parsed batches may wait for the converter.
const BATCHES_WAITING: usize = 2;

/// Converts and writes the messages of `batch`, in order.
fn convert_batch(
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
    batch: &mut Batch,
    index: &mut u64,
) -> Result<(), ImportError> {
    let mut result = Ok(());
    batch.with_dependent_mut(|_, elements| {
        for Element(raw) in elements.iter_mut() {
            result = element(ctx, chat, raw.as_mut(), index);
            if result.is_err() {
                break;
            }
        }
    });
    result
}

stream::batch_type!(
    /// Messages parsed from one read buffer, held with it, to be converted on another thread.
    Batch,
    Parsed,
    Elements,
    Element
);

/// Hands one element of a messages array to the sink.
fn element(
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
    raw: Option<&mut Raw<'_>>,
    index: &mut u64,
) -> Result<(), ImportError> {
    ctx.sink.source_message();
    let pointer = {
        let mut p = std::mem::take(&mut ctx.pointer);
        p.clear();
        p.push_str(&chat.pointer);
        p.push_str("/messages/");
        chatport_model::json::push_decimal(&mut p, *index);
        p
    };
    *index += 1;
    match raw {
        Some(raw) => convert(ctx, chat, raw, pointer),
        None => {
            ctx.sink.skip(
                "not-a-message-object",
                "an element of a messages array that is not an object",
                format!("{}#{pointer}", ctx.shown),
            );
            Ok(())
        }
    }
}

/// One part of a message's text: plain text or an entity.
#[derive(Debug)]
struct Part<'a> {
    /// `None` for a plain string part.
    kind: Option<Cow<'a, str>>,
    text: Cow<'a, str>,
    /// Entity attributes: `href`, `language`, `user_id`, `document_id`, and any others.
    attrs: Vec<(String, Value)>,
}

/// A message as read, before it becomes a record: the frequent keys typed, the rest kept in
/// `rest` in the source's order.
#[derive(Default, Debug)]
struct Raw<'a> {
    id: Option<Id<'a>>,
    kind: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    date_unixtime: Option<Cow<'a, str>>,
    edited: Option<Cow<'a, str>>,
    edited_unixtime: Option<Cow<'a, str>>,
    from: Option<Option<Cow<'a, str>>>,
    from_id: Option<Id<'a>>,
    actor: Option<Option<Cow<'a, str>>>,
    actor_id: Option<Id<'a>>,
    action: Option<Cow<'a, str>>,
    text: Option<Text<'a>>,
    /// True when the parts came from `text_entities` (then `text` is skipped as a copy).
    text_from_entities: bool,
    reply_to_message_id: Option<Id<'a>>,
    forwarded_from: Option<Option<Cow<'a, str>>>,
    photo: Option<Cow<'a, str>>,
    file: Option<Cow<'a, str>>,
    thumbnail: Option<Cow<'a, str>>,
    media_type: Option<Cow<'a, str>>,
    mime_type: Option<Cow<'a, str>>,
    sticker_emoji: Option<Cow<'a, str>>,
    width: Option<u64>,
    height: Option<u64>,
    duration_seconds: Option<f64>,
    /// Keys given twice (tdesktop writes `text` twice on some service messages).
    duplicates: Vec<String>,
    rest: Vec<(String, Value)>,
}

impl Raw<'_> {
    fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.rest.iter().position(|(k, _)| k == key)?;
        Some(self.rest.remove(i).1)
    }

    fn take_str(&mut self, key: &str) -> Option<String> {
        let i = self
            .rest
            .iter()
            .position(|(k, v)| k == key && v.is_string())?;
        match self.rest.remove(i).1 {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// One element of a messages array: `None` when it is not an object.
struct Element<'a>(Option<Raw<'a>>);

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Element<'de>, D::Error> {
        d.deserialize_any(RawVisitor).map(Element)
    }
}

/// [`Element`]s borrow the read buffer.
struct Elements;

impl stream::Borrowing for Elements {
    type Value<'a> = Element<'a>;
}

struct RawVisitor;

macro_rules! not_an_object {
    ($($f:ident: $t:ty),*) => {
        $(fn $f<E: de::Error>(self, _: $t) -> Result<Self::Value, E> { Ok(None) })*
    };
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Option<Raw<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message object")
    }

    not_an_object!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut m = Raw::default();
        // Fields typed here are looked up by name; a value of an unexpected JSON type is kept
        // verbatim in `rest` rather than failing the import.
        macro_rules! put {
            ($field:ident, $key:expr, $conv:expr) => {{
                let v: Loose = map.next_value()?;
                if m.$field.is_some() {
                    m.duplicates.push($key.to_owned());
                }
                match $conv(v) {
                    Ok(x) => m.$field = Some(x),
                    Err(v) => m.rest.push(($key.to_owned(), v)),
                }
            }};
        }
        while let Some(key) = map.next_key::<Key>()? {
            let k = match key {
                Key::Known(k) => k,
                Key::Other(name) => {
                    let v: Value = map.next_value()?;
                    if m.rest.iter().any(|(k, _)| *k == name) {
                        m.duplicates.push(name.clone());
                        m.rest.retain(|(k, _)| *k != name);
                    }
                    m.rest.push((name, v));
                    continue;
                }
            };
            let name = k.name();
            match k {
                K::Id => put!(id, name, Loose::id),
                K::Type => put!(kind, name, Loose::string),
                K::Date => put!(date, name, Loose::string),
                K::DateUnixtime => put!(date_unixtime, name, Loose::number_text),
                K::Edited => put!(edited, name, Loose::string),
                K::EditedUnixtime => put!(edited_unixtime, name, Loose::number_text),
                K::From => put!(from, name, Loose::name),
                K::FromId => put!(from_id, name, Loose::id),
                K::Actor => put!(actor, name, Loose::name),
                K::ActorId => put!(actor_id, name, Loose::id),
                K::Action => put!(action, name, Loose::string),
                K::ReplyToMessageId => put!(reply_to_message_id, name, Loose::id),
                K::ForwardedFrom => put!(forwarded_from, name, Loose::name),
                K::Photo => put!(photo, name, Loose::string),
                K::File => put!(file, name, Loose::string),
                K::Thumbnail => put!(thumbnail, name, Loose::string),
                K::MediaType => put!(media_type, name, Loose::string),
                K::MimeType => put!(mime_type, name, Loose::string),
                K::StickerEmoji => put!(sticker_emoji, name, Loose::string),
                K::Width => put!(width, name, Loose::unsigned),
                K::Height => put!(height, name, Loose::unsigned),
                K::DurationSeconds => put!(duration_seconds, name, Loose::float),
                K::Text | K::TextEntities => {
                    let entities = k == K::TextEntities;
                    if m.text.is_some() && (entities || m.text_from_entities) {
                        // The same parts twice: `text` and `text_entities` carry one content.
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        if m.text.is_some() {
                            m.duplicates.push(name.to_owned());
                        }
                        match map.next_value::<TextValue>()? {
                            TextValue::Text(t) => {
                                m.text = Some(t);
                                m.text_from_entities = entities;
                            }
                            TextValue::Other(v) => m.rest.push((name.to_owned(), v)),
                        }
                    }
                }
            }
        }
        Ok(Some(m))
    }
}

/// The message keys read into typed fields (and the entity keys `type` and `text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Id,
    Type,
    Date,
    DateUnixtime,
    Edited,
    EditedUnixtime,
    From,
    FromId,
    Actor,
    ActorId,
    Action,
    ReplyToMessageId,
    ForwardedFrom,
    Photo,
    File,
    Thumbnail,
    MediaType,
    MimeType,
    StickerEmoji,
    Width,
    Height,
    DurationSeconds,
    Text,
    TextEntities,
}

impl K {
    fn name(self) -> &'static str {
        match self {
            K::Id => "id",
            K::Type => "type",
            K::Date => "date",
            K::DateUnixtime => "date_unixtime",
            K::Edited => "edited",
            K::EditedUnixtime => "edited_unixtime",
            K::From => "from",
            K::FromId => "from_id",
            K::Actor => "actor",
            K::ActorId => "actor_id",
            K::Action => "action",
            K::ReplyToMessageId => "reply_to_message_id",
            K::ForwardedFrom => "forwarded_from",
            K::Photo => "photo",
            K::File => "file",
            K::Thumbnail => "thumbnail",
            K::MediaType => "media_type",
            K::MimeType => "mime_type",
            K::StickerEmoji => "sticker_emoji",
            K::Width => "width",
            K::Height => "height",
            K::DurationSeconds => "duration_seconds",
            K::Text => "text",
            K::TextEntities => "text_entities",
        }
    }
}

/// An object key: one of [`K`] without allocating, or another key's name.
enum Key {
    Known(K),
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(Key::Known(match s {
            "id" => K::Id,
            "type" => K::Type,
            "date" => K::Date,
            "date_unixtime" => K::DateUnixtime,
            "edited" => K::Edited,
            "edited_unixtime" => K::EditedUnixtime,
            "from" => K::From,
            "from_id" => K::FromId,
            "actor" => K::Actor,
            "actor_id" => K::ActorId,
            "action" => K::Action,
            "reply_to_message_id" => K::ReplyToMessageId,
            "forwarded_from" => K::ForwardedFrom,
            "photo" => K::Photo,
            "file" => K::File,
            "thumbnail" => K::Thumbnail,
            "media_type" => K::MediaType,
            "mime_type" => K::MimeType,
            "sticker_emoji" => K::StickerEmoji,
            "width" => K::Width,
            "height" => K::Height,
            "duration_seconds" => K::DurationSeconds,
            "text" => K::Text,
            "text_entities" => K::TextEntities,
            _ => return Ok(Key::Other(s.to_owned())),
        }))
    }
}

/// Any JSON value, with scalars kept cheap; converted into a typed field or kept as a [`Value`].
enum Loose<'a> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'a, str>),
    Other(Value),
}

impl<'a> Loose<'a> {
    fn into_value(self) -> Value {
        match self {
            Loose::Null => Value::Null,
            Loose::Bool(b) => Value::Bool(b),
            Loose::I64(i) => Value::from(i),
            Loose::U64(u) => Value::from(u),
            Loose::F64(f) => Value::from(f),
            Loose::Str(s) => Value::String(s.into_owned()),
            Loose::Other(v) => v,
        }
    }

    fn string(self) -> Result<Cow<'a, str>, Value> {
        match self {
            Loose::Str(s) => Ok(s),
            o => Err(o.into_value()),
        }
    }

    fn name(self) -> Result<Option<Cow<'a, str>>, Value> {
        match self {
            Loose::Str(s) => Ok(Some(s)),
            Loose::Null => Ok(None),
            o => Err(o.into_value()),
        }
    }

    fn id(self) -> Result<Id<'a>, Value> {
        match self {
            Loose::I64(i) => Ok(Id::Int(i)),
            Loose::U64(u) if i64::try_from(u).is_ok() => Ok(Id::Int(u as i64)),
            Loose::Str(s) if !s.is_empty() => Ok(Id::Str(s)),
            o => Err(o.into_value()),
        }
    }

    fn number_text(self) -> Result<Cow<'a, str>, Value> {
        match self {
            Loose::Str(s) => Ok(s),
            Loose::I64(i) => Ok(Cow::Owned(i.to_string())),
            Loose::U64(u) => Ok(Cow::Owned(u.to_string())),
            o => Err(o.into_value()),
        }
    }

    fn unsigned(self) -> Result<u64, Value> {
        match self {
            Loose::U64(u) => Ok(u),
            o => Err(o.into_value()),
        }
    }

    fn float(self) -> Result<f64, Value> {
        match self {
            Loose::U64(u) => Ok(u as f64),
            Loose::I64(i) if i >= 0 => Ok(i as f64),
            Loose::F64(f) if f >= 0.0 && f.is_finite() => Ok(f),
            o => Err(o.into_value()),
        }
    }
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Loose<'de>, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::I64(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::U64(u))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::F64(f))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Loose::Other)
    }
}

/// A message's text as read: one string (most messages, kept without a list), or parts.
#[derive(Debug)]
enum Text<'a> {
    Plain(Cow<'a, str>),
    Parts(Vec<Part<'a>>),
}

/// `text` / `text_entities`: a string, or an array of strings and entity objects.
enum TextValue<'a> {
    Text(Text<'a>),
    Other(Value),
}

impl<'de> Deserialize<'de> for TextValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TextValue<'de>, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = TextValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text (string or array of parts)")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Text(Text::Plain(Cow::Borrowed(s))))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Text(Text::Plain(Cow::Owned(s.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Text(Text::Plain(Cow::Owned(s))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Other(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Other(Value::Bool(b)))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Other(Value::from(i)))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Other(Value::from(u)))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<TextValue<'de>, E> {
        Ok(TextValue::Other(Value::from(f)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextValue<'de>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(TextValue::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextValue<'de>, A::Error> {
        let mut parts = Vec::new();
        let mut odd: Option<Vec<Value>> = None;
        while let Some(v) = seq.next_element::<PartValue>()? {
            match v {
                PartValue::Part(p) => parts.push(p),
                PartValue::Other(v) => odd.get_or_insert_with(Vec::new).push(v),
            }
        }
        // An array holding something that is neither a string nor an entity is kept whole.
        match odd {
            None => Ok(TextValue::Text(Text::Parts(parts))),
            Some(_) => Ok(TextValue::Other(Value::Array(
                parts
                    .into_iter()
                    .map(part_value)
                    .chain(odd.unwrap_or_default())
                    .collect(),
            ))),
        }
    }
}

fn part_value(p: Part<'_>) -> Value {
    match p.kind {
        None => Value::String(p.text.into_owned()),
        Some(k) => {
            let mut o = Map::new();
            o.insert("type".into(), Value::String(k.into_owned()));
            o.insert("text".into(), Value::String(p.text.into_owned()));
            for (k, v) in p.attrs {
                o.insert(k, v);
            }
            Value::Object(o)
        }
    }
}

enum PartValue<'a> {
    Part(Part<'a>),
    Other(Value),
}

impl<'de> Deserialize<'de> for PartValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PartValue<'de>, D::Error> {
        d.deserialize_any(PartVisitor)
    }
}

struct PartVisitor;

impl<'de> Visitor<'de> for PartVisitor {
    type Value = PartValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text part")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Part(Part {
            kind: None,
            text: Cow::Borrowed(s),
            attrs: Vec::new(),
        }))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<PartValue<'de>, E> {
        self.visit_string(s.to_owned())
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Part(Part {
            kind: None,
            text: Cow::Owned(s),
            attrs: Vec::new(),
        }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Other(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Other(Value::Bool(b)))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Other(Value::from(i)))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Other(Value::from(u)))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<PartValue<'de>, E> {
        Ok(PartValue::Other(Value::from(f)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<PartValue<'de>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(PartValue::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PartValue<'de>, A::Error> {
        let mut kind = None;
        let mut text = None;
        let mut attrs = Vec::new();
        while let Some(k) = map.next_key::<Key>()? {
            match k {
                Key::Known(K::Type) => match map.next_value::<Loose>()?.string() {
                    Ok(s) => kind = Some(s),
                    Err(v) => attrs.push(("type".to_owned(), v)),
                },
                Key::Known(K::Text) => match map.next_value::<Loose>()?.string() {
                    Ok(s) => text = Some(s),
                    Err(v) => attrs.push(("text".to_owned(), v)),
                },
                Key::Known(k) => attrs.push((k.name().to_owned(), map.next_value::<Value>()?)),
                Key::Other(k) => attrs.push((k, map.next_value::<Value>()?)),
            }
        }
        Ok(PartValue::Part(Part {
            kind: Some(kind.unwrap_or(Cow::Borrowed("unknown"))),
            text: text.unwrap_or(Cow::Borrowed("")),
            attrs,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// From a parsed message to a record

/// The sentence tdesktop writes instead of a path for a file it did not export.
fn is_placeholder(path: &str) -> bool {
    path.starts_with('(') && path.ends_with(')')
}

fn parse_unix(s: &str) -> Option<Time> {
    let secs = unix_seconds(s)?;
    match utc_text(secs) {
        Some(at) => Some(Time::instant(at).with_precision(Precision::Second)),
        None => times::unix_seconds(secs),
    }
}

/// The Unix seconds in `date_unixtime`'s text: plain digits are read at once, anything else as
/// `i64`'s parser reads it after trimming.
fn unix_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')));
    }
    s.trim().parse::<i64>().ok()
}

/// The seconds [`utc_text`] writes: up to late 9999, inside the range jiff (and so the
/// validator) accepts.
const UTC_SECONDS: std::ops::RangeInclusive<i64> = 0..=253_402_000_000;

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds from 1970 to 9999, without a calendar library: this
/// runs once or twice per message (days to civil date after H. Hinnant's `civil_from_days`).
fn utc_text(secs: i64) -> Option<String> {
    if !UTC_SECONDS.contains(&secs) {
        return None;
    }
    let mut out = String::with_capacity(20);
    write_utc(&mut out, secs);
    Some(out)
}

/// [`utc_text`] appended to `out`, for seconds in [`UTC_SECONDS`].
fn write_utc(out: &mut String, secs: i64) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let (c, y, mo, d) = (two(year / 100), two(year % 100), two(month), two(day));
    let (h, mi, se) = (two(rem / 3600), two(rem / 60 % 60), two(rem % 60));
    let text = [
        c[0], c[1], y[0], y[1], b'-', mo[0], mo[1], b'-', d[0], d[1], b'T', h[0], h[1], b':',
        mi[0], mi[1], b':', se[0], se[1], b'Z',
    ];
    // Only ASCII digits and separators.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

fn parse_local(s: &str, zone: Option<&times::Zone>) -> Option<Time> {
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    let mut t = times::local(dt, true, s, zone);
    if t.original.as_deref() == Some(t.at.as_str()) {
        // The source's text is the time itself: nothing to keep twice.
        t.original = None;
    }
    Some(t)
}

/// The message time: `date_unixtime` as the instant (with `date`, the exporter's local wall
/// time, kept as `original`), else `date` as a local time.
fn message_time(
    date: &mut Option<Cow<'_, str>>,
    unix: &mut Option<Cow<'_, str>>,
    zone: Option<&times::Zone>,
) -> Option<Time> {
    if let Some(mut t) = unix.as_deref().and_then(parse_unix) {
        *unix = None;
        t.original = date.take().map(Cow::into_owned);
        return Some(t);
    }
    let t = date.as_deref().and_then(|d| parse_local(d, zone))?;
    *date = None;
    Some(t)
}

/// [`message_time`] written into `slot`, whose strings are reused when the time is a
/// `date_unixtime` in [`UTC_SECONDS`] (as nearly all are).
fn message_time_into(
    slot: &mut Option<Time>,
    date: &mut Option<Cow<'_, str>>,
    unix: &mut Option<Cow<'_, str>>,
    zone: Option<&times::Zone>,
) {
    let Some(secs) = unix
        .as_deref()
        .and_then(unix_seconds)
        .filter(|s| UTC_SECONDS.contains(s))
    else {
        *slot = message_time(date, unix, zone);
        return;
    };
    let t = slot.get_or_insert_with(|| Time::instant(String::new()));
    t.kind = TimeKind::Instant;
    t.at.clear();
    write_utc(&mut t.at, secs);
    t.local = None;
    t.zone = None;
    t.precision = Some(Precision::Second);
    set_opt(&mut t.original, date.as_deref());
    *date = None;
    *unix = None;
}

/// Turns one parsed message into a record and hands it to the sink. The record is the one kept
/// in [`Ctx::msg`], refilled: its strings keep their buffers from message to message.
fn convert(
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
    raw: &mut Raw<'_>,
    pointer: String,
) -> Result<(), ImportError> {
    let mut m = std::mem::replace(&mut ctx.msg, blank_message());
    let result = fill(ctx, chat, raw, &pointer, &mut m).and_then(|()| {
        // The origin differs from the last message's only in its pointer: the buffers are
        // swapped, and the last pointer's becomes the next message's.
        match m.origin.as_deref_mut() {
            Some(o) if o.pointer.is_some() => {
                let mut pointer = pointer;
                if let Some(p) = o.pointer.as_mut() {
                    std::mem::swap(p, &mut pointer);
                }
                ctx.pointer = pointer;
            }
            _ => m.origin = ctx.sink.origin_pointer(&ctx.file, pointer),
        }
        if !chat.add_message(&m.id) {
            return Err(ImportError::Bug(format!(
                "message id {:?} is used twice",
                m.id
            )));
        }
        ctx.sink.message_vouched(&m)
    });
    ctx.msg = m;
    result
}

/// A message with nothing in it (and no allocation), to stand in for [`Ctx::msg`] while it is
/// being filled.
fn blank_message() -> Message {
    Message::new(String::new(), String::new(), 0)
}

/// Fills `m`, the last message's record, with the message `raw` (all but its origin). Every
/// field is set or emptied: nothing of the last message stays.
fn fill(
    ctx: &mut Ctx<'_>,
    chat: &mut ChatState,
    raw: &mut Raw<'_>,
    pointer: &str,
    m: &mut Message,
) -> Result<(), ImportError> {
    // Listed in full so that a field added to the model is not forgotten here: the parts
    // below set what they find, so everything starts out empty (strings and boxes that are
    // refilled below are kept for their buffers).
    let Message {
        id: _,
        conversation: _,
        ordinal: _,
        platform_id: _,
        time: _,
        sender: _,
        sender_name: _,
        text: _,
        spans,
        reply_to,
        thread,
        forwarded,
        edited,
        deleted,
        reactions,
        attachments,
        embeds,
        location,
        contact,
        poll,
        call,
        event,
        pinned,
        origin: _,
        extensions,
    } = m;
    spans.clear();
    let spare_reply = reply_to.take();
    *thread = None;
    *forwarded = None;
    let spare_edit = edited.take();
    *deleted = None;
    reactions.clear();
    attachments.clear();
    embeds.clear();
    *location = None;
    *contact = None;
    *poll = None;
    *call = None;
    *event = None;
    *pinned = None;
    extensions.clear();

    let kind = raw.kind.take();
    let known_kind = matches!(kind.as_deref(), Some("message" | "service" | "unsupported"));
    if !known_kind && raw.date.is_none() && raw.date_unixtime.is_none() {
        return Err(ImportError::invalid(
            format!("{}#{pointer}", ctx.shown),
            "a message with neither a Telegram message type nor a date: not a Telegram export",
        ));
    }
    chat.ordinal += 1;
    let ordinal = chat.ordinal;
    m.ordinal = ordinal;
    m.conversation.clear();
    m.conversation
        .push_str(chat.conv.as_deref().unwrap_or_default());
    {
        use std::fmt::Write;
        let id = &mut m.id;
        match &raw.id {
            Some(i) => message_id_into(id, &chat.key, i),
            None => {
                id.clear();
                let _ = write!(id, "tg-m-{}-n{ordinal}", chat.key);
            }
        }
        if chat.has_message(id) {
            ctx.sink.warn(
                "duplicate-message-id",
                "two messages of a chat share an id; the later one's record id has its position appended",
                format!("{}#{pointer}", ctx.shown),
            );
            let _ = write!(id, "-n{ordinal}");
        }
    }
    match &raw.id {
        Some(i) => id_text_into(m.platform_id.get_or_insert_with(String::new), i),
        None => m.platform_id = None,
    }
    let mut ext = Map::new();
    for d in std::mem::take(&mut raw.duplicates) {
        ctx.sink.warn(
            "duplicate-key",
            "a message has the same key twice; the last value is kept",
            format!("{}#{pointer}/{d}", ctx.shown),
        );
    }

    // Time and edits.
    message_time_into(
        &mut m.time,
        &mut raw.date,
        &mut raw.date_unixtime,
        ctx.options.tz.as_ref(),
    );
    // What did not become the time (unparseable text) stays in the extensions.
    for (k, v) in [
        ("date", raw.date.take()),
        ("date_unixtime", raw.date_unixtime.take()),
    ] {
        if let Some(v) = v {
            ext.insert(k.into(), Value::String(v.into_owned()));
        }
    }
    let edited_epoch = raw.edited_unixtime.as_deref().map(str::trim) == Some("0")
        || (raw.edited_unixtime.is_none()
            && raw
                .edited
                .as_deref()
                .is_some_and(|e| e.starts_with("1970-01-01")));
    if edited_epoch {
        // Old exports write the Unix epoch (in the exporter's zone) for "never edited".
        if let Some(e) = raw.edited.take() {
            ext.insert("edited".into(), Value::String(e.into_owned()));
        }
    } else if raw.edited.is_some() || raw.edited_unixtime.is_some() {
        let mut e = spare_edit.unwrap_or_else(|| {
            Box::new(Edit {
                by: None,
                time: None,
                history: Vec::new(),
            })
        });
        e.by = None;
        e.history.clear();
        message_time_into(
            &mut e.time,
            &mut raw.edited,
            &mut raw.edited_unixtime,
            ctx.options.tz.as_ref(),
        );
        for (k, v) in [
            ("edited", raw.edited.take()),
            ("edited_unixtime", raw.edited_unixtime.take()),
        ] {
            if let Some(v) = v {
                ext.insert(k.into(), Value::String(v.into_owned()));
            }
        }
        m.edited = Some(e);
    }

    // Sender.
    let is_service = kind.as_deref() == Some("service");
    let has_from = raw.from.is_some() || raw.from_id.is_some();
    if has_from {
        ctx.party_into(raw.from_id.as_ref(), raw.from.as_ref(), &mut m.sender)?;
    } else {
        ctx.party_into(raw.actor_id.as_ref(), raw.actor.as_ref(), &mut m.sender)?;
    }
    match raw.from.take() {
        Some(from) => set_opt(&mut m.sender_name, from.as_deref()),
        None => set_opt(
            &mut m.sender_name,
            raw.actor.as_ref().and_then(|a| a.as_deref()),
        ),
    }
    if let (Some(set), Some(s)) = (chat.senders.as_mut(), m.sender.as_ref())
        && !set.contains(s)
    {
        set.insert(s.clone());
    }
    if has_from && (raw.actor.is_some() || raw.actor_id.is_some()) {
        if let Some(a) = raw.actor.take() {
            ext.insert(
                "actor".into(),
                a.map(|a| Value::String(a.into_owned()))
                    .unwrap_or(Value::Null),
            );
        }
        if let Some(a) = raw.actor_id.take() {
            ext.insert("actor_id".into(), Value::String(a.text()));
        }
    }

    // Text.
    // (The parts are taken from their list, which stays with the message as read: it is freed
    // on the thread that allocated it.)
    match raw.text.as_mut() {
        Some(Text::Plain(t)) => set_opt(&mut m.text, Some(t.as_ref()).filter(|t| !t.is_empty())),
        Some(Text::Parts(parts)) => text_and_spans(ctx, m, parts, &mut ext)?,
        None => m.text = None,
    }

    // Reply.
    if let Some(r) = raw.reply_to_message_id.take() {
        let peer = raw.take("reply_to_peer_id");
        let mut reply = spare_reply.unwrap_or_else(|| {
            Box::new(Reply {
                message: None,
                platform_id: None,
                quote: None,
                sender_name: None,
            })
        });
        reply.quote = None;
        reply.sender_name = None;
        id_text_into(reply.platform_id.get_or_insert_with(String::new), &r);
        let target = reply.message.get_or_insert_with(String::new);
        message_id_into(target, &chat.key, &r);
        let same_chat = peer.is_none();
        if !(same_chat && chat.has_message(target)) {
            reply.message = None;
        }
        m.reply_to = Some(reply);
        if let Some(p) = peer {
            ext.insert("reply_to_peer_id".into(), p);
        }
    }

    // Forward.
    let fwd_id = raw
        .take("forwarded_from_id")
        .and_then(|v| Id::from_value(&v).map(Id::into_owned));
    if raw.forwarded_from.is_some() || fwd_id.is_some() {
        let name = raw.forwarded_from.take().flatten();
        let account = match &fwd_id {
            Some(fid) => {
                let (aid, pid) = account_id(fid);
                ctx.ensure_account(&aid, Some(&pid), name.as_deref(), false)?;
                Some(aid)
            }
            None => None,
        };
        m.forwarded = Some(Box::new(Forward {
            account,
            from_name: name.map(Cow::into_owned),
            time: None,
            platform_id: None,
        }));
    }

    // Media.
    media(ctx, raw, m, pointer)?;

    // Location, contact, poll, reactions.
    location_of(raw, m);
    contact_of(ctx, raw, m, pointer)?;
    poll_of(raw, m, &mut ext);
    reactions_of(ctx, raw, m, &mut ext)?;

    // Service messages and the rest.
    match kind.as_deref() {
        Some("message") => {}
        Some("service") => {
            let sender = m.sender.clone();
            service(raw, m, chat, sender)?
        }
        Some("unsupported") => {
            m.event = Some(Box::new(Event {
                kind: EventKind::Other,
                platform_kind: Some("unsupported".into()),
                ..Event::new(EventKind::Other)
            }));
        }
        _ => {
            ext.insert(
                "type".into(),
                kind.clone()
                    .map(|k| Value::String(k.into_owned()))
                    .unwrap_or(Value::Null),
            );
        }
    }
    let _ = is_service;
    if let Some(a) = raw.action.take() {
        ext.insert("action".into(), Value::String(a.into_owned()));
    }
    for (k, v) in raw.rest.drain(..) {
        ext.insert(k, v);
    }
    if !ext.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(ext));
    }
    Ok(())
}

/// The number a message record id of the chat `key` ends in (`tg-m-KEY-123`), when it is one
/// written the one way a number is (no sign, no leading zero); `None` for any other id.
fn seen_number(key: &str, id: &str) -> Option<u64> {
    let digits = id
        .strip_prefix("tg-m-")?
        .strip_prefix(key)?
        .strip_prefix('-')?;
    let canonical = !digits.is_empty()
        && digits.len() <= 19
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// Builds the plain text and its spans from the parts; offsets count code points.
fn text_and_spans(
    ctx: &mut Ctx<'_>,
    m: &mut Message,
    parts: &mut Vec<Part>,
    ext: &mut Map<String, Value>,
) -> Result<(), ImportError> {
    if let [only] = parts.as_slice()
        && only.kind.is_none()
    {
        // One plain part, copied into the last message's string.
        set_opt(
            &mut m.text,
            Some(only.text.as_ref()).filter(|t| !t.is_empty()),
        );
        return Ok(());
    }
    let mut text = m.text.take().unwrap_or_default();
    text.clear();
    let mut at = 0u64;
    let mut kept_attrs: Vec<Value> = Vec::new();
    for (i, p) in parts.drain(..).enumerate() {
        let start = at;
        at += p.text.chars().count() as u64;
        text.push_str(&p.text);
        let Some(kind) = p.kind else { continue };
        let mut span = Span {
            conversation: None,
            kind: SpanKind::Other,
            start,
            end: at,
            url: None,
            account: None,
            language: None,
            name: None,
        };
        let mut attrs = p.attrs;
        let mut take = |name: &str| -> Option<Value> {
            let i = attrs.iter().position(|(k, _)| k == name)?;
            Some(attrs.remove(i).1)
        };
        let as_text = |v: Value| match v {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        match kind.as_ref() {
            "plain" => continue,
            "bold" => span.kind = SpanKind::Bold,
            "italic" => span.kind = SpanKind::Italic,
            "underline" => span.kind = SpanKind::Underline,
            "strikethrough" => span.kind = SpanKind::Strikethrough,
            "code" => span.kind = SpanKind::Code,
            "pre" => {
                span.kind = SpanKind::Pre;
                span.language = take("language").and_then(as_text).filter(|l| !l.is_empty());
            }
            "text_link" => {
                span.kind = SpanKind::Link;
                span.url = take("href").and_then(as_text);
            }
            "link" => span.kind = SpanKind::Link,
            "mention" => span.kind = SpanKind::Mention,
            "mention_name" => {
                span.kind = SpanKind::Mention;
                if let Some(uid) = take("user_id").as_ref().and_then(Id::from_value) {
                    let (aid, pid) = account_id(&uid);
                    ctx.ensure_account(&aid, Some(&pid), None, false)?;
                    span.account = Some(aid);
                }
            }
            "hashtag" => span.kind = SpanKind::Hashtag,
            "cashtag" => span.kind = SpanKind::Cashtag,
            "bot_command" => span.kind = SpanKind::BotCommand,
            "email" => span.kind = SpanKind::Email,
            "phone" => span.kind = SpanKind::Phone,
            "spoiler" => span.kind = SpanKind::Spoiler,
            "blockquote" => span.kind = SpanKind::Quote,
            "expandable_blockquote" => {
                span.kind = SpanKind::Quote;
                span.name = Some(kind.to_string());
            }
            "custom_emoji" => {
                span.kind = SpanKind::CustomEmoji;
                span.name = take("document_id").and_then(as_text);
            }
            _ => span.name = Some(kind.to_string()),
        }
        if !attrs.is_empty() {
            let mut o = Map::new();
            o.insert("part".into(), Value::from(i as u64));
            o.insert("type".into(), Value::String(kind.into_owned()));
            for (k, v) in attrs {
                o.insert(k, v);
            }
            kept_attrs.push(Value::Object(o));
        }
        m.spans.push(span);
    }
    if !kept_attrs.is_empty() {
        ext.insert("entity_attributes".into(), Value::Array(kept_attrs));
    }
    if !text.is_empty() {
        m.text = Some(text);
    }
    Ok(())
}

fn media_kind(media_type: Option<&str>) -> AttachmentKind {
    match media_type {
        None => AttachmentKind::File,
        Some("sticker") => AttachmentKind::Sticker,
        Some("video_message") => AttachmentKind::VideoNote,
        Some("voice_message") => AttachmentKind::Voice,
        Some("animation") => AttachmentKind::Gif,
        Some("video_file") => AttachmentKind::Video,
        Some("audio_file") => AttachmentKind::Audio,
        Some(_) => AttachmentKind::Other,
    }
}

/// An attachment for a path the export names, or for its "file not included" sentence.
fn attach(
    ctx: &mut Ctx<'_>,
    path: &str,
    kind: AttachmentKind,
    pointer: &str,
    key: &str,
) -> Result<Attachment, ImportError> {
    if is_placeholder(path) {
        return Ok(Attachment::missing(kind, Some(path.to_owned())));
    }
    let shown = &ctx.shown;
    ctx.sink
        .attach_relative(ctx.input, &ctx.base, path, kind, || {
            format!("{shown}#{pointer}/{key}")
        })
}

fn media(
    ctx: &mut Ctx<'_>,
    raw: &mut Raw,
    m: &mut Message,
    pointer: &str,
) -> Result<(), ImportError> {
    let mut dims_used = false;
    if let Some(photo) = raw.photo.take() {
        let mut a = attach(ctx, &photo, AttachmentKind::Image, pointer, "photo")?;
        a.width = raw.width;
        a.height = raw.height;
        if let Some(s) = raw.take("photo_file_size") {
            a.extensions
                .insert(NS.into(), serde_json::json!({ "photo_file_size": s }));
        }
        dims_used = true;
        m.attachments.push(a);
    }
    if raw.file.is_some() || raw.media_type.is_some() {
        let kind = media_kind(raw.media_type.as_deref());
        let mut a = match raw.file.take() {
            Some(f) => attach(ctx, &f, kind, pointer, "file")?,
            None => Attachment::missing(kind, None),
        };
        if let Some(n) = raw.take_str("file_name") {
            a.original_name = Some(n);
        }
        a.mime_type = raw.mime_type.take().map(Cow::into_owned);
        a.duration_seconds = raw.duration_seconds.take();
        a.emoji = raw.sticker_emoji.take().map(Cow::into_owned);
        if !dims_used {
            a.width = raw.width;
            a.height = raw.height;
            dims_used = true;
        }
        let mut e = Map::new();
        // A known media_type is the attachment's kind; an unknown one is kept beside it.
        if let Some(t) = raw
            .media_type
            .take()
            .filter(|_| kind == AttachmentKind::Other)
        {
            e.insert("media_type".into(), Value::String(t.into_owned()));
        }
        if let Some(t) = raw.thumbnail.take() {
            e.insert("thumbnail".into(), Value::String(t.into_owned()));
        }
        for k in [
            "performer",
            "title",
            "file_size",
            "self_destruct_period_seconds",
        ] {
            // `title` is also a service message's group title: only media titles go here.
            if k == "title" && raw.action.is_some() {
                continue;
            }
            if let Some(v) = raw.take(k) {
                e.insert(k.into(), v);
            }
        }
        if !e.is_empty() {
            a.extensions.insert(NS.into(), Value::Object(e));
        }
        m.attachments.push(a);
    }
    if let Some(vcard) = raw.take_str("contact_vcard") {
        let a = attach(
            ctx,
            &vcard,
            AttachmentKind::ContactCard,
            pointer,
            "contact_vcard",
        )?;
        m.attachments.push(a);
    }
    // Values not used by an attachment stay with the message.
    for (k, v) in [("width", raw.width.take()), ("height", raw.height.take())] {
        if let (false, Some(v)) = (dims_used, v) {
            raw.rest.push((k.into(), Value::from(v)));
        }
    }
    for (k, v) in [
        ("mime_type", raw.mime_type.take()),
        ("sticker_emoji", raw.sticker_emoji.take()),
        ("thumbnail", raw.thumbnail.take()),
        ("media_type", raw.media_type.take()),
    ] {
        if let Some(v) = v {
            raw.rest.push((k.into(), Value::String(v.into_owned())));
        }
    }
    Ok(())
}

fn location_of(raw: &mut Raw, m: &mut Message) {
    let info = raw.take("location_information");
    let place = raw.take_str("place_name");
    let address = raw.take_str("address");
    let live = raw.take("live_location_period_seconds");
    if place.is_none() && address.is_none() && live.is_none() {
        match info {
            None => return,
            // An unavailable location: nothing to map, kept as the source wrote it.
            Some(Value::Null) => {
                raw.rest.push(("location_information".into(), Value::Null));
                return;
            }
            Some(_) => {}
        }
    }
    let mut loc = Location {
        latitude: None,
        longitude: None,
        name: place,
        address,
        url: None,
        live_seconds: live.as_ref().and_then(Value::as_u64),
    };
    if let Some(Value::Object(o)) = &info {
        loc.latitude = o
            .get("latitude")
            .and_then(Value::as_f64)
            .filter(|l| (-90.0..=90.0).contains(l));
        loc.longitude = o
            .get("longitude")
            .and_then(Value::as_f64)
            .filter(|l| (-180.0..=180.0).contains(l));
        let rest: Map<String, Value> = o
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "latitude" | "longitude"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let unmapped = loc.latitude.is_none() && o.contains_key("latitude")
            || loc.longitude.is_none() && o.contains_key("longitude");
        if !rest.is_empty() || unmapped {
            raw.rest
                .push(("location_information".into(), Value::Object(o.clone())));
        }
    } else if let Some(v) = info.filter(|v| !v.is_null()) {
        raw.rest.push(("location_information".into(), v));
    }
    if let Some(v) = live.filter(|v| v.as_u64().is_none()) {
        raw.rest.push(("live_location_period_seconds".into(), v));
    }
    m.location = Some(Box::new(loc));
}

fn contact_of(
    _ctx: &mut Ctx<'_>,
    raw: &mut Raw,
    m: &mut Message,
    _pointer: &str,
) -> Result<(), ImportError> {
    let Some(info) = raw.take("contact_information") else {
        return Ok(());
    };
    let Value::Object(o) = &info else {
        raw.rest.push(("contact_information".into(), info));
        return Ok(());
    };
    let phone = o
        .get("phone_number")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    m.contact = Some(Box::new(Contact {
        name: full_name(o.get("first_name"), o.get("last_name")),
        phones: phone.into_iter().collect(),
        emails: Vec::new(),
        vcard: None,
    }));
    let phone_mapped = o.get("phone_number").is_some_and(Value::is_string);
    let rest: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| {
            !(matches!(k.as_str(), "first_name" | "last_name")
                || k.as_str() == "phone_number" && phone_mapped)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !rest.is_empty() {
        raw.rest
            .push(("contact_information".into(), Value::Object(rest)));
    }
    Ok(())
}

fn poll_of(raw: &mut Raw, m: &mut Message, ext: &mut Map<String, Value>) {
    let Some(poll) = raw.take("poll") else { return };
    let Value::Object(o) = &poll else {
        ext.insert("poll".into(), poll);
        return;
    };
    let Some(question) = o.get("question").and_then(Value::as_str) else {
        ext.insert("poll".into(), poll.clone());
        return;
    };
    let mut options = Vec::new();
    let mut odd = false;
    for a in o
        .get("answers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // An answer with keys beyond these keeps the whole poll under extensions.
        if a.as_object().is_some_and(|o| {
            o.keys()
                .any(|k| !matches!(k.as_str(), "text" | "voters" | "chosen"))
        }) {
            odd = true;
        }
        match a.get("text").and_then(Value::as_str) {
            Some(t) => options.push(PollOption {
                text: t.to_owned(),
                votes: a.get("voters").and_then(Value::as_u64),
                voters: Vec::new(),
                chosen: a.get("chosen").and_then(Value::as_bool),
            }),
            None => odd = true,
        }
    }
    m.poll = Some(Box::new(Poll {
        question: question.to_owned(),
        options,
        multiple: None,
        closed: o.get("closed").and_then(Value::as_bool),
        total_voters: o.get("total_voters").and_then(Value::as_u64),
    }));
    let rest: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "question" | "closed" | "total_voters" | "answers"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if odd {
        ext.insert("poll".into(), poll.clone());
    } else if !rest.is_empty() {
        ext.insert("poll".into(), Value::Object(rest));
    }
}

fn reactions_of(
    ctx: &mut Ctx<'_>,
    raw: &mut Raw,
    m: &mut Message,
    ext: &mut Map<String, Value>,
) -> Result<(), ImportError> {
    let Some(list) = raw.take("reactions") else {
        return Ok(());
    };
    let Value::Array(items) = &list else {
        ext.insert("reactions".into(), list);
        return Ok(());
    };
    let mut kept: Vec<Value> = Vec::new();
    for r in items {
        let Value::Object(o) = r else {
            kept.push(r.clone());
            continue;
        };
        let kind = o.get("type").and_then(Value::as_str).unwrap_or("emoji");
        let document = o.get("document_id").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let (emoji, custom) = match (kind, o.get("emoji").and_then(Value::as_str)) {
            ("emoji", Some(e)) => (e.to_owned(), None),
            ("custom_emoji", _) => (
                document.clone().unwrap_or_else(|| "custom_emoji".into()),
                Some(true),
            ),
            (k, Some(e)) => (e.to_owned(), Some(k != "emoji")),
            (k, None) => (k.to_owned(), Some(true)),
        };
        let mut by = Vec::new();
        // A reactor entry with keys beyond these keeps the reaction whole under extensions.
        let odd_reactor = o.get("recent").and_then(Value::as_array).is_some_and(|rs| {
            rs.iter().any(|w| {
                w.as_object().is_none_or(|w| {
                    w.keys().any(|k| {
                        !matches!(k.as_str(), "from" | "from_id" | "date" | "date_unixtime")
                    })
                })
            })
        });
        for who in o
            .get("recent")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = who.get("from").map(|v| v.as_str().map(Cow::Borrowed));
            let id = who.get("from_id").and_then(Id::from_value);
            let account = ctx.party(id.as_ref(), name.as_ref())?;
            let time = who
                .get("date_unixtime")
                .and_then(Value::as_str)
                .and_then(parse_unix)
                .or_else(|| {
                    who.get("date")
                        .and_then(Value::as_str)
                        .and_then(|d| parse_local(d, ctx.options.tz.as_ref()))
                });
            by.push(Reactor {
                account,
                name: name.flatten().map(Cow::into_owned),
                time,
            });
        }
        m.reactions.push(Reaction {
            extensions: Default::default(),
            emoji,
            custom,
            custom_id: if kind == "custom_emoji" {
                document
            } else {
                None
            },
            count: o.get("count").and_then(Value::as_u64),
            by,
        });
        // Paid (star) and future reaction types have no exact home: the source entry is kept.
        let known_keys = o.keys().all(|k| {
            matches!(
                k.as_str(),
                "type" | "count" | "emoji" | "document_id" | "recent"
            )
        });
        if !matches!(kind, "emoji" | "custom_emoji") || !known_keys || odd_reactor {
            kept.push(r.clone());
        }
    }
    if !kept.is_empty() {
        ext.insert("reactions".into(), Value::Array(kept));
    }
    Ok(())
}

/// A service message: an event, or a call for `phone_call`.
fn service(
    raw: &mut Raw,
    m: &mut Message,
    chat: &ChatState,
    actor: Option<String>,
) -> Result<(), ImportError> {
    let action = raw.action.clone();
    let mut ev = Event {
        kind: EventKind::Other,
        platform_kind: action.clone().map(Cow::into_owned),
        actor,
        ..Event::new(EventKind::Other)
    };
    let members = |raw: &mut Raw| -> Vec<String> {
        match raw.take("members") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .into_iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect(),
            // Deleted accounts appear as null: the names there are, and the list as it was.
            Some(Value::Array(a)) if a.iter().all(|v| v.is_string() || v.is_null()) => {
                let names = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                raw.rest.push(("members".into(), Value::Array(a)));
                names
            }
            Some(other) => {
                raw.rest.push(("members".into(), other));
                Vec::new()
            }
            None => Vec::new(),
        }
    };
    let actor_name = m.sender_name.clone();
    let only_actor = |names: &[String]| names.len() == 1 && Some(&names[0]) == actor_name.as_ref();
    match action.as_deref() {
        Some("create_group" | "create_channel") => {
            ev.kind = EventKind::Created;
            ev.new_value = raw.take_str("title");
            ev.target_names = members(raw);
        }
        Some("edit_group_title") => {
            ev.kind = EventKind::Renamed;
            ev.new_value = raw.take_str("title");
        }
        Some("edit_group_photo" | "delete_group_photo") => ev.kind = EventKind::PhotoChanged,
        Some("invite_members") => {
            let names = members(raw);
            ev.kind = if only_actor(&names) {
                EventKind::Joined
            } else {
                EventKind::Added
            };
            ev.target_names = names;
        }
        Some("remove_members") => {
            let names = members(raw);
            ev.kind = if only_actor(&names) {
                EventKind::Left
            } else {
                EventKind::Removed
            };
            ev.target_names = names;
        }
        Some("join_group_by_link" | "join_group_by_request") => ev.kind = EventKind::Joined,
        Some("migrate_to_supergroup" | "migrate_from_group") => {
            ev.kind = EventKind::Migrated;
            ev.new_value = raw.take_str("title");
        }
        Some("pin_message") => {
            ev.kind = EventKind::Pinned;
            if let Some(target) = raw.take("message_id").as_ref().and_then(Id::from_value) {
                let id = message_id(&chat.key, &target);
                if chat.has_message(&id) {
                    ev.message = Some(id);
                }
                let v = match target {
                    Id::Int(i) => Value::from(i),
                    Id::Str(s) => Value::String(s.into_owned()),
                };
                raw.rest.push(("message_id".into(), v));
            }
        }
        Some("clear_history") => ev.kind = EventKind::HistoryCleared,
        Some("take_screenshot") => ev.kind = EventKind::Screenshot,
        Some("set_messages_ttl") => {
            ev.kind = EventKind::DisappearingTimer;
            ev.new_value = raw.take("period").map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            });
        }
        Some("phone_call") => {
            let reason = raw.take_str("discard_reason");
            let duration = raw.duration_seconds.take();
            let video = raw.take("is_video").and_then(|v| v.as_bool());
            let outcome = match reason.as_deref() {
                Some("missed") => Some(CallOutcome::Missed),
                Some("busy") => Some(CallOutcome::Busy),
                Some("disconnect") => Some(CallOutcome::Failed),
                Some("hangup") if duration.is_some_and(|d| d > 0.0) => Some(CallOutcome::Answered),
                Some("hangup") => Some(CallOutcome::Cancelled),
                _ => None,
            };
            m.call = Some(Box::new(Call {
                media: match video {
                    Some(true) => CallMedia::Video,
                    Some(false) => CallMedia::Voice,
                    None => CallMedia::Voice,
                },
                outcome,
                duration_seconds: duration,
                ended: None,
                participants: Vec::new(),
            }));
            if let Some(r) = reason {
                raw.rest.push(("discard_reason".into(), Value::String(r)));
            }
            // A call is not an event: `action` stays in the extensions.
            return Ok(());
        }
        Some("group_call") => {
            // A voice chat in a group: a call, with its length where the export gives one.
            let duration = match raw.take("duration") {
                Some(v) => match v.as_f64().filter(|d| *d >= 0.0) {
                    Some(d) => Some(d),
                    None => {
                        raw.rest.push(("duration".into(), v));
                        None
                    }
                },
                None => None,
            };
            m.call = Some(Box::new(Call {
                media: CallMedia::Unknown,
                outcome: None,
                duration_seconds: duration,
                ended: None,
                participants: Vec::new(),
            }));
            return Ok(());
        }
        None => {
            ev.platform_kind = None;
            ev.text = raw.take_str("information_text");
        }
        Some(_) => {}
    }
    // The line a service message shows belongs to its event, unless it has formatting, which
    // only the message's own text can carry.
    if ev.text.is_none() && m.spans.is_empty() {
        ev.text = m.text.take();
    }
    raw.action = None;
    m.event = Some(Box::new(ev));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plainly_written_numbers_of_the_chat_are_kept_as_numbers() {
        assert_eq!(seen_number("42", "tg-m-42-5"), Some(5));
        assert_eq!(seen_number("42", "tg-m-42-0"), Some(0));
        assert_eq!(
            seen_number("42", "tg-m-42-05"),
            None,
            "05 is another record than 5"
        );
        assert_eq!(seen_number("42", "tg-m-42--5"), None);
        assert_eq!(seen_number("42", "tg-m-42-5-n7"), None);
        assert_eq!(seen_number("42", "tg-m-4-5"), None);
        assert_eq!(seen_number("4", "tg-m-42-5"), None);
        assert_eq!(seen_number("42", "tg-m-42-99999999999999999999"), None);
        let mut chat = ChatState::new(0, String::new(), false);
        chat.key = "42".into();
        assert!(chat.add_message("tg-m-42-5"));
        assert!(chat.add_message("tg-m-42-05"));
        assert!(chat.add_message("tg-m-42-5-n7"));
        assert!(!chat.add_message("tg-m-42-5"));
        assert!(!chat.add_message("tg-m-42-05"));
        assert!(chat.has_message("tg-m-42-5-n7") && !chat.has_message("tg-m-42-6"));
    }

    /// Every fixture imports the same with a read buffer of a few bytes (every message cut
    /// by a buffer's end somewhere) as with the normal one.
    #[test]
    fn tiny_read_buffers_import_the_same() {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/telegram");
        let mut cases: Vec<_> = std::fs::read_dir(&fixtures)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        cases.sort();
        let dir = tempfile::tempdir().unwrap();
        let options = ImportOptions {
            platform: Some(crate::Platform::Telegram),
            force: true,
            ..Default::default()
        };
        let run = |case: &std::path::Path, chunk: Option<usize>| {
            TEST_CHUNK.with(|c| c.set(chunk));
            let out = dir.path().join("out.jsonl");
            let result = crate::import(case, &out, &options).map(|r| r.messages);
            TEST_CHUNK.with(|c| c.set(None));
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            // The header line says when the archive was made.
            let records: Vec<String> = text.lines().skip(1).map(str::to_owned).collect();
            (result.map_err(|e| e.to_string()), records)
        };
        assert!(cases.len() > 10);
        for case in &cases {
            let want = run(case, None);
            assert!(want.0.is_ok(), "{}: {:?}", case.display(), want.0);
            for chunk in [4, 5, 7, 16, 61, 256] {
                assert_eq!(
                    run(case, Some(chunk)),
                    want,
                    "{} with {chunk}-byte reads",
                    case.display()
                );
            }
        }
    }

    /// A long chat read with small buffers goes through the second thread: what goes wrong
    /// in it is reported as with one buffer for the whole file, and a message the converter
    /// refuses is reported before a syntax error further on, which the reader met first.
    #[test]
    fn errors_of_a_chat_read_in_batches_are_those_of_one_read() {
        let message = |i: u64| {
            format!(
                "{{\"id\": {i}, \"type\": \"message\", \"date\": \"2021-01-01T10:00:00\", \
                 \"date_unixtime\": \"{}\", \"from\": \"Ann\", \"from_id\": \"user7\", \
                 \"text\": \"hello number {i}\"}}",
                1_609_495_200 + i
            )
        };
        let chat = |body: &str| {
            format!(
                "{{\n \"name\": \"Ann\",\n \"type\": \"personal_chat\",\n \"id\": 7,\n \
                 \"messages\": [\n{body}\n ]\n}}\n"
            )
        };
        let messages: Vec<String> = (1..=120).map(message).collect();
        // The converter refuses message 50 (no type and no date); message 80 is cut short.
        let mut refused = messages.clone();
        refused[50] = "{\"id\": 51, \"text\": \"no type, no date\"}".into();
        let mut both = refused.clone();
        both[80] = "{\"id\": 81, \"text\": tru}".into();
        let mut syntax = messages.clone();
        syntax[80] = both[80].clone();
        let dir = tempfile::tempdir().unwrap();
        let options = ImportOptions {
            platform: Some(crate::Platform::Telegram),
            force: true,
            ..Default::default()
        };
        let run = |name: &str, body: &[String], chunk: Option<usize>| {
            let input = dir.path().join(name);
            std::fs::write(&input, chat(&body.join(",\n"))).unwrap();
            TEST_CHUNK.with(|c| c.set(chunk));
            let result = crate::import(&input, &dir.path().join("out.jsonl"), &options);
            TEST_CHUNK.with(|c| c.set(None));
            result.map(|r| r.messages).map_err(|e| e.to_string())
        };
        assert_eq!(run("fine.json", &messages, Some(64)), Ok(120));
        let cases = [
            ("refused.json", &refused, "refused.json#/messages/50: "),
            ("both.json", &both, "refused.json#/messages/50: "),
            ("syntax.json", &syntax, "syntax.json:"),
        ];
        for (name, body, start) in cases {
            let start = start.replace("refused.json", name);
            let want = run(name, body, None).unwrap_err();
            assert!(want.contains(&start), "{name}: {want}");
            for chunk in [16, 64, 300, 4096] {
                assert_eq!(
                    run(name, body, Some(chunk)),
                    Err(want.clone()),
                    "{name}, {chunk}"
                );
            }
        }
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for n in [
            0i64,
            7,
            -7,
            10,
            99,
            1_000_000,
            -1_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            let mut s = "x".to_owned();
            push_int(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn utc_text_agrees_with_jiff() {
        for secs in [
            0i64,
            59,
            951_782_400,
            1_500_000_000,
            1_709_251_199,
            4_102_444_800,
            253_402_000_000,
        ] {
            let ours = utc_text(secs).unwrap();
            assert_eq!(ours, times::unix_seconds(secs).unwrap().at, "{secs}");
        }
        assert!(utc_text(-1).is_none());
    }

    #[test]
    fn unix_seconds_read_as_the_integer_parser_reads_them() {
        for s in [
            "0",
            "1600000000",
            "0001600000000",
            " 1600000000 ",
            "+5",
            "-5",
            "",
            "12a",
            "999999999999999999",
            "9999999999999999999",
            "99999999999999999999",
        ] {
            assert_eq!(unix_seconds(s), s.trim().parse::<i64>().ok(), "{s:?}");
        }
    }

    #[test]
    fn keys_are_found_in_a_cut_text() {
        let k = json_keys(br#"{"name": "a", "type" : "x", "messages": [{"date_unix"#);
        assert_eq!(k, ["name", "type", "messages"]);
    }
}

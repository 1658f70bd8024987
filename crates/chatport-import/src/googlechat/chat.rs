//! Google Chat (2020 and later) in Takeout: one folder per conversation,
//! `Google Chat/Groups/<"DM <id>" | "Space <id>">/`, holding `messages.json` (streamed),
//! `group_info.json` (`name`, `members` with `name`, `email`, `user_type`) and the attached
//! files; `Google Chat/Users/User <id>/user_info.json` names the exporting user.
//!
//! A message: `creator` (`name`, `email`, `user_type` `Human` or `Bot`), `created_date` (a
//! localized human text such as "Tuesday, March 5, 2024 at 10:00:00 AM UTC", "… at 17:13:43
//! UTC", "2015. február 15., vasárnap 21:54:36 UTC" or "2026年5月29日星期五 UTC 03:00:29"),
//! `updated_date`, `text`, `annotations` (formatting, mentions and links as ranges),
//! `topic_id` (the thread), `message_id`, `quoted_message_metadata` (`creator` and `text` of a
//! quoted message), `attached_files` (`original_name`, `export_name`), and for deleted
//! messages `message_state: "DELETED"` with `deleted_date` and no `created_date`.
//!
//! Dates that carry UTC (or GMT, with or without an offset) are instants; others stay local
//! (assumed in `--tz`). The source's text is always kept in the time's `original`. Google Chat
//! has no user ids in the export: accounts are keyed by e-mail address (by name when there is
//! none). Annotation ranges are read as UTF-16 offsets into `text` (as Google's APIs count);
//! a range that does not fit is kept under the extensions only. The first message of a topic is
//! the thread's root; later ones refer to it. Keys with no field in the model are kept under
//! `extensions["com.google.chat"]`.

use super::{NS, id_safe, json_keys, starts_object};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, AttachmentKind, Conversation, ConversationKind, Deletion, Edit, Event, EventKind,
    Member, Message, Reply, Span, SpanKind, ThreadRef, Time,
};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// What a Google Chat messages file is called in errors.
const WHAT: &str = "Google Chat messages.json";

/// True when the first bytes of a file look like a Google Chat `messages.json`.
pub(super) fn looks_like_messages(head: &[u8]) -> bool {
    if !starts_object(head) {
        return false;
    }
    let keys = json_keys(head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    keys.first().map(String::as_str) == Some("messages")
        && has("creator")
        && (has("created_date") || has("topic_id") || has("message_state"))
}

/// True for `…/Groups/<group>/messages.json`.
pub(super) fn is_group_messages(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() >= 3
        && parts[parts.len() - 1] == "messages.json"
        && parts[parts.len() - 3] == "Groups"
}

/// Imports one group folder, named by its `messages.json`.
pub(super) fn import_group(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    name: &str,
) -> Result<(), ImportError> {
    let folder = name.rsplit_once('/').map_or("", |(f, _)| f).to_owned();
    let group = if folder.is_empty() {
        // The input is the group's folder itself (a zip of it has no folder name to give).
        if input.is_zip() {
            String::new()
        } else {
            input
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }
    } else {
        folder.rsplit('/').next().unwrap_or("").to_owned()
    };
    import_messages(input, options, sink, name, &folder, &group)
}

/// Imports a `messages.json` given alone.
pub(super) fn import_single(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    name: &str,
) -> Result<(), ImportError> {
    import_messages(input, options, sink, name, "", "")
}

/// The exporting user's e-mail from `Users/*/user_info.json` next to the Groups folder.
fn self_email(input: &Input, sink: &mut Sink, groups_root: &str) -> Option<String> {
    let prefix = if groups_root.is_empty() {
        "Users/".to_owned()
    } else {
        format!("{groups_root}/Users/")
    };
    let file = input
        .entries()
        .iter()
        .find(|e| e.name.starts_with(&prefix) && e.name.ends_with("/user_info.json"))?
        .name
        .clone();
    let bytes = input.read_small(&file, 16 << 20).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let user = v.get("user")?;
    let email = user.get("email").and_then(Value::as_str)?.to_owned();
    let mut a = account_from(user)?;
    a.is_self = Some(true);
    if let Some(m) = v.get("membership_info") {
        a.extensions
            .insert(NS.into(), serde_json::json!({ "membership_info": m }));
    }
    sink.account(a).ok()?;
    if !sink.source_mut().files.contains(&file) {
        sink.source_mut().files.push(file);
    }
    Some(email)
}

/// The account of a `{name, email, user_type}` object.
fn account_from(user: &Value) -> Option<Account> {
    let email = user
        .get("email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty());
    let name = user
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty());
    let id = match (email, name) {
        (Some(e), _) => format!("gc-u-{}", id_safe(e)),
        (None, Some(n)) => derive_id("gc-u-n", &[n]),
        (None, None) => return None,
    };
    let mut a = Account::new(id, "googlechat");
    a.email = email.map(str::to_owned);
    a.display_name = name.map(str::to_owned);
    match user.get("user_type").and_then(Value::as_str) {
        Some("Bot" | "BOT") => a.bot = Some(true),
        Some("Human" | "HUMAN") | None => {}
        Some(other) => {
            a.extensions
                .insert(NS.into(), serde_json::json!({ "user_type": other }));
        }
    }
    Some(a)
}

struct Group<'a> {
    input: &'a Input,
    options: &'a ImportOptions,
    sink: &'a mut Sink,
    file: String,
    shown: String,
    folder: String,
    conv: String,
    ordinal: u64,
    /// Each topic's first message record id.
    topics: HashMap<String, String>,
    /// Accounts added.
    accounts: HashSet<String>,
    /// Dates that could not be read.
    bad_dates: u64,
}

fn import_messages(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    file: &str,
    folder: &str,
    group: &str,
) -> Result<(), ImportError> {
    let shown = input.display(file);
    sink.source_mut().files.push(file.to_owned());
    // The Takeout folder holding Groups/ (and Users/).
    let parent = folder.rsplit_once('/').map_or("", |(p, _)| p);
    let groups_root = parent
        .strip_suffix("Groups")
        .map_or("", |r| r.trim_end_matches('/'))
        .to_owned();
    let me = self_email(input, sink, &groups_root);
    // The conversation, from the folder name and group_info.json.
    let (kind_word, gid) = match group.split_once(' ') {
        Some((k @ ("DM" | "Space"), id)) => (Some(k), id.to_owned()),
        _ => (None, group.to_owned()),
    };
    let conv = if gid.is_empty() {
        derive_id("gc-c-", &[file])
    } else {
        format!("gc-c-{}", id_safe(&gid))
    };
    let mut c = Conversation::new(conv.clone(), "googlechat", ConversationKind::Unknown);
    c.platform_id = (!group.is_empty()).then(|| group.to_owned());
    let mut accounts = HashSet::new();
    let info_name = if folder.is_empty() {
        "group_info.json".to_owned()
    } else {
        format!("{folder}/group_info.json")
    };
    let mut members = 0usize;
    if input.entry(&info_name).is_some() {
        let bytes = input.read_small(&info_name, 64 << 20)?;
        let info: Value = serde_json::from_slice(&bytes)
            .map_err(|e| super::json_error(&input.display(&info_name), &e, "group_info.json"))?;
        sink.source_mut().files.push(info_name.clone());
        if let Some(o) = info.as_object() {
            c.title = o
                .get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            for m in o
                .get("members")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(mut a) = account_from(m) {
                    if me.as_deref().is_some_and(|e| a.email.as_deref() == Some(e)) {
                        a.is_self = Some(true);
                    }
                    let id = a.id.clone();
                    sink.account(a)?;
                    accounts.insert(id.clone());
                    members += 1;
                    c.members.push(Member {
                        account: id,
                        roles: Vec::new(),
                        nickname: None,
                    });
                }
            }
            let rest: Map<String, Value> = o
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "name" | "members"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !rest.is_empty() {
                c.extensions.insert(NS.into(), Value::Object(rest));
            }
        }
    }
    c.kind = match kind_word {
        Some("DM") if members <= 2 => ConversationKind::Direct,
        Some("DM") => ConversationKind::Group,
        Some("Space") => ConversationKind::Group,
        _ => ConversationKind::Unknown,
    };
    if sink.has_conversation(&conv) {
        return Err(ImportError::invalid(
            shown,
            "a second messages.json for a conversation already read",
        ));
    }
    sink.conversation(c)?;
    let mut g = Group {
        input,
        options,
        sink,
        file: file.to_owned(),
        shown: shown.clone(),
        folder: folder.to_owned(),
        conv,
        ordinal: 0,
        topics: HashMap::new(),
        accounts,
        bad_dates: 0,
    };
    let mut meta = Map::new();
    crate::matrix::stream(input, file, &shown, WHAT, &mut meta, &mut |i, v| {
        g.write(i, v)
    })?;
    if g.bad_dates > 0 {
        let n = g.bad_dates;
        g.sink.warn(
            "date-not-read",
            "dates in a form chatport does not read: the messages have no time (the text is kept under extensions)",
            format!("{shown} ({n} messages)"),
        );
    }
    if meta.remove("\u{0}messages").is_none() {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "no \"messages\" array: not a Google Chat messages.json",
        ));
    }
    if !meta.is_empty()
        && let Some(c) = g.sink.conversation_mut(&g.conv)
    {
        c.extensions
            .entry(NS.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(Value::Object(o)) = c.extensions.get_mut(NS) {
            o.insert("messages_json".into(), Value::Object(meta));
        }
    }
    Ok(())
}

impl Group<'_> {
    fn account(&mut self, user: &Value) -> Result<Option<String>, ImportError> {
        let Some(a) = account_from(user) else {
            return Ok(None);
        };
        let id = a.id.clone();
        if !self.accounts.contains(&id) {
            self.sink.account(a)?;
            self.accounts.insert(id.clone());
        }
        Ok(Some(id))
    }

    fn time(&mut self, text: &str) -> Option<Time> {
        let t = parse_date(text, self.options.tz.as_ref());
        if t.is_none() {
            self.bad_dates += 1;
        }
        t
    }

    fn write(&mut self, i: usize, v: Value) -> Result<(), ImportError> {
        self.sink.source_message();
        let pointer = format!("/messages/{i}");
        let Value::Object(mut o) = v else {
            self.sink.skip(
                "not-a-message",
                "an element of the messages array is not an object",
                format!("{}#{pointer}", self.shown),
            );
            return Ok(());
        };
        self.ordinal += 1;
        let message_id = take_str(&mut o, "message_id");
        let id = match &message_id {
            Some(mid) => {
                let id = format!("gc-m-{}-{}", &self.conv[5..], id_safe(mid));
                if self.sink.is_defined(&id) {
                    derive_id("gc-m-", &[&self.conv, mid, &self.ordinal.to_string()])
                } else {
                    id
                }
            }
            None => derive_id("gc-m-", &[&self.conv, &self.ordinal.to_string()]),
        };
        let mut m = Message::new(id.clone(), self.conv.clone(), self.ordinal);
        m.platform_id = message_id;
        m.origin = self.sink.origin_pointer(&self.file, pointer.clone());
        if let Some(creator) = o.remove("creator") {
            match self.account(&creator)? {
                Some(a) => {
                    m.sender = Some(a);
                    m.sender_name = creator
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
                None => {
                    o.insert("creator".into(), creator);
                }
            }
        }
        if let Some(d) = take_str(&mut o, "created_date") {
            m.time = self.time(&d);
            if m.time.is_none() {
                o.insert("created_date".into(), Value::String(d));
            }
        }
        if let Some(d) = take_str(&mut o, "updated_date") {
            let t = self.time(&d);
            if t.is_some() && t.as_ref().map(|t| &t.at) != m.time.as_ref().map(|t| &t.at) {
                m.edited = Some(Box::new(Edit {
                    time: t,
                    by: None,
                    history: Vec::new(),
                }));
            } else if t.is_none() {
                o.insert("updated_date".into(), Value::String(d));
            }
        }
        m.text = take_str(&mut o, "text").filter(|t| !t.is_empty());
        if let Some(anns) = super::take_arr(&mut o, "annotations") {
            let kept = self.annotations(&mut m, anns)?;
            if !kept.is_empty() {
                o.insert("annotations".into(), Value::Array(kept));
            }
        }
        if let Some(topic) = take_str(&mut o, "topic_id") {
            match self.topics.get(&topic) {
                Some(root) => {
                    m.thread = Some(Box::new(ThreadRef {
                        root: self.sink.is_defined(root).then(|| root.clone()),
                        platform_id: Some(topic),
                        broadcast: None,
                    }));
                }
                None => {
                    self.topics.insert(topic.clone(), id.clone());
                    o.insert("topic_id".into(), Value::String(topic));
                }
            }
        }
        if let Some(mut q) = super::take_obj(&mut o, "quoted_message_metadata") {
            let sender_name = q
                .get("creator")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            if sender_name.is_some()
                && let Some(Value::Object(c)) = q.get_mut("creator")
            {
                c.remove("name");
                if c.is_empty() {
                    q.remove("creator");
                }
            }
            let quote = take_str(&mut q, "text");
            let pid = take_str(&mut q, "message_id");
            let target = pid
                .as_ref()
                .map(|p| format!("gc-m-{}-{}", &self.conv[5..], id_safe(p)))
                .filter(|t| self.sink.is_defined(t));
            m.reply_to = Some(Box::new(Reply {
                message: target,
                platform_id: pid,
                quote,
                sender_name,
            }));
            if !q.is_empty() {
                o.insert("quoted_message_metadata".into(), Value::Object(q));
            }
        }
        if let Some(files) = super::take_arr(&mut o, "attached_files") {
            let mut odd = Vec::new();
            for f in files {
                let export = f.get("export_name").and_then(Value::as_str);
                let original = f.get("original_name").and_then(Value::as_str);
                let Some(rel) = export.or(original) else {
                    odd.push(f);
                    continue;
                };
                let kind = kind_of(rel);
                let shown = self.shown.clone();
                let ptr = pointer.clone();
                let mut a =
                    self.sink
                        .attach_relative(self.input, &self.folder, rel, kind, || {
                            format!("{shown}#{ptr}/attached_files")
                        })?;
                if let Some(orig) = original {
                    a.original_name = Some(orig.to_owned());
                }
                if let Some(e) = export.filter(|e| Some(*e) != original) {
                    a.extensions
                        .insert(NS.into(), serde_json::json!({ "export_name": e }));
                }
                m.attachments.push(a);
            }
            if !odd.is_empty() {
                o.insert("attached_files".into(), Value::Array(odd));
            }
        }
        if o.get("message_state").and_then(Value::as_str) == Some("DELETED") {
            o.remove("message_state");
            let time = take_str(&mut o, "deleted_date").and_then(|d| {
                let t = self.time(&d);
                if t.is_none() {
                    o.insert("deleted_date".into(), Value::String(d));
                }
                t
            });
            m.deleted = Some(Box::new(Deletion {
                time,
                by: None,
                placeholder: None,
            }));
        }
        if m.text.is_none()
            && m.attachments.is_empty()
            && m.deleted.is_none()
            && m.reply_to.is_none()
        {
            m.event = Some(Box::new(Event {
                platform_kind: Some("message".into()),
                actor: m.sender.clone(),
                text: Some("(a message with no text or files)".into()),
                ..Event::new(EventKind::Other)
            }));
        }
        if !o.is_empty() {
            m.extensions.insert(NS.into(), Value::Object(o));
        }
        if !self.sink.message_or_taken(&m)? {
            // The same message id twice in one file: the later one gets an id of its own.
            m.id = derive_id("gc-m-", &[&self.conv, &id, &self.ordinal.to_string()]);
            self.sink.message(&m)?;
        }
        Ok(())
    }

    /// Spans from `annotations`; returns those not (fully) turned into spans.
    fn annotations(
        &mut self,
        m: &mut Message,
        anns: Vec<Value>,
    ) -> Result<Vec<Value>, ImportError> {
        let text = m.text.clone().unwrap_or_default();
        // UTF-16 offset -> code point offset.
        let mut map = Vec::with_capacity(text.len() + 1);
        for (cp, ch) in text.chars().enumerate() {
            for _ in 0..ch.len_utf16() {
                map.push(cp as u64);
            }
        }
        let total = text.chars().count() as u64;
        map.push(total);
        let mut kept = Vec::new();
        for a in anns {
            let start = a.get("start_index").and_then(Value::as_u64);
            let len = a.get("length").and_then(Value::as_u64);
            let range = match (start, len) {
                (Some(s), Some(l)) if s.checked_add(l).is_some_and(|e| e < map.len() as u64) => {
                    Some((map[s as usize], map[(s + l) as usize]))
                }
                _ => None,
            };
            let Some((start, end)) = range else {
                kept.push(a);
                continue;
            };
            let mut span = Span {
                kind: SpanKind::Other,
                start,
                end,
                url: None,
                account: None,
                conversation: None,
                language: None,
                name: None,
            };
            let mut clean = true;
            if let Some(f) = a.get("format_metadata") {
                let ty = f.get("format_type").and_then(Value::as_str).unwrap_or("");
                span.kind = match ty {
                    "BOLD" => SpanKind::Bold,
                    "ITALIC" => SpanKind::Italic,
                    "UNDERLINE" => SpanKind::Underline,
                    "STRIKE" | "STRIKETHROUGH" => SpanKind::Strikethrough,
                    "MONOSPACE" => SpanKind::Code,
                    "MONOSPACE_BLOCK" => SpanKind::Pre,
                    "HIDDEN" => SpanKind::Spoiler,
                    other => {
                        span.name = Some(other.to_owned());
                        clean = false;
                        SpanKind::Other
                    }
                };
                if f.as_object().is_some_and(|o| o.len() > 1) {
                    clean = false;
                }
            } else if let Some(u) = a.get("user_mention_metadata") {
                span.kind = SpanKind::Mention;
                match u.get("user") {
                    Some(user) => span.account = self.account(user)?,
                    None => {
                        span.name = u.get("type").and_then(Value::as_str).map(str::to_owned);
                    }
                }
                if u.get("type").and_then(Value::as_str) != Some("MENTION") {
                    clean = false;
                }
            } else if let Some(u) = a.get("url_metadata") {
                span.kind = SpanKind::Link;
                let url = u
                    .get("url")
                    .and_then(|x| {
                        x.get("private_do_not_access_or_else_safe_url_do_not_use")
                            .or(Some(x))
                    })
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let covered: String = text
                    .chars()
                    .skip(start as usize)
                    .take((end - start) as usize)
                    .collect();
                span.url = url.filter(|u| *u != covered);
                clean = false;
            } else {
                span.name = a
                    .get("type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(Some("annotation".into()));
                clean = false;
            }
            let known = a.as_object().is_some_and(|o| {
                o.keys().all(|k| {
                    matches!(
                        k.as_str(),
                        "start_index" | "length" | "format_metadata" | "user_mention_metadata"
                    )
                })
            });
            if end > start {
                m.spans.push(span);
            }
            if !clean || !known {
                kept.push(a);
            }
        }
        Ok(kept)
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

/// The kind of an attached file, by its name's extension.
fn kind_of(name: &str) -> AttachmentKind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "webp" | "heic" | "bmp" => AttachmentKind::Image,
        "gif" => AttachmentKind::Gif,
        "mp4" | "mov" | "webm" | "mkv" | "3gp" => AttachmentKind::Video,
        "mp3" | "m4a" | "ogg" | "wav" | "aac" | "opus" => AttachmentKind::Audio,
        "vcf" => AttachmentKind::ContactCard,
        _ => AttachmentKind::File,
    }
}

/// Month names in the languages Takeout writes dates in (lowercase), with their number.
const MONTHS: &[(&str, u8)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // Hungarian
    ("január", 1),
    ("február", 2),
    ("március", 3),
    ("április", 4),
    ("május", 5),
    ("június", 6),
    ("július", 7),
    ("augusztus", 8),
    ("szeptember", 9),
    ("október", 10),
    // German
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    // French
    ("janvier", 1),
    ("février", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    // Italian
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    // Portuguese
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
];

/// Reads a localized Takeout date. The pieces are found by their shape, whatever the order:
/// a time `H:MM[:SS]`, a four-digit year, a month (a name from [`MONTHS`], or the number before
/// 月), a day (the number before 日, else the remaining one- or two-digit number), AM/PM
/// markers (`AM`, `PM`, `a.m.`, `p.m.`, 上午, 下午, 午前, 午後), and a zone (`UTC` or `GMT`,
/// optionally with `+H[:MM]`). With a zone it is an instant; without, a local (or `--tz`
/// assumed) time. `None` when a piece is missing or the date does not exist.
pub(super) fn parse_date(text: &str, tz: Option<&crate::Zone>) -> Option<Time> {
    let lower = text.to_lowercase();
    // Zone.
    let mut offset: Option<i32> = None;
    let mut rest = lower.clone();
    for label in ["utc", "gmt"] {
        if let Some(i) = rest.find(label) {
            let after = &rest[i + 3..];
            let mut secs = 0i32;
            let mut consumed = 0;
            let b = after.as_bytes();
            if !b.is_empty() && (b[0] == b'+' || b[0] == b'-' || b[0] == 0xe2) {
                // `+`, `-` or a Unicode minus (U+2212, e2 88 92).
                let (neg, skip) = match b[0] {
                    b'+' => (false, 1),
                    b'-' => (true, 1),
                    _ if after.starts_with('\u{2212}') => (true, 3),
                    _ => (false, 0),
                };
                if skip > 0 {
                    let digits: String = after[skip..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == ':')
                        .collect();
                    let (h, m) = match digits.split_once(':') {
                        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
                        None if digits.len() > 2 => (
                            digits[..digits.len() - 2].parse().ok()?,
                            digits[digits.len() - 2..].parse().ok()?,
                        ),
                        None => (digits.parse().ok()?, 0),
                    };
                    if !(0..=18).contains(&h) || !(0..=59).contains(&m) {
                        return None;
                    }
                    secs = (h * 3600 + m * 60) * if neg { -1 } else { 1 };
                    consumed = skip + digits.len();
                }
            }
            offset = Some(secs);
            rest.replace_range(i..i + 3 + consumed, " ");
            break;
        }
    }
    // Time.
    let bytes = rest.as_bytes();
    let mut time: Option<(i8, i8, i8, usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let s = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b':') {
                i += 1;
            }
            let tok = &rest[s..i];
            if tok.contains(':') {
                let p: Vec<&str> = tok.split(':').collect();
                if p.len() >= 2 && p.len() <= 3 {
                    let h = p[0].parse().ok()?;
                    let mi = p[1].parse().ok()?;
                    let se = p.get(2).map_or(Some(0), |x| x.parse().ok())?;
                    time = Some((h, mi, se, s, i));
                    break;
                }
            }
        } else {
            i += 1;
        }
    }
    let (mut h, mi, se, ts, te) = time?;
    let has_seconds = rest[ts..te].matches(':').count() == 2;
    // AM/PM markers next to the time: after it (`10:15:30 AM`, also after U+202F) or before
    // it (上午 10:15:30).
    let after = rest[te..].trim_start_matches([' ', '\u{202f}', '\u{a0}']);
    let before = rest[..ts].trim_end_matches([' ', '\u{202f}', '\u{a0}']);
    let word_after = |w: &str| {
        after.starts_with(w)
            && !after[w.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic)
    };
    // Spanish and others space the dotted forms (`p. m.`, also with a no-break space).
    let compact: String = after
        .chars()
        .take(8)
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
        .collect();
    let dotted = |w: &str| compact.starts_with(w);
    let pm = word_after("pm")
        || dotted("p.m.")
        || dotted("μ.μ.")
        || before.ends_with("下午")
        || before.ends_with("午後")
        || before.ends_with("오후");
    let am = word_after("am")
        || dotted("a.m.")
        || dotted("π.μ.")
        || before.ends_with("上午")
        || before.ends_with("午前")
        || before.ends_with("오전");
    rest.replace_range(ts..te, " ");
    if pm && h < 12 {
        h += 12;
    } else if am && h == 12 {
        h = 0;
    }
    // Year, month, day.
    let (mut year, mut month, mut day): (Option<i16>, Option<i8>, Option<i8>) = (None, None, None);
    // CJK: 2026年5月29日
    let chars: Vec<char> = rest.chars().collect();
    let mut numbers: Vec<(String, Option<char>)> = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k].is_ascii_digit() {
            let s = k;
            while k < chars.len() && chars[k].is_ascii_digit() {
                k += 1;
            }
            let n: String = chars[s..k].iter().collect();
            numbers.push((n, chars.get(k).copied()));
        } else {
            k += 1;
        }
    }
    for (n, after) in &numbers {
        match after {
            Some('年') => year = n.parse().ok(),
            Some('月') => month = n.parse().ok(),
            Some('日') => day = n.parse().ok(),
            _ => {}
        }
    }
    if month.is_none() {
        for w in rest.split(|c: char| !c.is_alphabetic()) {
            if let Some((_, n)) = MONTHS.iter().find(|(name, _)| *name == w) {
                month = Some(*n as i8);
                break;
            }
        }
    }
    for (n, after) in &numbers {
        if matches!(after, Some('年' | '月' | '日')) {
            continue;
        }
        if n.len() == 4 && year.is_none() {
            year = n.parse().ok();
        } else if n.len() <= 2 && day.is_none() {
            day = n.parse().ok();
        }
    }
    let dt = jiff::civil::DateTime::new(year?, month?, day?, h, mi, se, 0).ok()?;
    match offset {
        Some(secs) => {
            let off = jiff::tz::Offset::from_seconds(secs).ok()?;
            let ts = off.to_timestamp(dt).ok()?;
            let mut at = crate::times::civil_text(off.to_datetime(ts), true);
            if secs == 0 {
                at.push('Z');
            } else {
                let a = secs.unsigned_abs();
                at.push_str(&format!(
                    "{}{:02}:{:02}",
                    if secs < 0 { '-' } else { '+' },
                    a / 3600,
                    a / 60 % 60
                ));
            }
            let precision = if has_seconds {
                chatport_model::Precision::Second
            } else {
                chatport_model::Precision::Minute
            };
            Some(
                Time::instant(at)
                    .with_precision(precision)
                    .with_original(text),
            )
        }
        None => Some(crate::times::local(dt, has_seconds, text, tz)),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn localized_dates() {
        let at = |s: &str| parse_date(s, None).map(|t| (t.at, t.kind));
        use chatport_model::TimeKind::{Instant, Local};
        assert_eq!(
            at("Tuesday, January 3, 2023 at 10:15:30 AM UTC"),
            Some(("2023-01-03T10:15:30Z".into(), Instant))
        );
        assert_eq!(
            at("Tuesday, January 3, 2023 at 12:15:30\u{202f}AM UTC"),
            Some(("2023-01-03T00:15:30Z".into(), Instant))
        );
        assert_eq!(
            at("Tuesday, March 5, 2024 at 1:05:00 PM UTC"),
            Some(("2024-03-05T13:05:00Z".into(), Instant))
        );
        assert_eq!(
            at("Friday, May 29, 2026 at 17:13:43 UTC"),
            Some(("2026-05-29T17:13:43Z".into(), Instant))
        );
        assert_eq!(
            at("2015. február 15., vasárnap 21:54:36 UTC"),
            Some(("2015-02-15T21:54:36Z".into(), Instant))
        );
        assert_eq!(
            at("2026年5月29日星期五 UTC 03:00:29"),
            Some(("2026-05-29T03:00:29Z".into(), Instant))
        );
        assert_eq!(
            at("Dienstag, 5. März 2024 um 10:00:00 GMT+01:00"),
            Some(("2024-03-05T10:00:00+01:00".into(), Instant))
        );
        assert_eq!(
            at("Tuesday, March 5, 2024 at 10:00:00 AM"),
            Some(("2024-03-05T10:00:00".into(), Local))
        );
        // Spaced dotted markers (Spanish), with a plain or no-break space.
        assert_eq!(
            at("martes, 5 de marzo de 2024, 3:00:00 p. m. UTC"),
            Some(("2024-03-05T15:00:00Z".into(), Instant))
        );
        assert_eq!(
            at("martes, 5 de marzo de 2024, 12:30:00 a.\u{a0}m. UTC"),
            Some(("2024-03-05T00:30:00Z".into(), Instant))
        );
        assert_eq!(at("sometime last week"), None);
        assert_eq!(at("Tuesday, February 30, 2024 at 10:00:00 AM UTC"), None);
        let t = parse_date("Tuesday, January 3, 2023 at 10:15:30 AM UTC", None).unwrap();
        assert_eq!(
            t.original.as_deref(),
            Some("Tuesday, January 3, 2023 at 10:15:30 AM UTC")
        );
    }
}

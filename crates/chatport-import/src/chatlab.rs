//! The ChatLab importer: ChatLab's "standard format" (version 0.0.1), the exchange format that
//! the ChatLab chat analyser asks converters to write, in its JSON and JSONL forms.
//!
//! Source format (ChatLab's `docs/en/standard/chatlab-format.md` and its parsers
//! `packages/parser/src/formats/chatlab.ts`, `chatlab-jsonl.ts`), in short:
//! - JSON: one conversation, `{chatlab: {version, exportedAt, generator?, description?}, meta:
//!   {name, platform, type: "group"|"private", groupId?, groupAvatar?}, members: [{platformId,
//!   accountName, groupNickname?, aliases?, avatar?, roles?}], messages: [{sender, accountName,
//!   groupNickname?, timestamp, type, content, platformMessageId?, replyToMessageId?}]}`.
//! - JSONL: one object a line with `_type`: a `header` line first (holding `chatlab` and
//!   `meta`), optional `member` lines, then `message` lines. Lines starting with `#` are
//!   comments; empty lines are ignored.
//! - `timestamp` and `exportedAt` are Unix seconds; `type` is a number: 0 text, 1 image, 2
//!   voice, 3 video, 4 file, 5 emoji/sticker, 7 link/card, 8 location, 20 red packet, 21
//!   transfer, 22 poke, 23 call, 24 share, 25 reply, 26 forward, 27 contact card, 80 system,
//!   81 recalled, 99 other. Media messages carry only a placeholder text such as
//!   `[Image: screenshot.jpg]`: the format has no files.
//!
//! How it maps:
//! - The archive's source platform stays `chatlab` (the format read); the chat's own platform,
//!   `meta.platform` lowercased (`wechat`, `qq`, ...), is the conversation's and the accounts'
//!   `platform`, since the ids are that platform's. The header source's extensions keep the
//!   `chatlab` object and `meta.platform` per file.
//! - One file is one conversation `cl-c-<groupId>` (or an id derived from the meta's name,
//!   platform and type). A folder or zip may hold several ChatLab files: each is imported, in
//!   name order.
//! - Members become accounts `cl-u-<platform>-<platformId>` (display name `accountName`, `aliases` as other
//!   names, `avatar` data URL kept under extensions, not decoded) and conversation members
//!   (`groupNickname` as nickname, `roles` names as roles). Senders that no member line names
//!   are added from their messages.
//! - Messages: id `cl-m-<conversation>-<platformMessageId>`, or an id derived from the
//!   conversation, timestamp, sender, type, content and occurrence (two identical messages in
//!   one second stay two). `replyToMessageId` becomes `reply_to`. Each type maps to the model:
//!   media types to `missing` attachments (the placeholder's file name as `original_name`),
//!   link to an embed with the URL found in the text, location, contact, call, forward, poke
//!   and system to events or their fields, recalled to `deleted`; red packet, transfer, share
//!   and unknown numbers keep their text, and every message keeps its `type` number under
//!   `extensions["com.chatlab"]`, with any key the format does not define.
//! - JSON is streamed over `messages` (and `members`); when they come before `chatlab` and
//!   `meta`, a first pass reads the header and a second the arrays. JSONL is read line by line. In JSONL a line that
//!   is not JSON is skipped with a reason (the format allows it), except a last line with no
//!   newline, which means the file was cut: that is refused.

use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, Contact, Conversation, ConversationKind,
    Deletion, Embed, Event, EventKind, Forward, Location, Member, Message, Precision, Reply, Time,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read as _};

/// The extension namespace for ChatLab data with no field in the model.
const NS: &str = "com.chatlab";
/// How much of a file detection reads.
const PEEK: usize = 16 << 10;
/// The longest JSONL line read (a line holds one message or member, avatars included).
const LINE_LIMIT: usize = 64 << 20;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

// ---------------------------------------------------------------------------------------------
// Detection

/// Which form a file has.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Form {
    Json,
    Jsonl,
}

pub(crate) fn sniff(input: &Input) -> bool {
    !files(input).is_empty()
}

/// The ChatLab files of the input: the file itself, or those at the top (or under one top
/// folder) of a folder or zip, in name order.
fn files(input: &Input) -> Vec<(String, Form)> {
    let mut out = Vec::new();
    for e in input.entries() {
        if !input.is_single_file() {
            let lower = e.name.to_ascii_lowercase();
            if e.name.matches('/').count() > 1
                || !(lower.ends_with(".json") || lower.ends_with(".jsonl"))
            {
                continue;
            }
        }
        if let Ok(head) = input.peek(&e.name, PEEK)
            && let Some(form) = form_of(&head)
        {
            out.push((e.name.clone(), form));
        }
    }
    out.sort();
    out
}

/// The form of a file whose first bytes are `head`, when it is ChatLab's.
fn form_of(head: &[u8]) -> Option<Form> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // JSONL: the first line that is not empty or a comment is the header.
    let first = head
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty() && !l.starts_with(b"#"))?;
    if first.starts_with(b"{")
        && let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(first)
    {
        if o.get("_type").and_then(Value::as_str) == Some("header")
            && o.get("chatlab").is_some_and(Value::is_object)
        {
            return Some(Form::Jsonl);
        }
        if o.get("chatlab").is_some_and(Value::is_object) && !o.contains_key("_type") {
            return Some(Form::Json);
        }
        return None;
    }
    // JSON, cut: an object with a `"chatlab": {` key near the top and ChatLab's other keys.
    if head.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    let text = String::from_utf8_lossy(head);
    // A JSONL header line longer than the peek (a large `groupAvatar`): `_type` and `chatlab`
    // on the cut first line.
    let start = first.as_ptr() as usize - head.as_ptr() as usize;
    if !head[start..].contains(&b'\n') {
        let compact: String = String::from_utf8_lossy(first)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if compact.contains("\"_type\":\"header\"") && compact.contains("\"chatlab\":{") {
            return Some(Form::Jsonl);
        }
    }
    let at = text.find("\"chatlab\"")?;
    let after = text[at + 9..].trim_start();
    let after = after.strip_prefix(':')?.trim_start();
    if !after.starts_with('{') || text.contains("\"_type\"") {
        return None;
    }
    (text.contains("\"meta\"") || text.contains("\"messages\"") || text.contains("\"members\""))
        .then_some(Form::Json)
}

// ---------------------------------------------------------------------------------------------
// Import

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let found = files(input);
    if found.is_empty() {
        let shown = match input.entries() {
            [one] if input.is_single_file() => format!("{}:1:1", input.display(&one.name)),
            _ => input.path().display().to_string(),
        };
        return Err(ImportError::invalid(
            shown,
            "not a ChatLab file: no `chatlab` header object at the start (JSON) or on the first line (JSONL)",
        ));
    }
    sink.source_mut().exporter = Some("ChatLab standard format".into());
    let mut ctx = Ctx {
        input,
        sink,
        file: String::new(),
        shown: String::new(),
        failure: None,
        conversation: None,
        conv_ids: Vec::new(),
        names: HashMap::new(),
        ordinal: 0,
        occurrences: 0,
        pending_meta: None,
        file_info: Vec::new(),
    };
    for (file, form) in found {
        ctx.shown = input.display(&file);
        ctx.file = file.clone();
        ctx.conversation = None;
        ctx.ordinal = 0;
        ctx.pending_meta = None;
        ctx.sink.source_mut().files.push(file.clone());
        match form {
            Form::Json => read_json(&mut ctx)?,
            Form::Jsonl => read_jsonl(&mut ctx)?,
        }
        // A file with no messages still gives its conversation.
        ctx.ensure_conversation()?;
    }
    let info = std::mem::take(&mut ctx.file_info);
    ctx.sink
        .source_mut()
        .extensions
        .insert(NS.into(), json!({ "files": info }));
    Ok(())
}

/// What the readers share.
struct Ctx<'a> {
    input: &'a Input,
    sink: &'a mut Sink,
    /// The file being read, as an entry name (for origins) and as shown (for locations).
    file: String,
    shown: String,
    /// An error from the sink, carried out of the visitors.
    failure: Option<ImportError>,
    /// The current file's conversation id and platform, once created.
    conversation: Option<(String, String)>,
    /// Conversation ids given so far.
    conv_ids: Vec<String>,
    /// Per account id: the names it was given under, to add it only once per name.
    names: HashMap<String, Vec<String>>,
    ordinal: u64,
    /// How many message ids had to be bumped (for the report).
    occurrences: u64,
    /// The current file's `chatlab` and `meta` objects, once read.
    pending_meta: Option<(Map<String, Value>, Map<String, Value>)>,
    /// Per file: what the header source keeps.
    file_info: Vec<Value>,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&mut self, e: ImportError) -> E {
        self.failure = Some(e);
        E::custom("import stopped")
    }

    fn meta(&self) -> Option<&Map<String, Value>> {
        self.pending_meta.as_ref().map(|(_, m)| m)
    }

    /// The platform accounts and conversation belong to: `meta.platform` lowercased.
    fn platform(&self) -> String {
        self.meta()
            .and_then(|m| m.get("platform"))
            .and_then(Value::as_str)
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "chatlab".to_owned())
    }

    /// Records the header (`chatlab`, `meta`) of the current file.
    fn header(&mut self, chatlab: Map<String, Value>, meta: Map<String, Value>, at: &str) {
        if chatlab.get("version").and_then(Value::as_str) != Some("0.0.1") {
            self.sink.warn(
                "chatlab-version",
                "the file says a ChatLab format version other than 0.0.1; read as 0.0.1",
                at.to_owned(),
            );
        }
        if let Some(t) = chatlab.get("exportedAt").and_then(seconds_time) {
            let src = self.sink.source_mut();
            if src.exported.is_none() {
                src.exported = Some(t);
            }
        }
        if let Some(g) = chatlab.get("generator").and_then(Value::as_str) {
            // The tool that wrote the (first) file, as the file names it.
            let src = self.sink.source_mut();
            if src.exporter.as_deref() == Some("ChatLab standard format") {
                src.exporter = Some(format!("ChatLab standard format ({g})"));
            }
        }
        self.file_info.push(json!({
            "file": self.file,
            "chatlab": chatlab,
            "platform": meta.get("platform").cloned().unwrap_or(Value::Null),
        }));
        self.pending_meta = Some((chatlab, meta));
        if let Some((cid, _)) = self.conversation.clone() {
            // The meta came after the messages: fill in what it says.
            let platform = self.platform();
            let meta = self.meta().cloned().unwrap_or_default();
            if let Some(c) = self.sink.conversation_mut(&cid) {
                apply_meta(c, &meta, &platform);
            }
        }
    }

    /// The current file's conversation, created at its first use.
    fn ensure_conversation(&mut self) -> Result<(String, String), ImportError> {
        if let Some(c) = &self.conversation {
            return Ok(c.clone());
        }
        let platform = self.platform();
        let meta = self.meta().cloned().unwrap_or_default();
        let group = meta
            .get("groupId")
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty());
        let mut id = match &group {
            Some(g) => make_id("cl-c-", g),
            None => {
                let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
                let kind = meta.get("type").and_then(Value::as_str).unwrap_or("");
                if name.is_empty() {
                    derive_id("cl-c-", &[&platform, kind, &self.file])
                } else {
                    derive_id("cl-c-", &[&platform, kind, name])
                }
            }
        };
        if self.conv_ids.contains(&id) {
            self.sink.warn(
                "conversation-repeated",
                "two files name the same chat; the later one gets a conversation of its own",
                self.shown.clone(),
            );
            id = derive_id("cl-c-", &[&id, &self.file]);
        }
        self.conv_ids.push(id.clone());
        let mut c = Conversation::new(id.clone(), platform.clone(), ConversationKind::Unknown);
        c.platform_id = group;
        apply_meta(&mut c, &meta, &platform);
        self.sink.conversation(c)?;
        self.conversation = Some((id.clone(), platform.clone()));
        Ok((id, platform))
    }

    /// The account id for a member's `platformId`: `cl-u-<platform>-<platformId>`, so that chats
    /// of two platforms in one folder do not share accounts.
    fn account_id(&self, platform_id: &str) -> String {
        make_id(&format!("cl-u-{}-", self.platform()), platform_id)
    }

    /// Adds (or renames) the account of a member or sender.
    fn account(
        &mut self,
        platform_id: &str,
        name: Option<&str>,
        aliases: &[String],
        extra: Map<String, Value>,
    ) -> Result<String, ImportError> {
        let id = self.account_id(platform_id);
        let names = self.names.entry(id.clone()).or_default();
        let new_name = name.is_some_and(|n| !names.iter().any(|x| x == n));
        let first = names.is_empty() && !self.sink.has_account(&id);
        if !first && !new_name && aliases.is_empty() && extra.is_empty() {
            return Ok(id);
        }
        if let Some(n) = name {
            names.push(n.to_owned());
        }
        let platform = self.platform();
        let mut a = Account::new(id.clone(), platform);
        a.platform_id = Some(platform_id.to_owned());
        a.display_name = name.filter(|n| !n.is_empty()).map(str::to_owned);
        a.other_names = aliases.to_vec();
        if !extra.is_empty() {
            a.extensions.insert(NS.into(), Value::Object(extra));
        }
        self.sink.account(a)?;
        Ok(id)
    }

    /// A `members[]` entry or `member` line.
    fn member(&mut self, v: Value, at: &str) -> Result<(), ImportError> {
        let Value::Object(mut o) = v else {
            self.sink.warn(
                "member-invalid",
                "a member that is not an object is left out",
                at.to_owned(),
            );
            return Ok(());
        };
        let Some(pid) = id_text(o.get("platformId")) else {
            self.sink.warn(
                "member-invalid",
                "a member without platformId is left out",
                at.to_owned(),
            );
            return Ok(());
        };
        o.remove("platformId");
        o.remove("_type");
        // Values of the types the format names are mapped and taken out; anything else stays
        // in `o`, which ends under the account's extensions.
        let name = match o.get("accountName") {
            Some(Value::String(n)) => {
                let n = n.clone();
                o.remove("accountName");
                Some(n)
            }
            _ => None,
        };
        let aliases: Vec<String> = match o.get("aliases") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                let list = a
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .filter(|a| Some(a) != name.as_ref())
                    .collect();
                o.remove("aliases");
                list
            }
            _ => Vec::new(),
        };
        let nickname = match o.get("groupNickname") {
            Some(Value::String(n)) => {
                let n = n.clone();
                o.remove("groupNickname");
                Some(n).filter(|s| !s.is_empty())
            }
            _ => None,
        };
        let roles: Vec<String> = match o.get("roles").and_then(Value::as_array) {
            Some(rs) => rs
                .iter()
                .filter_map(|r| {
                    r.get("name")
                        .or_else(|| r.get("id"))
                        .and_then(Value::as_str)
                        .or_else(|| r.as_str())
                        .map(str::to_owned)
                })
                .collect(),
            None => Vec::new(),
        };
        // Roles with names stay whole with the account (their ids have no field).
        if roles.is_empty() {
            o.remove("roles");
        }
        let id = self.account(&pid, name.as_deref(), &aliases, o)?;
        let (cid, _) = self.ensure_conversation()?;
        if let Some(c) = self.sink.conversation_mut(&cid) {
            match c.members.iter_mut().find(|m| m.account == id) {
                Some(m) => {
                    if m.nickname.is_none() {
                        m.nickname = nickname;
                    }
                    for r in roles {
                        if !m.roles.contains(&r) {
                            m.roles.push(r);
                        }
                    }
                }
                None => c.members.push(Member {
                    account: id,
                    roles,
                    nickname,
                }),
            }
        }
        Ok(())
    }

    /// A `messages[]` entry or `message` line. `pointer` is its JSON pointer (JSON) and
    /// `line` its line (JSONL).
    fn message(&mut self, v: Value, pointer: Option<String>, line: Option<u64>) {
        if let Err(e) = self.message_inner(v, pointer, line) {
            self.failure.get_or_insert(e);
        }
    }

    fn message_inner(
        &mut self,
        v: Value,
        pointer: Option<String>,
        line: Option<u64>,
    ) -> Result<(), ImportError> {
        self.sink.source_message();
        let at = match (&pointer, line) {
            (Some(p), _) => format!("{}#{p}", self.shown),
            (None, Some(l)) => format!("{}:{l}", self.shown),
            _ => self.shown.clone(),
        };
        let Value::Object(mut o) = v else {
            self.sink
                .skip("message-invalid", "a message that is not a JSON object", at);
            return Ok(());
        };
        o.remove("_type");
        let (cid, _) = self.ensure_conversation()?;
        let sender_pid = id_text(o.get("sender"));
        let account_name = o
            .get("accountName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let sender = match &sender_pid {
            Some(pid) => {
                let known = self.sink.has_account(&self.account_id(pid));
                let id = if known && account_name.is_none() {
                    self.account_id(pid)
                } else {
                    self.account(pid, account_name.as_deref(), &[], Map::new())?
                };
                if let Some(c) = self.sink.conversation_mut(&cid)
                    && !c.members.iter().any(|m| m.account == id)
                {
                    c.members.push(Member {
                        account: id.clone(),
                        roles: Vec::new(),
                        nickname: None,
                    });
                }
                Some(id)
            }
            None => None,
        };
        let raw_ts = o.get("timestamp").cloned();
        let time = raw_ts.as_ref().and_then(seconds_time);
        if time.is_none() {
            self.sink.warn(
                "timestamp-invalid",
                "a message's timestamp is missing or not Unix seconds; kept under extensions",
                at.clone(),
            );
        }
        let kind = o.get("type").and_then(Value::as_i64);
        let content = match o.get("content") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let pmid = id_text(o.get("platformMessageId"));
        let reply = id_text(o.get("replyToMessageId"));

        self.ordinal += 1;
        let prefix = format!("cl-m-{}-", cid.strip_prefix("cl-c-").unwrap_or(&cid));
        let derived_parts = |occurrence: u64| {
            derive_id(
                &prefix,
                &[
                    &raw_ts.as_ref().map(Value::to_string).unwrap_or_default(),
                    sender_pid.as_deref().unwrap_or(""),
                    &kind.map(|k| k.to_string()).unwrap_or_default(),
                    content.as_deref().unwrap_or(""),
                    &occurrence.to_string(),
                ],
            )
        };
        let id = match &pmid {
            Some(p) => make_id(&prefix, p),
            None => derived_parts(0),
        };
        let mut m = Message::new(id, cid.clone(), self.ordinal);
        m.platform_id = pmid.clone();
        m.time = time;
        m.sender = sender;
        m.sender_name = account_name.clone();
        m.origin = match (&pointer, line) {
            (Some(p), _) => self.sink.origin_pointer(&self.file, p.clone()),
            (None, Some(l)) => self.sink.origin_line(&self.file, l),
            _ => None,
        };
        if let Some(r) = &reply {
            let target = make_id(&prefix, r);
            m.reply_to = Some(Box::new(Reply {
                message: self.sink.is_defined(&target).then_some(target),
                platform_id: Some(r.clone()),
                quote: None,
                sender_name: None,
            }));
        }
        map_type(&mut m, kind, content.as_deref());

        // What has no field: the type number always, and every key the format does not map.
        let mut ext = Map::new();
        for (k, v) in o {
            let mapped = match k.as_str() {
                "sender" => sender_pid.is_some(),
                "accountName" => account_name.is_some(),
                "timestamp" => m.time.is_some(),
                "content" => v.is_null() || content.is_some() && keeps_content_in_text(kind),
                "platformMessageId" => pmid.is_some(),
                "replyToMessageId" => reply.is_some(),
                _ => false,
            };
            if !mapped {
                ext.insert(k, v);
            }
        }
        if !ext.is_empty() {
            m.extensions.insert(NS.into(), Value::Object(ext));
        }
        let mut occurrence = 0;
        loop {
            if self.sink.message_or_taken(&m)? {
                break;
            }
            occurrence += 1;
            self.occurrences += 1;
            m.id = if let Some(p) = &pmid {
                derive_id(&prefix, &[p, &occurrence.to_string()])
            } else {
                derived_parts(occurrence)
            };
        }
        Ok(())
    }
}

/// Title, kind and extensions of a conversation from its `meta`.
fn apply_meta(c: &mut Conversation, meta: &Map<String, Value>, platform: &str) {
    c.platform = platform.to_owned();
    c.title = meta
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    c.kind = match meta.get("type").and_then(Value::as_str) {
        Some("group") => ConversationKind::Group,
        Some("private") => ConversationKind::Direct,
        _ => ConversationKind::Unknown,
    };
    let mut rest = meta.clone();
    for k in ["name", "platform"] {
        rest.remove(k);
    }
    if matches!(
        meta.get("type").and_then(Value::as_str),
        Some("group" | "private")
    ) {
        rest.remove("type");
    }
    if c.platform_id.is_some() {
        rest.remove("groupId");
    }
    if !rest.is_empty() {
        c.extensions.insert(NS.into(), Value::Object(rest));
    }
}

/// An id given as a string or a number.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `prefix` + `raw` when that is a valid id, otherwise an id derived from `raw`.
fn make_id(prefix: &str, raw: &str) -> String {
    let id = format!("{prefix}{raw}");
    if !raw.chars().any(|c| c.is_whitespace() || c.is_control()) && id.len() <= 256 {
        id
    } else {
        derive_id(prefix, &[raw])
    }
}

/// Unix seconds (an integer, or a number with a fraction) as a UTC instant.
fn seconds_time(v: &Value) -> Option<Time> {
    let n = v.as_number()?;
    if let Some(s) = n.as_i64() {
        if s < 0 {
            return None;
        }
        return crate::times::unix_seconds(s);
    }
    let f = n.as_f64()?;
    if !f.is_finite() || !(0.0..=253_402_300_799.0).contains(&f) {
        return None;
    }
    let millis = (f * 1000.0).round() as i64;
    let ts = jiff::Timestamp::from_millisecond(millis).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let at = format!(
        "{}.{:03}Z",
        crate::times::civil_text(dt, true),
        millis.rem_euclid(1000)
    );
    Some(
        Time::instant(at)
            .with_precision(Precision::Millisecond)
            .with_original(n.to_string()),
    )
}

/// True for the types whose `content` is the message's text (not a placeholder kept aside).
fn keeps_content_in_text(kind: Option<i64>) -> bool {
    !matches!(kind, Some(1..=5))
}

/// The file name in a placeholder such as `[Image: screenshot.jpg]` or `[文件] a.pdf`.
fn placeholder_name(content: &str) -> Option<String> {
    let c = content.trim();
    let inner = c.strip_prefix('[').and_then(|r| r.strip_suffix(']'))?;
    let (_, name) = inner.split_once([':', '：'])?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Maps the message type `kind` and its `content` onto `m`.
fn map_type(m: &mut Message, kind: Option<i64>, content: Option<&str>) {
    let text = content.filter(|s| !s.is_empty()).map(str::to_owned);
    let attachment = |k: AttachmentKind| {
        let mut a = Attachment::missing(
            k,
            Some("the ChatLab format carries no files, only a placeholder text".into()),
        );
        a.original_name = content.and_then(placeholder_name);
        a
    };
    match kind {
        Some(1) => m.attachments.push(attachment(AttachmentKind::Image)),
        Some(2) => m.attachments.push(attachment(AttachmentKind::Voice)),
        Some(3) => m.attachments.push(attachment(AttachmentKind::Video)),
        Some(4) => m.attachments.push(attachment(AttachmentKind::File)),
        Some(5) => {
            let mut a = attachment(AttachmentKind::Sticker);
            // A single emoji as content is the sticker's emoji.
            if let Some(c) = content
                && !c.is_empty()
                && c.chars().count() <= 2
                && !c.chars().any(char::is_alphanumeric)
            {
                a.emoji = Some(c.to_owned());
            }
            m.attachments.push(a);
        }
        Some(7) => {
            m.text = text;
            let url = content.and_then(find_url);
            m.embeds.push(Embed {
                url,
                title: None,
                description: None,
                site_name: None,
                image: None,
                extensions: Default::default(),
            });
        }
        Some(8) => {
            m.text = text.clone();
            m.location = Some(Box::new(Location {
                latitude: None,
                longitude: None,
                name: content.map(strip_tag).filter(|s| !s.is_empty()),
                address: None,
                url: content.and_then(find_url),
                live_seconds: None,
            }));
        }
        Some(22) => {
            m.event = Some(Box::new(Event {
                platform_kind: Some("poke".into()),
                actor: m.sender.clone(),
                text: text.clone(),
                ..Event::new(EventKind::Other)
            }));
        }
        Some(23) => {
            m.text = text;
            m.call = Some(Box::new(Call {
                media: CallMedia::Unknown,
                outcome: None,
                duration_seconds: None,
                ended: None,
                participants: Vec::new(),
            }));
        }
        Some(26) => {
            m.text = text;
            m.forwarded = Some(Box::new(Forward {
                account: None,
                from_name: None,
                time: None,
                platform_id: None,
            }));
        }
        Some(27) => {
            m.text = text.clone();
            m.contact = Some(Box::new(Contact {
                name: content.map(strip_tag).filter(|s| !s.is_empty()),
                phones: Vec::new(),
                emails: Vec::new(),
                vcard: None,
            }));
        }
        Some(80) => {
            m.event = Some(Box::new(Event {
                platform_kind: Some("system".into()),
                text,
                ..Event::new(EventKind::Other)
            }));
        }
        Some(81) => {
            m.deleted = Some(Box::new(Deletion {
                time: None,
                by: None,
                placeholder: text,
            }));
        }
        // 0 text, 20 red packet, 21 transfer, 24 share, 25 reply (its target comes from
        // replyToMessageId), 99 other and numbers the format does not define: the text.
        _ => m.text = text,
    }
}

/// A placeholder's text without its leading `[Tag]`: `[Location] Main St` gives `Main St`.
fn strip_tag(s: &str) -> String {
    let t = s.trim();
    match t.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((_, rest)) if !rest.trim().is_empty() => rest.trim().to_owned(),
        _ => t.to_owned(),
    }
}

/// The first http(s) URL in a text.
fn find_url(s: &str) -> Option<String> {
    let start = s.find("https://").or_else(|| s.find("http://"))?;
    let url: String = s[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ']' | ')' | '"' | '<' | '>'))
        .collect();
    Some(url)
}

// ---------------------------------------------------------------------------------------------
// JSONL

fn read_jsonl(ctx: &mut Ctx) -> Result<(), ImportError> {
    let input = ctx.input;
    let file = ctx.file.clone();
    input.read_entry(&file, |r| {
        let mut reader = BufReader::with_capacity(1 << 20, r);
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        let mut header_seen = false;
        let mut bad_lines = 0u64;
        loop {
            buf.clear();
            let n = (&mut reader)
                .take(LINE_LIMIT as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| {
                    ImportError::invalid(format!("{}:{}", ctx.shown, line_no + 1), format!("cannot read: {e}"))
                })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let complete = buf.last() == Some(&b'\n');
            if !complete && buf.len() > LINE_LIMIT {
                return Err(ImportError::invalid(
                    format!("{}:{line_no}", ctx.shown),
                    "a line longer than 64 MB: not a ChatLab JSONL file",
                ));
            }
            let mut text = buf.as_slice();
            if line_no == 1 {
                text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            }
            let text = text.trim_ascii();
            if text.is_empty() || text.starts_with(b"#") {
                continue;
            }
            let at = format!("{}:{line_no}", ctx.shown);
            let value: Value = match serde_json::from_slice(text) {
                Ok(v) => v,
                Err(e) if !complete => {
                    return Err(ImportError::invalid(
                        format!("{at}:{}", e.column()),
                        format!("the file ends in the middle of a line: {e}"),
                    ));
                }
                Err(e) if !header_seen => {
                    return Err(ImportError::invalid(
                        format!("{at}:{}", e.column()),
                        format!("the first line is not a ChatLab header: {e}"),
                    ));
                }
                Err(_) => {
                    // The format lets readers skip a line that does not parse. It may have been
                    // a message: it counts as one, skipped.
                    bad_lines += 1;
                    ctx.sink.source_message();
                    ctx.sink.skip(
                        "line-not-json",
                        "a line that is not valid JSON (ChatLab lets readers skip it)",
                        at,
                    );
                    continue;
                }
            };
            let kind = value
                .get("_type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if !header_seen {
                let chatlab = value.get("chatlab").and_then(Value::as_object);
                if kind != "header" || chatlab.is_none() {
                    return Err(ImportError::invalid(
                        format!("{at}:1"),
                        "the first line is not a ChatLab header (`_type: header` with `chatlab`)",
                    ));
                }
                header_seen = true;
                let Value::Object(mut o) = value else {
                    continue;
                };
                let chatlab = match o.remove("chatlab") {
                    Some(Value::Object(c)) => c,
                    _ => Map::new(),
                };
                let meta = match o.remove("meta") {
                    Some(Value::Object(m)) => m,
                    _ => {
                        ctx.sink.warn(
                            "meta-missing",
                            "the header has no `meta` object: the chat's name, platform and type are unknown",
                            at.clone(),
                        );
                        Map::new()
                    }
                };
                ctx.header(chatlab, meta, &at);
                o.remove("_type");
                if !o.is_empty() {
                    let mut info = ctx.file_info.pop().unwrap_or(Value::Null);
                    info["header_extra"] = Value::Object(o);
                    ctx.file_info.push(info);
                }
                ctx.ensure_conversation()?;
                continue;
            }
            match kind.as_str() {
                "member" => ctx.member(value, &at)?,
                "message" => {
                    ctx.message(value, None, Some(line_no));
                    if let Some(e) = ctx.failure.take() {
                        return Err(e);
                    }
                }
                "header" => ctx.sink.warn(
                    "header-repeated",
                    "a second header line is ignored",
                    at,
                ),
                other => {
                    // An unknown line kind: it may hold a message, so it counts as one, skipped
                    // with its kind named.
                    ctx.sink.source_message();
                    ctx.sink.skip(
                        "line-kind-unknown",
                        &format!("a line of a kind ChatLab 0.0.1 does not define ({other:?})"),
                        at,
                    );
                }
            }
        }
        if !header_seen {
            return Err(ImportError::invalid(
                format!("{}:{}", ctx.shown, line_no.max(1)),
                "the file has no ChatLab header line",
            ));
        }
        if bad_lines > 0 {
            ctx.sink.warn(
                "line-not-json",
                "lines that are not valid JSON were skipped",
                format!("{} ({bad_lines} lines)", ctx.shown),
            );
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// JSON

fn read_json(ctx: &mut Ctx) -> Result<(), ImportError> {
    // Usually `chatlab` and `meta` come first and one pass reads everything. When `members` or
    // `messages` come before them, the first pass skips the arrays and a second reads them, so
    // that the conversation and accounts know their platform from the start.
    if json_pass(ctx, Pass::All)? {
        if ctx.pending_meta.is_none() {
            return Err(ImportError::invalid(
                format!("{}#/chatlab", ctx.shown),
                "the file has no `chatlab` object: not a ChatLab JSON file",
            ));
        }
        json_pass(ctx, Pass::ArraysOnly)?;
    }
    if ctx.pending_meta.is_none() {
        return Err(ImportError::invalid(
            format!("{}#/chatlab", ctx.shown),
            "the file has no `chatlab` object: not a ChatLab JSON file",
        ));
    }
    Ok(())
}

/// What one pass over a JSON file does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Everything; arrays met before the header are skipped (and the pass says so).
    All,
    /// Only the arrays: the header was read by the first pass.
    ArraysOnly,
}

/// Reads the file once; true when arrays were skipped and a second pass must read them.
fn json_pass(ctx: &mut Ctx, pass: Pass) -> Result<bool, ImportError> {
    let input = ctx.input;
    let file = ctx.file.clone();
    let shown = ctx.shown.clone();
    input.read_entry(&file, |r| {
        let reader = BufReader::with_capacity(64 << 10, r);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let result = (&mut de)
            .deserialize_map(RootVisitor {
                ctx: &mut *ctx,
                pass,
            })
            .and_then(|deferred| de.end().map(|()| deferred));
        if let Some(f) = ctx.failure.take() {
            return Err(f);
        }
        result.map_err(|e| {
            let message = match e.classify() {
                serde_json::error::Category::Eof => format!("the file ends too early: {e}"),
                serde_json::error::Category::Io => format!("cannot read: {e}"),
                _ => format!("not a valid ChatLab JSON file: {e}"),
            };
            ImportError::invalid(format!("{shown}:{}:{}", e.line(), e.column()), message)
        })
    })
}

struct RootVisitor<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    pass: Pass,
}

impl<'de> Visitor<'de> for RootVisitor<'_, '_> {
    /// True when arrays were skipped.
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ChatLab object {chatlab, meta, members, messages}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let ctx = self.ctx;
        let mut chatlab: Option<Map<String, Value>> = None;
        let mut meta: Option<Map<String, Value>> = None;
        let mut extra = Map::new();
        let mut deferred = false;
        let at = ctx.shown.clone();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "members" | "messages" => {
                    let ready =
                        self.pass == Pass::ArraysOnly || (chatlab.is_some() && meta.is_some());
                    if ready {
                        map.next_value_seed(ArraySeed {
                            ctx: &mut *ctx,
                            messages: key == "messages",
                        })?;
                    } else {
                        // Checked for shape only; read in the second pass.
                        map.next_value_seed(ShapeSeed(key == "messages"))?;
                        deferred = true;
                    }
                }
                _ if self.pass == Pass::ArraysOnly => {
                    map.next_value::<de::IgnoredAny>()?;
                }
                "chatlab" | "meta" => {
                    let v: Value = map.next_value()?;
                    let Value::Object(o) = v else {
                        let e = ImportError::invalid(
                            format!("{at}#/{key}"),
                            format!("`{key}` is not an object: not a ChatLab JSON file"),
                        );
                        return Err(ctx.fail(e));
                    };
                    if key == "chatlab" {
                        chatlab = Some(o);
                    } else {
                        meta = Some(o);
                    }
                    if let (Some(c), Some(m)) = (&chatlab, &meta) {
                        ctx.header(c.clone(), m.clone(), &format!("{at}#/chatlab"));
                    }
                }
                _ => {
                    let v: Value = map.next_value()?;
                    extra.insert(key, v);
                }
            }
        }
        if self.pass == Pass::ArraysOnly {
            return Ok(false);
        }
        if ctx.pending_meta.is_none()
            && let Some(c) = chatlab
        {
            ctx.sink.warn(
                "meta-missing",
                "the file has no `meta` object: the chat's name, platform and type are unknown",
                format!("{at}#/meta"),
            );
            ctx.header(c, Map::new(), &format!("{at}#/chatlab"));
        }
        if !extra.is_empty() && ctx.pending_meta.is_some() {
            let mut info = ctx.file_info.pop().unwrap_or(Value::Null);
            info["root_extra"] = Value::Object(extra);
            ctx.file_info.push(info);
        }
        Ok(deferred)
    }
}

/// Skips an array, failing (with the parser's location) when it is not one.
struct ShapeSeed(bool);

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ShapeSeed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.0 {
            "an array of messages"
        } else {
            "an array of members"
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// `members` or `messages`, element by element.
struct ArraySeed<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    messages: bool,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.messages {
            "an array of messages"
        } else {
            "an array of members"
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let key = if self.messages { "messages" } else { "members" };
        let mut i = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let pointer = format!("/{key}/{i}");
            if self.messages {
                self.ctx.message(v, Some(pointer), None);
                if let Some(e) = self.ctx.failure.take() {
                    return Err(self.ctx.fail(e));
                }
            } else {
                let at = format!("{}#{pointer}", self.ctx.shown);
                if let Err(e) = self.ctx.member(v, &at) {
                    return Err(self.ctx.fail(e));
                }
            }
            i += 1;
        }
        Ok(())
    }
}

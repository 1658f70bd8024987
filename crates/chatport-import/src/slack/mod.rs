//! The Slack importer: a workspace export as Slack (or rusq/slackdump) writes it, zipped or
//! unpacked, and the bare message arrays that tools write for one channel.
//!
//! A workspace export holds, at its top or under one top folder:
//! - `users.json` (every account), `channels.json` (public channels), and in fuller exports
//!   `groups.json` (private channels), `mpims.json` (group DMs), `dms.json` (direct messages);
//! - `integration_logs.json` and, in newer exports, other lists (`canvases.json`, ...);
//! - one folder per conversation (named after the channel, or after the DM's id) holding one
//!   `YYYY-MM-DD.json` file per day, each an array of message objects (the Web API's shape).
//!
//! Conversations are read in folder-name order, each folder's days in date order, each day's
//! array streamed element by element. Message ids are `sl-m-<channel id>-<ts>`: `ts` is Slack's
//! id for a message within its channel, and its time (Unix seconds with microseconds, read as
//! text so no digit is lost to floating point).

mod message;
mod text;

use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{
    Account, Attachment, AttachmentKind, Conversation, ConversationKind, MediaStatus, Member,
    Precision, Time,
};
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};

/// The extensions namespace for Slack data that has no field in the model.
pub(super) const NS: &str = "com.slack";
/// How much of a single file detection reads.
const PEEK: usize = 64 << 10;
/// The largest metadata list (users.json, channels.json, ...) read whole.
const LIST_LIMIT: u64 = 1 << 30;
/// The largest single message object read whole.
const SINGLE_LIMIT: u64 = 64 << 20;

/// What the import of one input knows across messages.
pub(super) struct Ctx {
    /// Names for mentions.
    pub(super) names: text::Names,
    /// Emoji names that blocks showed as workspace-custom (no `unicode`), for reactions.
    pub(super) custom_emoji: HashSet<String>,
    /// The export's top folder inside the input (`""` or `name/`).
    pub(super) root: String,
}

/// A Slack `ts` (`"1509466512.000167"`) as an instant in UTC with the precision its digits
/// carry; `None` when it is not one.
pub(super) fn ts_time(ts: &str) -> Option<Time> {
    let (secs, frac) = match ts.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (ts, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || secs.len() > 12 {
        return None;
    }
    let whole: i64 = secs.parse().ok()?;
    let (nanos, shown, precision) = match frac {
        None => (0, String::new(), Precision::Second),
        Some(f) if digits(f) && f.len() <= 9 => {
            let (width, precision) = match f.len() {
                1..=3 => (3, Precision::Millisecond),
                4..=6 => (6, Precision::Microsecond),
                _ => (9, Precision::Nanosecond),
            };
            let padded = format!("{f:0<width$}");
            let nanos: i32 = format!("{padded:0<9}").parse().ok()?;
            (nanos, format!(".{padded}"), precision)
        }
        Some(_) => return None,
    };
    let ts = jiff::Timestamp::new(whole, nanos).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let at = format!("{}{shown}Z", crate::times::civil_text(dt, true));
    Some(Time::instant(at).with_precision(precision))
}

/// A Unix time in seconds given as a number or as a decimal string (2016 exports), when set.
fn unix_value(v: Option<&Value>) -> Option<Time> {
    let secs = match v? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if secs <= 0 {
        return None;
    }
    crate::times::unix_seconds(secs)
}

fn skip_bom_ws(buf: &[u8]) -> &[u8] {
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &buf[n..]
}

/// What a single-file input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Single {
    /// An array of message objects: one channel's messages (a day file, or a tool's dump).
    Messages,
    /// One message object.
    Message,
    /// One of the export's metadata lists on its own, named by the file it would be.
    Listing(&'static str),
}

fn is_ts(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| ts_time(s).is_some())
}

fn is_message(o: &Map<String, Value>) -> bool {
    is_ts(o.get("ts"))
        && (o.get("type").and_then(Value::as_str) == Some("message")
            || ["user", "text", "bot_id", "subtype"]
                .iter()
                .any(|k| o.contains_key(*k)))
}

fn listing_kind(o: &Map<String, Value>) -> Option<&'static str> {
    o.get("id")?.as_str()?;
    let yes = |k: &str| o.get(k) == Some(&Value::Bool(true));
    if o.contains_key("profile") || o.contains_key("real_name") || o.contains_key("is_bot") {
        Some("users.json")
    } else if yes("is_mpim") {
        Some("mpims.json")
    } else if yes("is_im") {
        Some("dms.json")
    } else if yes("is_group") || yes("is_private") {
        Some("groups.json")
    } else if o.contains_key("name")
        && (o.contains_key("topic") || o.contains_key("purpose") || o.contains_key("is_channel"))
    {
        Some("channels.json")
    } else if o.contains_key("members") && o.contains_key("created") && !o.contains_key("name") {
        Some("dms.json")
    } else {
        None
    }
}

/// Classifies the first bytes of a single file; `complete` when they are the whole file.
fn classify(buf: &[u8], complete: bool) -> Option<Single> {
    let body = skip_bom_ws(buf);
    match body.first()? {
        b'[' => {
            let rest = skip_bom_ws(&body[1..]);
            let first = serde_json::Deserializer::from_slice(rest)
                .into_iter::<Value>()
                .next()?
                .ok()?;
            let o = first.as_object()?;
            if is_message(o) {
                Some(Single::Messages)
            } else {
                listing_kind(o).map(Single::Listing)
            }
        }
        b'{' if complete => {
            let v: Value = serde_json::from_slice(body).ok()?;
            is_message(v.as_object()?).then_some(Single::Message)
        }
        _ => None,
    }
}

/// The export's top folder: `""` when users.json or channels.json is at the top of the input,
/// `name/` when they are under exactly one top folder.
fn export_root(input: &Input) -> Option<String> {
    if input.is_single_file() {
        return None;
    }
    if input.entry("channels.json").is_some() || input.entry("users.json").is_some() {
        return Some(String::new());
    }
    let mut tops: Vec<&str> = input
        .entries()
        .iter()
        .filter_map(|e| {
            let (top, rest) = e.name.split_once('/')?;
            (rest == "channels.json" || rest == "users.json").then_some(top)
        })
        .collect();
    tops.dedup();
    match tops.as_slice() {
        [one] => Some(format!("{one}/")),
        _ => None,
    }
}

/// True when the export's users.json or channels.json starts like a JSON array.
fn lists_look_right(input: &Input, root: &str) -> bool {
    ["channels.json", "users.json"].iter().any(|f| {
        let name = format!("{root}{f}");
        input.entry(&name).is_some()
            && input
                .peek(&name, 256)
                .is_ok_and(|b| skip_bom_ws(&b).first() == Some(&b'['))
    })
}

pub(crate) fn sniff(input: &Input) -> bool {
    if input.is_single_file() {
        let Some(e) = input.entries().first() else {
            return false;
        };
        let Ok(buf) = input.peek(&e.name, PEEK) else {
            return false;
        };
        return classify(&buf, (buf.len() as u64) >= e.size && buf.len() < PEEK).is_some();
    }
    export_root(input).is_some_and(|root| lists_look_right(input, &root))
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    if let Some(root) = export_root(input) {
        return import_export(input, &root, sink);
    }
    if input.is_single_file()
        && let Some(e) = input.entries().first()
    {
        let buf = input.peek(&e.name, PEEK)?;
        let complete = (buf.len() as u64) >= e.size && buf.len() < PEEK;
        // Named as Slack by the user but not recognised from its start: an array whose
        // first element does not fit the peek (or an empty one) is streamed; an object is
        // read whole and checked; anything else is not a Slack file.
        let shape = classify(&buf, complete).or_else(|| {
            let body = skip_bom_ws(&buf);
            match body.first() {
                Some(b'[') => {
                    let rest = skip_bom_ws(&body[1..]);
                    let first = serde_json::Deserializer::from_slice(rest)
                        .into_iter::<Value>()
                        .next();
                    match first {
                        Some(Ok(_)) => None,
                        _ => Some(Single::Messages),
                    }
                }
                Some(b'{') => Some(Single::Message),
                _ => None,
            }
        });
        let name = e.name.clone();
        match shape {
            Some(Single::Listing(kind)) => return import_listing(input, &name, kind, sink),
            Some(shape) => return import_single(input, &name, shape, sink),
            None => {}
        }
    }
    Err(ImportError::invalid(
        input.path().display().to_string(),
        "not a Slack export: no users.json or channels.json at its top or under one top folder, and not a JSON array of Slack messages",
    ))
}

fn listing_what(kind: &str) -> &'static str {
    match kind {
        "users.json" => "the list of a workspace's users",
        "channels.json" => "the list of a workspace's public channels",
        "groups.json" => "the list of a workspace's private channels",
        "mpims.json" => "the list of a workspace's group direct messages",
        _ => "the list of a workspace's direct messages",
    }
}

/// Calls `f` with each element of the JSON array in `entry`, streaming. Errors in the JSON name
/// the entry, line and column.
fn each_element(
    input: &Input,
    entry: &str,
    mut f: impl FnMut(u64, Value) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    struct Seed<'a, F> {
        f: &'a mut F,
        err: &'a mut Option<ImportError>,
    }
    impl<'de, F: FnMut(u64, Value) -> Result<(), ImportError>> DeserializeSeed<'de> for Seed<'_, F> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de, F: FnMut(u64, Value) -> Result<(), ImportError>> Visitor<'de> for Seed<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of Slack messages")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0u64;
            while let Some(v) = seq.next_element::<Value>()? {
                if let Err(e) = (self.f)(i, v) {
                    *self.err = Some(e);
                    return Err(A::Error::custom("stopped"));
                }
                i += 1;
            }
            Ok(())
        }
    }
    input.read_entry(entry, |r| {
        let mut br = BufReader::with_capacity(256 << 10, r);
        let bom = br
            .fill_buf()
            .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
            .map_err(|e| ImportError::io_shown(input.display(entry), e))?;
        if bom {
            br.consume(3);
        }
        let mut err = None;
        let mut de = serde_json::Deserializer::from_reader(br);
        let res = Seed {
            f: &mut f,
            err: &mut err,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Some(e) = err {
            return Err(e);
        }
        res.map_err(|e| {
            ImportError::invalid(
                format!("{}:{}:{}", input.display(entry), e.line(), e.column()),
                format!("not a readable array of Slack messages: {e}"),
            )
        })
    })
}

/// Reads a whole metadata list (users.json, channels.json, ...): `None` when the input has no
/// such entry.
fn read_list(input: &Input, entry: &str) -> Result<Option<Vec<Value>>, ImportError> {
    if input.entry(entry).is_none() {
        return Ok(None);
    }
    let bytes = input.read_small(entry, LIST_LIMIT)?;
    let v: Value = serde_json::from_slice(skip_bom_ws(&bytes)).map_err(|e| {
        ImportError::invalid(
            format!("{}:{}:{}", input.display(entry), e.line(), e.column()),
            format!("not readable JSON: {e}"),
        )
    })?;
    match v {
        Value::Array(a) => Ok(Some(a)),
        Value::Null => Ok(Some(Vec::new())),
        _ => Err(ImportError::invalid(
            format!("{}#", input.display(entry)),
            "expected a JSON array",
        )),
    }
}

fn nonempty<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// An account from a users.json entry. Keys the model has fields for are taken out; the rest
/// (real_name, profile, tz, flags) is kept under extensions. Returns the name Slack shows.
fn user_account(mut u: Map<String, Value>) -> Option<(Account, String)> {
    let id = nonempty(&u, "id")?.to_owned();
    u.remove("id");
    let mut a = Account::new(text::slack_id("sl-u-", &id), "slack");
    a.platform_id = Some(id.clone());
    a.handle = nonempty(&u, "name").map(str::to_owned);
    if a.handle.is_some() {
        u.remove("name");
    }
    let profile = u.get("profile").and_then(Value::as_object);
    let pstr = |k: &str| profile.and_then(|p| nonempty(p, k)).map(str::to_owned);
    let real = nonempty(&u, "real_name")
        .map(str::to_owned)
        .or_else(|| pstr("real_name"));
    a.display_name = pstr("display_name").or_else(|| real.clone());
    if let Some(r) = real.filter(|r| Some(r) != a.display_name.as_ref()) {
        a.other_names.push(r);
    }
    a.email = pstr("email");
    a.phone = pstr("phone");
    let avatar = [
        "image_original",
        "image_1024",
        "image_512",
        "image_192",
        "image_72",
    ]
    .iter()
    .find_map(|k| pstr(k));
    if let Some(url) = avatar {
        let mut img = Attachment::missing(AttachmentKind::Image, None);
        img.status = MediaStatus::Remote;
        img.url = Some(url);
        a.avatar = Some(img);
    }
    if let Some(Value::Bool(b)) = u.remove("is_bot") {
        a.bot = Some(b);
    }
    if id == "USLACKBOT" {
        a.bot = Some(true);
    }
    if let Some(Value::Bool(b)) = u.remove("deleted") {
        a.deleted = Some(b);
    }
    if !u.is_empty() {
        a.extensions.insert(NS.into(), Value::Object(u));
    }
    let shown = a
        .display_name
        .clone()
        .or_else(|| a.handle.clone())
        .unwrap_or(id);
    Some((a, shown))
}

/// Where one conversation's messages go.
struct ConvInfo {
    id: String,
    key: String,
}

/// The four conversation lists, in the order they are read, with the kind each gives.
const LISTS: [(&str, ConversationKind); 4] = [
    ("channels.json", ConversationKind::Channel),
    ("groups.json", ConversationKind::Channel),
    ("mpims.json", ConversationKind::Group),
    ("dms.json", ConversationKind::Direct),
];

/// The files at the export's top that the import reads or keeps.
const KNOWN_TOP: [&str; 6] = [
    "users.json",
    "channels.json",
    "groups.json",
    "mpims.json",
    "dms.json",
    "integration_logs.json",
];

fn is_day_file(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 15
        && name.ends_with(".json")
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..10]
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn import_export(input: &Input, root: &str, sink: &mut Sink) -> Result<(), ImportError> {
    // The layout: top files, day files per folder (entries are sorted, so days come in date
    // order), and anything else.
    let mut top_files = Vec::new();
    let mut days: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in input.entries() {
        let Some(rel) = e.name.strip_prefix(root) else {
            continue;
        };
        match rel.split_once('/') {
            None => top_files.push(rel.to_owned()),
            Some((folder, file)) if is_day_file(file) => {
                days.entry(folder.to_owned())
                    .or_default()
                    .push(e.name.clone());
            }
            Some((_, file)) if file.starts_with("attachments/") => {}
            Some(("__uploads", _)) => {}
            Some(_) => sink.warn(
                "file-not-imported",
                "a file of the export that is not a day file, a list chatport reads or a file a message names; not imported",
                input.display(&e.name),
            ),
        }
    }
    {
        let src = sink.source_mut();
        src.exporter = Some("Slack workspace export".into());
        src.files = top_files.clone();
    }
    for f in &top_files {
        if !KNOWN_TOP.contains(&f.as_str()) {
            sink.warn(
                "file-not-imported",
                "a file at the export's top that chatport does not read (it is listed in the header's source files)",
                input.display(&format!("{root}{f}")),
            );
        }
    }
    let logs = format!("{root}integration_logs.json");
    if let Some(list) = read_list(input, &logs)? {
        sink.source_mut()
            .extensions
            .insert(NS.into(), serde_json::json!({ "integration_logs": list }));
    }

    let mut ctx = Ctx {
        names: text::Names::default(),
        custom_emoji: HashSet::new(),
        root: root.to_owned(),
    };
    let users = format!("{root}users.json");
    for (i, u) in read_list(input, &users)?.into_iter().flatten().enumerate() {
        let Some((a, shown)) = u.as_object().cloned().and_then(user_account) else {
            sink.warn(
                "list-entry-unreadable",
                "an entry of a list has no id; left out",
                format!("{}#/{i}", input.display(&users)),
            );
            continue;
        };
        if let Some(pid) = &a.platform_id {
            ctx.names.users.insert(pid.clone(), shown);
        }
        sink.account(a)?;
    }

    // Conversations from the lists; folders are found by name, or by id (DMs).
    let mut listed: Vec<(String, Map<String, Value>, ConversationKind, usize)> = Vec::new();
    for (file, kind) in LISTS {
        let entry = format!("{root}{file}");
        for (i, c) in read_list(input, &entry)?.into_iter().flatten().enumerate() {
            match c {
                Value::Object(o) if nonempty(&o, "id").is_some() => {
                    if let (Some(id), Some(name)) = (nonempty(&o, "id"), nonempty(&o, "name")) {
                        ctx.names
                            .channels
                            .entry(id.to_owned())
                            .or_insert_with(|| name.to_owned());
                    }
                    listed.push((entry.clone(), o, kind, i));
                }
                _ => sink.warn(
                    "list-entry-unreadable",
                    "an entry of a list has no id; left out",
                    format!("{}#/{i}", input.display(&entry)),
                ),
            }
        }
    }
    let mut folders: HashMap<String, ConvInfo> = HashMap::new();
    for (entry, o, kind, i) in listed {
        let location = format!("{}#/{i}", input.display(&entry));
        let id = nonempty(&o, "id").unwrap_or_default().to_owned();
        let cid = text::slack_id("sl-c-", &id);
        if sink.has_conversation(&cid) {
            sink.warn(
                "conversation-listed-twice",
                "a conversation is listed twice (in one list or in two); the first listing is kept",
                location,
            );
            continue;
        }
        let name = nonempty(&o, "name").map(str::to_owned);
        let c = conversation(&id, kind, o, sink, &location)?;
        sink.conversation(c)?;
        let key = cid["sl-c-".len()..].to_owned();
        for folder in name.iter().chain(std::iter::once(&id)) {
            folders.entry(folder.clone()).or_insert_with(|| ConvInfo {
                id: cid.clone(),
                key: key.clone(),
            });
        }
    }

    let mut ordinals: HashMap<String, u64> = HashMap::new();
    for (folder, files) in &days {
        let info = match folders.get(folder) {
            Some(i) => ConvInfo {
                id: i.id.clone(),
                key: i.key.clone(),
            },
            None => {
                let cid = text::slack_id("sl-c-", folder);
                sink.warn(
                    "folder-not-listed",
                    "a folder of day files belongs to no conversation of channels.json, groups.json, mpims.json or dms.json; imported as a conversation of unknown kind named after the folder",
                    input.display(&format!("{root}{folder}")),
                );
                if !sink.has_conversation(&cid) {
                    let mut c = Conversation::new(cid.clone(), "slack", ConversationKind::Unknown);
                    c.title = Some(folder.clone());
                    sink.conversation(c)?;
                }
                ConvInfo {
                    key: cid["sl-c-".len()..].to_owned(),
                    id: cid,
                }
            }
        };
        let ordinal = ordinals.entry(info.id.clone()).or_insert(0);
        for file in files {
            each_element(input, file, |i, v| {
                sink.source_message();
                let place = message::Place {
                    conversation: &info.id,
                    key: &info.key,
                    folder,
                    file,
                    pointer: format!("/{i}"),
                };
                if let Some(m) = message::convert(&mut ctx, input, sink, &place, *ordinal + 1, v)? {
                    *ordinal += 1;
                    sink.message(&m)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// One of the export's lists on its own (users.json, channels.json, ...): it holds no messages,
/// but what it holds (accounts, or conversations with their members) comes over, with a warning
/// that says the messages are in the whole export.
fn import_listing(
    input: &Input,
    name: &str,
    kind: &'static str,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    {
        let src = sink.source_mut();
        src.exporter = Some("Slack workspace export".into());
        src.files = vec![name.to_owned()];
    }
    sink.warn(
        "no-messages",
        &format!(
            "this is a Slack {kind} on its own ({}): it holds no messages, only what the archive now has of it. The messages are in the whole export: import its .zip or unpacked folder",
            listing_what(kind)
        ),
        input.display(name),
    );
    let list = read_list(input, name)?.unwrap_or_default();
    if kind == "users.json" {
        for (i, u) in list.into_iter().enumerate() {
            match u.as_object().cloned().and_then(user_account) {
                Some((a, _)) => sink.account(a)?,
                None => sink.warn(
                    "list-entry-unreadable",
                    "an entry of a list has no id; left out",
                    format!("{}#/{i}", input.display(name)),
                ),
            }
        }
        return Ok(());
    }
    let conv_kind = LISTS
        .iter()
        .find(|(f, _)| *f == kind)
        .map_or(ConversationKind::Unknown, |(_, k)| *k);
    for (i, c) in list.into_iter().enumerate() {
        let location = format!("{}#/{i}", input.display(name));
        match c {
            Value::Object(o) if nonempty(&o, "id").is_some() => {
                let id = nonempty(&o, "id").unwrap_or_default().to_owned();
                if sink.has_conversation(&text::slack_id("sl-c-", &id)) {
                    sink.warn(
                        "conversation-listed-twice",
                        "a conversation is listed twice (in one list or in two); the first listing is kept",
                        location,
                    );
                    continue;
                }
                let c = conversation(&id, conv_kind, o, sink, &location)?;
                sink.conversation(c)?;
            }
            _ => sink.warn(
                "list-entry-unreadable",
                "an entry of a list has no id; left out",
                location,
            ),
        }
    }
    Ok(())
}

/// A conversation from an entry of channels.json, groups.json, mpims.json or dms.json.
fn conversation(
    id: &str,
    kind: ConversationKind,
    mut o: Map<String, Value>,
    sink: &mut Sink,
    location: &str,
) -> Result<Conversation, ImportError> {
    let cid = text::slack_id("sl-c-", id);
    let mut c = Conversation::new(cid, "slack", kind);
    c.platform_id = Some(id.to_owned());
    o.remove("id");
    c.title = nonempty(&o, "name").map(str::to_owned);
    if c.title.is_some() {
        o.remove("name");
    }
    let value_of = |k: &str| {
        o.get(k)
            .and_then(|t| t.get("value"))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(text::unescape)
    };
    // Topic and purpose objects stay under extensions with their creators and times.
    c.description = value_of("topic").or_else(|| value_of("purpose"));
    if let Some(t) = unix_value(o.get("created")) {
        c.created = Some(t);
        o.remove("created");
    }
    let mut seen = HashSet::new();
    if let Some(Value::Array(members)) = o.remove("members") {
        for m in members {
            match m.as_str() {
                Some(u) if !u.is_empty() => {
                    let account = message::ensure_user(sink, u, location)?;
                    if seen.insert(account.clone()) {
                        c.members.push(Member {
                            account,
                            roles: Vec::new(),
                            nickname: None,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    if kind == ConversationKind::Direct && c.members.len() == 1 && seen.len() == 1 {
        // Slack lists a DM with oneself with the same member twice.
        c.kind = ConversationKind::SelfChat;
    }
    if !o.is_empty() {
        c.extensions.insert(NS.into(), Value::Object(o));
    }
    Ok(c)
}

/// A single file: one channel's message array (or one message object). The channel is not
/// named in the file, so the conversation is named after the file.
fn import_single(
    input: &Input,
    name: &str,
    shape: Single,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    {
        let src = sink.source_mut();
        src.files = vec![name.to_owned()];
    }
    let stem = name.strip_suffix(".json").unwrap_or(name);
    let cid = text::slack_id("sl-c-", stem);
    let key = cid["sl-c-".len()..].to_owned();
    let mut c = Conversation::new(cid.clone(), "slack", ConversationKind::Unknown);
    c.title = Some(stem.to_owned());
    sink.conversation(c)?;
    sink.warn(
        "single-file",
        "a single message file names neither its channel nor its users: the conversation is named after the file and accounts hold only Slack ids",
        input.display(name),
    );
    let mut ctx = Ctx {
        names: text::Names::default(),
        custom_emoji: HashSet::new(),
        root: String::new(),
    };
    let mut ordinal = 0u64;
    let mut one = |i: Option<u64>, v: Value, sink: &mut Sink| -> Result<(), ImportError> {
        // A file named as Slack whose first element is no Slack message is another tool's JSON.
        if i == Some(0) && !v.as_object().is_some_and(is_message) {
            return Err(ImportError::invalid(
                format!("{}#/0", input.display(name)),
                "not a Slack message array: its first element has no Slack `ts`",
            ));
        }
        sink.source_message();
        let place = message::Place {
            conversation: &cid,
            key: &key,
            folder: "",
            file: name,
            pointer: i.map(|i| format!("/{i}")).unwrap_or_default(),
        };
        if let Some(m) = message::convert(&mut ctx, input, sink, &place, ordinal + 1, v)? {
            ordinal += 1;
            sink.message(&m)?;
        }
        Ok(())
    };
    match shape {
        Single::Message => {
            let bytes = input.read_small(name, SINGLE_LIMIT)?;
            let v: Value = serde_json::from_slice(skip_bom_ws(&bytes)).map_err(|e| {
                ImportError::invalid(
                    format!("{}:{}:{}", input.display(name), e.line(), e.column()),
                    format!("not a readable Slack message: {e}"),
                )
            })?;
            if !v.as_object().is_some_and(is_message) {
                return Err(ImportError::invalid(
                    format!("{}#", input.display(name)),
                    "not a Slack message: a JSON object without a Slack `ts`",
                ));
            }
            one(None, v, sink)
        }
        _ => each_element(input, name, |i, v| one(Some(i), v, sink)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_keeps_every_digit() {
        let t = ts_time("1509466512.000167").unwrap();
        assert_eq!(t.at, "2017-10-31T16:15:12.000167Z");
        assert_eq!(t.precision, Some(Precision::Microsecond));
        assert_eq!(ts_time("1509466512").unwrap().at, "2017-10-31T16:15:12Z");
        assert_eq!(
            ts_time("1509466512.5").unwrap().at,
            "2017-10-31T16:15:12.500Z"
        );
        assert!(ts_time("").is_none());
        assert!(ts_time("1.2.3").is_none());
        assert!(ts_time("-5.000001").is_none());
        assert!(ts_time("abc").is_none());
    }

    #[test]
    fn classifies_single_files() {
        assert_eq!(
            classify(br#"[{"type":"message","ts":"1.000001","text":"x"}]"#, true),
            Some(Single::Messages)
        );
        assert_eq!(
            classify(br#"{"type":"message","ts":"1.000001"}"#, true),
            Some(Single::Message)
        );
        assert_eq!(
            classify(br#"[{"id":"U1","name":"a","profile":{}}]"#, true),
            Some(Single::Listing("users.json"))
        );
        assert_eq!(
            classify(
                br#"{"name":"x","type":"personal_chat","id":1,"messages":[]}"#,
                true
            ),
            None
        );
        assert_eq!(classify(br#"[]"#, true), None);
        assert_eq!(classify(b"12/31/24, 10:00 - Ann: hi", true), None);
        assert_eq!(classify(br#"[{"type":"message","ts":"1.0"#, false), None);
    }
}

//! Meta's "Download your information" message JSON, shared by the Messenger and Instagram
//! importers: both write the same thread files and differ only in where they put them.
//!
//! A thread is a folder `<root>/messages/<inbox|archived_threads|filtered_threads|
//! message_requests|...>/<slug>/` holding `message_1.json`, `message_2.json`, ... Each file is a
//! whole object `{participants[{name}], messages[...], title, is_still_participant,
//! thread_type?, thread_path, magic_words, image?, joinable_mode?}`. Newer exports put that tree
//! under `your_facebook_activity/`, `your_activity_across_facebook/` (Messenger) or
//! `your_instagram_activity/` (Instagram).
//!
//! Order: Meta writes newest first, within a file and across files (`message_1.json` holds the
//! newest messages). The archive keeps chronological order, ordinals increasing from the oldest
//! message: a thread's files are read from the highest N down to 1, and each file's `messages`
//! array from its last element to its first. A file whose first message is strictly older than
//! its last is already chronological (a tool rewrote it) and is read front to back. Since the
//! array must be reversed, one file is read whole (Meta caps a file at about 10,000 messages);
//! memory stays bounded by one file, never by the thread or the export.
//!
//! Text: Meta writes each UTF-8 byte as its own `\u00XX` escape ("é" arrives as "Ã©"). Every
//! string (keys' values at any depth, so also names, reactions, titles and the extension data)
//! is repaired when, and only when, all its chars are at most U+00FF, at least one is above
//! U+007F, and those chars taken as bytes are valid UTF-8: then the decoded text replaces it.
//! Text already correct stays as it is: any char above U+00FF (emoji, CJK, curly quotes) means
//! the string was not mis-encoded, and Latin-1 text such as "café" or a lone "Ã" is not valid
//! UTF-8 as bytes. The repair is applied once, so a user who typed "Â°" (which Meta writes as
//! `\u00c3\u0082\u00c2\u00b0`) gets "Â°" back.
//!
//! Threads: one conversation per thread folder, `thread_path` as its platform id; its files
//! repeat the thread's keys, and the first file read (the oldest) describes it (a later file
//! that disagrees is warned about). Keys that only restate defaults are dropped: `type:
//! "Generic"`, `is_unsent: false`, and a `type` the record already shows (`Share` with its
//! embed, `Call` with its call, `Subscribe`/`Unsubscribe` with their event); every other key is
//! kept under the app's extension namespace.
//!
//! Identity: the export names people only by display name (`sender_name`, `actor`,
//! `participants[].name`); accounts are derived from the name, so two people with the same name
//! are one account, and one person renamed is two.

use crate::input::json_keys;
use crate::{ImportError, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Conversation,
    ConversationKind, Deletion, Embed, Event, EventKind, Extensions, MediaStatus, Member, Message,
    Precision, Reaction, Reactor, Time,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Which of Meta's two apps an importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum App {
    /// Facebook Messenger.
    Messenger,
    /// Instagram direct messages.
    Instagram,
}

impl App {
    fn platform(self) -> &'static str {
        match self {
            App::Messenger => "messenger",
            App::Instagram => "instagram",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            App::Messenger => "fb",
            App::Instagram => "ig",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            App::Messenger => "com.facebook.messenger",
            App::Instagram => "com.instagram",
        }
    }

    fn exporter(self) -> &'static str {
        match self {
            App::Messenger => "Facebook Download your information (Messenger JSON)",
            App::Instagram => "Instagram Download your information (messages JSON)",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Detection

/// How many bytes of a thread file detection reads.
const PEEK: usize = 16 << 10;

/// Which app's export `input` is, if it is one of Meta's message exports at all.
///
/// Both apps write identical thread files, so the evidence is, in order:
/// 1. where the files are: `your_instagram_activity/` is Instagram; `your_facebook_activity/`,
///    `your_activity_across_facebook/` or a `messages/stickers_used/` folder is Messenger;
/// 2. the same folder names at the start of the paths the file itself names (`uri`,
///    `thread_path`) in the first 16 KiB;
/// 3. keys only one app writes: Messenger's `sticker`, `gifs`, `files`, `ip`, `thread_type`;
///    Instagram's `original_content_owner` (shares of posts and reels);
/// 4. the thread folder's id after the last `_` in `thread_path`: Messenger's older ids mix
///    letters and digits (`alice_2qr6kux07q`), Instagram's are all digits;
/// 5. otherwise a file that starts like a full thread file (`participants`, `title`,
///    `thread_path`) is taken for Messenger, the older and far more common export, and a bare
///    `{"messages": [...]}` (as Instagram tools' samples are written) for Instagram.
///
/// `--from` overrides all of this when it guesses wrong.
pub(crate) fn classify(input: &Input) -> Option<App> {
    // The first thread file (of up to eight) whose start shows a message: a thread with no
    // messages, or one whose participant list fills the first 16 KiB, says nothing.
    let files = thread_files(input);
    let looks_like_thread = |head: &[u8]| {
        let keys = json_keys(head);
        let has = |k: &str| keys.iter().any(|x| x == k);
        let starts_as_object = head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        (starts_as_object && has("messages") && has("sender_name") && has("timestamp_ms"))
            .then_some(keys)
    };
    let (head, keys) = files.iter().take(8).find_map(|f| {
        [PEEK, PEEK * 16].into_iter().find_map(|n| {
            let head = input.peek(f, n).ok()?;
            let keys = looks_like_thread(strip_bom(&head))?;
            Some((head, keys))
        })
    })?;
    let head = strip_bom(&head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    // Other platforms' own keys (Telegram, Matrix, DiscordChatExporter), should one of their
    // files also carry Meta-like keys.
    if [
        "date_unixtime",
        "origin_server_ts",
        "guild",
        "personal_information",
    ]
    .iter()
    .any(|k| has(k))
    {
        return None;
    }
    // 1. The layout.
    let names = || input.entries().iter().map(|e| e.name.as_str());
    if names().any(|n| has_segment(n, "your_instagram_activity")) {
        return Some(App::Instagram);
    }
    if names().any(|n| {
        has_segment(n, "your_facebook_activity")
            || has_segment(n, "your_activity_across_facebook")
            || n.contains("messages/stickers_used/")
    }) {
        return Some(App::Messenger);
    }
    // 2. Paths inside the file.
    let text = String::from_utf8_lossy(head);
    if text.contains("your_instagram_activity/") {
        return Some(App::Instagram);
    }
    if text.contains("your_facebook_activity/")
        || text.contains("your_activity_across_facebook/")
        || text.contains("messages/stickers_used/")
    {
        return Some(App::Messenger);
    }
    // 3. Keys of one app.
    if has("original_content_owner") {
        return Some(App::Instagram);
    }
    // `thread_type` ("Regular", "RegularGroup") is written by Messenger only.
    if has("sticker") || has("gifs") || has("files") || has("ip") || has("thread_type") {
        return Some(App::Messenger);
    }
    // 4. The thread id's shape.
    if let Some(id) = thread_path_in(&text)
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .and_then(|slug| slug.rsplit_once('_'))
        .map(|(_, id)| id.to_owned())
        && !id.is_empty()
    {
        if id.bytes().any(|b| b.is_ascii_alphabetic()) {
            return Some(App::Messenger);
        }
        if id.len() >= 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            return Some(App::Instagram);
        }
    }
    // 5. The file's shape.
    if has("participants") || has("thread_path") || has("title") || has("thread_type") {
        Some(App::Messenger)
    } else {
        Some(App::Instagram)
    }
}

fn has_segment(name: &str, segment: &str) -> bool {
    name.split('/').any(|s| s == segment)
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// The value of a `"thread_path": "..."` in a (possibly cut) JSON text.
fn thread_path_in(text: &str) -> Option<String> {
    let at = text.find("\"thread_path\"")?;
    let rest = text[at + 13..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// `message_<N>.json` → N.
fn file_number(name: &str) -> Option<u64> {
    let base = name.rsplit('/').next()?;
    let n = base.strip_prefix("message_")?.strip_suffix(".json")?;
    if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// The thread files of the input, sorted by name: the input itself when it is one file,
/// otherwise every `message_N.json` (macOS zip debris left out).
fn thread_files(input: &Input) -> Vec<String> {
    if input.is_single_file() {
        return input.entries().iter().map(|e| e.name.clone()).collect();
    }
    input
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !crate::input::is_macos_metadata(n))
        .filter(|n| file_number(n).is_some())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Text repair

/// The mis-encoded text `s` decoded, or `None` when `s` is not mis-encoded (see the module
/// documentation).
pub(crate) fn repaired(s: &str) -> Option<String> {
    if s.is_ascii() || s.chars().any(|c| c as u32 > 0xFF) {
        return None;
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    match String::from_utf8(bytes) {
        Ok(t) if t != s => Some(t),
        _ => None,
    }
}

/// Repairs every string in `v`, at any depth.
fn repair_value(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(t) = repaired(s) {
                *s = t;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(repair_value),
        Value::Object(o) => o.values_mut().for_each(repair_value),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Import

/// One thread: its folder in the input and its files, highest N (oldest) first.
struct Thread {
    folder: String,
    files: Vec<String>,
}

fn threads(input: &Input) -> Vec<Thread> {
    let mut by_folder: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for name in thread_files(input) {
        let folder = match name.rfind('/') {
            Some(i) => name[..i].to_owned(),
            None => String::new(),
        };
        let n = file_number(&name).unwrap_or(1);
        by_folder.entry(folder).or_default().push((n, name));
    }
    by_folder
        .into_iter()
        .map(|(folder, mut files)| {
            files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            Thread {
                folder,
                files: files.into_iter().map(|(_, n)| n).collect(),
            }
        })
        .collect()
}

/// Reads one thread file whole (see the module documentation for why) and repairs its text.
fn read_file(input: &Input, name: &str) -> Result<Map<String, Value>, ImportError> {
    let shown = input.display(name);
    let bytes = input.read_entry(name, |r| {
        let mut buf = Vec::new();
        r.read_to_end(&mut buf)
            .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
        Ok(buf)
    })?;
    let body = strip_bom(&bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::invalid(
            format!("{shown}:1:1"),
            "the file is empty, not a Meta message file",
        ));
    }
    let mut v: Value = serde_json::from_slice(body).map_err(|e| {
        ImportError::invalid(
            format!("{shown}:{}:{}", e.line(), e.column()),
            format!("not valid JSON ({e})"),
        )
    })?;
    repair_value(&mut v);
    let Value::Object(o) = v else {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "the file is not a JSON object; Meta's message files are {\"participants\", \"messages\", ...}",
        ));
    };
    let Some(Value::Array(messages)) = o.get("messages") else {
        return Err(ImportError::invalid(
            format!("{shown}#/messages"),
            "the file has no \"messages\" array; it is not a Meta message file",
        ));
    };
    // Meta's messages carry `sender_name` and `timestamp_ms`: a file whose messages have
    // neither (another platform's export named with --from) is refused, not imported empty.
    let meta_like = |m: &Value| m.get("sender_name").is_some() || m.get("timestamp_ms").is_some();
    if messages.is_empty() {
        if !o.contains_key("participants") && !o.contains_key("thread_path") {
            return Err(ImportError::invalid(
                format!("{shown}#/messages"),
                "an empty \"messages\" array without \"participants\" or \"thread_path\": not a Meta message file",
            ));
        }
    } else if !messages.iter().any(meta_like) {
        return Err(ImportError::invalid(
            format!("{shown}#/messages/0"),
            "no message has \"sender_name\" or \"timestamp_ms\": not a Meta message file",
        ));
    }
    Ok(o)
}

/// Imports every thread of the input as `app`'s.
pub(crate) fn import(input: &Input, app: App, sink: &mut Sink) -> Result<(), ImportError> {
    let threads = threads(input);
    if threads.is_empty() {
        let html = input
            .entries()
            .iter()
            .any(|e| e.name.ends_with(".html") && e.name.contains("message_"));
        return Err(ImportError::invalid(
            input.display(""),
            if html {
                "this export holds HTML message files; chatport reads the JSON format: request the download again with the format JSON"
            } else {
                "no message_N.json thread files found; give the export folder or zip, a thread folder, or one message_N.json"
            },
        ));
    }
    {
        let src = sink.source_mut();
        src.exporter = Some(app.exporter().into());
        for t in &threads {
            src.files.extend(t.files.iter().cloned());
        }
    }
    let mut importer = Importer {
        input,
        app,
        conversation_ids: BTreeMap::new(),
    };
    for t in &threads {
        importer.thread(t, sink)?;
    }
    Ok(())
}

struct Importer<'a> {
    input: &'a Input,
    app: App,
    /// Conversation ids given so far, to keep two threads with one slug apart.
    conversation_ids: BTreeMap<String, ()>,
}

/// The parts of an id taken from a name or slug: kept when short and plain, hashed otherwise.
fn id_part(s: &str) -> String {
    if !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        s.to_owned()
    } else {
        derive_id("", &[s])
    }
}

impl Importer<'_> {
    fn ns(&self) -> &'static str {
        self.app.namespace()
    }

    fn account_id(&self, name: &str) -> String {
        format!("{}-u-{}", self.app.prefix(), derive_id("", &[name]))
    }

    /// Adds the account of a name-only person, returning its id.
    fn person(&self, sink: &mut Sink, name: &str) -> Result<String, ImportError> {
        let id = self.account_id(name);
        if !sink.has_account(&id) {
            let mut a = Account::new(id.clone(), self.app.platform());
            a.display_name = Some(name.to_owned());
            sink.account(a)?;
        }
        Ok(id)
    }

    fn thread(&mut self, t: &Thread, sink: &mut Sink) -> Result<(), ImportError> {
        let mut conv_id: Option<String> = None;
        let mut ordinal = 0u64;
        for (i, name) in t.files.iter().enumerate() {
            let mut file = read_file(self.input, name)?;
            let Some(Value::Array(messages)) = file.remove("messages") else {
                continue; // read_file checked it
            };
            let conv = match &conv_id {
                Some(c) => c.clone(),
                None => {
                    let c = self.conversation(t, name, &mut file, &messages, sink)?;
                    conv_id = Some(c.clone());
                    c
                }
            };
            if i > 0 {
                // Later files repeat the thread's keys; a difference is kept, not lost.
                self.note_differences(sink, &conv, name, &file);
            }
            let chronological = match (
                messages
                    .first()
                    .and_then(|m| m.get("timestamp_ms"))
                    .and_then(Value::as_i64),
                messages
                    .last()
                    .and_then(|m| m.get("timestamp_ms"))
                    .and_then(Value::as_i64),
            ) {
                (Some(a), Some(b)) => a < b,
                _ => false,
            };
            let order: Box<dyn Iterator<Item = (usize, Value)>> = if chronological {
                Box::new(messages.into_iter().enumerate())
            } else {
                Box::new(messages.into_iter().enumerate().rev())
            };
            for (index, m) in order {
                sink.source_message();
                let pointer = format!("/messages/{index}");
                let Value::Object(m) = m else {
                    sink.skip(
                        "not-a-message",
                        "an element of \"messages\" is not a JSON object",
                        format!("{}#{pointer}", self.input.display(name)),
                    );
                    continue;
                };
                ordinal += 1;
                self.message(sink, t, name, &conv, ordinal, pointer, m)?;
            }
        }
        Ok(())
    }

    /// Adds the thread's participants and conversation from its first file read.
    fn conversation(
        &mut self,
        t: &Thread,
        name: &str,
        file: &mut Map<String, Value>,
        messages: &[Value],
        sink: &mut Sink,
    ) -> Result<String, ImportError> {
        let p = self.app.prefix();
        let thread_path = file
            .get("thread_path")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // The thread's key: its folder's name as `thread_path` gives it, else the folder the
        // file is in, else (a lone file with neither) the names of the people in it.
        let folder_slug = t.folder.rsplit('/').next().filter(|s| !s.is_empty());
        let slug = thread_path
            .as_deref()
            .and_then(|tp| tp.rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                folder_slug
                    .filter(|_| !self.input.is_single_file())
                    .map(str::to_owned)
            });
        let mut key = match &slug {
            Some(s) => id_part(s),
            None => {
                let mut names: Vec<String> = participant_names(file);
                if names.is_empty() {
                    let mut seen: Vec<String> = messages
                        .iter()
                        .filter_map(|m| m.get("sender_name").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect();
                    seen.sort();
                    seen.dedup();
                    names = seen;
                }
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                derive_id("", &refs)
            }
        };
        let mut id = format!("{p}-c-{key}");
        if self.conversation_ids.contains_key(&id) {
            key = id_part(&derive_id("", &[&t.folder, &key]));
            id = format!("{p}-c-{key}");
        }
        self.conversation_ids.insert(id.clone(), ());

        let mut c = Conversation::new(id.clone(), self.app.platform(), ConversationKind::Unknown);
        c.platform_id = thread_path.clone();
        let mut ext = Map::new();
        // Participants: names only.
        if let Some(Value::Array(ps)) = file.remove("participants") {
            let mut odd = Vec::new();
            for part in ps {
                match part {
                    Value::Object(mut o) => {
                        let n = match o.remove("name") {
                            Some(Value::String(n)) if !n.is_empty() => n,
                            other => {
                                if let Some(v) = other {
                                    o.insert("name".into(), v);
                                }
                                odd.push(Value::Object(o));
                                continue;
                            }
                        };
                        let acc = self.person(sink, &n)?;
                        if !o.is_empty()
                            && let Some(a) = sink.account_mut(&acc)
                        {
                            a.extensions
                                .entry(self.ns().into())
                                .or_insert(Value::Object(o));
                        }
                        if !c.members.iter().any(|m| m.account == acc) {
                            c.members.push(Member {
                                account: acc,
                                roles: Vec::new(),
                                nickname: None,
                            });
                        }
                    }
                    other => odd.push(other),
                }
            }
            if !odd.is_empty() {
                ext.insert("participants".into(), Value::Array(odd));
            }
        }
        c.title = match file.remove("title") {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::String(_)) | None => None,
            Some(other) => {
                ext.insert("title".into(), other);
                None
            }
        };
        let thread_type = file.get("thread_type").and_then(Value::as_str);
        c.kind = match thread_type {
            Some("Regular") | Some("Pending") => ConversationKind::Direct,
            Some(t) if t.ends_with("Group") => ConversationKind::Group,
            _ if c.members.len() > 2 => ConversationKind::Group,
            _ if c.members.len() == 2 => ConversationKind::Direct,
            _ => ConversationKind::Unknown,
        };
        if let Some(Value::Object(mut img)) = file.remove("image") {
            match img.remove("uri") {
                Some(Value::String(uri)) => {
                    let loc = format!("{}#/image/uri", self.input.display(name));
                    let mut a = self.attach(sink, t, &uri, AttachmentKind::Image, loc)?;
                    if !img.is_empty() {
                        a.extensions.insert(self.ns().into(), Value::Object(img));
                    }
                    c.avatar = Some(a);
                }
                other => {
                    if let Some(v) = other {
                        img.insert("uri".into(), v);
                    }
                    ext.insert("image".into(), Value::Object(img));
                }
            }
        }
        // Everything else of the thread (is_still_participant, thread_type, thread_path,
        // magic_words, joinable_mode, unknown keys) is kept as written.
        for (k, v) in std::mem::take(file) {
            ext.insert(k, v);
        }
        if !ext.is_empty() {
            c.extensions.insert(self.ns().into(), Value::Object(ext));
        }
        sink.conversation(c)?;
        Ok(id)
    }

    /// A later file of a thread whose thread keys differ from the first file read: warned.
    fn note_differences(&self, sink: &mut Sink, conv: &str, name: &str, file: &Map<String, Value>) {
        let Some(c) = sink.conversation_mut(conv) else {
            return;
        };
        let known = c.extensions.get(self.ns()).and_then(Value::as_object);
        let differs = ["thread_path", "is_still_participant", "thread_type"]
            .iter()
            .any(|k| match (file.get(*k), known.and_then(|o| o.get(*k))) {
                (Some(a), Some(b)) => a != b,
                (Some(_), None) => true,
                _ => false,
            });
        if differs {
            sink.warn(
                "thread-files-disagree",
                "files of one thread folder describe the thread differently; the oldest file's description was kept",
                self.input.display(name),
            );
        }
    }

    /// Attaches the file named by a `uri` (relative to the export's root): found relative to
    /// the thread folder's ancestors (the input may be the export, a folder inside it or a zip
    /// with a top folder), or with its leading folders dropped (the input is the thread folder
    /// itself); missing otherwise. Web addresses stay remote.
    fn attach(
        &self,
        sink: &mut Sink,
        t: &Thread,
        uri: &str,
        kind: AttachmentKind,
        location: String,
    ) -> Result<Attachment, ImportError> {
        if uri.starts_with("http://") || uri.starts_with("https://") {
            let mut a = Attachment::missing(kind, None);
            a.status = MediaStatus::Remote;
            a.url = Some(uri.to_owned());
            a.original_name = uri
                .split(['?', '#'])
                .next()
                .and_then(|u| u.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            return Ok(a);
        }
        let clean = uri.replace('\\', "/");
        let parts: Vec<&str> = clean.split('/').filter(|s| !s.is_empty()).collect();
        let mut ancestors: Vec<&str> = Vec::new();
        let mut f = t.folder.as_str();
        loop {
            ancestors.push(f);
            match f.rfind('/') {
                Some(i) => f = &f[..i],
                None if !f.is_empty() => f = "",
                None => break,
            }
        }
        for k in 0..parts.len() {
            let rel = parts[k..].join("/");
            for base in &ancestors {
                if self.input.resolve(base, &rel).is_some() && !self.input.is_single_file() {
                    return sink.attach_relative(self.input, base, &rel, kind, || location);
                }
            }
        }
        sink.attach_relative(self.input, "", &clean, kind, || location)
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        sink: &mut Sink,
        t: &Thread,
        name: &str,
        conv: &str,
        ordinal: u64,
        pointer: String,
        mut raw: Map<String, Value>,
    ) -> Result<(), ImportError> {
        let ns = self.ns();
        let loc = |p: &str| format!("{}#{pointer}{p}", self.input.display(name));
        let mut ext = Map::new();
        let take_str =
            |raw: &mut Map<String, Value>, k: &str, ext: &mut Map<String, Value>| match raw
                .remove(k)
            {
                Some(Value::String(s)) => Some(s),
                Some(other) => {
                    ext.insert(k.into(), other);
                    None
                }
                None => None,
            };
        let sender_name = take_str(&mut raw, "sender_name", &mut ext).filter(|s| !s.is_empty());
        let ms = match raw.remove("timestamp_ms") {
            Some(v) => match v.as_i64() {
                Some(ms) => Some(ms),
                None => {
                    ext.insert("timestamp_ms".into(), v);
                    None
                }
            },
            None => None,
        };
        let time = ms.and_then(millis_time);
        if ms.is_some() && time.is_none() {
            ext.insert("timestamp_ms".into(), Value::from(ms));
        }
        if time.is_none() {
            sink.warn(
                "no-time",
                "a message has no usable timestamp_ms; it is kept without a time",
                loc(""),
            );
        }
        let content = take_str(&mut raw, "content", &mut ext);
        let kind = take_str(&mut raw, "type", &mut ext);
        let sender = match &sender_name {
            Some(n) => Some(self.person(sink, n)?),
            None => None,
        };

        // The id: the thread's and the millisecond, with an occurrence index for messages of
        // the same millisecond.
        let thread_key = conv.split_once("-c-").map_or(conv, |(_, k)| k).to_owned();
        let base_id = match ms {
            Some(ms) => format!("{}-m-{thread_key}-{ms}", self.app.prefix()),
            None => format!("{}-m-{thread_key}-n{ordinal}", self.app.prefix()),
        };
        let mut m = Message::new(base_id.clone(), conv, ordinal);
        m.time = time;
        m.sender = sender.clone();
        m.sender_name = sender_name.clone();
        m.origin = sink.origin_pointer(name, pointer.clone());

        // Unsent messages: Meta keeps only a placeholder line.
        match raw.remove("is_unsent") {
            Some(Value::Bool(true)) => {
                m.deleted = Some(Box::new(Deletion {
                    time: None,
                    by: sender.clone(),
                    placeholder: content.clone(),
                }));
            }
            Some(Value::Bool(false)) | None => {}
            Some(other) => {
                ext.insert("is_unsent".into(), other);
            }
        }
        let unsent = m.deleted.is_some();

        // Media.
        let lists: [(&str, AttachmentKind); 5] = [
            ("photos", AttachmentKind::Image),
            ("videos", AttachmentKind::Video),
            ("audio_files", AttachmentKind::Audio),
            ("gifs", AttachmentKind::Gif),
            ("files", AttachmentKind::File),
        ];
        for (key, akind) in lists {
            match raw.remove(key) {
                Some(Value::Array(items)) => {
                    let mut odd = Vec::new();
                    for (i, item) in items.into_iter().enumerate() {
                        match self.media_item(sink, t, item, akind, loc(&format!("/{key}/{i}")))? {
                            Ok(a) => m.attachments.push(a),
                            Err(v) => odd.push(v),
                        }
                    }
                    if !odd.is_empty() {
                        ext.insert(key.into(), Value::Array(odd));
                    }
                }
                Some(other) => {
                    ext.insert(key.into(), other);
                }
                None => {}
            }
        }
        if let Some(st) = raw.remove("sticker") {
            match self.media_item(sink, t, st, AttachmentKind::Sticker, loc("/sticker"))? {
                Ok(a) => m.attachments.push(a),
                Err(v) => {
                    ext.insert("sticker".into(), v);
                }
            }
        }

        // Shares: a link (with its text) becomes an embed.
        if let Some(share) = raw.remove("share") {
            match share {
                Value::Object(mut s) => {
                    let link = match s.remove("link") {
                        Some(Value::String(l)) if !l.is_empty() => Some(l),
                        Some(Value::String(_)) | None => None,
                        Some(other) => {
                            s.insert("link".into(), other);
                            None
                        }
                    };
                    let share_text = match s.remove("share_text") {
                        Some(Value::String(l)) if !l.is_empty() => Some(l),
                        Some(Value::String(_)) | None => None,
                        Some(other) => {
                            s.insert("share_text".into(), other);
                            None
                        }
                    };
                    let mut e = Embed {
                        url: link,
                        title: None,
                        description: share_text,
                        site_name: None,
                        image: None,
                        extensions: Extensions::new(),
                    };
                    if !s.is_empty() {
                        e.extensions.insert(ns.into(), Value::Object(s));
                    }
                    m.embeds.push(e);
                }
                other => {
                    ext.insert("share".into(), other);
                }
            }
        }

        // Calls.
        let duration = raw.remove("call_duration");
        let missed = raw.remove("missed");
        if duration.is_some() || kind.as_deref() == Some("Call") {
            let secs = duration.as_ref().and_then(Value::as_f64);
            if let Some(d) = &duration
                && secs.is_none()
            {
                ext.insert("call_duration".into(), d.clone());
            }
            let outcome = match (&missed, secs) {
                (Some(Value::Bool(true)), _) => Some(CallOutcome::Missed),
                (_, Some(s)) if s <= 0.0 => Some(CallOutcome::Missed),
                (_, Some(_)) => Some(CallOutcome::Answered),
                _ => None,
            };
            m.call = Some(Box::new(Call {
                media: CallMedia::Unknown,
                outcome,
                duration_seconds: secs.filter(|s| *s > 0.0),
                ended: None,
                participants: Vec::new(),
            }));
            match missed {
                Some(Value::Bool(_)) | None => {}
                Some(v) => {
                    ext.insert("missed".into(), v);
                }
            }
        } else if let Some(v) = missed {
            ext.insert("missed".into(), v);
        }

        // Reactions: one per emoji, with its actors in the source's order.
        match raw.remove("reactions") {
            Some(Value::Array(rs)) => {
                let mut odd = Vec::new();
                for r in rs {
                    let Value::Object(mut r) = r else {
                        odd.push(r);
                        continue;
                    };
                    let Some(Value::String(emoji)) = r.remove("reaction") else {
                        odd.push(Value::Object(r));
                        continue;
                    };
                    let actor = match r.remove("actor") {
                        Some(Value::String(a)) if !a.is_empty() => Some(a),
                        Some(Value::String(_)) | None => None,
                        Some(other) => {
                            r.insert("actor".into(), other);
                            None
                        }
                    };
                    let rtime = match r.remove("timestamp") {
                        Some(v) => match v.as_i64().and_then(crate::times::unix_seconds) {
                            Some(t) => Some(t),
                            None => {
                                r.insert("timestamp".into(), v);
                                None
                            }
                        },
                        None => None,
                    };
                    let account = match &actor {
                        Some(a) => Some(self.person(sink, a)?),
                        None => None,
                    };
                    let reactor = Reactor {
                        account,
                        name: actor,
                        time: rtime,
                    };
                    let i = match m.reactions.iter().position(|x| x.emoji == emoji) {
                        Some(i) => i,
                        None => {
                            m.reactions.push(Reaction {
                                emoji,
                                custom: None,
                                custom_id: None,
                                count: None,
                                by: Vec::new(),
                                extensions: Extensions::new(),
                            });
                            m.reactions.len() - 1
                        }
                    };
                    let reaction = &mut m.reactions[i];
                    reaction.by.push(reactor);
                    reaction.count = Some(reaction.by.len() as u64);
                    if !r.is_empty() {
                        // Extra keys of a reactor: kept per reaction, in order.
                        let list = reaction
                            .extensions
                            .entry(ns.into())
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(l) = list {
                            l.push(Value::Object(r));
                        }
                    }
                }
                if !odd.is_empty() {
                    ext.insert("reactions".into(), Value::Array(odd));
                }
            }
            Some(other) => {
                ext.insert("reactions".into(), other);
            }
            None => {}
        }

        // System messages: joins and leaves by `type`, renames and a few others by their
        // (English) wording. Localized wordings stay plain text.
        let users = match raw.remove("users") {
            Some(Value::Array(us)) => {
                let mut names = Vec::new();
                let mut odd = Vec::new();
                for u in us {
                    match u {
                        Value::Object(mut o) => match o.remove("name") {
                            Some(Value::String(n)) if !n.is_empty() && o.is_empty() => {
                                names.push(n)
                            }
                            other => {
                                if let Some(v) = other {
                                    o.insert("name".into(), v);
                                }
                                odd.push(Value::Object(o));
                            }
                        },
                        other => odd.push(other),
                    }
                }
                if !odd.is_empty() {
                    ext.insert("users".into(), Value::Array(odd));
                }
                names
            }
            Some(other) => {
                ext.insert("users".into(), other);
                Vec::new()
            }
            None => Vec::new(),
        };
        let plain = m.attachments.is_empty() && m.embeds.is_empty() && m.call.is_none() && !unsent;
        let event = match kind.as_deref() {
            Some(k @ ("Subscribe" | "Unsubscribe")) => {
                let mut targets = Vec::new();
                for u in &users {
                    targets.push(self.person(sink, u)?);
                }
                let own = targets.is_empty()
                    || (targets.len() == 1 && sender.as_ref() == targets.first());
                let ek = match (k, own) {
                    ("Subscribe", true) => EventKind::Joined,
                    ("Subscribe", false) => EventKind::Added,
                    (_, true) => EventKind::Left,
                    (_, false) => EventKind::Removed,
                };
                Some(Event {
                    platform_kind: Some(k.to_owned()),
                    actor: sender.clone(),
                    targets,
                    target_names: users.clone(),
                    text: content.clone(),
                    ..Event::new(ek)
                })
            }
            _ if plain => content
                .as_deref()
                .and_then(|c| system_text(c, sender_name.as_deref()))
                .map(|(ek, new_value)| Event {
                    platform_kind: kind.clone(),
                    actor: sender.clone(),
                    new_value,
                    text: content.clone(),
                    ..Event::new(ek)
                }),
            _ => None,
        };
        if event.is_none() && !users.is_empty() {
            ext.insert(
                "users".into(),
                Value::Array(
                    users
                        .iter()
                        .map(|u| serde_json::json!({ "name": u }))
                        .collect(),
                ),
            );
        }
        match event {
            Some(e) => m.event = Some(Box::new(e)),
            None if !unsent => m.text = content.filter(|c| !c.is_empty()),
            None => {}
        }
        match kind.as_deref() {
            None | Some("Generic") => {}
            Some("Share") if !m.embeds.is_empty() => {}
            Some("Call") if m.call.is_some() => {}
            Some("Subscribe" | "Unsubscribe") if m.event.is_some() => {}
            Some(k) => {
                ext.insert("type".into(), Value::String(k.to_owned()));
            }
        }
        // Everything not mapped (ip, is_geoblocked_for_viewer, ...), as written.
        for (k, v) in raw {
            ext.insert(k, v);
        }
        if !ext.is_empty() {
            m.extensions.insert(ns.into(), Value::Object(ext));
        }
        let mut n = 1u32;
        while !sink.message_or_taken(&m)? {
            n += 1;
            m.id = format!("{base_id}-{n}");
        }
        Ok(())
    }

    /// One element of `photos`, `videos`, ...: an attachment, or the value itself (to keep
    /// under extensions) when it has no `uri`.
    fn media_item(
        &self,
        sink: &mut Sink,
        t: &Thread,
        item: Value,
        kind: AttachmentKind,
        location: String,
    ) -> Result<Result<Attachment, Value>, ImportError> {
        let Value::Object(mut o) = item else {
            return Ok(Err(item));
        };
        let uri = match o.remove("uri") {
            Some(Value::String(u)) if !u.is_empty() => u,
            other => {
                if let Some(v) = other {
                    o.insert("uri".into(), v);
                }
                return Ok(Err(Value::Object(o)));
            }
        };
        let mut a = self.attach(sink, t, &uri, kind, location)?;
        // creation_timestamp, thumbnail and the like: kept on the attachment.
        if !o.is_empty() {
            a.extensions.insert(self.ns().into(), Value::Object(o));
        }
        Ok(Ok(a))
    }
}

fn participant_names(file: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = file
        .get("participants")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// An instant from Unix milliseconds, in UTC, written with its milliseconds.
fn millis_time(ms: i64) -> Option<Time> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    let at = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    Some(Time::instant(at).with_precision(Precision::Millisecond))
}

/// The event an English system line of Messenger or Instagram says, with its new value: only
/// lines that begin with the sender's name (or "You") and a known phrase.
fn system_text(content: &str, sender: Option<&str>) -> Option<(EventKind, Option<String>)> {
    let rest = match sender {
        Some(s) if content.starts_with(s) => &content[s.len()..],
        _ => content.strip_prefix("You")?,
    };
    let rest = rest.strip_prefix(' ')?;
    let value = |prefix: &str| -> Option<String> {
        let v = rest.strip_prefix(prefix)?;
        let v = v.strip_suffix('.').unwrap_or(v);
        (!v.is_empty()).then(|| v.to_owned())
    };
    if let Some(v) = value("named the group ").or_else(|| value("changed the group name to ")) {
        return Some((EventKind::Renamed, Some(v)));
    }
    match rest {
        "changed the group photo." => Some((EventKind::PhotoChanged, None)),
        "created the group." => Some((EventKind::Created, None)),
        "left the group." => Some((EventKind::Left, None)),
        "removed the group name." => Some((EventKind::Renamed, None)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_only_mis_encoded_text() {
        // Meta's escapes of UTF-8 bytes.
        assert_eq!(repaired("t\u{c3}\u{a6}nkt").as_deref(), Some("tænkt"));
        assert_eq!(repaired("\u{f0}\u{9f}\u{91}\u{8d}").as_deref(), Some("👍"));
        // A user's "Â°" as Meta writes it comes back once, not twice.
        assert_eq!(repaired("\u{c3}\u{82}\u{c2}\u{b0}").as_deref(), Some("Â°"));
        // Already correct text stays.
        for s in [
            "café",
            "naïve Ã",
            "👍 ok",
            "日本語",
            "“quoted”",
            "plain",
            "Ã",
            "Â",
        ] {
            assert_eq!(repaired(s), None, "{s:?}");
        }
    }

    #[test]
    fn system_lines() {
        assert_eq!(
            system_text("Ann named the group Trip.", Some("Ann")),
            Some((EventKind::Renamed, Some("Trip".into())))
        );
        assert_eq!(system_text("Ann said hi.", Some("Ann")), None);
        assert_eq!(system_text("Ann named the group Trip.", Some("Bob")), None);
    }
}

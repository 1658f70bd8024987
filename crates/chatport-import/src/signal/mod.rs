//! Signal Desktop chats, as the third-party tools that read its database write them (Signal
//! itself has no export): carderne/signal-export (`chat.md` and `data.json` per chat folder,
//! with `media/`) and tbvdm/sigtop (`export-messages` in text or JSON, one file per chat).
//!
//! The input is one such file, a chat folder, or the folder (or zip) a tool wrote with one
//! sub-folder or file per chat (sigtop's `text`, `text-short` or `json` format). Each chat becomes a conversation; in a signal-export folder
//! that holds both, `data.json` is read (it is structured) and `chat.md` is not. See
//! [`export`] and [`sigtop`] for the formats and what maps where.

mod export;
mod sigtop;

use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{Account, Conversation, ConversationKind, Member, Message, Time};

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

const PLATFORM: &str = "signal";
const NAMESPACE: &str = "org.signal";

/// The file formats read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    /// signal-export's Markdown.
    ChatMd,
    /// signal-export's JSON Lines (`data.json`).
    DataJson,
    /// sigtop's `-f text`.
    SigtopText,
    /// sigtop's `-f text-short`.
    SigtopShort,
    /// sigtop's `-f json`: raw Signal Desktop message objects.
    SigtopJson,
}

/// The format of a file from its first bytes, if it is one of Signal's.
fn classify(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let first = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| !l.trim().is_empty())?;
    if first.starts_with("Conversation: ") {
        let rest_ok = text.lines().skip(1).any(|l| l.starts_with("From: "))
            || text.lines().filter(|l| !l.trim().is_empty()).count() == 1;
        return rest_ok.then_some(Format::SigtopText);
    }
    if export::md_header(first).is_some() {
        return Some(Format::ChatMd);
    }
    if sigtop::short_header(first).is_some() {
        // Text that merely starts with a date and a name: a second line of the same form, or
        // a file of one line.
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let whole = head.len() < 16384;
        let again = lines
            .iter()
            .skip(1)
            .any(|l| sigtop::short_header(l).is_some());
        // Log files (`2024-01-15 10:00 INFO: started`) have the same shape: sigtop's names are
        // people's, and log levels are not.
        const LEVELS: [&str; 8] = [
            "INFO", "WARN", "WARNING", "ERROR", "DEBUG", "TRACE", "FATAL", "NOTICE",
        ];
        let logs = lines
            .iter()
            .filter_map(|l| sigtop::short_header(l))
            .any(|(_, _, name, _)| LEVELS.contains(&name.trim()));
        return (!logs && (again || whole && lines.len() == 1)).then_some(Format::SigtopShort);
    }
    let has = |k: &str| text.contains(k);
    if first.starts_with('{') {
        // Python's json.dumps of signal-export's Message dataclass: `date` first, then
        // `sender` and `body`.
        return (first.starts_with("{\"date\": \"") && has("\"sender\": ") && has("\"body\": "))
            .then_some(Format::DataJson);
    }
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('[') {
        let rest = rest.trim_start();
        if rest.starts_with('{')
            && has("\"sent_at\"")
            && (has("\"conversationId\"") || has("\"received_at\""))
        {
            return Some(Format::SigtopJson);
        }
    }
    None
}

/// One chat file to read, and the chat's name where the layout gives one.
#[derive(Debug, Clone)]
struct Unit {
    format: Format,
    entry: String,
    title: Option<String>,
    /// Other files of the same chat that were not read (chat.md beside data.json).
    alongside: Vec<String>,
}

fn base_name(entry: &str) -> &str {
    entry.rsplit('/').next().unwrap_or(entry)
}

fn folder(entry: &str) -> &str {
    entry.rsplit_once('/').map_or("", |(d, _)| d)
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn ignored(name: &str) -> bool {
    crate::input::is_macos_metadata(name)
        || name
            .split('/')
            .any(|s| s == "media" || s == "exported_stickers")
}

/// The chat files of an input. `limit` bounds how many files are peeked (detection).
fn units(input: &Input, limit: usize) -> Vec<Unit> {
    let peek = |name: &str| input.peek(name, 16384).ok().and_then(|b| classify(&b));
    if input.is_single_file() {
        let Some(e) = input.entries().first() else {
            return Vec::new();
        };
        let Some(format) = peek(&e.name) else {
            return Vec::new();
        };
        let file = base_name(&e.name);
        let title = if matches!(file, "chat.md" | "data.json") {
            input.path().canonicalize().ok().and_then(|p| {
                p.parent()?
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
        } else {
            Some(stem(file).to_owned())
        };
        return vec![Unit {
            format,
            entry: e.name.clone(),
            title,
            alongside: Vec::new(),
        }];
    }
    let mut out = Vec::new();
    let mut peeked = 0;
    let names: Vec<&str> = input
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !ignored(n))
        .collect();
    // signal-export: a folder per chat with data.json and/or chat.md.
    let mut done_dirs: Vec<&str> = Vec::new();
    for n in &names {
        let file = base_name(n);
        if file != "data.json" && file != "chat.md" {
            continue;
        }
        let dir = folder(n);
        if done_dirs.contains(&dir) {
            continue;
        }
        if peeked >= limit {
            break;
        }
        let json = if dir.is_empty() {
            "data.json".to_owned()
        } else {
            format!("{dir}/data.json")
        };
        let md = if dir.is_empty() {
            "chat.md".to_owned()
        } else {
            format!("{dir}/chat.md")
        };
        let title = if dir.is_empty() {
            input
                .path()
                .file_name()
                .map(|n| stem(&n.to_string_lossy()).to_owned())
        } else {
            Some(base_name(dir).to_owned())
        };
        peeked += 1;
        let has_md = input.entry(&md).is_some();
        if input.entry(&json).is_some() && peek(&json) == Some(Format::DataJson) {
            out.push(Unit {
                format: Format::DataJson,
                entry: json,
                title,
                alongside: if has_md { vec![md] } else { Vec::new() },
            });
            done_dirs.push(dir);
        } else if has_md && peek(&md) == Some(Format::ChatMd) {
            out.push(Unit {
                format: Format::ChatMd,
                entry: md,
                title,
                alongside: Vec::new(),
            });
            done_dirs.push(dir);
        }
    }
    // sigtop: a file per chat.
    for n in &names {
        let file = base_name(n);
        if matches!(file, "data.json" | "chat.md") {
            continue;
        }
        let lower = file.to_ascii_lowercase();
        if !(lower.ends_with(".txt") || lower.ends_with(".json")) {
            continue;
        }
        if peeked >= limit {
            break;
        }
        peeked += 1;
        if let Some(f @ (Format::SigtopText | Format::SigtopShort | Format::SigtopJson)) = peek(n) {
            out.push(Unit {
                format: f,
                entry: (*n).to_owned(),
                title: Some(stem(file).to_owned()),
                alongside: Vec::new(),
            });
        }
    }
    out
}

/// True for a signal-export `chat.md`/`data.json` or a sigtop text/JSON file, or a folder or
/// zip of them.
pub(crate) fn sniff(input: &Input) -> bool {
    !units(input, 3).is_empty()
}

/// The chat being written: its id, ordinal counter, and the occurrence counts of the minute or
/// second being written (for derived message ids).
struct Chat {
    id: String,
    file: String,
    shown: String,
    base: String,
    ordinal: u64,
    members: Vec<String>,
    occurrences: crate::occurrence::Occurrences,
}

impl Chat {
    fn next_ordinal(&mut self) -> u64 {
        self.ordinal += 1;
        self.ordinal
    }

    fn member(&mut self, account: &str) {
        if !self.members.iter().any(|m| m == account) {
            self.members.push(account.to_owned());
        }
    }

    /// Writes a message that has no id of its own: the id is derived from the conversation,
    /// the time text, the sender, the text and the occurrence of identical earlier messages at
    /// that time (spec section 5.6).
    fn write_derived(
        &mut self,
        sink: &mut Sink,
        m: &mut Message,
        sender: &str,
        text: &str,
    ) -> Result<(), ImportError> {
        let at = m
            .time
            .as_ref()
            .map(|t| t.local.clone().unwrap_or_else(|| t.at.clone()))
            .unwrap_or_default();
        let id = self.id.clone();
        self.occurrences
            .write(sink, m, &at, &[sender, text], |occurrence| {
                derive_id("sg-m-", &[&id, &at, sender, text, &occurrence.to_string()])
            })
    }
}

/// The id of the exporting user's account in exports that call them `Me` / `You`.
const SELF_ID: &str = "sg-a-me";

/// A line that does not start a message: it continues the message being read (`body`), or,
/// before the first message, shows the file is not of its format (`expected` says what it
/// should look like; `at` gives the line's location, made only for the error).
fn continuation(
    body: Option<&mut String>,
    line: &str,
    at: impl FnOnce() -> String,
    expected: &str,
) -> Result<(), ImportError> {
    match body {
        Some(b) => {
            b.push('\n');
            b.push_str(line);
            Ok(())
        }
        None if line.trim().is_empty() => Ok(()),
        None => Err(ImportError::invalid(at(), expected)),
    }
}

/// The account for a display name (`Me` is the exporting user), added when new.
fn named_account(sink: &mut Sink, name: &str, is_self: bool) -> Result<String, ImportError> {
    let id = if is_self {
        SELF_ID.to_owned()
    } else {
        derive_id("sg-a-", &[name])
    };
    if !sink.has_account(&id) {
        let mut a = Account::new(&id, PLATFORM);
        a.display_name = Some(name.to_owned());
        if is_self {
            a.is_self = Some(true);
        }
        sink.account(a)?;
    }
    Ok(id)
}

/// A local time with a fraction of a second (`2024-03-05T10:00:00.123`), or `local`'s output
/// when there is none.
fn local_time(
    dt: jiff::civil::DateTime,
    seconds: bool,
    original: &str,
    zone: Option<&crate::Zone>,
) -> Time {
    let mut t = crate::times::local(dt, seconds, original, zone);
    let ms = dt.subsec_nanosecond() / 1_000_000;
    if seconds && ms != 0 {
        let frac = format!(".{ms:03}");
        t.at.insert_str(19, &frac);
        if let Some(l) = t.local.as_mut() {
            l.push_str(&frac);
        }
        t = t.with_precision(chatport_model::Precision::Millisecond);
    }
    t
}

/// Imports Signal chats.
pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let units = units(input, usize::MAX);
    if units.is_empty() {
        let shown = match input.entries().first() {
            Some(e) if input.is_single_file() => input.display(&e.name),
            _ => input.path().display().to_string(),
        };
        let message = if input.is_single_file() {
            match input.entries().first().map(|e| input.peek(&e.name, 4096)) {
                Some(Ok(b)) if b.iter().all(u8::is_ascii_whitespace) || b.len() <= 3 => {
                    "the file is empty"
                }
                _ => {
                    "not a Signal export: expected signal-export's chat.md (`[YYYY-MM-DD HH:MM:SS] Name: text`) or data.json (JSON Lines), or sigtop's text (`Conversation: …`) or JSON output"
                }
            }
        } else {
            "no Signal chat here: expected signal-export chat folders (chat.md / data.json) or sigtop's text or JSON files"
        };
        return Err(ImportError::invalid(format!("{shown}:1"), message));
    }
    {
        let src = sink.source_mut();
        let mut exporters: Vec<&str> = units
            .iter()
            .map(|u| match u.format {
                Format::ChatMd | Format::DataJson => "signal-export",
                Format::SigtopText | Format::SigtopShort | Format::SigtopJson => "sigtop",
            })
            .collect();
        exporters.dedup();
        src.exporter = Some(exporters.join(", "));
        src.files = if input.is_single_file() {
            units.iter().map(|u| u.entry.clone()).collect()
        } else {
            vec![
                input
                    .path()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ]
        };
        let mut ext = serde_json::Map::new();
        let files: Vec<serde_json::Value> = units
            .iter()
            .map(|u| {
                let mut o = serde_json::Map::new();
                o.insert("file".into(), u.entry.clone().into());
                o.insert(
                    "format".into(),
                    match u.format {
                        Format::ChatMd => "signal-export chat.md",
                        Format::DataJson => "signal-export data.json",
                        Format::SigtopText => "sigtop text",
                        Format::SigtopShort => "sigtop text-short",
                        Format::SigtopJson => "sigtop json",
                    }
                    .into(),
                );
                if !u.alongside.is_empty() {
                    o.insert("not_read".into(), u.alongside.clone().into());
                }
                o.into()
            })
            .collect();
        ext.insert("chats".into(), files.into());
        src.extensions.insert(NAMESPACE.into(), ext.into());
    }
    if units.len() == 1 {
        sink.header_mut().title = units[0].title.clone();
    }
    for u in &units {
        let title = u.title.clone();
        let key = title.clone().unwrap_or_else(|| u.entry.clone());
        let mut chat = Chat {
            id: derive_id("sg-c-", &[&key]),
            file: u.entry.clone(),
            shown: input.display(&u.entry),
            base: folder(&u.entry).to_owned(),
            ordinal: 0,
            members: Vec::new(),
            occurrences: Default::default(),
        };
        // sigtop JSON carries the conversation's own id: the chat is keyed by it.
        let mut kind = ConversationKind::Unknown;
        let mut conv_title = title;
        let mut platform_id = None;
        let mut ext = serde_json::Map::new();
        match u.format {
            Format::ChatMd | Format::DataJson | Format::SigtopShort => {}
            Format::SigtopText => {
                if let Some(h) = sigtop::text_header(input, &u.entry)? {
                    conv_title = Some(h.clone());
                    ext.insert("conversation".into(), h.into());
                }
            }
            Format::SigtopJson => {
                if let Some(cid) = sigtop::json_conversation_id(input, &u.entry)? {
                    chat.id = derive_id("sg-c-", &["id", &cid]);
                    platform_id = Some(cid);
                }
            }
        }
        if sink.has_conversation(&chat.id) {
            // Two files of one chat (a re-export beside the first): keep them apart.
            chat.id = derive_id("sg-c-", &[&key, &u.entry]);
        }
        let mut c = Conversation::new(&chat.id, PLATFORM, kind);
        c.title = conv_title;
        c.platform_id = platform_id;
        if !ext.is_empty() {
            c.extensions.insert(NAMESPACE.into(), ext.into());
        }
        sink.conversation(c)?;
        match u.format {
            Format::ChatMd => export::import_md(input, options, sink, &mut chat)?,
            Format::DataJson => export::import_json(input, options, sink, &mut chat)?,
            Format::SigtopText => sigtop::import_text(input, options, sink, &mut chat)?,
            Format::SigtopShort => sigtop::import_short(input, options, sink, &mut chat)?,
            Format::SigtopJson => sigtop::import_json(input, options, sink, &mut chat)?,
        }
        let others = chat.members.iter().filter(|m| *m != SELF_ID).count();
        if chat.members.len() > 2 || others > 1 {
            kind = ConversationKind::Group;
        } else if chat.members.len() == 2 {
            kind = ConversationKind::Direct;
        }
        if let Some(c) = sink.conversation_mut(&chat.id) {
            if c.kind == ConversationKind::Unknown {
                c.kind = kind;
            }
            c.members = chat
                .members
                .iter()
                .map(|a| Member {
                    account: a.clone(),
                    roles: Vec::new(),
                    nickname: None,
                })
                .collect();
        }
    }
    Ok(())
}

//! The WeChat exporters' importer: the files that third-party tools already wrote from a
//! WeChat database the user holds. chatport decrypts nothing and opens no database; it reads:
//!
//! - WeChatMsg / MemoTrace (留痕) CSV, `<remark>_utf8.csv` (see [`csv`]): one row per message
//!   with WeChat's raw type codes, `CreateTime` (Unix seconds) and the raw content column;
//! - WeChatMsg / MemoTrace TXT, `<remark>.txt` (see [`txt`]): `StrTime name` header lines and
//!   bodies with placeholders, `引用:` quotes and indented link cards;
//! - WeFlow JSON (see [`weflow`]): `{weflow, session, avatars, messages}`.
//!
//! The input is one such file, or a folder or zip holding several (a MemoTrace export folder
//! `<remark>(<wxid>)/` with `image/`, `voice/`, … beside the CSV). Where a folder holds both a
//! CSV and a TXT of the same chat, the CSV is read (it carries ids, type codes and instants) and
//! the TXT reported as not read.

mod content;
mod csv;
mod txt;
mod weflow;
mod xml;

use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{Account, Conversation, ConversationKind, Member};
use std::collections::BTreeMap;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

/// The platform's name in archives.
const PLATFORM: &str = "wechat";
/// The extension namespace for WeChat data the model has no field for.
const NS: &str = "com.tencent.wechat";

/// Which of the exporters' outputs a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Csv,
    Txt,
    WeFlow,
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// What the first few KB of a file say it is, if any of the three.
fn classify(head: &[u8]) -> Option<Kind> {
    let b = strip_bom(head);
    if csv::looks_like(b) {
        return Some(Kind::Csv);
    }
    if weflow::looks_like(b) {
        return Some(Kind::WeFlow);
    }
    if txt::looks_like(b) {
        return Some(Kind::Txt);
    }
    None
}

/// The input's files by kind; names inside `__MACOSX` and `._` files are not looked at.
fn candidates(input: &Input, limit: usize) -> Vec<(String, Kind)> {
    let mut out = Vec::new();
    for e in input.entries() {
        if out.len() >= limit {
            break;
        }
        let n = e.name.as_str();
        if crate::input::is_macos_metadata(n) {
            continue;
        }
        let lower = n.to_ascii_lowercase();
        let known_ending =
            lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".json");
        if !input.is_single_file() && !known_ending {
            continue;
        }
        if let Ok(b) = input.peek(n, 4096)
            && let Some(k) = classify(&b)
        {
            out.push((n.to_owned(), k));
        }
    }
    out
}

pub(crate) fn sniff(input: &Input) -> bool {
    if input.is_single_file() {
        return !candidates(input, 1).is_empty();
    }
    // A folder or zip: a MemoTrace folder names its CSV and TXT after the chat; only a handful
    // of entries are peeked.
    let few: Vec<&str> = input
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.ends_with(".csv") || l.ends_with(".txt") || l.ends_with(".json")
        })
        .take(4)
        .collect();
    few.iter()
        .any(|n| input.peek(n, 4096).is_ok_and(|b| classify(&b).is_some()))
}

pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let mut files = candidates(input, usize::MAX);
    if files.is_empty() {
        let shown = input
            .entries()
            .first()
            .map(|e| input.display(&e.name))
            .unwrap_or_else(|| input.path().display().to_string());
        return Err(ImportError::invalid(
            format!("{shown}:1:1"),
            "not a WeChat exporter's output: expected a WeChatMsg/MemoTrace CSV (header localId,TalkerId,Type,…), its TXT (\"YYYY-MM-DD HH:MM:SS name\" lines) or a WeFlow JSON ({\"weflow\": …})",
        ));
    }
    // A folder holding a CSV: its TXT (the same chat, with less in it) is not read.
    let csv_folders: Vec<String> = files
        .iter()
        .filter(|(_, k)| *k == Kind::Csv)
        .map(|(n, _)| folder_of(n).to_owned())
        .collect();
    files.retain(|(n, k)| {
        let keep = *k != Kind::Txt || !csv_folders.iter().any(|f| f == folder_of(n));
        if !keep {
            sink.warn(
                "wechat-txt-beside-csv",
                "a TXT export beside a CSV export of the same chat was not read (the CSV carries ids, type codes and exact times)",
                input.display(n),
            );
        }
        keep
    });
    let mut exporters: Vec<&str> = files
        .iter()
        .map(|(_, k)| match k {
            Kind::Csv | Kind::Txt => "WeChatMsg/MemoTrace",
            Kind::WeFlow => "WeFlow",
        })
        .collect();
    exporters.sort_unstable();
    exporters.dedup();
    {
        let src = sink.source_mut();
        src.exporter = Some(exporters.join(", "));
        for (n, _) in &files {
            src.files.push(n.clone());
        }
    }
    let mut offsets = std::collections::BTreeSet::new();
    for (name, kind) in &files {
        match kind {
            Kind::Csv => csv::import_file(input, name, options, sink, &mut offsets)?,
            Kind::Txt => txt::import_file(input, name, options, sink)?,
            Kind::WeFlow => weflow::import_file(input, name, options, sink, &mut offsets)?,
        }
    }
    if !offsets.is_empty() {
        // The export machine's UTC offsets, as StrTime against CreateTime shows them.
        let list: Vec<serde_json::Value> = offsets
            .into_iter()
            .map(|s: i64| serde_json::Value::String(offset_text(s)))
            .collect();
        sink.source_mut()
            .extensions
            .insert(NS.into(), serde_json::json!({ "strtime_offsets": list }));
    }
    Ok(())
}

/// `+08:00` for 28800 seconds.
fn offset_text(secs: i64) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// The folder part of an entry name (`""` at the top).
fn folder_of(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The name of the folder that holds `entry`: its parent inside a folder or zip, or the parent
/// folder of a single file.
fn holder_name(input: &Input, entry: &str) -> Option<String> {
    match folder_of(entry) {
        "" if input.is_single_file() => input
            .path()
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        "" => input
            .path()
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned()),
        d => Some(d.rsplit('/').next().unwrap_or(d).to_owned()),
    }
}

/// True for a text usable inside an id as is: WeChat ids (`wxid_…`, `…@chatroom`, custom
/// aliases) are short ASCII.
fn id_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'@' | b'.'))
}

/// The wxid MemoTrace puts in its folder name, `<remark>(<wxid>)`, and the remark.
fn folder_wxid(folder: &str) -> Option<(String, String)> {
    let inner = folder.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let wxid = &inner[open + 1..];
    id_safe(wxid).then(|| (inner[..open].trim().to_owned(), wxid.to_owned()))
}

/// One chat being imported: its conversation, the accounts met, the next ordinal.
struct Chat {
    /// The part of ids that names the chat: a wxid, or a hash of the file's name.
    key: String,
    conv: String,
    ordinal: u64,
    /// Account id -> true for the exporting user's.
    members: BTreeMap<String, bool>,
    /// The chat is known to be a group (its id ends in `@chatroom`, or WeFlow said so).
    group: Option<bool>,
    /// The format marks the user's own messages (CSV, WeFlow; the TXT does not).
    pub(super) marks_self: bool,
    /// Occurrence counts for the TXT's derived message ids.
    pub(super) occurrences: crate::occurrence::Occurrences,
}

impl Chat {
    /// Adds the conversation of the chat in `entry`: its id from the wxid in the folder name
    /// (`<remark>(<wxid>)`), or `given` (WeFlow's session), or a hash of the file's name.
    fn start(
        input: &Input,
        entry: &str,
        given: Option<&str>,
        title: Option<String>,
        sink: &mut Sink,
    ) -> Result<Chat, ImportError> {
        let file = entry.rsplit('/').next().unwrap_or(entry);
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        let stem = stem.strip_suffix("_utf8").unwrap_or(stem);
        let from_folder = holder_name(input, entry).and_then(|f| folder_wxid(&f));
        let (key, platform_id, title) = match (given.filter(|g| !g.is_empty()), from_folder) {
            (Some(g), _) => {
                let key = if id_safe(g) {
                    g.to_owned()
                } else {
                    chatport_model::ids::derive_id("h", &[g])
                };
                (key, Some(g.to_owned()), title)
            }
            (None, Some((remark, wxid))) => (
                wxid.clone(),
                Some(wxid),
                title.or(Some(remark).filter(|r| !r.is_empty())),
            ),
            (None, None) => (
                chatport_model::ids::derive_id("h", &[entry]),
                None,
                title.or(Some(stem.to_owned()).filter(|s| !s.is_empty())),
            ),
        };
        let mut conv_id = format!("wx-c-{key}");
        let mut key = key;
        // Two files of one chat (a re-export beside the first) become two conversations.
        let mut n = 1;
        while sink.has_conversation(&conv_id) {
            n += 1;
            key = format!("{}~{n}", key.split('~').next().unwrap_or(&key));
            conv_id = format!("wx-c-{key}");
        }
        let group = platform_id.as_deref().map(|p| p.ends_with("@chatroom"));
        let mut c = Conversation::new(conv_id.clone(), PLATFORM, ConversationKind::Unknown);
        c.platform_id = platform_id;
        c.title = title;
        sink.conversation(c)?;
        Ok(Chat {
            key,
            conv: conv_id,
            ordinal: 0,
            members: BTreeMap::new(),
            group: group.filter(|g| *g),
            marks_self: true,
            occurrences: Default::default(),
        })
    }

    fn next_ordinal(&mut self) -> u64 {
        self.ordinal += 1;
        self.ordinal
    }

    /// The account for a sender: by wxid where there is one, else by name. `None` for a
    /// sender column that names the group itself or nothing.
    fn sender(
        &mut self,
        sink: &mut Sink,
        wxid: &str,
        nickname: &str,
        remark: &str,
        is_self: bool,
    ) -> Result<Option<String>, ImportError> {
        let wxid = wxid.trim();
        if wxid.ends_with("@chatroom") {
            return Ok(None);
        }
        let (id, platform_id) = if !wxid.is_empty() {
            let id = if id_safe(wxid) {
                format!("wx-u-{wxid}")
            } else {
                chatport_model::ids::derive_id("wx-u-", &[wxid])
            };
            (id, Some(wxid.to_owned()))
        } else if !nickname.is_empty() || !remark.is_empty() {
            let name = if nickname.is_empty() {
                remark
            } else {
                nickname
            };
            (chatport_model::ids::derive_id("wx-u-n-", &[name]), None)
        } else {
            return Ok(None);
        };
        if !sink.has_account(&id) || is_self {
            let mut a = Account::new(id.clone(), PLATFORM);
            a.platform_id = platform_id;
            let (display, other) = match (nickname.is_empty(), remark.is_empty()) {
                (false, _) => (Some(nickname), Some(remark).filter(|r| !r.is_empty())),
                (true, false) => (Some(remark), None),
                (true, true) => (None, None),
            };
            a.display_name = display.map(str::to_owned);
            if let Some(o) = other
                && Some(o) != display
            {
                a.other_names.push(o.to_owned());
            }
            if is_self {
                a.is_self = Some(true);
            }
            sink.account(a)?;
        } else if let Some(known) = sink.account_mut(&id) {
            // A name not seen before (renamed, or another remark) joins other_names.
            for n in [nickname, remark] {
                if !n.is_empty()
                    && known.display_name.as_deref() != Some(n)
                    && !known.other_names.iter().any(|o| o == n)
                {
                    known.other_names.push(n.to_owned());
                }
            }
        }
        let e = self.members.entry(id.clone()).or_insert(false);
        *e |= is_self;
        Ok(Some(id))
    }

    /// Sets the conversation's kind and members from what was read.
    fn finish(self, sink: &mut Sink, weflow_group: Option<bool>) {
        let others = self.members.values().filter(|s| !**s).count();
        let kind = match (self.group.or(weflow_group), others) {
            (Some(true), _) => ConversationKind::Group,
            (Some(false), _) => ConversationKind::Direct,
            // Without the user marked, two names may be a 1:1 chat or a group where two spoke.
            (None, n) if n >= 3 || (n == 2 && self.marks_self) => ConversationKind::Group,
            (None, 1) if self.marks_self && self.members.len() <= 2 => ConversationKind::Direct,
            _ => ConversationKind::Unknown,
        };
        if let Some(c) = sink.conversation_mut(&self.conv) {
            c.kind = kind;
            c.members = self
                .members
                .keys()
                .map(|a| Member {
                    account: a.clone(),
                    roles: Vec::new(),
                    nickname: None,
                })
                .collect();
        }
    }
}

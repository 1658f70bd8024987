//! The DiscordChatExporter (Tyrrrz/DiscordChatExporter) JSON importer.
//!
//! DCE writes one JSON file per channel, thread or DM: a root object with `guild`, `channel`,
//! `dateRange`, `exportedAt` (2023+), `messages` and `messageCount`. The input may be one such
//! file, or a folder or zip holding several (with their `<name>.json_Files` media folders).
//! Files of the same channel (`--partition` parts `name [part 1].json`, `[part 2]`, ..., or
//! re-exports) join into one conversation in part order, messages already written skipped as
//! duplicates. Channels come before threads so that a thread can name its parent.
//!
//! Each file is read twice: once up to `messages` (its head, a few hundred bytes) to group and
//! order the files, then in full, streaming: each element of `messages` is parsed into a typed
//! [`raw::RawMessage`] and handed to the sink before the next is read.

mod convert;
mod raw;

use crate::times::Zone;
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{ConversationKind, Coverage, Space, Time};
use raw::{BodySeed, Extra, Head, HeadSeed};
use serde::de::DeserializeSeed;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};

/// The extension namespace for Discord data the model has no field for.
const NS: &str = "com.discord";

pub(crate) fn sniff(input: &Input) -> bool {
    candidates(input)
        .into_iter()
        .take(3)
        .any(|name| input.peek(&name, 4096).is_ok_and(|b| looks_like_dce(&b)))
}

/// DCE writes `guild` as the first key of the root object, and `channel` soon after.
fn looks_like_dce(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let skip = |b: &[u8], i: usize| {
        b[i.min(b.len())..]
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map(|p| p + i)
    };
    let Some(i) = skip(b, 0) else { return false };
    if b[i] != b'{' {
        return false;
    }
    let Some(j) = skip(b, i + 1) else {
        return false;
    };
    b[j..].starts_with(b"\"guild\"") && memchr::memmem::find(b, b"\"channel\"").is_some()
}

/// The input's `.json` entries that may be channel exports: not inside a `*_Files` media folder
/// (stickers in Lottie format are `.json` files there), not macOS zip debris.
fn candidates(input: &Input) -> Vec<String> {
    if input.is_single_file() {
        // A single file is what the user named, whatever its ending.
        return input.entries().iter().map(|e| e.name.clone()).collect();
    }
    input
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| n.to_ascii_lowercase().ends_with(".json"))
        .filter(|n| {
            let segs: Vec<&str> = n.split('/').collect();
            let (last, dirs) = segs.split_last().expect("split gives one segment");
            !last.starts_with("._")
                && !dirs.iter().any(|d| {
                    let d = d.to_ascii_lowercase();
                    d.ends_with("_files") || d == "__macosx"
                })
        })
        .map(str::to_owned)
        .collect()
}

/// Skips a UTF-8 byte order mark, which serde_json does not accept.
fn without_bom<'a>(r: &'a mut dyn Read, shown: &str) -> Result<impl Read + 'a, ImportError> {
    let mut first = [0u8; 3];
    let mut n = 0;
    while n < 3 {
        match r.read(&mut first[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ImportError::io_shown(shown.to_owned(), e)),
        }
    }
    let keep = if n == 3 && first == *b"\xEF\xBB\xBF" {
        Vec::new()
    } else {
        first[..n].to_vec()
    };
    Ok(std::io::Cursor::new(keep).chain(r))
}

fn json_error(shown: &str, e: &serde_json::Error) -> ImportError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the location says it already.
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    ImportError::invalid(
        format!("{shown}:{}:{}", e.line(), e.column()),
        format!("not a readable DiscordChatExporter JSON export: {msg}"),
    )
}

fn read_head(input: &Input, name: &str) -> Result<Head, ImportError> {
    let shown = input.display(name);
    input.read_entry(name, |r| {
        let r = without_bom(r, &shown)?;
        let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 << 10, r));
        let mut head = Head::default();
        let mut stopped = false;
        let res = HeadSeed {
            head: &mut head,
            stopped: &mut stopped,
        }
        .deserialize(&mut de);
        match res {
            Ok(()) => de.end().map_err(|e| json_error(&shown, &e))?,
            Err(_) if stopped => {}
            Err(e) => return Err(json_error(&shown, &e)),
        }
        Ok(head)
    })
}

/// One channel export file, read up to its messages.
struct FileMeta {
    entry: String,
    head: Head,
    part: Option<u64>,
}

/// `name [part 12].json` -> 12.
fn part_number(entry: &str) -> Option<u64> {
    let file = entry.rsplit('/').next().unwrap_or(entry);
    let stem = file.get(..file.len().checked_sub(5)?)?;
    let stem = stem.strip_suffix(']')?;
    let open = stem.rfind("[part ")?;
    stem[open + 6..].trim().parse().ok()
}

fn is_thread_kind(kind: Option<&str>) -> bool {
    matches!(kind, Some(k) if k.contains("Thread") || matches!(k, "10" | "11" | "12"))
}

fn conversation_kind(kind: Option<&str>) -> ConversationKind {
    match kind.unwrap_or("") {
        "DirectTextChat" | "1" => ConversationKind::Direct,
        "DirectGroupTextChat" | "3" => ConversationKind::Group,
        k if is_thread_kind(Some(k)) => ConversationKind::Thread,
        "GuildTextChat" | "GuildNews" | "GuildNewsChat" | "GuildAnnouncement" | "announcement"
        | "GuildVoiceChat" | "GuildStageVoice" | "GuildForum" | "GuildMedia" | "GuildCategory"
        | "GuildDirectory" | "0" | "2" | "4" | "5" | "13" | "14" | "15" | "16" => {
            ConversationKind::Channel
        }
        _ => ConversationKind::Unknown,
    }
}

/// A time as DCE writes it: ISO 8601 with the exporting machine's offset (kept), fractions of
/// any length. Without an offset (hand-edited files) it is a local time, `assumed` with `--tz`.
pub(crate) fn parse_time(s: &str, zone: Option<&Zone>) -> Option<Time> {
    if let Some(t) = crate::times::instant_text(s) {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    Some(crate::times::local(dt, true, s, zone))
}

pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let mut metas = Vec::new();
    for name in candidates(input) {
        let shown = input.display(&name);
        let dce_like = || input.peek(&name, 4096).is_ok_and(|b| looks_like_dce(&b));
        match read_head(input, &name) {
            Ok(head) if head.channel.as_ref().and_then(|c| c.id.as_ref()).is_some() => {
                let part = part_number(&name);
                metas.push(FileMeta {
                    entry: name,
                    head,
                    part,
                });
            }
            Ok(_) if input.is_single_file() || dce_like() => {
                return Err(ImportError::invalid(
                    format!("{shown}#/channel"),
                    "no channel id: not a DiscordChatExporter channel export",
                ));
            }
            Err(e) if input.is_single_file() || dce_like() => return Err(e),
            _ => sink.warn(
                "not-a-channel-export",
                "a .json file that is not a DiscordChatExporter channel export; ignored",
                shown,
            ),
        }
    }
    if metas.is_empty() {
        return Err(ImportError::invalid(
            input.path().display().to_string(),
            "no DiscordChatExporter channel export (a .json file with guild, channel and messages) in this input",
        ));
    }

    // Group the files by channel; channels before threads, then by file name.
    let mut groups: BTreeMap<String, Vec<FileMeta>> = BTreeMap::new();
    for m in metas {
        let id = m
            .head
            .channel
            .as_ref()
            .and_then(|c| c.id.clone())
            .unwrap_or_default();
        groups.entry(id).or_default().push(m);
    }
    let mut groups: Vec<(String, Vec<FileMeta>)> = groups.into_iter().collect();
    for (_, files) in &mut groups {
        // Parts in part order; re-exports of one channel oldest first where they say when they
        // were made (2023+), else by name.
        files.sort_by_cached_key(|f| {
            let exported = f
                .head
                .exported_at
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            (f.part.unwrap_or(0), exported, f.entry.clone())
        });
    }
    groups.sort_by(|(_, a), (_, b)| {
        let key = |f: &Vec<FileMeta>| {
            (
                is_thread_kind(f[0].head.channel.as_ref().and_then(|c| c.kind.as_deref())),
                f[0].entry.clone(),
            )
        };
        key(a).cmp(&key(b))
    });

    {
        let src = sink.source_mut();
        src.exporter = Some("DiscordChatExporter".into());
        for (_, files) in &groups {
            for f in files {
                src.files.push(f.entry.clone());
            }
        }
        let mut ext = serde_json::Map::new();
        ext.insert(
            "content_markup".into(),
            Value::String(
                "discord-markdown: message text is kept as written; only mentions and custom emoji are marked as spans"
                    .into(),
            ),
        );
        src.extensions.insert(NS.into(), Value::Object(ext));
    }
    let exported = groups.iter().flat_map(|(_, f)| f.iter()).find_map(|f| {
        f.head
            .exported_at
            .as_deref()
            .and_then(|t| parse_time(t, None))
    });
    sink.source_mut().exported = exported;

    let zone = options.tz.as_ref();
    for (channel_id, files) in groups {
        import_channel(input, sink, zone, channel_id, files)?;
    }
    Ok(())
}

/// Imports the files of one channel (its parts, or overlapping re-exports) into one conversation.
fn import_channel(
    input: &Input,
    sink: &mut Sink,
    zone: Option<&Zone>,
    channel_id: String,
    files: Vec<FileMeta>,
) -> Result<(), ImportError> {
    let parts: Vec<u64> = files.iter().filter_map(|f| f.part).collect();
    let partitioned = !parts.is_empty();
    let contiguous = parts.iter().enumerate().all(|(i, p)| *p == i as u64 + 1);
    if partitioned && !contiguous {
        sink.warn(
            "partition-incomplete",
            "the parts of a partitioned channel export do not run 1, 2, 3, ... without gaps; the conversation is incomplete",
            input.display(&files[0].entry),
        );
    }
    let head = files[0].head.clone();
    let ranged = files.iter().any(|f| {
        f.head
            .date_range
            .as_ref()
            .is_some_and(|r| r.after.is_some() || r.before.is_some())
    });
    let complete = !ranged && contiguous;
    let mut conv = convert::Conv {
        id: format!("dc-c-{}", convert::id_part(&channel_id)),
        channel_id: channel_id.clone(),
        head,
        complete,
        zone,
        ordinal: 0,
        started: false,
        members: HashMap::new(),
        file_messages: 0,
        member_colors: serde_json::Map::new(),
        roles: serde_json::Map::new(),
    };
    let mut counts = Vec::new();
    let mut exported = Vec::new();
    let mut ranges = Vec::new();
    for f in &files {
        let shown = input.display(&f.entry);
        let base = match f.entry.rfind('/') {
            Some(i) => f.entry[..i].to_owned(),
            None => String::new(),
        };
        let mut tail = Extra::new();
        let mut failed = None;
        conv.file_messages = 0;
        let res = input.read_entry(&f.entry, |r| {
            let r = without_bom(r, &shown)?;
            let mut de =
                serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, r));
            let mut run = convert::FileRun {
                conv: &mut conv,
                sink: &mut *sink,
                input,
                entry: &f.entry,
                base: &base,
                shown: &shown,
            };
            let res = BodySeed {
                handler: &mut run,
                tail: &mut tail,
                failed: &mut failed,
            }
            .deserialize(&mut de);
            match res {
                Ok(()) => de.end().map_err(|e| json_error(&shown, &e)),
                Err(e) => Err(failed.take().unwrap_or_else(|| json_error(&shown, &e))),
            }
        });
        res?;
        if !f.head.has_messages {
            sink.warn(
                "no-messages-array",
                "a channel export without a messages array; read as empty",
                shown.clone(),
            );
        }
        let mut info = serde_json::Map::new();
        info.insert("file".into(), Value::String(f.entry.clone()));
        if let Some(c) = tail.remove("messageCount") {
            if c.as_u64() != Some(conv.file_messages) {
                sink.warn(
                    "message-count-mismatch",
                    "the export's messageCount differs from the number of messages it holds; all that it holds were read",
                    format!("{shown}#/messageCount"),
                );
            }
            info.insert("messageCount".into(), c);
        }
        for (k, v) in tail {
            // A head read past `messages` (hand-made files) has these already.
            if !f.head.extra.contains_key(&k) {
                info.insert(k, v);
            }
        }
        counts.push(Value::Object(info));
        if let Some(t) = &f.head.exported_at {
            exported.push(Value::String(t.clone()));
        }
        if let Some(r) = &f.head.date_range
            && (r.after.is_some() || r.before.is_some())
        {
            ranges.push(serde_json::json!({"file": f.entry, "after": r.after, "before": r.before}));
        }
    }
    if !conv.started {
        let c = convert::conversation(&mut conv, sink, input, &files[0].entry)?;
        sink.conversation(c)?;
        conv.started = true;
    }
    // What only the whole channel tells: files, counts, export times, member colours and roles.
    let c = sink
        .conversation_mut(&conv.id)
        .ok_or_else(|| ImportError::Bug("discord conversation vanished".into()))?;
    let ext = c
        .extensions
        .entry(NS.into())
        .or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(o) = ext {
        o.insert("files".into(), Value::Array(counts));
        if exported.len() > 1 {
            o.insert("exportedAt".into(), Value::Array(exported));
        }
        if ranges.len() > 1 {
            o.insert("dateRanges".into(), Value::Array(ranges));
        }
        if !conv.member_colors.is_empty() {
            o.insert(
                "memberColors".into(),
                Value::Object(std::mem::take(&mut conv.member_colors)),
            );
        }
        if !conv.roles.is_empty() {
            o.insert(
                "roles".into(),
                Value::Object(std::mem::take(&mut conv.roles)),
            );
        }
    }
    Ok(())
}

/// The coverage a channel export states: a `dateRange` makes it partial, with the range's ends.
fn coverage(head: &Head, source: &str, complete: bool) -> Coverage {
    let r = head.date_range.as_ref();
    let after = r
        .and_then(|r| r.after.as_deref())
        .and_then(|t| parse_time(t, None));
    let before = r
        .and_then(|r| r.before.as_deref())
        .and_then(|t| parse_time(t, None));
    Coverage {
        source: source.to_owned(),
        from: after,
        to: before,
        messages: None,
        complete: Some(complete),
    }
}

fn space(head: &Head) -> Option<Space> {
    let g = head.guild.as_ref()?;
    match g.id.as_deref() {
        None | Some("0") | Some("") => None,
        Some(id) => Some(Space {
            platform_id: Some(id.to_owned()),
            name: g.name.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers_order_numerically() {
        assert_eq!(part_number("a/general [123] [part 10].json"), Some(10));
        assert_eq!(part_number("general [part 2].json"), Some(2));
        assert_eq!(part_number("general [123].json"), None);
        assert_eq!(part_number("x.json"), None);
    }

    #[test]
    fn sniff_wants_guild_first_and_a_channel() {
        assert!(looks_like_dce(
            b"\xEF\xBB\xBF {\n \"guild\": {}, \"channel\": {}"
        ));
        assert!(!looks_like_dce(
            b"{\"name\": \"x\", \"text\": \"\\\"guild\\\" \\\"channel\\\"\"}"
        ));
        assert!(!looks_like_dce(b"[{\"guild\": 1, \"channel\": 2}]"));
        assert!(!looks_like_dce(b""));
    }
}

//! carderne/signal-export's files: `chat.md` and `data.json` in a folder per chat, beside
//! `media/` (the attachments it copied) and `index.html`.
//!
//! `chat.md` writes each message as `[DATE] SENDER: QUOTE BODY  REACTIONS STICKER ATTACHMENTS`:
//! - DATE is `YYYY-MM-DD HH:MM:SS` (since 2024; before, `YYYY-MM-DD, HH:MM`), the exporting
//!   machine's local time with no zone;
//! - SENDER is `Me` for the exporting user, `No-Sender` when the tool could not tell;
//! - QUOTE, when the message replies, is `\n\n> quoted line\n> …\n\n`;
//! - BODY has every backtick removed (a loss the importer cannot undo) and two spaces appended;
//! - REACTIONS are `\n(- Ann: 👍, Me: ❤️ -)`;
//! - a sticker is `[emoji](../exported_stickers/PACK/ID.EXT)  ` or `\n(( emoji ))`;
//! - each attachment is `![name](./media/path)  ` (images) or `[name](./media/path)  `, with
//!   whitespace in the path written `%20`; `(media not exported)` marks one that was not
//!   copied;
//! - a deleted message is `(This message was deleted)`; calls are `Incoming call`,
//!   `Outgoing voice call (accepted, 1m 5s)`, `Missed video call`, ….
//!
//! Lines that do not start with a date continue the message before. `data.json` holds the same
//! messages as JSON Lines (one object per line despite its name): `date` (naive ISO 8601),
//! `sender`, `body` (as above), `quote` (as above), `sticker`, `reactions` (`[name, emoji]`
//! pairs), `attachments` (`{name, path}`), `deleted`, `call`, `missed`; other keys are kept.
//!
//! Neither file has message or account ids: accounts are derived from names (`Me` is the
//! exporting user), message ids from conversation, time, sender, text and occurrence.

use super::{Chat, NAMESPACE, local_time, named_account};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{
    Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Deletion, Message, Reaction, Reactor,
    Reply,
};
use serde_json::{Map, Value};
use std::io::BufRead;

/// A `chat.md` message header: the date-time, whether it has seconds, its text, and the rest
/// of the line.
pub(super) fn md_header(line: &str) -> Option<(jiff::civil::DateTime, bool, &str, &str)> {
    let s = line.strip_prefix('[')?;
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec, end) = if s.get(10..12) == Some(", ") {
        if b.get(14) != Some(&b':') || b.get(17) != Some(&b']') {
            return None;
        }
        (num(12..14)?, num(15..17)?, None, 17)
    } else if b[10] == b' ' {
        if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || b.get(19) != Some(&b']') {
            return None;
        }
        (num(11..13)?, num(14..16)?, Some(num(17..19)?), 19)
    } else {
        return None;
    };
    let rest = s.get(end + 1..)?.strip_prefix(' ')?;
    let dt = jiff::civil::DateTime::new(
        y as i16,
        mo as i8,
        d as i8,
        h as i8,
        mi as i8,
        sec.unwrap_or(0) as i8,
        0,
    )
    .ok()?;
    Some((dt, sec.is_some(), &s[..end], rest))
}

/// An attachment of a message: its name, its path (`None`: not exported), the source's word
/// for why it is missing, and keys the importer does not map.
#[derive(Default, Debug, PartialEq)]
struct PartAttachment {
    name: String,
    path: Option<String>,
    missing: Option<String>,
    extra: Map<String, Value>,
}

/// Appends `v` to the array `ext[key]`.
fn push_ext(ext: &mut Map<String, Value>, key: &str, v: Value) {
    if let Value::Array(a) = ext.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
        a.push(v);
    }
}

/// A message of either file, taken apart.
#[derive(Default)]
struct Parts {
    body: String,
    quote: Option<String>,
    reactions: Vec<(String, String)>,
    /// Reaction entries that are not `name: emoji`, kept as written.
    odd_reactions: Vec<String>,
    /// The sticker's label and, when exported, its path.
    sticker: Option<(String, Option<String>)>,
    /// Attachments: name, path (`None`: not exported), why it is missing, keys kept.
    attachments: Vec<PartAttachment>,
    deleted: bool,
}

const DELETED: &str = "(This message was deleted)";
const NOT_EXPORTED: &str = "(media not exported)";

/// Reads a quote block `\n\n> a\n> b\n\n` at the start of `s`: the quote and what follows.
fn split_quote(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix("\n\n>")?;
    let (block, after) = match rest.find("\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, ""),
    };
    let quote: Vec<&str> = std::iter::once(block.split('\n').next().unwrap_or(""))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .chain(block.split('\n').skip(1).map(|l| {
            let l = l.strip_prefix('>').unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l)
        }))
        .collect();
    Some((quote.join("\n"), after))
}

/// Decodes the `%20` (and other `%XX`) escapes signal-export writes in media paths.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// Takes a `chat.md` body (after `SENDER: `) apart.
fn parse_md_body(text: &str) -> Parts {
    let mut p = Parts::default();
    if text.trim_end() == DELETED {
        p.deleted = true;
        return p;
    }
    let mut s = text;
    if let Some((q, rest)) = split_quote(s) {
        p.quote = Some(q);
        s = rest;
    }
    // From the end: attachments and an exported sticker (links), then `(( sticker ))`, then
    // reactions, then the two spaces after the body.
    let mut atts = Vec::new();
    loop {
        let t = s.strip_suffix("  ").unwrap_or(s);
        if let Some(before) = t.strip_suffix(NOT_EXPORTED) {
            atts.push(PartAttachment::default());
            s = before;
            continue;
        }
        if t.ends_with(')')
            && let Some(i) = t.rfind("](")
            && let Some(j) = t[..i].rfind('[')
        {
            let name = &t[j + 1..i];
            let path = &t[i + 2..t.len() - 1];
            let start = if t[..j].ends_with('!') { j - 1 } else { j };
            if path.starts_with("./media/") || path.starts_with("media/") {
                atts.push(PartAttachment {
                    name: name.to_owned(),
                    path: Some(percent_decode(path)),
                    ..PartAttachment::default()
                });
                s = &t[..start];
                continue;
            }
            if path.starts_with("../exported_stickers/") && p.sticker.is_none() {
                p.sticker = Some((name.to_owned(), Some(percent_decode(path))));
                s = &t[..start];
                continue;
            }
        }
        break;
    }
    atts.reverse();
    p.attachments = atts;
    if p.sticker.is_none()
        && s.ends_with(" ))")
        && let Some(i) = s.rfind("\n(( ")
        && i + 4 <= s.len() - 3
    {
        p.sticker = Some((s[i + 4..s.len() - 3].to_owned(), None));
        s = &s[..i];
    }
    if s.ends_with(" -)")
        && let Some(i) = s.rfind("\n(- ")
        && i + 4 <= s.len() - 3
    {
        for r in s[i + 4..s.len() - 3].split(", ") {
            match r.rsplit_once(": ") {
                Some((n, e)) if !e.is_empty() => p.reactions.push((n.to_owned(), e.to_owned())),
                _ => p.odd_reactions.push(r.to_owned()),
            }
        }
        s = &s[..i];
    }
    p.body = s.strip_suffix("  ").unwrap_or(s).to_owned();
    p
}

/// A call as signal-export words it (`Outgoing voice call (accepted, 1m 5s)`, `Missed video
/// call`, `Incoming call`).
fn parse_call(text: &str) -> Option<Call> {
    let (head, detail) = match text.split_once(" (") {
        Some((h, d)) => (h, d.strip_suffix(')')),
        None => (text, None),
    };
    let mut words = head.split(' ');
    let direction = words.next()?;
    if !matches!(direction, "Incoming" | "Outgoing" | "Missed") {
        return None;
    }
    let (media, last) = match (words.next()?, words.next()) {
        ("voice", Some(w)) => (CallMedia::Voice, w),
        ("video", Some(w)) => (CallMedia::Video, w),
        (w, None) => (CallMedia::Unknown, w),
        _ => return None,
    };
    if last != "call" || words.next().is_some() {
        return None;
    }
    let mut duration = None;
    let outcome = if direction == "Missed" {
        Some(CallOutcome::Missed)
    } else {
        match detail {
            Some(d) if d.starts_with("accepted") => {
                if let Some((_, dur)) = d.split_once(", ") {
                    let mut secs = 0f64;
                    for part in dur.split(' ') {
                        if let Some(m) = part.strip_suffix('m') {
                            secs += m.parse::<f64>().ok()? * 60.0;
                        } else if let Some(s) = part.strip_suffix('s') {
                            secs += s.parse::<f64>().ok()?;
                        }
                    }
                    duration = Some(secs);
                }
                Some(CallOutcome::Answered)
            }
            Some("declined") | Some("declined by recipient") => Some(CallOutcome::Declined),
            Some("unanswered") => Some(CallOutcome::Missed),
            _ => None,
        }
    };
    Some(Call {
        media,
        outcome,
        duration_seconds: duration,
        ended: None,
        participants: Vec::new(),
    })
}

fn attachment_kind(name: &str) -> AttachmentKind {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png" | "jpg" | "jpeg" | "tif" | "tiff" | "webp" | "apng" | "svg" | "heic") => {
            AttachmentKind::Image
        }
        Some("gif") => AttachmentKind::Gif,
        Some("m4a" | "aac" | "mp3" | "ogg" | "opus" | "wav" | "flac") => AttachmentKind::Audio,
        Some("mp4" | "mov" | "mkv" | "mpeg" | "webm" | "qt") => AttachmentKind::Video,
        _ => AttachmentKind::File,
    }
}

/// Writes one signal-export message.
#[allow(clippy::too_many_arguments)]
fn emit(
    input: &Input,
    sink: &mut Sink,
    chat: &mut Chat,
    time: chatport_model::Time,
    sender: &str,
    parts: Parts,
    call: bool,
    origin: Option<Box<chatport_model::Origin>>,
    location: String,
    mut ext: Map<String, Value>,
) -> Result<(), ImportError> {
    let mut m = Message::new(String::new(), chat.id.clone(), chat.next_ordinal());
    m.time = Some(time);
    m.origin = origin;
    match sender {
        "No-Sender" | "" => {
            ext.insert("sender".into(), sender.into());
        }
        name => {
            let id = named_account(sink, name, name == "Me")?;
            chat.member(&id);
            m.sender = Some(id);
            m.sender_name = Some(name.to_owned());
        }
    }
    if let Some(q) = parts.quote {
        m.reply_to = Some(Box::new(Reply {
            message: None,
            platform_id: None,
            quote: Some(q),
            sender_name: None,
        }));
    }
    if parts.deleted {
        m.deleted = Some(Box::new(Deletion {
            time: None,
            by: None,
            placeholder: Some(DELETED.to_owned()),
        }));
    } else if let Some(c) = parse_call(&parts.body).filter(|_| call || !parts.body.contains('\n')) {
        m.call = Some(Box::new(c));
        ext.insert("body".into(), parts.body.clone().into());
    } else if !parts.body.is_empty() {
        m.text = Some(parts.body.clone());
    }
    if !parts.odd_reactions.is_empty() {
        ext.insert("reactions".into(), parts.odd_reactions.clone().into());
    }
    // Reactions, one per emoji in order of appearance.
    for (name, emoji) in &parts.reactions {
        let account = named_account(sink, name, name == "Me")?;
        let r = match m.reactions.iter_mut().find(|r| &r.emoji == emoji) {
            Some(r) => r,
            None => {
                m.reactions.push(Reaction {
                    emoji: emoji.clone(),
                    custom: None,
                    custom_id: None,
                    count: Some(0),
                    by: Vec::new(),
                    extensions: Default::default(),
                });
                m.reactions.last_mut().expect("just pushed")
            }
        };
        r.count = r.count.map(|c| c + 1);
        r.by.push(Reactor {
            account: Some(account),
            name: Some(name.clone()),
            time: None,
        });
    }
    if let Some((label, path)) = parts.sticker {
        let mut a = match path {
            Some(p) => {
                let loc = location.clone();
                sink.attach_relative(input, &chat.base, &p, AttachmentKind::Sticker, || loc)?
            }
            None => {
                Attachment::missing(AttachmentKind::Sticker, Some("sticker not exported".into()))
            }
        };
        if label != "sticker" {
            a.emoji = Some(label);
        }
        m.attachments.push(a);
    }
    for pa in parts.attachments {
        let kind = attachment_kind(pa.path.as_deref().unwrap_or(&pa.name));
        let mut a = match pa.path {
            Some(p) => {
                let loc = location.clone();
                sink.attach_relative(input, &chat.base, &p, kind, || loc)?
            }
            None => Attachment::missing(
                kind,
                Some(match pa.missing {
                    Some(k) => format!("media not exported ({k})"),
                    None => "media not exported".into(),
                }),
            ),
        };
        if !pa.name.is_empty() {
            a.original_name = Some(pa.name);
        }
        if !pa.extra.is_empty() {
            a.extensions.insert(NAMESPACE.into(), pa.extra.into());
        }
        m.attachments.push(a);
    }
    if !ext.is_empty() {
        m.extensions.insert(NAMESPACE.into(), ext.into());
    }
    let text = if parts.deleted {
        DELETED
    } else {
        parts.body.as_str()
    };
    chat.write_derived(sink, &mut m, sender, text)
}

/// Reads a `chat.md`.
pub(super) fn import_md(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
) -> Result<(), ImportError> {
    struct Pending {
        line: u64,
        time: chatport_model::Time,
        sender: String,
        body: String,
    }
    let entry = chat.file.clone();
    let shown = chat.shown.clone();
    let mut pending: Option<Pending> = None;
    let flush = |p: Pending, sink: &mut Sink, chat: &mut Chat| -> Result<(), ImportError> {
        let body = p.body.trim_end_matches('\n');
        let parts = parse_md_body(body);
        let origin = sink.origin_line(&entry, p.line);
        emit(
            input,
            sink,
            chat,
            p.time,
            &p.sender,
            parts,
            false,
            origin,
            format!("{shown}:{}", p.line),
            Map::new(),
        )
    };
    input.read_entry_buffered(&chat.file.clone(), |r| {
        crate::input::read_lines(
            r,
            &shown,
            "binary data (a NUL byte) where a chat.md has text",
            crate::input::NotUtf8::Refuse("this line is not UTF-8, which signal-export always writes"),
            |n, line, _| {
            if let Some((dt, seconds, original, rest)) = md_header(line) {
                if let Some(p) = pending.take() {
                    flush(p, sink, chat)?;
                }
                sink.source_message();
                let (sender, body) = match rest.find(": ") {
                    Some(i) => (&rest[..i], &rest[i + 2..]),
                    None => match rest.strip_suffix(':') {
                        Some(s) => (s, ""),
                        None => ("", rest),
                    },
                };
                pending = Some(Pending {
                    line: n,
                    time: local_time(dt, seconds, original, options.tz.as_ref()),
                    sender: sender.to_owned(),
                    body: body.to_owned(),
                });
            } else {
                super::continuation(
                    pending.as_mut().map(|p| &mut p.body),
                    line,
                    || format!("{shown}:{n}"),
                    "not a signal-export chat.md: the first line does not start with `[YYYY-MM-DD HH:MM:SS]` or `[YYYY-MM-DD, HH:MM]`",
                )?;
            }
                Ok(())
            },
        )?;
        if let Some(p) = pending.take() {
            flush(p, sink, chat)?;
        }
        Ok(())
    })
}

/// Reads a `data.json` (JSON Lines).
pub(super) fn import_json(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
) -> Result<(), ImportError> {
    let entry = chat.file.clone();
    let shown = chat.shown.clone();
    input.read_entry_buffered(&entry, |r| {
        let mut buf = Vec::new();
        let mut n = 0u64;
        loop {
            buf.clear();
            let got = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
            if got == 0 {
                return Ok(());
            }
            n += 1;
            let mut line: &[u8] = &buf;
            if n == 1 {
                line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let loc = format!("{shown}:{n}");
            let mut obj: Map<String, Value> = serde_json::from_slice(line).map_err(|e| {
                ImportError::invalid(
                    format!("{loc}:{}", e.column()),
                    format!("not a JSON object as data.json has on each line: {e}"),
                )
            })?;
            sink.source_message();
            let date = match obj.remove("date") {
                Some(Value::String(s)) => s,
                _ => {
                    return Err(ImportError::invalid(
                        loc,
                        "a data.json line without its `date` text",
                    ));
                }
            };
            // Naive ISO 8601, the exporting machine's local time; an offset, should a version
            // write one, makes it an instant.
            let time = match crate::times::instant_text(&date) {
                Some(t) => t,
                None => {
                    let dt: jiff::civil::DateTime = date.parse().map_err(|_| {
                        ImportError::invalid(
                            loc.clone(),
                            format!("`date` {date:?} is not an ISO 8601 date and time"),
                        )
                    })?;
                    local_time(dt, true, &date, options.tz.as_ref())
                }
            };
            let text = |v: Option<Value>| match v {
                Some(Value::String(s)) => s,
                _ => String::new(),
            };
            let sender = text(obj.remove("sender"));
            let body = text(obj.remove("body"));
            let quote = text(obj.remove("quote"));
            let deleted = obj.remove("deleted") == Some(Value::Bool(true));
            let call = obj.remove("call") == Some(Value::Bool(true));
            let mut ext = Map::new();
            if let Some(v) = obj.remove("missed")
                && v != Value::Bool(false)
            {
                ext.insert("missed".into(), v);
            }
            let mut parts = Parts {
                deleted,
                ..Parts::default()
            };
            let body = body.strip_suffix("  ").unwrap_or(&body);
            if !deleted {
                parts.body = body.to_owned();
            }
            if !quote.is_empty() {
                parts.quote = Some(match split_quote(&quote) {
                    Some((q, _)) => q,
                    None => quote.clone(),
                });
            }
            match obj.remove("reactions") {
                Some(Value::Array(rs)) => {
                    for r in rs {
                        match r {
                            Value::Array(pair)
                                if pair.len() == 2 && pair.iter().all(Value::is_string) =>
                            {
                                parts.reactions.push((
                                    pair[0].as_str().unwrap_or_default().to_owned(),
                                    pair[1].as_str().unwrap_or_default().to_owned(),
                                ));
                            }
                            other => push_ext(&mut ext, "reactions", other),
                        }
                    }
                }
                None | Some(Value::Null) => {}
                Some(other) => {
                    ext.insert("reactions".into(), other);
                }
            }
            match obj.remove("sticker") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(Value::String(s)) => parts.sticker = Some((s, None)),
                Some(Value::Object(o)) => {
                    let label = o
                        .get("emoji")
                        .and_then(Value::as_str)
                        .filter(|e| !e.is_empty())
                        .unwrap_or("sticker")
                        .to_owned();
                    parts.sticker = Some((label, None));
                    ext.insert("sticker".into(), Value::Object(o));
                }
                Some(other) => {
                    ext.insert("sticker".into(), other);
                }
            }
            match obj.remove("attachments") {
                None | Some(Value::Null) => {}
                Some(Value::Array(atts)) => {
                    for a in atts {
                        let Value::Object(mut a) = a else {
                            push_ext(&mut ext, "attachments", a);
                            continue;
                        };
                        let name = text(a.remove("name"));
                        let path = text(a.remove("path"));
                        let missing = a.remove("missing_kind").filter(|v| !v.is_null());
                        let path = (missing.is_none() && !path.is_empty() && path != NOT_EXPORTED)
                            .then(|| percent_decode(&path));
                        parts.attachments.push(PartAttachment {
                            name,
                            path,
                            missing: missing.map(|k| match k {
                                Value::String(s) => s,
                                other => other.to_string(),
                            }),
                            extra: a,
                        });
                    }
                }
                Some(other) => {
                    ext.insert("attachments".into(), other);
                }
            }
            // Whatever else the line holds is kept.
            for (k, v) in obj {
                ext.insert(k, v);
            }
            let origin = sink.origin_line(&entry, n);
            emit(
                input, sink, chat, time, &sender, parts, call, origin, loc, ext,
            )?;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_bodies_come_apart() {
        let p = parse_md_body(
            "\n\n> quoted\n> two\n\nhello  \n(- Ann: 👍, Me: ❤️ -)\n(( 😀 ))![a b.jpg](./media/a%20b.jpg)  [d.pdf](./media/d.pdf)  ",
        );
        assert_eq!(p.quote.as_deref(), Some("quoted\ntwo"));
        assert_eq!(p.body, "hello");
        assert_eq!(p.reactions.len(), 2);
        assert_eq!(p.sticker, Some(("😀".into(), None)));
        let got: Vec<(&str, Option<&str>)> = p
            .attachments
            .iter()
            .map(|a| (a.name.as_str(), a.path.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a b.jpg", Some("./media/a b.jpg")),
                ("d.pdf", Some("./media/d.pdf"))
            ]
        );
        let p = parse_md_body("hi  \n(- Ann: 👍, broken -)");
        assert_eq!(p.reactions, vec![("Ann".to_owned(), "👍".to_owned())]);
        assert_eq!(p.odd_reactions, vec!["broken".to_owned()]);
        // Empty markers are text, not a crash.
        assert_eq!(parse_md_body("\n(- -)").body, "\n(- -)");
        assert_eq!(parse_md_body("\n(( ))").body, "\n(( ))");
        let c = parse_call("Outgoing voice call (accepted, 1m 5s)").unwrap();
        assert_eq!(c.duration_seconds, Some(65.0));
        assert!(parse_call("Outgoing call is fine").is_none());
    }
}

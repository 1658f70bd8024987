//! tbvdm/sigtop's `export-messages` output, one file per conversation.
//!
//! `-f text` writes `Conversation: NAME (DETAILS)`, a blank line, then per message a block of
//! fields (`From: You` or `From: NAME (DETAILS)`, `Type: incoming|outgoing|…|unknown`,
//! `Sent: Mon, 2 Jan 2006 15:04:05 -0700`, `Received: …` for incoming messages, one
//! `Attachment: NAME (TYPE, N bytes)` and one `Reaction: EMOJI from NAME (DETAILS)` per item), an
//! optional quote block (a blank line, then `> From: …`, `> Sent: …`, `> Attachment: …`, `>`,
//! `> quoted line`…), the body (a blank line, then its lines) and a blank line. An edited
//! message has `Edited: N versions` instead of quote and body, followed by a blank line and
//! `|`-prefixed blocks (`| Version: N`, `| Sent: …`, quote `| > …`, `|`, `| body`), newest
//! first. Times carry their offset: they are instants.
//!
//! `-f text-short` writes one line per message, `YYYY-MM-DD HH:MM NAME: [DETAILS] BODY`, in the
//! exporting machine's local time (minutes, no zone): `NAME` is `You` or the sender's name,
//! `DETAILS` lists `reply to NAME on YYYY-MM-DD HH:MM`, `edited` and `N attachment(s)`, and a
//! message that is not a text is `[TYPE message]`. Body lines after the first follow as they are.
//!
//! `-f json` writes a JSON array of Signal Desktop's own message objects, as stored: `id`,
//! `conversationId`, `type`, `body`, `sent_at` (Unix ms, the message's identity in quotes),
//! `received_at`, `source`/`sourceServiceId`/`sourceUuid`, `attachments`, `bodyRanges`
//! (mentions and styles, counted in UTF-16 units), `reactions` (`fromId` is the reactor's
//! conversation id), `quote` (`id` is the quoted message's `sent_at`, a number or a string),
//! `editHistory` (newest first), `sticker`, `deletedForEveryone`, and whatever else the Desktop
//! version stored: every key the importer does not map is kept under the message's
//! `extensions["org.signal"]`. The array is streamed, one message at a time.
//!
//! sigtop does not copy attachments with the messages (`export-attachments` is a separate
//! command): attachments are `missing` unless the input holds the file at the path the message
//! names.

use super::{Chat, NAMESPACE, SELF_ID, named_account};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Deletion, Edit, Event,
    EventKind, Message, Precision, Reaction, Reactor, Reply, Revision, Span, SpanKind, Time,
};
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::BufRead;

/// The `Conversation:` line's value of a sigtop text file.
pub(super) fn text_header(input: &Input, entry: &str) -> Result<Option<String>, ImportError> {
    let head = input.peek(entry, 4096)?;
    let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head));
    Ok(text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.trim_end_matches('\r').strip_prefix("Conversation: "))
        .map(str::to_owned))
}

/// The `conversationId` of the first message of a sigtop JSON file, when it is near the top.
pub(super) fn json_conversation_id(
    input: &Input,
    entry: &str,
) -> Result<Option<String>, ImportError> {
    let head = input.peek(entry, 16384)?;
    let text = String::from_utf8_lossy(&head);
    let Some(i) = text.find("\"conversationId\"") else {
        return Ok(None);
    };
    let rest = text[i + 16..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start);
    Ok(rest
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.split_once('"'))
        .map(|(id, _)| id.to_owned())
        .filter(|id| !id.is_empty() && !id.contains('\\')))
}

/// `Mon, 2 Jan 2006 15:04:05 -0700` as an instant, keeping the source's text.
fn sigtop_time(s: &str) -> Option<Time> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, d, mon, y, hms, off] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? + 1;
    let d: u8 = d.parse().ok()?;
    let y: i32 = y.parse().ok()?;
    if off.len() != 5
        || !off.starts_with(['+', '-'])
        || !off[1..].bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let iso = format!("{y:04}-{m:02}-{d:02}T{hms}{}:{}", &off[..3], &off[3..]);
    let t = crate::times::instant_text(&iso)?;
    Some(t.with_original(s))
}

/// An instant from Unix milliseconds.
fn millis(ms: i64) -> Option<Time> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let mut at = crate::times::civil_text(dt, true);
    at.push_str(&format!(".{:03}Z", ms.rem_euclid(1000)));
    Some(Time::instant(at).with_precision(Precision::Millisecond))
}

/// `NAME (DETAILS)`: the name, and the details when the text ends with a parenthesis.
fn split_details(s: &str) -> (&str, Option<&str>) {
    if s.ends_with(')')
        && let Some(i) = s.rfind(" (")
    {
        return (&s[..i], Some(&s[i + 2..s.len() - 1]));
    }
    (s, None)
}

/// The account for a sigtop text name (`You`, or `NAME (DETAILS)`), added when new.
fn text_account(sink: &mut Sink, full: &str) -> Result<String, ImportError> {
    if full == "You" {
        return named_account(sink, "You", true);
    }
    let (name, details) = split_details(full);
    let id = derive_id("sg-a-", &[full]);
    if !sink.has_account(&id) {
        let mut a = Account::new(&id, super::PLATFORM);
        a.display_name = Some(name.to_owned());
        if let Some(d) = details {
            if d.starts_with('+') && d[1..].bytes().all(|c| c.is_ascii_digit()) {
                a.phone = Some(d.to_owned());
            } else {
                let mut ext = Map::new();
                ext.insert("details".into(), d.into());
                a.extensions.insert(NAMESPACE.into(), ext.into());
            }
        }
        sink.account(a)?;
    }
    Ok(id)
}

/// `NAME (TYPE, N bytes)` of an `Attachment:` line.
fn text_attachment(v: &str, quoted: bool) -> Attachment {
    let (name, details) = split_details(v);
    let (mime, size) = match details {
        Some(d) if !quoted => match d.rsplit_once(", ") {
            Some((m, s)) => (
                Some(m),
                s.strip_suffix(" bytes").and_then(|n| n.parse::<u64>().ok()),
            ),
            None => (Some(d), None),
        },
        Some(d) => (Some(d), None),
        None => (None, None),
    };
    let kind = kind_of(mime.unwrap_or(""), name);
    let mut a = Attachment::missing(
        kind,
        Some("sigtop export-messages does not copy attachments".into()),
    );
    if name != "no filename" {
        a.original_name = Some(name.to_owned());
    }
    a.mime_type = mime.filter(|m| !m.is_empty()).map(str::to_owned);
    if let Some(s) = size {
        let mut ext = Map::new();
        ext.insert("size".into(), s.into());
        a.extensions.insert(NAMESPACE.into(), ext.into());
    }
    a
}

fn kind_of(mime: &str, name: &str) -> AttachmentKind {
    let top = mime.split('/').next().unwrap_or("");
    match (top, mime) {
        (_, "image/gif") => AttachmentKind::Gif,
        ("image", _) => AttachmentKind::Image,
        ("video", _) => AttachmentKind::Video,
        ("audio", _) => AttachmentKind::Audio,
        (_, "text/x-signal-plain") => AttachmentKind::File,
        _ if name.ends_with(".webp") => AttachmentKind::Image,
        _ => AttachmentKind::File,
    }
}

/// One parsed block of a sigtop text file (a message, a quote or an edit version).
#[derive(Default, Debug)]
struct Block {
    from: Option<String>,
    kind: Option<String>,
    sent: Option<String>,
    received: Option<String>,
    version: Option<String>,
    edited: Option<String>,
    attachments: Vec<String>,
    reactions: Vec<String>,
    quote: Option<Box<Block>>,
    body: Option<String>,
    versions: Vec<Block>,
    /// Header fields chatport does not know (`Expires: 1 day`), kept as written.
    extra: Vec<(String, String)>,
}

/// Parses the lines of one block (already stripped of their `|` or `>` prefix).
fn parse_block(lines: &[String], quoted: bool) -> Block {
    let mut b = Block::default();
    let mut i = 0;
    while i < lines.len() {
        let Some((k, v)) = lines[i].split_once(": ") else {
            break;
        };
        match k {
            "From" => b.from = Some(v.to_owned()),
            "Type" => b.kind = Some(v.to_owned()),
            "Sent" => b.sent = Some(v.to_owned()),
            "Received" => b.received = Some(v.to_owned()),
            "Version" => b.version = Some(v.to_owned()),
            "Edited" => b.edited = Some(v.to_owned()),
            "Attachment" => b.attachments.push(v.to_owned()),
            "Reaction" => b.reactions.push(v.to_owned()),
            // Another header field: a word or two, capitalized, before the blank line.
            k if k.chars().next().is_some_and(char::is_uppercase)
                && k.len() <= 32
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == ' ' || c == '-') =>
            {
                b.extra.push((k.to_owned(), v.to_owned()));
            }
            _ => break,
        }
        i += 1;
    }
    let _ = quoted;
    let rest = &lines[i..];
    if b.edited.is_some() {
        // A blank line, then `|` blocks separated by a lone `|`.
        let mut cur: Vec<String> = Vec::new();
        let mut versions = Vec::new();
        for l in rest.iter().skip_while(|l| l.is_empty()) {
            let Some(inner) = l.strip_prefix('|') else {
                continue;
            };
            let inner = inner.strip_prefix(' ').unwrap_or(inner);
            if inner.is_empty() && l == "|" && cur_is_complete(&cur) {
                versions.push(parse_block(&cur, false));
                cur.clear();
                continue;
            }
            cur.push(if l == "|" {
                String::new()
            } else {
                inner.to_owned()
            });
        }
        if !cur.is_empty() {
            versions.push(parse_block(&cur, false));
        }
        b.versions = versions;
        return b;
    }
    let mut j = 0;
    // The quote: a blank line, then lines that start with `>`.
    if rest.first().is_some_and(String::is_empty)
        && rest
            .get(1)
            .is_some_and(|l| l.starts_with("> From: ") || l.starts_with("> Sent: "))
    {
        let mut q = Vec::new();
        j = 1;
        while j < rest.len() && rest[j].starts_with('>') {
            let l = &rest[j][1..];
            q.push(l.strip_prefix(' ').unwrap_or(l).to_owned());
            j += 1;
        }
        b.quote = Some(Box::new(parse_block(&q, true)));
    }
    // The body: a blank line, then its lines.
    if rest.get(j).is_some_and(String::is_empty) && j < rest.len() {
        let body = &rest[j + 1..];
        if !body.is_empty() {
            b.body = Some(body.join("\n"));
        }
    }
    b
}

/// True when the `|` lines gathered so far hold a version's body (the lone `|` that follows is
/// the separator between versions, not the blank line before the body).
fn cur_is_complete(cur: &[String]) -> bool {
    // Header lines, a blank, optionally `>` quote lines and the blank after them, then the body.
    let (mut blanks, mut in_quote) = (0, false);
    for l in cur {
        if l.is_empty() {
            blanks += 1;
        } else if blanks == 0 {
            continue;
        } else if l.starts_with('>') && blanks == 1 {
            in_quote = true;
        } else if !in_quote || blanks >= 2 {
            return true;
        }
    }
    false
}

/// Reads a sigtop text file.
pub(super) fn import_text(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
) -> Result<(), ImportError> {
    let _ = options;
    let entry = chat.file.clone();
    let shown = chat.shown.clone();
    // Sent time text -> message id, so that quotes find the message they quote.
    let mut by_sent: HashMap<(String, String), String> = HashMap::new();
    let flush = |cur: &mut Vec<String>,
                 line: u64,
                 sink: &mut Sink,
                 chat: &mut Chat,
                 by_sent: &mut HashMap<(String, String), String>|
     -> Result<(), ImportError> {
        // Trailing blank lines belong to no message.
        while cur.last().is_some_and(String::is_empty) {
            cur.pop();
        }
        if !cur.is_empty() {
            let block = parse_block(cur, false);
            write_text_message(input, sink, chat, &block, line, by_sent)?;
            cur.clear();
        }
        Ok(())
    };
    input.read_entry_buffered(&entry, |r| {
        let mut n = 0u64;
        let mut held: Option<(u64, String)> = None;
        let mut held_type: Option<(u64, String)> = None;
        let mut buf = Vec::new();
        let mut header_seen = false;
        let mut cur: Vec<String> = Vec::new();
        let mut cur_line = 0u64;
        let mut prev_blank = false;
        loop {
            buf.clear();
            let got = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
            let eof = got == 0;
            let line = if eof {
                None
            } else {
                n += 1;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                let mut l: &[u8] = &buf;
                if n == 1 {
                    l = l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l);
                }
                if memchr::memchr(0, l).is_some() {
                    return Err(ImportError::invalid(
                        format!("{shown}:{n}"),
                        "binary data (a NUL byte) where a sigtop text export has text",
                    ));
                }
                Some(String::from_utf8_lossy(l).into_owned())
            };
            if !header_seen {
                match &line {
                    Some(l) if l.trim().is_empty() => continue,
                    Some(l) if l.starts_with("Conversation: ") => {
                        header_seen = true;
                        prev_blank = true;
                        continue;
                    }
                    Some(_) => {
                        return Err(ImportError::invalid(
                            format!("{shown}:{n}"),
                            "not a sigtop text export: it starts with `Conversation: …`",
                        ));
                    }
                    None => return Ok(()),
                }
            }
            // A message starts after a blank line with `From: ` followed by `Type: `, or with
            // `Type: ` (messages without a known sender). A body paragraph that starts with
            // `From: ` is held until the next line shows which it is.
            let Some(l) = line else {
                if let Some((_, h)) = held.take() {
                    cur.push(h);
                }
                if let Some((_, t)) = held_type.take() {
                    cur.push(t);
                }
                flush(&mut cur, cur_line, sink, chat, &mut by_sent)?;
                return Ok(());
            };
            if let Some((hn, h)) = held.take() {
                if l.starts_with("Type: ") {
                    flush(&mut cur, cur_line, sink, chat, &mut by_sent)?;
                    cur_line = hn;
                    cur.push(h);
                    cur.push(l);
                    prev_blank = false;
                    continue;
                }
                cur.push(h);
            } else if prev_blank && l.starts_with("From: ") {
                held = Some((n, l));
                prev_blank = false;
                continue;
            } else if let Some((tn, t)) = held_type.take() {
                // A bare `Type:` after a blank line starts a message only when the header goes
                // on (`Sent:`, `Received:`); otherwise it was a body paragraph.
                if l.starts_with("Sent: ") || l.starts_with("Received: ") {
                    flush(&mut cur, cur_line, sink, chat, &mut by_sent)?;
                    cur_line = tn;
                }
                cur.push(t);
            } else if prev_blank && l.starts_with("Type: ") {
                held_type = Some((n, l));
                prev_blank = false;
                continue;
            }
            prev_blank = l.is_empty();
            if cur.is_empty() && l.is_empty() {
                continue;
            }
            if cur.is_empty() {
                cur_line = n;
            }
            cur.push(l);
        }
    })
}

fn write_text_message(
    input: &Input,
    sink: &mut Sink,
    chat: &mut Chat,
    b: &Block,
    line: u64,
    by_sent: &mut HashMap<(String, String), String>,
) -> Result<(), ImportError> {
    let _ = input;
    sink.source_message();
    let loc = format!("{}:{line}", chat.shown);
    let mut m = Message::new(String::new(), chat.id.clone(), chat.next_ordinal());
    m.origin = sink.origin_line(&chat.file, line);
    let mut ext = Map::new();
    let kind = b.kind.as_deref().unwrap_or("unknown");
    let from = match (&b.from, kind) {
        (Some(f), _) => Some(f.clone()),
        (None, "outgoing") => Some("You".to_owned()),
        _ => None,
    };
    if let Some(f) = &from {
        let id = text_account(sink, f)?;
        chat.member(&id);
        m.sender = Some(id);
        m.sender_name = Some(split_details(f).0.to_owned());
    }
    m.time = match (&b.sent, &b.received) {
        (Some(s), _) => sigtop_time(s),
        (None, Some(r)) => sigtop_time(r),
        _ => None,
    };
    if m.time.is_none() && (b.sent.is_some() || b.received.is_some()) {
        sink.warn(
            "unreadable-time",
            "a Sent or Received time is not `Mon, 2 Jan 2006 15:04:05 -0700`; kept under extensions",
            loc.clone(),
        );
    }
    if let Some(s) = &b.sent {
        ext.insert("sent".into(), s.clone().into());
    }
    if let Some(r) = &b.received {
        ext.insert("received".into(), r.clone().into());
    }
    ext.insert("type".into(), kind.into());
    for (k, v) in &b.extra {
        ext.insert(k.clone(), v.clone().into());
    }
    for a in &b.attachments {
        m.attachments.push(text_attachment(a, false));
    }
    for r in &b.reactions {
        let (emoji, who) = r.split_once(" from ").unwrap_or((r.as_str(), ""));
        let by = if who.is_empty() {
            Vec::new()
        } else {
            let account = text_account(sink, who)?;
            vec![Reactor {
                account: Some(account),
                name: Some(split_details(who).0.to_owned()),
                time: None,
            }]
        };
        match m.reactions.iter_mut().find(|x| x.emoji == emoji) {
            Some(x) => {
                x.by.extend(by);
                x.count = x.count.map(|c| c + 1);
            }
            None => m.reactions.push(Reaction {
                emoji: emoji.to_owned(),
                custom: None,
                custom_id: None,
                count: Some(1),
                by,
                extensions: Default::default(),
            }),
        }
    }
    let quote = |q: &Block, by_sent: &HashMap<(String, String), String>, sink: &Sink| {
        let key = (
            q.from.clone().unwrap_or_default(),
            q.sent.clone().unwrap_or_default(),
        );
        let target = by_sent.get(&key).filter(|id| sink.is_defined(id)).cloned();
        Box::new(Reply {
            message: target,
            platform_id: None,
            quote: q.body.clone(),
            sender_name: q.from.as_deref().map(|f| split_details(f).0.to_owned()),
        })
    };
    let mut text = b.body.clone();
    if let Some(q) = &b.quote {
        m.reply_to = Some(quote(q, by_sent, sink));
        let mut qx = Map::new();
        if let Some(s) = &q.sent {
            qx.insert("sent".into(), s.clone().into());
        }
        if !q.attachments.is_empty() {
            qx.insert(
                "attachments".into(),
                q.attachments.clone().into_iter().map(Value::from).collect(),
            );
        }
        if !qx.is_empty() {
            ext.insert("quote".into(), qx.into());
        }
    }
    if !b.versions.is_empty() {
        // Newest first: the first version is the message as it is now.
        let newest = &b.versions[0];
        text = newest.body.clone();
        if let Some(q) = &newest.quote {
            m.reply_to = Some(quote(q, by_sent, sink));
        }
        for a in &newest.attachments {
            m.attachments.push(text_attachment(a, false));
        }
        let history = b.versions[1..]
            .iter()
            .rev()
            .map(|v| Revision {
                time: v.sent.as_deref().and_then(sigtop_time),
                text: v.body.clone(),
                spans: Vec::new(),
            })
            .collect();
        m.edited = Some(Box::new(Edit {
            time: newest.sent.as_deref().and_then(sigtop_time),
            by: None,
            history,
        }));
        ext.insert("edited".into(), b.edited.clone().unwrap_or_default().into());
    }
    match kind {
        "incoming" | "outgoing" => m.text = text.clone(),
        _ => {
            m.event = Some(Box::new(Event {
                platform_kind: Some(kind.to_owned()),
                text: text.clone(),
                ..Event::new(EventKind::Other)
            }));
        }
    }
    m.extensions.insert(NAMESPACE.into(), ext.into());
    let sender = from.clone().unwrap_or_default();
    chat.write_derived(sink, &mut m, &sender, text.as_deref().unwrap_or(""))?;
    if let Some(s) = &b.sent {
        by_sent.insert((sender, s.clone()), m.id.clone());
    }
    Ok(())
}

/// Calls `f` with each element of the top-level JSON array, one at a time.
struct ArraySeed<'a, F>(&'a mut F);

impl<'de, F> DeserializeSeed<'de> for ArraySeed<'_, F>
where
    F: FnMut(u64, Map<String, Value>) -> Result<(), ImportError>,
{
    type Value = Result<(), ImportError>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F> Visitor<'de> for ArraySeed<'_, F>
where
    F: FnMut(u64, Map<String, Value>) -> Result<(), ImportError>,
{
    type Value = Result<(), ImportError>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of Signal Desktop message objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut i = 0u64;
        while let Some(v) = seq.next_element::<Value>()? {
            let obj = match v {
                Value::Object(o) => o,
                other => {
                    let mut o = Map::new();
                    o.insert("\u{0}not_an_object".into(), other);
                    o
                }
            };
            if let Err(e) = (self.0)(i, obj) {
                return Ok(Err(e));
            }
            i += 1;
        }
        Ok(Ok(()))
    }
}

/// Converts a UTF-16 offset in `text` into a code point offset.
fn utf16_to_chars(text: &str, units: u64) -> Option<u64> {
    let mut u = 0u64;
    for (i, c) in text.chars().enumerate() {
        if u >= units {
            return (u == units).then_some(i as u64);
        }
        u += c.len_utf16() as u64;
    }
    (u == units).then_some(text.chars().count() as u64)
}

/// The account of a Signal service id (ACI), added when new.
fn service_account(sink: &mut Sink, aci: &str) -> Result<String, ImportError> {
    let id = format!("sg-u-{aci}");
    let id = if id.len() <= 200 && !id.contains(char::is_whitespace) {
        id
    } else {
        derive_id("sg-u-", &[aci])
    };
    if !sink.has_account(&id) {
        let mut a = Account::new(&id, super::PLATFORM);
        a.platform_id = Some(aci.to_owned());
        sink.account(a)?;
    }
    Ok(id)
}

/// The account of a reactor, known only by the Desktop conversation id `fromId`.
fn conversation_account(sink: &mut Sink, conv: &str) -> Result<String, ImportError> {
    let id = derive_id("sg-a-", &["conversation", conv]);
    if !sink.has_account(&id) {
        let mut a = Account::new(&id, super::PLATFORM);
        let mut ext = Map::new();
        ext.insert("conversation_id".into(), conv.into());
        a.extensions.insert(NAMESPACE.into(), ext.into());
        sink.account(a)?;
    }
    Ok(id)
}

fn self_account(sink: &mut Sink) -> Result<String, ImportError> {
    if !sink.has_account(SELF_ID) {
        let mut a = Account::new(SELF_ID, super::PLATFORM);
        a.is_self = Some(true);
        sink.account(a)?;
    }
    Ok(SELF_ID.to_owned())
}

/// `bodyRanges` as spans of `text`: mentions and styles.
fn spans(
    sink: &mut Sink,
    text: &str,
    ranges: Option<&Value>,
    unknown: &mut Vec<Value>,
) -> Result<Vec<Span>, ImportError> {
    let mut out = Vec::new();
    let Some(Value::Array(rs)) = ranges else {
        return Ok(out);
    };
    for r in rs {
        let start = r.get("start").and_then(Value::as_u64);
        let len = r.get("length").and_then(Value::as_u64);
        let (Some(start), Some(len)) = (start, len) else {
            unknown.push(r.clone());
            continue;
        };
        let (Some(s), Some(e)) = (
            utf16_to_chars(text, start),
            utf16_to_chars(text, start + len),
        ) else {
            unknown.push(r.clone());
            continue;
        };
        let mention = ["mentionAci", "mentionUuid", "mentionServiceId"]
            .iter()
            .find_map(|k| r.get(*k).and_then(Value::as_str));
        let mut span = Span {
            kind: SpanKind::Other,
            start: s,
            end: e,
            url: None,
            account: None,
            conversation: None,
            language: None,
            name: None,
        };
        if let Some(aci) = mention {
            span.kind = SpanKind::Mention;
            span.account = Some(service_account(sink, aci)?);
        } else {
            // Signal's BodyRange.Style: 1 bold, 2 italic, 3 spoiler, 4 strikethrough,
            // 5 monospace.
            span.kind = match r.get("style").and_then(Value::as_u64) {
                Some(1) => SpanKind::Bold,
                Some(2) => SpanKind::Italic,
                Some(3) => SpanKind::Spoiler,
                Some(4) => SpanKind::Strikethrough,
                Some(5) => SpanKind::Code,
                _ => {
                    span.name = Some(r.to_string());
                    SpanKind::Other
                }
            };
        }
        if s < e {
            out.push(span);
        } else {
            unknown.push(r.clone());
        }
    }
    Ok(out)
}

/// The text of a JSON id that may be a number or a string.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a sigtop JSON file, streaming its array.
pub(super) fn import_json(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
) -> Result<(), ImportError> {
    let _ = options;
    let entry = chat.file.clone();
    let shown = chat.shown.clone();
    // sent_at -> message id, for quotes (whose `id` is the quoted message's sent_at).
    let mut by_sent: HashMap<String, String> = HashMap::new();
    let mut handle = |i: u64, obj: Map<String, Value>| -> Result<(), ImportError> {
        sink.source_message();
        write_json_message(input, sink, chat, i, obj, &mut by_sent)
    };
    input.read_entry(&entry, |r| {
        let mut r = std::io::BufReader::with_capacity(256 << 10, r);
        // serde_json does not accept a byte order mark.
        if r.fill_buf()
            .map_err(|e| ImportError::io_shown(shown.clone(), e))?
            .starts_with(b"\xEF\xBB\xBF")
        {
            r.consume(3);
        }
        let mut de = serde_json::Deserializer::from_reader(r);
        let res = ArraySeed(&mut handle).deserialize(&mut de).map_err(|e| {
            ImportError::invalid(
                format!("{shown}:{}:{}", e.line(), e.column()),
                format!("not a sigtop JSON export (an array of message objects): {e}"),
            )
        })?;
        res?;
        de.end().map_err(|e| {
            ImportError::invalid(
                format!("{shown}:{}:{}", e.line(), e.column()),
                format!("text after the array: {e}"),
            )
        })
    })
}

fn write_json_message(
    input: &Input,
    sink: &mut Sink,
    chat: &mut Chat,
    i: u64,
    mut o: Map<String, Value>,
    by_sent: &mut HashMap<String, String>,
) -> Result<(), ImportError> {
    let pointer = format!("/{i}");
    let loc = format!("{}#{pointer}", chat.shown);
    let mut m = Message::new(String::new(), chat.id.clone(), chat.next_ordinal());
    m.origin = sink.origin_pointer(&chat.file, pointer);
    let mut ext = Map::new();
    let str_of = |o: &mut Map<String, Value>, k: &str| match o.remove(k) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => {
            o.insert(k.to_owned(), other);
            None
        }
    };
    let platform_id = str_of(&mut o, "id");
    let kind = str_of(&mut o, "type").unwrap_or_else(|| "unknown".into());
    let body = str_of(&mut o, "body");
    let sent_at = o.get("sent_at").and_then(Value::as_i64);
    if sent_at.is_some() {
        o.remove("sent_at");
    }
    m.time = sent_at.and_then(millis);
    if m.time.is_none() {
        m.time = o.get("timestamp").and_then(Value::as_i64).and_then(millis);
    }
    if m.time.is_none() {
        sink.warn(
            "no-time",
            "a message has no sent_at or timestamp in milliseconds; written without a time",
            loc.clone(),
        );
    }
    // The sender.
    if kind == "outgoing" {
        m.sender = Some(self_account(sink)?);
    } else if let Some(aci) = ["sourceServiceId", "sourceUuid"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
    {
        o.remove("sourceServiceId");
        o.remove("sourceUuid");
        let id = service_account(sink, &aci)?;
        if let Some(Value::String(phone)) = o.get("source")
            && let Some(a) = sink.account_mut(&id)
            && a.phone.is_none()
            && phone.starts_with('+')
        {
            a.phone = Some(phone.clone());
            o.remove("source");
        }
        m.sender = Some(id);
    } else if let Some(phone) = o.get("source").and_then(Value::as_str).map(str::to_owned) {
        // Before service ids, the sender was its phone number.
        o.remove("source");
        let id = derive_id("sg-a-", &["phone", &phone]);
        if !sink.has_account(&id) {
            let mut a = Account::new(&id, super::PLATFORM);
            a.phone = Some(phone.clone());
            sink.account(a)?;
        }
        m.sender = Some(id);
    }
    if let Some(s) = &m.sender {
        let s = s.clone();
        chat.member(&s);
    }
    let mut bad_ranges = Vec::new();
    let text = body.clone().unwrap_or_default();
    m.spans = spans(sink, &text, o.get("bodyRanges"), &mut bad_ranges)?;
    o.remove("bodyRanges");
    if !bad_ranges.is_empty() {
        ext.insert("bodyRanges".into(), bad_ranges.into());
    }
    // The quote.
    if let Some(Value::Object(mut q)) = o.remove("quote") {
        let qid = q.remove("id").as_ref().and_then(id_text);
        let target = qid
            .as_ref()
            .and_then(|id| by_sent.get(id))
            .filter(|id| sink.is_defined(id))
            .cloned();
        let quote = match q.remove("text") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        m.reply_to = Some(Box::new(Reply {
            message: target,
            platform_id: qid,
            quote,
            sender_name: None,
        }));
        if !q.is_empty() {
            ext.insert("quote".into(), q.into());
        }
    } else if let Some(v) = o.get("quote").cloned() {
        o.remove("quote");
        if !v.is_null() {
            ext.insert("quote".into(), v);
        }
    }
    // Reactions.
    if let Some(Value::Array(rs)) = o.remove("reactions") {
        let mut odd = Vec::new();
        for r in rs {
            let (Some(emoji), Some(from)) = (
                r.get("emoji").and_then(Value::as_str),
                r.get("fromId").and_then(Value::as_str),
            ) else {
                odd.push(r);
                continue;
            };
            let account = conversation_account(sink, from)?;
            let time = r.get("timestamp").and_then(Value::as_i64).and_then(millis);
            let reactor = Reactor {
                account: Some(account),
                name: None,
                time,
            };
            match m.reactions.iter_mut().find(|x| x.emoji == emoji) {
                Some(x) => {
                    x.by.push(reactor);
                    x.count = x.count.map(|c| c + 1);
                }
                None => m.reactions.push(Reaction {
                    emoji: emoji.to_owned(),
                    custom: None,
                    custom_id: None,
                    count: Some(1),
                    by: vec![reactor],
                    extensions: Default::default(),
                }),
            }
        }
        if !odd.is_empty() {
            ext.insert("reactions".into(), odd.into());
        }
    }
    // Attachments.
    if let Some(Value::Array(atts)) = o.remove("attachments") {
        for a in atts {
            m.attachments
                .push(json_attachment(input, sink, chat, a, &loc)?);
        }
    }
    if let Some(Value::Object(st)) = o.remove("sticker") {
        let mut a = Attachment::missing(
            AttachmentKind::Sticker,
            Some("sigtop export-messages does not copy stickers".into()),
        );
        a.emoji = st.get("emoji").and_then(Value::as_str).map(str::to_owned);
        let mut x = Map::new();
        x.insert("sticker".into(), Value::Object(st));
        a.extensions.insert(NAMESPACE.into(), x.into());
        m.attachments.push(a);
    }
    // Edits: newest first, the first being the message as it is now.
    if let Some(Value::Array(edits)) = o.remove("editHistory") {
        let mut history = Vec::new();
        let mut newest_time = None;
        for (k, e) in edits.iter().enumerate() {
            let t = e.get("timestamp").and_then(Value::as_i64).and_then(millis);
            if k == 0 {
                newest_time = t;
                continue;
            }
            let etext = e.get("body").and_then(Value::as_str).map(str::to_owned);
            let mut odd = Vec::new();
            let espans = spans(
                sink,
                etext.as_deref().unwrap_or(""),
                e.get("bodyRanges"),
                &mut odd,
            )?;
            history.push(Revision {
                time: t,
                text: etext,
                spans: espans,
            });
        }
        history.reverse();
        m.edited = Some(Box::new(Edit {
            time: newest_time,
            by: None,
            history,
        }));
        ext.insert("editHistory".into(), edits.into());
    }
    if o.get("deletedForEveryone") == Some(&Value::Bool(true)) {
        o.remove("deletedForEveryone");
        m.deleted = Some(Box::new(Deletion {
            time: None,
            by: None,
            placeholder: None,
        }));
    }
    match kind.as_str() {
        "incoming" | "outgoing" => m.text = body.clone().filter(|b| !b.is_empty()),
        "call-history" => {
            // Older Desktop versions: `callHistoryDetails` (or `call_history`) with `direction`,
            // `status` and `type`/`mode`, or `wasIncoming`/`wasDeclined`/`acceptedTime`.
            let d = o
                .get("callHistoryDetails")
                .or_else(|| o.get("call_history"))
                .cloned()
                .unwrap_or(Value::Null);
            let field = |k: &str| {
                d.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase()
            };
            let media = match (field("type"), field("mode"), d.get("wasVideoCall")) {
                (t, m, v)
                    if t.contains("video")
                        || m.contains("video")
                        || v == Some(&Value::Bool(true)) =>
                {
                    CallMedia::Video
                }
                (t, m, _) if t.contains("audio") || m.contains("audio") => CallMedia::Voice,
                _ => CallMedia::Unknown,
            };
            let outcome = match field("status").as_str() {
                "missed" | "notaccepted" => Some(CallOutcome::Missed),
                "accepted" => Some(CallOutcome::Answered),
                "declined" => Some(CallOutcome::Declined),
                _ if d.get("wasDeclined") == Some(&Value::Bool(true)) => {
                    Some(CallOutcome::Declined)
                }
                _ if d.get("acceptedTime").is_some_and(|v| !v.is_null()) => {
                    Some(CallOutcome::Answered)
                }
                _ => None,
            };
            m.call = Some(Box::new(Call {
                media,
                outcome,
                duration_seconds: None,
                ended: None,
                participants: Vec::new(),
            }));
            m.text = body.clone().filter(|b| !b.is_empty());
        }
        other => {
            m.event = Some(Box::new(Event {
                platform_kind: Some(other.to_owned()),
                text: body.clone(),
                ..Event::new(EventKind::Other)
            }));
            if m.sender.is_none() {
                m.spans.clear();
            }
        }
    }
    if m.text.is_none() && !m.spans.is_empty() {
        ext.insert("bodyRanges_unplaced".into(), m.spans.len().into());
        m.spans.clear();
    }
    ext.insert("type".into(), kind.clone().into());
    // Every key not mapped above, as stored.
    for (k, v) in o {
        ext.insert(k, v);
    }
    m.extensions.insert(NAMESPACE.into(), ext.into());
    m.platform_id = platform_id.clone();
    let written = match platform_id
        .as_deref()
        .filter(|p| p.len() <= 200 && !p.is_empty() && !p.contains(char::is_whitespace))
    {
        Some(p) => {
            m.id = format!("sg-m-{p}");
            sink.message_or_taken(&m)?
        }
        None => false,
    };
    if !written {
        let sender = m.sender.clone().unwrap_or_default();
        chat.write_derived(sink, &mut m, &sender, &text)?;
    }
    if let Some(s) = sent_at {
        by_sent.insert(s.to_string(), m.id.clone());
    }
    Ok(())
}

fn json_attachment(
    input: &Input,
    sink: &mut Sink,
    chat: &Chat,
    a: Value,
    loc: &str,
) -> Result<Attachment, ImportError> {
    let Value::Object(mut a) = a else {
        let mut x = Attachment::missing(AttachmentKind::Other, Some("not an object".into()));
        let mut e = Map::new();
        e.insert("attachment".into(), a);
        x.extensions.insert(NAMESPACE.into(), e.into());
        return Ok(x);
    };
    let mime = a
        .get("contentType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let name = a.get("fileName").and_then(Value::as_str).map(str::to_owned);
    let kind = kind_of(mime.as_deref().unwrap_or(""), name.as_deref().unwrap_or(""));
    let path = a.get("path").and_then(Value::as_str).map(str::to_owned);
    let pending = a.get("pending") == Some(&Value::Bool(true));
    let mut att = match path.as_deref() {
        Some(p) if input.resolve(&chat.base, p).is_some() => {
            let l = loc.to_owned();
            sink.attach_relative(input, &chat.base, p, kind, || l)?
        }
        _ if pending => Attachment::missing(kind, Some("not downloaded by Signal Desktop".into())),
        _ => Attachment::missing(
            kind,
            Some("sigtop export-messages does not copy attachments".into()),
        ),
    };
    att.mime_type = mime;
    if att.original_name.is_none() || name.is_some() {
        att.original_name = name.or(att.original_name.take());
    }
    a.remove("contentType");
    a.remove("fileName");
    if !a.is_empty() {
        att.extensions.insert(NAMESPACE.into(), a.into());
    }
    Ok(att)
}

/// A text-short line: its local date-time, the time text, the name and the rest.
pub(super) fn short_header(
    line: &str,
) -> Option<(Option<jiff::civil::DateTime>, &str, &str, &str)> {
    let (time, rest) = if let Some(rest) = line.strip_prefix("unknown ") {
        (None, rest)
    } else {
        let b = line.as_bytes();
        if b.len() < 18
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b' '
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i32> {
            let t = line.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let dt = jiff::civil::DateTime::new(
            num(0..4)? as i16,
            num(5..7)? as i8,
            num(8..10)? as i8,
            num(11..13)? as i8,
            num(14..16)? as i8,
            0,
            0,
        )
        .ok()?;
        (Some(dt), &line[17..])
    };
    // `- Name:` is WhatsApp's Android form (`2024-01-15 10:00 - Ann: hi`), never sigtop's.
    if rest.starts_with("- ") {
        return None;
    }
    let time_text = &line[..line.len() - rest.len()].trim_end();
    // The name ends at the first `:` followed by a space or the end of the line.
    let i = rest
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| matches!(rest.as_bytes().get(i + 1), None | Some(b' ')))?;
    let name = &rest[..i];
    if name.is_empty() || name.starts_with(' ') {
        return None;
    }
    let body = rest[i + 1..].strip_prefix(' ').unwrap_or(&rest[i + 1..]);
    Some((time, time_text, name, body))
}

/// What a text-short `[…]` list says, when every item is one sigtop writes.
#[derive(Default)]
struct ShortDetails {
    reply_to: Option<(String, String)>,
    edited: bool,
    attachments: u64,
}

fn short_details(list: &str) -> Option<ShortDetails> {
    let mut d = ShortDetails::default();
    for item in list.split(", ") {
        if item == "edited" {
            d.edited = true;
        } else if let Some(r) = item.strip_prefix("reply to ") {
            let (who, when) = r.rsplit_once(" on ")?;
            d.reply_to = Some((who.to_owned(), when.to_owned()));
        } else if let Some(n) = item
            .strip_suffix(" attachments")
            .or_else(|| item.strip_suffix(" attachment"))
        {
            d.attachments = n.parse().ok()?;
        } else {
            return None;
        }
    }
    Some(d)
}

/// Reads a sigtop text-short file.
pub(super) fn import_short(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
) -> Result<(), ImportError> {
    struct Pending {
        line: u64,
        time: Option<Time>,
        time_text: String,
        name: String,
        body: String,
    }
    let entry = chat.file.clone();
    let shown = chat.shown.clone();
    let mut pending: Option<Pending> = None;
    let flush = |p: Pending, sink: &mut Sink, chat: &mut Chat| -> Result<(), ImportError> {
        let mut m = Message::new(String::new(), chat.id.clone(), chat.next_ordinal());
        m.origin = sink.origin_line(&chat.file, p.line);
        m.time = p.time;
        let id = text_account(sink, &p.name)?;
        chat.member(&id);
        m.sender = Some(id);
        m.sender_name = Some(p.name.clone());
        let mut ext = Map::new();
        ext.insert("line".into(), p.body.clone().into());
        if m.time.is_none() {
            ext.insert("time".into(), p.time_text.clone().into());
        }
        let mut body = p.body.as_str();
        let first_end = body.find('\n').unwrap_or(body.len());
        let first = &body[..first_end];
        if let Some(kind) = first
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(" message]"))
            .filter(|k| !k.is_empty() && !k.contains(' ') && first_end == body.len())
        {
            m.event = Some(Box::new(Event {
                platform_kind: Some(kind.to_owned()),
                ..Event::new(EventKind::Other)
            }));
            body = "";
        } else if let Some(close) = first.find(']').filter(|_| first.starts_with('['))
            && let Some(d) = short_details(&first[1..close])
        {
            body = body[close + 1..]
                .strip_prefix(' ')
                .unwrap_or(&body[close + 1..]);
            if let Some((who, when)) = d.reply_to {
                m.reply_to = Some(Box::new(Reply {
                    message: None,
                    platform_id: None,
                    quote: None,
                    sender_name: Some(who),
                }));
                ext.insert("reply_to_time".into(), when.into());
            }
            if d.edited {
                m.edited = Some(Box::new(Edit {
                    time: None,
                    by: None,
                    history: Vec::new(),
                }));
            }
            for _ in 0..d.attachments.min(10_000) {
                m.attachments.push(Attachment::missing(
                    AttachmentKind::Other,
                    Some("sigtop text-short gives only the number of attachments".into()),
                ));
            }
        }
        if m.event.is_none() && !body.is_empty() {
            m.text = Some(body.to_owned());
        }
        if m.reply_to.is_none()
            && m.edited.is_none()
            && m.attachments.is_empty()
            && m.event.is_none()
        {
            ext.remove("line");
        }
        if !ext.is_empty() {
            m.extensions.insert(NAMESPACE.into(), ext.into());
        }
        chat.write_derived(sink, &mut m, &p.name, &p.body)
    };
    input.read_entry_buffered(&entry, |r| {
        crate::input::read_lines(
            r,
            &shown,
            "binary data (a NUL byte) where a sigtop text-short export has text",
            crate::input::NotUtf8::Replace,
            |n, line, _| {
                if let Some((dt, time_text, name, body)) = short_header(line) {
                    if let Some(p) = pending.take() {
                        flush(p, sink, chat)?;
                    }
                    sink.source_message();
                    pending = Some(Pending {
                        line: n,
                        time: dt.map(|dt| {
                            crate::times::local(dt, false, time_text, options.tz.as_ref())
                        }),
                        time_text: time_text.to_owned(),
                        name: name.to_owned(),
                        body: body.to_owned(),
                    });
                } else {
                    super::continuation(
                        pending.as_mut().map(|p| &mut p.body),
                        line,
                        || format!("{shown}:{n}"),
                        "not a sigtop text-short export: lines start with `YYYY-MM-DD HH:MM NAME:`",
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

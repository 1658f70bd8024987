//! WeChatMsg / MemoTrace TXT, `<remark>.txt` (UTF-8, no BOM), as its `exporter_txt.py` writes it:
//!
//! ```text
//! 2021-08-13 22:11:18 张三            <- StrTime, a space, the sender's display name
//! 你好                                 <- the body, any number of lines
//!                                      <- one blank line
//! 2021-08-13 22:12:00 你撤回了一条消息  <- a system line: no sender, no body
//!
//! 2021-08-13 22:13:00 张三
//! [图片]                               <- placeholders: [图片] [语音] [视频] [表情包] [文件] [音乐分享]
//!
//! 2021-08-13 22:14:00 我
//! 好的
//! 引用:张三:周六八点                    <- a reply: 引用:{name}:{quoted}, or 引用:未知
//!
//! 2021-08-13 22:15:00 张三
//!             [链接]:title:Rust 1.80     <- a link card: 12 spaces of indentation, then
//!             description:…               description, url and name lines and a
//!             url:https://…               whitespace-only line
//!             name:Rust Blog
//! ```
//!
//! A header is a line `YYYY-MM-DD HH:MM:SS name` at the start of the file or after a blank line,
//! so a body may hold blank lines and even a date-like line that does not follow one. Times are
//! the exporting machine's local times with no zone: `local`, or `assumed` with `--tz`. Senders
//! are known by display name only; which one is the user the file does not say (`--me`).

use super::content;
use super::{Chat, NS};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{Attachment, AttachmentKind, Deletion, Embed, Message, Reply};
use serde_json::{Map, Value};
use std::io::BufRead;

/// The time text and the rest of a header line.
fn header(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.len() < 21 || b[19] != b' ' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let rest = &line[20..];
    if rest.trim().is_empty() {
        return None;
    }
    Some((&line[..19], rest))
}

/// A header line opens the file, and every later header follows a blank line; a header's rest
/// is not WhatsApp's `- Name: text`.
pub(super) fn looks_like(b: &[u8]) -> bool {
    // Up to the first byte that is not UTF-8 (the peek may cut a character; a file that goes
    // bad later is refused with that line's number when imported).
    let text = match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let mut lines_seen = lines.by_ref().skip_while(|l| l.is_empty());
    let Some(first) = lines_seen.next() else {
        return false;
    };
    let Some((_, rest)) = header(first) else {
        return false;
    };
    if rest.starts_with('-') || rest.starts_with('[') {
        return false;
    }
    let mut prev_blank = false;
    let mut prev_header = true;
    let mut headers = 1;
    for l in lines_seen {
        let h = header(l);
        if let Some((_, rest)) = h {
            // A header is followed by a body or a blank line, never by another header: two in
            // a row are a log file's lines.
            if rest.starts_with('-') || prev_header {
                return false;
            }
            if prev_blank {
                headers += 1;
            }
        }
        prev_header = h.is_some();
        prev_blank = l.is_empty();
    }
    // One header alone passes only when the peek saw its blank separator or the file's end.
    headers >= 2 || prev_blank || b.len() < 4096
}

struct Block {
    line: u64,
    time: String,
    rest: String,
    body: Vec<String>,
}

pub(super) fn import_file(
    input: &Input,
    name: &str,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let shown = input.display(name);
    input.read_entry_buffered(name, |r| {
        let mut chat = Chat::start(input, name, None, None, sink)?;
        chat.marks_self = false;
        let mut block: Option<Block> = None;
        let mut prev_blank = true;
        let mut buf = Vec::new();
        let mut n: u64 = 0;
        loop {
            buf.clear();
            let got = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
            if got == 0 {
                break;
            }
            n += 1;
            let mut bytes = buf.as_slice();
            if n == 1 {
                bytes = super::strip_bom(bytes);
            }
            let line = std::str::from_utf8(bytes).map_err(|e| {
                ImportError::invalid(
                    format!("{shown}:{n}:{}", e.valid_up_to() + 1),
                    "not UTF-8 text: not a WeChatMsg/MemoTrace TXT export",
                )
            })?;
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            if prev_blank && let Some((time, rest)) = header(line) {
                if let Some(b) = block.take() {
                    emit(input, name, options, sink, &mut chat, b, true)?;
                }
                block = Some(Block {
                    line: n,
                    time: time.to_owned(),
                    rest: rest.to_owned(),
                    body: Vec::new(),
                });
                prev_blank = false;
                continue;
            }
            match &mut block {
                Some(b) => b.body.push(line.to_owned()),
                None if line.trim().is_empty() => {}
                None => {
                    return Err(ImportError::invalid(
                        format!("{shown}:{n}:1"),
                        "expected a \"YYYY-MM-DD HH:MM:SS name\" line: not a WeChatMsg/MemoTrace TXT export",
                    ));
                }
            }
            prev_blank = line.is_empty();
        }
        match block {
            Some(b) => emit(input, name, options, sink, &mut chat, b, false)?,
            None => {
                return Err(ImportError::invalid(
                    format!("{shown}:1:1"),
                    "no message lines: not a WeChatMsg/MemoTrace TXT export",
                ));
            }
        }
        chat.finish(sink, None);
        Ok(())
    })
}

/// What the TXT exporter writes for each media type in place of the file.
fn placeholder(body: &str) -> Option<AttachmentKind> {
    Some(match body {
        "[图片]" => AttachmentKind::Image,
        "[语音]" => AttachmentKind::Voice,
        "[视频]" => AttachmentKind::Video,
        "[表情包]" => AttachmentKind::Sticker,
        "[文件]" => AttachmentKind::File,
        _ => return None,
    })
}

fn emit(
    input: &Input,
    name: &str,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
    mut b: Block,
    followed: bool,
) -> Result<(), ImportError> {
    sink.source_message();
    let loc = format!("{}:{}", input.display(name), b.line);
    // The blank line that separates messages is not part of the body; at the file's end every
    // trailing blank line goes.
    if followed {
        if b.body.last().is_some_and(String::is_empty) {
            b.body.pop();
        }
    } else {
        while b.body.last().is_some_and(|l| l.trim().is_empty()) {
            b.body.pop();
        }
    }
    let mut m = Message::new(String::new(), chat.conv.clone(), chat.next_ordinal());
    m.origin = sink.origin_line(name, b.line);
    let dt: Option<jiff::civil::DateTime> = b.time.parse().ok();
    m.time = dt.map(|dt| crate::times::local(dt, true, &b.time, options.tz.as_ref()));
    let mut ext = Map::new();
    if m.time.is_none() {
        ext.insert("StrTime".into(), Value::String(b.time.clone()));
        sink.warn(
            "wechat-bad-time",
            "a header line whose date or time does not exist; kept under extensions",
            loc.clone(),
        );
    }
    let id_name;
    if b.body.is_empty() {
        // A system line: the rest of the header is its text, there is no sender.
        id_name = String::new();
        match content::revoke_placeholder(&b.rest) {
            Some(p) => {
                m.deleted = Some(Box::new(Deletion {
                    time: None,
                    by: None,
                    placeholder: Some(p).filter(|s| !s.is_empty()),
                }));
            }
            None => m.event = Some(Box::new(content::system_event(10000, &b.rest, false))),
        }
    } else {
        let who = b.rest.clone();
        m.sender = chat.sender(sink, "", &who, "", false)?;
        m.sender_name = Some(who.clone());
        id_name = who;
        body(&mut m, &mut ext, &b.body);
    }
    if !ext.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(ext));
    }
    let prefix = format!("wx-m-{}-", chat.key);
    chat.occurrences
        .write(sink, &mut m, &b.time, &[&id_name], |k| {
            chatport_model::ids::derive_id(&prefix, &[&b.time, &id_name, &k.to_string()])
        })
}

fn body(m: &mut Message, ext: &mut Map<String, Value>, lines: &[String]) {
    let joined = lines.join("\n");
    if let Some(kind) = placeholder(joined.trim()) {
        m.attachments.push(Attachment::missing(
            kind,
            Some(format!("the TXT export writes only {}", joined.trim())),
        ));
        ext.insert(
            "placeholder".into(),
            Value::String(joined.trim().to_owned()),
        );
        return;
    }
    if let Some(title) = lines[0].trim_start().strip_prefix("[链接]:") {
        // The link card: `[链接]:title:…`, then description, url and name lines, indented.
        let title = title.strip_prefix("title:").unwrap_or(title);
        let mut field = "title";
        let mut parts: Map<String, Value> = Map::new();
        let push = |k: &str, v: &str, parts: &mut Map<String, Value>| {
            let e = parts
                .entry(k.to_owned())
                .or_insert(Value::String(String::new()));
            if let Value::String(s) = e {
                if !s.is_empty() {
                    s.push('\n');
                }
                s.push_str(v);
            }
        };
        push("title", title, &mut parts);
        for l in &lines[1..] {
            let t = l.trim_start();
            let (k, v) = if let Some(v) = t.strip_prefix("description:") {
                ("description", v)
            } else if let Some(v) = t.strip_prefix("url:") {
                ("url", v)
            } else if let Some(v) = t.strip_prefix("name:") {
                ("name", v)
            } else {
                (field, t)
            };
            if k == field && t.is_empty() {
                continue;
            }
            field = match k {
                "description" => "description",
                "url" => "url",
                "name" => "name",
                _ => "title",
            };
            push(k, v, &mut parts);
        }
        let get = |k: &str| {
            parts
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "None")
                .map(str::to_owned)
        };
        m.embeds.push(Embed {
            url: get("url"),
            title: get("title"),
            description: get("description"),
            site_name: get("name"),
            image: None,
            extensions: Default::default(),
        });
        ext.insert("card".into(), Value::String(joined));
        return;
    }
    if let Some(i) = lines.iter().skip(1).position(|l| l.starts_with("引用:")) {
        let i = i + 1;
        let quote = lines[i..].join("\n");
        let quote = quote.strip_prefix("引用:").unwrap_or(&quote);
        let (name, text) = if quote == "未知" {
            ext.insert("quote_unknown".into(), Value::Bool(true));
            (None, None)
        } else {
            match quote.split_once(':') {
                Some((n, t)) => (Some(n.to_owned()), Some(t.to_owned())),
                None => (None, Some(quote.to_owned())),
            }
        };
        m.text = Some(lines[..i].join("\n"));
        m.reply_to = Some(Box::new(Reply {
            message: None,
            platform_id: None,
            quote: text,
            sender_name: name.filter(|n| !n.is_empty()),
        }));
        return;
    }
    m.text = Some(joined);
}

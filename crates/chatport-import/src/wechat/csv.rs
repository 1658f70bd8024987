//! WeChatMsg / MemoTrace CSV: `<remark>_utf8.csv`, written by Python's `csv.writer` as
//! `utf-8-sig` (a BOM, CRLF rows, fields with commas, quotes or newlines quoted) with the header
//! `localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender`.
//!
//! - `localId`: the row's id in the database (the message's `platform_id`);
//! - `Type`/`SubType`: WeChat's codes (see [`super::content`]);
//! - `IsSender`: 1 for the exporting user's messages;
//! - `CreateTime`: Unix seconds, the instant; `StrTime`: the same instant as local text of the
//!   exporting machine's zone, kept as the time's `original`;
//! - `StrContent`: the raw database content: text, or XML for media, cards and system XML;
//! - `Remark`/`NickName`/`Sender`: in groups the sender's; in 1:1 chats MemoTrace fills them
//!   with the user's own for `IsSender=1` rows and with the contact's otherwise.
//!
//! Columns are found by name; any column not in the list above is kept under extensions. The
//! file is read record by record.

use super::content::{self, Ctx};
use super::{Chat, NS, folder_of};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::{Message, Time};
use serde_json::{Map, Value};
use std::io::Read;

const COLUMNS: [&str; 12] = [
    "localId",
    "TalkerId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "Status",
    "StrContent",
    "StrTime",
    "Remark",
    "NickName",
    "Sender",
];

/// The header row names `localId`, `Type`, `CreateTime` and `StrContent`.
pub(super) fn looks_like(b: &[u8]) -> bool {
    let line_end = memchr::memchr(b'\n', b).unwrap_or(b.len());
    let Ok(line) = std::str::from_utf8(&b[..line_end]) else {
        return false;
    };
    let cols: Vec<&str> = line
        .trim_end_matches('\r')
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    ["localId", "Type", "CreateTime", "StrContent"]
        .iter()
        .all(|c| cols.contains(c))
}

/// Where each known column is, by its header.
struct Columns {
    at: [Option<usize>; 12],
    extra: Vec<(usize, String)>,
    count: usize,
}

impl Columns {
    fn new(header: &csv::StringRecord) -> Columns {
        let mut at = [None; 12];
        let mut extra = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let h = h.trim_start_matches('\u{feff}').trim();
            match COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(h)) {
                Some(k) if at[k].is_none() => at[k] = Some(i),
                _ => extra.push((i, h.to_owned())),
            }
        }
        Columns {
            at,
            extra,
            count: header.len(),
        }
    }

    fn get<'r>(&self, r: &'r csv::StringRecord, col: &str) -> &'r str {
        let k = COLUMNS
            .iter()
            .position(|c| *c == col)
            .expect("known column");
        self.at[k].and_then(|i| r.get(i)).unwrap_or("")
    }
}

/// An error of the record expected to start at `line`.
fn csv_error(shown: &str, line: u64, e: &csv::Error) -> ImportError {
    let line = e.position().map_or(line, |p| p.line().max(line));
    let loc = format!("{shown}:{line}:1");
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text: not a WeChatMsg/MemoTrace CSV".to_owned(),
        _ => format!("not a readable CSV: {e}"),
    };
    ImportError::invalid(loc, msg)
}

/// Skips a UTF-8 byte order mark.
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

/// The local text `YYYY-MM-DD HH:MM:SS` as seconds since the epoch read as UTC.
fn civil_seconds(s: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    Some(jiff::tz::Offset::UTC.to_timestamp(dt).ok()?.as_second())
}

pub(super) fn import_file(
    input: &Input,
    name: &str,
    options: &ImportOptions,
    sink: &mut Sink,
    offsets: &mut std::collections::BTreeSet<i64>,
) -> Result<(), ImportError> {
    let shown = input.display(name);
    input.read_entry(name, |r| {
        let r = without_bom(r, &shown)?;
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 << 10)
            .from_reader(r);
        let mut rec = csv::StringRecord::new();
        if !rd.read_record(&mut rec).map_err(|e| csv_error(&shown, 1, &e))? {
            return Err(ImportError::invalid(
                format!("{shown}:1:1"),
                "empty file: not a WeChatMsg/MemoTrace CSV",
            ));
        }
        let cols = Columns::new(&rec);
        for need in ["Type", "StrContent"] {
            if cols.at[COLUMNS.iter().position(|c| *c == need).expect("known")].is_none() {
                return Err(ImportError::invalid(
                    format!("{shown}:1:1"),
                    format!("no {need} column: not a WeChatMsg/MemoTrace CSV"),
                ));
            }
        }
        let mut chat = Chat::start(input, name, None, None, sink)?;
        let base = folder_of(name);
        // Line numbers are counted here: the csv crate places a CRLF row's start on the line
        // before (at the LF of the previous row's end). Its count catches up across blank
        // lines, which it skips.
        let newlines = |r: &csv::StringRecord| -> u64 {
            r.iter().map(|f| memchr::memchr_iter(b'\n', f.as_bytes()).count() as u64).sum()
        };
        let mut next_line = 2 + newlines(&rec);
        while rd
            .read_record(&mut rec)
            .map_err(|e| csv_error(&shown, next_line, &e))?
        {
            let line = rec.position().map_or(next_line, |p| p.line().max(next_line));
            next_line = line + 1 + newlines(&rec);
            let loc = format!("{shown}:{line}");
            if rec.len() == 1 && rec.get(0).is_some_and(str::is_empty) {
                continue; // a blank line
            }
            sink.source_message();
            if rec.len() != cols.count {
                return Err(ImportError::invalid(
                    format!("{shown}:{line}:1"),
                    format!(
                        "a row with {} fields where the header has {}: the file is cut short or not a WeChatMsg/MemoTrace CSV",
                        rec.len(),
                        cols.count
                    ),
                ));
            }
            row(input, name, base, options, sink, &mut chat, &cols, &rec, line, &loc, offsets)?;
        }
        chat.finish(sink, None);
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)]
fn row(
    input: &Input,
    name: &str,
    base: &str,
    options: &ImportOptions,
    sink: &mut Sink,
    chat: &mut Chat,
    cols: &Columns,
    rec: &csv::StringRecord,
    line: u64,
    loc: &str,
    offsets: &mut std::collections::BTreeSet<i64>,
) -> Result<(), ImportError> {
    let get = |c: &str| cols.get(rec, c);
    let local_id = get("localId").trim();
    let type_raw = get("Type").trim();
    let sub_raw = get("SubType").trim();
    let type_: i64 = type_raw.parse().unwrap_or(-1);
    let sub: i64 = sub_raw.parse().unwrap_or(0);
    let is_sender = get("IsSender").trim() == "1";
    let body = get("StrContent");
    let str_time = get("StrTime");
    let mut ext = Map::new();
    for c in ["Type", "SubType", "IsSender", "TalkerId", "Status"] {
        let v = get(c);
        if !v.is_empty() {
            ext.insert(c.into(), Value::String(v.to_owned()));
        }
    }
    for (i, h) in &cols.extra {
        if let Some(v) = rec.get(*i).filter(|v| !v.is_empty()) {
            ext.insert(h.clone(), Value::String(v.to_owned()));
        }
    }

    // The time: CreateTime is the instant; StrTime its rendering in the exporting machine's
    // zone, kept as `original`.
    let created: Option<i64> = get("CreateTime").trim().parse().ok();
    let time: Option<Time> = match created.and_then(crate::times::unix_seconds) {
        Some(t) => {
            if let (Some(ct), Some(local)) = (created, civil_seconds(str_time)) {
                let diff = local - ct;
                // A zone offset is a whole number of quarter hours within -12h..+14h (India's
                // +05:30, Nepal's +05:45); anything else means the two columns disagree.
                if diff % 900 == 0 && (-12 * 3600..=14 * 3600).contains(&diff) {
                    offsets.insert(diff);
                } else {
                    sink.warn(
                        "wechat-time-disagreement",
                        "CreateTime and StrTime disagree by more than a zone offset; CreateTime is used, StrTime kept as the original",
                        loc.to_owned(),
                    );
                }
            }
            Some(if str_time.is_empty() {
                t
            } else {
                t.with_original(str_time)
            })
        }
        None => {
            let local = str_time
                .trim()
                .parse::<jiff::civil::DateTime>()
                .ok()
                .map(|dt| crate::times::local(dt, true, str_time, options.tz.as_ref()));
            if !get("CreateTime").trim().is_empty() {
                ext.insert("CreateTime".into(), Value::String(get("CreateTime").into()));
            }
            sink.warn(
                "wechat-no-create-time",
                "a row without a readable CreateTime: its StrTime is used as a local time",
                loc.to_owned(),
            );
            local
        }
    };

    let mut m = Message::new(String::new(), chat.conv.clone(), chat.next_ordinal());
    m.platform_id = Some(local_id.to_owned()).filter(|s| !s.is_empty());
    m.time = time;
    m.origin = sink.origin_line(name, line);

    let system = matches!(type_, 10000 | 10002);
    let (wxid, nick, remark) = (get("Sender"), get("NickName"), get("Remark"));
    let shown_name = if remark.is_empty() { nick } else { remark };
    if system {
        // MemoTrace fills the sender columns of system lines from the chat, not from who did
        // anything: kept, not read as a sender.
        for (k, v) in [("Sender", wxid), ("NickName", nick), ("Remark", remark)] {
            if !v.is_empty() {
                ext.insert(k.into(), Value::String(v.to_owned()));
            }
        }
    } else {
        m.sender = chat.sender(sink, wxid, nick, remark, is_sender)?;
        m.sender_name = Some(shown_name.to_owned()).filter(|s| !s.is_empty());
    }
    let ctx = Ctx {
        input,
        base,
        location: loc.to_owned(),
    };
    content::apply(&mut m, &mut ext, type_, sub, body, &ctx, sink)?;
    if system && m.deleted.is_some() && is_sender {
        // "你撤回了一条消息": the exporting user's own message was revoked.
        m.sender = chat.sender(sink, wxid, nick, remark, true)?;
    }
    let shown = [
        m.text.as_deref(),
        m.event.as_ref().and_then(|e| e.text.as_deref()),
        m.deleted.as_ref().and_then(|d| d.placeholder.as_deref()),
    ];
    if !body.is_empty() && !shown.contains(&Some(body)) {
        ext.insert("StrContent".into(), Value::String(body.to_owned()));
    }
    if !ext.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(ext));
    }
    write(sink, &mut m, &chat.key, local_id, loc)
}

/// Writes `m` as `wx-m-<chat>-<localId>`; a localId met twice in one file (MemoTrace joins the
/// database's shards, each numbering its own rows) gets `-2`, `-3`, … with a warning.
pub(super) fn write(
    sink: &mut Sink,
    m: &mut Message,
    key: &str,
    local_id: &str,
    loc: &str,
) -> Result<(), ImportError> {
    let base = if super::id_safe(local_id) {
        format!("wx-m-{key}-{local_id}")
    } else {
        chatport_model::ids::derive_id(&format!("wx-m-{key}-"), &[local_id, &m.ordinal.to_string()])
    };
    m.id = base.clone();
    let mut n = 1;
    while !sink.message_or_taken(m)? {
        if n == 1 {
            sink.warn(
                "wechat-duplicate-local-id",
                "a localId met twice in one chat; the later message's id gets a suffix",
                loc.to_owned(),
            );
        }
        n += 1;
        m.id = format!("{base}-{n}");
    }
    Ok(())
}

//! LINE's "Export chat history" text file (`[LINE] Chat with NAME.txt`).
//!
//! The file opens with a title line (`[LINE] Chat history with NAME`, `[LINE] NAMEとのトーク履歴`,
//! `[LINE] 与NAME的聊天记录`, ...: "with" for a one-to-one chat, "in" for a group) and a
//! `Saved on:` line; then each day starts with a date line (`2024/01/15(Mon)`, `2024.01.02
//! Tuesday`, `Sun, 26/04/2026`, `2026/10/01（四）`, ...) and each message is one line
//! `TIME<TAB>SENDER<TAB>TEXT` (`TIME<TAB><TAB>TEXT` or `TIME<TAB>TEXT` for system lines; a few
//! Japanese exports use single spaces). Times have minutes only, 24-hour or 12-hour (`9:30AM`,
//! `10:00 PM`, `午後3:05`), with no zone. English exports wrap a multi-line body in double
//! quotes; others write bare continuation lines. Media is never in the export: `[Photo]`,
//! `[Sticker]` and their translations become missing attachments whose reason is the
//! placeholder. Unsent messages, calls (`☎ ...`) and group changes are system lines.
//!
//! The file is UTF-8, often with a byte order mark; UTF-16 with a byte order mark is converted;
//! anything else (legacy code pages such as cp874 or Shift_JIS) is refused with an error naming
//! the file and line, since guessing an encoding would corrupt the text.
//!
//! What the archive gets: local times (assumed in `--tz` when given), senders as accounts with
//! ids derived from their names (the export has no ids), message ids derived as spec section
//! 5.6 says (conversation, time text, sender, text and the occurrence of identical messages in
//! the same minute), the title and one-to-one/group kind from the title line, and each line's
//! origin.

use crate::times;
use crate::{DateOrder, ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Conversation,
    ConversationKind, Deletion, Event, EventKind, Member, Message,
};
use std::collections::HashMap;
use std::io::Read;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

const PLATFORM: &str = "line";
const NAMESPACE: &str = "jp.naver.line";

/// The chat text file of an input: the file itself, or the only `.txt` file of a folder or zip.
fn chat_entry(input: &Input) -> Option<String> {
    let entries = input.entries();
    if input.is_single_file() {
        return entries.first().map(|e| e.name.clone());
    }
    let txt = input.text_files();
    (txt.len() == 1).then(|| txt[0].to_owned())
}

/// The text encodings LINE writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

fn encoding_of(head: &[u8]) -> Encoding {
    match head {
        [0xFF, 0xFE, ..] => Encoding::Utf16Le,
        [0xFE, 0xFF, ..] => Encoding::Utf16Be,
        _ => Encoding::Utf8,
    }
}

/// The first bytes of an entry as text, UTF-16 decoded, byte order mark removed.
fn head_text(bytes: &[u8]) -> String {
    match encoding_of(bytes) {
        Encoding::Utf8 => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8_lossy(b).into_owned()
        }
        e => {
            let units = bytes[2..].chunks_exact(2).map(|c| {
                if e == Encoding::Utf16Le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .collect()
        }
    }
}

/// True for a LINE chat history: its first line is `[LINE] …`, or (a file whose title lines
/// were cut off) a LINE date line followed by a message line with a tab after its time.
pub(crate) fn sniff(input: &Input) -> bool {
    let Some(entry) = chat_entry(input) else {
        return false;
    };
    let lower = entry.to_ascii_lowercase();
    if lower.ends_with(".json") || lower.ends_with(".md") || lower.ends_with(".csv") {
        return false;
    }
    let Ok(head) = input.peek(&entry, 4096) else {
        return false;
    };
    let text = head_text(&head);
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    if first.starts_with("[LINE]") {
        return true;
    }
    if parse_date(first).is_none() {
        return false;
    }
    lines.next().and_then(parse_time).is_some_and(|t| t.tab)
}

/// What the title line says.
struct Title {
    title: Option<String>,
    kind: ConversationKind,
    language: &'static str,
}

/// Reads `[LINE] Chat history with NAME` and its translations.
fn parse_title(line: &str) -> Option<Title> {
    let rest = line.strip_prefix("[LINE]")?.trim();
    let t = |title: &str, kind, language| Title {
        title: Some(title.trim().to_owned()).filter(|t| !t.is_empty()),
        kind,
        language,
    };
    use ConversationKind::{Direct, Group, Unknown};
    Some(if let Some(n) = rest.strip_prefix("Chat history with ") {
        t(n, Direct, "en")
    } else if let Some(n) = rest.strip_prefix("Chat history in ") {
        t(n, Group, "en")
    } else if let Some(n) = rest.strip_suffix("とのトーク履歴") {
        t(n, Direct, "ja")
    } else if let Some(n) = rest.strip_suffix("のトーク履歴") {
        t(n, Group, "ja")
    } else if let Some(n) = rest.strip_suffix("的聊天记录") {
        match n.strip_prefix('与') {
            Some(n) => t(n, Direct, "zh-CN"),
            None => t(n, Group, "zh-CN"),
        }
    } else if let Some(n) = rest.strip_suffix("的聊天記錄") {
        match n.strip_prefix('與') {
            Some(n) => t(n, Direct, "zh-TW"),
            None => t(n, Group, "zh-TW"),
        }
    } else if let Some(n) = rest.strip_prefix("ประวัติการแชทกับ") {
        t(n, Direct, "th")
    } else if let Some(n) = rest.strip_prefix("ประวัติการแชทใน") {
        t(n, Group, "th")
    } else {
        t(rest, Unknown, "unknown")
    })
}

/// The `Saved on:` line and its translations: the text after the label.
fn saved_on_value(line: &str) -> Option<&str> {
    const PREFIXES: &[&str] = &[
        "Saved on:",
        "保存日時：",
        "保存日時:",
        "储存日期：",
        "儲存日期：",
        "保存日期：",
        "บันทึกวันที่",
    ];
    PREFIXES
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .map(str::trim)
}

/// A day line: `2024/01/15(Mon)` (year first, any weekday suffix) or `Sun, 26/04/2026` (an
/// English weekday, then day and month in the phone's order).
#[derive(Clone, Copy, Debug)]
enum DateLine {
    YearFirst(i16, i8, i8),
    /// Two numbers whose order the locale decides, the year, and the weekday (0 = Monday) when
    /// the weekday name is one chatport knows.
    WeekdayFirst(u8, u8, i16, Option<u8>),
}

fn digits(s: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n < min || n > max {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// True for the weekday forms LINE writes after a year-first date: English names or their
/// abbreviations, and CJK and Thai day names, alone or in ASCII or full-width parentheses.
fn is_weekday(s: &str) -> bool {
    let inner = s
        .trim_start_matches(['(', '（'])
        .trim_end_matches([')', '）'])
        .trim()
        .to_lowercase();
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if inner.is_ascii() {
        return inner.len() >= 3
            && EN.iter().any(|d| inner.starts_with(d))
            && inner.chars().all(|c| c.is_ascii_alphabetic() || c == '.');
    }
    const CJK: [&str; 8] = ["日", "月", "火", "水", "木", "金", "土", "天"];
    const ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let stripped = inner
        .trim_start_matches("星期")
        .trim_start_matches("周")
        .trim_start_matches("週")
        .trim_start_matches("禮拜")
        .trim_end_matches("曜日")
        .trim_end_matches("曜");
    if stripped.chars().count() == 1 && (CJK.contains(&stripped) || ZH.contains(&stripped)) {
        return true;
    }
    // Thai: วันจันทร์ … วันอาทิตย์, and their abbreviations (จ. อ. พ. …).
    inner.starts_with("วัน")
        || (inner.chars().count() <= 4
            && inner
                .chars()
                .all(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c) || c == '.'))
}

fn parse_date(line: &str) -> Option<DateLine> {
    let s = line.trim();
    if let Some((y, rest)) = digits(s, 4, 4) {
        let sep = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '/' | '.' | '-'))?;
        let (m, rest) = digits(&rest[1..], 1, 2)?;
        let rest = rest.strip_prefix(sep)?;
        let (d, rest) = digits(rest, 1, 2)?;
        // The weekday: nothing, `(Mon)`, `（四）`, ` Fri`, `周三`, ` 火曜日`. A word that is no
        // weekday (`2024/03/01 deadline` inside a message) makes the line text.
        let wd = rest.trim();
        if wd.chars().count() > 16 || wd.contains(|c: char| c.is_ascii_digit() || c == '\t') {
            return None;
        }
        if !wd.is_empty() && !is_weekday(wd) {
            return None;
        }
        if wd.contains(':') {
            return None;
        }
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        return Some(DateLine::YearFirst(y as i16, m as i8, d as i8));
    }
    let (word, rest) = s.split_once(", ")?;
    if word.is_empty() || word.chars().count() > 12 || !word.chars().all(char::is_alphabetic) {
        return None;
    }
    let (a, rest) = digits(rest, 1, 2)?;
    let (b, rest) = digits(rest.strip_prefix('/')?, 1, 2)?;
    let (y, rest) = digits(rest.strip_prefix('/')?, 4, 4)?;
    if !rest.trim().is_empty() {
        return None;
    }
    let lower = word.to_lowercase();
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let weekday = DAYS
        .iter()
        .position(|d| lower.starts_with(d))
        .map(|i| i as u8);
    Some(DateLine::WeekdayFirst(a as u8, b as u8, y as i16, weekday))
}

/// The date of a `WeekdayFirst` line read in `order`, when it is a real date.
fn ymd(a: u8, b: u8, y: i16, order: DateOrder) -> Option<jiff::civil::Date> {
    let (d, m) = match order {
        DateOrder::Mdy => (b, a),
        _ => (a, b),
    };
    jiff::civil::Date::new(y, m as i8, d as i8).ok()
}

/// The order of a `WeekdayFirst` line on its own: the one under which the weekday is right,
/// or the only one that gives a real date.
fn own_order(a: u8, b: u8, y: i16, weekday: Option<u8>) -> Option<DateOrder> {
    let dmy = ymd(a, b, y, DateOrder::Dmy);
    let mdy = ymd(a, b, y, DateOrder::Mdy);
    if a == b {
        return Some(DateOrder::Dmy);
    }
    if let Some(w) = weekday {
        let fits = |d: Option<jiff::civil::Date>| {
            d.is_some_and(|d| d.weekday().to_monday_zero_offset() as u8 == w)
        };
        match (fits(dmy), fits(mdy)) {
            (true, false) => return Some(DateOrder::Dmy),
            (false, true) => return Some(DateOrder::Mdy),
            _ => {}
        }
    }
    match (dmy.is_some(), mdy.is_some()) {
        (true, false) => Some(DateOrder::Dmy),
        (false, true) => Some(DateOrder::Mdy),
        _ => None,
    }
}

/// A message line's time and what follows it.
struct TimeLine<'a> {
    hour: i8,
    minute: i8,
    /// The time as written.
    text: &'a str,
    /// True when a tab follows the time (false: a single space).
    tab: bool,
    rest: &'a str,
}

fn parse_time(line: &str) -> Option<TimeLine<'_>> {
    let mut s = line;
    let mut pm: Option<bool> = None;
    for (p, is_pm) in [
        ("上午", false),
        ("下午", true),
        ("午前", false),
        ("午後", true),
    ] {
        if let Some(r) = s.strip_prefix(p) {
            pm = Some(is_pm);
            s = r.strip_prefix(' ').unwrap_or(r);
            break;
        }
    }
    let (h, r) = digits(s, 1, 2)?;
    let (m, mut r) = digits(r.strip_prefix(':')?, 2, 2)?;
    if pm.is_none() {
        let t = r.strip_prefix(' ').unwrap_or(r);
        if let (Some(suffix), Some(tail)) = (t.get(..2), t.get(2..)) {
            let suffix = suffix.to_ascii_lowercase();
            let after = tail.chars().next();
            if (suffix == "am" || suffix == "pm") && matches!(after, None | Some('\t' | ' ')) {
                pm = Some(suffix == "pm");
                r = &t[2..];
            }
        }
    }
    let text = &line[..line.len() - r.len()];
    let (tab, rest) = if let Some(rest) = r.strip_prefix('\t') {
        (true, rest)
    } else {
        (false, r.strip_prefix(' ')?)
    };
    if m > 59 {
        return None;
    }
    let hour = match pm {
        None if h <= 23 => h,
        Some(p) if (1..=12).contains(&h) => h % 12 + if p { 12 } else { 0 },
        _ => return None,
    };
    Some(TimeLine {
        hour: hour as i8,
        minute: m as i8,
        text,
        tab,
        rest,
    })
}

/// A reader that turns UTF-16 (after its byte order mark) into UTF-8.
struct Utf16Reader<'a> {
    inner: &'a mut dyn Read,
    big_endian: bool,
    carry: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for Utf16Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() && !self.done {
            self.out.clear();
            self.pos = 0;
            let mut chunk = [0u8; 8192];
            let n = self.inner.read(&mut chunk)?;
            self.carry.extend_from_slice(&chunk[..n]);
            if n == 0 {
                self.done = true;
            }
            let mut even = self.carry.len() & !1;
            let unit = |c: &[u8]| {
                if self.big_endian {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            };
            // A high surrogate at the end waits for its pair.
            if !self.done && even >= 2 && (0xD800..0xDC00).contains(&unit(&self.carry[even - 2..]))
            {
                even -= 2;
            }
            let units: Vec<u16> = self.carry[..even].chunks_exact(2).map(unit).collect();
            for c in char::decode_utf16(units) {
                let c = c.unwrap_or('\u{FFFD}');
                let mut b = [0u8; 4];
                self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
            self.carry.drain(..even);
            if self.done && !self.carry.is_empty() {
                self.carry.clear();
                self.out.extend_from_slice("\u{FFFD}".as_bytes());
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Calls `f` with each line (1-based number, text without its line end). Refuses binary data
/// and text that is not UTF-8 (or UTF-16 with a byte order mark), naming the line.
fn for_each_line(
    input: &Input,
    entry: &str,
    mut f: impl FnMut(u64, &str) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let shown = input.display(entry);
    let enc = encoding_of(&input.peek(entry, 2)?);
    input.read_entry(entry, |r| {
        let mut r16;
        let reader: &mut dyn Read = if enc == Encoding::Utf8 {
            r
        } else {
            let mut bom = [0u8; 2];
            r.read_exact(&mut bom)
                .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
            r16 = Utf16Reader {
                inner: r,
                big_endian: enc == Encoding::Utf16Be,
                carry: Vec::new(),
                out: Vec::new(),
                pos: 0,
                done: false,
            };
            &mut r16
        };
        let mut r = std::io::BufReader::with_capacity(64 << 10, reader);
        crate::input::read_lines(
            &mut r,
            &shown,
            "binary data (a NUL byte) where a LINE chat history has text (UTF-16 without a byte order mark is not read: save the file as UTF-8)",
            crate::input::NotUtf8::Refuse(
                "this line is not UTF-8: LINE writes UTF-8 (or UTF-16 with a byte order mark), and this file seems to be in a legacy encoding (such as cp874, Shift_JIS or Big5) that chatport does not guess; convert it to UTF-8 and import it again",
            ),
            |n, line, _| f(n, line),
        )
    })
}

/// What a system text says.
struct System {
    kind: EventKind,
    platform_kind: &'static str,
    actor: Option<String>,
    targets: Vec<String>,
    new_value: Option<String>,
    /// True for "X unsent a message".
    unsent: bool,
}

/// Reads a system line's text (English and Japanese wordings; anything else is `Other`).
fn system(text: &str) -> System {
    let t = text
        .trim()
        .trim_end_matches(['.', '。'])
        .trim_end_matches(['.', '。']);
    let mut s = System {
        kind: EventKind::Other,
        platform_kind: "other",
        actor: None,
        targets: Vec::new(),
        new_value: None,
        unsent: false,
    };
    let name = |n: &str| Some(n.trim().to_owned()).filter(|n| !n.is_empty());
    let mut set = |kind, pk, actor: &str, target: Option<&str>, value: Option<&str>| {
        s.kind = kind;
        s.platform_kind = pk;
        s.actor = name(actor);
        s.targets = target.and_then(name).into_iter().collect();
        s.new_value = value.map(|v| v.trim_matches(['"', '「', '」']).to_owned());
    };
    if let Some(a) = t
        .strip_suffix(" unsent a message")
        .or_else(|| t.strip_suffix("がメッセージの送信を取り消しました"))
        .or_else(|| t.strip_suffix("已收回訊息"))
        .or_else(|| t.strip_suffix("已撤回消息"))
    {
        set(EventKind::Other, "unsent", a, None, None);
        s.unsent = true;
    } else if let Some(a) = t
        .strip_suffix(" joined the group")
        .or_else(|| t.strip_suffix("がグループに参加しました"))
        .or_else(|| t.strip_suffix("已加入群組"))
    {
        set(EventKind::Joined, "joined", a, None, None);
    } else if let Some(a) = t
        .strip_suffix(" left the group")
        .or_else(|| t.strip_suffix("がグループを退会しました"))
        .or_else(|| t.strip_suffix("已退出群組"))
    {
        set(EventKind::Left, "left", a, None, None);
    } else if let Some((a, b)) = t.strip_suffix(" to the group").and_then(|r| {
        r.split_once(" added ")
            .or_else(|| r.split_once(" invited "))
    }) {
        set(EventKind::Added, "added", a, Some(b), None);
    } else if let Some((a, b)) = t
        .strip_suffix("をグループに招待しました")
        .or_else(|| t.strip_suffix("をグループに追加しました"))
        .and_then(|r| r.split_once('が'))
    {
        set(EventKind::Added, "added", a, Some(b), None);
    } else if let Some((a, b)) = t
        .strip_suffix(" from the group")
        .and_then(|r| r.split_once(" removed "))
    {
        set(EventKind::Removed, "removed", a, Some(b), None);
    } else if let Some((a, b)) = t
        .strip_suffix("をグループから削除しました")
        .or_else(|| t.strip_suffix("を退会させました"))
        .and_then(|r| r.split_once('が'))
    {
        set(EventKind::Removed, "removed", a, Some(b), None);
    } else if let Some((a, v)) = t.split_once(" changed the group name to ") {
        set(EventKind::Renamed, "renamed", a, None, Some(v));
    } else if let Some((a, v)) = t
        .strip_suffix("に変更しました")
        .and_then(|r| r.split_once("がグループ名を"))
    {
        set(EventKind::Renamed, "renamed", a, None, Some(v));
    } else if let Some(a) = t
        .strip_suffix(" changed the group profile picture")
        .or_else(|| t.strip_suffix("がグループのプロフィール画像を変更しました"))
    {
        set(EventKind::PhotoChanged, "photo_changed", a, None, None);
    } else if let Some(a) = t
        .strip_suffix(" created the group")
        .or_else(|| t.strip_suffix("がグループを作成しました"))
    {
        set(EventKind::Created, "created", a, None, None);
    } else if let Some((a, v)) = t.split_once(" created the group ") {
        set(EventKind::Created, "created", a, None, Some(v));
    } else if let Some((a, _)) = t
        .split_once(" created an album")
        .or_else(|| t.split_once(" added photos to the album"))
        .or_else(|| t.split_once("がアルバム"))
    {
        set(EventKind::Other, "album", a, None, None);
    } else if let Some((a, _)) = t
        .split_once(" created a note")
        .or_else(|| t.split_once("がノートに投稿しました"))
    {
        set(EventKind::Other, "note", a, None, None);
    }
    s
}

/// A call line (`☎ Call time 0:32`, `☎ Missed call`, `☎ 通話時間 0:32`, `☎ 不在着信`, ...).
fn call(text: &str) -> Option<Call> {
    let rest = text
        .strip_prefix('☎')
        .or_else(|| text.strip_prefix('📞'))?
        .trim_start_matches('\u{FE0F}')
        .trim();
    let lower = rest.to_lowercase();
    let media = if lower.contains("video") || rest.contains("ビデオ") || rest.contains("視訊")
    {
        CallMedia::Video
    } else {
        CallMedia::Unknown
    };
    let duration = rest
        .rsplit(' ')
        .next()
        .and_then(|d| {
            let parts: Vec<&str> = d.split(':').collect();
            if parts.len() < 2 || parts.len() > 3 {
                return None;
            }
            parts.iter().try_fold(0f64, |acc, p| {
                let v: u32 = p.parse().ok()?;
                Some(acc * 60.0 + f64::from(v))
            })
        })
        .filter(|_| rest.contains(':'));
    let outcome = if duration.is_some() {
        Some(CallOutcome::Answered)
    } else if lower.contains("missed") || rest.contains("不在着信") || rest.contains("未接") {
        Some(CallOutcome::Missed)
    } else if lower.contains("cancel") || rest.contains("キャンセル") || rest.contains("取消")
    {
        Some(CallOutcome::Cancelled)
    } else if lower.contains("no answer") || rest.contains("応答なし") || rest.contains("無人接聽")
    {
        Some(CallOutcome::Missed)
    } else if lower.contains("declined") || rest.contains("拒否") {
        Some(CallOutcome::Declined)
    } else {
        None
    };
    Some(Call {
        media,
        outcome,
        duration_seconds: duration,
        ended: None,
        participants: Vec::new(),
    })
}

/// The kind of media a placeholder stands for (`[Photo]`, `[スタンプ]`, ...).
fn placeholder(text: &str) -> Option<AttachmentKind> {
    use AttachmentKind::*;
    const TABLE: &[(&str, AttachmentKind)] = &[
        ("[Photo]", Image),
        ("[Photos]", Image),
        ("Photos", Image),
        ("[Album]", Image),
        ("[写真]", Image),
        ("[アルバム]", Image),
        ("[照片]", Image),
        ("[相片]", Image),
        ("[รูปภาพ]", Image),
        ("[Sticker]", Sticker),
        ("スタンプ", Sticker),
        ("写真", Image),
        ("[Stickers]", Sticker),
        ("Stickers", Sticker),
        ("[スタンプ]", Sticker),
        ("[贴图]", Sticker),
        ("[貼圖]", Sticker),
        ("[สติกเกอร์]", Sticker),
        ("[Video]", Video),
        ("[動画]", Video),
        ("[视频]", Video),
        ("[影片]", Video),
        ("[วิดีโอ]", Video),
        ("[File]", File),
        ("[ファイル]", File),
        ("[文件]", File),
        ("[檔案]", File),
        ("[ไฟล์]", File),
        ("[Voice message]", Voice),
        ("[ボイスメッセージ]", Voice),
        ("[语音信息]", Voice),
        ("[語音訊息]", Voice),
        ("[ข้อความเสียง]", Voice),
        ("[Contact]", ContactCard),
        ("[連絡先]", ContactCard),
        ("[联系人]", ContactCard),
        ("[聯絡資訊]", ContactCard),
        ("[Location]", Other),
        ("[位置情報]", Other),
        ("[位置信息]", Other),
        ("[位置資訊]", Other),
        ("[Notes]", Other),
        ("[Note]", Other),
        ("[ノート]", Other),
        ("[记事本]", Other),
        ("[記事本]", Other),
        ("[GIF]", Gif),
    ];
    TABLE.iter().find(|(p, _)| *p == text).map(|(_, k)| *k)
}

/// The message being read.
#[derive(Default)]
struct Pending {
    live: bool,
    line: u64,
    time: Option<chatport_model::Time>,
    /// The sender column; `None` for a system line.
    sender: Option<String>,
    body: String,
    /// Blank lines read since the last text line, added when more text follows.
    blanks: usize,
    /// True while a body that opened with `"` has not closed.
    quote_open: bool,
    quoted: bool,
}

struct State<'a> {
    conv: String,
    ordinal: u64,
    /// Sender name to account id, in order of appearance.
    accounts: HashMap<String, String>,
    members: Vec<String>,
    occurrences: crate::occurrence::Occurrences,
    options: &'a ImportOptions,
    entry: String,
}

/// Imports a LINE chat history.
pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let entry = chat_entry(input).ok_or_else(|| {
        ImportError::invalid(
            input.path().display().to_string(),
            "no LINE chat history here: expected one .txt file (a folder or zip holding several: import each on its own)",
        )
    })?;
    let shown = input.display(&entry);
    input.expect_passes(2);

    // First pass: the title line, and the order of day and month in `Sun, 26/04/2026` lines.
    let mut title_line: Option<String> = None;
    let mut first_content: Option<(u64, String)> = None;
    let mut votes = [0u64; 2];
    let mut ambiguous_at: Option<u64> = None;
    for_each_line(input, &entry, |n, line| {
        if first_content.is_none() && !line.trim().is_empty() {
            first_content = Some((n, line.to_owned()));
            if line.starts_with("[LINE]") {
                title_line = Some(line.to_owned());
            }
        }
        if let Some(DateLine::WeekdayFirst(a, b, y, w)) = parse_date(line) {
            match own_order(a, b, y, w) {
                Some(DateOrder::Mdy) => votes[1] += 1,
                Some(_) => votes[0] += 1,
                None => {
                    ambiguous_at.get_or_insert(n);
                }
            }
        }
        Ok(())
    })?;
    let Some((first_n, first)) = first_content else {
        return Err(ImportError::invalid(
            format!("{shown}:1"),
            "the chat file is empty",
        ));
    };
    if title_line.is_none() && parse_date(&first).is_none() {
        return Err(ImportError::invalid(
            format!("{shown}:{first_n}"),
            "not a LINE chat history: the first line is neither `[LINE] …` nor a date line",
        ));
    }
    let file_order = match options.date_order {
        Some(o) => Some(o),
        None => match votes {
            [0, 0] => None,
            [_, 0] => Some(DateOrder::Dmy),
            [0, _] => Some(DateOrder::Mdy),
            _ => {
                return Err(ImportError::NeedsOption {
                    location: shown.clone(),
                    message: "the date lines of this file disagree on whether the day or the month comes first; say which with --date-order dmy|mdy".into(),
                });
            }
        },
    };
    if let (Some(n), None) = (ambiguous_at, file_order) {
        return Err(ImportError::NeedsOption {
            location: format!("{shown}:{n}"),
            message: "no date line tells day and month apart (no weekday chatport knows, no number above 12); say which comes first with --date-order dmy|mdy".into(),
        });
    }

    // The conversation.
    let parsed = title_line.as_deref().and_then(parse_title);
    let file_stem = entry
        .rsplit('/')
        .next()
        .unwrap_or(&entry)
        .trim_end_matches(".txt")
        .to_owned();
    let (title, kind) = match &parsed {
        Some(t) => (t.title.clone(), t.kind),
        None => {
            // The file name LINE gives the export: `[LINE] Chat with NAME.txt`,
            // `[LINE] NAMEとのトーク.txt` (one-to-one), `[LINE] NAMEのトーク.txt` (group).
            let stem = file_stem.trim_start_matches("[LINE]").trim();
            if let Some(n) = stem.strip_prefix("Chat with ") {
                (Some(n.to_owned()), ConversationKind::Direct)
            } else if let Some(n) = stem.strip_prefix("Chat in ") {
                (Some(n.to_owned()), ConversationKind::Group)
            } else if let Some(n) = stem.strip_suffix("とのトーク") {
                (Some(n.to_owned()), ConversationKind::Direct)
            } else if let Some(n) = stem.strip_suffix("のトーク") {
                (Some(n.to_owned()), ConversationKind::Group)
            } else {
                (
                    Some(stem.to_owned()).filter(|s| !s.is_empty()),
                    ConversationKind::Unknown,
                )
            }
        }
    };
    let conv = derive_id("ln-c-", &[title.as_deref().unwrap_or(&file_stem)]);
    let mut c = Conversation::new(&conv, PLATFORM, kind);
    c.title = title.clone();
    sink.conversation(c)?;
    sink.header_mut().title = title;
    {
        let src = sink.source_mut();
        src.exporter = Some("LINE Export chat history".into());
        src.files = vec![if input.is_single_file() {
            entry.clone()
        } else {
            input
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| entry.clone())
        }];
        let mut ext = serde_json::Map::new();
        if let Some(t) = &title_line {
            ext.insert("title_line".into(), t.clone().into());
        }
        if let Some(t) = &parsed {
            ext.insert("language".into(), t.language.into());
        }
        if let Some(o) = file_order {
            ext.insert(
                "date_order".into(),
                if o == DateOrder::Mdy { "mdy" } else { "dmy" }.into(),
            );
        }
        src.extensions.insert(NAMESPACE.into(), ext.into());
    }

    let mut st = State {
        conv,
        ordinal: 0,
        accounts: HashMap::new(),
        members: Vec::new(),
        occurrences: Default::default(),
        options,
        entry: entry.clone(),
    };
    let mut pending = Pending::default();
    let mut day: Option<(jiff::civil::Date, String)> = None;
    let mut prev_blank = true;
    let mut tabs: Option<bool> = None;
    let mut saved_on: Option<String> = None;
    let mut before_first: Vec<u64> = Vec::new();
    for_each_line(input, &entry, |n, line| {
        if title_line.is_some() && n == first_n {
            return Ok(());
        }
        if pending.quote_open {
            let ends =
                starts_message(line, &st.accounts) || prev_blank && parse_date(line).is_some();
            if !ends {
                pending.body.push('\n');
                pending.body.push_str(line);
                if line.ends_with('"') {
                    pending.quote_open = false;
                }
                prev_blank = line.is_empty();
                return Ok(());
            }
            pending.quote_open = false;
        }
        if line.trim().is_empty() {
            if pending.live {
                pending.blanks += 1;
            }
            prev_blank = true;
            return Ok(());
        }
        let was_blank = prev_blank;
        prev_blank = false;
        if (was_blank || !pending.live)
            && let Some(d) = parse_date(line)
        {
            {
                let date = match d {
                    DateLine::YearFirst(y, m, dd) => jiff::civil::Date::new(y, m, dd).ok(),
                    DateLine::WeekdayFirst(a, b, y, w) => own_order(a, b, y, w)
                        .or(file_order)
                        .and_then(|o| ymd(a, b, y, o)),
                };
                if let Some(date) = date {
                    if pending.live {
                        st.emit(sink, &mut pending)?;
                    }
                    day = Some((date, line.trim().to_owned()));
                    return Ok(());
                }
            }
        }
        // The file's first message line settles whether a tab or a space follows the time; a
        // line with the other separator is text (`09:00 から始まる行` in a tab file).
        let t = parse_time(line).filter(|t| *tabs.get_or_insert(t.tab) == t.tab);
        if let (Some((date, date_text)), Some(t)) = (&day, t) {
            if pending.live {
                st.emit(sink, &mut pending)?;
            }
            sink.source_message();
            let dt = date
                .to_datetime(jiff::civil::Time::new(t.hour, t.minute, 0, 0).unwrap_or_default());
            pending.live = true;
            pending.line = n;
            pending.time = Some(times::local(
                dt,
                false,
                &format!("{date_text} {}", t.text),
                options.tz.as_ref(),
            ));
            pending.blanks = 0;
            let (sender, body) = split_sender(&t);
            pending.sender = sender.map(str::to_owned);
            pending.body.clear();
            pending.body.push_str(body);
            // A body wrapped in quotes opens with `"` and has no other quote on its first line;
            // `"Dune" is great` is a text that starts with a quotation, not a wrapper.
            pending.quoted = body.starts_with('"')
                && (body.len() == 1 || !body.ends_with('"'))
                && !body[1..].contains('"');
            pending.quote_open = pending.quoted;
            return Ok(());
        }
        if pending.live {
            for _ in 0..pending.blanks {
                pending.body.push('\n');
            }
            pending.blanks = 0;
            pending.body.push('\n');
            pending.body.push_str(line);
        } else if day.is_none() && saved_on.is_none() && saved_on_value(line).is_some() {
            saved_on = Some(line.to_owned());
        } else {
            before_first.push(n);
        }
        Ok(())
    })?;
    if pending.live {
        st.emit(sink, &mut pending)?;
    }
    for n in before_first {
        sink.warn(
            "text-before-first-message",
            "a line before the first message was not imported",
            format!("{shown}:{n}"),
        );
    }
    if let Some(s) = saved_on {
        // `Saved on: 2024/01/03 09:00`: year first, the export's local time. Other orders
        // (`11/04/2025, 08:00`) stay text only.
        let exported = saved_on_value(&s).and_then(|v| {
            let (date, time) = v.split_once(' ')?;
            let DateLine::YearFirst(y, m, d) = parse_date(date)? else {
                return None;
            };
            let probe = format!("{time}\tx");
            let t = parse_time(&probe)?;
            let dt = jiff::civil::DateTime::new(y, m, d, t.hour, t.minute, 0, 0).ok()?;
            Some(times::local(dt, false, v, options.tz.as_ref()))
        });
        let src = sink.source_mut();
        src.exported = exported;
        if let Some(serde_json::Value::Object(ext)) = src.extensions.get_mut(NAMESPACE) {
            ext.insert("saved_on".into(), s.into());
        }
    }
    // Members, and a chat of more than two senders is a group whatever its title said.
    let members: Vec<Member> = st
        .members
        .iter()
        .map(|name| Member {
            account: st.accounts[name].clone(),
            roles: Vec::new(),
            nickname: None,
        })
        .collect();
    let n_members = members.len();
    if let Some(c) = sink.conversation_mut(&st.conv) {
        c.members = members;
        if c.kind == ConversationKind::Unknown && n_members > 2 {
            c.kind = ConversationKind::Group;
        }
    }
    Ok(())
}

/// True when `line` starts a message of a sender seen before (it closes an open quote).
/// True when `line` ends an open quoted body: a tab-separated message or system line, from
/// anyone (`TIME\tSENDER\tTEXT` or `TIME\t\tTEXT`), or from a sender already seen.
fn starts_message(line: &str, known: &HashMap<String, String>) -> bool {
    parse_time(line).is_some_and(|t| {
        t.tab && {
            let (sender, _) = split_sender(&t);
            sender.is_none_or(|s| known.contains_key(s) || t.rest.contains('\t'))
        }
    })
}

/// The sender column and the text of a message line; no sender for a system line.
fn split_sender<'a>(t: &TimeLine<'a>) -> (Option<&'a str>, &'a str) {
    if t.tab {
        match t.rest.split_once('\t') {
            Some(("", body)) => (None, body),
            Some((sender, body)) => (Some(sender), body),
            None => (None, t.rest),
        }
    } else {
        // Single spaces: the sender is the first word (names with spaces cannot be told apart),
        // unless the whole line is a system wording.
        if system(t.rest).platform_kind != "other" {
            return (None, t.rest);
        }
        match t.rest.split_once(' ') {
            Some((sender, body)) if !sender.is_empty() => (Some(sender), body),
            _ => (None, t.rest),
        }
    }
}

impl State<'_> {
    fn account(&mut self, sink: &mut Sink, name: &str) -> Result<String, ImportError> {
        if let Some(id) = self.accounts.get(name) {
            return Ok(id.clone());
        }
        let id = derive_id("ln-a-", &[name]);
        let mut a = Account::new(&id, PLATFORM);
        a.display_name = Some(name.to_owned());
        if self.options.me.as_deref() == Some(name) {
            a.is_self = Some(true);
        }
        sink.account(a)?;
        self.accounts.insert(name.to_owned(), id.clone());
        self.members.push(name.to_owned());
        Ok(id)
    }

    fn emit(&mut self, sink: &mut Sink, p: &mut Pending) -> Result<(), ImportError> {
        p.live = false;
        p.quote_open = false;
        self.ordinal += 1;
        let mut body = p.body.clone();
        if p.quoted && body.len() >= 2 && body.ends_with('"') && body.contains('\n') {
            body = body[1..body.len() - 1].to_owned();
        }
        let mut m = Message::new(String::new(), self.conv.clone(), self.ordinal);
        m.time = p.time.take();
        m.origin = sink.origin_line(&self.entry, p.line);
        let mut transformed = false;
        match &p.sender {
            Some(name) => {
                m.sender = Some(self.account(sink, name)?);
                m.sender_name = Some(name.clone());
                let sys = system(&body);
                if let Some(c) = call(&body) {
                    m.call = Some(Box::new(c));
                    transformed = true;
                } else if let Some((kind, first, rest)) = body
                    .split_once('\n')
                    .map_or(Some((&body[..], "")), |(a, b)| Some((a, b)))
                    .and_then(|(first, rest)| Some((placeholder(first)?, first, rest)))
                {
                    // A placeholder; lines after it (a location's address) are its text.
                    m.attachments
                        .push(Attachment::missing(kind, Some(first.to_owned())));
                    m.text = Some(rest.to_owned()).filter(|r| !r.is_empty());
                    transformed = true;
                } else if sys.unsent {
                    m.deleted = Some(Box::new(Deletion {
                        time: None,
                        by: m.sender.clone(),
                        placeholder: Some(body.clone()),
                    }));
                    transformed = true;
                } else {
                    m.text = Some(body.clone());
                }
            }
            None => {
                let sys = system(&body);
                let known = |n: &str| self.accounts.get(n).cloned();
                if let Some(c) = call(&body) {
                    m.call = Some(Box::new(c));
                    transformed = true;
                } else if sys.unsent {
                    // "Ann unsent a message": Ann's message, deleted.
                    m.sender = sys.actor.as_deref().and_then(known);
                    m.sender_name = sys.actor.clone();
                    m.deleted = Some(Box::new(Deletion {
                        time: None,
                        by: m.sender.clone(),
                        placeholder: Some(body.clone()),
                    }));
                    transformed = true;
                } else {
                    let actor = sys.actor.as_deref().and_then(known);
                    let targets = sys.targets.iter().filter_map(|t| known(t)).collect();
                    m.event = Some(Box::new(Event {
                        platform_kind: Some(sys.platform_kind.to_owned()),
                        actor,
                        targets,
                        target_names: sys.targets.clone(),
                        new_value: sys.new_value.clone(),
                        text: Some(body.clone()),
                        ..Event::new(sys.kind)
                    }));
                }
            }
        }
        if transformed {
            let mut ext = serde_json::Map::new();
            ext.insert("body".into(), body.clone().into());
            m.extensions.insert(NAMESPACE.into(), ext.into());
        }
        // The id (spec section 5.6): conversation, the wall-clock time text, sender, text and
        // the occurrence among identical messages of the same minute.
        let at = m
            .time
            .as_ref()
            .map(|t| t.local.clone().unwrap_or_else(|| t.at.clone()))
            .unwrap_or_default();
        let sender = p.sender.clone().unwrap_or_default();
        let conv = self.conv.clone();
        self.occurrences
            .write(sink, &mut m, &at, &[&sender, &body], |occurrence| {
                derive_id(
                    "ln-m-",
                    &[&conv, &at, &sender, &body, &occurrence.to_string()],
                )
            })
    }
}

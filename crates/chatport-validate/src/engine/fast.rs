//! The fast path for message lines, the bulk of every archive.
//!
//! A hand-written scanner reads the common shape of a message straight from the line's bytes,
//! borrowing every string, and runs the same checks as the full path on what it finds. It only
//! ever *accepts*: when the line is a message the full path would accept without a single
//! diagnostic, it applies the same effects (the id defined, the conversation's last ordinal, the
//! count) and says so. Anything else — another record type, a field or shape it does not know,
//! an escape in a string whose value matters, a duplicate key, a number it cannot be sure of, a
//! reference not yet defined, any check that fails — and it gives up without having changed
//! anything, so that the full path reads the line and reports exactly what it always did.
//!
//! The rule that keeps the two paths from drifting: the fast path accepts a subset of what the
//! typed models accept, never more (the tests run every conformance case and mutated lines
//! through both paths and compare the reports).

use super::{Checker, id_syntax};
use crate::timecheck::at_is_valid;
use chatport_model::RecordType;
use chatport_model::ids::id_key;

/// Gives up: the full path takes the line.
type R<T> = Option<T>;

/// The most references one fast-path message may carry; more and the full path takes it.
const MAX_REFS: usize = 16;

/// What the scan of a message collected for the checks that need the checker's state.
struct Msg<'a> {
    id: &'a str,
    conversation: &'a str,
    ordinal: u64,
    refs: [(&'a str, RecordType); MAX_REFS],
    nrefs: usize,
    /// The raw text (between the quotes) and whether it has escapes.
    text: Option<(&'a str, bool)>,
    /// The largest span end, when the message has spans.
    span_end: Option<u64>,
    /// A `local` time somewhere in the message.
    local_time: bool,
    origin_source: Option<&'a str>,
}

struct Scan<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    m: Msg<'a>,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `w` that is `"`, `\` or a control character (below 0x20); the
/// lowest set bit is exact (later ones may be false positives, which are never looked at).
#[inline(always)]
fn specials(w: u64) -> u64 {
    let q = w ^ (LO * u64::from(b'"'));
    let s = w ^ (LO * u64::from(b'\\'));
    let zq = q.wrapping_sub(LO) & !q;
    let zs = s.wrapping_sub(LO) & !s;
    let c = w.wrapping_sub(LO * 0x20) & !w;
    (zq | zs | c) & HI
}

const SPAN_KINDS: [&str; 17] = [
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "code",
    "pre",
    "link",
    "mention",
    "quote",
    "spoiler",
    "hashtag",
    "cashtag",
    "email",
    "phone",
    "bot_command",
    "custom_emoji",
    "other",
];

const ATTACHMENT_KINDS: [&str; 10] = [
    "image",
    "video",
    "video_note",
    "audio",
    "voice",
    "file",
    "sticker",
    "gif",
    "contact_card",
    "other",
];

const PRECISIONS: [&str; 6] = [
    "day",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

/// Marks `bit` as seen in `seen`; gives up on a key seen before (the full path reports E104).
#[inline(always)]
fn once(seen: &mut u32, bit: u32) -> R<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scan<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// The position of the first `"`, `\` or control character from `i` on.
    #[inline(always)]
    fn special_from(&self, mut i: usize) -> R<usize> {
        let b = self.b;
        while let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().ok()?);
            let m = specials(w);
            if m != 0 {
                return Some(i + (m.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// A string without escapes (ids, keys, enum values, times): its text.
    #[inline(always)]
    fn plain(&mut self) -> R<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = self.special_from(start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        self.s.get(start..end)
    }

    /// Any string whose value no check looks at (or only counts): its raw text between the
    /// quotes, and whether it has escapes. Escapes are checked as serde_json checks them; any
    /// surrogate escape (paired or not) is left to the full path.
    #[inline(always)]
    fn any(&mut self) -> R<(&'a str, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            let end = self.special_from(at)?;
            match self.b[end] {
                b'"' => {
                    self.i = end + 1;
                    return Some((self.s.get(start..end)?, escaped));
                }
                b'\\' => {
                    escaped = true;
                    at = self.escape(end)?;
                }
                _ => return None,
            }
        }
    }

    /// Checks the escape at `at` (a backslash) as serde_json does for a string; returns where
    /// the string goes on. A surrogate escape must be a leading one followed at once by a
    /// trailing one; anything else is left to the full path.
    #[cold]
    fn escape(&self, at: usize) -> R<usize> {
        match self.b.get(at + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(at + 2),
            b'u' => match self.hex4(at + 2)? {
                0xD800..=0xDBFF => {
                    if self.b.get(at + 6..at + 8)? != b"\\u" {
                        return None;
                    }
                    matches!(self.hex4(at + 8)?, 0xDC00..=0xDFFF).then_some(at + 12)
                }
                0xDC00..=0xDFFF => None,
                _ => Some(at + 6),
            },
            _ => None,
        }
    }

    fn hex4(&self, at: usize) -> R<u32> {
        let mut n = 0u32;
        for c in self.b.get(at..at + 4)? {
            n = n * 16 + char::from(*c).to_digit(16)?;
        }
        Some(n)
    }

    /// An unsigned integer as serde_json reads one into a `u64`: no sign, no leading zero, no
    /// fraction or exponent; at most 19 digits, which always fit.
    #[inline(always)]
    fn u64(&mut self) -> R<u64> {
        self.ws();
        let b = self.b;
        let start = self.i;
        let mut i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 19 || (n > 1 && b[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = b.get(i) {
            return None;
        }
        self.i = i;
        Some(
            b[start..i]
                .iter()
                .fold(0u64, |v, c| v * 10 + u64::from(c - b'0')),
        )
    }

    #[inline(always)]
    fn bool(&mut self) -> R<()> {
        self.ws();
        let rest = self.b.get(self.i..)?;
        if rest.starts_with(b"true") {
            self.i += 4;
        } else if rest.starts_with(b"false") {
            self.i += 5;
        } else {
            return None;
        }
        Some(())
    }

    /// An object key: a string without escapes, followed by its colon.
    #[inline(always)]
    fn key(&mut self) -> R<&'a [u8]> {
        let k = self.plain()?;
        self.eat(b':')?;
        Some(k.as_bytes())
    }

    /// An object, each member handed to `field` with its key (the value not yet read).
    #[inline(always)]
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let k = self.key()?;
            field(self, k)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    #[inline(always)]
    fn array(&mut self, mut elem: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            elem(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A reference to a record of kind `t`, kept for the checks against the ids defined.
    fn reference(&mut self, t: RecordType) -> R<&'a str> {
        let id = self.plain()?;
        let m = &mut self.m;
        *m.refs.get_mut(m.nrefs)? = (id, t);
        m.nrefs += 1;
        Some(id)
    }

    fn enum_of(&mut self, names: &[&str]) -> R<()> {
        let v = self.plain()?;
        names.contains(&v).then_some(())
    }

    /// A time object of kind `instant` or `local` (`assumed` times go the full way).
    fn time(&mut self) -> R<()> {
        let mut seen = 0;
        let mut local = None;
        let mut at = None;
        self.object(|s, k| {
            match k {
                b"kind" => {
                    once(&mut seen, 1)?;
                    local = Some(match s.plain()? {
                        "instant" => false,
                        "local" => true,
                        _ => return None,
                    });
                }
                b"at" => {
                    once(&mut seen, 2)?;
                    at = Some(s.plain()?);
                }
                b"precision" => {
                    once(&mut seen, 4)?;
                    s.enum_of(&PRECISIONS)?;
                }
                b"original" => {
                    once(&mut seen, 8)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        let (local, at) = (local?, at?);
        if !at_is_valid(at, local) {
            return None;
        }
        self.m.local_time |= local;
        Some(())
    }

    fn span(&mut self) -> R<()> {
        let mut seen = 0;
        let (mut start, mut end) = (None, None);
        self.object(|s, k| {
            match k {
                b"kind" => {
                    once(&mut seen, 1)?;
                    s.enum_of(&SPAN_KINDS)?;
                }
                b"start" => {
                    once(&mut seen, 2)?;
                    start = Some(s.u64()?);
                }
                b"end" => {
                    once(&mut seen, 4)?;
                    end = Some(s.u64()?);
                }
                b"account" => {
                    once(&mut seen, 8)?;
                    s.reference(RecordType::Account)?;
                }
                b"conversation" => {
                    once(&mut seen, 16)?;
                    s.reference(RecordType::Conversation)?;
                }
                b"url" => {
                    once(&mut seen, 32)?;
                    s.any()?;
                }
                b"language" => {
                    once(&mut seen, 64)?;
                    s.any()?;
                }
                b"name" => {
                    once(&mut seen, 128)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        if seen & 1 == 0 {
            return None;
        }
        let (start, end) = (start?, end?);
        if start > end {
            return None;
        }
        let max = self.m.span_end.get_or_insert(0);
        *max = (*max).max(end);
        Some(())
    }

    fn reaction(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"emoji" => {
                    once(&mut seen, 1)?;
                    s.any()?;
                }
                b"custom" => {
                    once(&mut seen, 2)?;
                    s.bool()?;
                }
                b"custom_id" => {
                    once(&mut seen, 4)?;
                    s.any()?;
                }
                b"count" => {
                    once(&mut seen, 8)?;
                    s.u64()?;
                }
                b"by" => {
                    once(&mut seen, 16)?;
                    s.array(Scan::reactor)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        (seen & 1 != 0).then_some(())
    }

    fn reactor(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"account" => {
                    once(&mut seen, 1)?;
                    s.reference(RecordType::Account)?;
                }
                b"name" => {
                    once(&mut seen, 2)?;
                    s.any()?;
                }
                b"time" => {
                    once(&mut seen, 4)?;
                    s.time()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    /// An attachment whose file is not in the bundle (`missing` or `remote`); `present` ones
    /// need the media checks of the full path.
    fn attachment(&mut self) -> R<()> {
        let mut seen = 0;
        let mut remote = false;
        self.object(|s, k| {
            match k {
                b"kind" => {
                    once(&mut seen, 1)?;
                    s.enum_of(&ATTACHMENT_KINDS)?;
                }
                b"status" => {
                    once(&mut seen, 2)?;
                    remote = match s.plain()? {
                        "missing" => false,
                        "remote" => true,
                        _ => return None,
                    };
                }
                b"path" => {
                    once(&mut seen, 4)?;
                    let p = s.plain()?;
                    crate::engine::path_syntax(p).ok()?;
                }
                b"size" => {
                    once(&mut seen, 8)?;
                    s.u64()?;
                }
                b"sha256" => {
                    once(&mut seen, 16)?;
                    let h = s.plain()?;
                    let ok =
                        h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                    ok.then_some(())?;
                }
                b"url" => {
                    once(&mut seen, 32)?;
                    s.any()?;
                }
                b"missing_reason" => {
                    once(&mut seen, 64)?;
                    s.any()?;
                }
                b"original_name" => {
                    once(&mut seen, 128)?;
                    s.any()?;
                }
                b"mime_type" => {
                    once(&mut seen, 256)?;
                    s.any()?;
                }
                b"width" => {
                    once(&mut seen, 512)?;
                    s.u64()?;
                }
                b"height" => {
                    once(&mut seen, 1024)?;
                    s.u64()?;
                }
                b"caption" => {
                    once(&mut seen, 2048)?;
                    s.any()?;
                }
                b"emoji" => {
                    once(&mut seen, 4096)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        if seen & 3 != 3 || (remote && seen & 32 == 0) {
            return None;
        }
        Some(())
    }

    fn reply(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"message" => {
                    once(&mut seen, 1)?;
                    s.reference(RecordType::Message)?;
                }
                b"platform_id" => {
                    once(&mut seen, 2)?;
                    s.any()?;
                }
                b"quote" => {
                    once(&mut seen, 4)?;
                    s.any()?;
                }
                b"sender_name" => {
                    once(&mut seen, 8)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    fn thread(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"root" => {
                    once(&mut seen, 1)?;
                    s.reference(RecordType::Message)?;
                }
                b"platform_id" => {
                    once(&mut seen, 2)?;
                    s.any()?;
                }
                b"broadcast" => {
                    once(&mut seen, 4)?;
                    s.bool()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    fn forward(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"account" => {
                    once(&mut seen, 1)?;
                    s.reference(RecordType::Account)?;
                }
                b"from_name" => {
                    once(&mut seen, 2)?;
                    s.any()?;
                }
                b"time" => {
                    once(&mut seen, 4)?;
                    s.time()?;
                }
                b"platform_id" => {
                    once(&mut seen, 8)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    /// An edit without history (revisions go the full way).
    fn edit(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"time" => {
                    once(&mut seen, 1)?;
                    s.time()?;
                }
                b"by" => {
                    once(&mut seen, 2)?;
                    s.reference(RecordType::Account)?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    fn deletion(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"time" => {
                    once(&mut seen, 1)?;
                    s.time()?;
                }
                b"by" => {
                    once(&mut seen, 2)?;
                    s.reference(RecordType::Account)?;
                }
                b"placeholder" => {
                    once(&mut seen, 4)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    fn origin(&mut self) -> R<()> {
        let mut seen = 0;
        self.object(|s, k| {
            match k {
                b"source" => {
                    once(&mut seen, 1)?;
                    s.m.origin_source = Some(s.plain()?);
                }
                b"file" => {
                    once(&mut seen, 2)?;
                    s.any()?;
                }
                b"line" => {
                    once(&mut seen, 4)?;
                    s.u64()?;
                }
                b"pointer" => {
                    once(&mut seen, 8)?;
                    s.any()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    /// A whole line holding one message record whose first key is `type`.
    fn message(&mut self) -> R<()> {
        self.eat(b'{')?;
        if self.key()? != b"type" || self.plain()? != "message" {
            return None;
        }
        let mut seen = 0;
        loop {
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
            match self.key()? {
                b"id" => {
                    once(&mut seen, 1)?;
                    self.m.id = self.plain()?;
                }
                b"conversation" => {
                    once(&mut seen, 2)?;
                    self.m.conversation = self.reference(RecordType::Conversation)?;
                }
                b"ordinal" => {
                    once(&mut seen, 4)?;
                    self.m.ordinal = self.u64()?;
                }
                b"platform_id" => {
                    once(&mut seen, 8)?;
                    self.any()?;
                }
                b"time" => {
                    once(&mut seen, 16)?;
                    self.time()?;
                }
                b"sender" => {
                    once(&mut seen, 32)?;
                    self.reference(RecordType::Account)?;
                }
                b"sender_name" => {
                    once(&mut seen, 64)?;
                    self.any()?;
                }
                b"text" => {
                    once(&mut seen, 128)?;
                    self.m.text = Some(self.any()?);
                }
                b"spans" => {
                    once(&mut seen, 256)?;
                    self.array(Scan::span)?;
                }
                b"reply_to" => {
                    once(&mut seen, 512)?;
                    self.reply()?;
                }
                b"thread" => {
                    once(&mut seen, 1024)?;
                    self.thread()?;
                }
                b"forwarded" => {
                    once(&mut seen, 2048)?;
                    self.forward()?;
                }
                b"edited" => {
                    once(&mut seen, 4096)?;
                    self.edit()?;
                }
                b"deleted" => {
                    once(&mut seen, 8192)?;
                    self.deletion()?;
                }
                b"reactions" => {
                    once(&mut seen, 16384)?;
                    self.array(Scan::reaction)?;
                }
                b"attachments" => {
                    once(&mut seen, 32768)?;
                    self.array(Scan::attachment)?;
                }
                b"pinned" => {
                    once(&mut seen, 65536)?;
                    self.bool()?;
                }
                b"origin" => {
                    once(&mut seen, 131072)?;
                    self.origin()?;
                }
                _ => return None,
            }
        }
        // serde_json allows white space after the value, nothing else.
        self.ws();
        if self.i != self.b.len() || seen & 7 != 7 {
            return None;
        }
        Some(())
    }
}

/// The number of code points of a JSON string's raw text, escapes counted as what they stand
/// for (the scan let through only well-formed escapes and surrogate pairs).
fn chars_of(raw: &str, escaped: bool) -> u64 {
    if !escaped {
        return raw.chars().count() as u64;
    }
    let b = raw.as_bytes();
    let (mut i, mut n) = (0, 0u64);
    while i < b.len() {
        if b[i] == b'\\' {
            i += match b.get(i + 1..i + 4) {
                // A leading surrogate \uD800-\uDBFF and its trailing one: one code point.
                Some([b'u', b'd' | b'D', b'8' | b'9' | b'a' | b'b' | b'A' | b'B']) => 12,
                Some([b'u', ..]) => 6,
                _ => 2,
            };
            n += 1;
        } else {
            // Count the first byte of each raw code point.
            n += u64::from(b[i] & 0xC0 != 0x80);
            i += 1;
        }
    }
    n
}

/// Scans `text` as a message; `None` when the full path must read it.
fn scan(text: &str) -> R<Msg<'_>> {
    let mut s = Scan {
        s: text,
        b: text.as_bytes(),
        i: 0,
        m: Msg {
            id: "",
            conversation: "",
            ordinal: 0,
            refs: [("", RecordType::Header); MAX_REFS],
            nrefs: 0,
            text: None,
            span_end: None,
            local_time: false,
            origin_source: None,
        },
    };
    s.message()?;
    Some(s.m)
}

impl Checker<'_> {
    /// Checks `text` (one line, valid UTF-8) on the fast path. True when it was a message the
    /// full path accepts without a diagnostic, with every effect applied; false, with nothing
    /// changed, when the full path must read it.
    pub(super) fn fast_message(&mut self, text: &str) -> bool {
        // A message as the first record is a missing header: the full path reports it.
        if self.records == 0 {
            return false;
        }
        self.accept(text).is_some()
    }

    fn accept(&mut self, text: &str) -> R<()> {
        let m = scan(text)?;
        // Every check before any effect; the first that fails hands the line to the full path.
        if !id_is_plain(m.id) {
            id_syntax(m.id).ok()?;
        }
        for &(id, expected) in &m.refs[..m.nrefs] {
            if self.ids.get(id)? != expected {
                return None;
            }
        }
        if let Some(src) = m.origin_source
            && !self.source_ids.contains(src)
        {
            return None;
        }
        let key = id_key(m.conversation);
        if let Some(Some(previous)) = self.last_ordinal.get(&key)
            && m.ordinal <= *previous
        {
            return None;
        }
        if m.local_time && self.first_local_time.is_none() {
            return None;
        }
        if let Some(end) = m.span_end {
            let len = m.text.map_or(0, |(t, escaped)| chars_of(t, escaped));
            if end > len {
                return None;
            }
        }
        // The last check defines the id when it is new (and changes nothing when it is not).
        if self.ids.define(m.id, RecordType::Message).is_some() {
            return None;
        }
        // Accepted: the other effects of the full path.
        self.last_ordinal.insert(key, Some(m.ordinal));
        self.report.count(RecordType::Message);
        Some(())
    }
}

/// An id of printable ASCII without spaces, 1 to 256 bytes: what `id_syntax` accepts, quickly.
fn id_is_plain(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.bytes().all(|b| b > b' ' && b < 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    const PREFIX: [&str; 7] = [
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"account","id":"a1","platform":"telegram"}"#,
        r#"{"type":"account","id":"a2","platform":"telegram"}"#,
        r#"{"type":"conversation","id":"c1","platform":"telegram","kind":"group"}"#,
        r#"{"type":"conversation","id":"c2","platform":"telegram","kind":"group"}"#,
        r#"{"type":"message","id":"m1","conversation":"c1","ordinal":1,"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
        r#"{"type":"message","id":"m2","conversation":"c2","ordinal":5,"text":"hi"}"#,
    ];

    /// Lines the fast path accepts after `PREFIX`, between them every field it knows.
    const SEEDS: [&str; 12] = [
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"platform_id":"1000000000","time":{"kind":"instant","at":"2023-11-14T22:13:20Z"},"sender":"a1","text":"yesterday running photo"}"#,
        r#"{"type":"message","id":"m3","conversation":"c2","ordinal":6,"time":{"kind":"instant","at":"2023-11-14T22:13:20.123+05:30","precision":"millisecond","original":"14/11/2023"},"sender":"a2","sender_name":"Ann","text":"at 🎉 photo café","spans":[{"kind":"bold","start":0,"end":5},{"kind":"mention","start":6,"end":7,"account":"a1"},{"kind":"link","start":8,"end":15,"url":"https://x.org","conversation":"c2"}]}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"text":"a\tb \"q\" \\ \/ caf\u00e9 \ud83d\ude80\nend","spans":[{"kind":"italic","start":12,"end":16},{"kind":"pre","start":17,"end":18,"language":"rust","name":"x"}]}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"reply_to":{"message":"m1","platform_id":"7","quote":"q","sender_name":"B"},"thread":{"root":"m2","platform_id":"8","broadcast":true}}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":3,"reactions":[{"emoji":"👍","count":1,"by":[{"account":"a1"},{"name":"Z","time":{"kind":"local","at":"2024-01-02T10:00:59"}}]},{"emoji":"party","custom":true,"custom_id":"123"}]}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"attachments":[{"kind":"image","status":"missing","missing_reason":"<Media omitted>"},{"kind":"video_note","status":"remote","url":"https://x/y.mp4","path":"media/y.mp4","size":12,"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","original_name":"y.mp4","mime_type":"video/mp4","width":1,"height":2,"caption":"c","emoji":"e"}]}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"forwarded":{"account":"a2","from_name":"F","time":{"kind":"instant","at":"2023-01-01T00:00:00Z"},"platform_id":"9"},"edited":{"time":{"kind":"instant","at":"2023-01-01T00:00:01Z"},"by":"a1"},"deleted":{"time":{"kind":"instant","at":"2023-01-01T00:00:02-01:00"},"by":"a2","placeholder":"gone"}}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"pinned":false,"origin":{"source":"src-1","file":"result.json","line":12,"pointer":"/messages/3"}}"#,
        r#" { "type" : "message" , "id" : "m3" ,	"conversation":"c1","ordinal":2 , "text" : "x" , "spans" : [ ] , "reactions":[ ] } "#,
        r#"{"type":"message","id":"m-é~x","conversation":"c1","ordinal":18446744073709551,"pinned":true}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"text":"\u0041\u00e9","spans":[{"kind":"code","start":0,"end":2}]}"#,
    ];

    /// Lines at the fast path's edge that it must accept and the full path must find valid: the
    /// least each object may hold, the largest numbers and the most escaped strings in every field
    /// the fast path reads, and every enumeration value it knows. They guard the fast path's copy
    /// of the models (field lists, required fields, enumerations, integer types) against drift:
    /// a value the models stop accepting makes a line here invalid.
    const EDGE_SEEDS: [&str; 3] = [
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"time":{"kind":"instant","at":"2023-01-01T00:00:00Z"},"spans":[{"kind":"other","start":0,"end":0}],"reply_to":{},"thread":{},"forwarded":{},"edited":{},"deleted":{},"reactions":[{"emoji":"x"},{"emoji":"y","by":[{}]}],"attachments":[{"kind":"other","status":"missing"},{"kind":"file","status":"remote","url":"u"}],"origin":{}}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":9999999999999999999,"platform_id":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","time":{"kind":"local","at":"2024-01-02T10:00:59.123456789","precision":"nanosecond","original":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"sender":"a1","sender_name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","text":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","spans":[{"kind":"mention","start":11,"end":11,"account":"a2","conversation":"c2","url":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","language":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},{"kind":"bold","start":0,"end":11}],"reply_to":{"message":"m1","platform_id":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","quote":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","sender_name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"thread":{"root":"m2","platform_id":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","broadcast":false},"forwarded":{"account":"a1","from_name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","time":{"kind":"instant","at":"2023-11-14T22:13:20.5-23:59","precision":"day","original":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"platform_id":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"edited":{"time":{"kind":"instant","at":"2023-11-14T22:13:20.5-23:59","precision":"day","original":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"by":"a2"},"deleted":{"time":{"kind":"local","at":"2024-01-02T10:00:59.123456789","precision":"nanosecond","original":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"by":"a1","placeholder":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"},"reactions":[{"emoji":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","custom":false,"custom_id":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","count":9999999999999999999,"by":[{"account":"a2","name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","time":{"kind":"local","at":"2024-01-02T10:00:59.123456789","precision":"nanosecond","original":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"}}]}],"attachments":[{"kind":"video","status":"remote","url":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","path":"media/x y/é.bin","size":9999999999999999999,"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","missing_reason":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","original_name":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","mime_type":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","width":9999999999999999999,"height":9999999999999999999,"caption":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","emoji":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"}],"pinned":false,"origin":{"source":"src-1","file":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f","line":9999999999999999999,"pointer":"\u0000\ud83d\ude00\"\\\/\b\f\n\r\t\u007f"}}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"text":"x","spans":[{"kind":"bold","start":0,"end":1},{"kind":"italic","start":0,"end":1},{"kind":"underline","start":0,"end":1},{"kind":"strikethrough","start":0,"end":1},{"kind":"code","start":0,"end":1},{"kind":"pre","start":0,"end":1},{"kind":"link","start":0,"end":1},{"kind":"mention","start":0,"end":1},{"kind":"quote","start":0,"end":1},{"kind":"spoiler","start":0,"end":1},{"kind":"hashtag","start":0,"end":1},{"kind":"cashtag","start":0,"end":1},{"kind":"email","start":0,"end":1},{"kind":"phone","start":0,"end":1},{"kind":"bot_command","start":0,"end":1},{"kind":"custom_emoji","start":0,"end":1},{"kind":"other","start":0,"end":1}],"attachments":[{"kind":"image","status":"missing"},{"kind":"video","status":"missing"},{"kind":"video_note","status":"missing"},{"kind":"audio","status":"missing"},{"kind":"voice","status":"missing"},{"kind":"file","status":"missing"},{"kind":"sticker","status":"missing"},{"kind":"gif","status":"missing"},{"kind":"contact_card","status":"missing"},{"kind":"other","status":"missing"}],"reactions":[{"emoji":"x","by":[{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"day"}},{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"minute"}},{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"second"}},{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"millisecond"}},{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"microsecond"}},{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"nanosecond"}}]}]}"#,
    ];

    const TOKENS: [&str; 40] = [
        "\"",
        "\\",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\ud83d",
        "\\ude00",
        "\\n",
        "\\x",
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        " ",
        "0",
        "1",
        "9",
        ".0",
        "e1",
        "-",
        "null",
        "true",
        "\u{1}",
        "x",
        "é",
        "\"id\":\"m9\",",
        "\"text\":\"dup\",",
        "\"ordinal\":1,",
        "\"kind\":\"local\",",
        "\"at\":\"2024-01-01T10:00\",",
        "\"local\":\"2024-01-01T10:00\",",
        "\"extensions\":{},",
        "\"type\":\"message\",",
        "\"sender\":\"a1\",",
        "\"sender\":\"c1\",",
        "\"end\":99,",
        "\"status\":\"present\",",
        "Z",
        "+01:00",
    ];

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    fn mutate(rng: &mut Rng, line: &[u8]) -> Vec<u8> {
        let mut out = line.to_vec();
        for _ in 0..1 + rng.below(2) {
            let at = rng.below(out.len() + 1);
            match rng.below(7) {
                0 if at < out.len() => {
                    out.remove(at);
                }
                1 if at < out.len() => {
                    out[at] = b"\"\\,:{}[]0x. -e"[rng.below(14)];
                }
                2 => {
                    let len = rng.below(12).min(out.len() - at.min(out.len()));
                    let piece = out[at..at + len].to_vec();
                    out.splice(at..at, piece);
                }
                // Mostly harmless: another digit, or white space or a field after a comma.
                3 => {
                    if let Some(d) = out[at.min(out.len())..].iter().position(u8::is_ascii_digit) {
                        out[at + d] = b'0' + rng.below(10) as u8;
                    }
                }
                4 | 5 => {
                    if let Some(c) = out[at.min(out.len())..].iter().position(|b| *b == b',') {
                        let t = if rng.below(3) == 0 {
                            &b" \t\r\n"[rng.below(4)..][..1]
                        } else {
                            TOKENS[26 + rng.below(12)].as_bytes()
                        };
                        out.splice(at + c + 1..at + c + 1, t.iter().copied());
                    }
                }
                _ => {
                    let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    out.splice(at..at, t.iter().copied());
                }
            }
        }
        out
    }

    fn checker(fast: bool) -> Checker<'static> {
        let opts = Options {
            max_diagnostics: 0,
            ..Options::default()
        };
        let c = Checker::new("t.jsonl", opts, None);
        if fast { c } else { c.without_fast_path() }
    }

    fn report(lines: &[Vec<u8>], fast: bool) -> String {
        let mut c = checker(fast);
        for (i, l) in PREFIX
            .iter()
            .map(|l| l.as_bytes())
            .chain(lines.iter().map(Vec::as_slice))
            .enumerate()
        {
            c.check_line(i as u64 + 1, l);
        }
        serde_json::to_string_pretty(&c.finish()).unwrap()
    }

    /// A checker that has read `PREFIX`.
    fn primed() -> Checker<'static> {
        let mut c = checker(true);
        for (i, l) in PREFIX.iter().enumerate() {
            c.check_line(i as u64 + 1, l.as_bytes());
        }
        c
    }

    #[test]
    fn seeds_take_the_fast_path_and_are_valid() {
        for seed in SEEDS.iter().chain(&EDGE_SEEDS) {
            assert!(primed().fast_message(seed), "fast path refused {seed}");
            let r = report(&[seed.as_bytes().to_vec()], false);
            assert!(r.contains("\"valid\": true"), "{seed}: {r}");
        }
    }

    #[test]
    fn mutated_lines_give_the_same_report_on_both_paths() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut all = Vec::new();
        let mut accepted = 0;
        for seed in SEEDS.iter().chain(&EDGE_SEEDS) {
            for _ in 0..600 {
                let line = mutate(&mut rng, seed.as_bytes());
                if let Ok(t) = std::str::from_utf8(&line)
                    && primed().fast_message(t)
                {
                    accepted += 1;
                }
                all.push(same_alone(line));
            }
        }
        same_together(&all, accepted);
    }

    /// Checks that `line` alone gives the same report on both paths, and gives it back.
    fn same_alone(line: Vec<u8>) -> Vec<u8> {
        let one = [line];
        let (fast, full) = (report(&one, true), report(&one, false));
        assert_eq!(
            fast,
            full,
            "the paths differ on {}",
            String::from_utf8_lossy(&one[0])
        );
        let [line] = one;
        line
    }

    /// Checks that the lines reached both sides of the fast path's edge (`accepted` of them
    /// took it), and that all of them in one archive, where the ids, ordinals and references of
    /// earlier lines matter to later ones, give the same report on both paths.
    fn same_together(all: &[Vec<u8>], accepted: usize) {
        assert!(
            accepted > all.len() / 10,
            "only {accepted} of {} accepted",
            all.len()
        );
        assert!(
            accepted < all.len() * 9 / 10,
            "{accepted} of {} accepted",
            all.len()
        );
        assert_eq!(report(all, true), report(all, false));
    }

    /// Builds message lines from the grammar of a message, field by field, with values drawn
    /// from pools of edge cases (escapes, surrogates, numbers at the edges of `u64`, calendar and
    /// offset corners, paths, references of the wrong kind), keys doubled, spelt with escapes or
    /// unknown, nulls, and white space of every JSON kind between the tokens: lines close to the
    /// fast path's edge from both sides, where the byte mutations rarely reach. A `clean` line
    /// draws only values the full path accepts (spans aside), a nasty one anything.
    struct Grammar<'r> {
        rng: &'r mut Rng,
        nasty: bool,
    }

    /// Each pool: the values that are fine first, then `(pool, how many are fine)`.
    const STRS: (&[&str], usize) = (
        &[
            "",
            "x",
            "café 🎉",
            "a\\nb",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\uD83D\\uDE00x",
            "\\\\",
            "\\\"",
            "\u{7f}",
            "\\u0000",
            "\\\\ud800",
            "\\/\\b\\f\\r\\t",
            "\u{2028}",
            "\\ud800",
            "\\udc00",
            "\\ud800\\u0041",
            "\u{1}",
            "\\x",
            "\\u12",
            "\\ud83d\\\\ude00",
        ],
        14,
    );
    const NUMS: (&[&str], usize) = (
        &[
            "0",
            "1",
            "2",
            "7",
            "18446744073709551",
            "9999999999999999999",
            "-1",
            "-0",
            "1.0",
            "1e1",
            "01",
            "null",
            "\"1\"",
            "18446744073709551615",
            "18446744073709551616",
        ],
        6,
    );
    const INSTANTS: (&[&str], usize) = (
        &[
            "2024-01-01T10:00:00Z",
            "2024-02-29T10:00:00+01:00",
            "2024-01-01T10:00:00-00:00",
            "2024-01-01T10:00:00.123456789+23:59",
            "2023-02-29T10:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T10:00:60Z",
            "2024-01-01T10:00:00+24:00",
            "2024-01-01t10:00:00z",
            "2024-01-01T10:00Z",
            "2024-01-01T10:00:00.1234567891Z",
            "2024-01-01T10:00:00+0100",
            "2024-01-01",
            "2024-01-01T10:00:00\\u005a",
            "2024-01-01T10:00:00",
        ],
        4,
    );
    const LOCALS: (&[&str], usize) = (
        &[
            "2024-01-01T10:00",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.5",
            "2024-02-29T00:00",
            "2024-01-01T10:00Z",
            "2024-01-01T10:00:00+01:00",
            "2024-04-31T10:00",
            "2024-01-01T10",
        ],
        4,
    );
    const ODD_IDS: [&str; 11] = [
        "m3", "zz", "src-1", "", "a1 ", "a\\u0031", "\\ud800", "m\u{85}", "m\u{a0}", "c1", "m-é~x",
    ];

    impl Grammar<'_> {
        fn chance(&mut self, n: usize) -> bool {
            self.rng.below(n) == 0
        }

        /// Something wrong, one time in `n` on a nasty line.
        fn bad(&mut self, n: usize) -> bool {
            self.nasty && self.chance(n)
        }

        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.rng.below(xs.len())]
        }

        fn from(&mut self, (pool, fine): (&[&str], usize)) -> String {
            let n = if self.nasty { pool.len() } else { fine };
            pool[self.rng.below(n)].to_owned()
        }

        fn ws(&mut self) -> &'static str {
            if self.bad(40) {
                ["\u{c}", "\u{a0}", "\u{feff}"][self.rng.below(3)]
            } else if self.chance(6) {
                [" ", "\t", "\r", "\n", "  "][self.rng.below(5)]
            } else {
                ""
            }
        }

        fn string(&mut self) -> String {
            format!("\"{}\"", self.from(STRS))
        }

        /// A reference to a record of kind `t`.
        fn id(&mut self, t: RecordType) -> String {
            if self.bad(5) {
                return format!("\"{}\"", self.pick(&ODD_IDS));
            }
            let pool: &[&str] = match t {
                RecordType::Account => &["a1", "a2"],
                RecordType::Conversation => &["c1", "c2"],
                RecordType::Message => &["m1", "m2"],
                _ => &["src-1"],
            };
            format!("\"{}\"", self.pick(pool))
        }

        fn num(&mut self) -> String {
            if self.chance(2) {
                self.rng.below(8).to_string()
            } else {
                self.from(NUMS)
            }
        }

        fn boolean(&mut self) -> String {
            if self.bad(4) {
                self.pick(&["null", "1", "\"true\"", "True"]).to_owned()
            } else {
                self.pick(&["true", "false"]).to_owned()
            }
        }

        fn one_of(&mut self, names: &[&str]) -> String {
            if self.bad(6) {
                let odd = [
                    "\"Bold\"",
                    "\"\"",
                    "null",
                    "1",
                    "\"b\\u006fld\"",
                    "\"present\"",
                    "\"assumed\"",
                ];
                self.pick(&odd).to_owned()
            } else {
                format!("\"{}\"", self.pick(names))
            }
        }

        fn time(&mut self) -> String {
            let local = self.chance(2);
            let kind = self.one_of(&[if local { "local" } else { "instant" }]);
            let at = if self.bad(4) {
                // The kind that does not go with `at`.
                self.from(if local { INSTANTS } else { LOCALS })
            } else {
                self.from(if local { LOCALS } else { INSTANTS })
            };
            let fields = vec![
                ("kind", Some(kind)),
                ("at", Some(format!("\"{at}\""))),
                ("precision", None),
                ("original", None),
            ];
            let mut t = self.object(fields, 3);
            if self.bad(8) {
                t.insert_str(1, "\"zone\":\"UTC\",");
            }
            t
        }

        fn array(&mut self, elem: fn(&mut Self) -> String) -> String {
            if self.bad(12) {
                return self.pick(&["null", "{}", "[,]", "[{},]"]).to_owned();
            }
            let n = self.rng.below(4);
            let items: Vec<String> = (0..n).map(|_| elem(self)).collect();
            let (a, b) = (self.ws(), self.ws());
            format!("[{a}{}{b}]", items.join(","))
        }

        fn value(&mut self, key: &str) -> String {
            match key {
                "sender" | "account" | "by" => self.id(RecordType::Account),
                "conversation" => self.id(RecordType::Conversation),
                "message" | "root" => self.id(RecordType::Message),
                "source" => self.id(RecordType::Header),
                "ordinal" | "start" | "end" | "count" | "size" | "width" | "height" | "line" => {
                    self.num()
                }
                "pinned" | "custom" | "broadcast" => self.boolean(),
                "time" => self.time(),
                "precision" => self.one_of(&PRECISIONS),
                "path" => {
                    let pool: (&[&str], usize) = (
                        &[
                            "media/a.jpg",
                            "a b/é",
                            "/a",
                            "C:/a",
                            "../a",
                            "a/./b",
                            "a//b",
                            "",
                            "a\\\\b",
                            "a\u{7f}",
                        ],
                        2,
                    );
                    format!("\"{}\"", self.from(pool))
                }
                "sha256" => {
                    let pool: (&[&str], usize) = (
                        &[
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                            "0123",
                        ],
                        1,
                    );
                    format!("\"{}\"", self.from(pool))
                }
                "spans" => self.array(Self::span),
                "reactions" => self.array(Self::reaction),
                "attachments" => self.array(Self::attachment),
                "reply_to" => self.object(
                    vec![
                        ("message", None),
                        ("platform_id", None),
                        ("quote", None),
                        ("sender_name", None),
                    ],
                    2,
                ),
                "thread" => self.object(
                    vec![("root", None), ("platform_id", None), ("broadcast", None)],
                    2,
                ),
                "forwarded" => self.object(
                    vec![
                        ("account", None),
                        ("from_name", None),
                        ("time", None),
                        ("platform_id", None),
                    ],
                    2,
                ),
                "edited" => self.object(vec![("time", None), ("by", None)], 2),
                "deleted" => {
                    self.object(vec![("time", None), ("by", None), ("placeholder", None)], 2)
                }
                "origin" => self.object(
                    vec![
                        ("source", None),
                        ("file", None),
                        ("line", None),
                        ("pointer", None),
                    ],
                    2,
                ),
                "extensions" => self
                    .pick(&["{}", "{\"org.x\":1}", "{\"x\":1}", "null"])
                    .to_owned(),
                _ => self.string(),
            }
        }

        fn span(&mut self) -> String {
            let kind = self.one_of(&SPAN_KINDS);
            let (start, end) = (self.rng.below(5), self.rng.below(9));
            let fields = vec![
                ("kind", Some(kind)),
                ("start", Some(start.min(end).to_string())),
                ("end", Some(end.to_string())),
                ("account", None),
                ("conversation", None),
                ("url", None),
                ("name", None),
            ];
            self.object(fields, 5)
        }

        fn reaction(&mut self) -> String {
            let by = self.array(Self::reactor);
            let emoji = self.string();
            let fields = vec![
                ("emoji", Some(emoji)),
                ("custom", None),
                ("count", None),
                ("by", Some(by)),
            ];
            self.object(fields, 3)
        }

        fn reactor(&mut self) -> String {
            self.object(vec![("account", None), ("name", None), ("time", None)], 2)
        }

        fn attachment(&mut self) -> String {
            let kind = self.one_of(&ATTACHMENT_KINDS);
            let status = self.one_of(&["missing", "remote"]);
            let url = (status.contains("remote") || self.chance(3)).then(|| self.string());
            let fields = vec![
                ("kind", Some(kind)),
                ("status", Some(status)),
                ("url", url),
                ("path", None),
                ("size", None),
                ("sha256", None),
                ("missing_reason", None),
                ("width", None),
            ];
            self.object(fields, 3)
        }

        /// An object of `fields` (a value given, or drawn one time in `optional`), on a nasty
        /// line now and then with a member dropped, a key doubled, unknown or spelt with an
        /// escape, or the members out of order.
        fn object(&mut self, fields: Vec<(&str, Option<String>)>, optional: usize) -> String {
            let mut members = Vec::new();
            for (k, v) in fields {
                let v = match v {
                    Some(_) if self.bad(30) => continue,
                    Some(v) => v,
                    None if self.chance(optional) => self.value(k),
                    None => continue,
                };
                members.push((k.to_owned(), v));
            }
            if !members.is_empty() && self.bad(25) {
                let i = self.rng.below(members.len());
                let dup = members[i].clone();
                members.push(dup);
            }
            if !members.is_empty() && self.bad(25) {
                let i = self.rng.below(members.len());
                let k = &members[i].0;
                members[i].0 = format!("\\u{:04x}{}", u32::from(k.as_bytes()[0]), &k[1..]);
            }
            if self.bad(30) {
                members.push(("x".into(), "1".into()));
            }
            if members.len() > 1 && self.bad(15) {
                let (a, b) = (self.rng.below(members.len()), self.rng.below(members.len()));
                members.swap(a, b);
            }
            let parts: Vec<String> = members
                .into_iter()
                .map(|(k, v)| {
                    let (a, b, c) = (self.ws(), self.ws(), self.ws());
                    format!("{a}\"{k}\"{b}:{c}{v}")
                })
                .collect();
            let end = self.ws();
            format!("{{{}{end}}}", parts.join(","))
        }

        fn message(&mut self, id: String, ordinal: String) -> String {
            let conversation = self.id(RecordType::Conversation);
            let mut fields = vec![
                ("type", Some("\"message\"".to_owned())),
                ("id", Some(id)),
                ("conversation", Some(conversation)),
                ("ordinal", Some(ordinal)),
            ];
            for k in [
                "platform_id",
                "time",
                "sender",
                "sender_name",
                "text",
                "spans",
                "reply_to",
                "thread",
                "forwarded",
                "edited",
                "deleted",
                "reactions",
                "attachments",
                "pinned",
                "origin",
                "extensions",
            ] {
                if self.chance(4) {
                    fields.push((k, None));
                }
            }
            let fields = fields
                .into_iter()
                .map(|(k, v)| (k, Some(v.unwrap_or_else(|| self.value(k)))))
                .collect();
            let (a, b) = (self.ws(), self.ws());
            format!("{a}{}{b}", self.object(fields, 1))
        }
    }

    #[test]
    fn grammar_lines_give_the_same_report_on_both_paths() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut g = Grammar {
            rng: &mut rng,
            nasty: false,
        };
        let (mut all, mut accepted) = (Vec::new(), 0);
        for i in 0..8000 {
            g.nasty = g.chance(2);
            let id = if g.bad(3) {
                format!("\"{}\"", g.pick(&ODD_IDS))
            } else {
                format!("\"g{i}\"")
            };
            let ordinal = if g.bad(3) {
                g.num()
            } else {
                (10 + i).to_string()
            };
            let line = g.message(id, ordinal);
            accepted += usize::from(primed().fast_message(&line));
            all.push(same_alone(line.into_bytes()));
        }
        same_together(&all, accepted);
    }

    #[test]
    fn most_conformance_messages_take_the_fast_path() {
        // Guards the comparison of the paths over the conformance suite: it means something
        // only if many of its message lines do take the fast path.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/valid");
        let (mut messages, mut fast) = (0, 0);
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            let mut full = checker(false);
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                if line.contains("\"message\"") && line.contains("\"type\": \"message\"") {
                    messages += 1;
                    // Ask the fast path with the state the full path built from earlier lines.
                    let mut probe = checker(true);
                    for (j, l) in text.lines().take(i).enumerate() {
                        probe.check_line(j as u64 + 1, l.as_bytes());
                    }
                    fast += usize::from(probe.fast_message(line));
                }
                full.check_line(i as u64 + 1, line.as_bytes());
            }
        }
        assert!(messages > 100, "{messages}");
        assert!(
            fast * 2 > messages,
            "{fast} of {messages} message lines took the fast path"
        );
    }
}

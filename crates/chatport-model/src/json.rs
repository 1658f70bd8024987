//! A hand-written JSON writer for the message record, the one record an archive holds millions
//! of. It writes exactly the bytes serde_json writes for [`RecordView::Message`] (the same key
//! order, the same escapes), only faster: plain fields are written directly, and the rare parts
//! of a message (replies, reactions, attachments, events, ...) go through serde_json as before.
//! A test compares both on every message of the conformance suite and on generated strings.
//!
//! [`RecordView::Message`]: crate::RecordView::Message

use crate::{Message, Origin, Precision, Time, TimeKind};
use serde::Serialize;

/// Writes `m` as a message record (`{"type":"message",...}`) to `buf`, byte for byte as
/// `serde_json::to_writer(buf, &RecordView::Message(m))` does.
pub fn write_message(buf: &mut Vec<u8>, m: &Message) -> Result<(), serde_json::Error> {
    buf.extend_from_slice(b"{\"type\":\"message\",\"id\":");
    write_str(buf, &m.id);
    buf.extend_from_slice(b",\"conversation\":");
    write_str(buf, &m.conversation);
    buf.extend_from_slice(b",\"ordinal\":");
    write_u64(buf, m.ordinal);
    if let Some(s) = &m.platform_id {
        key(buf, "platform_id");
        write_str(buf, s);
    }
    if let Some(t) = &m.time {
        key(buf, "time");
        write_time(buf, t);
    }
    if let Some(s) = &m.sender {
        key(buf, "sender");
        write_str(buf, s);
    }
    if let Some(s) = &m.sender_name {
        key(buf, "sender_name");
        write_str(buf, s);
    }
    if let Some(s) = &m.text {
        key(buf, "text");
        write_str(buf, s);
    }
    if !m.spans.is_empty() {
        serde_field(buf, "spans", &m.spans)?;
    }
    if let Some(v) = &m.reply_to {
        serde_field(buf, "reply_to", v)?;
    }
    if let Some(v) = &m.thread {
        serde_field(buf, "thread", v)?;
    }
    if let Some(v) = &m.forwarded {
        serde_field(buf, "forwarded", v)?;
    }
    if let Some(v) = &m.edited {
        serde_field(buf, "edited", v)?;
    }
    if let Some(v) = &m.deleted {
        serde_field(buf, "deleted", v)?;
    }
    if !m.reactions.is_empty() {
        serde_field(buf, "reactions", &m.reactions)?;
    }
    if !m.attachments.is_empty() {
        serde_field(buf, "attachments", &m.attachments)?;
    }
    if !m.embeds.is_empty() {
        serde_field(buf, "embeds", &m.embeds)?;
    }
    if let Some(v) = &m.location {
        serde_field(buf, "location", v)?;
    }
    if let Some(v) = &m.contact {
        serde_field(buf, "contact", v)?;
    }
    if let Some(v) = &m.poll {
        serde_field(buf, "poll", v)?;
    }
    if let Some(v) = &m.call {
        serde_field(buf, "call", v)?;
    }
    if let Some(v) = &m.event {
        serde_field(buf, "event", v)?;
    }
    if let Some(v) = m.pinned {
        key(buf, "pinned");
        buf.extend_from_slice(if v { b"true" } else { b"false" });
    }
    if let Some(o) = &m.origin {
        key(buf, "origin");
        write_origin(buf, o);
    }
    if !m.extensions.is_empty() {
        serde_field(buf, "extensions", &m.extensions)?;
    }
    buf.push(b'}');
    Ok(())
}

/// `,"name":` (every field after the first three follows another).
fn key(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

fn serde_field<T: Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    name: &str,
    v: &T,
) -> Result<(), serde_json::Error> {
    key(buf, name);
    serde_json::to_writer(&mut *buf, v)
}

fn write_time(buf: &mut Vec<u8>, t: &Time) {
    buf.extend_from_slice(match t.kind {
        TimeKind::Instant => b"{\"kind\":\"instant\",\"at\":",
        TimeKind::Local => b"{\"kind\":\"local\",\"at\":",
        TimeKind::Assumed => b"{\"kind\":\"assumed\",\"at\":",
    });
    write_str(buf, &t.at);
    if let Some(s) = &t.local {
        key(buf, "local");
        write_str(buf, s);
    }
    if let Some(s) = &t.zone {
        key(buf, "zone");
        write_str(buf, s);
    }
    if let Some(p) = t.precision {
        key(buf, "precision");
        buf.extend_from_slice(match p {
            Precision::Day => b"\"day\"",
            Precision::Minute => b"\"minute\"",
            Precision::Second => b"\"second\"",
            Precision::Millisecond => b"\"millisecond\"",
            Precision::Microsecond => b"\"microsecond\"",
            Precision::Nanosecond => b"\"nanosecond\"",
        });
    }
    if let Some(s) = &t.original {
        key(buf, "original");
        write_str(buf, s);
    }
    buf.push(b'}');
}

fn write_origin(buf: &mut Vec<u8>, o: &Origin) {
    buf.push(b'{');
    let mut first = true;
    let mut sep = |buf: &mut Vec<u8>, name: &str| {
        if !first {
            buf.push(b',');
        }
        first = false;
        buf.push(b'"');
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"\":");
    };
    if let Some(s) = &o.source {
        sep(buf, "source");
        write_str(buf, s);
    }
    if let Some(s) = &o.file {
        sep(buf, "file");
        write_str(buf, s);
    }
    if let Some(n) = o.line {
        sep(buf, "line");
        write_u64(buf, n);
    }
    if let Some(s) = &o.pointer {
        sep(buf, "pointer");
        write_str(buf, s);
    }
    buf.push(b'}');
}

/// Writes `n` in decimal.
fn write_u64(buf: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    buf.extend_from_slice(decimal_digits(n, &mut digits));
}

/// `n` in decimal, written into `digits` (the text is a part of it): for callers that format
/// millions of numbers and want no allocation.
pub fn decimal(n: u64, digits: &mut [u8; 20]) -> &str {
    std::str::from_utf8(decimal_digits(n, digits)).unwrap_or("0")
}

/// Appends `n` in decimal to `out`, as `write!` would, without the formatting machinery or a
/// UTF-8 check: for callers that write millions of numbers.
pub fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    for &d in decimal_digits(n, &mut digits) {
        out.push(char::from(d));
    }
}

/// The numbers from 00 to 99 in two digits each, to write numbers two digits at a time.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// [`decimal`] as the ASCII digits' bytes, for a writer of bytes (no UTF-8 check needed).
fn decimal_digits(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut i = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    &digits[i..]
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// True when one of the eight bytes of `v` is a control character, `"` or `\`: a byte that
/// JSON strings escape. (Bytes of 0x80 and above, parts of UTF-8 sequences, never count.)
#[inline]
fn needs_escape(v: u64) -> bool {
    let below_space = v.wrapping_sub(ONES * 0x20) & !v;
    let q = v ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = v ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (below_space | quote | backslash) & HIGHS != 0
}

/// Writes `s` as a JSON string, escaping as serde_json does: `"` and `\` with a backslash,
/// control characters as `\b \t \n \f \r` or `\u00xx`, everything else as it is.
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    // Runs of eight bytes that need nothing escaped are skipped at once; the bytes of a run
    // that holds something to escape, and the last few, are looked at one by one.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8)
            && !needs_escape(u64::from_le_bytes(chunk.try_into().unwrap_or_default()))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0C => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1F => {
                buf.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xF) as usize],
                ]);
                i += 1;
                start = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(esc);
        i += 1;
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordView;

    fn serde_str(s: &str) -> Vec<u8> {
        serde_json::to_vec(s).unwrap()
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let mut cases = vec![u64::MAX, u64::MAX - 1, 10u64.pow(19), 10u64.pow(19) - 1];
        cases.extend(0..1000);
        cases.extend((1..20).flat_map(|e| [10u64.pow(e) - 1, 10u64.pow(e), 10u64.pow(e) + 1]));
        for n in cases {
            let mut s = "x".to_owned();
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut cases: Vec<String> = (0u32..0x80)
            .filter_map(char::from_u32)
            .map(|c| c.to_string())
            .collect();
        cases.extend(
            [
                "",
                "plain text longer than eight bytes",
                "12345678\"",
                "1234567\\",
                "tab\there and a newline\nthere",
                "\u{7f}\u{80}\u{2028}\u{2029}é😀 \u{0}\u{1f}",
                "abcdefgh\u{1}abcdefgh\u{1b}",
                "ÿÿÿÿÿÿÿÿ\"",
            ]
            .map(String::from),
        );
        // Every position of an escaped byte within and across the eight-byte runs.
        for n in 0..20 {
            for c in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '~', 'é'] {
                let mut s = "x".repeat(n);
                s.push(c);
                s.push_str("tail");
                cases.push(s);
            }
        }
        for s in &cases {
            let mut buf = Vec::new();
            write_str(&mut buf, s);
            assert_eq!(buf, serde_str(s), "{s:?}");
        }
    }

    #[test]
    fn numbers_as_serde_json_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
            let mut buf = Vec::new();
            write_u64(&mut buf, n);
            assert_eq!(buf, serde_json::to_vec(&n).unwrap());
        }
    }

    #[test]
    fn a_full_message_is_written_as_serde_json_writes_it() {
        let mut m = Message::new("m\"1", "c1", 7);
        let check = |m: &Message| {
            let mut fast = Vec::new();
            write_message(&mut fast, m).unwrap();
            let slow = serde_json::to_vec(&RecordView::Message(m)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow)
            );
        };
        check(&m);
        m.platform_id = Some("42".into());
        m.time = Some(
            Time::assumed(
                "2024-01-01T10:00:00+01:00",
                "2024-01-01T10:00",
                "Europe/Berlin",
            )
            .with_precision(Precision::Minute)
            .with_original("1/1/24, 10:00"),
        );
        m.sender = Some("a".into());
        m.sender_name = Some("Ann\n".into());
        m.text = Some("hi \u{1} \"there\"".into());
        m.pinned = Some(false);
        m.origin = Some(Box::new(Origin {
            source: None,
            file: Some("f".into()),
            line: Some(3),
            pointer: Some("/messages/0".into()),
        }));
        m.extensions
            .insert("org.example".into(), serde_json::json!({"k": [1, 2.5]}));
        check(&m);
        m.origin = Some(Box::new(Origin {
            source: None,
            file: None,
            line: None,
            pointer: None,
        }));
        m.time = Some(Time::instant("2024-01-01T10:00:00Z"));
        check(&m);
    }
}

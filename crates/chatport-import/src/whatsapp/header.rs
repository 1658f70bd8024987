//! The timestamp that starts every WhatsApp message line, in all its observed forms.
//!
//! ```text
//! android := [Cf*] DATE SEP1 TIME " - " [AUTHOR ": "] BODY
//! ios     := [Cf*] "[" DATE SEP2 TIME "] " [AUTHOR ":" [" " BODY]]
//! legacy  := [Cf*] DATE " " TIME ": " AUTHOR ": " BODY
//! DATE    := N1 DSEP N2 DSEP N3         DSEP one of / . -   (digits ASCII, Arabic-Indic or Persian)
//! SEP     := [","|"،"] SPACE* ["klo" SPACE*]
//! TIME    := [MERIDIEM SPACE*] H TSEP MM [TSEP SS] [SPACE* MERIDIEM]    TSEP one of : .
//! ```
//! SPACE is any Unicode space separator (U+0020, U+00A0, U+2009, U+202F ...). Which of N1..N3 is
//! the day, month and year is not decided here: that needs the whole file (see `order`).

/// How the header ends and the rest of the line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `DATE, TIME - `
    Dash,
    /// `[DATE, TIME] `
    Bracket,
    /// `DATE TIME: ` (2012-2016 exports)
    Colon,
}

/// AM or PM, where the clock is a 12-hour one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meridiem {
    /// Before noon.
    Am,
    /// After noon.
    Pm,
}

/// A parsed header; `rest` is everything after it (author and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The three date numbers in the order written.
    pub n: [u32; 3],
    /// How many digits each date number had.
    pub digits: [u8; 3],
    /// The date separator.
    pub dsep: char,
    /// Hour as written (12-hour clocks not yet converted).
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second, when written.
    pub second: Option<u32>,
    /// The meridiem, when written.
    pub meridiem: Option<Meridiem>,
    /// The style.
    pub style: Style,
    /// The date and time exactly as written (inside the brackets, without the ` - `).
    pub original: &'a str,
    /// The rest of the line after the header.
    pub rest: &'a str,
    /// False when the clock reads no real time (`25:61`): such a line is not a message header.
    pub time_ok: bool,
}

impl Header<'_> {
    /// The hour on a 24-hour clock, or `None` when out of range.
    pub fn hour24(&self) -> Option<u32> {
        match self.meridiem {
            None if self.hour < 24 => Some(self.hour),
            Some(Meridiem::Am) if self.hour == 12 => Some(0),
            Some(Meridiem::Am) if self.hour < 12 => Some(self.hour),
            Some(Meridiem::Pm) if self.hour == 12 => Some(12),
            Some(Meridiem::Pm) if self.hour < 12 => Some(self.hour + 12),
            _ => None,
        }
    }

    /// The clock as the import reads it: hour in 24-hour form, minute, and second (0 when not
    /// written, 59 at most); `None` when the hour is not a real hour.
    pub fn clock(&self) -> Option<(u32, u32, u32)> {
        Some((
            self.hour24()?,
            self.minute,
            self.second.unwrap_or(0).min(59),
        ))
    }

    /// The key two header lines must share to belong to the same file format.
    pub fn signature(&self) -> (Style, char) {
        (self.style, self.dsep)
    }
}

/// True for Unicode format characters (category Cf) that exports put around lines and names.
pub fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// True for spaces as WhatsApp writes them between header parts.
fn is_space(c: char) -> bool {
    c == ' '
        || c == '\u{00A0}'
        || c == '\u{202F}'
        || c == '\u{2009}'
        || c == '\u{2007}'
        || (c.is_whitespace() && c != '\n' && c != '\r')
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        // Most header characters are ASCII: read those without decoding.
        match self.s.as_bytes().get(self.i) {
            Some(&b) if b < 0x80 => Some(char::from(b)),
            Some(_) => self.s[self.i..].chars().next(),
            None => None,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) -> usize {
        let mut n = 0;
        // ASCII other than the space and the controls from tab to carriage return (the only
        // ASCII whitespace) ends the run at once.
        while let Some(c) = self.peek() {
            if c.is_ascii() && c != ' ' && !('\t'..='\r').contains(&c) {
                break;
            }
            if is_space(c) || is_format_char(c) {
                self.i += c.len_utf8();
                n += 1;
            } else {
                break;
            }
        }
        n
    }

    fn number(&mut self, max_digits: u8) -> Option<(u32, u8)> {
        let b = self.s.as_bytes();
        let mut v = 0u32;
        let mut n = 0u8;
        while let Some(&byte) = b.get(self.i) {
            // ASCII digits are read as bytes; Arabic-Indic and Persian digits are decoded.
            let (d, len) = match byte {
                b'0'..=b'9' => (u32::from(byte - b'0'), 1),
                0x80.. => match self.peek() {
                    Some(c @ '\u{0660}'..='\u{0669}') => (c as u32 - 0x0660, c.len_utf8()),
                    Some(c @ '\u{06F0}'..='\u{06F9}') => (c as u32 - 0x06F0, c.len_utf8()),
                    _ => break,
                },
                _ => break,
            };
            if n == max_digits {
                return None;
            }
            v = v * 10 + d;
            n += 1;
            self.i += len;
        }
        (n > 0).then_some((v, n))
    }

    fn meridiem(&mut self) -> Option<Meridiem> {
        const TABLE: &[(&str, Meridiem)] = &[
            ("a. m.", Meridiem::Am),
            ("p. m.", Meridiem::Pm),
            ("a.m.", Meridiem::Am),
            ("p.m.", Meridiem::Pm),
            ("a.m", Meridiem::Am),
            ("p.m", Meridiem::Pm),
            ("am", Meridiem::Am),
            ("pm", Meridiem::Pm),
            ("上午", Meridiem::Am),
            ("下午", Meridiem::Pm),
            ("午前", Meridiem::Am),
            ("午後", Meridiem::Pm),
            ("오전", Meridiem::Am),
            ("오후", Meridiem::Pm),
            ("ص", Meridiem::Am),
            ("م", Meridiem::Pm),
            ("π.μ.", Meridiem::Am),
            ("μ.μ.", Meridiem::Pm),
        ];
        let rest = &self.s[self.i..];
        // Most lines have no meridiem: rule them out by the first character.
        match rest.chars().next() {
            Some('a' | 'A' | 'p' | 'P' | '上' | '下' | '午' | '오' | 'ص' | 'م' | 'π' | 'μ') =>
                {}
            _ => return None,
        }
        for (t, m) in TABLE {
            if rest.len() >= t.len() && rest.is_char_boundary(t.len()) {
                let head = &rest[..t.len()];
                // Spaces inside `a. m.` may be any space character: compare loosely.
                if head.eq_ignore_ascii_case(t) {
                    self.i += t.len();
                    return Some(*m);
                }
            }
            if t.contains(' ') {
                let mut probe = Cursor {
                    s: self.s,
                    i: self.i,
                };
                let ok = t.split(' ').enumerate().all(|(k, part)| {
                    (k == 0 || probe.spaces() > 0) && {
                        let r = &probe.s[probe.i..];
                        r.len() >= part.len()
                            && r.is_char_boundary(part.len())
                            && r[..part.len()].eq_ignore_ascii_case(part)
                            && {
                                probe.i += part.len();
                                true
                            }
                    }
                });
                if ok {
                    self.i = probe.i;
                    return Some(*m);
                }
            }
        }
        None
    }
}

/// Parses what looks like a header at the start of `line`, whether or not its clock reads a
/// real time (see [`Header::time_ok`]).
pub fn parse_any(line: &str) -> Option<Header<'_>> {
    // Fast rejection: after format characters a header starts with `[` or a digit.
    let mut c = Cursor { s: line, i: 0 };
    while let Some(ch) = c.peek() {
        if is_format_char(ch) {
            c.i += ch.len_utf8();
        } else {
            break;
        }
    }
    let bracket = c.eat('[');
    if bracket {
        c.spaces();
    }
    let start = c.i;
    let (n1, d1) = c.number(4)?;
    let dsep = c.bump()?;
    if !matches!(dsep, '/' | '.' | '-') {
        return None;
    }
    // Korean and Hungarian write "2024. 1. 15.": spaces after dots, and a final dot.
    if dsep == '.' {
        c.spaces();
    }
    let (n2, d2) = c.number(2)?;
    if !c.eat(dsep) {
        return None;
    }
    if dsep == '.' {
        c.spaces();
    }
    let (n3, d3) = c.number(4)?;
    if dsep == '.' && d1 == 4 {
        c.eat('.');
    }
    // Some locales end the date with a dot ("13.6.2018." is not seen, but "2018. 6. 13." is).
    let after_date = c.i;
    let comma = c.eat(',') || c.eat('،');
    let sp = c.spaces();
    if !comma && sp == 0 {
        return None;
    }
    if c.eat_str("klo") && c.spaces() == 0 {
        return None;
    }
    let _ = after_date;
    let pre = c.meridiem();
    if pre.is_some() {
        c.spaces();
    }
    let (hour, hd) = c.number(2)?;
    let tsep = c.bump()?;
    if !matches!(tsep, ':' | '.') || hd == 0 {
        return None;
    }
    let (minute, md) = c.number(2)?;
    if md != 2 {
        return None;
    }
    let mut second = None;
    {
        let save = c.i;
        if c.eat(tsep) {
            match c.number(2) {
                Some((s, 2)) => second = Some(s),
                _ => c.i = save,
            }
        }
    }
    let mut meridiem = pre;
    if meridiem.is_none() {
        let save = c.i;
        c.spaces();
        meridiem = c.meridiem();
        if meridiem.is_none() {
            c.i = save;
        }
    }
    let end = c.i;
    let (style, rest_start) = if bracket {
        c.spaces();
        if !c.eat(']') {
            return None;
        }
        // "] " then the rest; tolerate a missing space before a format character.
        c.spaces();
        (Style::Bracket, c.i)
    } else {
        let save = c.i;
        let sp = c.spaces();
        if sp > 0 && c.eat('-') && c.spaces() > 0 {
            (Style::Dash, c.i)
        } else {
            c.i = save;
            if c.eat(':') && c.spaces() > 0 && second.is_some() {
                (Style::Colon, c.i)
            } else {
                return None;
            }
        }
    };
    let h = Header {
        n: [n1, n2, n3],
        digits: [d1, d2, d3],
        dsep,
        hour,
        minute,
        second,
        meridiem,
        style,
        original: &line[start..end],
        rest: &line[rest_start..],
        time_ok: false,
    };
    let mut h = h;
    h.time_ok = h.hour24().is_some() && minute <= 59 && second.is_none_or(|s| s <= 59);
    Some(h)
}

/// Parses the header at the start of `line`, or returns `None` when the line does not start
/// with one (it is then a continuation of the previous message).
pub fn parse(line: &str) -> Option<Header<'_>> {
    parse_any(line).filter(|h| h.time_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Header<'_> {
        parse(s).unwrap_or_else(|| panic!("no header in {s:?}"))
    }

    #[test]
    fn android_ios_legacy() {
        let h = p("12/9/20, 23:55 - Bob: hello");
        assert_eq!(
            (h.n, h.style, h.rest),
            ([12, 9, 20], Style::Dash, "Bob: hello")
        );
        assert_eq!(h.original, "12/9/20, 23:55");
        let h = p("[20.06.19, 15:58:47] Loris added Emily");
        assert_eq!(
            (h.second, h.style, h.rest),
            (Some(47), Style::Bracket, "Loris added Emily")
        );
        let h = p("09/12/2012 17:03:48: Sender: msg");
        assert_eq!((h.style, h.rest), (Style::Colon, "Sender: msg"));
    }

    #[test]
    fn twelve_hour_forms() {
        assert_eq!(
            p("[13/11/2025, 12:25:55\u{202F}PM] A: x").hour24(),
            Some(12)
        );
        assert_eq!(p("[13/11/2025, 12:25:55\u{202F}AM] A: x").hour24(), Some(0));
        assert_eq!(
            p("01/30/2019, 08:49 p.\u{00A0}m. - J: x").hour24(),
            Some(20)
        );
        assert_eq!(p("01/01/2019, 00:08 a. m. - J: x").hour24(), Some(0));
        assert_eq!(p("2023-12-20, 5:46 p.m. - J: x").hour24(), Some(17));
        assert_eq!(p("[2022/7/21 下午05:11:12] J: x").hour24(), Some(17));
        assert_eq!(p("[2022/7/21 오전 5:11:12] J: x").hour24(), Some(5));
        assert_eq!(p("2024/12/01, 10:04 pm - Alice: hi").rest, "Alice: hi");
    }

    #[test]
    fn invisible_characters_and_other_digits() {
        let h = p("\u{FEFF}\u{200E}[5.05.2017 18:01:12] Ali: selam");
        assert_eq!(h.n, [5, 5, 2017]);
        let h = p("13.6.2018 klo 21.25.15 - Matti: moi");
        assert_eq!((h.hour, h.minute, h.second), (21, 25, Some(15)));
        let h = p("2024. 1. 15. 오후 3:05 - 민수: 안녕");
        assert_eq!((h.n, h.hour24()), ([2024, 1, 15], Some(15)));
        let h = p("١٢/٠٩/٢٠, ١١:٠٥ م - علي: مرحبا");
        assert_eq!((h.n, h.hour24()), ([12, 9, 20], Some(23)));
    }

    #[test]
    fn not_headers() {
        for s in [
            "consectetur adipiscing elit.",
            "12/05/2020 was the day",
            "2019-12-24 notes",
            "[2019-12-24] x",
            "10:00 - meeting",
            "",
            "12/9/20, 25:00 - Bob: x",
            "12/9/20, 23:5 - Bob: x",
            "12/9/20, 1:05 PM-Bob",
        ] {
            assert!(parse(s).is_none(), "{s:?} parsed as a header");
        }
    }
}

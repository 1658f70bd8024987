//! A streaming JSON reader for big exports. The file is read in large chunks into one buffer;
//! the outer structure (objects, arrays, keys) is walked here, and each value the importer
//! wants whole (one message, a chat's metadata) is parsed by serde_json straight from the
//! buffer, which is much faster than parsing from a reader. A value cut by the end of the
//! buffer is parsed again once more bytes are in; the buffer grows only while one value does
//! not fit in it, so memory is bounded by the largest such value, not by the file.
//!
//! The elements of a long array (a chat's messages) are parsed a buffer at a time into a
//! [`Batch`], which takes the buffer with it: another thread can use them while the next buffer
//! is read, and hands the buffer back when it is done. A batch holds at most 4096 elements, and
//! the buffer after one grown for a big value has the usual size again, so memory is then
//! bounded by the largest value and a few buffers and batches in flight.
//!
//! While reading, what tdesktop writes but JSON forbids is repaired: `\xHH` escapes become
//! `\u00HH`, and a UTF-8 byte order mark at the start is dropped. Errors name the file's line
//! and column (counted in the repaired text, as before: a repaired escape moves the columns
//! after it on its line by two).

use crate::ImportError;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::io::{self, Read};

/// How deep [`JsonStream::skip`] descends before refusing the file (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// A type of value parsed from the buffer that may borrow its text (`Value<'a>` borrows
/// for `'a`), for [`JsonStream::parse`].
pub(super) trait Borrowing {
    /// The value parsed from text that lives for `'a`.
    type Value<'a>: Deserialize<'a>;
}

/// Values that borrow nothing.
struct Owned<T>(std::marker::PhantomData<T>);

impl<T: DeserializeOwned> Borrowing for Owned<T> {
    type Value<'a> = T;
}

/// Elements of an array parsed from one read buffer, held together with that buffer, whose text
/// they borrow (a `self_cell`); see [`JsonStream::elements`]. A batch can be handed to another
/// thread, and its buffer handed back for the next read.
pub(super) trait Batch: Sized {
    /// The type of the elements.
    type Of: Borrowing;
    /// A list of elements emptied, kept for its room (elements that borrow nothing yet).
    type List: Default;
    /// The buffer `buf`, with the elements that `parse` finds in it, put in `list`.
    fn new(
        buf: Vec<u8>,
        list: Self::List,
        parse: impl for<'a> FnOnce(
            &'a Vec<u8>,
            Vec<<Self::Of as Borrowing>::Value<'a>>,
        ) -> Vec<<Self::Of as Borrowing>::Value<'a>>,
    ) -> Self;
    /// The buffer.
    fn buffer(&self) -> &[u8];
    /// How many elements the batch holds.
    fn len(&self) -> usize;
    /// The buffer, to be read into again, and the list emptied (its elements dropped).
    fn into_parts(self) -> (Vec<u8>, Self::List);
}

/// Defines `$name`, a [`Batch`] of the values of `$of` (a [`Borrowing`] whose values are
/// `$elem<'a>`), held with the buffer they borrow in a `self_cell`; `$list<'a>` names their
/// list.
macro_rules! batch_type {
    ($(#[$meta:meta])* $name:ident, $list:ident, $of:ty, $elem:ident) => {
        type $list<'a> = Vec<$elem<'a>>;

        self_cell::self_cell!(
            $(#[$meta])*
            struct $name {
                owner: Vec<u8>,
                #[covariant]
                dependent: $list,
            }
        );

        impl $crate::telegram::stream::Batch for $name {
            type Of = $of;
            type List = Vec<$elem<'static>>;

            fn new(
                buf: Vec<u8>,
                list: Self::List,
                parse: impl for<'a> FnOnce(&'a Vec<u8>, $list<'a>) -> $list<'a>,
            ) -> Self {
                $name::new(buf, |b| parse(b, list))
            }

            fn buffer(&self) -> &[u8] {
                self.borrow_owner()
            }

            fn len(&self) -> usize {
                self.borrow_dependent().len()
            }

            fn into_parts(mut self) -> (Vec<u8>, Self::List) {
                let list = self.with_dependent_mut(|_, d| {
                    $crate::telegram::stream::emptied(std::mem::take(d))
                });
                (self.into_owner(), list)
            }
        }
    };
}
pub(super) use batch_type;

/// `list` emptied (its elements dropped) as a list of another type of the same size, for the
/// next batch: collecting nothing from it in place keeps its allocation.
#[allow(clippy::unnecessary_filter_map)] // `filter` could not change the type.
pub(super) fn emptied<T, U>(list: Vec<T>) -> Vec<U> {
    list.into_iter().filter_map(|_| None).collect()
}

/// The most elements a batch holds, whatever their size: a buffer of tiny elements must not
/// make a list of hundreds of thousands. (Such a batch stops before its buffer's end, and what
/// is left is copied into the next buffer: an array of tiny elements, which real exports do not
/// have, costs copying, not memory. A 40 MB array of 20 million `0` took 4.2 CPU seconds
/// against 2.6 before batches, in about the same wall time.)
const MOST_PER_BATCH: usize = 4096;

/// Why [`run`] stopped.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stop {
    /// The batch holds [`MOST_PER_BATCH`] elements.
    Full,
    /// The buffer ends inside the next element (or before it).
    More,
    /// The next byte is the array's closing `]`.
    End,
    /// Anything else (an error to come, or the file's end): left to the element-by-element
    /// path, which says what is wrong and where.
    Slow,
}

/// The buffer's bytes checked as UTF-8 from some place on, as far as the parse has needed them:
/// a call of [`run`] checks about what it parses, not the rest of the buffer, and a string in
/// the text needs no check of its own.
struct Window<'a> {
    bytes: &'a [u8],
    eof: bool,
    /// Where the text starts in `bytes`, and the text.
    from: usize,
    text: &'a str,
    /// True when the text goes as far as it can: to the end of the bytes (or of their last
    /// whole character, which the next read completes).
    whole: bool,
    /// How many bytes the next check takes at least (it doubles, up to [`MOST_CHECKED`]).
    block: usize,
    /// True once bytes that are not UTF-8 were met: the rest is parsed as bytes, so that
    /// serde_json says where.
    bytes_only: bool,
}

/// The first and the largest check of a [`Window`].
const FIRST_CHECKED: usize = 16 << 10;
const MOST_CHECKED: usize = 256 << 10;

impl<'a> Window<'a> {
    fn new(bytes: &'a [u8], eof: bool) -> Self {
        Window {
            bytes,
            eof,
            from: 0,
            text: "",
            whole: false,
            block: FIRST_CHECKED,
            bytes_only: false,
        }
    }

    /// The text from `i` on, checked `want` bytes ahead at least (or as far as it can go);
    /// `None` when the bytes there are not UTF-8.
    fn text(&mut self, i: usize, want: usize) -> Option<&'a str> {
        if self.bytes_only {
            return None;
        }
        let have = self.from + self.text.len();
        if i < self.from || (i + want > have && !self.whole) || i > have {
            let end = (i + want.max(self.block)).min(self.bytes.len());
            self.block = (self.block * 2).min(MOST_CHECKED);
            let part = &self.bytes[i..end];
            let text = match simdutf8::compat::from_utf8(part) {
                Ok(t) => t,
                // A character cut by the end of the part: the next check, or at the end of the
                // bytes the next read, completes it (at the end of the file it is an error).
                Err(e) if e.error_len().is_none() && !(self.eof && end == self.bytes.len()) => {
                    simdutf8::basic::from_utf8(&part[..e.valid_up_to()]).unwrap_or_default()
                }
                Err(_) => {
                    self.bytes_only = true;
                    return None;
                }
            };
            self.from = i;
            self.text = text;
            self.whole = end == self.bytes.len();
        }
        self.text.get(i - self.from..)
    }
}

/// Parses the elements of an array that lie whole in `bytes`, from `pos` (after the last
/// element taken, or after the `[` while `first` is true), onto `out`. `at` is left after the
/// last element taken.
fn run<'a, B: Borrowing>(
    bytes: &'a [u8],
    mut pos: usize,
    eof: bool,
    out: &mut Vec<B::Value<'a>>,
    first: &mut bool,
    at: &mut usize,
    stop: &mut Stop,
) {
    let mut window = Window::new(bytes, eof);
    let white = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\n' | b'\r' | b'\t') {
            i += 1;
        }
        i
    };
    let cut = if eof { Stop::Slow } else { Stop::More };
    loop {
        *at = pos;
        if out.len() >= MOST_PER_BATCH {
            *stop = Stop::Full;
            break;
        }
        let mut i = white(pos);
        let Some(&b) = bytes.get(i) else {
            *stop = cut;
            break;
        };
        if b == b']' {
            *stop = Stop::End;
            break;
        }
        if !*first {
            if b != b',' {
                *stop = Stop::Slow;
                break;
            }
            i = white(i + 1);
            if i >= bytes.len() {
                *stop = cut;
                break;
            }
        }
        // The element, parsed from the checked text (`i` follows a value, `[`, `,` or white
        // space: a character's start), which grows while the parse runs into its end; or from
        // the bytes.
        // (Each value is taken where it is parsed: a message is large, and every move of it
        // costs a copy.)
        macro_rules! take {
            ($got:expr, $used:expr, $parsed:expr) => {{
                let (used, parsed): (usize, &[u8]) = ($used, $parsed);
                // What was parsed reaches the end of the file only if it reaches the end of
                // the bytes.
                let eof = eof && parsed.len() == bytes.len() - i;
                match $got {
                    // As in `parse`: a value ending with the bytes read may go on (a number).
                    Some(Ok(v)) if used < parsed.len() || eof => {
                        out.push(v);
                        pos = i + used;
                        *first = false;
                        None
                    }
                    Some(Ok(_)) => Some(Stop::More),
                    Some(Err(e)) if !eof && cut_off(&e, parsed) => Some(Stop::More),
                    _ => Some(Stop::Slow),
                }
            }};
        }
        let mut want = 0;
        let stopped = loop {
            match window.text(i, want) {
                Some(t) => {
                    let mut values =
                        serde_json::Deserializer::from_str(t).into_iter::<B::Value<'a>>();
                    let got = values.next();
                    let used = values.byte_offset();
                    let short = match &got {
                        Some(Ok(_)) => used == t.len(),
                        Some(Err(e)) => cut_off(e, t.as_bytes()),
                        None => true,
                    };
                    if short && !window.whole {
                        want = 2 * t.len() + 1;
                        continue;
                    }
                    break take!(got, used, t.as_bytes());
                }
                None => {
                    let slice = &bytes[i..];
                    let mut values =
                        serde_json::Deserializer::from_slice(slice).into_iter::<B::Value<'a>>();
                    let got = values.next();
                    break take!(got, values.byte_offset(), slice);
                }
            }
        };
        if let Some(s) = stopped {
            *stop = s;
            break;
        }
    }
}

/// A JSON text read in chunks, walked from its start to its end.
pub(super) struct JsonStream<'r> {
    reader: &'r mut dyn Read,
    /// The file as shown to the user, for error locations.
    shown: String,
    /// The bytes read and not yet discarded; `buf[end..]` is room for the next read.
    buf: Vec<u8>,
    /// The next byte to look at.
    pos: usize,
    /// The end of the bytes read.
    end: usize,
    /// True once the reader is exhausted.
    eof: bool,
    /// The bytes before this have had their escapes looked at (a backslash ending the bytes
    /// read waits here for the byte after it).
    scanned: usize,
    /// How many `\xHH` escapes were rewritten.
    repaired: u64,
    /// True until the first bytes are read (to drop a byte order mark).
    at_start: bool,
    /// The line (1-based) of `buf[0]`, and how many bytes come before it on that line.
    line: u64,
    column: u64,
    /// How deep [`JsonStream::skip`] is.
    depth: usize,
    /// How many elements the last batch held.
    batch: usize,
    /// The buffer's starting size.
    chunk: usize,
    /// How many times bytes were read.
    reads: u64,
}

impl<'r> JsonStream<'r> {
    /// A stream over `reader`, reading `chunk` bytes at a time (more while one value does not
    /// fit); `shown` names the file in errors.
    pub(super) fn new(reader: &'r mut dyn Read, shown: &str, chunk: usize) -> Self {
        JsonStream {
            reader,
            shown: shown.to_owned(),
            buf: vec![0; chunk.max(4)],
            pos: 0,
            end: 0,
            eof: false,
            scanned: 0,
            repaired: 0,
            at_start: true,
            line: 1,
            column: 0,
            depth: 0,
            batch: 0,
            chunk: chunk.max(4),
            reads: 0,
        }
    }

    /// The file as shown to the user.
    pub(super) fn shown(&self) -> &str {
        &self.shown
    }

    /// How many times bytes were read into the buffer so far: a reader can tell whether what
    /// it parsed lay in the bytes it had.
    pub(super) fn reads(&self) -> u64 {
        self.reads
    }

    /// How many `\xHH` escapes were rewritten so far.
    pub(super) fn repaired(&self) -> u64 {
        self.repaired
    }

    /// Reads more bytes, discarding those before `pos` and growing the buffer when it is full
    /// of bytes still needed. False at the end of the file (nothing new was read).
    fn fill(&mut self) -> Result<bool, ImportError> {
        if self.eof {
            return Ok(false);
        }
        self.reads += 1;
        if self.pos > 0 {
            self.discard();
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let before = self.end;
        while self.end < self.buf.len() {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = self.location(self.end);
                    return Err(ImportError::invalid(at, format!("cannot read: {e}")));
                }
            }
        }
        if self.at_start {
            // The buffer holds at least four bytes: the first read shows a whole mark.
            self.at_start = false;
            if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.buf.copy_within(3..self.end, 0);
                self.end -= 3;
            }
        }
        self.repair();
        Ok(self.end > before)
    }

    /// Rewrites the `\xHH` escapes among the bytes read since the last call. A backslash only
    /// occurs in JSON inside a string, where it starts an escape: the byte after each one is
    /// looked at, and skipped.
    fn repair(&mut self) {
        let mut fixes: Vec<usize> = Vec::new();
        let mut i = self.scanned;
        while let Some(off) = memchr::memchr(b'\\', &self.buf[i..self.end]) {
            let at = i + off;
            if at + 1 >= self.end {
                if self.eof {
                    // A backslash ending the file: the parser reports the cut string.
                    i = self.end;
                } else {
                    i = at;
                }
                self.scanned = i;
                return self.apply(&fixes);
            }
            if self.buf[at + 1] == b'x' {
                fixes.push(at + 1);
            }
            i = at + 2;
        }
        self.scanned = self.end;
        self.apply(&fixes);
    }

    /// Replaces the `x` at each of `fixes` (in order) by `u00`.
    fn apply(&mut self, fixes: &[usize]) {
        let Some(&first) = fixes.first() else {
            return;
        };
        self.repaired += fixes.len() as u64;
        let mut out = Vec::with_capacity(self.end - first + 2 * fixes.len());
        let mut from = first;
        for &x in fixes {
            out.extend_from_slice(&self.buf[from..x]);
            out.extend_from_slice(b"u00");
            from = x + 1;
        }
        out.extend_from_slice(&self.buf[from..self.end]);
        let new_end = first + out.len();
        if new_end > self.buf.len() {
            self.buf.resize(new_end, 0);
        }
        self.buf[first..new_end].copy_from_slice(&out);
        self.scanned += new_end - self.end;
        self.end = new_end;
    }

    /// Drops the bytes before `pos`, keeping count of their lines for error locations.
    fn discard(&mut self) {
        let gone = std::mem::take(&mut self.buf);
        self.count_lines(&gone[..self.pos]);
        self.buf = gone;
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.scanned -= self.pos;
        self.pos = 0;
    }

    /// Counts the lines of `gone`, bytes dropped from the buffer's start, for error locations.
    fn count_lines(&mut self, gone: &[u8]) {
        match memchr::memrchr(b'\n', gone) {
            None => self.column += gone.len() as u64,
            Some(last) => {
                self.line += count_newlines(&gone[..=last]);
                self.column = (gone.len() - last - 1) as u64;
            }
        }
    }

    /// The line (1-based) of byte `i` of the buffer, and how many bytes come before it on
    /// that line.
    fn position(&self, i: usize) -> (u64, u64) {
        let before = &self.buf[..i];
        match memchr::memrchr(b'\n', before) {
            None => (self.line, self.column + i as u64),
            Some(last) => (
                self.line + count_newlines(&before[..=last]),
                (i - last - 1) as u64,
            ),
        }
    }

    /// `file:line:column` of byte `i` of the buffer.
    fn location(&self, i: usize) -> String {
        let (line, before) = self.position(i);
        format!("{}:{line}:{}", self.shown, before + 1)
    }

    /// An error about the byte at `pos` (or the end of the file when there is none).
    pub(super) fn unexpected(&self, expected: &str) -> ImportError {
        if self.pos >= self.end {
            return ImportError::invalid(
                self.location(self.end),
                format!("the file ends too early: expected {expected}"),
            );
        }
        let b = self.buf[self.pos];
        let found = if b.is_ascii_graphic() {
            format!("`{}`", char::from(b))
        } else {
            format!("byte {b:#04x}")
        };
        ImportError::invalid(
            self.location(self.pos),
            format!("not a valid Telegram export: expected {expected}, found {found}"),
        )
    }

    /// Skips whitespace and returns the next byte without taking it; `None` at the end.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, ImportError> {
        loop {
            while self.pos < self.end {
                let b = self.buf[self.pos];
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Takes `b` when it is the next byte after whitespace.
    pub(super) fn eat(&mut self, b: u8) -> Result<bool, ImportError> {
        if self.peek()? == Some(b) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// Parses the next value with serde_json, from the buffer. A value the buffer's end cuts
    /// is parsed again with more bytes.
    pub(super) fn value<T: DeserializeOwned>(&mut self) -> Result<T, ImportError> {
        self.parse::<Owned<T>, T>(|v| v)
    }

    /// Parses the next value with serde_json, from the buffer, as a value that may borrow
    /// the buffer's text, and calls `f` with it. A value the buffer's end cuts is parsed again
    /// with more bytes (`f` only sees whole values).
    pub(super) fn parse<B: Borrowing, R>(
        &mut self,
        f: impl for<'a> FnOnce(B::Value<'a>) -> R,
    ) -> Result<R, ImportError> {
        if self.peek()?.is_none() {
            return Err(self.unexpected("a value"));
        }
        let mut f = Some(f);
        loop {
            {
                let slice = &self.buf[self.pos..self.end];
                let mut values =
                    serde_json::Deserializer::from_slice(slice).into_iter::<B::Value<'_>>();
                let got = values.next();
                let used = values.byte_offset();
                match got {
                    // A value that ends with the bytes read may go on (a number): it is taken
                    // only when a byte follows it, or at the end of the file.
                    Some(Ok(v)) if used < slice.len() || self.eof => {
                        let Some(f) = f.take() else {
                            return Err(ImportError::Bug("a parsed value was used twice".into()));
                        };
                        let r = f(v);
                        self.pos += used;
                        return Ok(r);
                    }
                    Some(Err(e)) if self.eof || !cut_off(&e, slice) => {
                        return Err(self.json_error(&e));
                    }
                    None if self.eof => return Err(self.unexpected("a value")),
                    _ => {}
                }
            }
            self.fill()?;
        }
    }

    /// An error of serde_json parsing from `pos`, at its place in the file.
    fn json_error(&self, e: &serde_json::Error) -> ImportError {
        let (line0, before0) = self.position(self.pos);
        let (line, column) = match (e.line(), e.column()) {
            (0, _) => (line0, before0 + 1),
            (1, c) => (line0, before0 + c as u64),
            (l, c) => (line0 + l as u64 - 1, c as u64),
        };
        let mut text = e.to_string();
        if let Some(i) = text.rfind(" at line ") {
            text.truncate(i);
        }
        let message = match e.classify() {
            serde_json::error::Category::Eof => format!("the file ends too early: {text}"),
            _ => format!("not a valid Telegram export: {text}"),
        };
        ImportError::invalid(format!("{}:{line}:{column}", self.shown), message)
    }

    /// Takes `{` when it comes next.
    pub(super) fn begin_object(&mut self) -> Result<bool, ImportError> {
        self.eat(b'{')
    }

    /// Takes `[` when it comes next.
    pub(super) fn begin_array(&mut self) -> Result<bool, ImportError> {
        self.eat(b'[')
    }

    /// In an object whose `{` was taken: the next key (its `:` taken too), or `None` once the
    /// closing `}` is taken. `first` is true until the first key was read.
    pub(super) fn next_key(&mut self, first: &mut bool) -> Result<Option<String>, ImportError> {
        let mut b = self.peek()?;
        if b == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !*first {
            if b != Some(b',') {
                return Err(self.unexpected("`,` or `}`"));
            }
            self.pos += 1;
            b = self.peek()?;
        }
        *first = false;
        if b != Some(b'"') {
            return Err(self.unexpected("a key (a string)"));
        }
        let key: String = self.value()?;
        if !self.eat(b':')? {
            return Err(self.unexpected("`:`"));
        }
        Ok(Some(key))
    }

    /// In an array whose `[` was taken: true when an element follows (its separating comma
    /// taken), false once the closing `]` is taken. `first` is true until the first element.
    pub(super) fn next_element(&mut self, first: &mut bool) -> Result<bool, ImportError> {
        let b = self.peek()?;
        if b == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        if !*first {
            if b != Some(b',') {
                return Err(self.unexpected("`,` or `]`"));
            }
            self.pos += 1;
        }
        *first = false;
        Ok(true)
    }

    /// In an array whose `[` was taken: the next elements, as many as lie whole in the buffer
    /// (at least one), parsed into a batch that takes the buffer with it; the stream goes on in
    /// a buffer from `spare` (one handed back) or a new one. `None` once the closing `]` is
    /// taken. `first` is true until the first element. An element that the buffer's end cuts
    /// is read again with more bytes, as [`JsonStream::parse`] does, and what is wrong is
    /// reported as [`JsonStream::next_element`] and [`JsonStream::parse`] report it.
    pub(super) fn elements<T: Batch>(
        &mut self,
        first: &mut bool,
        spare: impl FnOnce() -> Option<(Vec<u8>, T::List)>,
    ) -> Result<Option<T>, ImportError> {
        // The buffer to go on in once this one leaves with a batch, and the list for it.
        let (mut next, mut list) = spare().unwrap_or_default();
        loop {
            if self.peek()? == Some(b']') {
                self.pos += 1;
                return Ok(None);
            }
            let (pos, end, eof) = (self.pos, self.end, self.eof);
            let mut taken = *first;
            let mut at = pos;
            let mut stop = Stop::Slow;
            // Room for as many elements as the last batch had, and a few more.
            let room = self.batch + self.batch / 8;
            let buf = std::mem::take(&mut self.buf);
            let batch = T::new(buf, list, |bytes, mut out| {
                out.reserve(room);
                run::<T::Of>(
                    &bytes[..end],
                    pos,
                    eof,
                    &mut out,
                    &mut taken,
                    &mut at,
                    &mut stop,
                );
                out
            });
            if batch.len() > 0 {
                *first = taken;
                self.batch = batch.len();
                let old = batch.buffer();
                // The next buffer has the usual size again, unless what is left of this one
                // needs more (a buffer grown for one big element is not kept at that size).
                let size = self.chunk.max(end - at);
                if next.capacity() > 2 * size {
                    next = Vec::new();
                }
                next.resize(size, 0);
                next[..end - at].copy_from_slice(&old[at..end]);
                self.count_lines(&old[..at]);
                self.buf = next;
                self.end = end - at;
                self.scanned = self.scanned.saturating_sub(at);
                self.pos = 0;
                return Ok(Some(batch));
            }
            (self.buf, list) = batch.into_parts();
            match stop {
                // (A full batch is never empty.)
                Stop::End | Stop::Full => {}
                Stop::More => {
                    // (`run` stops for more only before the end of the file: past it, this
                    // would never end.)
                    if eof {
                        return Err(ImportError::Bug(
                            "an array was read for more bytes past the end of the file".into(),
                        ));
                    }
                    self.fill()?;
                }
                Stop::Slow => {
                    // The element-by-element path finds what is wrong (it cannot borrow into a
                    // batch, so a value it would take is a bug here).
                    if !self.next_element(first)? {
                        return Ok(None);
                    }
                    self.parse::<T::Of, ()>(|_| ())?;
                    return Err(ImportError::Bug(
                        "an array element was refused in a batch and read alone".into(),
                    ));
                }
            }
        }
    }

    /// Reads past the next value without keeping it; objects and arrays are walked here, so
    /// only their scalars need to fit in the buffer.
    pub(super) fn skip(&mut self) -> Result<(), ImportError> {
        let open = self.peek()?;
        if matches!(open, Some(b'{' | b'[')) {
            if self.depth >= MAX_DEPTH {
                return Err(self.unexpected("no deeper nesting (recursion limit)"));
            }
            self.depth += 1;
            self.pos += 1;
            let mut first = true;
            if open == Some(b'{') {
                while self.next_key(&mut first)?.is_some() {
                    self.skip()?;
                }
            } else {
                while self.next_element(&mut first)? {
                    self.skip()?;
                }
            }
            self.depth -= 1;
            return Ok(());
        }
        self.value::<IgnoredAny>().map(|_| ())
    }

    /// Checks that nothing but whitespace follows.
    pub(super) fn finish(&mut self) -> Result<(), ImportError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.unexpected("the end of the file (trailing characters)")),
        }
    }
}

/// True when a parse error may only come from the buffer ending inside the value: the end of
/// the input, or an error at its last bytes.
fn cut_off(e: &serde_json::Error, slice: &[u8]) -> bool {
    if e.classify() == serde_json::error::Category::Eof {
        return true;
    }
    // The byte offset of the error, from its line and column.
    let line_start = match e.line() {
        0 | 1 => 0,
        l => match memchr::memchr_iter(b'\n', slice).nth(l - 2) {
            Some(nl) => nl + 1,
            None => return true,
        },
    };
    line_start + e.column() + 8 >= slice.len()
}

fn count_newlines(bytes: &[u8]) -> u64 {
    // memchr counts with vector instructions (a plain filter-and-count does not vectorise).
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Rebuilds a document with the stream: objects and arrays walked here down to `depth`,
    /// the values below parsed whole.
    fn walk(s: &mut JsonStream<'_>, depth: usize) -> Result<Value, ImportError> {
        if depth > 0 && s.begin_object()? {
            let mut o = serde_json::Map::new();
            let mut first = true;
            while let Some(k) = s.next_key(&mut first)? {
                o.insert(k, walk(s, depth - 1)?);
            }
            return Ok(Value::Object(o));
        }
        if depth > 0 && s.begin_array()? {
            let mut a = Vec::new();
            let mut first = true;
            while s.next_element(&mut first)? {
                a.push(walk(s, depth - 1)?);
            }
            return Ok(Value::Array(a));
        }
        s.value()
    }

    fn read(doc: &[u8], chunk: usize, depth: usize) -> Result<(Value, u64), ImportError> {
        let mut r = doc;
        let mut s = JsonStream::new(&mut r, "f.json", chunk);
        let v = walk(&mut s, depth)?;
        s.finish()?;
        Ok((v, s.repaired()))
    }

    const DOC: &str = "\u{feff}{\"name\": \"a [b] {c} \\\"d\\\" \\\\\", \"n\": [1, -2.5e3, 12345678901234, true, null],\n \
        \"messages\": [\n  {\"id\": 1, \"text\": \"\\ud83d\\ude00 ☃ \\u00e9 \\\\x41 \\x41\", \"e\": []},\n  \
        {\"id\": 2, \"text\": [\"x\", {\"type\": \"bold\", \"text\": \"}]\\\"\"}], \"d\": {}},\n  \
        \"not an object\", 42, [], {\"k\": \"\\\\\"}\n ],\n \"end\": 7 }\n";

    #[test]
    fn values_cut_at_every_place_read_the_same() {
        let repaired = DOC
            .trim_start_matches('\u{feff}')
            .replace(r" \x41", r" \u0041");
        let expected: Value = serde_json::from_str(&repaired).unwrap();
        for depth in [0, 1, 2, 3, 9] {
            for chunk in (1..40).chain([64, 100, 1000]) {
                let (v, n) = read(DOC.as_bytes(), chunk, depth)
                    .unwrap_or_else(|e| panic!("chunk {chunk}, depth {depth}: {e}"));
                assert_eq!(v, expected, "chunk {chunk}, depth {depth}");
                assert_eq!(n, 1, "one \\x escape repaired (not the escaped backslash)");
            }
        }
    }

    #[test]
    fn x_escapes_are_repaired_across_chunk_ends() {
        let doc = br#"{"a":"\x0c\\x\"x\x41","b":"\\\x42"}"#;
        for chunk in 1..doc.len() + 2 {
            let (v, n) = read(doc, chunk, 1).unwrap();
            assert_eq!(
                v,
                serde_json::json!({"a": "\u{c}\\x\"xA", "b": "\\B"}),
                "{chunk}"
            );
            assert_eq!(n, 3, "{chunk}");
        }
    }

    #[test]
    fn skipping_reads_past_anything() {
        let doc = br#"{"skip": {"a": [1, "]", {"b": "}\""}], "c": null}, "keep": 5}"#;
        for chunk in 1..doc.len() + 2 {
            let mut r = &doc[..];
            let mut s = JsonStream::new(&mut r, "f.json", chunk);
            assert!(s.begin_object().unwrap());
            let mut first = true;
            assert_eq!(s.next_key(&mut first).unwrap().as_deref(), Some("skip"));
            s.skip().unwrap();
            assert_eq!(s.next_key(&mut first).unwrap().as_deref(), Some("keep"));
            assert_eq!(s.value::<u64>().unwrap(), 5);
            assert_eq!(s.next_key(&mut first).unwrap(), None);
            s.finish().unwrap();
        }
    }

    #[test]
    fn a_file_cut_anywhere_is_an_error_naming_its_place() {
        let doc = DOC.as_bytes();
        // From after the byte order mark to before the closing brace.
        for cut in 3..doc.len() - 2 {
            let piece = &doc[..cut];
            for chunk in [4, 7, 64] {
                let e = match read(piece, chunk, 3) {
                    Ok(v) => panic!("cut at {cut} read as {v:?}"),
                    Err(e) => e.to_string(),
                };
                assert!(e.starts_with("f.json:"), "cut at {cut}: {e}");
                assert!(e.contains("ends too early"), "cut at {cut}: {e}");
            }
        }
    }

    /// serde_json's line and column for an error in the whole text.
    fn serde_place(doc: &str) -> String {
        let e = serde_json::from_str::<Value>(doc).unwrap_err();
        format!("f.json:{}:{}", e.line(), e.column())
    }

    #[test]
    fn errors_are_placed_in_the_file_as_serde_json_places_them() {
        let docs = [
            "{\"messages\": [\n  {\"id\": 1},\n  {\"id\": 2 \"x\": 3}\n]}",
            "{\"messages\": [\n  {\"id\": 1},\n  {\"id\": tru}\n]}",
            "{\"a\": [1,\n 2,\n ]}",
            "{\"a\": \"\n\"}",
            "{\"a\": 1}\n  x",
        ];
        for doc in docs {
            let want = serde_place(doc);
            for chunk in (4..30).chain([1000]) {
                let e = read(doc.as_bytes(), chunk, 2).unwrap_err().to_string();
                let at = e.split(": ").next().unwrap();
                // Errors found by the walker point at the byte, serde_json's just past it.
                assert_eq!(at, want, "chunk {chunk}: {doc:?}: {e}");
            }
        }
    }

    /// A value that says it borrows, for batches in tests.
    #[derive(Debug, PartialEq)]
    struct Tagged<'a>(Value, std::marker::PhantomData<&'a ()>);

    impl<'de> Deserialize<'de> for Tagged<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Value::deserialize(d).map(|v| Tagged(v, std::marker::PhantomData))
        }
    }

    struct Tags;

    impl Borrowing for Tags {
        type Value<'a> = Tagged<'a>;
    }

    batch_type!(TestBatch, Tagged2, Tags, Tagged);

    /// Reads `{"messages": [...], ...}` with the messages in batches (or one by one), then
    /// the keys after them: the messages, the keys' values, and how many batches there were.
    fn read_messages(
        doc: &[u8],
        chunk: usize,
        batched: bool,
    ) -> Result<(Vec<Value>, Vec<Value>, usize), ImportError> {
        let mut r = doc;
        let mut s = JsonStream::new(&mut r, "f.json", chunk);
        let (mut messages, mut rest, mut batches) = (Vec::new(), Vec::new(), 0);
        if !s.begin_object()? {
            return Err(s.unexpected("an object"));
        }
        let mut first_key = true;
        while let Some(k) = s.next_key(&mut first_key)? {
            if k != "messages" {
                rest.push(s.value()?);
                continue;
            }
            if !s.begin_array()? {
                return Err(s.unexpected("an array"));
            }
            let mut first = true;
            let mut spare = None;
            if batched {
                while let Some(mut b) = s.elements::<TestBatch>(&mut first, || spare.take())? {
                    batches += 1;
                    b.with_dependent_mut(|_, d| messages.extend(d.drain(..).map(|t| t.0)));
                    // Buffers and lists handed back now and then, and not always.
                    if batches % 3 != 0 {
                        let (buf, list) = b.into_parts();
                        // The list keeps its room (collected in place).
                        assert!(list.is_empty() && list.capacity() > 0);
                        spare = Some((buf, list));
                    }
                }
            } else {
                while s.next_element(&mut first)? {
                    messages.push(s.value()?);
                }
            }
        }
        s.finish()?;
        Ok((messages, rest, batches))
    }

    /// Asserts that `doc` reads the same in batches as one by one: the same values, or the
    /// same error.
    fn assert_read_alike(doc: &[u8], chunk: usize) {
        let one = read_messages(doc, chunk, false).map(|(m, r, _)| (m, r));
        let many = read_messages(doc, chunk, true).map(|(m, r, _)| (m, r));
        let shown = || String::from_utf8_lossy(&doc[..doc.len().min(200)]).into_owned();
        match (&one, &many) {
            (Ok(a), Ok(b)) => assert!(a == b, "chunk {chunk}: {}", shown()),
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "chunk {chunk}: {}", shown())
            }
            _ => panic!("chunk {chunk}: {}: {one:?} against {many:?}", shown()),
        }
    }

    #[test]
    fn batches_read_what_elements_read_one_by_one() {
        let mut docs: Vec<Vec<u8>> = vec![
            DOC.as_bytes().to_vec(),
            b"{\"messages\": []}".to_vec(),
            b"{\"messages\": [ ] , \"x\": 1}".to_vec(),
            b"{\"messages\": [1,2,3.5e1,-4]}".to_vec(),
            b"{\"messages\": [\n  {\"id\": 1},\n  {\"id\": 2 \"x\": 3}\n]}".to_vec(),
            b"{\"messages\": [\n  {\"id\": 1},\n  {\"id\": tru}\n]}".to_vec(),
            b"{\"messages\": [1,\n 2,\n ]}".to_vec(),
            b"{\"messages\": [1 2]}".to_vec(),
            b"{\"messages\": [,1]}".to_vec(),
            b"{\"messages\": [\"a\n\"]}".to_vec(),
            b"{\"messages\": [{\"t\": \"\\x41\"}, \"\xff\"]}".to_vec(),
            b"{\"messages\": [1]}\n  x".to_vec(),
        ];
        // And the first document cut everywhere.
        let whole = DOC.as_bytes();
        docs.extend((3..whole.len()).map(|cut| whole[..cut].to_vec()));
        for doc in &docs {
            for chunk in (4..40).chain([64, 1000]) {
                assert_read_alike(doc, chunk);
            }
        }
        // Long documents, whose text is checked in growing windows: multi-byte characters
        // fall across the windows' ends, and a byte that is not UTF-8 lies far in.
        let long: String = (0..3000)
            .map(|k| format!("{{\"t\": \"{}\", \"n\": {k}}}", "é€".repeat(k % 97)))
            .collect::<Vec<_>>()
            .join(", ");
        let long = format!("{{\"messages\": [{long}], \"end\": 1}}").into_bytes();
        let mut bad = long.clone();
        let far = bad.len() * 2 / 3;
        let quote = far + bad[far..].iter().position(|&b| b == b'"').unwrap();
        bad.insert(quote + 1, 0xff);
        for doc in [&long, &bad, &long[..long.len() - 1000].to_vec()] {
            for chunk in [1 << 20, 100_000, 17_000, 4096] {
                assert_read_alike(doc, chunk);
            }
        }
        // In one buffer, the 3000 elements (about 500 KB, many windows) make one batch: an
        // element cut by a window's end is parsed again in a larger window, not left for more
        // bytes.
        let (messages, _, batches) = read_messages(&long, 1 << 20, true).unwrap();
        assert!(long.len() > 2 * MOST_CHECKED, "{}", long.len());
        assert_eq!((messages.len(), batches), (3000, 1));
        // With a big buffer, the first document's six messages come in one batch.
        let (m, _, batches) = read_messages(DOC.as_bytes(), 1000, true).unwrap();
        assert_eq!((m.len(), batches), (6, 1));
        let (_, _, batches) = read_messages(DOC.as_bytes(), 16, true).unwrap();
        assert!(batches > 1);
    }

    /// Reads the messages in batches: each batch's element count and buffer size.
    fn batch_shapes(doc: &[u8], chunk: usize) -> Vec<(usize, usize)> {
        let mut r = doc;
        let mut s = JsonStream::new(&mut r, "f.json", chunk);
        assert!(s.begin_object().unwrap());
        let mut first_key = true;
        assert_eq!(
            s.next_key(&mut first_key).unwrap().as_deref(),
            Some("messages")
        );
        assert!(s.begin_array().unwrap());
        let (mut first, mut spare, mut shapes) = (true, None, Vec::new());
        while let Some(b) = s
            .elements::<TestBatch>(&mut first, || spare.take())
            .unwrap()
        {
            shapes.push((b.len(), b.buffer().len()));
            spare = Some(b.into_parts());
        }
        shapes
    }

    #[test]
    fn batches_are_bounded_in_elements_and_buffers_shrink_back() {
        // Ten thousand tiny elements in one buffer: no list of ten thousand.
        let tiny = format!("{{\"messages\": [{}1]}}", "1,".repeat(10_000));
        let shapes = batch_shapes(tiny.as_bytes(), 1 << 20);
        assert!(shapes.len() >= 3, "{shapes:?}");
        assert!(
            shapes.iter().all(|&(n, _)| n <= MOST_PER_BATCH),
            "{shapes:?}"
        );
        assert_eq!(shapes.iter().map(|&(n, _)| n).sum::<usize>(), 10_001);
        // One element of 100 KB grows the 64-byte buffer; once what that buffer read is used
        // up, the buffers are small again.
        let big = format!(
            "{{\"messages\": [\"{}\", {}1]}}",
            "x".repeat(100_000),
            "2, ".repeat(20_000)
        );
        let shapes = batch_shapes(big.as_bytes(), 64);
        assert!(shapes[0].1 > 100_000, "{shapes:?}");
        let small = shapes.iter().filter(|&&(_, size)| size <= 128).count();
        assert!(small > shapes.len() / 2, "{shapes:?}");
        assert!(shapes.last().is_some_and(|&(_, size)| size <= 128));
        assert_eq!(shapes.iter().map(|&(n, _)| n).sum::<usize>(), 20_002);
    }

    #[test]
    fn a_value_bigger_than_the_buffer_grows_it() {
        let big = "é".repeat(5000);
        let doc = format!("[{{\"t\": \"{big}\"}}, 1]");
        let (v, _) = read(doc.as_bytes(), 16, 1).unwrap();
        assert_eq!(v[0]["t"], big.as_str());
        assert_eq!(v[1], 1);
    }
}

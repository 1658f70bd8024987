//! Validation of chatport archives: JSON syntax, the schema, references, ordinals, times, rich
//! text, extensions and media, in one pass with memory bounded by the ids an archive defines.
//!
//! Use [`validate_path`] for an archive file, a bundle directory or a bundle zip, or a
//! [`Checker`] to feed lines yourself. Every problem is a [`Diagnostic`] with a stable [`Code`].

mod bundle;
pub mod codes;
mod engine;
mod locate;
mod schema_check;
mod timecheck;

pub use bundle::{ARCHIVE_NAME, OpenError, validate_path, validate_path_with_progress};
pub use codes::{ALL_CODES, Code, CodeInfo, Severity};
pub use engine::Checker;
pub use schema_check::SchemaSet;

use chatport_model::RecordType;
use serde::Serialize;
use std::io::BufRead;

/// Limits of one validation run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How many diagnostics to keep; the rest are counted but not kept. 0 keeps all.
    pub max_diagnostics: usize,
    /// The longest line accepted, in bytes; longer lines are skipped with an error, so that
    /// memory stays bounded.
    pub max_line_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_diagnostics: 200,
            max_line_bytes: 64 << 20,
        }
    }
}

impl Options {
    fn per_line_cap(&self) -> usize {
        match self.max_diagnostics {
            0 => 64,
            n => n.min(64),
        }
    }

    fn pending_cap(&self) -> usize {
        match self.max_diagnostics {
            0 => usize::MAX,
            n => n,
        }
    }
}

/// One problem found in an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable code, e.g. `E311`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The archive (or bundle member) the problem is in.
    pub file: String,
    /// The 1-based line, where the problem belongs to one.
    pub line: Option<u64>,
    /// The 1-based column in Unicode scalar values, where known.
    pub column: Option<u64>,
    /// A JSON pointer to the offending value within the line's record.
    pub pointer: Option<String>,
    /// The schema keyword location, for schema violations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_path: Option<String>,
    /// The offending text: up to 120 characters of the line around the column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl Diagnostic {
    fn bare(code: Code, file: &str, line: Option<u64>, message: String) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message,
            file: file.to_owned(),
            line,
            column: None,
            pointer: None,
            schema_path: None,
            excerpt: None,
        }
    }
}

/// How many records of each type an archive held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    /// Header records.
    pub header: u64,
    /// Account records.
    pub account: u64,
    /// Person records.
    pub person: u64,
    /// Conversation records.
    pub conversation: u64,
    /// Message records.
    pub message: u64,
}

/// The outcome of validating one archive.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The archive's name as given.
    pub file: String,
    /// True when there is no error (warnings allowed).
    pub valid: bool,
    /// The format version the header declared.
    pub version: Option<String>,
    /// Errors found, including those past the diagnostic cap.
    pub errors: u64,
    /// Warnings found, including those past the diagnostic cap.
    pub warnings: u64,
    /// True when more diagnostics were found than kept.
    pub truncated: bool,
    /// Lines read.
    pub lines: u64,
    /// Records read (non-empty lines).
    pub records: u64,
    /// Records of each type, including those with errors (by their `type` field).
    pub counts: RecordCounts,
    /// The diagnostics kept, in line order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    fn new(file: String) -> Report {
        Report {
            file,
            valid: true,
            version: None,
            errors: 0,
            warnings: 0,
            truncated: false,
            lines: 0,
            records: 0,
            counts: RecordCounts::default(),
            diagnostics: Vec::new(),
        }
    }

    fn push(&mut self, d: Diagnostic, cap: usize) {
        if engine::is_error(d.severity) {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
        if cap == 0 || self.diagnostics.len() < cap {
            self.diagnostics.push(d);
        } else {
            self.truncated = true;
        }
    }

    fn slot(&mut self, t: RecordType) -> &mut u64 {
        match t {
            RecordType::Header => &mut self.counts.header,
            RecordType::Account => &mut self.counts.account,
            RecordType::Person => &mut self.counts.person,
            RecordType::Conversation => &mut self.counts.conversation,
            RecordType::Message => &mut self.counts.message,
        }
    }

    fn count(&mut self, t: RecordType) {
        *self.slot(t) += 1;
    }

    fn uncount(&mut self, t: RecordType) {
        *self.slot(t) -= 1;
    }

    fn finish(&mut self) {
        self.valid = self.errors == 0;
        self.diagnostics
            .sort_by_key(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0)));
    }

    /// The distinct codes of the kept diagnostics, sorted.
    pub fn codes(&self) -> Vec<Code> {
        let mut c: Vec<Code> = self.diagnostics.iter().map(|d| d.code).collect();
        c.sort();
        c.dedup();
        c
    }
}

/// Where the files of a bundle can be looked up: by relative path, giving size and SHA-256.
pub trait MediaStore {
    /// The size and lowercase hex SHA-256 of the file at `path` (already checked to be a safe
    /// relative path), or an error saying why it cannot be read.
    fn stat(&mut self, path: &str) -> std::io::Result<(u64, String)>;
}

/// Validates an archive read from `input`, called `name` in diagnostics; `media`, when given,
/// checks the files of `present` attachments. Reading errors end the run early with `Err`.
pub fn validate_reader<R: BufRead>(
    input: R,
    name: &str,
    media: Option<&mut dyn MediaStore>,
    opts: Options,
) -> std::io::Result<Report> {
    validate_reader_with(input, Checker::new(name, opts, media))
}

/// Like [`validate_reader`], with a checker of the caller's (for the tests that compare the
/// fast and the full path; see [`Checker::without_fast_path`]).
#[doc(hidden)]
pub fn validate_reader_with<R: BufRead>(
    mut input: R,
    mut checker: Checker<'_>,
) -> std::io::Result<Report> {
    let cap = checker.max_line_bytes();
    // Lines that lie whole in the reader's buffer are checked in place; only a line that spans
    // two buffer fills is copied into `carry`, and never more than `cap` bytes of it.
    let mut carry: Vec<u8> = Vec::new();
    let mut carry_len = 0u64;
    let mut carry_too_long = false;
    let mut line = 0u64;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let n = chunk.len();
        if n == 0 {
            if carry_len > 0 {
                line += 1;
                if carry_too_long {
                    checker.line_too_long(line, carry_len);
                } else {
                    checker.check_line(line, &carry);
                }
            }
            break;
        }
        // The whole lines of the buffer are checked for UTF-8 in one go (much cheaper than line
        // by line); when that fails, each line is checked on its own, for its diagnostic.
        let begin = match carry_len {
            0 => 0,
            _ => memchr::memchr(b'\n', chunk).map_or(n, |p| p + 1),
        };
        let end = memchr::memrchr(b'\n', chunk).unwrap_or(0);
        let text = chunk
            .get(begin..end)
            .and_then(|b| simdutf8::basic::from_utf8(b).ok());
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            line += 1;
            let part = &chunk[start..nl];
            let from = start;
            start = nl + 1;
            if carry_len == 0 {
                if part.len() > cap {
                    checker.line_too_long(line, part.len() as u64);
                } else if let Some(t) = text
                    .filter(|_| from >= begin)
                    .and_then(|t| t.get(from - begin..nl - begin))
                {
                    checker.check_str(line, t);
                } else {
                    checker.check_line(line, part);
                }
                continue;
            }
            carry_len += part.len() as u64;
            if carry_too_long || carry.len() + part.len() > cap {
                checker.line_too_long(line, carry_len);
            } else {
                carry.extend_from_slice(part);
                checker.check_line(line, &carry);
            }
            carry.clear();
            carry_len = 0;
            carry_too_long = false;
        }
        let rest = &chunk[start..];
        if !rest.is_empty() {
            carry_len += rest.len() as u64;
            if !carry_too_long {
                if carry.len() + rest.len() > cap {
                    carry_too_long = true;
                    carry = Vec::new();
                } else {
                    carry.extend_from_slice(rest);
                }
            }
        }
        input.consume(n);
    }
    Ok(checker.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The reader checks UTF-8 a buffer at a time and falls back to each line on its own: the
    // report must be the one of feeding the lines one by one, wherever the buffers split them
    // (inside a multi-byte character too), with bad bytes and CRLF endings among them.
    #[test]
    fn buffered_utf8_check_gives_the_line_by_line_report() {
        let mut archive = String::from(
            r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"}}"#,
        );
        archive.push('\n');
        archive.push_str("{\"type\":\"account\",\"id\":\"a1\",\"platform\":\"x\"}\r\n");
        archive.push_str(r#"{"type":"conversation","id":"c1","platform":"x","kind":"group"}"#);
        archive.push('\n');
        for i in 0..40 {
            let text = ["café 🎉", "plain", "日本語のテキスト", "\\u00e9\\n"][i % 4];
            archive.push_str(&format!(
                r#"{{"type":"message","id":"m{i}","conversation":"c1","ordinal":{},"sender":"a1","text":"{text}"}}"#,
                i + 1
            ));
            archive.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        }
        let mut bytes = archive.into_bytes();
        // A Latin-1 byte in one line, a blank line, and a last line without newline.
        let at = bytes.len() - 30;
        bytes[at] = 0xE9;
        bytes.extend_from_slice(b"\n\n{\"type\":\"message\"}");
        let opts = Options {
            max_diagnostics: 0,
            ..Options::default()
        };
        let mut one_by_one = Checker::new("t.jsonl", opts, None);
        for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
            one_by_one.check_line(i as u64 + 1, l);
        }
        let expected = serde_json::to_string_pretty(&one_by_one.finish()).unwrap();
        assert!(expected.contains("E100"), "{expected}");
        for cap in [1, 5, 7, 64, 100, 333, 1 << 16] {
            let input = std::io::BufReader::with_capacity(cap, &bytes[..]);
            let got = validate_reader(input, "t.jsonl", None, opts).unwrap();
            assert_eq!(
                serde_json::to_string_pretty(&got).unwrap(),
                expected,
                "buffer of {cap} bytes"
            );
        }
    }
}

//! The one-pass checker: feed it the lines of an archive in order, then ask for the report.
//! Memory holds the ids seen (as fingerprints), the last ordinal of each conversation and at most
//! the capped diagnostics, whatever the size of the archive.
//!
//! Message lines first try the fast path (`fast`): a scanner that accepts the common, valid
//! message without building it. Every other line, and every line it hands back, takes the full
//! path: the typed models, then the semantic checks, and the JSON Schema only to explain a line
//! the typed models rejected.

use crate::codes::{Code, Severity};
use crate::locate::locate;
use crate::schema_check::SchemaSet;
use crate::timecheck::{check_time, check_zone};
use crate::{Diagnostic, MediaStore, Options, Report};
use chatport_model::ids::{IdTable, KeyMap, id_key};
use chatport_model::{
    Attachment, Extensions, FORMAT_VERSION_PARTS, Header, MediaStatus, Message, Path, PathSeg,
    Record, RecordType, Span, Time,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

use PathSeg::{Index as I, Key as K};

mod fast;

/// A reference that named no record when it was read: at the end it is either forward (defined
/// later) or unknown.
struct Pending {
    diag: Diagnostic,
    id: String,
    expected: RecordType,
}

/// What became of a line the typed models rejected.
enum Explained {
    /// Its record type is unknown (not JSON, not an object, no or unknown `type`).
    Untyped,
    /// It is a record of this type, with schema errors.
    Typed(RecordType),
    /// Without its unknown fields it passed, and the typed checks ran on it.
    Checked,
}

/// Validates an archive line by line.
pub struct Checker<'m> {
    opts: Options,
    file: String,
    ids: IdTable,
    last_ordinal: KeyMap<Option<u64>>,
    source_ids: HashSet<String>,
    records: u64,
    header_seen: bool,
    lenient: bool,
    zone_hint: bool,
    first_local_time: Option<(u64, String)>,
    first_unchecked_media: Option<(u64, String)>,
    media: Option<&'m mut dyn MediaStore>,
    media_cache: HashMap<String, Result<(u64, String), String>>,
    pending: Vec<Pending>,
    pending_dropped: u64,
    report: Report,
    schemas: &'static SchemaSet,
    /// Whether message lines may take the fast path (see `fast`).
    fast: bool,
}

/// Where one line's diagnostics go, with the text needed for columns and excerpts.
struct LineCtx<'a> {
    line: u64,
    bytes: &'a [u8],
}

impl LineCtx<'_> {
    // Only called on the way to a diagnostic; lines that get here are valid UTF-8.
    fn text(&self) -> &str {
        std::str::from_utf8(self.bytes).unwrap_or_default()
    }
}

impl<'m> Checker<'m> {
    /// A checker for the archive called `file` (used in diagnostics), with media checks against
    /// `media` when the archive is part of a bundle.
    pub fn new(
        file: impl Into<String>,
        opts: Options,
        media: Option<&'m mut dyn MediaStore>,
    ) -> Self {
        let file = file.into();
        Checker {
            opts,
            report: Report::new(file.clone()),
            file,
            ids: IdTable::new(),
            last_ordinal: KeyMap::default(),
            source_ids: HashSet::new(),
            records: 0,
            header_seen: false,
            lenient: false,
            zone_hint: false,
            first_local_time: None,
            first_unchecked_media: None,
            media,
            media_cache: HashMap::new(),
            pending: Vec::new(),
            pending_dropped: 0,
            schemas: SchemaSet::get(),
            fast: true,
        }
    }

    /// The same checker with the fast path for message lines turned off, so that every line
    /// takes the full typed path. The reports are the same either way; this exists for the
    /// tests that make sure of that.
    #[doc(hidden)]
    pub fn without_fast_path(mut self) -> Self {
        self.fast = false;
        self
    }

    /// The longest line this checker is told to read.
    pub(crate) fn max_line_bytes(&self) -> usize {
        self.opts.max_line_bytes
    }

    fn push(&mut self, d: Diagnostic) {
        self.report.push(d, self.opts.max_diagnostics);
    }

    fn diag(
        &self,
        code: Code,
        ctx: &LineCtx<'_>,
        pointer: Option<String>,
        message: String,
    ) -> Diagnostic {
        let column = pointer
            .as_deref()
            .and_then(|p| locate(ctx.text(), p))
            .map(|byte| ctx.text()[..byte].chars().count() as u64 + 1);
        Diagnostic {
            code,
            severity: code.severity(),
            message,
            file: self.file.clone(),
            line: Some(ctx.line),
            column,
            pointer,
            schema_path: None,
            excerpt: Some(excerpt(ctx.text(), column)),
        }
    }

    fn at(&mut self, code: Code, ctx: &LineCtx<'_>, path: Path, message: String) {
        let d = self.diag(code, ctx, Some(path.to_string()), message);
        self.push(d);
    }

    // A first record that cannot even be read is not a header.
    fn unreadable_first_record(&mut self, line: u64) {
        if self.records == 1 {
            let m = "the first record must be the header".to_owned();
            let d = Diagnostic::bare(Code::HeaderMissing, &self.file, Some(line), m);
            self.push(d);
        }
    }

    /// Reports a line longer than the limit; the caller skipped its bytes.
    pub fn line_too_long(&mut self, line: u64, len: u64) {
        self.report.lines = line;
        self.records += 1;
        self.unreadable_first_record(line);
        self.push(Diagnostic::bare(
            Code::LineTooLong,
            &self.file,
            Some(line),
            format!(
                "line is {len} bytes long, over the limit of {} bytes",
                self.opts.max_line_bytes
            ),
        ));
    }

    /// Checks one line (without its newline). `line` counts from 1.
    pub fn check_line(&mut self, line: u64, bytes: &[u8]) {
        self.report.lines = line;
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        // The common case first: valid UTF-8, checked once for the whole line with SIMD.
        if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
            return self.check_utf8(line, text);
        }
        let e = match std::str::from_utf8(bytes) {
            Ok(text) => return self.check_utf8(line, text),
            Err(e) => e,
        };
        let col = String::from_utf8_lossy(&bytes[..e.valid_up_to()])
            .chars()
            .count()
            + 1;
        let mut d = Diagnostic::bare(
            Code::NotUtf8,
            &self.file,
            Some(line),
            format!("invalid UTF-8 after byte {}", e.valid_up_to()),
        );
        d.column = Some(col as u64);
        self.records += 1;
        self.unreadable_first_record(line);
        self.push(d);
    }

    /// Checks one line (without its newline) known to be UTF-8: what [`Checker::check_line`]
    /// does once the bytes are text. The reader validates whole buffers of lines at once and
    /// hands their lines here.
    pub(crate) fn check_str(&mut self, line: u64, text: &str) {
        self.report.lines = line;
        self.check_utf8(line, text.strip_suffix('\r').unwrap_or(text));
    }

    fn check_utf8(&mut self, line: u64, text: &str) {
        if self.fast && self.fast_message(text) {
            self.records += 1;
            return;
        }
        let ctx = LineCtx {
            line,
            bytes: text.as_bytes(),
        };
        let e = match serde_json::from_str::<Record>(text) {
            Ok(rec) => {
                self.records += 1;
                return self.check_record(&ctx, &rec);
            }
            Err(e) => e,
        };
        if text.trim().is_empty() {
            let d = self.diag(Code::EmptyLine, &ctx, None, "empty line".to_owned());
            return self.push(d);
        }
        self.records += 1;
        self.explain(&ctx, e);
    }

    // The typed models rejected the line: find out why, with the schema for the details.
    fn explain(&mut self, ctx: &LineCtx<'_>, typed: serde_json::Error) {
        let t = match self.explain_inner(ctx, typed) {
            // The typed checks ran after all and placed the header themselves.
            Explained::Checked => return,
            Explained::Typed(t) => Some(t),
            Explained::Untyped => None,
        };
        if self.records == 1 && t != Some(RecordType::Header) {
            let m = match t {
                Some(t) => format!("the first record must be the header, not {}", a(t)),
                None => "the first record must be the header".to_owned(),
            };
            let d = self.diag(Code::HeaderMissing, ctx, Some(String::new()), m);
            self.push(d);
        }
    }

    // Explains a line the typed models rejected; returns its record type when it has one.
    fn explain_inner(&mut self, ctx: &LineCtx<'_>, typed: serde_json::Error) -> Explained {
        let value: Value = match serde_json::from_str(ctx.text()) {
            Ok(v) => v,
            Err(e) => {
                let col = column_of(ctx.text(), e.column());
                let mut d = self.diag(Code::JsonSyntax, ctx, None, strip_position(&e));
                d.column = Some(col);
                d.excerpt = Some(excerpt(ctx.text(), Some(col)));
                self.push(d);
                return Explained::Untyped;
            }
        };
        let Value::Object(obj) = &value else {
            let d = self.diag(
                Code::NotObject,
                ctx,
                Some(String::new()),
                format!("a record must be a JSON object, not {}", kind_of(&value)),
            );
            self.push(d);
            return Explained::Untyped;
        };
        let t = match obj.get("type") {
            Some(Value::String(s)) => match RecordType::parse(s) {
                Some(t) => t,
                None if self.lenient => {
                    let m = format!("record type {s:?} is not defined in version 0.1; skipped");
                    self.at(Code::UnknownTypeNewer, ctx, Path::new(&[K("type")]), m);
                    return Explained::Untyped;
                }
                None => {
                    let m = format!(
                        "unknown record type {s:?} (expected header, account, person, conversation or message)"
                    );
                    self.at(Code::TypeUnknown, ctx, Path::new(&[K("type")]), m);
                    return Explained::Untyped;
                }
            },
            Some(other) => {
                let m = format!("`type` must be a string, not {}", kind_of(other));
                self.at(Code::TypeMissing, ctx, Path::new(&[K("type")]), m);
                return Explained::Untyped;
            }
            None => {
                let d = self.diag(
                    Code::TypeMissing,
                    ctx,
                    Some(String::new()),
                    "record has no `type` field".to_owned(),
                );
                self.push(d);
                return Explained::Untyped;
            }
        };
        self.report.count(t);
        if t == RecordType::Header && self.records == 1 {
            // A newer minor version makes unknown header fields warnings too.
            let version = obj
                .get("version")
                .and_then(Value::as_str)
                .and_then(parse_version);
            if version
                .is_some_and(|(ma, mi)| ma == FORMAT_VERSION_PARTS.0 && mi > FORMAT_VERSION_PARTS.1)
            {
                self.lenient = true;
            }
        }
        let cap = self.opts.per_line_cap();
        let mut issues = self.schemas.issues(t, &value, cap + 1);
        if issues.len() > cap {
            // The rest of this record's schema errors are neither listed nor counted.
            issues.truncate(cap);
            self.report.truncated = true;
        }
        if issues.is_empty() {
            // The schema accepts what the typed models refuse: a duplicate field, or a rule the
            // schema cannot express. Report the typed error.
            let msg = strip_position(&typed);
            // `type` is consumed before the record's own fields, so a second `type` surfaces as
            // an unknown field.
            let code =
                if msg.starts_with("duplicate field") || msg.starts_with("unknown field `type`") {
                    Code::DuplicateKey
                } else {
                    Code::SchemaOther
                };
            let mut d = self.diag(code, ctx, None, msg);
            let col = column_of(ctx.text(), typed.column());
            d.column = Some(col);
            d.excerpt = Some(excerpt(ctx.text(), Some(col)));
            self.push(d);
        }
        // When the only problems are unknown fields, the rest of the record can still be
        // checked: drop those fields and run the typed checks. In an archive of a newer minor
        // version, unknown fields are warnings.
        let only_unknown =
            !issues.is_empty() && issues.iter().all(|i| i.code == Code::SchemaUnknownField);
        let mut stripped = only_unknown.then(|| value.clone());
        for i in issues {
            if let Some(v) = stripped.as_mut() {
                remove_at(v, &i.pointer);
            }
            let code = match i.code {
                Code::SchemaUnknownField if self.lenient => Code::UnknownFieldNewer,
                c => c,
            };
            let mut d = self.diag(code, ctx, Some(i.pointer), i.message);
            d.schema_path = Some(i.schema_path);
            self.push(d);
        }
        if let Some(rec) = stripped.and_then(|v| serde_json::from_value::<Record>(v).ok()) {
            self.report.uncount(t);
            self.check_record(ctx, &rec);
            return Explained::Checked;
        }
        // Keep the id, so that later references to this record do not cascade into errors.
        if let Some(Value::String(id)) = obj.get("id")
            && t != RecordType::Header
            && let Some(existing) = self.ids.define(id, t)
        {
            let m = format!("id {id:?} is already used by an earlier {existing} record");
            self.at(Code::IdDuplicate, ctx, Path::new(&[K("id")]), m);
        }
        if t == RecordType::Header && self.header_position(ctx) {
            // Keep what later records rely on, so that one bad header field does not cascade.
            if self.lenient {
                let m = "the header declares a newer minor version".to_owned();
                self.at(Code::VersionNewerMinor, ctx, Path::new(&[K("version")]), m);
            }
            for s in obj
                .get("sources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = s.get("id").and_then(Value::as_str) {
                    self.source_ids.insert(id.to_owned());
                }
                if s.get("zone_hint").is_some() || s.get("assumed_zone").is_some() {
                    self.zone_hint = true;
                }
            }
        }
        Explained::Typed(t)
    }

    // Header placement rules; returns true for the first header in first position.
    fn header_position(&mut self, ctx: &LineCtx<'_>) -> bool {
        if self.records == 1 {
            self.header_seen = true;
            true
        } else {
            let m = "a header may only be the first record".to_owned();
            let d = self.diag(Code::HeaderRepeated, ctx, Some("/type".into()), m);
            self.push(d);
            false
        }
    }

    fn check_record(&mut self, ctx: &LineCtx<'_>, rec: &Record) {
        let t = rec.record_type();
        self.report.count(t);
        if self.records == 1 && t != RecordType::Header {
            let m = format!("the first record must be the header, not {}", a(t));
            let d = self.diag(Code::HeaderMissing, ctx, Some("/type".into()), m);
            self.push(d);
        }
        if let Record::Header(h) = rec {
            if self.header_position(ctx) {
                self.check_header(ctx, h);
            }
            return;
        }
        let id = rec.id().unwrap_or_default();
        let id_path = Path::new(&[K("id")]);
        if let Err(m) = id_syntax(id) {
            self.at(Code::IdMalformed, ctx, id_path, m);
        }
        rec.each_reference(|r| {
            let found = self.ids.get(r.id);
            match found {
                Some(k) if k == r.expected => {}
                Some(k) => {
                    let m = format!(
                        "`{}` names {:?}, which is {}, not {}",
                        last_key(&r.path),
                        r.id,
                        a(k),
                        a(r.expected)
                    );
                    self.at(Code::RefWrongKind, ctx, r.path, m);
                }
                None => {
                    let m = String::new();
                    let diag = self.diag(Code::RefUnknown, ctx, Some(r.path.to_string()), m);
                    if self.pending.len() < self.opts.pending_cap() {
                        self.pending.push(Pending {
                            diag,
                            id: r.id.to_owned(),
                            expected: r.expected,
                        });
                    } else {
                        self.pending_dropped += 1;
                    }
                }
            }
        });
        if let Some(existing) = self.ids.define(id, t) {
            let m = format!("id {id:?} is already used by an earlier {existing} record");
            self.at(Code::IdDuplicate, ctx, id_path, m);
        }
        match rec {
            Record::Header(_) => {}
            Record::Account(a) => {
                self.check_extensions(ctx, &a.extensions, Path::new(&[]));
                if let Some(av) = &a.avatar {
                    self.check_attachment(ctx, av, Path::new(&[K("avatar")]));
                }
            }
            Record::Person(p) => self.check_extensions(ctx, &p.extensions, Path::new(&[])),
            Record::Conversation(c) => {
                self.check_extensions(ctx, &c.extensions, Path::new(&[]));
                if let Some(av) = &c.avatar {
                    self.check_attachment(ctx, av, Path::new(&[K("avatar")]));
                }
                self.check_opt_time(ctx, c.created.as_ref(), Path::new(&[K("created")]));
                for (i, cov) in c.coverage.iter().enumerate() {
                    let p = Path::new(&[K("coverage"), I(i)]);
                    if !self.source_ids.contains(&cov.source) {
                        let m = format!(
                            "coverage names source {:?}, which the header does not list",
                            cov.source
                        );
                        self.at(Code::RefUnknown, ctx, p.with(K("source")), m);
                    }
                    self.check_opt_time(ctx, cov.from.as_ref(), p.with(K("from")));
                    self.check_opt_time(ctx, cov.to.as_ref(), p.with(K("to")));
                }
            }
            Record::Message(m) => {
                if let Some(o) = &m.origin
                    && let Some(src) = &o.source
                    && !self.source_ids.contains(src)
                {
                    let msg =
                        format!("origin names source {src:?}, which the header does not list");
                    self.at(
                        Code::RefUnknown,
                        ctx,
                        Path::new(&[K("origin"), K("source")]),
                        msg,
                    );
                }
                self.check_message(ctx, m)
            }
        }
    }

    fn check_header(&mut self, ctx: &LineCtx<'_>, h: &Header) {
        let vpath = Path::new(&[K("version")]);
        match parse_version(&h.version) {
            Some((major, minor))
                if major == FORMAT_VERSION_PARTS.0 && minor == FORMAT_VERSION_PARTS.1 => {}
            Some((major, minor))
                if major == FORMAT_VERSION_PARTS.0 && minor > FORMAT_VERSION_PARTS.1 =>
            {
                self.lenient = true;
                let m = format!(
                    "version {} is newer than 0.1: unknown fields and record types are warnings",
                    h.version
                );
                self.at(Code::VersionNewerMinor, ctx, vpath, m);
            }
            _ => {
                let m = format!(
                    "version {:?} is not supported (this validator reads 0.1)",
                    h.version
                );
                self.at(Code::VersionUnsupported, ctx, vpath, m);
            }
        }
        self.report.version = Some(h.version.clone());
        self.check_opt_time(ctx, h.created.as_ref(), Path::new(&[K("created")]));
        self.check_extensions(ctx, &h.extensions, Path::new(&[]));
        for (i, s) in h.sources.iter().enumerate() {
            let p = Path::new(&[K("sources"), I(i)]);
            if let Err(m) = id_syntax(&s.id) {
                self.at(Code::IdMalformed, ctx, p.with(K("id")), m);
            }
            if !self.source_ids.insert(s.id.clone()) {
                let m = format!("source id {:?} is used twice", s.id);
                self.at(Code::IdDuplicate, ctx, p.with(K("id")), m);
            }
            self.check_opt_time(ctx, s.exported.as_ref(), p.with(K("exported")));
            for (key, zone) in [
                ("zone_hint", &s.zone_hint),
                ("assumed_zone", &s.assumed_zone),
            ] {
                if let Some(z) = zone {
                    self.zone_hint = true;
                    if let Err((code, _, m)) = check_zone(z) {
                        self.at(code, ctx, p.with(K(key)), m);
                    }
                }
            }
            self.check_extensions(ctx, &s.extensions, p);
        }
    }

    fn check_message(&mut self, ctx: &LineCtx<'_>, m: &Message) {
        let last = self
            .last_ordinal
            .entry(id_key(&m.conversation))
            .or_insert(None);
        if let Some(previous) = last.replace(m.ordinal).filter(|p| m.ordinal <= *p) {
            let msg = format!(
                "ordinal {} is not greater than {previous}, the previous message's in conversation {:?}",
                m.ordinal, m.conversation
            );
            self.at(Code::OrdinalOrder, ctx, Path::new(&[K("ordinal")]), msg);
        }
        self.check_opt_time(ctx, m.time.as_ref(), Path::new(&[K("time")]));
        self.check_spans(ctx, m.text.as_deref(), &m.spans, Path::new(&[K("spans")]));
        if let Some(f) = &m.forwarded {
            self.check_opt_time(
                ctx,
                f.time.as_ref(),
                Path::new(&[K("forwarded"), K("time")]),
            );
        }
        if let Some(e) = &m.edited {
            self.check_opt_time(ctx, e.time.as_ref(), Path::new(&[K("edited"), K("time")]));
            for (i, r) in e.history.iter().enumerate() {
                let p = Path::new(&[K("edited"), K("history"), I(i)]);
                self.check_opt_time(ctx, r.time.as_ref(), p.with(K("time")));
                self.check_spans(ctx, r.text.as_deref(), &r.spans, p.with(K("spans")));
            }
        }
        if let Some(d) = &m.deleted {
            self.check_opt_time(ctx, d.time.as_ref(), Path::new(&[K("deleted"), K("time")]));
        }
        for (i, r) in m.reactions.iter().enumerate() {
            for (j, by) in r.by.iter().enumerate() {
                let p = Path::new(&[K("reactions"), I(i), K("by"), I(j), K("time")]);
                self.check_opt_time(ctx, by.time.as_ref(), p);
            }
            self.check_extensions(ctx, &r.extensions, Path::new(&[K("reactions"), I(i)]));
        }
        for (i, a) in m.attachments.iter().enumerate() {
            self.check_attachment(ctx, a, Path::new(&[K("attachments"), I(i)]));
        }
        for (i, e) in m.embeds.iter().enumerate() {
            let p = Path::new(&[K("embeds"), I(i)]);
            if let Some(img) = &e.image {
                self.check_attachment(ctx, img, p.with(K("image")));
            }
            self.check_extensions(ctx, &e.extensions, p);
        }
        if let Some(loc) = &m.location {
            for (key, v, lim) in [
                ("latitude", loc.latitude, 90.0),
                ("longitude", loc.longitude, 180.0),
            ] {
                if let Some(v) = v.filter(|v| !(-lim..=lim).contains(v)) {
                    let msg = format!("{key} {v} is outside -{lim}..{lim}");
                    self.at(
                        Code::SchemaRange,
                        ctx,
                        Path::new(&[K("location"), K(key)]),
                        msg,
                    );
                }
            }
        }
        if let Some(c) = &m.call {
            let p = Path::new(&[K("call"), K("duration_seconds")]);
            self.check_duration(ctx, c.duration_seconds, p);
            self.check_opt_time(ctx, c.ended.as_ref(), Path::new(&[K("call"), K("ended")]));
        }
        self.check_extensions(ctx, &m.extensions, Path::new(&[]));
    }

    fn check_opt_time(&mut self, ctx: &LineCtx<'_>, t: Option<&Time>, path: Path) {
        let Some(t) = t else { return };
        if t.kind == chatport_model::TimeKind::Local && self.first_local_time.is_none() {
            self.first_local_time = Some((ctx.line, path.to_string()));
        }
        if let Err((code, field, m)) = check_time(t) {
            let at = if field.is_empty() {
                path
            } else {
                path.with(K(field))
            };
            self.at(code, ctx, at, m);
        }
    }

    fn check_spans(&mut self, ctx: &LineCtx<'_>, text: Option<&str>, spans: &[Span], path: Path) {
        if spans.is_empty() {
            return;
        }
        let len = text.map_or(0, |t| t.chars().count()) as u64;
        for (i, s) in spans.iter().enumerate() {
            if s.start > s.end || s.end > len {
                let m = format!(
                    "span {}..{} does not fit a text of {len} code points",
                    s.start, s.end
                );
                self.at(Code::SpanRange, ctx, path.with(I(i)), m);
            }
        }
    }

    fn check_extensions(&mut self, ctx: &LineCtx<'_>, ext: &Extensions, path: Path) {
        for key in ext.keys() {
            if !is_namespace(key) {
                let m = format!(
                    "extension key {key:?} is not a reverse-DNS namespace such as \"org.telegram\""
                );
                let d = self.diag(
                    Code::ExtensionKey,
                    ctx,
                    Some(format!(
                        "{path}/extensions/{}",
                        key.replace('~', "~0").replace('/', "~1")
                    )),
                    m,
                );
                self.push(d);
            }
        }
    }

    fn check_duration(&mut self, ctx: &LineCtx<'_>, d: Option<f64>, path: Path) {
        if let Some(d) = d.filter(|d| *d < 0.0) {
            let m = format!("a duration of {d} seconds is negative");
            self.at(Code::SchemaRange, ctx, path, m);
        }
    }

    fn check_attachment(&mut self, ctx: &LineCtx<'_>, a: &Attachment, path: Path) {
        self.check_extensions(ctx, &a.extensions, path);
        self.check_duration(ctx, a.duration_seconds, path.with(K("duration_seconds")));
        if let Some(h) = &a.sha256
            && (h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        {
            let m = format!("sha256 {h:?} is not 64 lowercase hexadecimal digits");
            self.at(Code::HashMalformed, ctx, path.with(K("sha256")), m);
        }
        let mut path_ok = true;
        if let Some(p) = &a.path
            && let Err((code, m)) = path_syntax(p)
        {
            path_ok = false;
            self.at(code, ctx, path.with(K("path")), m);
        }
        match a.status {
            MediaStatus::Missing => {}
            MediaStatus::Remote => {
                if a.url.is_none() {
                    let m = "a `remote` attachment needs `url`".to_owned();
                    self.at(Code::MediaIncomplete, ctx, path, m);
                }
            }
            MediaStatus::Present => {
                let lacking: Vec<&str> = [
                    ("path", a.path.is_none()),
                    ("size", a.size.is_none()),
                    ("sha256", a.sha256.is_none()),
                ]
                .into_iter()
                .filter_map(|(k, missing)| missing.then_some(k))
                .collect();
                if !lacking.is_empty() {
                    let m = format!("a `present` attachment needs {}", lacking.join(", "));
                    return self.at(Code::MediaIncomplete, ctx, path, m);
                }
                if path_ok {
                    self.check_media_file(ctx, a, path);
                }
            }
        }
    }

    fn check_media_file(&mut self, ctx: &LineCtx<'_>, a: &Attachment, path: Path) {
        let (Some(p), Some(size), Some(sha)) = (&a.path, a.size, &a.sha256) else {
            return;
        };
        let Some(store) = self.media.as_deref_mut() else {
            if self.first_unchecked_media.is_none() {
                self.first_unchecked_media = Some((ctx.line, path.with(K("path")).to_string()));
            }
            return;
        };
        let found = self
            .media_cache
            .entry(p.clone())
            .or_insert_with(|| store.stat(p).map_err(|e| e.to_string()))
            .clone();
        match found {
            Err(e) => {
                let m = format!("{p:?} is not in the bundle ({e})");
                self.at(Code::MediaMissing, ctx, path.with(K("path")), m);
            }
            Ok((real_size, real_sha)) => {
                if real_size != size {
                    let m = format!("{p:?} is {real_size} bytes, not {size}");
                    self.at(Code::MediaSize, ctx, path.with(K("size")), m);
                } else if &real_sha != sha {
                    let m = format!("{p:?} has SHA-256 {real_sha}, not {sha}");
                    self.at(Code::MediaHash, ctx, path.with(K("sha256")), m);
                }
            }
        }
    }

    /// Ends the check: resolves references that named nothing when read, adds the archive-wide
    /// warnings and returns the report.
    pub fn finish(mut self) -> Report {
        if self.records == 0 {
            let d = Diagnostic::bare(
                Code::HeaderMissing,
                &self.file,
                Some(1),
                "the archive has no records; it must start with a header".into(),
            );
            self.push(d);
        }
        for p in std::mem::take(&mut self.pending) {
            let mut d = p.diag;
            let ptr = d.pointer.clone().unwrap_or_default();
            let field = ptr
                .rsplit('/')
                .find(|s| s.parse::<usize>().is_err())
                .unwrap_or("")
                .to_owned();
            match self.ids.get(&p.id) {
                Some(_) => {
                    d.code = Code::RefForward;
                    d.message = format!(
                        "`{field}` names {:?}, {} defined only later; references must point to earlier records",
                        p.id,
                        a(p.expected)
                    );
                }
                None => {
                    d.message = format!(
                        "`{field}` names {:?}, but no {} record has that id",
                        p.id, p.expected
                    );
                }
            }
            d.severity = d.code.severity();
            self.push(d);
        }
        if self.pending_dropped > 0 {
            self.report.errors += self.pending_dropped;
            self.report.truncated = true;
        }
        if let (Some((line, ptr)), false) = (self.first_local_time.take(), self.zone_hint) {
            let mut d = Diagnostic::bare(Code::LocalTimeNoZoneHint, &self.file, Some(line), "times are local with no zone, and no source in the header gives a `zone_hint`: readers cannot place them in time".into());
            d.pointer = Some(ptr);
            self.push(d);
        }
        if let Some((line, ptr)) = self.first_unchecked_media.take() {
            let mut d = Diagnostic::bare(Code::MediaNotChecked, &self.file, Some(line), "attachments are marked `present`, but this archive was validated without its bundle: validate the bundle directory or zip to check the files".into());
            d.pointer = Some(ptr);
            self.push(d);
        }
        self.report.records = self.records;
        self.report.finish();
        self.report
    }
}

/// The record type with its article: "an account", "a message".
fn a(t: RecordType) -> String {
    match t {
        RecordType::Account => "an account".to_owned(),
        t => format!("a {t}"),
    }
}

fn parse_version(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.split_once('.')?;
    let ok = |s: &str| {
        !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    if ok(a) && ok(b) {
        Some((a.parse().ok()?, b.parse().ok()?))
    } else {
        None
    }
}

fn id_syntax(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("an id must not be empty".into());
    }
    if id.len() > 256 {
        return Err(format!(
            "id is {} bytes long; at most 256 are allowed",
            id.len()
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "id {id:?} contains white space or control characters"
        ));
    }
    Ok(())
}

/// Checks an attachment path's syntax: relative, `/`-separated, no `..`, `.` or empty segments.
pub(crate) fn path_syntax(p: &str) -> Result<(), (Code, String)> {
    let bytes = p.as_bytes();
    if p.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err((
            Code::PathAbsolute,
            format!("path {p:?} is absolute; bundle paths are relative"),
        ));
    }
    if p.is_empty() || p.contains('\\') || p.chars().any(char::is_control) {
        return Err((
            Code::PathInvalid,
            format!("path {p:?} is empty or has `\\` or control characters"),
        ));
    }
    for seg in p.split('/') {
        match seg {
            ".." => {
                return Err((
                    Code::PathTraversal,
                    format!("path {p:?} has a `..` segment"),
                ));
            }
            "" | "." => {
                return Err((
                    Code::PathInvalid,
                    format!("path {p:?} has an empty or `.` segment"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_namespace(key: &str) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    key.split('.').count() >= 2 && key.split('.').all(label)
}

fn last_key(p: &Path) -> &'static str {
    p.segments()
        .iter()
        .rev()
        .find_map(|s| match s {
            PathSeg::Key(k) => Some(*k),
            PathSeg::Index(_) => None,
        })
        .unwrap_or("")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn remove_at(v: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(m)) = v.pointer_mut(parent) {
        m.remove(&last);
    }
}

// serde_json appends " at line L column C"; the diagnostic carries those itself.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

// serde_json's column counts bytes (1-based); diagnostics count characters.
fn column_of(text: &str, byte_col: usize) -> u64 {
    let mut b = byte_col.saturating_sub(1).min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    text[..b].chars().count() as u64 + 1
}

/// At most 120 characters of the line around `column`.
fn excerpt(text: &str, column: Option<u64>) -> String {
    let col = column.unwrap_or(1).saturating_sub(1) as usize;
    let start = col.saturating_sub(40);
    let s: String = text.chars().skip(start).take(120).collect();
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&s);
    if text.chars().count() > start + 120 {
        out.push('…');
    }
    out
}

/// Whether a diagnostic of this severity makes the archive invalid.
pub(crate) fn is_error(s: Severity) -> bool {
    s == Severity::Error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(path_syntax("media/a b.jpg").is_ok());
        assert_eq!(
            path_syntax("/etc/passwd").unwrap_err().0,
            Code::PathAbsolute
        );
        assert_eq!(path_syntax("C:/x.jpg").unwrap_err().0, Code::PathAbsolute);
        assert_eq!(
            path_syntax("media/../../x").unwrap_err().0,
            Code::PathTraversal
        );
        assert_eq!(
            path_syntax("media\\x.jpg").unwrap_err().0,
            Code::PathInvalid
        );
        assert_eq!(
            path_syntax("media//x.jpg").unwrap_err().0,
            Code::PathInvalid
        );
        assert_eq!(path_syntax("./x.jpg").unwrap_err().0, Code::PathInvalid);
    }

    #[test]
    fn namespaces() {
        assert!(is_namespace("org.telegram"));
        assert!(is_namespace("com.discord-chat-exporter.v2"));
        assert!(!is_namespace("telegram"));
        assert!(!is_namespace("Org.Telegram"));
        assert!(!is_namespace("org..telegram"));
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("0.1"), Some((0, 1)));
        assert_eq!(parse_version("0.12"), Some((0, 12)));
        assert_eq!(parse_version("0.01"), None);
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("v0.1"), None);
    }
}

//! WhatsApp's "Export chat": a text file (`WhatsApp Chat with NAME.txt` on Android, `_chat.txt`
//! on iOS), alone or in a zip with the media files.
//!
//! Each message starts on a line that begins with a date and time (see [`header`]); lines that
//! do not are continuations of the previous message. There is no time zone, no message or sender
//! id, and which number of the date is the day depends on the phone's locale: the file is read
//! twice, first to settle the date order from every date in it (see [`order`]), then to write the
//! messages. Bodies carry localized markers for media, deletions and edits (see [`body`]); system
//! lines (group created, member added, encryption notices) become events with their text kept.
//!
//! What the archive gets: local times (or times assumed in `--tz`), the author's name as an
//! account (ids derived from the name, since the export has no ids), message ids derived from
//! the conversation, time, author, text and the occurrence of identical messages, so that
//! re-importing or merging overlapping exports gives the same ids; the chat title from the file
//! name; media copied from the zip; every line's origin.

mod body;
mod header;
mod order;

use crate::times;
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, Conversation, ConversationKind, Deletion, Edit, Event, EventKind, Message,
};
use header::{Header, Style};
use std::collections::HashMap;
use std::io::BufRead;

const PLATFORM: &str = "whatsapp";
const NAMESPACE: &str = "com.whatsapp";

/// The chat text file of an input: the file itself, or in a zip or folder `_chat.txt`, a
/// `WhatsApp Chat…` file, or the only `.txt` file (macOS `__MACOSX/` entries ignored).
fn chat_entry(input: &Input) -> Option<String> {
    let entries = input.entries();
    if input.is_single_file() {
        return entries.first().map(|e| e.name.clone());
    }
    let txt: Vec<&str> = entries
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !n.starts_with("__MACOSX/") && !n.contains("/__MACOSX/"))
        .filter(|n| n.to_ascii_lowercase().ends_with(".txt"))
        .filter(|n| !n.rsplit('/').next().unwrap_or(n).starts_with("._"))
        .collect();
    let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_owned();
    if let Some(n) = txt.iter().find(|n| base(n) == "_chat.txt") {
        return Some((*n).to_owned());
    }
    let wa: Vec<&&str> = txt
        .iter()
        .filter(|n| base(n).starts_with("WhatsApp"))
        .collect();
    if wa.len() == 1 {
        return Some((*wa[0]).to_owned());
    }
    (txt.len() == 1).then(|| txt[0].to_owned())
}

/// signal-export's chat.md writes `[YYYY-MM-DD, HH:MM]` or `[YYYY-MM-DD HH:MM:SS]`, which no
/// WhatsApp export does (its year-first forms use `/` or are not bracketed): never claim it.
fn is_signal_export_header(h: &Header<'_>) -> bool {
    h.style == Style::Bracket && h.dsep == '-' && h.digits == [4, 2, 2] && h.meridiem.is_none()
}

/// True when the input holds a text file whose first line is a WhatsApp message header and
/// whose first lines mostly are messages.
pub(crate) fn sniff(input: &Input) -> bool {
    let Some(entry) = chat_entry(input) else {
        return false;
    };
    let lower = entry.to_ascii_lowercase();
    if lower.ends_with(".md")
        || lower.ends_with(".json")
        || lower.ends_with(".csv")
        || lower.ends_with(".html")
    {
        return false;
    }
    let Ok(head) = input.peek(&entry, 8192) else {
        return false;
    };
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let Some(first) = lines
        .by_ref()
        .find(|l| !l.trim_start_matches('\u{FEFF}').trim().is_empty())
    else {
        return false;
    };
    let Some(h) = header::parse(first) else {
        return false;
    };
    if is_signal_export_header(&h) || first.starts_with("[LINE]") {
        return false;
    }
    // Text that merely starts with a date has no second header of the same form; a real chat
    // has one soon, unless the whole file is one message.
    let sig = h.signature();
    let whole_file_seen = head.len() < 8192;
    whole_file_seen || lines.any(|l| header::parse(l).is_some_and(|h| h.signature() == sig))
}

/// Title of a chat from its file name: `WhatsApp Chat with NAME.txt` (and translations), or for
/// `_chat.txt` the name of the zip or folder (`WhatsApp Chat - NAME.zip`).
fn title(input: &Input, entry: &str) -> Option<String> {
    let file = entry.rsplit('/').next().unwrap_or(entry);
    let from = if file == "_chat.txt" || input.is_single_file() && file.starts_with('_') {
        if entry.contains('/') {
            entry.rsplit('/').nth(1).unwrap_or_default().to_owned()
        } else {
            input
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }
    } else {
        file.to_owned()
    };
    let stem = from
        .strip_suffix(".txt")
        .or_else(|| from.strip_suffix(".zip"))
        .unwrap_or(&from);
    const PREFIXES: &[&str] = &[
        "WhatsApp Chat with ",
        "WhatsApp Chat - ",
        "WhatsApp-Chat mit ",
        "Chat de WhatsApp con ",
        "Discussion WhatsApp avec ",
        "Conversa do WhatsApp com ",
        "Chat WhatsApp con ",
        "WhatsApp-chat met ",
        "WhatsApp Sohbeti - ",
        "Чат WhatsApp с ",
    ];
    PREFIXES
        .iter()
        .find_map(|p| stem.strip_prefix(p))
        .map(str::to_owned)
        .filter(|t| !t.is_empty())
}

/// Calls `f` with each line: its 1-based number, its text without the line end, and whether
/// bytes that were not UTF-8 had to be replaced. A NUL byte means binary data: an error.
fn for_each_line(
    input: &Input,
    entry: &str,
    mut f: impl FnMut(u64, &str, bool) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let shown = input.display(entry);
    input.read_entry_buffered(entry, |r| {
        let mut buf = Vec::with_capacity(4096);
        let mut n = 0u64;
        loop {
            buf.clear();
            let got = r
                .read_until(b'\n', &mut buf)
                .map_err(|e| ImportError::io_shown(shown.clone(), e))?;
            if got == 0 {
                return Ok(());
            }
            n += 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            let mut line: &[u8] = &buf;
            if n == 1 {
                line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
            }
            if memchr::memchr(0, line).is_some() {
                return Err(ImportError::invalid(
                    format!("{shown}:{n}"),
                    "binary data (a NUL byte) where a WhatsApp chat has text",
                ));
            }
            match std::str::from_utf8(line) {
                Ok(s) => f(n, s, false)?,
                Err(_) => f(n, &String::from_utf8_lossy(line), true)?,
            }
        }
    })
}

struct Scan {
    /// Per header signature: lines, evidence, first line.
    sigs: Vec<((Style, char), u64, order::Evidence, u64)>,
    first_nonempty: Option<(u64, bool)>,
    /// Every name written as `NAME: ` after a header.
    authors: std::collections::HashSet<String>,
}

fn scan(input: &Input, entry: &str) -> Result<Scan, ImportError> {
    let mut s = Scan {
        sigs: Vec::new(),
        first_nonempty: None,
        authors: std::collections::HashSet::new(),
    };
    for_each_line(input, entry, |n, line, _| {
        let h = header::parse(line);
        if s.first_nonempty.is_none() && !line.trim().is_empty() {
            s.first_nonempty = Some((n, h.is_some()));
        }
        if let Some(h) = h {
            let sig = h.signature();
            let slot = match s.sigs.iter().position(|x| x.0 == sig) {
                Some(i) => i,
                None => {
                    s.sigs.push((sig, 0, order::Evidence::default(), n));
                    s.sigs.len() - 1
                }
            };
            let e = &mut s.sigs[slot];
            e.1 += 1;
            e.2.add(h.n, h.digits, n);
            if let (Some(a), _, _) = split_author(h.rest, None)
                && !s.authors.contains(a)
            {
                s.authors.insert(a.to_owned());
            }
        }
        Ok(())
    })?;
    Ok(s)
}

struct Pending {
    line: u64,
    time: chatport_model::Time,
    at: String,
    author: Option<String>,
    body: String,
    system_style: bool,
}

struct State<'a> {
    input: &'a Input,
    options: &'a ImportOptions,
    entry: String,
    base: String,
    shown: String,
    conv: String,
    ordinal: u64,
    accounts: HashMap<String, String>,
    authors: Vec<String>,
    group_events: bool,
    me_seen: bool,
}

/// Imports a WhatsApp chat export.
pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let entry = chat_entry(input).ok_or_else(|| {
        ImportError::invalid(
            input.path().display().to_string(),
            "no WhatsApp chat text in this folder or zip (expected _chat.txt or one \"WhatsApp Chat with ….txt\")",
        )
    })?;
    let shown = input.display(&entry);
    let scan = scan(input, &entry)?;
    match scan.first_nonempty {
        None => {
            return Err(ImportError::invalid(
                format!("{shown}:1"),
                "the chat file is empty",
            ));
        }
        Some((n, false)) => {
            return Err(ImportError::invalid(
                format!("{shown}:{n}"),
                "not a WhatsApp chat: the first line does not start with a date and time",
            ));
        }
        Some(_) => {}
    }
    let Some((sig, _, evidence, _)) = scan
        .sigs
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.3.cmp(&a.3)))
        .cloned()
    else {
        return Err(ImportError::invalid(
            format!("{shown}:1"),
            "not a WhatsApp chat: no line starts with a date and time",
        ));
    };
    let date_order = match options.date_order {
        Some(o) => o,
        None => match evidence.decide() {
            Ok((o, by_sequence)) => {
                if by_sequence {
                    let others: Vec<String> = evidence
                        .possible()
                        .into_iter()
                        .filter(|x| *x != o)
                        .map(|x| {
                            let k = order::ORDERS.iter().position(|y| *y == x).unwrap_or(0);
                            format!(
                                "{} would go back in time {} times",
                                order::name(x),
                                evidence.backwards[k]
                            )
                        })
                        .collect();
                    sink.warn(
                        "date-order-from-sequence",
                        &format!(
                            "every date fits more than one order; chose {} because its dates run in sequence ({}); pass --date-order to choose otherwise",
                            order::name(o),
                            others.join(", ")
                        ),
                        shown.clone(),
                    );
                }
                o
            }
            Err(candidates) if candidates.is_empty() => {
                let k = (0..3)
                    .max_by_key(|&k| std::cmp::Reverse(evidence.invalid[k]))
                    .unwrap_or(0);
                let line = evidence.first_invalid[k].unwrap_or(1);
                return Err(ImportError::invalid(
                    format!("{shown}:{line}"),
                    "no single date order (day/month/year, month/day/year, year/month/day) makes every date in this file a real date; this date is not one under the order that fits most lines",
                ));
            }
            Err(candidates) => {
                let names: Vec<&str> = candidates.iter().map(|o| order::name(*o)).collect();
                return Err(ImportError::NeedsOption {
                    location: shown.clone(),
                    message: format!(
                        "the dates in this file fit more than one order ({}): no day above 12 tells day and month apart. Say which with --date-order {}",
                        names.join(", "),
                        names.join("|")
                    ),
                });
            }
        },
    };

    // The conversation.
    let title = title(input, &entry);
    let conv = derive_id("wa-c-", &[title.as_deref().unwrap_or(&entry)]);
    {
        let src = sink.source_mut();
        src.exporter = Some("WhatsApp Export chat".into());
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
        ext.insert("date_order".into(), order::name(date_order).into());
        ext.insert("chat_file".into(), entry.clone().into());
        src.extensions.insert(NAMESPACE.into(), ext.into());
    }
    sink.header_mut().title = title.clone();
    let mut c = Conversation::new(&conv, PLATFORM, ConversationKind::Unknown);
    c.title = title;
    sink.conversation(c)?;

    let base = entry
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    let mut st = State {
        input,
        options,
        entry: entry.clone(),
        base,
        shown: shown.clone(),
        conv,
        ordinal: 0,
        accounts: HashMap::new(),
        authors: Vec::new(),
        group_events: false,
        me_seen: false,
    };
    let mut pending: Option<Pending> = None;
    let mut before_first: Vec<u64> = Vec::new();
    let mut bad_dates: Option<u64> = None;
    let zone = options.tz.clone();
    for_each_line(input, &entry, |n, line, lossy| {
        if lossy {
            sink.warn(
                "invalid-utf8",
                "a line is not valid UTF-8; the bad bytes were replaced by U+FFFD",
                format!("{shown}:{n}"),
            );
        }
        let Some(h) = header::parse(line).filter(|h| h.signature() == sig) else {
            return continuation(&mut pending, &mut before_first, n, line);
        };
        let dt = order::ymd(date_order, h.n, h.digits).and_then(|(y, m, d)| {
            let hour = h.hour24()?;
            let sec = h.second.unwrap_or(0).min(59);
            jiff::civil::DateTime::new(y, m, d, hour as i8, h.minute as i8, sec as i8, 0).ok()
        });
        let Some(dt) = dt else {
            if options.date_order.is_some() {
                bad_dates.get_or_insert(n);
            }
            return continuation(&mut pending, &mut before_first, n, line);
        };
        if let Some(p) = pending.take() {
            st.emit(sink, p)?;
        }
        sink.source_message();
        let (author, body, system_style) = split_author(h.rest, Some(&scan.authors));
        pending = Some(Pending {
            line: n,
            time: times::local(dt, h.second.is_some(), h.original, zone.as_ref()),
            at: times::civil_text(dt, h.second.is_some()),
            author: author.map(str::to_owned),
            body: body.to_owned(),
            system_style,
        });
        Ok(())
    })?;
    if let Some(n) = bad_dates {
        return Err(ImportError::invalid(
            format!("{shown}:{n}"),
            format!(
                "this date is not a real date with --date-order {}",
                order::name(date_order)
            ),
        ));
    }
    if let Some(p) = pending.take() {
        st.emit(sink, p)?;
    }
    for n in before_first {
        sink.warn(
            "text-before-first-message",
            "a line before the first message header was not imported",
            format!("{shown}:{n}"),
        );
    }
    st.finish(sink)
}

/// Appends a continuation line to the pending message.
fn continuation(
    pending: &mut Option<Pending>,
    before_first: &mut Vec<u64>,
    n: u64,
    line: &str,
) -> Result<(), ImportError> {
    match pending {
        Some(p) => {
            p.body.push('\n');
            p.body.push_str(line);
        }
        None if !line.trim().is_empty() => before_first.push(n),
        None => {}
    }
    Ok(())
}

/// Splits `AUTHOR: BODY`. A line with no `": "` (or whose would-be author holds a quotation
/// mark, as in `X changed the subject from "a: b"`) has no author: a system line, unless it
/// starts with the name of someone who writes elsewhere in the file followed by `:` (chat-miner's
/// `John Doe:.`).
fn split_author<'a>(
    rest: &'a str,
    known: Option<&std::collections::HashSet<String>>,
) -> (Option<&'a str>, &'a str, bool) {
    let (author, body) = match rest.find(": ") {
        Some(i) => (Some(&rest[..i]), &rest[i + 2..]),
        None => match rest.strip_suffix(':') {
            Some(a) if !a.is_empty() => (Some(a), ""),
            _ => match (rest.find(':'), known) {
                (Some(i), Some(k)) if k.contains(&rest[..i]) => (Some(&rest[..i]), &rest[i + 1..]),
                _ => (None, rest),
            },
        },
    };
    match author {
        Some(a) if !a.contains(['"', '“', '”', '\n']) && a.chars().count() <= 128 => {
            let system = body.starts_with('\u{200E}');
            (Some(a), body, system)
        }
        _ => (None, rest, true),
    }
}

impl State<'_> {
    fn account_for(&mut self, sink: &mut Sink, name: &str) -> Result<String, ImportError> {
        if let Some(id) = self.accounts.get(name) {
            return Ok(id.clone());
        }
        let id = derive_id("wa-a-", &[name]);
        let mut a = Account::new(&id, PLATFORM);
        a.display_name = Some(name.to_owned());
        if let Some(rest) = name.strip_prefix('+')
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '-' || header::is_format_char(c))
        {
            a.phone = Some(
                name.chars()
                    .filter(|c| !header::is_format_char(*c))
                    .collect(),
            );
        }
        if self.options.me.as_deref() == Some(name) {
            a.is_self = Some(true);
            self.me_seen = true;
        }
        sink.account(a)?;
        self.accounts.insert(name.to_owned(), id.clone());
        self.authors.push(id.clone());
        Ok(id)
    }

    /// The account for a name a system line mentions, only when already known (a system line
    /// never creates a participant); `You` is the exporting user when `--me` names them.
    fn known(&self, name: &str) -> Option<String> {
        let name = if name == "You" || name == "you" {
            self.options.me.as_deref()?
        } else {
            name
        };
        self.accounts.get(name).cloned()
    }

    fn emit(&mut self, sink: &mut Sink, p: Pending) -> Result<(), ImportError> {
        self.ordinal += 1;
        let mut m = Message::new(String::new(), self.conv.clone(), self.ordinal);
        m.origin = sink.origin_line(&self.entry, p.line);
        let id_author = p.author.as_deref().unwrap_or("");
        let b = if p.author.is_some() && !(p.system_style && is_system_body(&p.body)) {
            let b = body::parse(&p.body);
            if let Some(a) = &p.author {
                m.sender = Some(self.account_for(sink, a)?);
                m.sender_name = Some(a.clone());
            }
            Some(b)
        } else {
            None
        };
        match b {
            Some(b) => {
                m.text = b.text;
                if b.edited {
                    m.edited = Some(Box::new(Edit {
                        time: None,
                        history: Vec::new(),
                    }));
                }
                if let Some(placeholder) = b.deleted {
                    m.deleted = Some(Box::new(Deletion {
                        time: None,
                        by: None,
                        placeholder: Some(placeholder),
                    }));
                }
                m.location = b.location.map(Box::new);
                m.poll = b.poll.map(Box::new);
                m.call = b.call.map(Box::new);
                for media in b.media {
                    let a = match (&media.file, media.omitted) {
                        (Some(file), _) => {
                            let loc = format!("{}:{}", self.shown, p.line);
                            sink.attach_relative(self.input, &self.base, file, media.kind, || loc)?
                        }
                        (None, reason) => Attachment::missing(media.kind, reason),
                    };
                    m.attachments.push(a);
                }
                if b.transformed {
                    let mut ext = serde_json::Map::new();
                    ext.insert("body".into(), p.body.clone().into());
                    m.extensions.insert(NAMESPACE.into(), ext.into());
                }
            }
            None => {
                // A system line: with no author (Android), or an iOS line whose "author" is the
                // group or a person and whose body starts with U+200E.
                let text = match &p.author {
                    Some(_) => p.body.trim_start_matches('\u{200E}').to_owned(),
                    None => p.body.clone(),
                };
                let sys = body::system(&text);
                if matches!(
                    sys.kind,
                    EventKind::Created
                        | EventKind::Added
                        | EventKind::Removed
                        | EventKind::Left
                        | EventKind::Joined
                        | EventKind::Renamed
                ) {
                    self.group_events = true;
                }
                m.sender_name = p.author.clone();
                let actor = sys.actor.as_deref().and_then(|a| self.known(a));
                let targets: Vec<String> =
                    sys.targets.iter().filter_map(|t| self.known(t)).collect();
                m.event = Some(Box::new(Event {
                    kind: sys.kind,
                    platform_kind: Some(sys.platform_kind.to_owned()),
                    actor,
                    targets,
                    target_names: sys.targets,
                    old_value: sys.old_value,
                    new_value: sys.new_value,
                    message: None,
                    text: Some(text),
                }));
            }
        }
        // The id: derived from what the line says, plus its occurrence among identical earlier
        // lines, so duplicates sent in the same minute stay two messages.
        let mut occurrence = 0u32;
        loop {
            let occ = occurrence.to_string();
            let id = derive_id("wa-m-", &[&self.conv, &p.at, id_author, &p.body, &occ]);
            if !sink.is_defined(&id) {
                m.id = id;
                break;
            }
            occurrence += 1;
        }
        m.time = Some(p.time);
        sink.message(&m)
    }

    fn finish(self, sink: &mut Sink) -> Result<(), ImportError> {
        let distinct = self.authors.len();
        let kind = if self.group_events || distinct > 2 {
            ConversationKind::Group
        } else if distinct == 2 {
            ConversationKind::Direct
        } else {
            ConversationKind::Unknown
        };
        if let Some(c) = sink.conversation_mut(&self.conv) {
            c.kind = kind;
            c.members = self
                .authors
                .iter()
                .map(|a| chatport_model::Member {
                    account: a.clone(),
                    roles: Vec::new(),
                    nickname: None,
                })
                .collect();
        }
        if let Some(me) = &self.options.me
            && !self.me_seen
        {
            sink.warn(
                "me-not-found",
                &format!("--me {me:?} names nobody who wrote in this chat"),
                self.shown.clone(),
            );
        }
        Ok(())
    }
}

/// An iOS body that starts with U+200E is a system line unless it is one of the media,
/// deletion or call markers that also start with it.
fn is_system_body(body: &str) -> bool {
    let b = body::parse(body);
    b.media.is_empty()
        && b.deleted.is_none()
        && b.call.is_none()
        && b.location.is_none()
        && b.poll.is_none()
        && !b.edited
}

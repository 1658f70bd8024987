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

use crate::refill::set;
use crate::times;
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::{derive_id, derive_id_into};
use chatport_model::{
    Account, Attachment, Conversation, ConversationKind, Deletion, Edit, Event, EventKind, Message,
};
use header::{Header, Style};
/// Name sets and maps with a fast hash: they are consulted for every line.
type NameSet = std::collections::HashSet<String, crate::hashing::BuildFastHasher>;
type NameMap = std::collections::HashMap<String, String, crate::hashing::BuildFastHasher>;

const PLATFORM: &str = "whatsapp";
const NAMESPACE: &str = "com.whatsapp";

/// The chat text file of an input: the file itself, or in a zip or folder `_chat.txt`, a
/// `WhatsApp Chat…` file, or the only `.txt` file (macOS `__MACOSX/` entries ignored).
fn chat_entry(input: &Input) -> Option<String> {
    let entries = input.entries();
    if input.is_single_file() {
        return entries.first().map(|e| e.name.clone());
    }
    let txt = input.text_files();
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
    // A first message longer than what was read leaves no room for a second header.
    let first_line_cut = !head.contains(&b'\n');
    whole_file_seen
        || first_line_cut
        || lines.any(|l| header::parse(l).is_some_and(|h| h.signature() == sig))
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
    f: impl FnMut(u64, &str, bool) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let shown = input.display(entry);
    input.read_entry_buffered(entry, |r| {
        crate::input::read_lines(
            r,
            &shown,
            "binary data (a NUL byte) where a WhatsApp chat has text",
            crate::input::NotUtf8::Replace,
            f,
        )
    })
}

/// What the first pass learns about the lines of one header form.
struct SigScan {
    sig: (Style, char),
    lines: u64,
    first_line: u64,
    evidence: order::Evidence,
    /// The authors of messages, in order of first appearance.
    authors: Vec<String>,
    author_set: NameSet,
    /// True when a system line says a group was created or changed members or name.
    group_events: bool,
}

struct Scan {
    sigs: Vec<SigScan>,
    first_nonempty: Option<(u64, bool)>,
}

/// Who wrote a line and whether it is a system line, decided from its first line alone, the
/// same way in both passes: the first pass registers exactly the authors the second will meet.
/// On iOS (bracketed headers) system lines carry an "author" (the group or a person) and a body
/// that starts with U+200E; on Android a body may start with U+200E for right-to-left text, so
/// the mark means nothing there.
fn classify<'a>(
    rest: &'a str,
    known: Option<&NameSet>,
    bracket: bool,
) -> (Option<&'a str>, &'a str, bool) {
    let (author, body, lrm) = split_author(rest, known);
    let system = author.is_none() || bracket && lrm && is_system_body(body);
    (author, body, system)
}

fn scan(input: &Input, entry: &str) -> Result<Scan, ImportError> {
    let mut s = Scan {
        sigs: Vec::new(),
        first_nonempty: None,
    };
    for_each_line(input, entry, |n, line, _| {
        let h = header::parse(line);
        if s.first_nonempty.is_none() && !line.trim().is_empty() {
            s.first_nonempty = Some((n, h.is_some()));
        }
        if let Some(h) = h {
            let sig = h.signature();
            let slot = match s.sigs.iter().position(|x| x.sig == sig) {
                Some(i) => i,
                None => {
                    s.sigs.push(SigScan {
                        sig,
                        lines: 0,
                        first_line: n,
                        evidence: order::Evidence::default(),
                        authors: Vec::new(),
                        author_set: Default::default(),
                        group_events: false,
                    });
                    s.sigs.len() - 1
                }
            };
            let e = &mut s.sigs[slot];
            e.lines += 1;
            let time = (h.hour24().unwrap_or(0), h.minute, h.second);
            e.evidence.add(h.n, h.digits, time, h.clock(), n);
            if let Some(d) = order::media_date(h.rest) {
                e.evidence.add_media(h.n, h.digits, d);
            }
            match classify(h.rest, Some(&e.author_set), h.style == Style::Bracket) {
                (Some(a), _, false) => {
                    if e.authors.last().is_none_or(|l| l != a) && !e.author_set.contains(a) {
                        e.author_set.insert(a.to_owned());
                        e.authors.push(a.to_owned());
                    }
                }
                (author, body, _) => {
                    let text = if author.is_some() { body } else { h.rest };
                    if matches!(
                        body::system(text).kind,
                        EventKind::Created
                            | EventKind::Added
                            | EventKind::Removed
                            | EventKind::Left
                            | EventKind::Joined
                            | EventKind::Renamed
                    ) {
                        e.group_events = true;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(s)
}

/// The message being read: its header line and body so far. One is kept and refilled, so
/// that reading a message allocates little.
#[derive(Default)]
struct Pending {
    live: bool,
    line: u64,
    /// The date and time, whether the header had seconds, and the header's time text.
    dt: Option<jiff::civil::DateTime>,
    seconds: bool,
    original: String,
    /// The time as [`order::clock_stamp`] packs it.
    stamp: u64,
    has_author: bool,
    author: String,
    body: String,
    system: bool,
}

struct State<'a> {
    input: &'a Input,
    options: &'a ImportOptions,
    base: String,
    shown: String,
    conv: String,
    ordinal: u64,
    /// Author name to account id, for every author the first pass found.
    accounts: NameMap,
    /// Authors met so far, for [`classify`] to decide as the first pass did.
    seen: NameSet,
    /// The message record, refilled for each message.
    m: Message,
    /// The last sender's name and account id: consecutive messages often share them.
    last_author: (String, String),
    /// Occurrence counts for the derived message ids (a flood of identical lines stays linear).
    occurrences: crate::occurrence::Occurrences,
    /// The times (as [`order::clock_stamp`]s) the chat comes back to after other times.
    revisited: std::collections::HashSet<u64>,
    /// The zone `--tz` names.
    zone: Option<crate::Zone>,
    /// The header time text of the last message written, and its time as ids use it (the wall
    /// time, not an assumed instant, so that ids do not depend on --tz).
    time_original: String,
    at: String,
}

/// Imports a WhatsApp chat export.
pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let entry = chat_entry(input).ok_or_else(|| {
        let texts = input.text_files();
        let message = if texts.len() > 1 {
            format!(
                "holds {} chat text files ({}); a WhatsApp export holds one chat: import each on its own",
                texts.len(),
                texts.join(", ")
            )
        } else {
            "no WhatsApp chat text in this folder or zip (expected _chat.txt or one \"WhatsApp Chat with ….txt\")".to_owned()
        };
        ImportError::invalid(input.path().display().to_string(), message)
    })?;
    let shown = input.display(&entry);
    input.expect_passes(2);
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
    let Some(mut main) = scan
        .sigs
        .into_iter()
        .max_by(|a, b| a.lines.cmp(&b.lines).then(b.first_line.cmp(&a.first_line)))
    else {
        return Err(ImportError::invalid(
            format!("{shown}:1"),
            "not a WhatsApp chat: no line starts with a date and time",
        ));
    };
    let sig = main.sig;
    let evidence = &main.evidence;
    let date_order = match options.date_order {
        Some(o) => {
            let k = order::ORDERS.iter().position(|x| *x == o).unwrap_or(0);
            if let Some(n) = evidence.first_invalid[k] {
                return Err(ImportError::invalid(
                    format!("{shown}:{n}"),
                    format!(
                        "this date is not a real date with --date-order {}",
                        order::name(o)
                    ),
                ));
            }
            o
        }
        None => match evidence.decide() {
            Ok((o, basis)) => {
                if basis == order::Basis::MediaNames {
                    sink.warn(
                        "date-order-from-media-names",
                        &format!(
                            "every date fits more than one order; chose {} because the dates in the media files' names (IMG-YYYYMMDD-…) fall on their lines' days under it; pass --date-order to choose otherwise",
                            order::name(o)
                        ),
                        shown.clone(),
                    );
                }
                if basis == order::Basis::Sequence {
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
                let (closest, line) = evidence.closest();
                return Err(ImportError::invalid(
                    format!("{shown}:{}", line.unwrap_or(1)),
                    format!(
                        "no single date order makes every date in this file a real date; this date is not one as {} (the order most dates fit); correct it, or pass --date-order",
                        order::name(closest)
                    ),
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
    // With no title (a bare `_chat.txt`), the chat's authors tell it apart from other chats.
    let conv = match &title {
        Some(t) => derive_id("wa-c-", &[t]),
        None => {
            let mut names: Vec<&str> = main.authors.iter().map(String::as_str).collect();
            names.sort_unstable();
            derive_id("wa-c-", &["", &names.join("\n")])
        }
    };
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
    // Everything the archive needs before the messages is known from the first pass: the
    // accounts, the conversation's kind, members and coverage. The messages then go straight
    // to the output.
    let zone = options.tz.clone();
    let mut accounts = NameMap::default();
    let mut me_seen = false;
    for name in &main.authors {
        let id = derive_id("wa-a-", &[name]);
        let mut a = Account::new(&id, PLATFORM);
        a.display_name = Some(name.clone());
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
        if options.me.as_deref() == Some(name.as_str()) {
            a.is_self = Some(true);
            me_seen = true;
        }
        sink.account(a)?;
        accounts.insert(name.clone(), id);
    }
    let kind = if main.group_events || main.authors.len() > 2 {
        ConversationKind::Group
    } else if main.authors.len() == 2 {
        ConversationKind::Direct
    } else {
        ConversationKind::Unknown
    };
    let mut c = Conversation::new(&conv, PLATFORM, kind);
    c.title = title;
    c.members = main
        .authors
        .iter()
        .map(|a| chatport_model::Member {
            account: accounts[a].clone(),
            roles: Vec::new(),
            nickname: None,
        })
        .collect();
    let k = order::ORDERS
        .iter()
        .position(|x| *x == date_order)
        .unwrap_or(0);
    let stamp_time = |((y, mo, d, h, mi, sec), seconds): order::Stamp| {
        jiff::civil::DateTime::new(y, mo, d, h as i8, mi as i8, sec.min(59) as i8, 0)
            .ok()
            .map(|dt| {
                let mut t = times::local(dt, seconds, "", zone.as_ref());
                t.original = None;
                t
            })
    };
    let (from, to) = match evidence.bounds[k] {
        Some((lo, hi)) => (stamp_time(lo), stamp_time(hi)),
        None => (None, None),
    };
    c.coverage.push(chatport_model::Coverage {
        source: sink.source_id().to_owned(),
        from,
        to,
        messages: Some(main.lines),
        complete: None,
    });
    sink.conversation(c)?;
    if let Some(me) = &options.me
        && !me_seen
    {
        sink.warn(
            "me-not-found",
            &format!("--me {me:?} names nobody who wrote in this chat"),
            shown.clone(),
        );
    }
    sink.begin_messages()?;

    let conv_id = conv.clone();
    let base = entry
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    let mut st = State {
        input,
        options,
        base,
        shown: shown.clone(),
        conv: conv.clone(),
        ordinal: 0,
        accounts,
        seen: Default::default(),
        m: Message::new(String::new(), conv_id, 0),
        last_author: Default::default(),
        occurrences: Default::default(),
        zone: zone.clone(),
        time_original: String::new(),
        at: String::new(),
        revisited: std::mem::take(
            &mut main.evidence.revisits.times[order::ORDERS
                .iter()
                .position(|o| *o == date_order)
                .unwrap_or(0)],
        ),
    };
    st.m.origin = sink.origin_line(&entry, 0);
    let mut pending = Pending::default();
    let mut before_first: Vec<u64> = Vec::new();
    for_each_line(input, &entry, |n, line, lossy| {
        if lossy {
            sink.warn(
                "invalid-utf8",
                "a line is not valid UTF-8; the bad bytes were replaced by U+FFFD",
                format!("{shown}:{n}"),
            );
        }
        let Some(h) = header::parse(line).filter(|h| h.signature() == sig) else {
            if header::parse_any(line).is_some_and(|h| h.signature() == sig && !h.time_ok) {
                sink.warn(
                    "header-with-impossible-time",
                    "a line starts like a message but its time is not a real time (such as 25:61); it was kept as part of the message before it",
                    format!("{shown}:{n}"),
                );
            }
            return continuation(&mut pending, &mut before_first, n, line);
        };
        let dt = order::ymd(date_order, h.n, h.digits).and_then(|(y, m, d)| {
            let hour = h.hour24()?;
            let sec = h.second.unwrap_or(0).min(59);
            jiff::civil::DateTime::new(y, m, d, hour as i8, h.minute as i8, sec as i8, 0).ok()
        });
        let Some(dt) = dt else {
            return continuation(&mut pending, &mut before_first, n, line);
        };
        if pending.live {
            st.emit(sink, &mut pending)?;
        }
        sink.source_message();
        let (author, body, system) = classify(h.rest, Some(&st.seen), h.style == Style::Bracket);
        if let Some(a) = author
            && !system
            && a != st.last_author.0
            && !st.seen.contains(a)
        {
            st.seen.insert(a.to_owned());
        }
        pending.live = true;
        pending.line = n;
        pending.stamp = order::clock_stamp(
            (dt.year(), dt.month(), dt.day()),
            (dt.hour() as u32, dt.minute() as u32, dt.second() as u32),
        );
        pending.dt = Some(dt);
        pending.seconds = h.second.is_some();
        pending.original.clear();
        pending.original.push_str(h.original);
        pending.has_author = author.is_some();
        pending.author.clear();
        pending.author.push_str(author.unwrap_or(""));
        pending.body.clear();
        pending.body.push_str(body);
        pending.system = system;
        Ok(())
    })?;
    if pending.live {
        st.emit(sink, &mut pending)?;
    }
    for n in before_first {
        sink.warn(
            "text-before-first-message",
            "a line before the first message header was not imported",
            format!("{shown}:{n}"),
        );
    }
    Ok(())
}

/// Appends a continuation line to the pending message.
fn continuation(
    pending: &mut Pending,
    before_first: &mut Vec<u64>,
    n: u64,
    line: &str,
) -> Result<(), ImportError> {
    if pending.live {
        pending.body.push('\n');
        pending.body.push_str(line);
    } else if !line.trim().is_empty() {
        before_first.push(n);
    }
    Ok(())
}

/// Splits `AUTHOR: BODY`. A line with no `": "` (or whose would-be author holds a quotation
/// mark, as in `X changed the subject from "a: b"`) has no author: a system line, unless it
/// starts with the name of someone who writes elsewhere in the file followed by `:` (chat-miner's
/// `John Doe:.`).
fn split_author<'a>(rest: &'a str, known: Option<&NameSet>) -> (Option<&'a str>, &'a str, bool) {
    let (author, body) = match find_colon_space(rest) {
        Some(i) => (Some(&rest[..i]), &rest[i + 2..]),
        None => match rest.strip_suffix(':') {
            Some(a) if !a.is_empty() => (Some(a), ""),
            _ => match (rest.find(':'), known) {
                (Some(i), Some(k)) if k.contains(&rest[..i]) => (Some(&rest[..i]), &rest[i + 1..]),
                _ => (None, rest),
            },
        },
    };
    // A would-be author with a quotation mark is a system line when the whole line is one of
    // the known system wordings (`X changed the subject from "a: b"`); otherwise it is a name.
    match author {
        Some(a)
            if (a.len() <= 128 || a.chars().count() <= 128)
                && !a.contains('\n')
                // `“` and `”` start with the byte E2: most names have neither it nor `"`.
                && !(memchr::memchr2(b'"', 0xE2, a.as_bytes()).is_some()
                    && a.contains(['"', '“', '”'])
                    && body::system(rest).kind != EventKind::Other) =>
        {
            let system = body.starts_with('\u{200E}');
            (Some(a), body, system)
        }
        _ => (None, rest, true),
    }
}

impl State<'_> {
    fn emit(&mut self, sink: &mut Sink, p: &mut Pending) -> Result<(), ImportError> {
        p.live = false;
        self.ordinal += 1;
        let m = &mut self.m;
        m.ordinal = self.ordinal;
        if let Some(o) = m.origin.as_mut() {
            o.line = Some(p.line);
        }
        m.edited = None;
        m.deleted = None;
        m.location = None;
        m.poll = None;
        m.call = None;
        m.event = None;
        m.attachments.clear();
        m.extensions.clear();
        // Consecutive messages often share their header's time text, and then their time: the
        // record's time (and the time text for the id) is rebuilt only when the text changes.
        if m.time.is_none() || self.time_original != p.original {
            let dt =
                p.dt.ok_or_else(|| ImportError::Bug("a message with no time".into()))?;
            let t = times::local(dt, p.seconds, &p.original, self.zone.as_ref());
            self.at.clear();
            self.at.push_str(t.local.as_deref().unwrap_or(&t.at));
            m.time = Some(t);
            self.time_original.clear();
            self.time_original.push_str(&p.original);
        }
        let author = p.has_author.then_some(p.author.as_str());
        match author {
            Some(a) if !p.system => {
                if self.last_author.0 != a {
                    let id = self.accounts.get(a).ok_or_else(|| {
                        ImportError::Bug(format!("author {a:?} was not found by the first pass"))
                    })?;
                    self.last_author.0.clear();
                    self.last_author.0.push_str(a);
                    self.last_author.1.clear();
                    self.last_author.1.push_str(id);
                }
                set(&mut m.sender, &self.last_author.1);
                set(&mut m.sender_name, a);
                let b = body::parse(&p.body);
                match b.text {
                    // The text's string is reused from message to message.
                    Some(t) => set(&mut m.text, t),
                    None => m.text = None,
                }
                if b.edited {
                    m.edited = Some(Box::new(Edit {
                        by: None,
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
                m.location = b.location;
                m.poll = b.poll;
                m.call = b.call;
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
            _ => {
                // A system line: with no author (Android), or an iOS line whose "author" is the
                // group or a person and whose body starts with U+200E.
                m.sender = None;
                m.text = None;
                m.sender_name = author.map(str::to_owned);
                let text = match author {
                    Some(_) => p.body.trim_start_matches('\u{200E}').to_owned(),
                    None => p.body.clone(),
                };
                let sys = body::system(&text);
                let known = |name: &str| -> Option<String> {
                    let name = if name == "You" || name == "you" {
                        self.options.me.as_deref()?
                    } else {
                        name
                    };
                    self.accounts.get(name).cloned()
                };
                let actor = sys.actor.as_deref().and_then(known);
                let targets: Vec<String> = sys.targets.iter().filter_map(|t| known(t)).collect();
                m.event = Some(Box::new(Event {
                    kind: sys.kind,
                    platform_kind: Some(sys.platform_kind.to_owned()),
                    actor,
                    targets,
                    target_names: sys.targets,
                    old_value: sys.old_value,
                    new_value: sys.new_value,
                    text: Some(text),
                    ..Event::new(sys.kind)
                }));
            }
        }
        // The id: derived from what the line says, plus its occurrence among identical earlier
        // lines, so duplicates sent in the same minute stay two messages. The wall-clock time
        // counts, not an assumed instant, so that ids do not depend on --tz.
        let at = self.at.as_str();
        let id_author = author.unwrap_or("");
        let conv = &self.conv;
        let body = &p.body;
        let revisited = self.revisited.contains(&p.stamp);
        self.occurrences.write_vouched(
            sink,
            m,
            at,
            &[id_author, body],
            revisited,
            |occurrence, id| {
                let mut digits = [0u8; 20];
                let occurrence = chatport_model::json::decimal(occurrence.into(), &mut digits);
                derive_id_into(id, "wa-m-", &[conv, at, id_author, body, occurrence])
            },
        )
    }
}

/// The first `": "` in `s`.
fn find_colon_space(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&b' ') {
            return Some(at);
        }
        from = at + 1;
    }
    None
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

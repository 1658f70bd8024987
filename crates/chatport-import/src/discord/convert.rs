//! From DCE's typed source structs to the archive's records: the conversation of a channel, the
//! accounts of its users, and one message per element of `messages`.

use super::raw::{
    Extra, Handler, Head, RawAttachment, RawEmbed, RawEmoji, RawMessage, RawSticker, RawUser,
};
use super::{NS, conversation_kind, coverage, parse_time, space};
use crate::times::Zone;
use crate::{ImportError, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, Conversation, ConversationKind, Edit,
    Embed, Event, EventKind, Forward, MediaStatus, Member, Message, Reaction, Reactor, Reply, Span,
    SpanKind, Time,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The state of one conversation while its files are read.
pub(crate) struct Conv<'z> {
    pub id: String,
    pub channel_id: String,
    /// The head of the channel's first file.
    pub head: Head,
    /// Whether the export claims the whole history (no date range, no missing part).
    pub complete: bool,
    pub zone: Option<&'z Zone>,
    pub ordinal: u64,
    pub started: bool,
    /// Member index by account id.
    pub members: HashMap<String, usize>,
    /// Elements of `messages` read from the current file.
    pub file_messages: u64,
    pub member_colors: Map<String, Value>,
    pub roles: Map<String, Value>,
}

/// One file of a conversation being read.
pub(crate) struct FileRun<'a, 'z> {
    pub conv: &'a mut Conv<'z>,
    pub sink: &'a mut Sink,
    pub input: &'a Input,
    pub entry: &'a str,
    /// The folder of `entry`, that media paths are relative to.
    pub base: &'a str,
    pub shown: &'a str,
}

/// A platform id as an id part: itself when it is a plain token, else a hash of it.
pub(crate) fn id_part(s: &str) -> String {
    if !s.is_empty() && s.len() <= 100 && !s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        s.to_owned()
    } else {
        derive_id("h", &[s])
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

fn is_remote(url: &str) -> bool {
    let l = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}

/// The kind of a file by its name.
fn kind_for(name: &str) -> AttachmentKind {
    let lower = name.to_ascii_lowercase();
    let lower = lower.split(['?', '#']).next().unwrap_or("");
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let file = lower.rsplit(['/', '\\']).next().unwrap_or(lower);
    match ext {
        "png" | "jpg" | "jpeg" | "webp" | "bmp" | "heic" | "heif" | "avif" | "svg" | "tif"
        | "tiff" => AttachmentKind::Image,
        "gif" => AttachmentKind::Gif,
        "mp4" | "webm" | "mov" | "mkv" | "m4v" | "avi" => AttachmentKind::Video,
        "ogg" if file.starts_with("voice-message") => AttachmentKind::Voice,
        "mp3" | "wav" | "flac" | "m4a" | "aac" | "opus" | "ogg" => AttachmentKind::Audio,
        _ => AttachmentKind::File,
    }
}

fn as_u64(v: &Option<Value>) -> Option<u64> {
    v.as_ref().and_then(Value::as_u64)
}

fn ext_obj(extra: &Extra) -> Map<String, Value> {
    extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn put(ext: &mut chatport_model::Extensions, map: Map<String, Value>) {
    if !map.is_empty() {
        ext.insert(NS.into(), Value::Object(map));
    }
}

/// DCE writes kinds it has no name for as Discord's number; old exports of the named ones may
/// too. Both read the same.
fn kind_name(kind: Option<&str>) -> &str {
    match kind.unwrap_or("Default") {
        "0" => "Default",
        "1" => "RecipientAdd",
        "2" => "RecipientRemove",
        "3" => "Call",
        "4" => "ChannelNameChange",
        "5" => "ChannelIconChange",
        "6" => "ChannelPinnedMessage",
        "7" => "GuildMemberJoin",
        "18" => "ThreadCreated",
        "19" => "Reply",
        k => k,
    }
}

/// The conversation record for the channel whose head `conv` holds.
pub(crate) fn conversation(
    conv: &mut Conv,
    sink: &mut Sink,
    input: &Input,
    entry: &str,
) -> Result<Conversation, ImportError> {
    let head = &conv.head;
    let ch = head.channel.clone().unwrap_or_default();
    let kind = conversation_kind(ch.kind.as_deref());
    let mut c = Conversation::new(conv.id.clone(), "discord", kind);
    c.platform_id = Some(conv.channel_id.clone());
    c.title = non_empty(ch.name.as_deref());
    c.description = non_empty(ch.topic.as_deref());
    c.space = space(head);
    let mut ext = Map::new();
    if let Some(k) = &ch.kind {
        ext.insert("channelType".into(), Value::String(k.clone()));
    }
    let parent = ch
        .category_id
        .as_deref()
        .filter(|p| !p.is_empty() && *p != "0")
        .map(|p| format!("dc-c-{}", id_part(p)));
    match parent {
        Some(p) if kind == ConversationKind::Thread && sink.has_conversation(&p) => {
            c.parent = Some(p)
        }
        _ => {
            // For a channel, the category; for a thread whose channel is not imported, that channel.
            if let Some(id) = &ch.category_id {
                ext.insert("categoryId".into(), Value::String(id.clone()));
            }
            if let Some(n) = &ch.category {
                ext.insert("category".into(), Value::String(n.clone()));
            }
        }
    }
    if let Some(url) = ch.icon_url.as_deref().filter(|u| !u.is_empty()) {
        let base = entry.rfind('/').map(|i| &entry[..i]).unwrap_or("");
        let shown = input.display(entry);
        c.avatar = Some(media(
            sink,
            input,
            base,
            url,
            AttachmentKind::Image,
            || format!("{shown}#/channel/iconUrl"),
        )?);
    }
    if let Some(g) = &head.guild {
        if let Some(u) = &g.icon_url
            && space(head).is_some()
        {
            ext.insert("guildIconUrl".into(), Value::String(u.clone()));
        }
        if !g.extra.is_empty() {
            ext.insert("guild".into(), Value::Object(ext_obj(&g.extra)));
        }
    }
    if !ch.extra.is_empty() {
        ext.insert("channel".into(), Value::Object(ext_obj(&ch.extra)));
    }
    if let Some(t) = &head.exported_at {
        ext.insert("exportedAt".into(), Value::String(t.clone()));
    }
    if let Some(r) = &head.date_range
        && (r.after.is_some() || r.before.is_some() || !r.extra.is_empty())
    {
        let mut o = ext_obj(&r.extra);
        o.insert(
            "after".into(),
            r.after.clone().map_or(Value::Null, Value::String),
        );
        o.insert(
            "before".into(),
            r.before.clone().map_or(Value::Null, Value::String),
        );
        ext.insert("dateRange".into(), Value::Object(o));
    }
    for (k, v) in &head.extra {
        ext.insert(k.clone(), v.clone());
    }
    put(&mut c.extensions, ext);
    c.coverage
        .push(coverage(head, sink.source_id(), conv.complete));
    Ok(c)
}

/// An attachment for a media reference: `remote` for an address (never fetched), else a path
/// relative to the export file's folder, copied into the bundle when the input holds it.
fn media(
    sink: &mut Sink,
    input: &Input,
    base: &str,
    url: &str,
    kind: AttachmentKind,
    location: impl FnOnce() -> String,
) -> Result<Attachment, ImportError> {
    if is_remote(url) {
        let mut a = Attachment::missing(kind, None);
        a.status = MediaStatus::Remote;
        a.url = Some(url.to_owned());
        return Ok(a);
    }
    let mut a = sink.attach_relative(input, base, url, kind, location)?;
    // DCE writes Windows paths (`media\\x.png`); the name is the last segment either way.
    a.original_name = url.rsplit(['/', '\\']).next().map(str::to_owned);
    Ok(a)
}

impl FileRun<'_, '_> {
    fn location(&self, index: usize) -> String {
        format!("{}#/messages/{index}", self.shown)
    }

    /// The account of a user, added on first sight; `None` when the user has no id.
    fn account(&mut self, u: &RawUser, at: &str) -> Result<Option<String>, ImportError> {
        let Some(pid) = u.id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let id = format!("dc-u-{}", id_part(pid));
        // Known already, unless only from a raw `<@id>` token (no name yet): then this user
        // object fills the account in (the sink merges what it lacked).
        let bare = |a: &Account| a.display_name.is_none() && a.handle.is_none();
        if self
            .sink
            .account_mut(&id)
            .is_some_and(|a| !bare(a) || u.name.is_none())
        {
            return Ok(Some(id));
        }
        let mut a = Account::new(&id, "discord");
        a.platform_id = Some(pid.to_owned());
        a.display_name = non_empty(u.name.as_deref());
        if let Some(n) = non_empty(u.nickname.as_deref())
            && a.display_name.as_deref() != Some(&n)
        {
            a.other_names.push(n);
        }
        a.handle = match (u.name.as_deref(), u.discriminator.as_deref()) {
            (Some(n), Some(d)) if !n.is_empty() && !d.is_empty() && d != "0" && d != "0000" => {
                Some(format!("{n}#{d}"))
            }
            (Some(n), _) if !n.is_empty() => Some(n.to_owned()),
            _ => None,
        };
        a.bot = u.is_bot;
        if let Some(url) = u.avatar_url.as_deref().filter(|s| !s.is_empty()) {
            let at = at.to_owned();
            a.avatar = Some(media(
                self.sink,
                self.input,
                self.base,
                url,
                AttachmentKind::Image,
                || format!("{at}/avatarUrl"),
            )?);
        }
        let mut ext = ext_obj(&u.extra);
        if let Some(d) = &u.discriminator {
            ext.insert("discriminator".into(), Value::String(d.clone()));
        }
        put(&mut a.extensions, ext);
        self.sink.account(a)?;
        Ok(Some(id))
    }

    /// Records a user seen as author or mentioned as a member of the conversation, with roles,
    /// nickname and colour.
    fn member(&mut self, u: &RawUser, account: &str) -> Result<(), ImportError> {
        if self.conv.members.contains_key(account) {
            return Ok(());
        }
        let mut roles = Vec::new();
        for r in u.roles.iter().flatten() {
            if let Some(n) = &r.name {
                roles.push(n.clone());
            }
            if let Some(id) = &r.id {
                let mut o = ext_obj(&r.extra);
                o.insert(
                    "name".into(),
                    r.name.clone().map_or(Value::Null, Value::String),
                );
                o.insert(
                    "color".into(),
                    r.color.clone().map_or(Value::Null, Value::String),
                );
                if let Some(p) = &r.position {
                    o.insert("position".into(), p.clone());
                }
                self.conv.roles.insert(id.clone(), Value::Object(o));
            }
        }
        if let (Some(c), Some(pid)) = (&u.color, &u.id) {
            self.conv
                .member_colors
                .insert(pid.clone(), Value::String(c.clone()));
        }
        let nickname = non_empty(u.nickname.as_deref()).filter(|n| Some(n) != u.name.as_ref());
        let c = self
            .sink
            .conversation_mut(&self.conv.id)
            .ok_or_else(|| ImportError::Bug("discord conversation not added".into()))?;
        self.conv
            .members
            .insert(account.to_owned(), c.members.len());
        c.members.push(Member {
            account: account.to_owned(),
            roles,
            nickname,
        });
        Ok(())
    }

    fn time(&mut self, s: &str, at: impl FnOnce() -> String) -> Option<Time> {
        let t = parse_time(s, self.conv.zone);
        if t.is_none() {
            self.sink.warn(
                "unreadable-time",
                "a time that is not ISO 8601; kept under extensions",
                at(),
            );
        }
        t
    }

    fn attachment(&mut self, a: &RawAttachment, at: String) -> Result<Attachment, ImportError> {
        let name = a.file_name.as_deref().or(a.url.as_deref()).unwrap_or("");
        let kind = kind_for(name);
        let mut out = match a.url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => media(self.sink, self.input, self.base, url, kind, || at)?,
            None => Attachment::missing(
                kind,
                Some("the export gives no address for this file".into()),
            ),
        };
        if let Some(n) = &a.file_name {
            out.original_name = Some(n.clone());
        }
        let mut ext = match out.extensions.remove(NS) {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        ext.extend(ext_obj(&a.extra));
        if let Some(id) = &a.id {
            ext.insert("id".into(), Value::String(id.clone()));
        }
        if let Some(s) = &a.file_size_bytes {
            if out.status == MediaStatus::Present && s.as_u64() == out.size {
                // The copied file's size says it.
            } else {
                ext.insert("fileSizeBytes".into(), s.clone());
            }
        }
        put(&mut out.extensions, ext);
        Ok(out)
    }

    fn sticker(&mut self, s: &RawSticker, at: String) -> Result<Attachment, ImportError> {
        let mut out = match s.source_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => media(
                self.sink,
                self.input,
                self.base,
                url,
                AttachmentKind::Sticker,
                || at,
            )?,
            None => Attachment::missing(
                AttachmentKind::Sticker,
                Some("the export gives no address for this sticker".into()),
            ),
        };
        out.caption = s.name.clone();
        let mut ext = match out.extensions.remove(NS) {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        ext.extend(ext_obj(&s.extra));
        if let Some(id) = &s.id {
            ext.insert("id".into(), Value::String(id.clone()));
        }
        if let Some(f) = &s.format {
            ext.insert("format".into(), Value::String(f.clone()));
        }
        put(&mut out.extensions, ext);
        Ok(out)
    }

    fn embed(&mut self, e: &RawEmbed, at: String) -> Result<Embed, ImportError> {
        let mut images: Vec<(&str, &super::raw::RawImage)> = Vec::new();
        if let Some(i) = &e.image {
            images.push(("image", i));
        }
        if let Some(i) = &e.thumbnail {
            images.push(("thumbnail", i));
        }
        for i in e.images.iter().flatten() {
            images.push(("images", i));
        }
        let mut ext = ext_obj(&e.extra);
        let mut image = None;
        let mut other_images = Vec::new();
        for (role, i) in images {
            let url = i.url.as_deref().filter(|u| !u.is_empty());
            match (url, &image) {
                (Some(url), None) => {
                    let at = format!("{at}/{role}");
                    let mut a = media(
                        self.sink,
                        self.input,
                        self.base,
                        url,
                        AttachmentKind::Image,
                        || at,
                    )?;
                    a.width = as_u64(&i.width);
                    a.height = as_u64(&i.height);
                    let mut x = match a.extensions.remove(NS) {
                        Some(Value::Object(o)) => o,
                        _ => Map::new(),
                    };
                    x.extend(ext_obj(&i.extra));
                    x.insert("role".into(), Value::String(role.into()));
                    put(&mut a.extensions, x);
                    image = Some(a);
                }
                _ => {
                    let mut o = ext_obj(&i.extra);
                    o.insert("role".into(), Value::String(role.into()));
                    o.insert(
                        "url".into(),
                        i.url.clone().map_or(Value::Null, Value::String),
                    );
                    if let Some(w) = &i.width {
                        o.insert("width".into(), w.clone());
                    }
                    if let Some(h) = &i.height {
                        o.insert("height".into(), h.clone());
                    }
                    other_images.push(Value::Object(o));
                }
            }
        }
        if !other_images.is_empty() {
            ext.insert("otherImages".into(), Value::Array(other_images));
        }
        // DCE writes empty arrays for these; they say nothing.
        for k in ["images", "fields", "inlineEmojis"] {
            if ext
                .get(k)
                .is_some_and(|v| v.as_array().is_some_and(Vec::is_empty))
            {
                ext.remove(k);
            }
        }
        if ext.get("timestamp").is_some_and(Value::is_null) {
            ext.remove("timestamp");
        }
        let mut out = Embed {
            url: non_empty(e.url.as_deref()),
            title: non_empty(e.title.as_deref()),
            description: non_empty(e.description.as_deref()),
            site_name: None,
            image,
            extensions: Default::default(),
        };
        put(&mut out.extensions, ext);
        Ok(out)
    }
}

/// Where a name or token shows in a message's text, to become a span.
struct Found {
    start: usize,
    end: usize,
    span: Span,
}

fn span(kind: SpanKind) -> Span {
    Span {
        conversation: None,
        kind,
        start: 0,
        end: 0,
        url: None,
        account: None,
        language: None,
        name: None,
    }
}

fn overlaps(found: &[Found], s: usize, e: usize) -> bool {
    found.iter().any(|f| s < f.end && f.start < e)
}

fn word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

impl FileRun<'_, '_> {
    /// Mentions and custom emoji in `text`: raw `<@id>`-style tokens (exports made without
    /// markdown formatting), `@name` of the mentioned users, `@everyone`/`@here`, and
    /// `:name:` of the custom emoji DCE lists in `inlineEmojis`. Returns the spans and the
    /// accounts of mentioned users the text does not show.
    fn spans(
        &mut self,
        text: &str,
        mentioned: &[(String, &RawUser)],
        emojis: &[RawEmoji],
    ) -> Result<(Vec<Span>, Vec<String>), ImportError> {
        let mut found: Vec<Found> = Vec::new();
        // Raw tokens.
        let mut from = 0;
        while let Some(p) = text[from..].find('<') {
            let s = from + p;
            from = s + 1;
            let Some(len) = text[s..].find('>') else {
                break;
            };
            let inner = &text[s + 1..s + len];
            let e = s + len + 1;
            let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            let mut sp = None;
            if let Some(id) = inner.strip_prefix("@&") {
                if digits(id) {
                    let mut x = span(SpanKind::Mention);
                    x.name = Some(format!("role:{id}"));
                    sp = Some(x);
                }
            } else if let Some(rest) = inner.strip_prefix('@') {
                let id = rest.strip_prefix('!').unwrap_or(rest);
                if digits(id) {
                    let acc = format!("dc-u-{id}");
                    if !self.sink.has_account(&acc) {
                        let mut a = Account::new(&acc, "discord");
                        a.platform_id = Some(id.to_owned());
                        self.sink.account(a)?;
                    }
                    let mut x = span(SpanKind::Mention);
                    x.account = Some(acc);
                    sp = Some(x);
                }
            } else if let Some(id) = inner.strip_prefix('#') {
                if digits(id) {
                    let mut x = span(SpanKind::Mention);
                    x.name = Some(format!("channel:{id}"));
                    // The channel's conversation, when it was imported before this message.
                    let conv = format!("dc-c-{id}");
                    if self.sink.has_conversation(&conv) {
                        x.conversation = Some(conv);
                    }
                    sp = Some(x);
                }
            } else {
                let body = inner.strip_prefix('a').unwrap_or(inner);
                if let Some(body) = body.strip_prefix(':')
                    && let Some((name, id)) = body.split_once(':')
                    && !name.is_empty()
                    && digits(id)
                {
                    let mut x = span(SpanKind::CustomEmoji);
                    x.name = Some(name.to_owned());
                    sp = Some(x);
                }
            }
            if let Some(x) = sp {
                found.push(Found {
                    start: s,
                    end: e,
                    span: x,
                });
                from = e;
            }
        }
        // @name of mentioned users, longest names first.
        let mut names: Vec<(String, &str)> = Vec::new();
        for (acc, u) in mentioned {
            for n in [u.nickname.as_deref(), u.name.as_deref()]
                .into_iter()
                .flatten()
            {
                if !n.is_empty() && !names.iter().any(|(a, m)| a == acc && *m == n) {
                    names.push((acc.clone(), n));
                }
            }
        }
        names.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let mut shown: Vec<String> = found
            .iter()
            .filter_map(|f| f.span.account.clone())
            .collect();
        for (acc, n) in &names {
            let pat = format!("@{n}");
            for (s, _) in text.match_indices(&pat) {
                let e = s + pat.len();
                if word_char(text[e..].chars().next()) || overlaps(&found, s, e) {
                    continue;
                }
                let mut x = span(SpanKind::Mention);
                x.account = Some(acc.clone());
                found.push(Found {
                    start: s,
                    end: e,
                    span: x,
                });
                shown.push(acc.clone());
            }
        }
        for group in ["everyone", "here"] {
            let pat = format!("@{group}");
            for (s, _) in text.match_indices(&pat) {
                let e = s + pat.len();
                if word_char(text[e..].chars().next()) || overlaps(&found, s, e) {
                    continue;
                }
                let mut x = span(SpanKind::Mention);
                x.name = Some(group.into());
                found.push(Found {
                    start: s,
                    end: e,
                    span: x,
                });
            }
        }
        for em in emojis {
            let (Some(_), Some(name)) = (em.custom_id(), em.name.as_deref()) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            let pat = format!(":{name}:");
            for (s, _) in text.match_indices(&pat) {
                let e = s + pat.len();
                if overlaps(&found, s, e) {
                    continue;
                }
                let mut x = span(SpanKind::CustomEmoji);
                x.name = Some(name.to_owned());
                found.push(Found {
                    start: s,
                    end: e,
                    span: x,
                });
            }
        }
        found.sort_by_key(|f| (f.start, f.end));
        let mut spans = Vec::with_capacity(found.len());
        let (mut byte, mut chars) = (0usize, 0u64);
        for f in found {
            chars += text[byte..f.start].chars().count() as u64;
            let len = text[f.start..f.end].chars().count() as u64;
            byte = f.start;
            let mut sp = f.span;
            sp.start = chars;
            sp.end = chars + len;
            spans.push(sp);
        }
        let unshown = mentioned
            .iter()
            .filter(|(acc, _)| !shown.contains(acc))
            .map(|(acc, _)| acc.clone())
            .collect();
        Ok((spans, unshown))
    }

    fn message_id(&self, channel: &str, message: &str) -> String {
        format!("dc-m-{}-{}", id_part(channel), id_part(message))
    }
}

impl Handler for FileRun<'_, '_> {
    fn start(&mut self) -> Result<(), ImportError> {
        if !self.conv.started {
            let c = conversation(self.conv, self.sink, self.input, self.entry)?;
            self.sink.conversation(c)?;
            self.conv.started = true;
        }
        Ok(())
    }

    fn malformed(&mut self, index: usize, why: String) {
        self.sink.source_message();
        self.conv.file_messages += 1;
        let at = self.location(index);
        self.sink.skip(
            "malformed-message",
            "an element of messages that is not a DiscordChatExporter message (a field of the wrong type or shape); skipped",
            format!("{at} ({why})"),
        );
    }

    fn message(&mut self, raw: RawMessage, index: usize) -> Result<(), ImportError> {
        self.sink.source_message();
        self.conv.file_messages += 1;
        let at = self.location(index);
        let channel = self.conv.channel_id.clone();
        let author_id = raw.author.as_ref().and_then(|a| a.id.clone());
        let id = match raw.id.as_deref().filter(|s| !s.is_empty()) {
            Some(pid) => self.message_id(&channel, pid),
            None => derive_id(
                "dc-m-",
                &[
                    &self.conv.id,
                    raw.timestamp.as_deref().unwrap_or(""),
                    author_id.as_deref().unwrap_or(""),
                    raw.content.as_deref().unwrap_or(""),
                    self.entry,
                    &index.to_string(),
                ],
            ),
        };
        if self.sink.is_defined(&id) {
            self.sink.skip(
                "duplicate-message",
                "a message whose id was already imported (an overlapping part or re-export); kept once",
                at,
            );
            return Ok(());
        }
        let mut ext = ext_obj(&raw.extra);
        let mut m = Message::new(id, self.conv.id.clone(), self.conv.ordinal + 1);
        m.platform_id = raw.id.clone().filter(|s| !s.is_empty());
        m.origin = self
            .sink
            .origin_pointer(self.entry, format!("/messages/{index}"));
        if let Some(t) = &raw.timestamp {
            m.time = self.time(t, || format!("{at}/timestamp"));
            if m.time.is_none() {
                ext.insert("timestamp".into(), Value::String(t.clone()));
            }
        }

        // Who: the author, and the mentioned users (also members of the conversation).
        if let Some(u) = &raw.author {
            m.sender = self.account(u, &format!("{at}/author"))?;
            if let Some(acc) = &m.sender {
                self.member(u, acc)?;
            } else {
                ext.insert(
                    "author".into(),
                    serde_json::to_value(author_value(u)).unwrap_or(Value::Null),
                );
            }
            m.sender_name =
                non_empty(u.nickname.as_deref()).or_else(|| non_empty(u.name.as_deref()));
        }
        let mut mentioned: Vec<(String, &RawUser)> = Vec::new();
        for (i, u) in raw.mentions.iter().enumerate() {
            if let Some(acc) = self.account(u, &format!("{at}/mentions/{i}"))? {
                self.member(u, &acc)?;
                if !mentioned.iter().any(|(a, _)| *a == acc) {
                    mentioned.push((acc, u));
                }
            }
        }

        let kind = kind_name(raw.kind.as_deref()).to_owned();
        let content = raw.content.clone().unwrap_or_default();
        let reference = raw.reference.as_ref();
        let ref_channel = reference
            .and_then(|r| r.channel_id.clone())
            .unwrap_or_else(|| channel.clone());
        let ref_message = reference
            .and_then(|r| r.message_id.clone())
            .filter(|s| !s.is_empty());
        let ref_target = ref_message
            .as_ref()
            .map(|mid| self.message_id(&ref_channel, mid));
        let ref_defined = ref_target
            .as_ref()
            .filter(|t| self.sink.is_defined(t))
            .cloned();
        let mut reference_mapped = false;

        let event_kind = match kind.as_str() {
            "Default" | "Reply" | "Call" => None,
            "RecipientAdd" => Some(EventKind::Added),
            "RecipientRemove" => {
                if mentioned.len() == 1 && Some(&mentioned[0].0) == m.sender.as_ref() {
                    Some(EventKind::Left)
                } else {
                    Some(EventKind::Removed)
                }
            }
            "ChannelNameChange" => Some(EventKind::Renamed),
            "ChannelIconChange" => Some(EventKind::PhotoChanged),
            "ChannelPinnedMessage" => Some(EventKind::Pinned),
            "GuildMemberJoin" => Some(EventKind::Joined),
            _ => Some(EventKind::Other),
        };
        // DCE writes English text of its own for the kinds it knows; for other kinds `content` is
        // what Discord held (a bot's reply to a command, say), kept as the message's text.
        let known_event = !matches!(event_kind, None | Some(EventKind::Other))
            || matches!(kind.as_str(), "ThreadCreated" | "PollResult");
        if let Some(k) = event_kind {
            let mut ev = Event {
                kind: k,
                platform_kind: raw.kind.clone().or_else(|| Some(kind.clone())),
                actor: m.sender.clone(),
                ..Event::new(k)
            };
            if known_event {
                ev.text = non_empty(Some(&content));
                for (acc, u) in &mentioned {
                    ev.targets.push(acc.clone());
                    if let Some(n) =
                        non_empty(u.nickname.as_deref()).or_else(|| non_empty(u.name.as_deref()))
                    {
                        ev.target_names.push(n);
                    }
                }
                if k == EventKind::Joined || k == EventKind::Left {
                    ev.targets.clear();
                    ev.target_names.clear();
                }
            }
            match kind.as_str() {
                "ChannelNameChange" => {
                    ev.new_value = content
                        .strip_prefix("Changed the channel name: ")
                        .map(str::to_owned);
                }
                "ChannelPinnedMessage" => {
                    ev.message = ref_defined.clone();
                    reference_mapped = ev.message.is_some();
                }
                _ => {}
            }
            m.event = Some(Box::new(ev));
        }

        // The text, for everything but the system events whose text DCE generated.
        if !known_event && !content.is_empty() {
            let (spans, unshown) = self.spans(&content, &mentioned, &raw.inline_emojis)?;
            m.spans = spans;
            m.text = Some(content.clone());
            if !unshown.is_empty() {
                ext.insert(
                    "mentionsNotInText".into(),
                    Value::Array(unshown.into_iter().map(Value::String).collect()),
                );
            }
        } else if !known_event && !mentioned.is_empty() {
            ext.insert(
                "mentionsNotInText".into(),
                Value::Array(
                    mentioned
                        .iter()
                        .map(|(a, _)| Value::String(a.clone()))
                        .collect(),
                ),
            );
        }

        // Replies and forwards.
        let is_forward = reference.and_then(|r| r.kind.as_deref()) == Some("Forward");
        if let Some(mid) = &ref_message {
            if is_forward {
                let mut f = Forward {
                    account: None,
                    from_name: None,
                    time: None,
                    platform_id: Some(mid.clone()),
                };
                if let Some(fm) = &raw.forwarded
                    && let Some(t) = &fm.timestamp
                {
                    f.time = self.time(t, || format!("{at}/forwardedMessage/timestamp"));
                    if f.time.is_none() {
                        // Unreadable: kept as the source wrote it.
                        ext.insert("forwardedTimestamp".into(), Value::String(t.clone()));
                    }
                }
                m.forwarded = Some(Box::new(f));
                reference_mapped = ref_channel == channel;
            } else if !matches!(kind.as_str(), "ChannelPinnedMessage" | "ThreadCreated") {
                m.reply_to = Some(Box::new(Reply {
                    message: ref_defined.clone(),
                    platform_id: Some(mid.clone()),
                    quote: None,
                    sender_name: None,
                }));
                reference_mapped = ref_channel == channel;
            }
        }
        if let Some(r) = reference {
            let plain = r.extra.is_empty()
                && matches!(r.kind.as_deref(), None | Some("Default") | Some("Forward"));
            if !(reference_mapped && plain) {
                let mut o = ext_obj(&r.extra);
                for (k, v) in [
                    ("type", &r.kind),
                    ("messageId", &r.message_id),
                    ("channelId", &r.channel_id),
                    ("guildId", &r.guild_id),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), Value::String(v.clone()));
                    }
                }
                ext.insert("reference".into(), Value::Object(o));
            }
        }

        if let Some(t) = &raw.timestamp_edited {
            let time = self.time(t, || format!("{at}/timestampEdited"));
            if time.is_none() {
                ext.insert("timestampEdited".into(), Value::String(t.clone()));
            }
            m.edited = Some(Box::new(Edit {
                by: None,
                time,
                history: Vec::new(),
            }));
        }
        if let Some(t) = &raw.call_ended {
            let ended = self.time(t, || format!("{at}/callEndedTimestamp"));
            if ended.is_none() {
                // Unreadable: kept as the source wrote it.
                ext.insert("callEndedTimestamp".into(), Value::String(t.clone()));
            }
            if kind == "Call" {
                let duration = match (&m.time, &ended) {
                    (Some(a), Some(b)) => {
                        let a: Option<jiff::Timestamp> = a.at.parse().ok();
                        let b: Option<jiff::Timestamp> = b.at.parse().ok();
                        a.zip(b)
                            .map(|(a, b)| (b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0)
                    }
                    _ => None,
                }
                .filter(|d| *d >= 0.0);
                m.call = Some(Box::new(Call {
                    media: CallMedia::Unknown,
                    outcome: None,
                    duration_seconds: duration,
                    ended,
                    participants: Vec::new(),
                }));
            } else {
                ext.insert("callEndedTimestamp".into(), Value::String(t.clone()));
            }
        } else if kind == "Call" {
            m.call = Some(Box::new(Call {
                media: CallMedia::Unknown,
                outcome: None,
                duration_seconds: None,
                ended: None,
                participants: Vec::new(),
            }));
        }
        if raw.is_pinned == Some(true) {
            m.pinned = Some(true);
        }

        // Reactions, with their users (2023-07+); the emoji's other data (code, animation,
        // image address) under the reaction's own extensions.
        for (i, r) in raw.reactions.iter().enumerate() {
            let em = r.emoji.clone().unwrap_or_default();
            let custom = em.custom_id().map(str::to_owned);
            let emoji = non_empty(em.name.as_deref())
                .or_else(|| custom.clone())
                .unwrap_or_else(|| "?".into());
            let mut by = Vec::new();
            for (j, u) in r.users.iter().flatten().enumerate() {
                let account = self.account(u, &format!("{at}/reactions/{i}/users/{j}"))?;
                by.push(Reactor {
                    account,
                    name: non_empty(u.nickname.as_deref()).or_else(|| non_empty(u.name.as_deref())),
                    time: None,
                });
            }
            let mut x = ext_obj(&r.extra);
            let ex = ext_obj(&em.extra);
            if !ex.is_empty() {
                x.insert("emoji".into(), Value::Object(ex));
            }
            let mut extensions = chatport_model::Extensions::new();
            if !x.is_empty() {
                extensions.insert(NS.into(), Value::Object(x));
            }
            m.reactions.push(Reaction {
                extensions,
                emoji,
                custom: custom.as_ref().map(|_| true),
                custom_id: custom,
                count: r.count,
                by,
            });
        }

        // Files, stickers and embeds; a forward's own come after the message's.
        for (i, a) in raw.attachments.iter().enumerate() {
            let x = self.attachment(a, format!("{at}/attachments/{i}"))?;
            m.attachments.push(x);
        }
        for (i, s) in raw.stickers.iter().enumerate() {
            let x = self.sticker(s, format!("{at}/stickers/{i}"))?;
            m.attachments.push(x);
        }
        for (i, e) in raw.embeds.iter().enumerate() {
            let x = self.embed(e, format!("{at}/embeds/{i}"))?;
            m.embeds.push(x);
        }
        if let Some(fm) = &raw.forwarded {
            let mut o = ext_obj(&fm.extra);
            let fc = fm.content.clone().unwrap_or_default();
            if m.text.is_none() && !fc.is_empty() {
                m.text = Some(fc);
            } else if !fc.is_empty() {
                o.insert("content".into(), Value::String(fc));
            }
            if let Some(t) = &fm.timestamp_edited {
                o.insert("timestampEdited".into(), Value::String(t.clone()));
            }
            if m.forwarded.is_none()
                && let Some(t) = &fm.timestamp
            {
                o.insert("timestamp".into(), Value::String(t.clone()));
            }
            for (i, a) in fm.attachments.iter().flatten().enumerate() {
                let x = self.attachment(a, format!("{at}/forwardedMessage/attachments/{i}"))?;
                m.attachments.push(x);
            }
            for (i, s) in fm.stickers.iter().flatten().enumerate() {
                let x = self.sticker(s, format!("{at}/forwardedMessage/stickers/{i}"))?;
                m.attachments.push(x);
            }
            for (i, e) in fm.embeds.iter().flatten().enumerate() {
                let x = self.embed(e, format!("{at}/forwardedMessage/embeds/{i}"))?;
                m.embeds.push(x);
            }
            if !o.is_empty() {
                ext.insert("forwardedMessage".into(), Value::Object(o));
            }
        }

        let inline: Vec<Value> = raw
            .inline_emojis
            .iter()
            .map(|e| {
                let mut o = ext_obj(&e.extra);
                o.insert("id".into(), e.id.clone().map_or(Value::Null, Value::String));
                o.insert(
                    "name".into(),
                    e.name.clone().map_or(Value::Null, Value::String),
                );
                Value::Object(o)
            })
            .collect();
        if !inline.is_empty() {
            ext.insert("inlineEmojis".into(), Value::Array(inline));
        }
        // DCE writes these empty on every message.
        for k in ["components"] {
            if ext
                .get(k)
                .is_some_and(|v| v.as_array().is_some_and(Vec::is_empty))
            {
                ext.remove(k);
            }
        }
        put(&mut m.extensions, ext);

        self.conv.ordinal += 1;
        self.sink.message(&m)
    }
}

/// An author without an id, kept whole.
fn author_value(u: &RawUser) -> Map<String, Value> {
    let mut o = ext_obj(&u.extra);
    for (k, v) in [
        ("name", &u.name),
        ("discriminator", &u.discriminator),
        ("nickname", &u.nickname),
        ("color", &u.color),
        ("avatarUrl", &u.avatar_url),
    ] {
        if let Some(v) = v {
            o.insert(k.into(), Value::String(v.clone()));
        }
    }
    if let Some(b) = u.is_bot {
        o.insert("isBot".into(), Value::Bool(b));
    }
    o
}

//! One Slack message object (an element of a day file's array) into one message record.
//!
//! Every key the model has a field for is taken out of the object; whatever is left (the
//! `replies`/`reply_users` thread metadata, `client_msg_id`, `team`, `user_profile`,
//! `bot_profile`, raw blocks that could not be rendered, ...) is kept verbatim under
//! `extensions["com.slack"]`.

use super::text::{self, Names, Rich, slack_id};
use super::{Ctx, NS, ts_time};
use crate::{ImportError, Input, Sink};
use chatport_model::{
    Account, Attachment, AttachmentKind, Deletion, Edit, Embed, Event, EventKind, Forward, Message,
    Reaction, Reactor, ThreadRef,
};
use serde_json::{Map, Value};

/// Where a message sits: its conversation and the names that locate it in the source.
pub(super) struct Place<'a> {
    /// The conversation's archive id.
    pub conversation: &'a str,
    /// The channel's Slack id (or, where the source has none, a stand-in) for message ids.
    pub key: &'a str,
    /// The folder of the day file inside the input, for files the export carries.
    pub folder: &'a str,
    /// The input entry the message came from.
    pub file: &'a str,
    /// The JSON pointer of the message in that entry.
    pub pointer: String,
}

/// Messages whose subtype still means "someone wrote this": they stay ordinary messages (the
/// subtype is kept under extensions). Every other subtype is a system event.
const MESSAGE_SUBTYPES: &[&str] = &[
    "bot_message",
    "me_message",
    "file_share",
    "file_comment",
    "file_mention",
    "thread_broadcast",
    "reply_broadcast",
    "slackbot_response",
    "tombstone",
];

fn take_str(o: &mut Map<String, Value>, k: &str) -> Option<String> {
    match o.remove(k) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            o.insert(k.to_owned(), other);
            None
        }
        None => None,
    }
}

fn get_str<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The account for Slack user `id`, added bare (with a warning) when users.json did not list it.
pub(super) fn ensure_user(
    sink: &mut Sink,
    id: &str,
    location: &str,
) -> Result<String, ImportError> {
    let aid = slack_id("sl-u-", id);
    if !sink.has_account(&aid) {
        let mut a = Account::new(aid.clone(), "slack");
        a.platform_id = Some(id.to_owned());
        if id == "USLACKBOT" {
            a.bot = Some(true);
            a.display_name = Some("Slackbot".into());
        }
        sink.account(a)?;
        sink.warn(
            "user-not-listed",
            "a user the messages name is not in users.json (or there is none); their account has only the Slack id",
            location.to_owned(),
        );
    }
    Ok(aid)
}

fn ensure_bot(
    sink: &mut Sink,
    bot_id: &str,
    name: Option<&str>,
    profile: Option<&Value>,
) -> Result<String, ImportError> {
    let aid = slack_id("sl-b-", bot_id);
    let mut a = Account::new(aid.clone(), "slack");
    a.platform_id = Some(bot_id.to_owned());
    a.bot = Some(true);
    a.display_name = name.map(str::to_owned);
    if let Some(p) = profile {
        a.extensions
            .insert(NS.into(), serde_json::json!({ "bot_profile": p }));
    }
    sink.account(a)?;
    Ok(aid)
}

fn attachment_kind(mime: Option<&str>) -> AttachmentKind {
    match mime {
        Some("image/gif") => AttachmentKind::Gif,
        Some(m) if m.starts_with("image/") => AttachmentKind::Image,
        Some(m) if m.starts_with("video/") => AttachmentKind::Video,
        Some(m) if m.starts_with("audio/") => AttachmentKind::Audio,
        _ => AttachmentKind::File,
    }
}

/// A `files[]` entry (or the older single `file`) as an attachment: copied when the export
/// holds the file (slackdump's `<channel>/attachments/<id>-<name>` or `__uploads/<id>/<name>`),
/// `missing` with Slack's reason when Slack withheld it, otherwise `remote` at `url_private`.
fn file_attachment(
    input: &Input,
    root: &str,
    place: &Place,
    f: Value,
    sink: &mut Sink,
) -> Result<Attachment, ImportError> {
    let mut f = match f {
        Value::Object(o) => o,
        other => {
            let mut a = Attachment::missing(
                AttachmentKind::File,
                Some("the export describes this file in a form chatport does not read".into()),
            );
            a.extensions.insert(NS.into(), other);
            return Ok(a);
        }
    };
    // Exports put the exporter's access token in file addresses (`?t=xoxe-…`): a credential,
    // not chat data, and dangerous in an archive that may be shared. It is removed, and counted.
    let mut removed = 0;
    for v in f.values_mut() {
        removed += strip_tokens(v);
    }
    if removed > 0 {
        sink.warn(
            "access-token-removed",
            "a file address carried the exporter's Slack access token (t=xox…); the token was removed from the archive",
            format!("{}#{}", input.display(place.file), place.pointer),
        );
    }
    let mime = take_str(&mut f, "mimetype").filter(|m| !m.is_empty());
    let kind = attachment_kind(mime.as_deref());
    let name = take_str(&mut f, "name");
    let id = get_str(&f, "id").map(str::to_owned);
    let withheld = ["file_access", "mode"].iter().find_map(|k| {
        get_str(&f, k)
            .filter(|v| {
                matches!(
                    *v,
                    "hidden_by_limit" | "tombstone" | "file_not_found" | "access_denied"
                )
            })
            .map(str::to_owned)
    });
    let local = match (&withheld, &id, &name) {
        (None, Some(id), Some(name)) => [
            format!("{root}{}/attachments/{id}-{name}", place.folder),
            format!("{root}__uploads/{id}/{name}"),
        ]
        .into_iter()
        .find_map(|p| input.entry(&p).map(|e| e.name.clone())),
        _ => None,
    };
    let mut a = if let Some(reason) = withheld {
        Attachment::missing(kind, Some(reason))
    } else if let Some(entry) = local {
        let mut a = sink.attach_entry(input, &entry, kind)?;
        a.url = take_str(&mut f, "url_private");
        a
    } else if let Some(url) = take_str(&mut f, "url_private").filter(|u| !u.is_empty()) {
        let mut a = Attachment::missing(kind, None);
        a.status = chatport_model::MediaStatus::Remote;
        a.url = Some(url);
        a
    } else {
        Attachment::missing(
            kind,
            Some("the export holds neither this file nor an address for it".into()),
        )
    };
    a.original_name = name.clone();
    a.mime_type = mime;
    a.width = f.get("original_w").and_then(Value::as_u64);
    a.height = f.get("original_h").and_then(Value::as_u64);
    if a.width.is_some() {
        f.remove("original_w");
    }
    if a.height.is_some() {
        f.remove("original_h");
    }
    if let Some(d) = f.get("duration_ms").and_then(Value::as_f64) {
        a.duration_seconds = Some(d / 1000.0);
        f.remove("duration_ms");
    }
    if let Some(t) = get_str(&f, "title").filter(|t| Some(*t) != name.as_deref()) {
        a.caption = Some(t.to_owned());
        f.remove("title");
    }
    if !f.is_empty() {
        a.extensions.insert(NS.into(), Value::Object(f));
    }
    Ok(a)
}

/// Removes `t=xox…` token parameters from the addresses in `v`; returns how many.
fn strip_tokens(v: &mut Value) -> usize {
    match v {
        Value::String(s) => match strip_token(s) {
            Some(clean) => {
                *s = clean;
                1
            }
            None => 0,
        },
        Value::Array(a) => a.iter_mut().map(strip_tokens).sum(),
        Value::Object(o) => o.values_mut().map(strip_tokens).sum(),
        _ => 0,
    }
}

fn strip_token(url: &str) -> Option<String> {
    let (base, query) = url.split_once('?')?;
    if !url.starts_with("http") {
        return None;
    }
    let params: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = params
        .iter()
        .copied()
        .filter(|p| !p.starts_with("t=xox"))
        .collect();
    if kept.len() == params.len() {
        return None;
    }
    Some(if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    })
}

/// A legacy `attachments[]` entry (integrations, unfurls) as an embed; the whole object is kept
/// under the embed's extensions, since its fields (pretext, fields, colour, ...) have no home.
fn legacy_embed(v: Value, names: &Names) -> Embed {
    let o = v.as_object();
    let s = |k: &str| o.and_then(|o| get_str(o, k)).map(str::to_owned);
    let image = s("image_url").or_else(|| s("thumb_url")).map(|u| {
        let mut a = Attachment::missing(AttachmentKind::Image, None);
        a.status = chatport_model::MediaStatus::Remote;
        a.url = Some(u);
        a
    });
    let mut e = Embed {
        url: s("title_link")
            .or_else(|| s("from_url"))
            .or_else(|| s("original_url")),
        title: s("title").map(|t| text::mrkdwn(&t, names).text),
        description: s("text").map(|t| text::mrkdwn(&t, names).text),
        site_name: s("service_name"),
        image,
        extensions: Default::default(),
    };
    e.extensions.insert(NS.into(), v);
    e
}

/// Converts one message object. Returns `None` (after counting a skip) when it cannot become
/// a record.
pub(super) fn convert(
    ctx: &mut Ctx,
    input: &Input,
    sink: &mut Sink,
    place: &Place,
    ordinal: u64,
    value: Value,
) -> Result<Option<Message>, ImportError> {
    let location = format!("{}#{}", input.display(place.file), place.pointer);
    let mut o = match value {
        Value::Object(o) => o,
        _ => {
            sink.skip(
                "not-a-message",
                "an element of a message array is not a JSON object",
                location,
            );
            return Ok(None);
        }
    };
    let ts = take_str(&mut o, "ts");
    let time = ts.as_deref().and_then(ts_time);
    let id = match (&ts, &time) {
        (Some(ts), Some(_)) => slack_id(&format!("sl-m-{}-", place.key), ts),
        _ => {
            if let Some(ts) = &ts {
                o.insert("ts".into(), Value::String(ts.clone()));
            }
            sink.warn(
                "message-without-ts",
                "a message has no usable ts (Slack's id and time for it); it was given an id made from its place in the export and no time",
                location.clone(),
            );
            chatport_model::ids::derive_id(
                &format!("sl-m-{}-", place.key),
                &[place.file, &place.pointer],
            )
        }
    };
    if sink.is_defined(&id) {
        sink.skip(
            "duplicate-message",
            "a message with the same channel and ts was already imported (an overlapping day file); the later copy is left out",
            location,
        );
        return Ok(None);
    }
    let mut m = Message::new(id, place.conversation, ordinal);
    m.platform_id = if time.is_some() { ts.clone() } else { None };
    m.time = time;
    m.origin = sink.origin_pointer(place.file, place.pointer.clone());

    if o.get("type").and_then(Value::as_str) == Some("message") {
        o.remove("type");
    }
    let subtype = take_str(&mut o, "subtype");
    let event_subtype = subtype
        .as_deref()
        .filter(|s| !MESSAGE_SUBTYPES.contains(s))
        .map(str::to_owned);
    if let Some(s) = &subtype
        && event_subtype.is_none()
    {
        o.insert("subtype".into(), Value::String(s.clone()));
    }

    // The sender: a user, else the bot, else (old file_share and file_comment messages carry
    // no `user`) the commenter or the uploader of the shared file.
    if let Some(user) = take_str(&mut o, "user").filter(|u| !u.is_empty()) {
        m.sender = Some(ensure_user(sink, &user, &location)?);
    }
    let username = take_str(&mut o, "username").filter(|u| !u.is_empty());
    if m.sender.is_none()
        && let Some(bot) = take_str(&mut o, "bot_id").filter(|b| !b.is_empty())
    {
        let name = o
            .get("bot_profile")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .or(username.as_deref());
        m.sender = Some(ensure_bot(sink, &bot, name, o.get("bot_profile"))?);
    }
    if m.sender.is_none() && matches!(subtype.as_deref(), Some("file_share" | "file_comment")) {
        let uploader = o
            .get("comment")
            .or_else(|| o.get("file"))
            .or_else(|| o.get("files").and_then(|f| f.get(0)))
            .and_then(|f| f.get("user"))
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        if let Some(u) = uploader {
            m.sender = Some(ensure_user(sink, &u, &location)?);
        }
    }
    m.sender_name = username.or_else(|| {
        o.get("user_profile").and_then(|p| {
            ["display_name", "real_name"]
                .iter()
                .find_map(|k| p.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()))
                .map(str::to_owned)
        })
    });

    // Text: the rich_text blocks when they render fully and say what `text` says, else mrkdwn.
    let raw_text = take_str(&mut o, "text");
    let from_mrkdwn = raw_text.as_deref().map(|t| text::mrkdwn(t, &ctx.names));
    let blocks = o.remove("blocks");
    let from_blocks = match &blocks {
        Some(Value::Array(b)) => text::blocks(b, &ctx.names).filter(|r| match &from_mrkdwn {
            Some(md) => text::consistent(&r.text, &md.text),
            None => true,
        }),
        _ => None,
    };
    let rich: Option<Rich> = match from_blocks {
        Some(r) => {
            for s in &r.spans {
                if s.kind == chatport_model::SpanKind::CustomEmoji
                    && let Some(n) = &s.name
                {
                    ctx.custom_emoji.insert(n.clone());
                }
            }
            if let Some(raw) = &raw_text
                && from_mrkdwn.as_ref().is_some_and(|md| md.text != r.text)
            {
                o.insert("text".into(), Value::String(raw.clone()));
            }
            Some(r)
        }
        None => {
            match blocks {
                Some(Value::Null) | None => {}
                Some(b) => {
                    o.insert("blocks".into(), b);
                }
            }
            from_mrkdwn
        }
    };
    if let Some(r) = rich {
        for s in &r.spans {
            if let Some(a) = &s.account
                && !sink.has_account(a)
            {
                let raw = a.strip_prefix("sl-u-").unwrap_or(a).to_owned();
                ensure_user(sink, &raw, &location)?;
            }
        }
        m.spans = r.spans;
        m.text = Some(r.text);
    }

    if let Some(Value::Object(mut e)) = o.remove("edited") {
        let t = e.remove("ts");
        let time = t.as_ref().and_then(Value::as_str).and_then(ts_time);
        if time.is_none()
            && let Some(t) = t
        {
            e.insert("ts".into(), t);
        }
        let by = match e.get("user").and_then(Value::as_str) {
            Some(u) if !u.is_empty() => {
                let u = u.to_owned();
                e.remove("user");
                Some(ensure_user(sink, &u, &location)?)
            }
            _ => None,
        };
        m.edited = Some(Box::new(Edit {
            by,
            time,
            history: Vec::new(),
        }));
        if !e.is_empty() {
            o.insert("edited".into(), Value::Object(e));
        }
    }

    if let Some(Value::Array(rs)) = o.get("reactions") {
        let mut out = Vec::new();
        let mut whole = true;
        for r in rs {
            let Some(name) = r.get("name").and_then(Value::as_str) else {
                whole = false;
                continue;
            };
            let mut by = Vec::new();
            for u in r
                .get("users")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match u.as_str() {
                    Some(u) => by.push(Reactor {
                        account: Some(ensure_user(sink, u, &location)?),
                        name: None,
                        time: None,
                    }),
                    // Not a user id: the reaction is kept whole under extensions.
                    None => whole = false,
                }
            }
            if r.as_object().is_some_and(|r| {
                r.keys()
                    .any(|k| !matches!(k.as_str(), "name" | "users" | "count"))
            }) {
                whole = false;
            }
            out.push(Reaction {
                extensions: Default::default(),
                emoji: format!(":{name}:"),
                custom: ctx.custom_emoji.contains(name).then_some(true),
                custom_id: None,
                count: r.get("count").and_then(Value::as_u64),
                by,
            });
        }
        m.reactions = out;
        if whole {
            o.remove("reactions");
        }
    }

    let mut files = Vec::new();
    // Each file with the JSON pointer it has in the source, for the report.
    if let Some(f) = o.remove("file") {
        files.push((f, format!("{location}/file")));
    }
    match o.remove("files") {
        Some(Value::Array(fs)) => files.extend(
            fs.into_iter()
                .enumerate()
                .map(|(i, f)| (f, format!("{location}/files/{i}"))),
        ),
        Some(other) => {
            o.insert("files".into(), other);
        }
        None => {}
    }
    for (f, file_location) in files {
        let a = file_attachment(input, &ctx.root, place, f, sink)?;
        if a.status == chatport_model::MediaStatus::Missing
            && a.missing_reason.as_deref() != Some(crate::NOT_COPIED)
        {
            sink.warn(
                "file-not-in-export",
                "Slack withheld a file (hidden_by_limit, tombstone, ...) or the export has no trace of it; kept as a missing attachment",
                file_location,
            );
        }
        m.attachments.push(a);
    }
    match o.remove("attachments") {
        Some(Value::Array(atts)) => {
            // A shared (forwarded) message arrives as an attachment marked `is_share` or
            // `is_msg_unfurl`, with the original's author and ts; it stays an embed too.
            for a in &atts {
                let shared = ["is_share", "is_msg_unfurl"]
                    .iter()
                    .any(|k| a.get(*k) == Some(&Value::Bool(true)));
                if m.forwarded.is_none() && shared {
                    let s = |k: &str| a.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
                    let account = match s("author_id") {
                        Some(u) => Some(ensure_user(sink, u, &location)?),
                        None => None,
                    };
                    m.forwarded = Some(Box::new(Forward {
                        account,
                        from_name: s("author_name").or(s("author_subname")).map(str::to_owned),
                        time: s("ts").and_then(ts_time),
                        platform_id: s("ts").map(str::to_owned),
                    }));
                }
            }
            m.embeds = atts
                .into_iter()
                .map(|a| legacy_embed(a, &ctx.names))
                .collect();
        }
        Some(other) => {
            o.insert("attachments".into(), other);
        }
        None => {}
    }

    if let Some(thread_ts) = get_str(&o, "thread_ts").map(str::to_owned)
        && Some(&thread_ts) != ts.as_ref()
    {
        o.remove("thread_ts");
        let root = slack_id(&format!("sl-m-{}-", place.key), &thread_ts);
        m.thread = Some(Box::new(ThreadRef {
            root: sink.is_defined(&root).then_some(root),
            platform_id: Some(thread_ts),
            broadcast: matches!(
                subtype.as_deref(),
                Some("thread_broadcast" | "reply_broadcast")
            )
            .then_some(true),
        }));
    }
    if o.get("pinned_to")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty())
    {
        m.pinned = Some(true);
    }

    if subtype.as_deref() == Some("tombstone") {
        m.deleted = Some(Box::new(Deletion {
            time: None,
            by: None,
            placeholder: m.text.take(),
        }));
        m.spans.clear();
    }

    if let Some(kind) = event_subtype {
        let mut ev = Event {
            kind: EventKind::Other,
            platform_kind: Some(kind.clone()),
            actor: m.sender.clone(),
            ..Event::new(EventKind::Other)
        };
        let base = kind
            .strip_prefix("channel_")
            .or_else(|| kind.strip_prefix("group_"));
        match (base, kind.as_str()) {
            (Some("join"), _) => {
                ev.kind = EventKind::Joined;
                if let Some(inviter) = take_str(&mut o, "inviter").filter(|i| !i.is_empty()) {
                    ev.kind = EventKind::Added;
                    ev.actor = Some(ensure_user(sink, &inviter, &location)?);
                    ev.targets = m.sender.iter().cloned().collect();
                }
            }
            (Some("leave"), _) => ev.kind = EventKind::Left,
            (Some("topic"), _) => {
                ev.kind = EventKind::DescriptionChanged;
                ev.new_value = take_str(&mut o, "topic").map(|t| text::unescape(&t));
            }
            (Some("purpose"), _) => {
                ev.kind = EventKind::DescriptionChanged;
                ev.new_value = take_str(&mut o, "purpose").map(|t| text::unescape(&t));
            }
            (Some("name"), _) => {
                ev.kind = EventKind::Renamed;
                ev.old_value = take_str(&mut o, "old_name");
                ev.new_value = take_str(&mut o, "name");
            }
            (_, "pinned_item" | "unpinned_item") => {
                ev.kind = if kind == "pinned_item" {
                    EventKind::Pinned
                } else {
                    EventKind::Unpinned
                };
                // The pinned message, when the export names it and it was written already.
                let pinned = o
                    .get("item")
                    .and_then(|i| i.get("ts"))
                    .and_then(Value::as_str)
                    .map(|t| slack_id(&format!("sl-m-{}-", place.key), t));
                ev.message = pinned.filter(|id| sink.is_defined(id));
            }
            _ => {}
        }
        m.event = Some(Box::new(ev));
    }

    if !o.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(o));
    }
    Ok(Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_leave_file_addresses() {
        assert_eq!(
            strip_token("https://files.slack.com/files-pri/T1-F1/a.png?t=xoxe-123-abc").as_deref(),
            Some("https://files.slack.com/files-pri/T1-F1/a.png")
        );
        assert_eq!(
            strip_token("https://x.test/a?v=1&t=xoxp-9&w=2").as_deref(),
            Some("https://x.test/a?v=1&w=2")
        );
        assert_eq!(strip_token("https://x.test/a?t=other"), None);
        let mut v = serde_json::json!({"thumb_64": "https://x.test/t?t=xoxe-1", "n": 3});
        assert_eq!(strip_tokens(&mut v), 1);
        assert_eq!(v["thumb_64"], "https://x.test/t");
    }
}

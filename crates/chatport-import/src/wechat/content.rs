//! What a WeChat message's type code and content column say, mapped onto a [`Message`]. Shared by
//! the CSV (raw database content, often XML) and WeFlow JSON (content as WeFlow rendered it)
//! readers. The raw content is kept by the caller whenever the message's text is not it.
//!
//! Type codes (WeChat's own, as the CSV's `Type`/`SubType` columns give them): 1 text, 3 image,
//! 34 voice, 42 contact card, 43 video, 47 sticker, 48 location, 49 app message (its `SubType`
//! or `<appmsg><type>`: 3 music, 4/5 link, 6 file, 19 chat record, 33/36 mini program, 57 quote,
//! 2000 transfer, 2001 red packet), 50 call, 10000 system line, 10002 system XML (revokes, pats).

use super::xml;
use crate::{ImportError, Input, Sink};
use chatport_model::{
    Attachment, AttachmentKind, Call, CallMedia, CallOutcome, Contact, Deletion, Embed, Event,
    EventKind, Location, MediaStatus, Message, Reply,
};
use serde_json::{Map, Value};

/// Where media paths are resolved, and how to name the row in warnings.
pub(crate) struct Ctx<'a> {
    pub input: &'a Input,
    /// The folder of the file that names the media (`""` for the top).
    pub base: &'a str,
    /// `file:line` or `file#/pointer` of the row.
    pub location: String,
}

/// The placeholder a WeChat revoke line shows, without the "re-edit" link WeChat adds for the
/// sender.
pub(crate) fn revoke_placeholder(content: &str) -> Option<String> {
    let t = content.trim();
    let is_revoke = t.contains("revoke")
        || t.contains("撤回了一条消息")
        || t.contains("recalled a message")
        || t.contains("撤回了一條訊息");
    if !is_revoke {
        return None;
    }
    if t.starts_with("<sysmsg") {
        return xml::text_nonempty(t, "replacemsg")
            .or_else(|| xml::text_nonempty(t, "content"))
            .map(|s| xml::strip_tags(&s).trim().to_owned());
    }
    // `<![CDATA[你撤回了一条消息 <a href="weixin://revoke_edit_click">重新编辑</a>]]>`: the
    // link is a button, not part of what the conversation showed.
    let mut s = t.to_owned();
    if let Some(i) = s.find("<a ")
        && let Some(j) = s[i..].find("</a>")
    {
        s.replace_range(i..i + j + 4, "");
    }
    let s = xml::strip_tags(&s).trim().to_owned();
    Some(s)
}

/// A relative media path the exporter wrote in place of the content (`image/….jpg`).
fn media_path(content: &str) -> Option<&str> {
    let t = content.trim();
    if t.is_empty() || t.len() > 1024 || t.contains(['<', '\n', '\r']) {
        return None;
    }
    let folder = [
        "image/", "voice/", "video/", "file/", "emoji/", "audio/", "avatar/",
    ];
    let lower = t.to_ascii_lowercase().replace('\\', "/");
    let lower = lower.trim_start_matches("./");
    if folder.iter().any(|f| lower.starts_with(f)) {
        return Some(t);
    }
    None
}

fn missing(kind: AttachmentKind, reason: &str) -> Attachment {
    Attachment::missing(kind, Some(reason.to_owned()))
}

fn parse_u64(s: Option<String>) -> Option<u64> {
    s.and_then(|v| v.trim().parse().ok())
}

/// Fills `m` from the content of a message of type `type_`/`sub`. `ext` collects what the model
/// has no field for.
pub(crate) fn apply(
    m: &mut Message,
    ext: &mut Map<String, Value>,
    type_: i64,
    sub: i64,
    content: &str,
    ctx: &Ctx<'_>,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let is_xml = xml::looks_like_xml(content);
    let media = |kind: AttachmentKind, sink: &mut Sink| -> Result<Attachment, ImportError> {
        match media_path(content) {
            Some(p) => {
                let p = p.replace('\\', "/");
                sink.attach_relative(ctx.input, ctx.base, &p, kind, || ctx.location.clone())
            }
            None if is_xml => Ok(missing(
                kind,
                "the export keeps only WeChat's description of the file, not the file",
            )),
            None => Ok(missing(kind, "the export does not include the file")),
        }
    };
    match type_ {
        1 => {
            if !content.is_empty() {
                m.text = Some(content.to_owned());
            }
        }
        3 => {
            let mut a = media(AttachmentKind::Image, sink)?;
            if is_xml {
                a.size = a.size.or(parse_u64(xml::attr(content, "img", "length")));
            }
            m.attachments.push(a);
        }
        34 => {
            let mut a = media(AttachmentKind::Voice, sink)?;
            if is_xml {
                a.duration_seconds = parse_u64(xml::attr(content, "voicemsg", "voicelength"))
                    .map(|ms| ms as f64 / 1000.0);
                a.size = a
                    .size
                    .or(parse_u64(xml::attr(content, "voicemsg", "length")));
            }
            m.attachments.push(a);
        }
        43 | 62 => {
            let mut a = media(AttachmentKind::Video, sink)?;
            if is_xml {
                a.duration_seconds =
                    parse_u64(xml::attr(content, "videomsg", "playlength")).map(|s| s as f64);
                a.size = a
                    .size
                    .or(parse_u64(xml::attr(content, "videomsg", "length")));
            }
            m.attachments.push(a);
        }
        47 => {
            let mut a = media(AttachmentKind::Sticker, sink)?;
            if is_xml {
                a.width = parse_u64(xml::attr(content, "emoji", "width"));
                a.height = parse_u64(xml::attr(content, "emoji", "height"));
                if a.status == MediaStatus::Missing
                    && let Some(url) = xml::attr(content, "emoji", "cdnurl")
                        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                {
                    a.status = MediaStatus::Remote;
                    a.missing_reason = None;
                    a.url = Some(url);
                }
            }
            m.attachments.push(a);
        }
        48 if is_xml => {
            let f = |n: &str| xml::attr(content, "location", n).filter(|s| !s.is_empty());
            let lat = f("x").and_then(|v| v.parse::<f64>().ok());
            let lon = f("y").and_then(|v| v.parse::<f64>().ok());
            let ok = |v: Option<f64>, r: f64| v.filter(|v| v.is_finite() && v.abs() <= r);
            m.location = Some(Box::new(Location {
                latitude: ok(lat, 90.0),
                longitude: ok(lon, 180.0),
                name: f("poiname"),
                address: f("label"),
                url: None,
                live_seconds: None,
            }));
        }
        42 if is_xml => {
            let name = xml::attr(content, "msg", "nickname").filter(|s| !s.is_empty());
            m.contact = Some(Box::new(Contact {
                name,
                phones: Vec::new(),
                emails: Vec::new(),
                vcard: None,
            }));
            if let Some(u) = xml::attr(content, "msg", "username").filter(|s| !s.is_empty()) {
                ext.insert("card_username".into(), Value::String(u));
            }
        }
        49 => app_message(m, ext, sub, content, is_xml, &media, sink, &ctx.location)?,
        50 => {
            let shown = if is_xml {
                xml::text_nonempty(content, "msg")
            } else {
                Some(content.to_owned()).filter(|s| !s.is_empty())
            };
            // WeChat's room_type (voice or video) is not documented well enough to map: kept.
            if let Some(r) = xml::text_nonempty(content, "room_type") {
                ext.insert("room_type".into(), Value::String(r.trim().to_owned()));
            }
            let media_kind = CallMedia::Unknown;
            let (outcome, duration) = call_outcome(shown.as_deref().unwrap_or(""));
            m.call = Some(Box::new(Call {
                media: media_kind,
                outcome,
                duration_seconds: duration,
                ended: None,
                participants: Vec::new(),
            }));
            m.text = shown;
        }
        10000 | 10002 => {
            if let Some(p) = revoke_placeholder(content) {
                m.deleted = Some(Box::new(Deletion {
                    time: None,
                    by: None,
                    placeholder: Some(p).filter(|s| !s.is_empty()),
                }));
            } else {
                m.event = Some(Box::new(system_event(type_, content, is_xml)));
            }
        }
        _ => {
            if !is_xml && !content.is_empty() {
                m.text = Some(content.to_owned());
            }
            sink.warn(
                "wechat-unknown-type",
                "a WeChat message type chatport does not map; its content and codes are kept under extensions",
                ctx.location.clone(),
            );
        }
    }
    // A media or card type whose content is plain text (WeFlow renders `[图片]`): the
    // attachment says what it was; the text is kept by the caller as the raw content.
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn app_message(
    m: &mut Message,
    ext: &mut Map<String, Value>,
    sub: i64,
    content: &str,
    is_xml: bool,
    media: &dyn Fn(AttachmentKind, &mut Sink) -> Result<Attachment, ImportError>,
    sink: &mut Sink,
    ctx_location: &str,
) -> Result<(), ImportError> {
    // The quoted message sits inside <appmsg>; the card's own fields are read without it.
    let refer = xml::inner(content, "refermsg");
    let own: String = match refer {
        Some(r) => content.replacen(r, "", 1),
        None => content.to_owned(),
    };
    let own = own.as_str();
    let sub = if sub > 0 {
        sub
    } else {
        xml::text(own, "type")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    };
    if !is_xml {
        // Not XML: WeFlow's rendering, or the database's empty column (the card itself is in a
        // compressed column the exporter did not write).
        match sub {
            6 => m.attachments.push(media(AttachmentKind::File, sink)?),
            2000 | 2001 => {
                let kind = if sub == 2000 {
                    "transfer"
                } else {
                    "red_packet"
                };
                m.event = Some(Box::new(Event {
                    platform_kind: Some(format!("appmsg:{kind}")),
                    text: Some(content.to_owned()).filter(|s| !s.is_empty()),
                    ..Event::new(EventKind::Other)
                }));
            }
            _ if !content.is_empty() => m.text = Some(content.to_owned()),
            _ => {}
        }
        if content.is_empty() {
            sink.warn(
                "wechat-card-not-exported",
                "an app message (link, file, quote, transfer) with an empty content column: WeChat keeps these cards in a compressed column the CSV does not include; only its type codes are kept",
                ctx_location.to_owned(),
            );
        }
        return Ok(());
    }
    let title = xml::text_nonempty(own, "title");
    let des = xml::text_nonempty(own, "des");
    let url = xml::text_nonempty(own, "url").or_else(|| xml::text_nonempty(own, "lowurl"));
    let site =
        xml::text_nonempty(own, "sourcedisplayname").or_else(|| xml::text_nonempty(own, "appname"));
    match sub {
        57 => {
            m.text = title;
            let r = refer.unwrap_or("");
            let refer_type: i64 = xml::text(r, "type")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            let quoted = xml::text_nonempty(r, "content").map(|c| {
                if refer_type == 1 || !xml::looks_like_xml(&c) {
                    c
                } else {
                    // The quoted message's own XML: its title where it has one.
                    xml::text_nonempty(&c, "title").unwrap_or(c)
                }
            });
            m.reply_to = Some(Box::new(Reply {
                message: None,
                platform_id: None,
                quote: quoted,
                sender_name: xml::text_nonempty(r, "displayname"),
            }));
            let mut q = Map::new();
            for k in ["svrid", "type", "chatusr", "fromusr", "createtime"] {
                if let Some(v) = xml::text_nonempty(r, k) {
                    q.insert(k.into(), Value::String(v));
                }
            }
            if !q.is_empty() {
                ext.insert("refermsg".into(), Value::Object(q));
            }
        }
        6 => {
            let mut a = media(AttachmentKind::File, sink)?;
            a.original_name = a.original_name.or(title);
            a.size = a.size.or(parse_u64(xml::text(own, "totallen")));
            m.attachments.push(a);
        }
        19 | 40 => {
            // A bundle of forwarded messages: its title and the summary WeChat shows.
            m.text = match (title, des) {
                (Some(t), Some(d)) => Some(format!("{t}\n{d}")),
                (t, d) => t.or(d),
            };
        }
        2000 | 2001 => {
            let kind = if sub == 2000 {
                "transfer"
            } else {
                "red_packet"
            };
            let shown = xml::text_nonempty(own, "feedesc")
                .map(|f| match &des {
                    Some(d) => format!("{d} {f}"),
                    None => f,
                })
                .or(des)
                .or_else(|| xml::text_nonempty(own, "sendertitle"))
                .or(title.clone());
            m.event = Some(Box::new(Event {
                platform_kind: Some(format!("appmsg:{kind}")),
                text: shown,
                new_value: None,
                ..Event::new(EventKind::Other)
            }));
            if let Some(t) = title {
                ext.insert("title".into(), Value::String(t));
            }
            for k in ["paysubtype", "feedesc", "transferid", "sendertitle"] {
                if let Some(v) = xml::text_nonempty(own, k) {
                    ext.insert(k.into(), Value::String(v));
                }
            }
        }
        _ => {
            if url.is_some() || matches!(sub, 3 | 4 | 5 | 33 | 36) {
                m.embeds.push(Embed {
                    url,
                    title,
                    description: des,
                    site_name: site,
                    image: None,
                    extensions: Default::default(),
                });
            } else {
                m.text = match (title, des) {
                    (Some(t), Some(d)) => Some(format!("{t}\n{d}")),
                    (t, d) => t.or(d),
                };
            }
        }
    }
    Ok(())
}

/// `通话时长 01:02` and the other call lines WeChat shows.
fn call_outcome(shown: &str) -> (Option<CallOutcome>, Option<f64>) {
    let s = shown.trim();
    if let Some(rest) = s
        .strip_prefix("通话时长")
        .or_else(|| s.strip_prefix("Duration:"))
        .or_else(|| s.strip_prefix("Call duration:"))
    {
        let parts: Vec<f64> = rest
            .trim()
            .split(':')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        let secs = parts.iter().fold(0.0, |acc, p| acc * 60.0 + p);
        return (
            Some(CallOutcome::Answered),
            (!parts.is_empty()).then_some(secs),
        );
    }
    let outcome = if s.contains("已取消") || s.contains("Canceled") || s.contains("Cancelled") {
        Some(CallOutcome::Cancelled)
    } else if s.contains("拒绝") || s.contains("Declined") {
        Some(CallOutcome::Declined)
    } else if s.contains("未接听") || s.contains("无应答") || s.contains("Missed") {
        Some(CallOutcome::Missed)
    } else if s.contains("忙线") || s.contains("Busy") {
        Some(CallOutcome::Busy)
    } else {
        None
    };
    (outcome, None)
}

/// A system line (10000) or system XML (10002) as an event; the few WeChat phrases with a clear
/// meaning get their kind, everything else is `other` with the line kept.
pub(crate) fn system_event(type_: i64, content: &str, is_xml: bool) -> Event {
    if type_ == 10002 || content.trim_start().starts_with("<sysmsg") {
        let kind = xml::attr(content, "sysmsg", "type").unwrap_or_default();
        let shown = xml::text_nonempty(content, "template")
            .or_else(|| xml::text_nonempty(content, "content"))
            .map(|s| xml::strip_tags(&s).trim().to_owned());
        return Event {
            platform_kind: Some(if kind.is_empty() {
                "sysmsg".to_owned()
            } else {
                format!("sysmsg:{kind}")
            }),
            text: shown,
            ..Event::new(EventKind::Other)
        };
    }
    let shown = if is_xml {
        xml::strip_tags(content).trim().to_owned()
    } else {
        content.trim().to_owned()
    };
    let mut e = Event {
        platform_kind: Some(type_.to_string()),
        text: Some(shown.clone()).filter(|s| !s.is_empty()),
        ..Event::new(EventKind::Other)
    };
    let unquote = |s: &str| {
        s.trim()
            .trim_matches(|c| matches!(c, '"' | '“' | '”' | '「' | '」'))
            .to_owned()
    };
    if let Some(i) = shown.find("修改群名为") {
        e.kind = EventKind::Renamed;
        e.new_value = Some(unquote(&shown[i + "修改群名为".len()..]));
    } else if let Some(head) = shown.strip_suffix("加入了群聊") {
        match head.find("邀请") {
            Some(i) => {
                e.kind = EventKind::Added;
                e.target_names = head[i + "邀请".len()..]
                    .split('、')
                    .map(unquote)
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            None => e.kind = EventKind::Joined,
        }
    } else if shown.contains("移出了群聊") || shown.contains("移出群聊") {
        e.kind = EventKind::Removed;
    } else if shown.contains("拍了拍") {
        e.platform_kind = Some("10000:pat".into());
    }
    e
}

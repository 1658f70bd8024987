//! WeFlow JSON, one chat per file, as ChatLab's WeFlow parser reads it:
//!
//! ```json
//! {"weflow": {"version": "…", "exportedAt": …},
//!  "session": {"wxid": "…@chatroom", "nickname": "…", "remark": "…", "displayName": "…",
//!              "type": "群聊" | "私聊", "lastTimestamp": …, "messageCount": …, "avatar": "data:…"},
//!  "avatars": {"<wxid>": "data:image/…;base64,…"},
//!  "messages": [{"localId": 1, "createTime": 1700000000, "formattedTime": "2023-11-15 06:13:20",
//!                "type": "文本消息", "localType": 1, "content": "…", "isSend": 1 | 0 | null,
//!                "senderUsername": "wxid_…", "senderDisplayName": "…",
//!                "senderAvatarKey": "…", "source": "…"}]}
//! ```
//!
//! `type` is a Chinese label (文本消息, 图片消息, 引用消息, 系统消息, …) and decides the mapping;
//! `localType` (WeChat's code, which ChatLab finds unreliable) is used only for labels chatport
//! does not know. `isSend` null marks system messages. The file is read twice: once for
//! everything but `messages`, then streaming `messages` one element at a time. The base64
//! avatars are not kept (the model takes avatars as files).

use super::content::{self, Ctx};
use super::{Chat, NS, folder_of};
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::Message;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::io::{BufReader, Read};

/// `{"weflow": {` near the start of a JSON object.
pub(super) fn looks_like(b: &[u8]) -> bool {
    let t = b.trim_ascii_start();
    if !t.starts_with(b"{") {
        return false;
    }
    let Some(i) = memchr::memmem::find(t, b"\"weflow\"") else {
        return false;
    };
    let rest = t[i + 8..].trim_ascii_start();
    rest.strip_prefix(b":")
        .is_some_and(|r| r.trim_ascii_start().starts_with(b"{"))
}

#[derive(Default)]
struct Head {
    weflow: Option<Value>,
    session: Option<Value>,
    avatars: bool,
    messages: bool,
    other: Map<String, Value>,
}

struct HeadSeed<'a>(&'a mut Head);

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a WeFlow export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "weflow" => self.0.weflow = Some(map.next_value()?),
                "session" => self.0.session = Some(map.next_value()?),
                "avatars" => {
                    map.next_value::<IgnoredAny>()?;
                    self.0.avatars = true;
                }
                "messages" => {
                    map.next_value::<IgnoredAny>()?;
                    self.0.messages = true;
                }
                _ => {
                    let v: Value = map.next_value()?;
                    self.0.other.insert(k, v);
                }
            }
        }
        Ok(())
    }
}

struct Run<'a> {
    input: &'a Input,
    name: &'a str,
    shown: String,
    options: &'a ImportOptions,
    sink: &'a mut Sink,
    chat: &'a mut Chat,
    offsets: &'a mut std::collections::BTreeSet<i64>,
    failed: Option<ImportError>,
}

struct BodySeed<'a, 'b>(&'b mut Run<'a>);

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a WeFlow export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if k == "messages" {
                map.next_value_seed(MessagesSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct MessagesSeed<'a, 'b>(&'b mut Run<'a>);

impl<'de> DeserializeSeed<'de> for MessagesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MessagesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(e) = message(self.0, i, v) {
                self.0.failed = Some(e);
                return Err(de::Error::custom("stopped"));
            }
            i += 1;
        }
        Ok(())
    }
}

fn json_error(shown: &str, e: &serde_json::Error) -> ImportError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    ImportError::invalid(
        format!("{shown}:{}:{}", e.line(), e.column()),
        format!("not a readable WeFlow JSON export: {msg}"),
    )
}

fn reader<'a>(r: &'a mut dyn Read) -> impl Read + 'a {
    // A BOM, which serde_json does not accept, is skipped.
    let mut first = [0u8; 3];
    let n = r.read(&mut first).unwrap_or(0);
    let keep = if n == 3 && first == *b"\xEF\xBB\xBF" {
        Vec::new()
    } else {
        first[..n].to_vec()
    };
    BufReader::with_capacity(256 << 10, std::io::Cursor::new(keep).chain(r))
}

fn str_of<'v>(o: &'v Map<String, Value>, k: &str) -> Option<&'v str> {
    o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(super) fn import_file(
    input: &Input,
    name: &str,
    options: &ImportOptions,
    sink: &mut Sink,
    offsets: &mut std::collections::BTreeSet<i64>,
) -> Result<(), ImportError> {
    let shown = input.display(name);
    input.expect_passes(2);
    let mut head = Head::default();
    input.read_entry(name, |r| {
        let mut de = serde_json::Deserializer::from_reader(reader(r));
        HeadSeed(&mut head)
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| json_error(&shown, &e))
    })?;
    if !head.messages {
        return Err(ImportError::invalid(
            format!("{shown}#/messages"),
            "no messages array: not a WeFlow JSON export",
        ));
    }
    let empty = Map::new();
    let session = head
        .session
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let wxid = str_of(session, "wxid");
    let title = str_of(session, "displayName")
        .or_else(|| str_of(session, "remark"))
        .or_else(|| str_of(session, "nickname"))
        .map(str::to_owned);
    let group = match str_of(session, "type") {
        Some("群聊") => Some(true),
        Some("私聊") => Some(false),
        _ => wxid.map(|w| w.ends_with("@chatroom")),
    };
    let mut chat = Chat::start(input, name, wxid, title, sink)?;
    {
        // What the session says beyond id, title and kind, and the file's other top-level
        // keys, go to the conversation's extensions (the avatar picture excepted).
        let mut ext = Map::new();
        for (k, v) in session {
            if !matches!(k.as_str(), "wxid" | "avatar") {
                ext.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &head.other {
            ext.insert(k.clone(), v.clone());
        }
        if let Some(c) = sink.conversation_mut(&chat.conv)
            && !ext.is_empty()
        {
            c.extensions.insert(NS.into(), Value::Object(ext));
        }
    }
    if let Some(w) = head.weflow.as_ref().and_then(Value::as_object) {
        let src = sink.source_mut();
        src.exporter_version = w.get("version").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        src.exported = match w.get("exportedAt") {
            Some(Value::Number(n)) => n.as_i64().and_then(|n| {
                // Seconds or milliseconds.
                crate::times::unix_seconds(if n > 100_000_000_000 { n / 1000 } else { n })
            }),
            Some(Value::String(s)) => crate::times::instant_text(s),
            _ => None,
        };
    }
    if head.avatars || session.contains_key("avatar") {
        sink.warn(
            "wechat-avatars-not-kept",
            "WeFlow's base64 avatars are not kept (the archive takes avatars as files)",
            format!("{shown}#/avatars"),
        );
    }
    let mut run = Run {
        input,
        name,
        shown: shown.clone(),
        options,
        sink,
        chat: &mut chat,
        offsets,
        failed: None,
    };
    input.read_entry(name, |r| {
        let mut de = serde_json::Deserializer::from_reader(reader(r));
        let res = BodySeed(&mut run)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        match (res, run.failed.take()) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(json_error(&shown, &e)),
            (Ok(()), None) => Ok(()),
        }
    })?;
    chat.finish(sink, group);
    Ok(())
}

/// WeFlow's Chinese type label as WeChat's type and app-message subtype.
fn type_code(label: &str, local_type: Option<i64>) -> (i64, i64) {
    match label {
        "文本消息" => (1, 0),
        "图片消息" => (3, 0),
        "语音消息" => (34, 0),
        "视频消息" => (43, 0),
        "动画表情" => (47, 0),
        "名片消息" => (42, 0),
        "位置消息" => (48, 0),
        "文件消息" => (49, 6),
        "卡片式链接" | "图文消息" => (49, 5),
        "引用消息" => (49, 57),
        "聊天记录合并转发" => (49, 19),
        "转账卡片" => (49, 2000),
        "红包卡片" => (49, 2001),
        "小程序分享" => (49, 33),
        "视频号直播卡片" => (49, 63),
        "通话消息" | "语音通话" | "视频通话" => (50, 0),
        "系统消息" => (10000, 0),
        _ => (local_type.unwrap_or(-1), 0),
    }
}

fn message(run: &mut Run<'_>, i: usize, v: Value) -> Result<(), ImportError> {
    let sink = &mut *run.sink;
    sink.source_message();
    let pointer = format!("/messages/{i}");
    let loc = format!("{}#{pointer}", run.shown);
    let Value::Object(mut o) = v else {
        sink.skip(
            "wechat-weflow-not-a-message",
            "an element of messages that is not an object",
            loc,
        );
        return Ok(());
    };
    let take_str = |o: &mut Map<String, Value>, k: &str| -> Option<String> {
        match o.remove(k) {
            Some(Value::String(s)) => Some(s),
            Some(Value::Null) | None => None,
            Some(other) => {
                o.insert(k.to_owned(), other);
                None
            }
        }
    };
    let local_id = match o.remove("localId") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s,
        Some(other) => {
            o.insert("localId".into(), other);
            String::new()
        }
        None => String::new(),
    };
    let created = o.get("createTime").and_then(Value::as_i64);
    if created.is_some() {
        o.remove("createTime");
    }
    let formatted = take_str(&mut o, "formattedTime").unwrap_or_default();
    let label = take_str(&mut o, "type").unwrap_or_default();
    let local_type = o.get("localType").and_then(Value::as_i64);
    let body = match o.remove("content") {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => {
            // Not text: kept whole.
            o.insert("content".into(), other);
            String::new()
        }
    };
    let is_send = o.remove("isSend");
    let system = matches!(is_send, Some(Value::Null)) || label == "系统消息";
    let self_sent = is_send.as_ref().and_then(Value::as_i64) == Some(1);
    if let Some(v) = is_send.filter(|v| !v.is_null()) {
        o.insert("isSend".into(), v);
    }
    let username = take_str(&mut o, "senderUsername").unwrap_or_default();
    let display = take_str(&mut o, "senderDisplayName").unwrap_or_default();
    if let Some(k) = take_str(&mut o, "senderAvatarKey")
        && k != username
    {
        o.insert("senderAvatarKey".into(), Value::String(k));
    }
    if let Some(s) = take_str(&mut o, "source")
        && !s.is_empty()
    {
        o.insert("source".into(), Value::String(s));
    }

    let mut m = Message::new(
        String::new(),
        run.chat.conv.clone(),
        run.chat.next_ordinal(),
    );
    m.platform_id = Some(local_id.clone()).filter(|s| !s.is_empty());
    m.origin = sink.origin_pointer(run.name, pointer);
    m.time = match created.and_then(crate::times::unix_seconds) {
        Some(t) => {
            if let (Some(ct), Ok(dt)) = (created, formatted.trim().parse::<jiff::civil::DateTime>())
                && let Ok(local) = jiff::tz::Offset::UTC.to_timestamp(dt)
            {
                let diff = local.as_second() - ct;
                if diff % 900 == 0 && (-12 * 3600..=14 * 3600).contains(&diff) {
                    run.offsets.insert(diff);
                } else {
                    sink.warn(
                        "wechat-time-disagreement",
                        "createTime and formattedTime disagree by more than a zone offset; createTime is used, formattedTime kept as the original",
                        loc.clone(),
                    );
                }
            }
            Some(if formatted.is_empty() {
                t
            } else {
                t.with_original(formatted.clone())
            })
        }
        None => formatted
            .trim()
            .parse::<jiff::civil::DateTime>()
            .ok()
            .map(|dt| crate::times::local(dt, true, &formatted, run.options.tz.as_ref())),
    };
    let mut ext = Map::new();
    if !label.is_empty() {
        ext.insert("type".into(), Value::String(label.clone()));
    }
    if !system {
        m.sender = run.chat.sender(sink, &username, &display, "", self_sent)?;
        m.sender_name = Some(display.clone()).filter(|s| !s.is_empty());
    } else {
        for (k, v) in [
            ("senderUsername", &username),
            ("senderDisplayName", &display),
        ] {
            if !v.is_empty() {
                ext.insert(k.into(), Value::String(v.clone()));
            }
        }
    }
    let (type_, sub) = type_code(&label, local_type);
    let ctx = Ctx {
        input: run.input,
        base: folder_of(run.name),
        location: loc.clone(),
    };
    content::apply(&mut m, &mut ext, type_, sub, &body, &ctx, sink)?;
    if system && m.deleted.is_some() && self_sent {
        m.sender = run.chat.sender(sink, &username, &display, "", true)?;
    }
    let shown = [
        m.text.as_deref(),
        m.event.as_ref().and_then(|e| e.text.as_deref()),
        m.deleted.as_ref().and_then(|d| d.placeholder.as_deref()),
    ];
    if !body.is_empty() && !shown.contains(&Some(body.as_str())) {
        ext.insert("content".into(), Value::String(body));
    }
    for (k, v) in o {
        ext.insert(k, v);
    }
    if !ext.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(ext));
    }
    let key = run.chat.key.clone();
    if local_id.is_empty() {
        let idx = i.to_string();
        m.id = chatport_model::ids::derive_id(&format!("wx-m-{key}-"), &[&idx]);
        sink.message(&m)
    } else {
        super::csv::write(sink, &mut m, &key, &local_id, &loc)
    }
}

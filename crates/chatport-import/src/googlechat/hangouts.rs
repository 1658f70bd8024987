//! The legacy Hangouts archive, `Hangouts.json`: `{conversations: [{conversation: {...},
//! events: [...]}]}`, streamed.
//!
//! - `conversation.conversation` holds the type (`STICKY_ONE_TO_ONE`, `GROUP`), an optional
//!   `name`, `participant_data` (ids and a `fallback_name`, sometimes absent) and the exporting
//!   user's own state (`self_conversation_state.self_read_state.participant_id` names them).
//! - an event: `event_id`, `sender_id.gaia_id`, `timestamp` (microseconds since the epoch, UTC,
//!   as a string), `event_type`, and by type `chat_message` (segments `TEXT`, `LINK`,
//!   `LINE_BREAK` with `formatting`, attachments such as `PLUS_PHOTO` with an address),
//!   `hangout_event` (a call's start and end, with `hangout_duration_secs`),
//!   `conversation_rename` and `membership_change`.
//!
//! Every event becomes one message; event keys with no field in the model (`event_otr`,
//! `delivery_medium`, `self_event_state`, ...) are kept verbatim under the message's
//! `extensions["com.google.chat"]`, and the conversation's unmapped keys under the
//! conversation's. Takeouts from before 2015 used another layout (`conversation_state`): it is
//! refused with an error that says so.

use super::{NS, id_safe, json_error, json_keys, starts_object};
use crate::{ImportError, Input, Sink};
use chatport_model::{
    Account, Attachment, AttachmentKind, Call, CallMedia, Conversation, ConversationKind, Event,
    EventKind, Extensions, MediaStatus, Message, Precision, Span, SpanKind, Time,
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::io;

/// True when the first bytes of a file look like `Hangouts.json`: an object with
/// `conversations` whose entries carry Hangouts' keys, or the pre-2015 `conversation_state`.
pub(super) fn looks_like(head: &[u8]) -> bool {
    if !starts_object(head) {
        return false;
    }
    let keys = json_keys(head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    let first = keys.first().map(String::as_str);
    (has("conversations")
        && has("conversation_id")
        && (has("participant_data") || has("self_conversation_state") || has("event_id")))
        || (first == Some("conversation_state") && has("conversation_id"))
        || (first == Some("continuation_end_timestamp") && has("conversation_state"))
}

/// Imports one Hangouts JSON file.
pub(super) fn import_file(input: &Input, sink: &mut Sink, file: &str) -> Result<(), ImportError> {
    let shown = input.display(file);
    sink.source_mut().files.push(file.to_owned());
    let mut ctx = Ctx {
        sink,
        file: file.to_owned(),
        shown: shown.clone(),
        failure: None,
        accounts: HashSet::new(),
        conversations: 0,
        saw_conversations: false,
    };
    input.read_entry(file, |r| {
        let reader = io::BufReader::with_capacity(64 << 10, r);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let result = (&mut de)
            .deserialize_any(RootVisitor { ctx: &mut ctx })
            .and_then(|()| de.end());
        if let Some(f) = ctx.failure.take() {
            return Err(f);
        }
        result.map_err(|e| json_error(&shown, &e, "Hangouts.json"))
    })?;
    if !ctx.saw_conversations {
        return Err(ImportError::invalid(
            format!("{shown}#"),
            "no \"conversations\" array: not a Hangouts.json from Google Takeout",
        ));
    }
    Ok(())
}

struct Ctx<'a> {
    sink: &'a mut Sink,
    file: String,
    shown: String,
    failure: Option<ImportError>,
    /// Accounts added so far (ids), to add a sender with no participant data once.
    accounts: HashSet<String>,
    /// Conversations met so far.
    conversations: usize,
    saw_conversations: bool,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&mut self, e: ImportError) -> E {
        self.failure = Some(e);
        E::custom("import stopped")
    }
}

struct RootVisitor<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl<'de> Visitor<'de> for RootVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Hangouts.json object with \"conversations\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "conversations" => {
                    ctx.saw_conversations = true;
                    map.next_value_seed(ConversationsSeed { ctx: &mut *ctx })?;
                }
                "conversation_state" => {
                    return Err(ctx.fail(ImportError::invalid(
                        format!("{}#/conversation_state", ctx.shown),
                        "this Hangouts.json has the layout of Takeouts from before 2015 \
                         (\"conversation_state\" instead of \"conversations\"), which chatport \
                         does not read",
                    )));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ConversationsSeed<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl<'de> DeserializeSeed<'de> for ConversationsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ConversationsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of conversations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        loop {
            let index = ctx.conversations;
            let mut state = ConvState {
                index,
                id: None,
                platform_id: None,
                ordinal: 0,
            };
            if seq
                .next_element_seed(ConversationSeed {
                    ctx: &mut *ctx,
                    state: &mut state,
                })?
                .is_none()
            {
                break;
            }
            ctx.conversations += 1;
        }
        Ok(())
    }
}

/// One conversation being read.
struct ConvState {
    index: usize,
    /// The conversation record's id, once added.
    id: Option<String>,
    /// The conversation's Hangouts id.
    platform_id: Option<String>,
    ordinal: u64,
}

struct ConversationSeed<'c, 'a, 's> {
    ctx: &'c mut Ctx<'a>,
    state: &'s mut ConvState,
}

impl<'de> DeserializeSeed<'de> for ConversationSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConversationSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a conversation object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (ctx, state) = (self.ctx, self.state);
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "conversation" => {
                    let v: Value = map.next_value()?;
                    if let Err(e) = conversation_meta(ctx, state, &v) {
                        return Err(ctx.fail(e));
                    }
                }
                "events" => {
                    map.next_value_seed(EventsSeed {
                        ctx: &mut *ctx,
                        state: &mut *state,
                    })?;
                }
                _ => {
                    extra.insert(key, map.next_value()?);
                }
            }
        }
        if state.id.is_none() {
            // Neither metadata nor events: the conversation is still kept.
            if let Err(e) = open(ctx, state, None) {
                return Err(ctx.fail(e));
            }
        }
        if !extra.is_empty()
            && let Some(c) = state
                .id
                .as_ref()
                .and_then(|id| ctx.sink.conversation_mut(id))
        {
            merge_ext(&mut c.extensions, extra);
        }
        Ok(())
    }
}

fn merge_ext(ext: &mut Extensions, more: Map<String, Value>) {
    if let Value::Object(o) = ext
        .entry(NS.to_owned())
        .or_insert_with(|| Value::Object(Map::new()))
    {
        for (k, v) in more {
            o.entry(k).or_insert(v);
        }
    }
}

/// The conversation's id text from `{"id": "..."}`.
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A participant's key: the gaia id, else the chat id.
fn participant_key(v: &Value) -> Option<String> {
    ["gaia_id", "chat_id"]
        .iter()
        .find_map(|k| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(str::to_owned)
}

fn account_id(key: &str) -> String {
    format!("gc-u-{}", id_safe(key))
}

/// Adds the conversation record (from its metadata, or bare when events came first).
fn open(
    ctx: &mut Ctx<'_>,
    state: &mut ConvState,
    platform_id: Option<String>,
) -> Result<(), ImportError> {
    let id = match &platform_id {
        Some(p) => format!("gc-c-{}", id_safe(p)),
        None => chatport_model::ids::derive_id("gc-c-", &[&ctx.file, &state.index.to_string()]),
    };
    if ctx.sink.has_conversation(&id) {
        // The same conversation in a second Hangouts file: its events continue it under an id
        // of their own so that ordinals stay increasing.
        let id2 = chatport_model::ids::derive_id("gc-c-", &[&ctx.file, &id]);
        return open_as(ctx, state, id2, platform_id);
    }
    open_as(ctx, state, id, platform_id)
}

fn open_as(
    ctx: &mut Ctx<'_>,
    state: &mut ConvState,
    id: String,
    platform_id: Option<String>,
) -> Result<(), ImportError> {
    let mut c = Conversation::new(id.clone(), "googlechat", ConversationKind::Unknown);
    c.platform_id = platform_id.clone();
    ctx.sink.conversation(c)?;
    state.id = Some(id);
    state.platform_id = platform_id;
    Ok(())
}

fn conversation_meta(
    ctx: &mut Ctx<'_>,
    state: &mut ConvState,
    v: &Value,
) -> Result<(), ImportError> {
    let Some(outer) = v.as_object() else {
        return Err(ImportError::invalid(
            format!("{}#/conversations/{}/conversation", ctx.shown, state.index),
            "a conversation's \"conversation\" is not an object",
        ));
    };
    let inner = outer.get("conversation").and_then(Value::as_object);
    let platform_id =
        id_of(outer.get("conversation_id")).or_else(|| inner.and_then(|i| id_of(i.get("id"))));
    if state.id.is_none() {
        open(ctx, state, platform_id)?;
    }
    let conv_id = state.id.clone().unwrap_or_default();
    let mut members = Vec::new();
    let self_key = inner
        .and_then(|i| i.get("self_conversation_state"))
        .and_then(|i| i.pointer("/self_read_state/participant_id"))
        .and_then(participant_key);
    let mut rest = Map::new();
    if let Some(inner) = inner {
        for p in inner
            .get("participant_data")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(key) = p.get("id").and_then(participant_key) else {
                continue;
            };
            let id = account_id(&key);
            let mut a = Account::new(id.clone(), "googlechat");
            a.platform_id = Some(key.clone());
            a.display_name = p
                .get("fallback_name")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            if self_key.as_deref() == Some(key.as_str()) {
                a.is_self = Some(true);
            }
            // The fallback name is sometimes only a phone number or an e-mail address.
            if let Some(n) = &a.display_name {
                let digits = n.chars().filter(char::is_ascii_digit).count();
                if n.starts_with('+')
                    && digits >= 6
                    && n.chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                {
                    a.phone = Some(n.clone());
                } else if n.contains('@') && !n.contains(char::is_whitespace) {
                    a.email = Some(n.clone());
                }
            }
            if let Some(e164) = p
                .pointer("/phone_number/e164")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                a.phone = Some(e164.to_owned());
            }
            let mut ext = Map::new();
            for (k, val) in p.as_object().into_iter().flatten() {
                if k != "fallback_name" {
                    ext.insert(k.clone(), val.clone());
                }
            }
            if !ext.is_empty() {
                a.extensions.insert(NS.into(), Value::Object(ext));
            }
            ctx.sink.account(a)?;
            ctx.accounts.insert(id.clone());
            members.push(id);
        }
        for (k, val) in inner {
            if !matches!(k.as_str(), "participant_data" | "type" | "name") {
                rest.insert(k.clone(), val.clone());
            }
        }
    }
    for (k, val) in outer {
        if !matches!(k.as_str(), "conversation" | "conversation_id") {
            rest.insert(k.clone(), val.clone());
        }
    }
    let Some(c) = ctx.sink.conversation_mut(&conv_id) else {
        return Ok(());
    };
    if let Some(inner) = inner {
        let kind = inner.get("type").and_then(Value::as_str);
        c.kind = match kind {
            Some("STICKY_ONE_TO_ONE" | "ONE_TO_ONE") => ConversationKind::Direct,
            Some("GROUP") => ConversationKind::Group,
            _ => ConversationKind::Unknown,
        };
        if let Some(k) =
            kind.filter(|k| !matches!(*k, "STICKY_ONE_TO_ONE" | "ONE_TO_ONE" | "GROUP"))
        {
            rest.insert("type".into(), Value::String(k.to_owned()));
        }
        c.title = inner
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    }
    for m in members {
        if !c.members.iter().any(|x| x.account == m) {
            c.members.push(chatport_model::Member {
                account: m,
                roles: Vec::new(),
                nickname: None,
            });
        }
    }
    if !rest.is_empty() {
        merge_ext(&mut c.extensions, rest);
    }
    Ok(())
}

struct EventsSeed<'c, 'a, 's> {
    ctx: &'c mut Ctx<'a>,
    state: &'s mut ConvState,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (ctx, state) = (self.ctx, self.state);
        let mut j = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            ctx.sink.source_message();
            let pointer = format!("/conversations/{}/events/{j}", state.index);
            j += 1;
            if let Err(e) = event(ctx, state, v, &pointer) {
                return Err(ctx.fail(e));
            }
        }
        Ok(())
    }
}

/// Microseconds since the epoch (a decimal string or number) as a UTC instant.
pub(super) fn micros(v: &Value) -> Option<Time> {
    let n: i64 = match v {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let ts = jiff::Timestamp::from_microsecond(n).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let at = format!(
        "{}.{:06}Z",
        crate::times::civil_text(dt, true),
        dt.subsec_nanosecond() / 1000
    );
    Some(Time::instant(at).with_precision(Precision::Microsecond))
}

fn event(
    ctx: &mut Ctx<'_>,
    state: &mut ConvState,
    v: Value,
    pointer: &str,
) -> Result<(), ImportError> {
    let location = || format!("{}#{pointer}", ctx.shown);
    let Value::Object(mut ev) = v else {
        ctx.sink.skip(
            "not-an-event",
            "an element of an events array is not an object",
            location(),
        );
        return Ok(());
    };
    if state.id.is_none() {
        let pid = id_of(ev.get("conversation_id"));
        open(ctx, state, pid)?;
    }
    let conv = state.id.clone().unwrap_or_default();
    state.ordinal += 1;
    let event_id = ev
        .remove("event_id")
        .and_then(|v| v.as_str().map(str::to_owned));
    let time = ev.get("timestamp").and_then(micros);
    if time.is_some() {
        // The instant says the microsecond count exactly; an unreadable one stays.
        ev.remove("timestamp");
    }
    let id = match &event_id {
        Some(e) => format!("{conv}-{}", id_safe(e)).replacen("gc-c-", "gc-m-", 1),
        None => chatport_model::ids::derive_id("gc-m-", &[&conv, &state.ordinal.to_string()]),
    };
    let mut m = Message::new(id, conv.clone(), state.ordinal);
    m.platform_id = event_id;
    m.time = time;
    m.origin = ctx.sink.origin_pointer(&ctx.file, pointer.to_owned());
    // The sender.
    if let Some(key) = ev.get("sender_id").and_then(participant_key) {
        let aid = account_id(&key);
        if !ctx.accounts.contains(&aid) {
            let mut a = Account::new(aid.clone(), "googlechat");
            a.platform_id = Some(key);
            ctx.sink.account(a)?;
            ctx.accounts.insert(aid.clone());
        }
        m.sender = Some(aid);
        ev.remove("sender_id");
    }
    if ev
        .get("conversation_id")
        .and_then(|c| id_of(Some(c)))
        .is_some_and(|c| Some(&c) == state.platform_id.as_ref())
    {
        ev.remove("conversation_id");
    }
    let kind = ev
        .remove("event_type")
        .and_then(|v| v.as_str().map(str::to_owned));
    if let Some(mut chat) = super::take_obj(&mut ev, "chat_message") {
        if let Some(mut content) = super::take_obj(&mut chat, "message_content") {
            if let Some(segs) = super::take_arr(&mut content, "segment") {
                let odd = segments(&mut m, segs);
                if !odd.is_empty() {
                    // Segment keys with no span (display_url, unknown formatting), by index.
                    ev.insert("segments_unmapped".into(), Value::Array(odd));
                }
            }
            if let Some(atts) = super::take_arr(&mut content, "attachment") {
                for a in atts {
                    m.attachments.push(attachment(a));
                }
            }
            if !content.is_empty() {
                chat.insert("message_content".into(), Value::Object(content));
            }
        }
        if !chat.is_empty() {
            ev.insert("chat_message".into(), Value::Object(chat));
        }
    }
    if let Some(mut h) = super::take_obj(&mut ev, "hangout_event") {
        let media = match h.remove("media_type").as_ref().and_then(Value::as_str) {
            Some("AUDIO_ONLY") => CallMedia::Voice,
            Some("AUDIO_VIDEO" | "VIDEO") => CallMedia::Video,
            Some(other) => {
                h.insert("media_type".into(), Value::String(other.to_owned()));
                CallMedia::Unknown
            }
            None => CallMedia::Unknown,
        };
        let duration = h
            .remove("hangout_duration_secs")
            .and_then(|d| match d {
                Value::String(s) => s.parse::<f64>().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            })
            .filter(|d| d.is_finite() && *d >= 0.0);
        let mut participants = Vec::new();
        if let Some(Value::Array(ps)) = h.get("participant_id") {
            for p in ps {
                if let Some(key) = participant_key(p) {
                    let aid = account_id(&key);
                    if !ctx.accounts.contains(&aid) {
                        let mut a = Account::new(aid.clone(), "googlechat");
                        a.platform_id = Some(key);
                        ctx.sink.account(a)?;
                        ctx.accounts.insert(aid.clone());
                    }
                    participants.push(aid);
                }
            }
            h.remove("participant_id");
        }
        m.call = Some(Box::new(Call {
            media,
            outcome: None,
            duration_seconds: duration,
            ended: None,
            participants,
        }));
        // START_HANGOUT / END_HANGOUT and anything else stays.
        ev.insert("hangout_event".into(), Value::Object(h));
    }
    if let Some(mut r) = super::take_obj(&mut ev, "conversation_rename") {
        let new = r
            .remove("new_name")
            .and_then(|v| v.as_str().map(str::to_owned));
        let old = r
            .remove("old_name")
            .and_then(|v| v.as_str().map(str::to_owned));
        m.event = Some(Box::new(Event {
            platform_kind: kind.clone(),
            actor: m.sender.clone(),
            old_value: old.filter(|s| !s.is_empty()),
            new_value: new,
            ..Event::new(EventKind::Renamed)
        }));
        if !r.is_empty() {
            ev.insert("conversation_rename".into(), Value::Object(r));
        }
    }
    if let Some(mut mc) = super::take_obj(&mut ev, "membership_change") {
        let ty = mc
            .remove("type")
            .and_then(|v| v.as_str().map(str::to_owned));
        let mut targets = Vec::new();
        if let Some(ps) = super::take_arr(&mut mc, "participant_ids") {
            for p in &ps {
                if let Some(key) = participant_key(p) {
                    let aid = account_id(&key);
                    if !ctx.accounts.contains(&aid) {
                        let mut a = Account::new(aid.clone(), "googlechat");
                        a.platform_id = Some(key);
                        ctx.sink.account(a)?;
                        ctx.accounts.insert(aid.clone());
                    }
                    targets.push(aid);
                }
            }
        }
        let by_self = targets.len() == 1 && m.sender.as_ref() == targets.first();
        let k = match ty.as_deref() {
            Some("JOIN") if by_self => EventKind::Joined,
            Some("JOIN") => EventKind::Added,
            Some("LEAVE") if by_self => EventKind::Left,
            Some("LEAVE") => EventKind::Removed,
            _ => EventKind::Other,
        };
        if k == EventKind::Other
            && let Some(t) = &ty
        {
            mc.insert("type".into(), Value::String(t.clone()));
        }
        m.event = Some(Box::new(Event {
            platform_kind: kind.clone(),
            actor: m.sender.clone(),
            targets,
            ..Event::new(k)
        }));
        if !mc.is_empty() {
            ev.insert("membership_change".into(), Value::Object(mc));
        }
    }
    let plain = matches!(
        kind.as_deref(),
        Some("REGULAR_CHAT_MESSAGE" | "HANGOUT_EVENT")
    );
    if m.event.is_none() && !plain {
        // SMS, OTR changes, group link sharing, unknown types: an event that keeps its name.
        m.event = Some(Box::new(Event {
            platform_kind: Some(kind.clone().unwrap_or_else(|| "unknown".into())),
            actor: m.sender.clone(),
            ..Event::new(EventKind::Other)
        }));
    } else if !plain && let Some(e) = &mut m.event {
        e.platform_kind = kind.clone();
    }
    if plain
        && let Some(k) = &kind
        && k != "REGULAR_CHAT_MESSAGE"
        && m.call.is_none()
    {
        ev.insert("event_type".into(), Value::String(k.clone()));
    }
    if m.text.is_none() && m.attachments.is_empty() && m.call.is_none() && m.event.is_none() {
        // A chat message with nothing in it: kept as an event so that it stays visible.
        m.event = Some(Box::new(Event {
            platform_kind: Some(kind.clone().unwrap_or_else(|| "unknown".into())),
            actor: m.sender.clone(),
            text: Some("(an empty message)".into()),
            ..Event::new(EventKind::Other)
        }));
    }
    if !ev.is_empty() {
        m.extensions.insert(NS.into(), Value::Object(ev));
    }
    if !ctx.sink.message_or_taken(&m)? {
        // The same event id twice in one conversation: the later one gets an id of its own.
        m.id = chatport_model::ids::derive_id("gc-m-", &[&m.id, &state.ordinal.to_string()]);
        ctx.sink.message(&m)?;
    }
    Ok(())
}

/// The text and spans of a message's segments; returns what of them has no place there.
fn segments(m: &mut Message, segs: Vec<Value>) -> Vec<Value> {
    let mut text = String::new();
    let mut len = 0u64;
    let mut spans = Vec::new();
    let mut odd: Vec<Value> = Vec::new();
    for (i, s) in segs.into_iter().enumerate() {
        let Value::Object(mut s) = s else {
            odd.push(serde_json::json!({ "index": i, "segment": s }));
            continue;
        };
        let ty = s.remove("type").and_then(|v| v.as_str().map(str::to_owned));
        let piece = match s.remove("text") {
            Some(Value::String(t)) => t,
            Some(other) => {
                s.insert("text".into(), other);
                String::new()
            }
            None if ty.as_deref() == Some("LINE_BREAK") => "\n".to_owned(),
            None => String::new(),
        };
        let start = len;
        let n = piece.chars().count() as u64;
        text.push_str(&piece);
        len += n;
        let end = len;
        let mut push = |kind: SpanKind, url: Option<String>, name: Option<String>| {
            if end > start {
                spans.push(Span {
                    kind,
                    start,
                    end,
                    url,
                    account: None,
                    conversation: None,
                    language: None,
                    name,
                });
            }
        };
        match ty.as_deref() {
            Some("TEXT" | "LINE_BREAK") | None => {}
            Some("LINK") => {
                let target = s
                    .get("link_data")
                    .and_then(|l| l.get("link_target"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if target.is_some()
                    && let Some(Value::Object(l)) = s.get_mut("link_data")
                {
                    l.remove("link_target");
                    if l.is_empty() {
                        s.remove("link_data");
                    }
                }
                let url = target.filter(|t| *t != piece);
                push(SpanKind::Link, url, None);
            }
            Some(other) => push(SpanKind::Other, None, Some(other.to_owned())),
        }
        if let Some(mut f) = super::take_obj(&mut s, "formatting") {
            for (key, kind) in [
                ("bold", SpanKind::Bold),
                ("italics", SpanKind::Italic),
                ("italic", SpanKind::Italic),
                ("underline", SpanKind::Underline),
                ("strikethrough", SpanKind::Strikethrough),
            ] {
                if let Some(v) = f.remove(key) {
                    match v {
                        Value::Bool(true) => push(kind, None, None),
                        Value::Bool(false) => {}
                        other => {
                            f.insert(key.into(), other);
                        }
                    }
                }
            }
            if !f.is_empty() {
                s.insert("formatting".into(), Value::Object(f));
            }
        }
        if !s.is_empty() {
            odd.push(serde_json::json!({ "index": i, "segment": s }));
        }
    }
    if !text.is_empty() {
        m.text = Some(text);
    }
    m.spans = spans;
    odd
}

/// An attachment: `embed_item` with a `plus_photo` address becomes a remote image or video; one
/// without an address is missing. The item is kept whole under the attachment's extensions.
fn attachment(a: Value) -> Attachment {
    let item = a.get("embed_item");
    let photo = item.and_then(|i| i.get("plus_photo"));
    let media = photo
        .and_then(|p| p.get("media_type"))
        .and_then(Value::as_str);
    let kind = match media {
        Some("PHOTO") => AttachmentKind::Image,
        Some("ANIMATED_PHOTO") => AttachmentKind::Gif,
        Some("VIDEO") => AttachmentKind::Video,
        _ if photo.is_some() => AttachmentKind::Image,
        _ => AttachmentKind::Other,
    };
    let url = photo
        .and_then(|p| p.get("url"))
        .or_else(|| photo.and_then(|p| p.pointer("/thumbnail/image_url")))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let mut att = match url {
        Some(u) => Attachment {
            status: MediaStatus::Remote,
            url: Some(u),
            ..Attachment::missing(kind, None)
        },
        None => Attachment::missing(
            kind,
            Some("the Hangouts archive gives no address for this attachment".into()),
        ),
    };
    att.extensions.insert(NS.into(), a);
    att
}

//! Google Takeout's chats: the legacy Hangouts archive (`Hangouts/Hangouts.json`, one big JSON
//! file) and the Google Chat folders (`Google Chat/Groups/<DM or Space id>/messages.json` with
//! `group_info.json` and the attached files).
//!
//! - [`hangouts`] streams `Hangouts.json`: serde visitors walk `conversations` and each
//!   conversation's `events`, and every event is parsed on its own and handed to the sink.
//! - [`chat`] reads each group folder: `group_info.json` (small, read whole) and `messages.json`
//!   (streamed element by element).
//!
//! A Takeout folder or zip holding both is imported whole: each Hangouts file and each Google
//! Chat group becomes conversations of one archive (platform `googlechat`, ids `gc-...`).

mod chat;
mod hangouts;

pub(crate) use crate::input::json_keys;
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

/// The extension namespace for Google data with no field in the model.
pub(crate) const NS: &str = "com.google.chat";

pub(crate) fn sniff(input: &Input) -> bool {
    if input.is_single_file() {
        let Some(e) = input.entries().first() else {
            return false;
        };
        let Ok(head) = input.peek(&e.name, 16 << 10) else {
            return false;
        };
        return hangouts::looks_like(&head) || chat::looks_like_messages(&head);
    }
    if !group_files(input).is_empty() {
        return true;
    }
    hangouts_files(input).iter().any(|name| {
        input
            .peek(name, 16 << 10)
            .is_ok_and(|head| hangouts::looks_like(&head))
    })
}

/// The Google Chat `messages.json` files of a folder or zip: those under `Groups/<group>/`,
/// and one at the top or one folder down that looks like one (the user chose a group's folder).
fn group_files(input: &Input) -> Vec<String> {
    input
        .entries()
        .iter()
        .filter(|e| {
            chat::is_group_messages(&e.name)
                || ((e.name == "messages.json"
                    || (e.name.ends_with("/messages.json") && e.name.matches('/').count() == 1))
                    && input
                        .peek(&e.name, 16 << 10)
                        .is_ok_and(|head| chat::looks_like_messages(&head)))
        })
        .map(|e| e.name.clone())
        .collect()
}

/// The Hangouts JSON files of a folder or zip (`Hangouts.json`, also `Hangouts2.json`, which
/// some Takeouts hold besides it).
fn hangouts_files(input: &Input) -> Vec<String> {
    input
        .entries()
        .iter()
        .filter(|e| {
            let base = e.name.rsplit('/').next().unwrap_or(&e.name);
            base.starts_with("Hangouts") && base.ends_with(".json")
        })
        .map(|e| e.name.clone())
        .collect()
}

pub(crate) fn import(
    input: &Input,
    options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    sink.source_mut().exporter = Some("Google Takeout".into());
    if input.is_single_file() {
        let Some(name) = input.entries().first().map(|e| e.name.clone()) else {
            return Err(ImportError::invalid(
                input.path().display().to_string(),
                "an empty input: not a Google Takeout chat export",
            ));
        };
        let head = input.peek(&name, 16 << 10)?;
        if chat::looks_like_messages(&head) && !hangouts::looks_like(&head) {
            return chat::import_single(input, options, sink, &name);
        }
        return hangouts::import_file(input, sink, &name);
    }
    let groups = group_files(input);
    let hangouts: Vec<String> = hangouts_files(input)
        .into_iter()
        .filter(|name| {
            input
                .peek(name, 16 << 10)
                .is_ok_and(|head| hangouts::looks_like(&head))
        })
        .collect();
    if groups.is_empty() && hangouts.is_empty() {
        return Err(ImportError::invalid(
            input.path().display().to_string(),
            "no Hangouts.json and no Google Chat/Groups/*/messages.json here: not a Google Takeout chat export",
        ));
    }
    for name in &hangouts {
        hangouts::import_file(input, sink, name)?;
    }
    for name in &groups {
        chat::import_group(input, options, sink, name)?;
    }
    Ok(())
}

/// A JSON syntax error as an import error at `file:line:column`.
pub(crate) fn json_error(shown: &str, e: &serde_json::Error, what: &str) -> ImportError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("the file ends too early: {msg}"),
        serde_json::error::Category::Io => format!("cannot read: {msg}"),
        _ => format!("not a readable {what}: {msg}"),
    };
    ImportError::invalid(format!("{shown}:{}:{}", e.line(), e.column()), message)
}

/// An id part without whitespace or control characters, hashed when it could not be one.
pub(crate) fn id_safe(s: &str) -> String {
    if !s.is_empty() && s.len() <= 120 && !s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        s.to_owned()
    } else {
        derive_id("h", &[s])
    }
}

/// True when a (possibly cut) text starts, after a BOM and blanks, with `{`.
pub(crate) fn starts_object(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Takes `key` out of `o` when it holds an object; a value of another type stays where it is
/// (and so ends under extensions with the rest).
pub(super) fn take_obj(
    o: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    match o.get(key) {
        Some(serde_json::Value::Object(_)) => match o.remove(key) {
            Some(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

/// Takes `key` out of `o` when it holds an array; a value of another type stays where it is.
pub(super) fn take_arr(
    o: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<Vec<serde_json::Value>> {
    match o.get(key) {
        Some(serde_json::Value::Array(_)) => match o.remove(key) {
            Some(serde_json::Value::Array(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

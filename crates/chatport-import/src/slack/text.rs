//! Slack's two ways of writing a message's text, turned into plain text and spans: the `text`
//! field in mrkdwn (`<@U123|ann>`, `<#C123|general>`, `<!here>`, `<https://x|label>`, with
//! `&lt; &gt; &amp;` escaped), and the Block Kit `rich_text` blocks that newer exports carry
//! beside it (styled text runs, links, mentions, emoji, lists, quotes, preformatted blocks).
//!
//! Rendering is pure: spans name account ids (`sl-u-<id>`) and the caller makes sure those
//! accounts exist once it has chosen which rendering to keep.

use chatport_model::{Span, SpanKind};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Names for mentions: user id -> the name Slack would show, channel id -> channel name.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) users: HashMap<String, String>,
    pub(crate) channels: HashMap<String, String>,
}

/// Plain text with spans over it; `len` counts code points.
#[derive(Default, Debug)]
pub(super) struct Rich {
    pub text: String,
    pub len: u64,
    pub spans: Vec<Span>,
}

impl Rich {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.len += s.chars().count() as u64;
    }

    fn span(&mut self, kind: SpanKind, start: u64) -> &mut Span {
        self.spans.push(Span {
            conversation: None,
            kind,
            start,
            end: self.len,
            url: None,
            account: None,
            language: None,
            name: None,
        });
        self.spans.last_mut().expect("just pushed")
    }
}

/// The archive id for a Slack id with `prefix` (`sl-u-`, `sl-c-`, `sl-b-`): the id itself
/// when it is usable in an archive id, otherwise a hash of it.
pub(super) fn slack_id(prefix: &str, raw: &str) -> String {
    let usable = !raw.is_empty()
        && raw.len() <= 200
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if usable {
        format!("{prefix}{raw}")
    } else {
        chatport_model::ids::derive_id(prefix, &[raw])
    }
}

/// Undoes the three escapes Slack applies to message text.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (rep, n) = if tail.starts_with("&lt;") {
            ("<", 4)
        } else if tail.starts_with("&gt;") {
            (">", 4)
        } else if tail.starts_with("&amp;") {
            ("&", 5)
        } else {
            ("&", 1)
        };
        out.push_str(rep);
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

fn user_shown(names: &Names, id: &str) -> String {
    names
        .users
        .get(id)
        .cloned()
        .unwrap_or_else(|| id.to_owned())
}

/// A mention of channel `id`: its conversation when the export lists it (every listed
/// conversation is written before the messages), and the Slack id as the source's name for it.
fn channel_mention(span: &mut Span, names: &Names, id: &str) {
    if names.channels.contains_key(id) {
        span.conversation = Some(slack_id("sl-c-", id));
    }
    span.name = Some(id.to_owned());
}

fn channel_shown(names: &Names, id: &str) -> String {
    names
        .channels
        .get(id)
        .cloned()
        .unwrap_or_else(|| id.to_owned())
}

/// Decodes mrkdwn `text` into plain text with mention and link spans. The `*bold*` style
/// markers stay in the text as written: mrkdwn gives no reliable way to tell them from literal
/// asterisks, and the blocks (when present) carry the styles.
pub(super) fn mrkdwn(text: &str, names: &Names) -> Rich {
    let mut r = Rich::default();
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        r.push(&unescape(&rest[..i]));
        let after = &rest[i + 1..];
        match after.find(['>', '<', '\n']) {
            Some(j) if after.as_bytes()[j] == b'>' && is_entity(&after[..j]) => {
                entity(&after[..j], &mut r, names);
                rest = &after[j + 1..];
            }
            _ => {
                r.push("<");
                rest = after;
            }
        }
    }
    r.push(&unescape(rest));
    r
}

/// Slack escapes every literal `<`, so `<…>` is always an entity in its exports; text from
/// elsewhere may hold a bare `<`, which stays text when no entity target follows it.
fn is_entity(inner: &str) -> bool {
    let target = inner.split_once('|').map_or(inner, |(t, _)| t);
    !target.is_empty() && !target.chars().any(char::is_whitespace)
}

fn entity(inner: &str, r: &mut Rich, names: &Names) {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(unescape(l))),
        None => (inner, None),
    };
    let start = r.len;
    if let Some(id) = target.strip_prefix('@') {
        let shown = label.unwrap_or_else(|| user_shown(names, id));
        r.push(&format!("@{}", shown.trim_start_matches('@')));
        r.span(SpanKind::Mention, start).account = Some(slack_id("sl-u-", id));
    } else if let Some(id) = target.strip_prefix('#') {
        let shown = label.unwrap_or_else(|| channel_shown(names, id));
        r.push(&format!("#{}", shown.trim_start_matches('#')));
        channel_mention(r.span(SpanKind::Mention, start), names, id);
    } else if let Some(cmd) = target.strip_prefix('!') {
        match cmd {
            "here" | "channel" | "everyone" | "group" => {
                r.push(&label.unwrap_or_else(|| format!("@{cmd}")));
                r.span(SpanKind::Mention, start).name = Some(cmd.to_owned());
            }
            _ if cmd.starts_with("subteam^") => {
                let id = &cmd["subteam^".len()..];
                r.push(&label.unwrap_or_else(|| format!("@{id}")));
                r.span(SpanKind::Mention, start).name = Some(cmd.to_owned());
            }
            _ => {
                // `<!date^…|fallback>` and commands Slack may add: the fallback text, and the
                // command itself as an `other` span's name.
                r.push(&label.unwrap_or_else(|| unescape(cmd)));
                r.span(SpanKind::Other, start).name = Some(unescape(cmd));
            }
        }
    } else {
        let url = unescape(target);
        let shown = label.unwrap_or_else(|| match url.strip_prefix("mailto:") {
            Some(addr) => addr.to_owned(),
            None => url.clone(),
        });
        r.push(&shown);
        r.span(SpanKind::Link, start).url = Some(url);
    }
}

/// Renders `rich_text` blocks. `None` when the blocks hold anything this renderer does not
/// know (other block types such as `section`, unknown elements or styles): the caller then
/// keeps the blocks verbatim.
pub(super) fn blocks(blocks: &[Value], names: &Names) -> Option<Rich> {
    if blocks.is_empty() {
        return None;
    }
    let mut r = Rich::default();
    for b in blocks {
        let b = b.as_object()?;
        if b.get("type")?.as_str()? != "rich_text" {
            return None;
        }
        for el in b.get("elements")?.as_array()? {
            if !r.text.is_empty() && !r.text.ends_with('\n') {
                r.push("\n");
            }
            block_element(el.as_object()?, &mut r, names)?;
        }
    }
    Some(r)
}

fn block_element(el: &Map<String, Value>, r: &mut Rich, names: &Names) -> Option<()> {
    let elements = el.get("elements")?.as_array()?;
    let start = r.len;
    match el.get("type")?.as_str()? {
        "rich_text_section" => inline_all(elements, r, names)?,
        "rich_text_preformatted" => {
            inline_all(elements, r, names)?;
            r.span(SpanKind::Pre, start);
        }
        "rich_text_quote" => {
            inline_all(elements, r, names)?;
            r.span(SpanKind::Quote, start);
        }
        "rich_text_list" => {
            let ordered = match el.get("style").and_then(Value::as_str) {
                Some("ordered") => true,
                Some("bullet") | None => false,
                Some(_) => return None,
            };
            let indent = el
                .get("indent")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(16);
            let offset = el.get("offset").and_then(Value::as_u64).unwrap_or(0);
            for (k, item) in elements.iter().enumerate() {
                if !r.text.is_empty() && !r.text.ends_with('\n') {
                    r.push("\n");
                }
                r.push(&"    ".repeat(indent as usize));
                if ordered {
                    r.push(&format!(
                        "{}. ",
                        offset.saturating_add(k as u64).saturating_add(1)
                    ));
                } else {
                    r.push("• ");
                }
                let item = item.as_object()?;
                if item.get("type")?.as_str()? != "rich_text_section" {
                    return None;
                }
                inline_all(item.get("elements")?.as_array()?, r, names)?;
            }
        }
        _ => return None,
    }
    Some(())
}

fn inline_all(elements: &[Value], r: &mut Rich, names: &Names) -> Option<()> {
    for e in elements {
        inline(e.as_object()?, r, names)?;
    }
    Some(())
}

fn inline(e: &Map<String, Value>, r: &mut Rich, names: &Names) -> Option<()> {
    let start = r.len;
    let str_of = |k: &str| e.get(k).and_then(Value::as_str);
    match str_of("type")? {
        "text" => r.push(str_of("text")?),
        "link" => {
            let url = str_of("url")?;
            r.push(str_of("text").filter(|t| !t.is_empty()).unwrap_or(url));
            r.span(SpanKind::Link, start).url = Some(url.to_owned());
        }
        "user" => {
            let id = str_of("user_id")?;
            r.push(&format!("@{}", user_shown(names, id)));
            r.span(SpanKind::Mention, start).account = Some(slack_id("sl-u-", id));
        }
        "usergroup" => {
            let id = str_of("usergroup_id")?;
            r.push(&format!("@{id}"));
            r.span(SpanKind::Mention, start).name = Some(format!("subteam^{id}"));
        }
        "channel" => {
            let id = str_of("channel_id")?;
            r.push(&format!("#{}", channel_shown(names, id)));
            channel_mention(r.span(SpanKind::Mention, start), names, id);
        }
        "broadcast" => {
            let range = str_of("range")?;
            r.push(&format!("@{range}"));
            r.span(SpanKind::Mention, start).name = Some(range.to_owned());
        }
        "emoji" => {
            let name = str_of("name")?;
            let shown = match e.get("skin_tone").and_then(Value::as_u64) {
                Some(t) => format!(":{name}::skin-tone-{t}:"),
                None => format!(":{name}:"),
            };
            r.push(&shown);
            // Standard emoji carry their `unicode` code points; workspace-custom ones do not.
            if !e.contains_key("unicode") {
                r.span(SpanKind::CustomEmoji, start).name = Some(name.to_owned());
            }
        }
        "date" => {
            let shown = match str_of("fallback") {
                Some(f) => f.to_owned(),
                None => e.get("timestamp")?.to_string(),
            };
            r.push(&shown);
            // The date's own data, as the mrkdwn form writes it: `date^TIMESTAMP^FORMAT`.
            let mut name = String::from("date");
            for k in ["timestamp", "format", "url"] {
                if let Some(v) = e.get(k) {
                    name.push('^');
                    match v.as_str() {
                        Some(s) => name.push_str(s),
                        None => name.push_str(&v.to_string()),
                    }
                }
            }
            r.span(SpanKind::Other, start).name = Some(name);
        }
        "color" => {
            r.push(str_of("value")?);
            r.span(SpanKind::Other, start).name = Some("color".into());
        }
        _ => return None,
    }
    if let Some(style) = e.get("style") {
        for (k, v) in style.as_object()? {
            if v != &Value::Bool(true) {
                continue;
            }
            let kind = match k.as_str() {
                "bold" => SpanKind::Bold,
                "italic" => SpanKind::Italic,
                "strike" => SpanKind::Strikethrough,
                "code" => SpanKind::Code,
                "underline" => SpanKind::Underline,
                _ => return None,
            };
            r.span(kind, start);
        }
    }
    Some(())
}

/// True when the blocks' text says what the mrkdwn text says, apart from mrkdwn's markup
/// characters and whitespace: then the blocks are a faithful, richer rendering of the message.
pub(super) fn consistent(blocks: &str, mrkdwn: &str) -> bool {
    fn key(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '_' | '~' | '`' | '>' | '•'))
    }
    key(blocks).eq(key(mrkdwn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut n = Names::default();
        n.users.insert("U1".into(), "ann".into());
        n.channels.insert("C1".into(), "general".into());
        n
    }

    #[test]
    fn mrkdwn_entities_links_and_mentions() {
        let r = mrkdwn(
            "hi <@U1> &amp; <@U2|bob> in <#C1> <!here> <https://x.org/?a=1&amp;b=2|x &lt;3> <mailto:a@b.c> 😀 a<b",
            &names(),
        );
        assert_eq!(r.text, "hi @ann & @bob in #general @here x <3 a@b.c 😀 a<b");
        assert_eq!(r.len, r.text.chars().count() as u64);
        let kinds: Vec<_> = r.spans.iter().map(|s| (s.kind, s.start, s.end)).collect();
        assert_eq!(
            kinds,
            vec![
                (SpanKind::Mention, 3, 7),
                (SpanKind::Mention, 10, 14),
                (SpanKind::Mention, 18, 26),
                (SpanKind::Mention, 27, 32),
                (SpanKind::Link, 33, 37),
                (SpanKind::Link, 38, 43),
            ]
        );
        assert_eq!(r.spans[4].url.as_deref(), Some("https://x.org/?a=1&b=2"));
        assert_eq!(r.spans[5].url.as_deref(), Some("mailto:a@b.c"));
        assert_eq!(r.spans[1].account.as_deref(), Some("sl-u-U2"));
    }

    #[test]
    fn unclosed_angle_brackets_stay_text() {
        assert_eq!(mrkdwn("a < b > c", &names()).text, "a < b > c");
        assert_eq!(mrkdwn("<", &names()).text, "<");
        assert_eq!(mrkdwn("<<@U1>", &names()).text, "<@ann");
    }

    #[test]
    fn consistency_ignores_markup() {
        assert!(consistent("bold and code", "*bold* and `code`"));
        assert!(!consistent("other words", "*bold* and `code`"));
    }
}

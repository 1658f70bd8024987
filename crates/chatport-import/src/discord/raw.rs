//! The DiscordChatExporter JSON format as typed source structs, and the streaming readers over a
//! channel export's root object and its `messages` array.
//!
//! A channel export is one object: `guild`, `channel`, `dateRange`, `exportedAt` (2023+), then
//! `messages` (possibly millions of elements), then `messageCount`. The format grew by adding keys,
//! so every key is optional here; keys this module does not know are kept verbatim (`extra`) for
//! the archive's extensions.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Keys a struct does not map, kept as the source wrote them.
pub(crate) type Extra = BTreeMap<String, Value>;

/// A string the source may also write as a number (ids) or null.
#[derive(Debug, Default, Clone)]
pub(crate) struct Lenient(pub Option<String>);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Lenient, E> {
                Ok(Lenient(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Lenient, E> {
                Ok(Lenient(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Lenient, E> {
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Lenient::deserialize(d).map(|l| l.0)
}

/// `guild`: the server, or `{"id": "0", "name": "Direct Messages"}` for DMs.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawGuild {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, rename = "iconUrl", deserialize_with = "lenient")]
    pub icon_url: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `channel`: `categoryId`/`category` name the parent (a category, or for a thread its channel).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawChannel {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, rename = "categoryId", deserialize_with = "lenient")]
    pub category_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub topic: Option<String>,
    #[serde(default, rename = "iconUrl", deserialize_with = "lenient")]
    pub icon_url: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `dateRange`: the `--after`/`--before` the export was asked for.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawDateRange {
    #[serde(default, deserialize_with = "lenient")]
    pub after: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub before: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A role (2023+ exports list the author's roles).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawRole {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub color: Option<String>,
    #[serde(default)]
    pub position: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An author, a mentioned user or a reactor.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawUser {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub discriminator: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub nickname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub color: Option<String>,
    #[serde(default, rename = "isBot")]
    pub is_bot: Option<bool>,
    #[serde(default)]
    pub roles: Option<Vec<RawRole>>,
    #[serde(default, rename = "avatarUrl", deserialize_with = "lenient")]
    pub avatar_url: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A file attached to a message: a CDN address or, with `--media`, a path relative to the export.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawAttachment {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default, rename = "fileName", deserialize_with = "lenient")]
    pub file_name: Option<String>,
    #[serde(default, rename = "fileSizeBytes")]
    pub file_size_bytes: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An embed's thumbnail, image or video.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawImage {
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default)]
    pub width: Option<Value>,
    #[serde(default)]
    pub height: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A link preview or rich embed. Author, footer, fields and the rest stay verbatim in `extra`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawEmbed {
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    #[serde(default)]
    pub thumbnail: Option<RawImage>,
    #[serde(default)]
    pub image: Option<RawImage>,
    #[serde(default)]
    pub images: Option<Vec<RawImage>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A sticker: `format` is Png, Apng, Lottie or Gif (older exports: PngAnimated).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawSticker {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub format: Option<String>,
    #[serde(default, rename = "sourceUrl", deserialize_with = "lenient")]
    pub source_url: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An emoji: `id` is `""` or null for Unicode emoji, a snowflake for custom ones.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawEmoji {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl RawEmoji {
    /// The custom emoji's id, when it is one.
    pub fn custom_id(&self) -> Option<&str> {
        self.id.as_deref().filter(|s| !s.is_empty() && *s != "0")
    }
}

/// A reaction: the emoji, a count, and (2023-07+) the users.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawReaction {
    #[serde(default)]
    pub emoji: Option<RawEmoji>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub users: Option<Vec<RawUser>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `reference`: the replied-to, pinned or forwarded message; `type` only in 2024+ exports.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawReference {
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, rename = "messageId", deserialize_with = "lenient")]
    pub message_id: Option<String>,
    #[serde(default, rename = "channelId", deserialize_with = "lenient")]
    pub channel_id: Option<String>,
    #[serde(default, rename = "guildId", deserialize_with = "lenient")]
    pub guild_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `forwardedMessage` (2026): a snapshot of the forwarded message.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RawForwarded {
    #[serde(default, deserialize_with = "lenient")]
    pub timestamp: Option<String>,
    #[serde(default, rename = "timestampEdited", deserialize_with = "lenient")]
    pub timestamp_edited: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub content: Option<String>,
    #[serde(default)]
    pub attachments: Option<Vec<RawAttachment>>,
    #[serde(default)]
    pub embeds: Option<Vec<RawEmbed>>,
    #[serde(default)]
    pub stickers: Option<Vec<RawSticker>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One element of `messages`, read key by key: known keys typed, the others kept in `extra`.
#[derive(Debug, Default)]
pub(crate) struct RawMessage {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub timestamp: Option<String>,
    pub timestamp_edited: Option<String>,
    pub call_ended: Option<String>,
    pub is_pinned: Option<bool>,
    pub content: Option<String>,
    pub author: Option<RawUser>,
    pub attachments: Vec<RawAttachment>,
    pub embeds: Vec<RawEmbed>,
    pub stickers: Vec<RawSticker>,
    pub reactions: Vec<RawReaction>,
    pub mentions: Vec<RawUser>,
    pub reference: Option<RawReference>,
    pub forwarded: Option<RawForwarded>,
    pub inline_emojis: Vec<RawEmoji>,
    pub extra: Extra,
}

impl<'de> Deserialize<'de> for RawMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMessage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMessage, A::Error> {
                let mut m = RawMessage::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => m.id = map.next_value::<Lenient>()?.0,
                        "type" => m.kind = map.next_value::<Lenient>()?.0,
                        "timestamp" => m.timestamp = map.next_value::<Lenient>()?.0,
                        "timestampEdited" => m.timestamp_edited = map.next_value::<Lenient>()?.0,
                        "callEndedTimestamp" => m.call_ended = map.next_value::<Lenient>()?.0,
                        "isPinned" => m.is_pinned = map.next_value()?,
                        "content" => m.content = map.next_value::<Lenient>()?.0,
                        "author" => m.author = map.next_value()?,
                        "attachments" => {
                            m.attachments = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        "embeds" => m.embeds = map.next_value::<Option<_>>()?.unwrap_or_default(),
                        "stickers" => {
                            m.stickers = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        "reactions" => {
                            m.reactions = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        "mentions" => {
                            m.mentions = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        "reference" => m.reference = map.next_value()?,
                        "forwardedMessage" => m.forwarded = map.next_value()?,
                        "inlineEmojis" => {
                            m.inline_emojis = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        _ => {
                            let v: Value = map.next_value()?;
                            m.extra.insert(key, v);
                        }
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V)
    }
}

/// What comes before `messages` in a channel export (and, in hand-made files, after it).
#[derive(Debug, Default, Clone)]
pub(crate) struct Head {
    pub guild: Option<RawGuild>,
    pub channel: Option<RawChannel>,
    pub date_range: Option<RawDateRange>,
    pub exported_at: Option<String>,
    /// Unknown root keys other than `messages` and `messageCount`.
    pub extra: Extra,
    /// True when the root has a `messages` key.
    pub has_messages: bool,
}

/// Reads the head of a channel export: stops at `messages` once `channel` is known (the usual
/// order), so only the first few hundred bytes of a large file are read.
pub(crate) struct HeadSeed<'a> {
    pub head: &'a mut Head,
    /// Set when the reader stopped early at `messages` (the error it returned then is not one).
    pub stopped: &'a mut bool,
}

/// The text of the error a [`HeadSeed`] stops with.
pub(crate) const STOP: &str = "chatport: stop at messages";

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DiscordChatExporter channel export (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "guild" => self.head.guild = map.next_value()?,
                "channel" => self.head.channel = map.next_value()?,
                "dateRange" => self.head.date_range = map.next_value()?,
                "exportedAt" => self.head.exported_at = map.next_value::<Lenient>()?.0,
                "messages" => {
                    self.head.has_messages = true;
                    if self.head.channel.is_some() {
                        *self.stopped = true;
                        return Err(de::Error::custom(STOP));
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                "messageCount" => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    let v: Value = map.next_value()?;
                    self.head.extra.insert(key, v);
                }
            }
        }
        Ok(())
    }
}

/// What a [`BodySeed`] hands its findings to.
pub(crate) trait Handler {
    /// `messages` was reached, before its first element.
    fn start(&mut self) -> Result<(), crate::ImportError>;
    /// The element at `index` of `messages` was parsed.
    fn message(&mut self, raw: RawMessage, index: usize) -> Result<(), crate::ImportError>;
    /// The element at `index` of `messages` is JSON but not a message (`why` says what is
    /// wrong): it is skipped with that reason, and the elements after it are read.
    fn malformed(&mut self, index: usize, why: String);
}

/// Reads a whole channel export, handing each element of `messages` to the handler as soon as it
/// is parsed. The head keys were read before by [`HeadSeed`] and are skipped here; `messageCount`
/// and unknown keys after `messages` are collected in `tail`.
pub(crate) struct BodySeed<'a> {
    pub handler: &'a mut dyn Handler,
    pub tail: &'a mut Extra,
    /// The importer's own error, when it stopped the parse.
    pub failed: &'a mut Option<crate::ImportError>,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DiscordChatExporter channel export (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut after_messages = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "messages" => {
                    if let Err(e) = self.handler.start() {
                        *self.failed = Some(e);
                        return Err(de::Error::custom("import stopped"));
                    }
                    map.next_value_seed(MessagesSeed {
                        handler: &mut *self.handler,
                        failed: &mut *self.failed,
                    })?;
                    after_messages = true;
                }
                "messageCount" => {
                    let v: Value = map.next_value()?;
                    self.tail.insert(key, v);
                }
                "guild" | "channel" | "dateRange" | "exportedAt" => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ if after_messages => {
                    let v: Value = map.next_value()?;
                    self.tail.insert(key, v);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct MessagesSeed<'a> {
    handler: &'a mut dyn Handler,
    failed: &'a mut Option<crate::ImportError>,
}

impl<'de> DeserializeSeed<'de> for MessagesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MessagesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        // Each element is read as JSON first, so that one element that is not a message (a
        // field of the wrong type) is skipped with its reason instead of failing the file.
        while let Some(v) = seq.next_element::<Value>()? {
            match serde_json::from_value::<RawMessage>(v) {
                Ok(m) => {
                    if let Err(e) = self.handler.message(m, index) {
                        *self.failed = Some(e);
                        return Err(de::Error::custom("import stopped"));
                    }
                }
                Err(e) => self.handler.malformed(index, e.to_string()),
            }
            index += 1;
        }
        Ok(())
    }
}

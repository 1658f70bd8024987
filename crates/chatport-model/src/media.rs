//! Attachments and the media files of a bundle: what the export carried, what it left out, and
//! where the file lives if it came along.

use crate::Extensions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// # Attachment
///
/// A media item attached to a message (or an account's avatar). When `status` is `present`, the
/// file is inside the bundle at `path`, and `size` and `sha256` describe its bytes. When the
/// export left the file out, `status` is `missing` and `missing_reason` says what the source
/// said; when the source only gave an address, `status` is `remote` and `url` holds it. chatport
/// never downloads remote media.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// What kind of media this is.
    pub kind: AttachmentKind,
    /// Whether the file came along: `present`, `missing` or `remote`.
    pub status: MediaStatus,
    /// For `present`: the file's path inside the bundle, relative, with `/` separators, no `..`
    /// segment and no leading `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For `present`: the file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// For `present`: the SHA-256 of the file's bytes, 64 lowercase hexadecimal digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// For `remote` (and optionally others): the address the source gave for the file. Never
    /// fetched by chatport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `missing`: what the source said about the absent file, verbatim (for example Telegram's
    /// "(File not included. Change data exporting settings to download.)" or WhatsApp's
    /// "<Media omitted>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_reason: Option<String>,
    /// The file's name as the source knew it (kept as metadata; the bundle path may differ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
    /// The media type, e.g. `image/jpeg`, where the source gave it or the importer knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Width in pixels, for images and videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    /// Height in pixels, for images and videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Playing time in seconds, for audio, voice and video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// A caption or title that belongs to the file itself rather than to the message text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// For stickers: the emoji the sticker stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Platform data about this file that has no field here, under namespaced keys.
    #[serde(
        default,
        skip_serializing_if = "Extensions::is_empty",
        deserialize_with = "crate::strict::extensions"
    )]
    pub extensions: Extensions,
}

/// What kind of media an [`Attachment`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A still picture.
    Image,
    /// A video file.
    Video,
    /// A round video message (Telegram video notes, WhatsApp video messages).
    VideoNote,
    /// Music or other audio file.
    Audio,
    /// A recorded voice note.
    Voice,
    /// Any other file.
    File,
    /// A sticker.
    Sticker,
    /// An animated GIF or its video stand-in.
    Gif,
    /// A contact card file (vCard).
    ContactCard,
    /// A kind the source did not say or chatport has no name for.
    Other,
}

/// Whether an attachment's file is in the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    /// The file is in the bundle at `path`, with `size` and `sha256`.
    Present,
    /// The export did not include the file.
    Missing,
    /// The source only gave an address (`url`); the file was not downloaded.
    Remote,
}

impl Attachment {
    /// An attachment whose file the export left out, with the source's words for why.
    pub fn missing(kind: AttachmentKind, reason: Option<String>) -> Self {
        Attachment {
            kind,
            status: MediaStatus::Missing,
            path: None,
            size: None,
            sha256: None,
            url: None,
            missing_reason: reason,
            original_name: None,
            mime_type: None,
            width: None,
            height: None,
            duration_seconds: None,
            caption: None,
            emoji: None,
            extensions: Extensions::new(),
        }
    }

    /// An attachment whose file is in the bundle at `path`.
    pub fn present(
        kind: AttachmentKind,
        path: impl Into<String>,
        size: u64,
        sha256: impl Into<String>,
    ) -> Self {
        Attachment {
            status: MediaStatus::Present,
            path: Some(path.into()),
            size: Some(size),
            sha256: Some(sha256.into()),
            ..Attachment::missing(kind, None)
        }
    }
}

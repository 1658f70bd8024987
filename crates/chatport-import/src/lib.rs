//! Importers from the chat exports people already have into chatport archives.
//!
//! ```no_run
//! use chatport_import::{import, ImportOptions};
//! use std::path::Path;
//! let report = import(
//!     Path::new("WhatsApp Chat with Ann.zip"),
//!     Path::new("ann.zip"),
//!     &ImportOptions::default(),
//! )?;
//! println!("{report}");
//! # Ok::<(), chatport_import::ImportError>(())
//! ```
//!
//! Each platform is one module with a `sniff` (does this input look like my export?) and an
//! `import` that streams the input into a [`Sink`]. Importers only read the files they are given:
//! no decryption, no network. Whatever they cannot turn into a record they count in the
//! [`ImportReport`] with a reason.

mod background;
mod chatgpt;
mod chatlab;
mod discord;
mod error;
mod googlechat;
mod hashing;
mod input;
mod instagram;
mod line;
mod matrix;
mod messenger;
mod occurrence;
mod refill;
mod report;
mod seen;
mod signal;
mod sink;
mod slack;
mod telegram;
pub mod times;
mod wechat;
mod whatsapp;

pub use error::ImportError;
pub use input::{Entry, Input};
pub use report::{Group, ImportReport, Validation};
pub use sink::{Interruption, NOT_COPIED, OutputKind, Sink, message_kind, remove_temporary_files};
pub use times::Zone;

use std::path::Path;

/// A platform chatport imports from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// WhatsApp's "Export chat" text file, alone or zipped with its media.
    WhatsApp,
    /// Telegram Desktop's JSON export (one chat's result.json or the whole account's).
    Telegram,
    /// DiscordChatExporter's JSON export.
    Discord,
    /// Slack's workspace export (a zip or its unpacked folder).
    Slack,
    /// LINE's "Export chat history" text file.
    Line,
    /// Signal Desktop chats as signal-export or sigtop wrote them.
    Signal,
    /// Facebook Messenger's "Download your information" JSON.
    Messenger,
    /// Instagram's "Download your information" JSON.
    Instagram,
    /// Google Takeout: Google Chat folders and the legacy Hangouts.json.
    GoogleChat,
    /// Element's "Export chat" JSON of a Matrix room.
    Matrix,
    /// ChatLab's standard format (JSON or JSONL).
    ChatLab,
    /// ChatGPT's data export (conversations.json).
    ChatGpt,
    /// The files WeChat exporters write (WeChatMsg / MemoTrace CSV and TXT, WeFlow JSON).
    WeChat,
}

impl Platform {
    /// Every platform, in the order detection tries them.
    pub const ALL: [Platform; 13] = [
        Platform::Slack,
        Platform::Telegram,
        Platform::Discord,
        Platform::WhatsApp,
        Platform::Line,
        Platform::Signal,
        Platform::Messenger,
        Platform::Instagram,
        Platform::GoogleChat,
        Platform::Matrix,
        Platform::ChatLab,
        Platform::ChatGpt,
        Platform::WeChat,
    ];

    /// The platform's name as used on the command line and in archives.
    pub fn name(self) -> &'static str {
        match self {
            Platform::WhatsApp => "whatsapp",
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
            Platform::Slack => "slack",
            Platform::Line => "line",
            Platform::Signal => "signal",
            Platform::Messenger => "messenger",
            Platform::Instagram => "instagram",
            Platform::GoogleChat => "googlechat",
            Platform::Matrix => "matrix",
            Platform::ChatLab => "chatlab",
            Platform::ChatGpt => "chatgpt",
            Platform::WeChat => "wechat",
        }
    }

    /// What the user exports, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Platform::WhatsApp => "WhatsApp \"Export chat\" .txt or .zip",
            Platform::Telegram => "Telegram Desktop JSON export (result.json)",
            Platform::Discord => "DiscordChatExporter JSON export",
            Platform::Slack => "Slack workspace export (.zip or folder)",
            Platform::Line => "LINE chat history .txt",
            Platform::Signal => "signal-export chat.md / data.json, sigtop text or JSON",
            Platform::Messenger => "Facebook Messenger JSON from Download your information",
            Platform::Instagram => "Instagram messages JSON from Download your information",
            Platform::GoogleChat => "Google Takeout: Google Chat folders or Hangouts.json",
            Platform::Matrix => "Element (Matrix) Export chat JSON",
            Platform::ChatLab => "ChatLab standard format JSON or JSONL",
            Platform::ChatGpt => "ChatGPT data export conversations.json",
            Platform::WeChat => "WeChatMsg/MemoTrace CSV or TXT, WeFlow JSON",
        }
    }

    /// The platform called `name`.
    pub fn from_name(name: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// False for a platform whose importer is not written yet: it is not offered.
    pub fn available(self) -> bool {
        match self {
            Platform::WhatsApp | Platform::Telegram | Platform::Discord | Platform::Slack => true,
            Platform::Line => line::READY,
            Platform::Signal => signal::READY,
            Platform::Messenger => messenger::READY,
            Platform::Instagram => instagram::READY,
            Platform::GoogleChat => googlechat::READY,
            Platform::Matrix => matrix::READY,
            Platform::ChatLab => chatlab::READY,
            Platform::ChatGpt => chatgpt::READY,
            Platform::WeChat => wechat::READY,
        }
    }

    fn sniff(self, input: &Input) -> bool {
        match self {
            Platform::WhatsApp => whatsapp::sniff(input),
            Platform::Telegram => telegram::sniff(input),
            Platform::Discord => discord::sniff(input),
            Platform::Slack => slack::sniff(input),
            Platform::Line => line::sniff(input),
            Platform::Signal => signal::sniff(input),
            Platform::Messenger => messenger::sniff(input),
            Platform::Instagram => instagram::sniff(input),
            Platform::GoogleChat => googlechat::sniff(input),
            Platform::Matrix => matrix::sniff(input),
            Platform::ChatLab => chatlab::sniff(input),
            Platform::ChatGpt => chatgpt::sniff(input),
            Platform::WeChat => wechat::sniff(input),
        }
    }
}

/// Day, month and year order in WhatsApp dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 31/12/2024
    Dmy,
    /// 12/31/2024
    Mdy,
    /// 2024/12/31
    Ymd,
}

/// What the user chose for an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The platform; detected when `None`.
    pub platform: Option<Platform>,
    /// The zone to read local times in (they become `assumed`); they stay `local` when `None`.
    pub tz: Option<Zone>,
    /// WhatsApp's date order, for files whose dates cannot tell.
    pub date_order: Option<DateOrder>,
    /// The exporting user's name, where the format cannot tell who that is.
    pub me: Option<String>,
    /// Replace an existing output.
    pub force: bool,
    /// Validate the output before moving it into place.
    pub validate: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            platform: None,
            tz: None,
            date_order: None,
            me: None,
            force: false,
            validate: true,
        }
    }
}

/// Finds which platform's export `input` is. Fails, listing what chatport supports, when none
/// or (which would be a bug in a sniffer) several claim it.
pub fn detect(input: &Input) -> Result<Platform, ImportError> {
    let found: Vec<Platform> = Platform::ALL
        .into_iter()
        .filter(|p| p.sniff(input))
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(ImportError::Undetected {
            path: input.path().display().to_string(),
            message: format!(
                "not an export chatport recognises. Supported: {}. Name the platform with --from if you are sure.",
                Platform::ALL
                    .iter()
                    .filter(|p| p.available())
                    .map(|p| format!("{} ({})", p.name(), p.describe()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }),
        many => Err(ImportError::Undetected {
            path: input.path().display().to_string(),
            message: format!(
                "looks like an export of several platforms ({}); name one with --from",
                many.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

/// Refuses an output that is the input, lies inside it (a later import would read it back) or
/// holds it (`--force` would delete the input).
fn check_paths(input: &Path, output: &Path) -> Result<(), ImportError> {
    let absolute = |p: &Path| -> Option<std::path::PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        // An output that does not exist yet: its folder's real path and its name.
        let parent = p
            .parent()
            .filter(|x| !x.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    let (Some(i), Some(o)) = (absolute(input), absolute(output)) else {
        return Ok(());
    };
    if i == o || o.starts_with(&i) || i.starts_with(&o) {
        return Err(ImportError::Usage(format!(
            "{}: the output must not be the input, lie inside it or contain it ({})",
            output.display(),
            input.display()
        )));
    }
    Ok(())
}

/// Imports the export at `input` into a new archive at `output` (`.jsonl`: one archive file;
/// `.zip`: a bundle zip; otherwise a bundle directory).
pub fn import(
    input: &Path,
    output: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let input = Input::open(input)?;
    import_from(&input, output, options)
}

/// Like [`import`], from an [`Input`] already opened (to watch its progress counter).
pub fn import_from(
    input: &Input,
    output: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    check_paths(input.path(), output)?;
    let (platform, detected) = match options.platform {
        Some(p) => (p, false),
        None => (detect(input)?, true),
    };
    let mut sink = Sink::create(output, options.force, platform.name())?;
    {
        let r = sink.report_mut();
        r.detected = detected;
        r.input = input.path().display().to_string();
    }
    if let Some(z) = &options.tz {
        sink.source_mut().assumed_zone = Some(z.name.clone());
    }
    match platform {
        Platform::WhatsApp => whatsapp::import(input, options, &mut sink)?,
        Platform::Telegram => telegram::import(input, options, &mut sink)?,
        Platform::Discord => discord::import(input, options, &mut sink)?,
        Platform::Slack => slack::import(input, options, &mut sink)?,
        Platform::Line => line::import(input, options, &mut sink)?,
        Platform::Signal => signal::import(input, options, &mut sink)?,
        Platform::Messenger => messenger::import(input, options, &mut sink)?,
        Platform::Instagram => instagram::import(input, options, &mut sink)?,
        Platform::GoogleChat => googlechat::import(input, options, &mut sink)?,
        Platform::Matrix => matrix::import(input, options, &mut sink)?,
        Platform::ChatLab => chatlab::import(input, options, &mut sink)?,
        Platform::ChatGpt => chatgpt::import(input, options, &mut sink)?,
        Platform::WeChat => wechat::import(input, options, &mut sink)?,
    }
    // Exports that do not say who made them: --me names the account (WhatsApp and Telegram
    // apply it themselves, this only acts when no account is marked yet).
    if let Some(me) = &options.me {
        sink.mark_me(me, input.path().display().to_string());
    }
    if options.date_order.is_some() && !matches!(platform, Platform::WhatsApp | Platform::Line) {
        sink.warn(
            "option-not-used",
            "--date-order applies to WhatsApp and LINE chats only; this import did not use it",
            input.path().display().to_string(),
        );
    }
    let report = sink.finish(options.validate)?;
    let accounted = report.messages + report.skipped_total();
    if accounted != report.source_messages {
        return Err(ImportError::Bug(format!(
            "the {} importer read {} source messages but accounted for {} ({} written, {} skipped)",
            platform.name(),
            report.source_messages,
            accounted,
            report.messages,
            report.skipped_total()
        )));
    }
    Ok(report)
}

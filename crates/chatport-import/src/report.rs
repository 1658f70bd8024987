//! The import report: what came over, what did not and why. It is how "nothing lost silently"
//! is kept: every source message is either a record or counted here under a reason.

use serde::Serialize;
use std::collections::BTreeMap;

/// How many source locations a warning or skip group keeps as examples.
pub const EXAMPLES_KEPT: usize = 5;

/// What an import did, for people (`Display`) and machines (`Serialize`, `--report json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportReport {
    /// The platform imported from, e.g. `whatsapp`.
    pub platform: String,
    /// True when the platform was detected rather than named by the user.
    pub detected: bool,
    /// The input path.
    pub input: String,
    /// The output path.
    pub output: String,
    /// Conversations written.
    pub conversations: u64,
    /// Accounts (participants) written.
    pub participants: u64,
    /// Messages written.
    pub messages: u64,
    /// Messages written, by kind (`text`, `media`, `event`, `call`, `poll`, `location`,
    /// `contact`, `deleted`, `empty`).
    pub messages_by_kind: BTreeMap<String, u64>,
    /// Message units the importer read in the source (lines that start a message, array
    /// elements), counted as they were read: `messages + skipped` totals equal it.
    pub source_messages: u64,
    /// Attachments by status: `present` (copied into the bundle), `missing` (the export left the
    /// file out), `remote` (only an address), `not_copied` (in the export, but the output is a
    /// single .jsonl file).
    pub attachments: BTreeMap<String, u64>,
    /// Source message units that did not become a message record, grouped by reason.
    pub skipped: Vec<Group>,
    /// Things the user should know, grouped by code.
    pub warnings: Vec<Group>,
    /// The validation of the output, when it ran.
    pub validation: Option<Validation>,
}

/// A group of like events with a count and the first few source locations.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Group {
    /// A stable, kebab-case code, e.g. `media-not-in-export`.
    pub code: String,
    /// What happened, in words.
    pub message: String,
    /// How many times.
    pub count: u64,
    /// The first few source locations (`file:line` or `file#/pointer`).
    pub examples: Vec<String>,
}

/// The result of validating the output.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Validation {
    /// True when the validator found no errors.
    pub valid: bool,
    /// Errors found.
    pub errors: u64,
    /// Warnings found.
    pub warnings: u64,
    /// The distinct codes of the first diagnostics reported (see `chatport codes`).
    pub codes: Vec<String>,
}

impl ImportReport {
    /// Total of all skipped source units.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|g| g.count).sum()
    }

    /// The count of warnings with `code`, 0 when there are none.
    pub fn warning_count(&self, code: &str) -> u64 {
        self.warnings
            .iter()
            .find(|g| g.code == code)
            .map_or(0, |g| g.count)
    }
}

pub(crate) fn add(groups: &mut Vec<Group>, code: &str, message: &str, location: String) {
    if let Some(g) = groups.iter_mut().find(|g| g.code == code) {
        g.count += 1;
        if g.examples.len() < EXAMPLES_KEPT {
            g.examples.push(location);
        }
        return;
    }
    groups.push(Group {
        code: code.to_owned(),
        message: message.to_owned(),
        count: 1,
        examples: vec![location],
    });
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "imported {} ({}) -> {}",
            self.input,
            if self.detected {
                format!("detected as {}", self.platform)
            } else {
                self.platform.clone()
            },
            self.output
        )?;
        writeln!(f, "  conversations: {}", self.conversations)?;
        writeln!(f, "  participants:  {}", self.participants)?;
        let kinds: Vec<String> = self
            .messages_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        if kinds.is_empty() {
            writeln!(f, "  messages:      {}", self.messages)?;
        } else {
            writeln!(
                f,
                "  messages:      {} ({})",
                self.messages,
                kinds.join(", ")
            )?;
        }
        if !self.attachments.is_empty() {
            let a: Vec<String> = self
                .attachments
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "  attachments:   {}", a.join(", "))?;
        }
        writeln!(
            f,
            "  source messages read: {}, written: {}, skipped: {}",
            self.source_messages,
            self.messages,
            self.skipped_total()
        )?;
        for (title, groups) in [("skipped", &self.skipped), ("warning", &self.warnings)] {
            for g in groups {
                writeln!(f, "  {title} [{}] x{}: {}", g.code, g.count, g.message)?;
                for e in &g.examples {
                    writeln!(f, "      at {e}")?;
                }
                if g.count > g.examples.len() as u64 {
                    writeln!(
                        f,
                        "      ... and {} more",
                        g.count - g.examples.len() as u64
                    )?;
                }
            }
        }
        match &self.validation {
            Some(v) if v.valid && v.warnings > 0 => writeln!(
                f,
                "  validation: valid ({} warning{}: {}; `chatport validate {}` shows them)",
                v.warnings,
                if v.warnings == 1 { "" } else { "s" },
                v.codes.join(", "),
                self.output
            ),
            Some(v) if v.valid => writeln!(f, "  validation: valid"),
            Some(v) => writeln!(
                f,
                "  validation: INVALID, {} errors, {} warnings",
                v.errors, v.warnings
            ),
            None => writeln!(f, "  validation: skipped (--no-validate)"),
        }
    }
}

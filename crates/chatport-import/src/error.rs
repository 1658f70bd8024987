//! Why an import failed, sorted by what the user can do about it; each kind maps to one exit code.

use std::path::Path;

/// An import that could not be completed. Problems an importer can work around (an unreadable
/// line, a missing media file) are not errors: they are counted in the [`crate::ImportReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is not a valid export of the platform: `location` names the file and line
    /// (`file:line[:column]`) or JSON pointer (`file#/pointer`).
    #[error("{location}: {message}")]
    Invalid {
        /// Where the problem is.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The platform could not be recognised.
    #[error("{path}: {message}")]
    Undetected {
        /// The input.
        path: String,
        /// What was tried, and the platforms chatport supports.
        message: String,
    },
    /// The input cannot be read correctly without an option the user must choose.
    #[error("{location}: {message}")]
    NeedsOption {
        /// Where the ambiguity is.
        location: String,
        /// What is ambiguous, naming the option that settles it.
        message: String,
    },
    /// An option has a value chatport cannot use.
    #[error("{0}")]
    Usage(String),
    /// Reading the input or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// chatport produced something wrong: a bug, to be reported.
    #[error("internal error (a bug in chatport, please report it): {0}")]
    Bug(String),
}

impl ImportError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ImportError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// An I/O error on a file shown as `shown`.
    pub fn io_shown(shown: String, source: std::io::Error) -> Self {
        ImportError::Io {
            path: shown,
            source,
        }
    }

    /// An invalid-input error at `location`.
    pub fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }

    /// The process exit code for this error: 1 for input that is not a valid export (or not
    /// recognised), 2 for usage and I/O problems and missing options, 3 for chatport's own bugs,
    /// 130 for an import interrupted (see [`crate::remove_temporary_files`]), as a shell
    /// reports a process that SIGINT ended.
    pub fn exit_code(&self) -> u8 {
        match self {
            ImportError::Io { source, .. } if source.kind() == std::io::ErrorKind::Interrupted => {
                130
            }
            ImportError::Invalid { .. } | ImportError::Undetected { .. } => 1,
            ImportError::NeedsOption { .. } | ImportError::Usage(_) | ImportError::Io { .. } => 2,
            ImportError::Bug(_) => 3,
        }
    }
}

impl From<chatport_model::WriteError> for ImportError {
    fn from(e: chatport_model::WriteError) -> Self {
        match e {
            chatport_model::WriteError::Io(source) => ImportError::Io {
                path: "output".into(),
                source,
            },
            other => ImportError::Bug(other.to_string()),
        }
    }
}

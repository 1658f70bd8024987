//! Google Chat folders (placeholder while written).

use crate::{ImportError, ImportOptions, Input, Sink};

pub(super) fn looks_like_messages(_head: &[u8]) -> bool {
    false
}

pub(super) fn is_group_messages(_name: &str) -> bool {
    false
}

pub(super) fn import_group(
    _input: &Input,
    _options: &ImportOptions,
    _sink: &mut Sink,
    _name: &str,
) -> Result<(), ImportError> {
    Ok(())
}

pub(super) fn import_single(
    input: &Input,
    _options: &ImportOptions,
    _sink: &mut Sink,
    _name: &str,
) -> Result<(), ImportError> {
    Err(ImportError::invalid(
        input.path().display().to_string(),
        "not yet",
    ))
}

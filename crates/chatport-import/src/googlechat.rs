//! The Google Chat importer: not written yet. Detection claims nothing, and an import asked for
//! by name says so.

use crate::{ImportError, ImportOptions, Input, Sink};

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = false;

pub(crate) fn sniff(_input: &Input) -> bool {
    false
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    _sink: &mut Sink,
) -> Result<(), ImportError> {
    Err(ImportError::Usage(format!(
        "{}: the googlechat importer is not written yet",
        input.path().display()
    )))
}

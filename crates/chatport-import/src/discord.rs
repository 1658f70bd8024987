//! The discord importer (not written yet).

use crate::{ImportError, ImportOptions, Input, Sink};

pub(crate) fn sniff(_input: &Input) -> bool {
    false
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    _sink: &mut Sink,
) -> Result<(), ImportError> {
    Err(ImportError::Usage(format!(
        "{}: the discord importer is not written yet",
        input.path().display()
    )))
}

//! WeChatMsg / MemoTrace TXT. Written later.
use crate::{ImportError, ImportOptions, Input, Sink};
pub(super) fn looks_like(_b: &[u8]) -> bool {
    false
}
pub(super) fn import_file(
    _i: &Input,
    _n: &str,
    _o: &ImportOptions,
    _s: &mut Sink,
) -> Result<(), ImportError> {
    Ok(())
}

//! The Instagram importer: the direct-message JSON of Instagram's "Download your information"
//! (`your_instagram_activity/messages/inbox/<thread>/message_N.json`, or `messages/inbox/...`
//! in 2020-2021 exports). The files are Messenger's format; the reading is shared in
//! `messenger::meta_dyi`.

use crate::messenger::meta_dyi::{self, App};
use crate::{ImportError, ImportOptions, Input, Sink};

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

pub(crate) fn sniff(input: &Input) -> bool {
    meta_dyi::classify(input) == Some(App::Instagram)
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    meta_dyi::import(input, App::Instagram, sink)
}

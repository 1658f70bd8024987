//! The Facebook Messenger importer: the JSON thread files of Facebook's "Download your
//! information" (`messages/inbox/<thread>/message_N.json`, under `your_facebook_activity/` or
//! `your_activity_across_facebook/` in newer exports). The format and its reading are shared
//! with Instagram in [`meta_dyi`].

#[path = "meta_dyi.rs"]
pub(crate) mod meta_dyi;

use crate::{ImportError, ImportOptions, Input, Sink};
use meta_dyi::App;

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

pub(crate) fn sniff(input: &Input) -> bool {
    meta_dyi::classify(input) == Some(App::Messenger)
}

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    meta_dyi::import(input, App::Messenger, sink)
}

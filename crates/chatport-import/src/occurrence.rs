//! Occurrence indexes for derived message ids (spec section 5.6): the number of earlier messages
//! whose other id parts are all equal. Counting them by trying index after index until an id is
//! free is quadratic when a chat repeats one line many times, so counts are kept: per time, for
//! the run of messages at that time, and for the whole import for the parts that ever repeated
//! (a chat whose times go back and forth returns to a time it left).

use crate::{ImportError, Sink};
use chatport_model::Message;
use std::collections::HashMap;
use xxhash_rust::xxh3::{Xxh3, Xxh3Builder};

/// The counts; one per conversation (or per import, when ids include the conversation).
#[derive(Default)]
pub(crate) struct Occurrences {
    at: String,
    window: HashMap<u128, u32, Xxh3Builder>,
    repeated: HashMap<u128, u32, Xxh3Builder>,
}

impl Occurrences {
    /// Writes `m` under the id `id_for(occurrence)` with the first occurrence index not taken,
    /// where `at` is the message's time text and `parts` the other parts its id is made of.
    pub(crate) fn write(
        &mut self,
        sink: &mut Sink,
        m: &mut Message,
        at: &str,
        parts: &[&str],
        id_for: impl Fn(u32) -> String,
    ) -> Result<(), ImportError> {
        if self.at != at {
            self.at.clear();
            self.at.push_str(at);
            self.window.clear();
        }
        let mut h = Xxh3::new();
        h.update(at.as_bytes());
        for p in parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        let key = h.digest128();
        let from_window = self.window.get(&key).copied();
        let from_repeats = self.repeated.get(&key).copied();
        let start = from_window.max(from_repeats).unwrap_or(0);
        let mut occurrence = start;
        loop {
            m.id = id_for(occurrence);
            if sink.message_or_taken(m)? {
                self.window.insert(key, occurrence + 1);
                if occurrence > 0 {
                    self.repeated.insert(key, occurrence + 1);
                }
                return Ok(());
            }
            occurrence += 1;
        }
    }
}

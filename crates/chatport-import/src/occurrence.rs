//! Occurrence indexes for derived message ids (spec section 5.6): the number of earlier messages
//! whose other id parts are all equal. Counting them by trying index after index until an id is
//! free is quadratic when a chat repeats one line many times, so counts are kept: per time, for
//! the run of messages at that time, and for the whole import for the parts that ever repeated
//! (a chat whose times go back and forth returns to a time it left).

use crate::{ImportError, Sink};
use chatport_model::Message;
use chatport_model::ids::{IdKey, KeyMap};
use xxhash_rust::xxh3::xxh3_128;

/// The counts; one per conversation (or per import, when ids include the conversation).
#[derive(Default)]
pub(crate) struct Occurrences {
    at: String,
    window: KeyMap<u32>,
    repeated: KeyMap<u32>,
    scratch: Vec<u8>,
}

impl Occurrences {
    /// Writes `m` under the id `id_into` gives for its occurrence index, where `at` is the
    /// message's time text and `parts` the other parts its id is made of, counting occurrences
    /// without asking the writer whether an id is taken, so that no message id is remembered.
    /// Exact when the caller knows every time the import comes back to after other times
    /// (`revisited` is true for a message at such a time): counts for those times are kept for
    /// the whole import, the others only for the run of messages at the current time, which
    /// then holds every earlier message at that time.
    pub(crate) fn write_vouched(
        &mut self,
        sink: &mut Sink,
        m: &mut Message,
        at: &str,
        parts: &[&str],
        revisited: bool,
        id_into: impl FnOnce(u32, &mut String),
    ) -> Result<(), ImportError> {
        let key = self.key_at(at, parts);
        let counts = if revisited {
            &mut self.repeated
        } else {
            &mut self.window
        };
        let count = counts.entry(key).or_insert(0);
        let occurrence = *count;
        *count += 1;
        id_into(occurrence, &mut m.id);
        sink.message_vouched(m)
    }

    /// The key of a message at time `at` with the other id parts `parts`; a new time starts a
    /// new run (the counts of the last one are dropped).
    fn key_at(&mut self, at: &str, parts: &[&str]) -> IdKey {
        if self.at != at {
            self.at.clear();
            self.at.push_str(at);
            self.window.clear();
        }
        key(&mut self.scratch, at, parts)
    }

    /// Writes `m` under the id `id_for(occurrence)` with the first occurrence index not taken,
    /// where `at` and `parts` are as for [`Occurrences::write_vouched`], asking the writer which
    /// ids are taken (it then remembers every message id).
    pub(crate) fn write(
        &mut self,
        sink: &mut Sink,
        m: &mut Message,
        at: &str,
        parts: &[&str],
        id_for: impl Fn(u32) -> String,
    ) -> Result<(), ImportError> {
        let key = self.key_at(at, parts);
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

/// The 128-bit hash of a time text and the other id parts, length-prefixed, laid out in
/// `scratch` and hashed at once (faster than feeding a streaming hasher piece by piece).
fn key(scratch: &mut Vec<u8>, at: &str, parts: &[&str]) -> IdKey {
    scratch.clear();
    scratch.extend_from_slice(at.as_bytes());
    for p in parts {
        scratch.extend_from_slice(&(p.len() as u64).to_le_bytes());
        scratch.extend_from_slice(p.as_bytes());
    }
    let h = xxh3_128(scratch);
    [h as u64, (h >> 64) as u64]
}

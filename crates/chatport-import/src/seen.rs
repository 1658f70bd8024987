//! The message ids one conversation has written so far, for importers that write their messages
//! vouched ([`Sink::message_vouched`](crate::Sink::message_vouched)) and must still know whether a
//! reply or a pin names an earlier message. Platforms number messages (Telegram's ids grow along
//! a chat): numbers are kept as bits in blocks of 4096, so a million ids take about 128 KiB
//! instead of the writer's 16 bytes each; any other id is kept as text.

use std::collections::{HashMap, HashSet};

/// Bits per block.
const BLOCK_BITS: u64 = 4096;

/// A set of message ids, numbers as bits and the rest as text.
#[derive(Default)]
pub(crate) struct SeenIds {
    blocks: HashMap<u64, Box<[u64; (BLOCK_BITS / 64) as usize]>, crate::hashing::BuildFastHasher>,
    other: HashSet<String>,
}

impl SeenIds {
    /// Adds the number `n`; false when it was there already.
    pub(crate) fn insert_number(&mut self, n: u64) -> bool {
        let block = self
            .blocks
            .entry(n / BLOCK_BITS)
            .or_insert_with(|| Box::new([0; (BLOCK_BITS / 64) as usize]));
        let bit = n % BLOCK_BITS;
        let word = &mut block[(bit / 64) as usize];
        let mask = 1u64 << (bit % 64);
        let new = *word & mask == 0;
        *word |= mask;
        new
    }

    /// True when the number `n` was added.
    pub(crate) fn contains_number(&self, n: u64) -> bool {
        let bit = n % BLOCK_BITS;
        self.blocks
            .get(&(n / BLOCK_BITS))
            .is_some_and(|b| b[(bit / 64) as usize] & (1u64 << (bit % 64)) != 0)
    }

    /// Adds an id that is not a number; false when it was there already.
    pub(crate) fn insert_text(&mut self, id: &str) -> bool {
        if self.other.contains(id) {
            return false;
        }
        self.other.insert(id.to_owned())
    }

    /// True when the id that is not a number was added.
    pub(crate) fn contains_text(&self, id: &str) -> bool {
        self.other.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_texts_are_kept_apart_and_exactly() {
        let mut s = SeenIds::default();
        for n in [0, 1, 63, 64, 4095, 4096, 4097, u64::MAX, 1 << 40] {
            assert!(!s.contains_number(n));
            assert!(s.insert_number(n), "{n} is new");
            assert!(s.contains_number(n));
            assert!(!s.insert_number(n), "{n} again");
        }
        for n in [2, 62, 65, 4094, 8191, (1 << 40) + 1, u64::MAX - 1] {
            assert!(!s.contains_number(n), "{n} was never added");
        }
        assert!(s.insert_text("5-n7"));
        assert!(!s.insert_text("5-n7"));
        assert!(s.contains_text("5-n7"));
        assert!(!s.contains_text("5"));
    }

    #[test]
    fn a_million_dense_ids_take_a_few_blocks() {
        let mut s = SeenIds::default();
        for n in 1..=1_000_000u64 {
            assert!(s.insert_number(n));
        }
        assert_eq!(s.blocks.len(), 245);
        assert!(s.contains_number(999_999) && !s.contains_number(1_000_001));
    }
}

//! Ids: a compact table of the ids an archive has defined so far (what the validator and the
//! writer must remember, and nothing more), and the derivation of deterministic ids for sources
//! that have none of their own.

use crate::RecordType;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A 128-bit fingerprint of an id string (XXH3-128). Two different ids collide with probability
/// about n²/2¹²⁹, negligible for any archive.
pub type IdKey = [u64; 2];

/// The fingerprint of `id`.
pub fn id_key(id: &str) -> IdKey {
    let h = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
    [h as u64, (h >> 64) as u64]
}

/// Hashes an [`IdKey`] by taking its first word: the key already is a good hash.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // An `IdKey` arrives here as its 16 bytes (arrays of integers hash as one slice): its
        // first word is the hash. Anything else is folded in.
        if self.0 == 0
            && let Some(word) = bytes.first_chunk::<8>()
        {
            self.0 = u64::from_le_bytes(*word);
            return;
        }
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        if self.0 == 0 {
            self.0 = n;
        }
    }
    fn write_usize(&mut self, _: usize) {}
}

/// A map keyed by id fingerprints.
pub type KeyMap<V> = HashMap<IdKey, V, BuildHasherDefault<KeyHasher>>;

/// One defined id: its fingerprint, with the record kind in the low three bits of the second
/// word (a 125-bit fingerprint still makes collisions negligible). Equality and hashing ignore
/// the kind, so a lookup finds the entry whatever it names; 16 bytes per id instead of 24.
#[derive(Clone, Copy)]
struct Entry(IdKey);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0[0] == other.0[0] && self.0[1] >> 3 == other.0[1] >> 3
    }
}

impl Eq for Entry {}

impl std::hash::Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0[0]);
    }
}

const KINDS: [RecordType; 5] = [
    RecordType::Header,
    RecordType::Account,
    RecordType::Person,
    RecordType::Conversation,
    RecordType::Message,
];

fn entry(id: &str, t: RecordType) -> Entry {
    let [a, b] = id_key(id);
    let code = KINDS.iter().position(|k| *k == t).unwrap_or(0) as u64;
    Entry([a, (b & !7) | code])
}

fn kind(e: &Entry) -> RecordType {
    KINDS
        .get((e.0[1] & 7) as usize)
        .copied()
        .unwrap_or(RecordType::Header)
}

/// The ids defined so far and the kind of record each names. Memory grows with the number of
/// ids (16 bytes each in the table, about 24 to 48 with the table's spare room), never with the
/// size of the records.
#[derive(Default)]
pub struct IdTable {
    set: std::collections::HashSet<Entry, BuildHasherDefault<KeyHasher>>,
}

impl IdTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `id` names a record of kind `t`. Returns the kind it already named, if any.
    pub fn define(&mut self, id: &str, t: RecordType) -> Option<RecordType> {
        let e = entry(id, t);
        // One probe for a new id (the common case); `insert` keeps an entry already there, so
        // a taken id still answers with its first kind.
        if self.set.insert(e) {
            None
        } else {
            self.set.get(&e).map(kind)
        }
    }

    /// Forgets `id`: it names no record any more (see `ArchiveWriter::end_scope`).
    pub fn remove(&mut self, id: &str) {
        self.set.remove(&entry(id, RecordType::Header));
    }

    /// The kind of record `id` names, if it has been defined.
    pub fn get(&self, id: &str) -> Option<RecordType> {
        self.set.get(&entry(id, RecordType::Header)).map(kind)
    }

    /// How many ids are defined.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True when no id is defined.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// A deterministic id for a record whose source gives no id of its own: `prefix` followed by the
/// first 20 hexadecimal digits of the SHA-256 of the parts (each prefixed by its length, so that
/// no two different part lists hash the same bytes).
///
/// For messages, pass the conversation id, the time text, the sender, the text and the
/// message's occurrence among earlier messages with the same other parts (0 for the first). Then
/// importing the same export twice gives the same ids, two overlapping exports of one chat agree
/// on the ids of the messages they share, and two identical messages sent in the same minute stay
/// two records.
pub fn derive_id(prefix: &str, parts: &[&str]) -> String {
    let mut out = String::with_capacity(prefix.len() + 20);
    derive_id_into(&mut out, prefix, parts);
    out
}

/// [`derive_id`] into `out` (cleared first), for callers that derive millions of ids and keep
/// reusing one string.
pub fn derive_id_into(out: &mut String, prefix: &str, parts: &[&str]) {
    // The parts are laid out in one buffer and hashed in one call: cheaper than two small
    // updates per part, and the same bytes.
    let mut stack = [0u8; 256];
    let size: usize = parts.iter().map(|p| 8 + p.len()).sum();
    let digest = if size <= stack.len() {
        let mut at = 0;
        for p in parts {
            stack[at..at + 8].copy_from_slice(&(p.len() as u64).to_le_bytes());
            stack[at + 8..at + 8 + p.len()].copy_from_slice(p.as_bytes());
            at += 8 + p.len();
        }
        Sha256::digest(&stack[..at])
    } else {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        h.finalize()
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 20];
    for (i, b) in digest[..10].iter().enumerate() {
        hex[2 * i] = HEX[usize::from(b >> 4)];
        hex[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out.clear();
    out.push_str(prefix);
    out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_id_hashes_the_same_bytes_whether_the_parts_fit_the_stack_buffer_or_not() {
        // Reference: the length-prefixed parts fed to SHA-256 one by one (spec 5.6).
        let reference = |parts: &[&str]| {
            let mut h = Sha256::new();
            for p in parts {
                h.update((p.len() as u64).to_le_bytes());
                h.update(p.as_bytes());
            }
            let d = h.finalize();
            let hex: String = d[..10].iter().map(|b| format!("{b:02x}")).collect();
            format!("m-{hex}")
        };
        let long = "é".repeat(200);
        // Totals of 8 + n + 8 + 3 bytes on both sides of the 256-byte buffer.
        for n in [0, 1, 200, 236, 237, 238, 239, 240, 300, 400] {
            let text = &long[..n - n % 2];
            let parts = [text, "abc"];
            assert_eq!(derive_id("m-", &parts), reference(&parts), "{n}");
        }
        assert_eq!(derive_id("m-", &[]), reference(&[]));
    }

    #[test]
    fn derive_id_is_stable_and_separates_parts() {
        let a = derive_id("m-", &["c1", "2024-01-01T10:00", "Ann", "hi", "0"]);
        assert_eq!(
            a,
            derive_id("m-", &["c1", "2024-01-01T10:00", "Ann", "hi", "0"])
        );
        // Same bytes split differently must not collide.
        assert_ne!(derive_id("m-", &["ab", "c"]), derive_id("m-", &["a", "bc"]));
        // The occurrence index keeps same-minute duplicates apart.
        assert_ne!(
            a,
            derive_id("m-", &["c1", "2024-01-01T10:00", "Ann", "hi", "1"])
        );
        assert_eq!(a.len(), 22);
        // Pinned value: changing the derivation changes every id of every archive.
        assert_eq!(derive_id("m-", &[]), "m-e3b0c44298fc1c149afb");
    }

    #[test]
    fn table_reports_redefinition_with_first_kind() {
        let mut t = IdTable::new();
        assert_eq!(t.define("a", RecordType::Account), None);
        assert_eq!(
            t.define("a", RecordType::Message),
            Some(RecordType::Account)
        );
        assert_eq!(t.get("a"), Some(RecordType::Account));
        assert_eq!(t.get("b"), None);
        assert_eq!(t.len(), 1);
        for (i, k) in KINDS.iter().enumerate() {
            let id = format!("id-{i}");
            assert_eq!(t.define(&id, *k), None);
            assert_eq!(t.get(&id), Some(*k));
        }
    }
}

//! A hasher for the maps an importer consults once per message: small keys (names, block
//! numbers) hashed with one-shot xxh3 calls, much faster on a few bytes than SipHash or the
//! streaming xxh3 hasher.

/// Hashes each piece written with one `xxh3_64_with_seed` call, chained through the seed: a
/// `str` arrives as one `write` of its bytes and a `write_u8` marker, a `u64` as its 8 bytes.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Builds [`FastHasher`]s, for `HashMap` and `HashSet`.
pub(crate) type BuildFastHasher = std::hash::BuildHasherDefault<FastHasher>;

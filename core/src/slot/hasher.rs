//! The hasher of the registry's by-type lookup.

use std::hash::Hasher;

/// Hashes a [`TypeId`]: it is already a hash, so its bits are taken as they are
/// (other input, which `TypeId` does not write today, is folded in with FNV-1a).
#[derive(Default)]
pub(crate) struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

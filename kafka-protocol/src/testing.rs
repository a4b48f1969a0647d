//! Test support: a small deterministic RNG and version-aware random message values, used by the
//! round-trip property tests over every generated message.

use bytes::{Bytes, BytesMut};

use crate::codec::{Message, RawTaggedField, Uuid};

/// SplitMix64: tiny, fast and fully determined by its seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }

    pub(crate) fn f64(&mut self) -> f64 {
        // Finite values only: NaN never compares equal.
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1e6 - 5e5
    }

    pub(crate) fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next(), self.next())
    }

    pub(crate) fn string(&mut self) -> String {
        let len = self.below(12) as usize;
        (0..len)
            .map(|_| match self.below(20) {
                0 => 'é',
                1 => '✓',
                n => char::from(b'a' + (n as u8 % 26)),
            })
            .collect()
    }

    pub(crate) fn bytes(&mut self) -> Bytes {
        let len = self.below(24) as usize;
        (0..len).map(|_| self.next() as u8).collect::<Vec<u8>>().into()
    }

    pub(crate) fn vec<T>(&mut self, mut f: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let len = self.below(4) as usize;
        (0..len).map(|_| f(self)).collect()
    }

    /// Unknown tagged fields with tags far above any known one, in ascending tag order.
    pub(crate) fn unknown_tagged_fields(&mut self) -> Vec<RawTaggedField> {
        if !self.one_in(3) {
            return Vec::new();
        }
        let mut tag = 1000 + self.below(100) as u32;
        self.vec(|rng| {
            tag += 1 + rng.below(300) as u32;
            RawTaggedField { tag, data: rng.bytes() }
        })
    }
}

/// A random value that is valid at `version`: fields absent from that version keep their
/// defaults, and nulls appear only where the version allows them.
pub(crate) trait Arbitrary: Sized {
    fn arbitrary(rng: &mut Rng, version: i16) -> Self;
}

/// value -> bytes -> value must be equal; bytes -> value -> bytes must be identical; the
/// encoded length must equal the bytes written.
pub(crate) fn round_trip<M: Message + Arbitrary + PartialEq + std::fmt::Debug>(
    seed: u64,
    version: i16,
) -> Result<Bytes, String> {
    let mut rng = Rng::new(seed);
    let value = M::arbitrary(&mut rng, version);
    let mut buf = BytesMut::new();
    value.encode(&mut buf, version).map_err(|e| format!("encode: {e}"))?;
    if buf.len() != value.encoded_len(version) {
        return Err(format!("encoded_len {} but wrote {}", value.encoded_len(version), buf.len()));
    }
    let bytes = buf.freeze();
    let decoded = M::decode_exact(bytes.clone(), version).map_err(|e| format!("decode: {e}"))?;
    if decoded != value {
        return Err(format!("value changed:\n  before {value:?}\n  after  {decoded:?}"));
    }
    let again = decoded.encode_to_bytes(version).map_err(|e| format!("re-encode: {e}"))?;
    if again != bytes {
        return Err("re-encoded bytes differ".to_string());
    }
    // Every strict prefix must fail cleanly, never panic.
    for cut in [0, bytes.len() / 2, bytes.len().saturating_sub(1)] {
        if cut < bytes.len() && M::decode_exact(bytes.slice(..cut), version).is_ok() {
            return Err(format!("a {cut}-byte prefix of {} bytes decoded", bytes.len()));
        }
    }
    Ok(bytes)
}

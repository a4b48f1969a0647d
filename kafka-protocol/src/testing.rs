//! Test support: a small deterministic RNG and version-aware random message values, used by the
//! round-trip property tests over every generated message and, with the non-default `arbitrary`
//! feature, by servers' robustness tests ([`arbitrary_request`], [`Rng::hostile`]). Not part of
//! the public API: hidden from the docs, may change at any time.

use bytes::Bytes;
#[cfg(test)]
use bytes::BytesMut;

#[cfg(test)]
use crate::codec::Message;
use crate::codec::{RawTaggedField, Uuid};
use crate::messages::{ApiKey, RequestBody};

/// Dictionaries a hostile [`Rng`] draws from, so random requests name things that exist.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    /// Names (topics, groups, transactional ids, config keys, ...) to pick for strings.
    pub strings: Vec<String>,
    /// Ids (topic ids, ...) to pick for UUIDs.
    pub uuids: Vec<Uuid>,
    /// Byte strings (well-formed record batches, ...) to pick for bytes and records.
    pub bytes: Vec<Bytes>,
    /// Integers (producer ids, epochs, generations, session ids seen in responses, ...) to
    /// pick for integer fields, truncated to the field's width.
    pub ints: Vec<i64>,
}

/// Integers that break careless arithmetic: they truncate to the edge values of every width
/// (`as i8`/`i16`/`i32`/`i64`), plus small counts and indexes.
const EDGES: [u64; 16] = [
    0,
    1,
    2,
    u64::MAX,                         // -1 at every width
    u64::MAX - 1,                     // -2
    0x7f,                             // i8::MAX
    0xffff_ffff_ffff_ff80,            // i8::MIN (and -128 wider)
    0x7fff,                           // i16::MAX
    0xffff_ffff_ffff_8000,            // i16::MIN
    0x7fff_ffff,                      // i32::MAX
    0xffff_ffff_8000_0000,            // i32::MIN
    0x7fff_ffff_ffff_ffff,            // i64::MAX
    0x8000_0000_0000_0000,            // i64::MIN (0 as i32)
    0x0000_0000_7fff_fffe,            // i32::MAX - 1
    0x7fff_ffff_ffff_fffe,            // i64::MAX - 1
    1 << 31,                          // i32::MIN as i32, 2^31 as i64
];

/// SplitMix64: tiny, fast and fully determined by its seed. In hostile mode ([`Rng::hostile`])
/// values are biased towards edge integers, dictionary names, empty and oversized strings and
/// longer lists.
pub struct Rng {
    state: u64,
    hostile: Option<Dictionary>,
}

impl Rng {
    /// Uniform values from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed, hostile: None }
    }

    /// Values biased towards what breaks handlers, from `seed`, drawing names from `dict`.
    pub fn hostile(seed: u64, dict: Dictionary) -> Self {
        Self { state: seed, hostile: Some(dict) }
    }

    /// The next raw 64 bits.
    pub fn raw(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next value for an integer field (callers cast it to the field's width).
    // Generated code calls `rng.next()`; this is no iterator.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        if let Some(dict) = &self.hostile {
            let n = dict.ints.len() as u64;
            match self.raw() % 8 {
                0..=1 => return EDGES[(self.raw() % EDGES.len() as u64) as usize],
                2 if n > 0 => {
                    let i = (self.raw() % n) as usize;
                    return self.hostile.as_ref().map_or(0, |d| d.ints[i] as u64);
                }
                3..=4 => return self.raw() % 8,
                _ => {}
            }
        }
        self.raw()
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.raw() % n.max(1)
    }

    /// True once in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// A fair coin.
    pub fn bool(&mut self) -> bool {
        self.raw() & 1 == 1
    }

    /// A finite float.
    pub fn f64(&mut self) -> f64 {
        if self.hostile.is_some() && self.one_in(3) {
            // Finite only: the wire carries NaN, but values must compare in round trips.
            return [0.0, -1.0, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 1e300][self.below(6) as usize];
        }
        // Finite values only: NaN never compares equal.
        (self.raw() >> 11) as f64 / (1u64 << 53) as f64 * 1e6 - 5e5
    }

    /// A UUID (in hostile mode often a dictionary one or zero).
    pub fn uuid(&mut self) -> Uuid {
        if let Some(dict) = &self.hostile {
            let n = dict.uuids.len() as u64;
            match self.raw() % 4 {
                0 | 1 if n > 0 => {
                    let i = (self.raw() % n) as usize;
                    return self.hostile.as_ref().map(|d| d.uuids[i]).unwrap_or(Uuid::ZERO);
                }
                2 => return Uuid::ZERO,
                _ => {}
            }
        }
        Uuid::from_u64_pair(self.raw(), self.raw())
    }

    /// A string (in hostile mode often a dictionary name, empty or long).
    pub fn string(&mut self) -> String {
        if let Some(dict) = &self.hostile {
            let n = dict.strings.len() as u64;
            match self.raw() % 10 {
                0..=4 if n > 0 => {
                    let i = (self.raw() % n) as usize;
                    return self.hostile.as_ref().map(|d| d.strings[i].clone()).unwrap_or_default();
                }
                5 => return String::new(),
                6 => {
                    let len = [249, 250, 255, 1000, 32_767][self.below(5) as usize];
                    return "x".repeat(len);
                }
                _ => {}
            }
        }
        let len = self.below(12) as usize;
        (0..len)
            .map(|_| match self.below(20) {
                0 => 'é',
                1 => '✓',
                2 if self.hostile.is_some() => ['.', '/', '\0', '~', '*'][self.below(5) as usize],
                n => char::from(b'a' + (n as u8 % 26)),
            })
            .collect()
    }

    /// Bytes (in hostile mode often a dictionary blob or a damaged copy of one).
    pub fn bytes(&mut self) -> Bytes {
        if let Some(dict) = &self.hostile {
            let n = dict.bytes.len() as u64;
            if n > 0 && self.raw() % 2 == 0 {
                let i = (self.raw() % n) as usize;
                let blob = self.hostile.as_ref().map(|d| d.bytes[i].clone()).unwrap_or_default();
                if blob.is_empty() || self.bool() {
                    return blob;
                }
                // Damage it: overwrite a few bytes with edge values, or cut it.
                let mut v = blob.to_vec();
                for _ in 0..1 + self.below(4) {
                    let at = self.below(v.len() as u64) as usize;
                    let e = EDGES[self.below(EDGES.len() as u64) as usize];
                    let edge = e.to_be_bytes();
                    for (k, b) in edge.iter().skip(self.below(8) as usize).enumerate() {
                        if let Some(slot) = v.get_mut(at + k) {
                            *slot = *b;
                        }
                    }
                }
                if self.one_in(4) {
                    v.truncate(self.below(v.len() as u64) as usize);
                }
                return v.into();
            }
        }
        let len = self.below(24) as usize;
        (0..len).map(|_| self.raw() as u8).collect::<Vec<u8>>().into()
    }

    /// A list (in hostile mode sometimes long).
    pub fn vec<T>(&mut self, mut f: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let len = if self.hostile.is_some() && self.one_in(16) { 4 + self.below(60) } else { self.below(4) };
        (0..len).map(|_| f(self)).collect()
    }

    /// Unknown tagged fields with tags far above any known one, in ascending tag order.
    pub fn unknown_tagged_fields(&mut self) -> Vec<RawTaggedField> {
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
pub trait Arbitrary: Sized {
    /// A random value for `version`.
    fn arbitrary(rng: &mut Rng, version: i16) -> Self;
}

/// A random request of API `key` that encodes at `version` (fields absent from that version
/// keep their defaults).
pub fn arbitrary_request(key: ApiKey, rng: &mut Rng, version: i16) -> RequestBody {
    crate::messages::arbitrary_request(key, rng, version)
}

#[cfg(test)]
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

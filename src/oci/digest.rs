//! Content digests: `algorithm:hex`, as in the OCI image spec
//! (<https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests>).
//!
//! Only `sha256` and `sha512` are accepted, with their exact hex lengths, in
//! lower case — what registries and `docker load` accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha512};

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected `sha256:` followed by 64 lower-case hex digits")]
    Malformed(String),
    #[error("unsupported digest algorithm {algorithm:?} in {digest:?}: only sha256 and sha512 are supported")]
    Algorithm { algorithm: String, digest: String },
}

/// A digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A validated digest such as `sha256:e3b0c442…`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// The sha256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest::from_sha256_bytes(&Sha256::digest(data))
    }

    /// A digest from a raw 32-byte sha256 hash.
    pub fn from_sha256_bytes(hash: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: to_hex(hash),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part, without `algorithm:`.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex digits, as `docker images` shows ids.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// A hasher for this digest's algorithm.
    pub fn hasher(&self) -> Hasher {
        Hasher::new(self.algorithm)
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Malformed(s.to_string()))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ if !alg.is_empty()
                && alg.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b)
                }) =>
            {
                return Err(DigestError::Algorithm {
                    algorithm: alg.to_string(),
                    digest: s.to_string(),
                })
            }
            _ => return Err(DigestError::Malformed(s.to_string())),
        };
        if hex.len() != algorithm.hex_len()
            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DigestError::Malformed(s.to_string()));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Computes a digest over bytes fed in pieces.
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
    /// sha256 computed by the host (see [`ExternalSha256`]).
    External(Box<dyn ExternalSha256>),
}

/// A sha256 implementation the host supplies, when it has a faster one
/// than this crate's portable code: a wasm build under Node hashes with
/// OpenSSL (`crypto.createHash`), several times faster than wasm can.
pub trait ExternalSha256: MaybeSend {
    fn update(&mut self, data: &[u8]);
    /// The hash of everything fed.
    fn finish(self: Box<Self>) -> [u8; 32];
}

/// `Send` natively, where hashing may move to another thread; nothing on
/// wasm32, which has one thread and whose host objects cannot be sent.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` natively, where hashing may move to another thread; nothing on
/// wasm32, which has one thread and whose host objects cannot be sent.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn sha256() -> Hasher {
        Hasher::new(Algorithm::Sha256)
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::External(h) => h.update(data),
        }
    }

    pub fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest::from_sha256_bytes(&h.finalize()),
            Hasher::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: to_hex(&h.finalize()),
            },
            Hasher::External(h) => Digest::from_sha256_bytes(&h.finish()),
        }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hashes_and_round_trips() {
        let d = Digest::sha256(b"");
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(EMPTY.parse::<Digest>().unwrap(), d);
        assert_eq!(d.short(), "e3b0c44298fc");
        let mut h = Hasher::sha256();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), Digest::sha256(b"abc"));
    }

    #[test]
    fn rejects_bad_digests() {
        for s in [
            "",
            "sha256",
            "sha256:",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:abc",
            "../etc/passwd",
        ] {
            assert!(
                matches!(s.parse::<Digest>(), Err(DigestError::Malformed(_))),
                "{s}"
            );
        }
        assert!(matches!(
            "md5:abc".parse::<Digest>(),
            Err(DigestError::Algorithm { .. })
        ));
    }
}

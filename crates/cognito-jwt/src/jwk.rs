//! Turning a JWKS document into keys ready to verify with.
//!
//! Each JWK is checked on its own (RFC 7517/7518, RFC 8725) and skipped,
//! with a log line, when it is unusable: no `kid`, a `kty` that does not
//! fit any allowed algorithm (`oct` never does), `use` other than `sig`,
//! `key_ops` without `verify`, a JWK `alg` not allowed, RSA under 2048 bits,
//! or key material that does not parse. The other keys stay usable.
//!
//! Keys are parsed once per algorithm they may serve (aws-lc-rs
//! `ParsedPublicKey`), so a verification does no key parsing at all.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::Value;

use crate::algorithm::{Algorithm, KeyFamily};
use crate::error::{Error, capped};
use crate::token::MAX_KID_LEN;

/// Smallest RSA modulus accepted, in bits.
pub(crate) const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (aws-lc-rs verifies up to 8192).
const MAX_RSA_BITS: usize = 8192;

/// One key from a JWKS, pre-parsed for every algorithm it may verify.
pub(crate) struct VerifyingKey {
    pub(crate) kid: String,
    /// The public key material, to tell whether a refreshed JWKS kept this exact key.
    material: String,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
    /// For RSA keys, the modulus length in bytes: signatures must be exactly this long.
    rsa_len: Option<usize>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field(
                "algorithms",
                &self.parsed.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl VerifyingKey {
    /// Verify `signature` over `message` with this key and `alg`.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let Some((_, key)) = self.parsed.iter().find(|(a, _)| *a == alg) else {
            return Err(Error::KeyAlgorithmMismatch {
                kid: capped(&self.kid),
                alg: alg.as_str(),
            });
        };
        let expected_len = self.rsa_len.or(alg.fixed_signature_len());
        if expected_len.is_some_and(|n| n != signature.len()) {
            return Err(Error::InvalidSignature);
        }
        key.verify_sig(message, signature)
            .map_err(|_| Error::InvalidSignature)
    }
}

impl VerifyingKey {
    /// An ES256 key from a DER `SubjectPublicKeyInfo` (a load balancer's
    /// PEM key, decoded): a P-256 key, else the string says why not.
    pub(crate) fn es256_from_spki(kid: &str, spki_der: &[u8]) -> Result<VerifyingKey, String> {
        let key = ParsedPublicKey::new(Algorithm::ES256.verification(), spki_der)
            .map_err(|e| format!("not a P-256 public key: {e}"))?;
        Ok(VerifyingKey {
            kid: kid.to_owned(),
            material: format!("SPKI:{}", URL_SAFE_NO_PAD.encode(spki_der)),
            parsed: vec![(Algorithm::ES256, key)],
            rsa_len: None,
        })
    }
}

/// The usable keys of one issuer, by `kid`.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>, foldhash::fast::RandomState>,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Whether both sets hold the very same keys (the parser reuses an
    /// unchanged key's `Arc`, so this is pointer equality, kid by kid).
    pub(crate) fn same_keys(&self, other: &KeySet) -> bool {
        self.keys.len() == other.keys.len()
            && self
                .keys
                .iter()
                .all(|(kid, key)| other.keys.get(kid).is_some_and(|o| Arc::ptr_eq(o, key)))
    }
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn b64(field: &'static str, value: Option<&String>) -> Result<Vec<u8>, String> {
    let text = value.ok_or_else(|| format!("no `{field}`"))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| format!("`{field}` is not base64url"))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// Which allowed algorithms this JWK may serve, or why it serves none.
fn algorithms_for(jwk: &Jwk, allowed: &[Algorithm]) -> Result<Vec<Algorithm>, String> {
    if let Some(u) = &jwk.use_
        && u != "sig"
    {
        return Err(format!("`use` is {:?}, not \"sig\"", capped(u)));
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|o| o == "verify")
    {
        return Err("`key_ops` does not allow \"verify\"".into());
    }
    let kty = jwk.kty.as_deref().ok_or("no `kty`")?;
    let fits = |alg: &Algorithm| match alg.family() {
        KeyFamily::Rsa => kty == "RSA",
        KeyFamily::Ec(crv) => kty == "EC" && jwk.crv.as_deref() == Some(crv),
        KeyFamily::Okp(crv) => kty == "OKP" && jwk.crv.as_deref() == Some(crv),
    };
    let algs: Vec<Algorithm> = match &jwk.alg {
        Some(name) => {
            let alg = Algorithm::from_name(name)
                .filter(|a| allowed.contains(a))
                .ok_or_else(|| format!("`alg` {:?} is not allowed", capped(name)))?;
            vec![alg]
        }
        None => allowed.to_vec(),
    };
    let algs: Vec<Algorithm> = algs.into_iter().filter(fits).collect();
    if algs.is_empty() {
        return Err(format!(
            "`kty` {:?} (crv {:?}) fits no allowed algorithm",
            capped(kty),
            jwk.crv.as_deref().map(capped)
        ));
    }
    Ok(algs)
}

fn build_key(jwk: &Jwk, kid: &str, allowed: &[Algorithm]) -> Result<VerifyingKey, String> {
    let algs = algorithms_for(jwk, allowed)?;
    let mut parsed = Vec::with_capacity(algs.len());
    let (material, rsa_len) = match jwk.kty.as_deref() {
        Some("RSA") => {
            let n_raw = b64("n", jwk.n.as_ref())?;
            let e_raw = b64("e", jwk.e.as_ref())?;
            let n = strip_leading_zeros(&n_raw);
            let e = strip_leading_zeros(&e_raw);
            let bits = n.first().map_or(0, |b| {
                n.len()
                    .saturating_sub(1)
                    .saturating_mul(8)
                    .saturating_add(8usize.saturating_sub(b.leading_zeros() as usize))
            });
            if bits < MIN_RSA_BITS {
                return Err(format!("RSA modulus is {bits} bits, under {MIN_RSA_BITS}"));
            }
            if bits > MAX_RSA_BITS {
                return Err(format!("RSA modulus is {bits} bits, over {MAX_RSA_BITS}"));
            }
            // aws-lc accepts any exponent here and refuses a bad one only when
            // verifying; skip the key now so it is named and logged as unusable.
            let e_ok = e.len() <= 4 && e.last().is_some_and(|b| b & 1 == 1) && !matches!(e, [1]);
            if !e_ok {
                return Err("RSA exponent is not an odd number between 3 and 2^32".into());
            }
            let components = RsaPublicKeyComponents { n, e };
            for alg in algs {
                let params = alg.rsa_parameters().ok_or("not an RSA algorithm")?;
                let key = components
                    .to_parsed_public_key(params)
                    .map_err(|e| format!("RSA key rejected: {e}"))?;
                parsed.push((alg, key));
            }
            (
                format!(
                    "RSA:{}:{}",
                    jwk.n.as_deref().unwrap_or_default(),
                    jwk.e.as_deref().unwrap_or_default()
                ),
                Some(n.len()),
            )
        }
        Some("EC") => {
            let x = b64("x", jwk.x.as_ref())?;
            let y = b64("y", jwk.y.as_ref())?;
            let size = match jwk.crv.as_deref() {
                Some("P-256") => 32,
                Some("P-384") => 48,
                _ => return Err("unsupported curve".into()),
            };
            if x.len() != size || y.len() != size {
                return Err("EC coordinates have the wrong length".into());
            }
            let mut point = Vec::with_capacity(size.saturating_mul(2).saturating_add(1));
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            for alg in algs {
                let key = ParsedPublicKey::new(alg.verification(), &point)
                    .map_err(|e| format!("EC key rejected: {e}"))?;
                parsed.push((alg, key));
            }
            (
                format!(
                    "EC:{}:{}",
                    jwk.x.as_deref().unwrap_or_default(),
                    jwk.y.as_deref().unwrap_or_default()
                ),
                None,
            )
        }
        Some("OKP") => {
            let x = b64("x", jwk.x.as_ref())?;
            if x.len() != 32 {
                return Err("Ed25519 key is not 32 bytes".into());
            }
            for alg in algs {
                let key = ParsedPublicKey::new(alg.verification(), &x)
                    .map_err(|e| format!("Ed25519 key rejected: {e}"))?;
                parsed.push((alg, key));
            }
            (
                format!("OKP:{}", jwk.x.as_deref().unwrap_or_default()),
                None,
            )
        }
        _ => return Err("unsupported `kty`".into()),
    };
    Ok(VerifyingKey {
        kid: kid.to_owned(),
        material,
        parsed,
        rsa_len,
    })
}

/// Parse a JWKS document. Unusable keys are skipped one by one; a document
/// with no usable key at all is an error (the string says why).
///
/// Keys identical to one in `previous` (same `kid`, same material) are reused,
/// so tokens verified with them stay in the verified-token cache.
pub(crate) fn parse_jwks(
    bytes: &[u8],
    allowed: &[Algorithm],
    max_keys: usize,
    previous: Option<&KeySet>,
) -> Result<KeySet, String> {
    let doc: Document = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a JWKS document ({})", e.classify_name()))?;
    let mut set = KeySet::default();
    let total = doc.keys.len();
    if total > max_keys {
        tracing::warn!(
            total,
            max_keys,
            "JWKS has more keys than allowed; using the first ones"
        );
    }
    let mut skipped = Vec::new();
    for value in doc.keys.into_iter().take(max_keys) {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(j) => j,
            Err(_) => {
                skipped.push("a JWK that is not an object of string members".to_owned());
                continue;
            }
        };
        let Some(kid) = jwk
            .kid
            .clone()
            .filter(|k| !k.is_empty() && k.len() <= MAX_KID_LEN)
        else {
            skipped.push("a JWK without a usable `kid`".to_owned());
            continue;
        };
        if set.keys.contains_key(&kid) {
            skipped.push(format!("a second JWK with kid {:?}", capped(&kid)));
            continue;
        }
        match build_key(&jwk, &kid, allowed) {
            Ok(key) => {
                let reuse = previous
                    .and_then(|p| p.get(&kid))
                    .filter(|old| old.material == key.material && same_algs(old, &key));
                let key = match reuse {
                    Some(old) => Arc::clone(old),
                    None => Arc::new(key),
                };
                set.keys.insert(kid, key);
            }
            Err(reason) => skipped.push(format!("kid {:?}: {reason}", capped(&kid))),
        }
    }
    for reason in &skipped {
        tracing::warn!(reason = ?reason, "skipping unusable JWK");
    }
    if set.keys.is_empty() {
        return Err(match skipped.first() {
            Some(first) => format!("no usable key ({} skipped; first: {first})", skipped.len()),
            None => "the key set is empty".to_owned(),
        });
    }
    Ok(set)
}

fn same_algs(a: &VerifyingKey, b: &VerifyingKey) -> bool {
    a.parsed.len() == b.parsed.len()
        && a.parsed
            .iter()
            .zip(&b.parsed)
            .all(|((x, _), (y, _))| x == y)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "wrong shape",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

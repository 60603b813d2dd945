//! The fixed test keys every target signs and verifies with.
//!
//! The keys are committed (PKCS#8 DER in `fuzz/keys/`, generated once with
//! `openssl genpkey`), so a seed token signed today still verifies in the
//! replay test years later. They protect nothing.

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED,
    ECDSA_P384_SHA384_FIXED_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::Algorithm;
use serde_json::{Value, json};

enum Pair {
    Rsa(rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// One signing key: its `kid`, the algorithm it signs with, and the key pair.
pub struct Key {
    /// Short name, for messages.
    pub name: &'static str,
    /// The `kid` its JWK is published under (two keys share `shared`; the
    /// outsider reuses `ec-b` but is in no key set).
    pub kid: &'static str,
    /// The algorithm it signs with.
    pub alg: Algorithm,
    pair: Pair,
}

/// Indices into [`keys`].
pub mod id {
    /// RSA-2048, RS256, issuer A (the Cognito pool).
    pub const RSA_A: usize = 0;
    /// P-256, ES256, issuer B.
    pub const EC_B: usize = 1;
    /// Ed25519, EdDSA, issuer B.
    pub const ED_B: usize = 2;
    /// P-256, kid `shared`, issuer B.
    pub const SHARED_B: usize = 3;
    /// P-256, ES256, issuer C.
    pub const EC_C: usize = 4;
    /// P-256, kid `shared`, issuer C (a different key from [`SHARED_B`]).
    pub const SHARED_C: usize = 5;
    /// P-384, ES384, issuer C.
    pub const P384_C: usize = 6;
    /// P-256 under kid `ec-b`, published nowhere: a forger's key.
    pub const OUTSIDER: usize = 7;
}

/// Every key, by the indices in [`id`].
pub fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let ec = |name, kid, der: &[u8]| Key {
            name,
            kid,
            alg: Algorithm::ES256,
            pair: Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .expect("fixed P-256 key"),
            ),
        };
        vec![
            Key {
                name: "rsa-a",
                kid: "rsa-a",
                alg: Algorithm::RS256,
                pair: Pair::Rsa(
                    rsa::KeyPair::from_pkcs8(include_bytes!("../keys/rsa-a.pk8.der"))
                        .expect("fixed RSA key"),
                ),
            },
            ec("ec-b", "ec-b", include_bytes!("../keys/ec-b.pk8.der")),
            Key {
                name: "ed-b",
                kid: "ed-b",
                alg: Algorithm::EdDSA,
                pair: Pair::Ed(
                    Ed25519KeyPair::from_pkcs8(include_bytes!("../keys/ed-b.pk8.der"))
                        .expect("fixed Ed25519 key"),
                ),
            },
            ec(
                "shared-b",
                "shared",
                include_bytes!("../keys/shared-b.pk8.der"),
            ),
            ec("ec-c", "ec-c", include_bytes!("../keys/ec-c.pk8.der")),
            ec(
                "shared-c",
                "shared",
                include_bytes!("../keys/shared-c.pk8.der"),
            ),
            Key {
                name: "p384-c",
                kid: "p384-c",
                alg: Algorithm::ES384,
                pair: Pair::Ec(
                    EcdsaKeyPair::from_pkcs8(
                        &ECDSA_P384_SHA384_FIXED_SIGNING,
                        include_bytes!("../keys/p384-c.pk8.der"),
                    )
                    .expect("fixed P-384 key"),
                ),
            },
            ec(
                "outsider",
                "ec-b",
                include_bytes!("../keys/outsider.pk8.der"),
            ),
        ]
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Key {
    /// Sign `message` with this key's own algorithm.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("RSA signing");
                sig
            }
            Pair::Ec(kp) => kp
                .sign(&rng, message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            Pair::Ed(kp) => kp.sign(message).as_ref().to_vec(),
        }
    }

    /// Whether `sig` is this key's signature of `message` under `alg`,
    /// checked here with aws-lc-rs directly, not through the verifier.
    pub fn verifies(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        match (&self.pair, alg) {
            (Pair::Rsa(kp), Algorithm::RS256) => {
                let pk = kp.public_key();
                let (modulus, exponent) = (pk.modulus(), pk.exponent());
                let n = modulus.big_endian_without_leading_zero();
                let e = exponent.big_endian_without_leading_zero();
                RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                    .is_ok()
            }
            (Pair::Ec(kp), Algorithm::ES256) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, kp.public_key().as_ref())
                    .verify(message, sig)
                    .is_ok()
            }
            (Pair::Ec(kp), Algorithm::ES384) => {
                UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, kp.public_key().as_ref())
                    .verify(message, sig)
                    .is_ok()
            }
            (Pair::Ed(kp), Algorithm::EdDSA) => {
                UnparsedPublicKey::new(&ED25519, kp.public_key().as_ref())
                    .verify(message, sig)
                    .is_ok()
            }
            _ => false,
        }
    }

    /// The public JWK, with `alg` and `use` when `full`.
    pub fn jwk(&self, full: bool) -> Value {
        let mut jwk = match &self.pair {
            Pair::Rsa(kp) => {
                let pk = kp.public_key();
                let (modulus, exponent) = (pk.modulus(), pk.exponent());
                json!({
                    "kty": "RSA",
                    "kid": self.kid,
                    "n": b64(modulus.big_endian_without_leading_zero()),
                    "e": b64(exponent.big_endian_without_leading_zero()),
                })
            }
            Pair::Ec(kp) => {
                let point = kp.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                let crv = if half == 32 { "P-256" } else { "P-384" };
                json!({
                    "kty": "EC",
                    "kid": self.kid,
                    "crv": crv,
                    "x": b64(point.get(1..=half).unwrap_or_default()),
                    "y": b64(point.get(1 + half..).unwrap_or_default()),
                })
            }
            Pair::Ed(kp) => json!({
                "kty": "OKP",
                "kid": self.kid,
                "crv": "Ed25519",
                "x": b64(kp.public_key().as_ref()),
            }),
        };
        if full && let Some(m) = jwk.as_object_mut() {
            m.insert("alg".into(), json!(self.alg.as_str()));
            m.insert("use".into(), json!("sig"));
        }
        jwk
    }

    /// The public key material a JWK must carry to be this key: the decoded
    /// `n`, `e` (RSA), `x`, `y` (EC) or `x` (OKP), leading zeros stripped.
    pub fn material(&self) -> Vec<Vec<u8>> {
        match &self.pair {
            Pair::Rsa(kp) => {
                let pk = kp.public_key();
                let (modulus, exponent) = (pk.modulus(), pk.exponent());
                vec![
                    modulus.big_endian_without_leading_zero().to_vec(),
                    exponent.big_endian_without_leading_zero().to_vec(),
                ]
            }
            Pair::Ec(kp) => {
                let point = kp.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                vec![
                    point.get(1..=half).unwrap_or_default().to_vec(),
                    point.get(1 + half..).unwrap_or_default().to_vec(),
                ]
            }
            Pair::Ed(kp) => vec![kp.public_key().as_ref().to_vec()],
        }
    }
}

//! Signing keys and their public JWKs.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{self, KeySize};
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    Ed25519KeyPair, KeyPair as _,
};
use serde_json::{Map, Value, json};

use crate::util::b64;
use crate::weak::{self, WeakHash};

/// A JWS signature algorithm the testkit can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what Cognito uses).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256, fixed-length `R || S` signature.
    ES256,
    /// ECDSA on P-384 with SHA-384, fixed-length `R || S` signature.
    ES384,
    /// Ed25519.
    EdDSA,
}

impl Alg {
    /// The JOSE name, e.g. `"RS256"`.
    ///
    /// ```
    /// assert_eq!(cognito_jwt_testkit::Alg::PS384.as_str(), "PS384");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    const fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512
        )
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Material {
    Rsa(rsa::KeyPair),
    WeakRsa1024,
    Ec(EcdsaKeyPair, &'static str),
    Ed25519(Ed25519KeyPair),
}

/// A private signing key with a `kid` and the algorithm it signs with.
///
/// Cloning is cheap (the key material is shared behind an `Arc`).
///
/// ```
/// use cognito_jwt_testkit::{Alg, SigningKey};
///
/// let key = SigningKey::rsa("my-kid");
/// assert_eq!(key.kid(), "my-kid");
/// assert_eq!(key.alg(), "RS256");
/// let jwk = key.public_jwk();
/// assert_eq!(jwk["kty"], "RSA");
/// assert_eq!(jwk["e"], "AQAB");
/// assert_eq!(jwk["use"], "sig");
///
/// // Same RSA key, different algorithm.
/// let ps = key.clone().with_alg(Alg::PS256);
/// assert_eq!(ps.public_jwk()["n"], jwk["n"]);
/// assert_eq!(ps.sign(b"header.payload").len(), 256);
/// ```
#[derive(Clone)]
pub struct SigningKey {
    material: Arc<Material>,
    kid: Arc<str>,
    alg: Alg,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("kty", &self.kty())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(material: Material, kid: &str, alg: Alg) -> Self {
        Self {
            material: Arc::new(material),
            kid: Arc::from(kid),
            alg,
        }
    }

    /// A fresh RSA-2048 key that signs RS256, like a Cognito user pool key.
    ///
    /// # Panics
    /// If aws-lc-rs fails to generate a key (an environment failure).
    #[must_use]
    pub fn rsa(kid: impl AsRef<str>) -> Self {
        Self::rsa_with_bits(kid, 2048)
    }

    /// A fresh RSA key of `bits` bits that signs RS256.
    ///
    /// Supported sizes are 2048, 3072, 4096 and 8192 (generated), and 1024,
    /// which returns the fixed weak key of [`SigningKey::weak_rsa_1024`].
    ///
    /// # Panics
    /// For any other size, or if key generation fails.
    #[must_use]
    pub fn rsa_with_bits(kid: impl AsRef<str>, bits: u32) -> Self {
        let size = match bits {
            1024 => return Self::weak_rsa_1024(kid),
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            other => panic!(
                "cognito-jwt-testkit: unsupported RSA key size {other} (use 1024, 2048, 3072, 4096 or 8192)"
            ),
        };
        let kp = rsa::KeyPair::generate(size).expect("aws-lc-rs failed to generate an RSA key");
        Self::new(Material::Rsa(kp), kid.as_ref(), Alg::RS256)
    }

    /// A fixed, publicly known 1024-bit RSA key that signs RS256.
    ///
    /// aws-lc-rs refuses to generate or import RSA keys under 2048 bits, so this
    /// key is embedded in the testkit and signed with a small built-in
    /// PKCS#1 v1.5 implementation. Signatures are genuinely valid (they verify
    /// with `RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY`), so a verifier
    /// that rejects such tokens does so because of the key size, not a bad
    /// signature. Only RS256/RS384/RS512 are supported with this key.
    #[must_use]
    pub fn weak_rsa_1024(kid: impl AsRef<str>) -> Self {
        Self::new(Material::WeakRsa1024, kid.as_ref(), Alg::RS256)
    }

    /// A fresh P-256 key that signs ES256.
    ///
    /// # Panics
    /// If key generation fails.
    #[must_use]
    pub fn ec_p256(kid: impl AsRef<str>) -> Self {
        let kp = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .expect("aws-lc-rs failed to generate a P-256 key");
        Self::new(Material::Ec(kp, "P-256"), kid.as_ref(), Alg::ES256)
    }

    /// A fresh P-384 key that signs ES384.
    ///
    /// # Panics
    /// If key generation fails.
    #[must_use]
    pub fn ec_p384(kid: impl AsRef<str>) -> Self {
        let kp = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
            .expect("aws-lc-rs failed to generate a P-384 key");
        Self::new(Material::Ec(kp, "P-384"), kid.as_ref(), Alg::ES384)
    }

    /// A fresh Ed25519 key that signs EdDSA.
    ///
    /// # Panics
    /// If key generation fails.
    #[must_use]
    pub fn ed25519(kid: impl AsRef<str>) -> Self {
        let kp = Ed25519KeyPair::generate().expect("aws-lc-rs failed to generate an Ed25519 key");
        Self::new(Material::Ed25519(kp), kid.as_ref(), Alg::EdDSA)
    }

    /// The same key material signing with another algorithm.
    ///
    /// RSA keys accept RS256/384/512 and PS256/384/512 (the fixed 1024-bit key
    /// only RS*); EC and Ed25519 keys only accept their own algorithm.
    ///
    /// # Panics
    /// If `alg` does not fit the key type.
    #[must_use]
    pub fn with_alg(self, alg: Alg) -> Self {
        let ok = match &*self.material {
            Material::Rsa(_) => alg.is_rsa(),
            Material::WeakRsa1024 => matches!(alg, Alg::RS256 | Alg::RS384 | Alg::RS512),
            Material::Ec(..) | Material::Ed25519(_) => alg == self.alg,
        };
        assert!(
            ok,
            "cognito-jwt-testkit: a {} key cannot sign {alg}",
            self.kty()
        );
        Self { alg, ..self }
    }

    /// The same key material under another `kid`.
    #[must_use]
    pub fn with_kid(self, kid: impl AsRef<str>) -> Self {
        Self {
            kid: Arc::from(kid.as_ref()),
            ..self
        }
    }

    /// The key id published in the JWKS and put in token headers.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JOSE algorithm name this key signs with, e.g. `"RS256"`.
    #[must_use]
    pub fn alg(&self) -> &'static str {
        self.alg.as_str()
    }

    /// The algorithm this key signs with, as an [`Alg`].
    #[must_use]
    pub fn algorithm(&self) -> Alg {
        self.alg
    }

    /// The JWK key type: `"RSA"`, `"EC"` or `"OKP"`.
    #[must_use]
    pub fn kty(&self) -> &'static str {
        match &*self.material {
            Material::Rsa(_) | Material::WeakRsa1024 => "RSA",
            Material::Ec(..) => "EC",
            Material::Ed25519(_) => "OKP",
        }
    }

    /// Signs `signing_input` (normally `base64url(header) "." base64url(payload)`)
    /// and returns the raw JWS signature bytes (RSA: modulus length; ECDSA:
    /// fixed `R || S`; Ed25519: 64 bytes).
    ///
    /// # Panics
    /// If aws-lc-rs reports a signing failure (not expected for valid keys).
    #[must_use]
    pub fn sign(&self, signing_input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &*self.material {
            Material::Rsa(kp) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(padding, &rng, signing_input, &mut sig)
                    .expect("aws-lc-rs RSA signing failed");
                sig
            }
            Material::WeakRsa1024 => {
                let hash = match self.alg {
                    Alg::RS384 => WeakHash::Sha384,
                    Alg::RS512 => WeakHash::Sha512,
                    _ => WeakHash::Sha256,
                };
                weak::sign(hash, signing_input)
            }
            Material::Ec(kp, _) => kp
                .sign(&rng, signing_input)
                .expect("aws-lc-rs ECDSA signing failed")
                .as_ref()
                .to_vec(),
            Material::Ed25519(kp) => kp.sign(signing_input).as_ref().to_vec(),
        }
    }

    /// The public key as a JWK shaped like Cognito's.
    ///
    /// RSA: `{"alg","e","kid","kty","n","use":"sig"}`; EC adds `crv`, `x`, `y`;
    /// Ed25519 is `{"alg":"EdDSA","crv":"Ed25519","kid","kty":"OKP","use":"sig","x"}`.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        self.public_jwk_with(&JwkOptions::default())
    }

    /// The public JWK without `alg` and `use` (as some issuers, e.g. moto, publish).
    #[must_use]
    pub fn public_jwk_without_alg_use(&self) -> Value {
        self.public_jwk_with(&JwkOptions::default().without_alg().without_use())
    }

    /// The public JWK with variations (missing or different `alg`/`use`, `key_ops`).
    ///
    /// ```
    /// use cognito_jwt_testkit::{JwkOptions, SigningKey};
    ///
    /// let key = SigningKey::ec_p256("ec");
    /// let jwk = key.public_jwk_with(&JwkOptions::default().key_use("enc").key_ops(&["encrypt"]));
    /// assert_eq!(jwk["use"], "enc");
    /// assert_eq!(jwk["key_ops"][0], "encrypt");
    /// assert_eq!(jwk["crv"], "P-256");
    /// ```
    #[must_use]
    pub fn public_jwk_with(&self, options: &JwkOptions) -> Value {
        let mut m = Map::new();
        match &options.alg {
            JwkField::Default => {
                m.insert("alg".into(), json!(self.alg()));
            }
            JwkField::Omit => {}
            JwkField::Set(a) => {
                m.insert("alg".into(), json!(a));
            }
        }
        m.insert("kid".into(), json!(&*self.kid));
        m.insert("kty".into(), json!(self.kty()));
        match &*self.material {
            Material::Rsa(kp) => {
                let pk = kp.public_key();
                m.insert(
                    "e".into(),
                    json!(b64(pk.exponent().big_endian_without_leading_zero())),
                );
                m.insert(
                    "n".into(),
                    json!(b64(pk.modulus().big_endian_without_leading_zero())),
                );
            }
            Material::WeakRsa1024 => {
                m.insert("e".into(), json!(b64(&weak::E)));
                m.insert("n".into(), json!(b64(&weak::modulus())));
            }
            Material::Ec(kp, crv) => {
                // Uncompressed point: 0x04 || x || y.
                let point = kp.public_key().as_ref();
                let coord = (point.len() - 1) / 2;
                m.insert("crv".into(), json!(crv));
                m.insert("x".into(), json!(b64(&point[1..=coord])));
                m.insert("y".into(), json!(b64(&point[1 + coord..])));
            }
            Material::Ed25519(kp) => {
                m.insert("crv".into(), json!("Ed25519"));
                m.insert("x".into(), json!(b64(kp.public_key().as_ref())));
            }
        }
        match &options.key_use {
            JwkField::Default => {
                m.insert("use".into(), json!("sig"));
            }
            JwkField::Omit => {}
            JwkField::Set(u) => {
                m.insert("use".into(), json!(u));
            }
        }
        if let Some(ops) = &options.key_ops {
            m.insert("key_ops".into(), json!(ops));
        }
        Value::Object(m)
    }

    /// The private key as PKCS#8 DER (v1 for RSA and EC, v1 for Ed25519).
    ///
    /// Handy for feeding the same key to another JWT library in a test.
    ///
    /// # Panics
    /// If aws-lc-rs fails to serialize the key.
    #[must_use]
    pub fn private_pkcs8_der(&self) -> Vec<u8> {
        match &*self.material {
            Material::Rsa(kp) => kp
                .as_der()
                .expect("aws-lc-rs failed to serialize an RSA key")
                .as_ref()
                .to_vec(),
            Material::WeakRsa1024 => weak::PKCS8_DER.to_vec(),
            Material::Ec(kp, _) => kp
                .to_pkcs8v1()
                .expect("aws-lc-rs failed to serialize an EC key")
                .as_ref()
                .to_vec(),
            Material::Ed25519(kp) => kp
                .to_pkcs8v1()
                .expect("aws-lc-rs failed to serialize an Ed25519 key")
                .as_ref()
                .to_vec(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum JwkField {
    #[default]
    Default,
    Omit,
    Set(String),
}

/// Variations for [`SigningKey::public_jwk_with`].
///
/// The default reproduces [`SigningKey::public_jwk`]: `alg` = the key's
/// algorithm, `use` = `"sig"`, no `key_ops`.
///
/// ```
/// use cognito_jwt_testkit::{JwkOptions, SigningKey};
///
/// let key = SigningKey::rsa("k1");
/// let jwk = key.public_jwk_with(&JwkOptions::default().alg("RS512").without_use());
/// assert_eq!(jwk["alg"], "RS512");
/// assert!(jwk.get("use").is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwkOptions {
    alg: JwkField,
    key_use: JwkField,
    key_ops: Option<Vec<String>>,
}

impl JwkOptions {
    /// Publish this `alg` instead of the key's own.
    #[must_use]
    pub fn alg(mut self, alg: impl Into<String>) -> Self {
        self.alg = JwkField::Set(alg.into());
        self
    }

    /// Omit `alg`.
    #[must_use]
    pub fn without_alg(mut self) -> Self {
        self.alg = JwkField::Omit;
        self
    }

    /// Publish this `use` (e.g. `"enc"`) instead of `"sig"`.
    #[must_use]
    pub fn key_use(mut self, key_use: impl Into<String>) -> Self {
        self.key_use = JwkField::Set(key_use.into());
        self
    }

    /// Omit `use`.
    #[must_use]
    pub fn without_use(mut self) -> Self {
        self.key_use = JwkField::Omit;
        self
    }

    /// Add a `key_ops` array.
    #[must_use]
    pub fn key_ops(mut self, ops: &[&str]) -> Self {
        self.key_ops = Some(ops.iter().map(|s| (*s).to_owned()).collect());
        self
    }
}

//! Key-set hygiene: a JWKS served by the testkit mixes usable and broken keys.
//! Each broken key is skipped on its own (its kid is unknown), the good keys
//! keep verifying, and a set with no usable key at all is a 503, not a 401.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::{
    Algorithm, BuildError, Error, ErrorClass, Issuer, JwksOptions, TokenUse, Verifier,
};
use cognito_jwt_testkit::{
    DEFAULT_CLIENT_ID, DEFAULT_POOL_ID, JwkOptions, JwksServer, SigningKey, TestIssuer,
};
use serde_json::{Value, json};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const GENERIC_ISS: &str = "https://login.example.com";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn cognito_verifier(server: &JwksServer) -> Verifier {
    Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(server.url()))
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .disable_token_cache()
        .build()
        .unwrap()
}

fn unknown(kid: &str) -> Error {
    Error::UnknownKey { kid: kid.into() }
}

/// An access token from `issuer`, signed by `key` and naming its kid and alg.
fn token_by(issuer: &TestIssuer, key: &SigningKey) -> String {
    issuer
        .access_token()
        .sign_with(key)
        .kid(key.kid())
        .alg(key.alg())
        .build()
}

/// The public JWK of `key` with another kid and extra or replaced members.
fn jwk_with(key: &SigningKey, kid: &str, edits: Value) -> Value {
    let mut jwk = key.public_jwk();
    jwk["kid"] = json!(kid);
    for (k, v) in edits.as_object().unwrap() {
        if v.is_null() {
            jwk.as_object_mut().unwrap().remove(k);
        } else {
            jwk[k] = v.clone();
        }
    }
    jwk
}

/// PKCS#1 v1.5 SHA-256 encoding of `message` for a 2048-bit modulus:
/// what `signature^e mod n` must equal. With e = 1 it is its own signature.
fn pkcs1_sha256_encoding(message: &[u8]) -> Vec<u8> {
    const DIGEST_INFO: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
    let mut em = vec![0x00, 0x01];
    em.resize(256 - DIGEST_INFO.len() - 32 - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(&DIGEST_INFO);
    em.extend_from_slice(hash.as_ref());
    assert_eq!(em.len(), 256);
    em
}

#[tokio::test]
async fn broken_keys_are_skipped_one_by_one_and_good_keys_keep_verifying() {
    let good = SigningKey::rsa("good");
    let issuer = TestIssuer::cognito().with_key(good.clone());
    let server = JwksServer::start(&issuer);

    let enc = SigningKey::rsa("enc");
    let ops = SigningKey::rsa("ops");
    let weak = SigningKey::weak_rsa_1024("weak");
    let dup_first = SigningKey::rsa("dup");
    let dup_second = SigningKey::rsa("dup");
    let no_kid = SigningKey::rsa("no-kid");
    let extra = SigningKey::rsa("good-extra-members");
    let ec = SigningKey::ec_p256("ec");
    let other = SigningKey::rsa("other");
    server.set_jwks_override(Some(json!({ "keys": [
        { "kty": "oct", "kid": "oct", "k": b64(b"shared secret"), "alg": "HS256" },
        enc.public_jwk_with(&JwkOptions::default().key_use("enc")),
        ops.public_jwk_with(&JwkOptions::default().key_ops(&["sign"])),
        weak.public_jwk(),
        jwk_with(&other, "no-n", json!({ "n": null })),
        jwk_with(&other, "no-e", json!({ "e": null })),
        jwk_with(&other, "garbage-n", json!({ "n": "!!not*base64url!!" })),
        jwk_with(&other, "zero-n", json!({ "n": b64(&[0; 256]) })),
        jwk_with(&other, "n-is-a-number", json!({ "n": 12345 })),
        jwk_with(&other, "no-kty", json!({ "kty": null })),
        jwk_with(&other, "kty-lower", json!({ "kty": "rsa" })),
        jwk_with(&other, "alg-none", json!({ "alg": "none" })),
        jwk_with(&other, "alg-hs256", json!({ "alg": "HS256" })),
        jwk_with(&other, "alg-rs512", json!({ "alg": "RS512" })),
        jwk_with(&other, "e-one", json!({ "e": "AQ" })),
        jwk_with(&other, "e-even", json!({ "e": b64(&[1, 0, 0]) })),
        jwk_with(&other, "e-huge", json!({ "e": b64(&[1, 0, 0, 0, 0, 0, 0, 1]) })),
        jwk_with(&other, &"k".repeat(257), json!({})),
        ec.public_jwk(),
        dup_first.public_jwk(),
        dup_second.public_jwk(),
        "a string",
        42,
        null,
        [good.public_jwk()],
        { "kid": 7, "kty": "RSA", "n": good.public_jwk()["n"], "e": "AQAB" },
        jwk_with(&no_kid, "", json!({})),
        jwk_with(&no_kid, "x", json!({ "kid": null })),
        jwk_with(&extra, "good-extra-members", json!({
            "x5c": ["MIIBIjAN"], "x5t": "abc", "ext": true, "key_ops": ["verify"], "nested": { "a": [1] }
        })),
        good.public_jwk(),
    ]})));
    let v = cognito_verifier(&server);

    v.verify(&token_by(&issuer, &good)).await.unwrap();
    v.verify(&token_by(&issuer, &extra)).await.unwrap();
    v.verify(&token_by(&issuer, &dup_first))
        .await
        .expect("of two JWKs with one kid, the first usable one is kept");
    assert_eq!(
        v.verify(&token_by(&issuer, &dup_second)).await.unwrap_err(),
        Error::InvalidSignature,
        "the second JWK under a kid never replaces the first"
    );

    // e = 1 makes "signature = padded hash" verify under any modulus; the key must be skipped.
    let header = b64(br#"{"kid":"e-one","alg":"RS256"}"#);
    let payload = b64(issuer.access_token().payload_json().as_bytes());
    let input = format!("{header}.{payload}");
    let forged = format!("{input}.{}", b64(&pkcs1_sha256_encoding(input.as_bytes())));
    assert_eq!(v.verify(&forged).await.unwrap_err(), unknown("e-one"));

    let broken: Vec<(String, SigningKey)> = vec![
        ("oct".into(), other.clone().with_kid("oct")),
        ("enc".into(), enc),
        ("ops".into(), ops),
        ("weak".into(), weak),
        ("no-n".into(), other.clone().with_kid("no-n")),
        ("no-e".into(), other.clone().with_kid("no-e")),
        ("garbage-n".into(), other.clone().with_kid("garbage-n")),
        ("zero-n".into(), other.clone().with_kid("zero-n")),
        (
            "n-is-a-number".into(),
            other.clone().with_kid("n-is-a-number"),
        ),
        ("no-kty".into(), other.clone().with_kid("no-kty")),
        ("kty-lower".into(), other.clone().with_kid("kty-lower")),
        ("alg-none".into(), other.clone().with_kid("alg-none")),
        ("alg-hs256".into(), other.clone().with_kid("alg-hs256")),
        ("alg-rs512".into(), other.clone().with_kid("alg-rs512")),
        ("e-one".into(), other.clone().with_kid("e-one")),
        ("e-even".into(), other.clone().with_kid("e-even")),
        ("e-huge".into(), other.clone().with_kid("e-huge")),
        ("x".into(), no_kid.clone().with_kid("x")),
        ("ec".into(), ec.clone().with_kid("ec")),
    ];
    for (kid, key) in &broken {
        // Sign with RS256 whatever the key: the point is that the kid resolves to nothing.
        let token = issuer
            .access_token()
            .sign_with(if key.kty() == "RSA" { key } else { &other })
            .kid(kid.as_str())
            .build();
        assert_eq!(
            v.verify(&token).await.unwrap_err(),
            unknown(kid),
            "kid {kid}"
        );
    }

    assert!(
        server.fetch_count() <= 2,
        "one fetch, plus at most one unknown-kid refetch: {}",
        server.fetch_count()
    );
}

#[tokio::test]
async fn broken_ec_and_okp_keys_are_skipped_on_a_generic_issuer() {
    let ec_good = SigningKey::ec_p256("ec-good");
    let ed_good = SigningKey::ed25519("ed-good");
    let ec_other = SigningKey::ec_p256("ec-other");
    let ed_other = SigningKey::ed25519("ed-other");
    let issuer = TestIssuer::with_issuer_url(GENERIC_ISS).with_key(ec_good.clone());
    let server = JwksServer::start(&issuer);

    let ec_jwk = |kid: &str, edits: Value| jwk_with(&ec_other, kid, edits);
    let x = ec_other.public_jwk()["x"].as_str().unwrap().to_owned();
    server.set_jwks_override(Some(json!({ "keys": [
        ec_jwk("ec-crv-p384", json!({ "crv": "P-384" })),
        ec_jwk("ec-crv-secp256k1", json!({ "crv": "secp256k1" })),
        ec_jwk("ec-no-crv", json!({ "crv": null })),
        ec_jwk("ec-no-y", json!({ "y": null })),
        ec_jwk("ec-short-x", json!({ "x": b64(&[1; 31]) })),
        ec_jwk("ec-off-curve", json!({ "x": b64(&[1; 32]), "y": b64(&[2; 32]) })),
        ec_jwk("ec-x-equals-y", json!({ "y": x })),
        ec_jwk("ec-alg-rs256", json!({ "alg": "RS256" })),
        jwk_with(&ed_other, "okp-x25519", json!({ "crv": "X25519" })),
        jwk_with(&ed_other, "okp-short", json!({ "x": b64(&[9; 31]) })),
        ec_good.public_jwk(),
        ed_good.public_jwk(),
    ]})));
    let v = Verifier::builder(Issuer::url(GENERIC_ISS).jwks_url(server.url()).algorithms([
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]))
    .client_ids([DEFAULT_CLIENT_ID])
    .token_use(TokenUse::Access)
    .disable_token_cache()
    .build()
    .unwrap();

    v.verify(&token_by(&issuer, &ec_good)).await.unwrap();
    v.verify(&token_by(&issuer, &ed_good)).await.unwrap();
    for kid in [
        "ec-crv-p384",
        "ec-crv-secp256k1",
        "ec-no-crv",
        "ec-no-y",
        "ec-short-x",
        "ec-off-curve",
        "ec-x-equals-y",
        "ec-alg-rs256",
    ] {
        let token = token_by(&issuer, &ec_other.clone().with_kid(kid));
        assert_eq!(
            v.verify(&token).await.unwrap_err(),
            unknown(kid),
            "kid {kid}"
        );
    }
    for kid in ["okp-x25519", "okp-short"] {
        let token = token_by(&issuer, &ed_other.clone().with_kid(kid));
        assert_eq!(
            v.verify(&token).await.unwrap_err(),
            unknown(kid),
            "kid {kid}"
        );
    }
}

#[tokio::test]
async fn a_key_set_with_no_usable_key_is_unavailable_not_invalid() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let real = issuer.current_key();
    server.set_jwks_override(Some(json!({ "keys": [
        { "kty": "oct", "kid": real.kid(), "k": b64(b"secret") },
        real.public_jwk_with(&JwkOptions::default().key_use("enc")),
        SigningKey::weak_rsa_1024(real.kid()).public_jwk(),
        "not a key",
    ]})));
    let v = cognito_verifier(&server);
    let token = issuer.access_token().build();

    let err = v.verify(&token).await.unwrap_err();
    let Error::KeysUnavailable {
        issuer: iss,
        reason,
        retry_after,
    } = &err
    else {
        panic!("expected KeysUnavailable, got {err:?}");
    };
    assert_eq!(iss, ISS);
    assert!(
        reason.starts_with("no usable key (4 skipped; first: kid \"test-key-1\""),
        "{reason}"
    );
    assert_eq!(*retry_after, Duration::from_secs(1));
    assert_eq!(err.class(), ErrorClass::Unavailable);
    assert_eq!(err.class().status(), 503);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    // Within the backoff, no new fetch: the same answer at once.
    let again = v.verify(&token).await.unwrap_err();
    assert!(matches!(again, Error::KeysUnavailable { .. }), "{again:?}");
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn empty_or_misshapen_key_sets_are_unavailable() {
    for (doc, expected_reason) in [
        (json!({ "keys": [] }), "the key set is empty"),
        (
            json!({ "keys": "not a list" }),
            "not a JWKS document (wrong shape)",
        ),
        (json!([]), "not a JWKS document (wrong shape)"),
        (json!({ "jwks": [] }), "not a JWKS document (wrong shape)"),
    ] {
        let issuer = TestIssuer::cognito();
        let server = JwksServer::start(&issuer);
        server.set_jwks_override(Some(doc.clone()));
        let v = cognito_verifier(&server);
        match v.verify(&issuer.access_token().build()).await {
            Err(Error::KeysUnavailable { issuer, reason, .. }) => {
                assert_eq!(issuer, ISS);
                assert_eq!(reason, expected_reason, "{doc}");
            }
            other => panic!("{doc}: expected KeysUnavailable, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn only_the_first_max_keys_entries_are_read() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let real = issuer.current_key();
    let options = JwksOptions {
        max_keys: 10,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
        ..JwksOptions::default()
    };
    let v = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(server.url()))
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .jwks_options(options)
        .disable_token_cache()
        .build()
        .unwrap();
    let token = issuer.access_token().build();

    let mut keys: Vec<Value> = vec![json!("junk"); 10];
    keys.push(real.public_jwk());
    server.set_jwks_override(Some(json!({ "keys": keys })));
    assert!(matches!(
        v.verify(&token).await,
        Err(Error::KeysUnavailable { .. })
    ));

    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut keys: Vec<Value> = vec![json!("junk"); 9];
    keys.push(real.public_jwk());
    server.set_jwks_override(Some(json!({ "keys": keys })));
    v.verify(&token).await.unwrap();
}

#[tokio::test]
async fn a_static_key_set_is_checked_at_build() {
    let issuer = TestIssuer::cognito();
    let real = issuer.current_key();
    let broken = json!({ "keys": [
        { "kty": "oct", "kid": "k", "k": "c2VjcmV0" },
        SigningKey::weak_rsa_1024("weak").public_jwk(),
    ]});
    let err = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).static_jwks(broken.to_string()))
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, BuildError::StaticJwks { issuer, reason }
            if issuer == ISS && reason.starts_with("no usable key (2 skipped")),
        "{err:?}"
    );

    let mixed = json!({ "keys": [
        { "kty": "oct", "kid": "k", "k": "c2VjcmV0" },
        SigningKey::weak_rsa_1024("weak").public_jwk(),
        real.public_jwk(),
    ]});
    let v = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).static_jwks(mixed.to_string()))
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    v.verify(&issuer.access_token().build()).await.unwrap();
    let weak_token = token_by(&issuer, &SigningKey::weak_rsa_1024("weak"));
    assert_eq!(v.verify(&weak_token).await.unwrap_err(), unknown("weak"));
}

//! Token minting: structure, claims and signatures checked against the published JWK.

use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, RsaPublicKeyComponents,
    UnparsedPublicKey, VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt_testkit::{Alg, JwkOptions, SigningKey, TestIssuer, TokenBuilder};
use serde_json::Value;

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(s)
        .expect("segment is unpadded base64url")
}

fn segments(token: &str) -> (String, String, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "three segments: {token}");
    for p in &parts {
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url alphabet only, no padding: {p}"
        );
    }
    (
        String::from_utf8(unb64(parts[0])).unwrap(),
        String::from_utf8(unb64(parts[1])).unwrap(),
        unb64(parts[2]),
    )
}

fn signing_input(token: &str) -> &str {
    &token[..token.rfind('.').unwrap()]
}

/// Verifies `token` against the public JWK, using aws-lc-rs directly.
fn verifies(token: &str, jwk: &Value, alg: &str) -> bool {
    let (_, _, sig) = segments(token);
    let msg = signing_input(token).as_bytes();
    let s = |k: &str| unb64(jwk[k].as_str().unwrap());
    match jwk["kty"].as_str().unwrap() {
        "RSA" => {
            let (n, e) = (s("n"), s("e"));
            let params: &signature::RsaParameters = match (alg, n.len()) {
                ("RS256", 128) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                ("RS512", 128) => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                ("RS256", _) => &signature::RSA_PKCS1_2048_8192_SHA256,
                ("RS384", _) => &signature::RSA_PKCS1_2048_8192_SHA384,
                ("RS512", _) => &signature::RSA_PKCS1_2048_8192_SHA512,
                ("PS256", _) => &signature::RSA_PSS_2048_8192_SHA256,
                ("PS384", _) => &signature::RSA_PSS_2048_8192_SHA384,
                ("PS512", _) => &signature::RSA_PSS_2048_8192_SHA512,
                _ => panic!("unexpected alg {alg}"),
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, msg, &sig)
                .is_ok()
        }
        "EC" => {
            let mut point = vec![4u8];
            point.extend(s("x"));
            point.extend(s("y"));
            let alg: &dyn VerificationAlgorithm = match jwk["crv"].as_str().unwrap() {
                "P-256" => &ECDSA_P256_SHA256_FIXED,
                "P-384" => &ECDSA_P384_SHA384_FIXED,
                c => panic!("unexpected crv {c}"),
            };
            UnparsedPublicKey::new(alg, &point)
                .verify(msg, &sig)
                .is_ok()
        }
        "OKP" => UnparsedPublicKey::new(&ED25519, s("x"))
            .verify(msg, &sig)
            .is_ok(),
        k => panic!("unexpected kty {k}"),
    }
}

fn payload(token: &str) -> Value {
    serde_json::from_str(&segments(token).1).unwrap()
}

#[test]
fn access_token_is_cognito_shaped_and_verifies() {
    let issuer = TestIssuer::cognito();
    let token = issuer.access_token().build();
    let (header, body, sig) = segments(&token);
    assert_eq!(header, r#"{"kid":"test-key-1","alg":"RS256"}"#);
    assert_eq!(sig.len(), 256);
    // Claim order as Cognito emits it.
    let order: Vec<String> = body
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .map(|kv| kv.split(':').next().unwrap().trim_matches('"').to_owned())
        .collect();
    assert_eq!(
        order,
        [
            "sub",
            "iss",
            "client_id",
            "origin_jti",
            "event_id",
            "token_use",
            "scope",
            "auth_time",
            "exp",
            "iat",
            "jti",
            "username"
        ]
    );
    let claims = payload(&token);
    assert_eq!(
        claims["iss"],
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
    );
    assert_eq!(claims["client_id"], "testclient1234567890abcdef");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "openid email");
    assert_eq!(claims["username"], "testuser");
    assert!(claims.get("aud").is_none());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["sub"].as_str().unwrap().len(), 36);
    assert_eq!(claims["sub"], issuer.user_sub());

    let jwks = issuer.jwks();
    let jwk = &jwks["keys"][0];
    assert_eq!(jwk["kid"], "test-key-1");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["e"], "AQAB");
    assert_eq!(unb64(jwk["n"].as_str().unwrap()).len(), 256);
    assert!(verifies(&token, jwk, "RS256"));
}

#[test]
fn id_and_machine_presets() {
    let issuer = TestIssuer::cognito_pool("eu-west-1", "eu-west-1_AbCdEf123").with_client_id("abc");
    assert_eq!(issuer.region().as_deref(), Some("eu-west-1"));
    assert_eq!(issuer.pool_id().as_deref(), Some("eu-west-1_AbCdEf123"));
    let id = payload(&issuer.id_token().groups(&["admin", "ops"]).build());
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["aud"], "abc");
    assert_eq!(id["cognito:username"], "testuser");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["email"], "testuser@example.com");
    assert_eq!(id["cognito:groups"], serde_json::json!(["admin", "ops"]));
    assert_eq!(
        id["iss"],
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    );
    let b = issuer.id_token().client_id("other").username("bob");
    assert_eq!(b.get_claim("aud").unwrap(), "other");
    assert_eq!(b.get_claim("cognito:username").unwrap(), "bob");
    // groups go right after sub
    let groups = issuer.access_token().groups(&["g"]);
    assert!(groups.payload_json().starts_with(&format!(
        r#"{{"sub":"{}","cognito:groups":["g"],"iss""#,
        issuer.user_sub()
    )));

    let m = payload(&issuer.machine_token().build());
    assert_eq!(m["sub"], "abc");
    assert_eq!(m["client_id"], "abc");
    assert_eq!(m["scope"], "orders/read");
    assert!(m.get("username").is_none() && m.get("cognito:groups").is_none());
    let m = payload(&issuer.machine_token().client_id("svc").build());
    assert_eq!(
        (m["sub"].as_str(), m["client_id"].as_str()),
        (Some("svc"), Some("svc"))
    );

    let generic = TestIssuer::with_issuer_url("https://idp.example.com/");
    assert_eq!(generic.region(), None);
    assert_eq!(
        payload(&generic.access_token().build())["iss"],
        "https://idp.example.com/"
    );
}

#[test]
fn every_algorithm_verifies_against_its_jwk() {
    let rsa = SigningKey::rsa("r");
    let mut keys = vec![
        rsa.clone(),
        rsa.clone().with_alg(Alg::RS384),
        rsa.clone().with_alg(Alg::RS512),
        rsa.clone().with_alg(Alg::PS256),
        rsa.clone().with_alg(Alg::PS384),
        rsa.with_alg(Alg::PS512),
        SigningKey::ec_p256("e256"),
        SigningKey::ec_p384("e384"),
        SigningKey::ed25519("ed"),
        SigningKey::weak_rsa_1024("weak"),
        SigningKey::weak_rsa_1024("weak512").with_alg(Alg::RS512),
    ];
    keys.push(SigningKey::rsa_with_bits("r3072", 3072));
    for key in keys {
        let token = TokenBuilder::new(&key).claim("sub", "x").build();
        let (header, _, sig) = segments(&token);
        assert_eq!(
            header,
            format!(r#"{{"kid":"{}","alg":"{}"}}"#, key.kid(), key.alg())
        );
        let jwk = key.public_jwk();
        assert_eq!(jwk["alg"], key.alg());
        assert!(verifies(&token, &jwk, key.alg()), "{key:?}");
        let expected_len = match key.alg() {
            "ES256" | "EdDSA" => 64,
            "ES384" => 96,
            _ => unb64(jwk["n"].as_str().unwrap()).len(),
        };
        assert_eq!(sig.len(), expected_len, "{key:?}");
        assert!(!key.private_pkcs8_der().is_empty());
    }
    let weak = SigningKey::weak_rsa_1024("w").public_jwk();
    assert_eq!(unb64(weak["n"].as_str().unwrap()).len(), 128);
    let ec = SigningKey::ec_p256("e").public_jwk();
    assert_eq!(
        (ec["kty"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(unb64(ec["x"].as_str().unwrap()).len(), 32);
    assert_eq!(unb64(ec["y"].as_str().unwrap()).len(), 32);
}

#[test]
#[should_panic(expected = "cannot sign ES256")]
fn rsa_key_refuses_ec_alg() {
    let _ = SigningKey::rsa("r").with_alg(Alg::ES256);
}

#[test]
fn jwk_variants() {
    let key = SigningKey::rsa("k");
    let plain = key.public_jwk_without_alg_use();
    assert!(plain.get("alg").is_none() && plain.get("use").is_none());
    assert_eq!(plain["n"], key.public_jwk()["n"]);
    let v = key.public_jwk_with(
        &JwkOptions::default()
            .alg("RS512")
            .key_use("enc")
            .key_ops(&["verify"]),
    );
    assert_eq!(v["alg"], "RS512");
    assert_eq!(v["use"], "enc");
    assert_eq!(v["key_ops"], serde_json::json!(["verify"]));
}

#[test]
fn hostile_tokens() {
    let issuer = TestIssuer::cognito();
    let jwk = issuer.current_key().public_jwk();

    // alg override: header lies, signature still made with RS256.
    let t = issuer
        .access_token()
        .alg("none")
        .kid("../../etc/passwd")
        .build();
    assert_eq!(segments(&t).0, r#"{"kid":"../../etc/passwd","alg":"none"}"#);
    assert!(verifies(&t, &jwk, "RS256"));

    let t = issuer.access_token().unsigned().build();
    assert!(t.ends_with('.'));
    assert!(segments(&t).2.is_empty());

    let t = issuer.access_token().signature_bytes(vec![0; 64]).build();
    assert_eq!(segments(&t).2, vec![0; 64]);

    let t = TokenBuilder::new(&issuer.current_key())
        .raw_header_json(r#"{"alg":"RS256","alg":"none","kid":"test-key-1"}"#.to_owned())
        .raw_payload_json(r#"{"token_use":"id","token_use":"access"}"#.to_owned())
        .build();
    let (h, p, _) = segments(&t);
    assert_eq!(h, r#"{"alg":"RS256","alg":"none","kid":"test-key-1"}"#);
    assert_eq!(p, r#"{"token_use":"id","token_use":"access"}"#);
    assert!(verifies(&t, &jwk, "RS256"));

    let good = issuer.access_token().issued_at(1_700_000_000);
    let t = good.clone().tamper_payload().build();
    assert_eq!(payload(&t)["sub"], "tampered-sub");
    assert!(!verifies(&t, &jwk, "RS256"));
    // Same header, same signature as the untampered token (RSA PKCS#1 is deterministic).
    let untampered = good.build();
    assert_eq!(segments(&t).2, segments(&untampered).2);
    assert!(verifies(&untampered, &jwk, "RS256"));

    let foreign = SigningKey::rsa("test-key-1");
    let t = issuer.access_token().sign_with(&foreign).build();
    assert_eq!(segments(&t).0, r#"{"kid":"test-key-1","alg":"RS256"}"#);
    assert!(!verifies(&t, &jwk, "RS256"));
    assert!(verifies(&t, &foreign.public_jwk(), "RS256"));

    let t = issuer
        .access_token()
        .header("typ", "JWT")
        .remove_header("kid")
        .build();
    assert_eq!(segments(&t).0, r#"{"alg":"RS256","typ":"JWT"}"#);
}

#[test]
fn time_helpers() {
    let issuer = TestIssuer::cognito();
    let c = payload(&issuer.id_token().issued_at(1_000).build());
    assert_eq!(
        (
            c["iat"].as_i64(),
            c["exp"].as_i64(),
            c["auth_time"].as_i64()
        ),
        (Some(1_000), Some(4_600), Some(1_000))
    );
    let c = payload(
        &issuer
            .access_token()
            .issued_at(1_000)
            .expires_in(-60)
            .build(),
    );
    assert_eq!(c["exp"].as_i64(), Some(940));
    let c = payload(
        &issuer
            .access_token()
            .expires_in(10)
            .issued_at(2_000)
            .build(),
    );
    assert_eq!(c["exp"].as_i64(), Some(2_010));
    let c = payload(
        &issuer
            .access_token()
            .claim("exp", 5)
            .issued_at(2_000)
            .not_before(1_999)
            .build(),
    );
    assert_eq!(
        (c["exp"].as_i64(), c["nbf"].as_i64()),
        (Some(5), Some(1_999))
    );
    let c = payload(
        &issuer
            .access_token()
            .remove_claim("exp")
            .scopes(&["a/b", "c"])
            .build(),
    );
    assert!(c.get("exp").is_none());
    assert_eq!(c["scope"], "a/b c");
    let c = payload(&issuer.access_token().claim("exp", "soon").build());
    assert_eq!(c["exp"], "soon");
}

#[test]
fn rotation_and_removal() {
    let issuer = TestIssuer::cognito();
    let old = issuer.current_key();
    let new = issuer.rotate();
    assert_ne!(old.kid(), new.kid());
    assert_eq!(issuer.current_key().kid(), new.kid());
    let kids = |i: &TestIssuer| -> Vec<String> {
        i.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kids(&issuer), ["test-key-1", "test-key-2"]);
    let t = issuer.access_token().build();
    assert_eq!(segments(&t).0, r#"{"kid":"test-key-2","alg":"RS256"}"#);
    assert!(issuer.remove_key("test-key-1"));
    assert!(!issuer.remove_key("test-key-1"));
    assert_eq!(kids(&issuer), ["test-key-2"]);
    issuer.add_key(SigningKey::ec_p256("ec"));
    assert_eq!(kids(&issuer), ["test-key-2", "ec"]);
    let shared = issuer.clone();
    shared.remove_key("ec");
    assert_eq!(kids(&issuer), ["test-key-2"]);
    let only = TestIssuer::cognito().with_key(SigningKey::ed25519("ed"));
    assert_eq!(kids(&only), ["ed"]);
    assert_eq!(only.keys().len(), 1);
}

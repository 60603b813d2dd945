//! Writes the hand-made seeds into `fuzz/seeds/<target>/`:
//! `cargo run -p cognito-jwt-fuzz --example make_seeds`.
//!
//! Tokens are signed with the committed keys, so they stay valid (the
//! verifiers' clock is fixed). The `signed` seeds are inputs found by a
//! seeded search that decode into accepted tokens and near misses. Run it
//! once after changing the keys or the setup; the fuzzer's own finds are
//! merged in by `scripts/fuzz.sh --merge`.
#![forbid(unsafe_code)]

use std::path::Path;

use cognito_jwt_fuzz::keys::{id, keys};
use cognito_jwt_fuzz::setup::{self, NOW, block_on, verifiers};
use cognito_jwt_fuzz::signed::{Input, render, sign};
use serde_json::json;

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    std::fs::create_dir_all(&dir).expect("seed directory");
    std::fs::write(dir.join(name), data).expect("seed file");
}

fn header_of(key: usize, typ: Option<&str>) -> String {
    let k = keys().get(key).expect("key");
    match typ {
        Some(t) => json!({"typ": t, "kid": k.kid, "alg": k.alg.as_str()}).to_string(),
        None => format!(r#"{{"kid":"{}","alg":"{}"}}"#, k.kid, k.alg.as_str()),
    }
}

fn token(key: usize, typ: Option<&str>, payload: &serde_json::Value) -> String {
    let k = keys().get(key).expect("key");
    sign(k, &header_of(key, typ), &payload.to_string())
}

fn access(iss: &str, client: &str) -> serde_json::Value {
    json!({
        "iss": iss, "sub": "user-1", "token_use": "access", "client_id": client,
        "scope": "orders/read", "username": "alice", "exp": NOW + 3600, "iat": NOW - 60,
        "jti": "j1", "auth_time": NOW - 60,
    })
}

fn id_token(iss: &str, aud: serde_json::Value) -> serde_json::Value {
    json!({
        "iss": iss, "sub": "user-1", "token_use": "id", "aud": aud,
        "cognito:username": "alice", "cognito:groups": ["admin"],
        "email_verified": "true", "exp": NOW + 3600, "iat": NOW - 60,
    })
}

fn tokens() -> Vec<(&'static str, String)> {
    let mut with_aud = access(setup::ISS_B, "client-2");
    with_aud["aud"] = json!([setup::API_AUDIENCE]);
    let mut no_use = access(setup::ISS_C, "client-1");
    no_use.as_object_mut().map(|m| m.remove("token_use"));
    let mut expired = access(setup::ISS_B, "client-1");
    expired["exp"] = json!(NOW);
    let mut float = access(setup::ISS_B, "client-1");
    float["exp"] = json!(1_700_003_600.5);
    float["nbf"] = json!(NOW);
    let escaped = format!(
        r#"{{"iss":"https:\/\/issuer-b.example.com","s\u0075b":"user-1","token_use":"access","client_id":"client-1","exp":{}}}"#,
        NOW + 60
    );
    let b = keys().get(id::EC_B).expect("ec-b");
    vec![
        (
            "access-rsa-a",
            token(id::RSA_A, None, &access(setup::ISS_A, "client-1")),
        ),
        (
            "access-rsa-a2",
            token(id::RSA_A, Some("JWT"), &access(setup::ISS_A2, "client-2")),
        ),
        (
            "id-rsa-a",
            token(id::RSA_A, None, &id_token(setup::ISS_A, json!("client-1"))),
        ),
        (
            "id-ed-b",
            token(id::ED_B, None, &{
                // Several audiences: OIDC Core 3.1.3.7 wants azp naming ours.
                let mut t = id_token(setup::ISS_B, json!(["x", "client-1"]));
                t["azp"] = json!("client-1");
                t
            }),
        ),
        ("access-ec-b-aud", token(id::EC_B, None, &with_aud)),
        (
            "access-shared-b",
            token(id::SHARED_B, None, &access(setup::ISS_B, "client-1")),
        ),
        (
            "access-shared-c",
            token(
                id::SHARED_C,
                Some("at+jwt"),
                &access(setup::ISS_C, "client-1"),
            ),
        ),
        (
            "access-p384-c",
            token(id::P384_C, Some("application/at+jwt"), &no_use),
        ),
        (
            "access-ec-c-no-typ",
            token(id::EC_C, None, &access(setup::ISS_C, "client-1")),
        ),
        (
            "wrong-issuer-key",
            token(id::SHARED_C, None, &access(setup::ISS_B, "client-1")),
        ),
        (
            "outsider",
            token(id::OUTSIDER, None, &access(setup::ISS_B, "client-1")),
        ),
        ("expired", token(id::EC_B, None, &expired)),
        ("float-exp", token(id::EC_B, None, &float)),
        ("escaped", sign(b, &header_of(id::EC_B, None), &escaped)),
        (
            "dup-header",
            sign(
                b,
                r#"{"kid":"ec-b","alg":"ES256","alg":"ES256"}"#,
                &access(setup::ISS_B, "client-1").to_string(),
            ),
        ),
        (
            "crit",
            sign(
                b,
                r#"{"kid":"ec-b","alg":"ES256","crit":["exp"]}"#,
                &access(setup::ISS_B, "client-1").to_string(),
            ),
        ),
        ("jwe", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d".to_owned()),
        ("none", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.".to_owned()),
        (
            "padded",
            format!(
                "{}=",
                token(id::EC_B, None, &access(setup::ISS_B, "client-1"))
            ),
        ),
    ]
}

fn jwks_docs() -> Vec<(&'static str, String)> {
    let all: Vec<_> = keys().iter().map(|k| k.jwk(true)).collect();
    let bare: Vec<_> = keys().iter().map(|k| k.jwk(false)).collect();
    let ec = keys().get(id::EC_B).expect("ec-b").jwk(true);
    let rsa = keys().get(id::RSA_A).expect("rsa-a").jwk(true);
    let mut small_rsa = rsa.clone();
    small_rsa["n"] = json!("AQAB");
    let mut enc = ec.clone();
    enc["use"] = json!("enc");
    let mut ops = ec.clone();
    ops["key_ops"] = json!(["sign", "verify"]);
    let mut wrong_alg = ec.clone();
    wrong_alg["alg"] = json!("ES384");
    vec![
        ("issuer-a", setup::jwks_of(0)),
        ("issuer-b", setup::jwks_of(1)),
        ("issuer-c", setup::jwks_of(2)),
        ("all-full", json!({ "keys": all }).to_string()),
        ("all-bare", json!({ "keys": bare }).to_string()),
        (
            "mixed",
            json!({ "keys": [
                {"kty": "oct", "kid": "h", "k": "AAAA"}, small_rsa, enc, ops, wrong_alg, ec, rsa,
                {"kid": 5}, "x", null,
            ]})
            .to_string(),
        ),
        ("empty", r#"{"keys":[]}"#.to_owned()),
        ("not-json", "{\"keys\":[".to_owned()),
    ]
}

fn headers() -> Vec<(&'static str, String)> {
    let t = tokens()
        .into_iter()
        .find(|(n, _)| *n == "access-rsa-a")
        .map(|(_, t)| t)
        .expect("a token");
    vec![
        ("bearer", format!("Bearer {t}")),
        ("bearer-lower-spaces", format!("  bearer {t}\t")),
        (
            "bearer-and-cookie",
            format!("Bearer {t}\ncookie: a=1; token={t}"),
        ),
        (
            "cookie-quoted",
            format!("\ncookie: a=1; token=\"{t}\"; b=2"),
        ),
        ("x-token", format!("\nX-Token: {t}")),
        (
            "two-authorization",
            format!("Bearer {t}\nAuthorization: Bearer {t}"),
        ),
        ("basic", "Basic dXNlcjpwYXNz".to_owned()),
        ("bearer-empty", "Bearer".to_owned()),
        ("bearer-two-spaces", "Bearer  abc.def.ghi".to_owned()),
        ("bearer-bad-char", "Bearer abc\"def".to_owned()),
        ("bearer-padding", "Bearer abc.def.ghi==".to_owned()),
    ]
}

/// A seeded search for `signed` inputs: the first few that some verifier
/// accepts, for each signer, and a few it refuses.
fn signed_inputs() -> Vec<(String, Vec<u8>)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut found = Vec::new();
    let mut accepted_by_signer = [0usize; 8];
    let mut refused = 0;
    for _ in 0..200_000 {
        let len = usize::try_from(next() % 48).unwrap_or(0) + 4;
        let data: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
        let Ok(input) = <Input as arbitrary::Arbitrary>::arbitrary_take_rest(
            arbitrary::Unstructured::new(&data),
        ) else {
            continue;
        };
        let (signer, header, payload) = render(&input);
        let Some(key) = keys().get(signer) else {
            continue;
        };
        let token = sign(key, &header, &payload);
        let accepted = verifiers()
            .iter()
            .any(|(_, v)| block_on(v.verify(&token)).is_ok());
        let slot = accepted_by_signer.get_mut(signer).expect("8 keys");
        if accepted && *slot < 3 {
            *slot += 1;
            found.push((format!("accepted-{}-{}", key.name, slot), data));
        } else if !accepted
            && refused < 6
            && input.payload_template.is_some()
            && input.header_template
        {
            refused += 1;
            found.push((format!("refused-{refused}"), data));
        }
    }
    found
}

fn main() {
    for (name, t) in tokens() {
        write("token", name, t);
    }
    for (name, doc) in jwks_docs() {
        write("jwks", name, doc);
    }
    for (name, h) in headers() {
        write("header", name, h);
    }
    let signed = signed_inputs();
    println!("signed: {} seeds", signed.len());
    for (name, data) in signed {
        write("signed", &name, data);
    }
}

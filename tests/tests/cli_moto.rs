//! The `cognito-jwt` command on real user-pool tokens from moto's Cognito
//! emulator: what an operator runs when a production token is refused.
//! moto's tokens name the real Cognito issuer while its keys are on
//! loopback, so `--pool` plus `--jwks-url` is exactly the production call
//! with the key host overridden.

use std::process::Command;

use cognito_jwt_e2e::Moto;
use cognito_jwt_e2e::contract::workspace_binary;
use serde_json::Value;

struct Run {
    code: i32,
    json: Value,
}

fn cli(args: &[&str]) -> Run {
    let output = Command::new(workspace_binary("cognito-jwt-cli", "cognito-jwt"))
        .args(args)
        .output()
        .expect("the cognito-jwt binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Run {
        code: output.status.code().unwrap_or(-1),
        json,
    }
}

fn step<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {v}"))
}

#[test]
fn verify_explains_moto_tokens_as_an_api_would_answer_them() {
    let moto = Moto::shared();
    let seed = &moto.seed;
    let alice = &seed.tokens.alice;
    let pool = seed.user_pool_id.as_str();
    let jwks = seed.jwks_uri.as_str();
    let client = seed.client_id.as_str();
    let base = [
        "verify",
        "--json",
        "--pool",
        pool,
        "--jwks-url",
        jwks,
        "--client-id",
        client,
    ];
    let with = |extra: &[&str], token: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.push(token);
        cli(&args)
    };

    // alice's access token: accepted, signed by one of the pool's keys,
    // in group admin.
    let ok = with(&["--group", "admin"], &alice.access);
    assert_eq!(ok.code, 0, "{}", ok.json);
    assert_eq!(ok.json["verdict"], "accepted");
    let key = step(&ok.json, "key")["detail"].as_str().unwrap_or_default();
    assert!(
        seed.jwks_kids.iter().any(|kid| key.contains(kid.as_str())) && key.contains(jwks),
        "{key}"
    );
    assert_eq!(ok.json["claims"]["username"], "alice");

    // The refusal reasons an operator meets, each with its answer.
    type Row<'a> = (&'a str, Vec<&'a str>, &'a str, &'a str, u64, &'a str);
    let rows: Vec<Row> = vec![
        (
            "an ID token where access tokens are required",
            vec![],
            &alice.id,
            "wrong_token_use",
            401,
            "token_use",
        ),
        (
            "a scope the token lacks",
            vec!["--scope", "orders/read"],
            &alice.access,
            "insufficient_scope",
            403,
            "scopes",
        ),
        (
            "a group alice is not in",
            vec!["--group", "auditors"],
            &alice.access,
            "missing_group",
            403,
            "groups",
        ),
        (
            "the other app client's token",
            vec![],
            &seed.tokens.alice_client2.access,
            "client_not_allowed",
            401,
            "client",
        ),
        (
            "a refresh token pasted by mistake",
            vec![],
            &alice.refresh,
            "malformed_token",
            401,
            "structure",
        ),
    ];
    for (what, extra, token, kind, status, failed) in rows {
        let out = with(&extra, token);
        let v = &out.json;
        assert_eq!(out.code, 1, "{what}: {v}");
        assert_eq!(v["verdict"], "refused", "{what}: {v}");
        assert_eq!(v["error"]["kind"], kind, "{what}: {v}");
        assert_eq!(v["http"]["status"], status, "{what}: {v}");
        assert_eq!(step(v, failed)["status"], "failed", "{what}: {v}");
    }

    // An ID token where ID tokens are asked for: the audience is the client.
    let id = with(&["--token-use", "id"], &alice.id);
    assert_eq!(id.code, 0, "{}", id.json);
    assert!(
        step(&id.json, "client")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("aud")),
        "{}",
        id.json
    );

    // Both issuer forms of the pool are the pool; --any-client takes the
    // other app client's token.
    let issuer = seed.issuer.as_str();
    let other = cli(&[
        "verify",
        "--json",
        "--issuer",
        issuer,
        "--jwks-url",
        jwks,
        "--any-client",
        &seed.tokens.alice_client2.access,
    ]);
    assert_eq!(other.code, 0, "{}", other.json);

    // Keys that cannot be fetched: exit 3 and the 503 the API would give.
    let down = cli(&[
        "verify",
        "--json",
        "--pool",
        pool,
        "--jwks-url",
        "http://127.0.0.1:9/nothing/jwks.json",
        "--client-id",
        client,
        &alice.access,
    ]);
    assert_eq!(down.code, 3, "{}", down.json);
    assert_eq!(down.json["http"]["status"], 503);
}

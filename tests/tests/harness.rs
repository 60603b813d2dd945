//! Smoke tests of the e2e harness itself: both issuers start, mint tokens,
//! serve their keys, and die with their guards.

use cognito_jwt_e2e::oidc::{self, ClientAuth, TokenRequest};
use cognito_jwt_e2e::{Moto, OidcProvider, decode_header, decode_payload, get_json};
use serde_json::{Value, json};

fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("JWKS has a keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn moto_seeds_a_pool_and_mints_cognito_shaped_tokens() {
    let moto = Moto::start();
    let seed = &moto.seed;
    let pool = &seed.user_pool_id;

    assert_eq!(seed.region, "us-east-1");
    assert!(pool.starts_with("us-east-1_"), "{pool}");
    assert_eq!(
        seed.issuer,
        format!("https://cognito-idp.us-east-1.amazonaws.com/{pool}")
    );
    assert_eq!(
        seed.jwks_uri,
        format!("{}/{pool}/.well-known/jwks.json", moto.base_url)
    );
    assert_ne!(seed.client_id, seed.client2_id);

    // The JWKS URL serves the key the tokens name.
    let jwks = get_json(&seed.jwks_uri).await.unwrap();
    let kids = jwks_kids(&jwks);
    assert!(!kids.is_empty());
    let discovery = get_json(&seed.openid_configuration_uri).await.unwrap();
    assert_eq!(discovery["issuer"], json!(seed.issuer));
    assert_eq!(discovery["jwks_uri"], json!(seed.jwks_uri));

    let cases = [
        ("alice", &seed.tokens.alice, &seed.client_id, "admin"),
        ("bob", &seed.tokens.bob, &seed.client_id, "users"),
        (
            "alice",
            &seed.tokens.alice_client2,
            &seed.client2_id,
            "admin",
        ),
        (
            "alice",
            &seed.tokens.alice_refreshed,
            &seed.client_id,
            "admin",
        ),
    ];
    for (user, set, client, group) in cases {
        assert!(!set.refresh.is_empty());
        for (kind, token) in [("id", &set.id), ("access", &set.access)] {
            let header = decode_header(token);
            let claims = decode_payload(token);
            assert_eq!(header["alg"], "RS256");
            let kid = header["kid"].as_str().unwrap();
            assert!(kids.iter().any(|k| k == kid), "kid {kid} not in {kids:?}");
            assert_eq!(claims["iss"], json!(seed.issuer), "{user} {kind}");
            assert_eq!(claims["token_use"], kind);
            assert_eq!(claims["sub"], json!(seed.users[user].sub));
            assert_eq!(claims["cognito:groups"], json!([group]));
            let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
            assert_eq!(lifetime, seed.token_lifetime_seconds);
            if kind == "id" {
                assert_eq!(claims["aud"], json!(client));
                assert_eq!(claims["cognito:username"], user);
                assert_eq!(claims["email"], json!(seed.users[user].email));
            } else {
                assert_eq!(claims["client_id"], json!(client));
                assert_eq!(claims["username"], user);
                assert_eq!(claims["scope"], "aws.cognito.signin.user.admin");
                assert!(claims.get("aud").is_none(), "access token has aud");
            }
        }
    }

    // moto ignores token validity settings: no short-lived or expired
    // tokens from it, so expiry is tested with an injected clock. If this
    // starts failing, moto learnt validity: update the docs and use it.
    assert!(!seed.expired_tokens_possible);
    assert!(
        !seed.short_lived.honoured,
        "moto now honours token validity ({}s)",
        seed.short_lived.observed_lifetime_seconds
    );

    // Seeding again gives a second, independent pool on the same server.
    let second = moto.seed_new_pool();
    assert_ne!(second.user_pool_id, seed.user_pool_id);
    assert_ne!(second.issuer, seed.issuer);
}

#[tokio::test]
async fn oidc_provider_issues_client_credentials_tokens() {
    let op = OidcProvider::start();
    assert_eq!(op.issuer, oidc::ISSUER);

    // Both JWKS URLs serve the RS256 and the ES256 key, public parts only.
    for url in [&op.jwks_uri, &op.cognito_jwks_uri] {
        let jwks = get_json(url).await.unwrap();
        let mut kids = jwks_kids(&jwks);
        kids.sort();
        assert_eq!(kids, [oidc::ES256_KID, oidc::RS256_KID], "{url}");
        for key in jwks["keys"].as_array().unwrap() {
            assert!(key.get("d").is_none(), "private key material served");
        }
    }

    let read = op
        .client_credentials(oidc::M2M_CLIENT, oidc::M2M_SECRET, &[oidc::SCOPE_READ])
        .await
        .unwrap();
    let header = decode_header(&read);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], oidc::RS256_KID);
    assert_eq!(header["typ"], "at+jwt");
    let claims = decode_payload(&read);
    assert_eq!(claims["iss"], oidc::ISSUER);
    assert_eq!(claims["aud"], oidc::RESOURCE);
    assert_eq!(claims["client_id"], oidc::M2M_CLIENT);
    assert_eq!(claims["sub"], oidc::M2M_CLIENT);
    assert_eq!(claims["scope"], "orders/read");
    assert_eq!(claims["token_use"], "access");
    assert!(claims["jti"].is_string());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600);

    // Two scopes, client_secret_post.
    let both = op
        .request_token(&TokenRequest {
            client_id: oidc::M2M_CLIENT,
            client_secret: oidc::M2M_SECRET,
            scopes: &[oidc::SCOPE_READ, oidc::SCOPE_WRITE],
            resource: Some(oidc::RESOURCE),
            auth: ClientAuth::Post,
        })
        .await
        .unwrap();
    assert_eq!(both.token_type, "Bearer");
    assert_eq!(both.scope.as_deref(), Some("orders/read orders/write"));
    assert_eq!(
        decode_payload(&both.access_token)["scope"],
        "orders/read orders/write"
    );

    // Wrong secret: 401 invalid_client, no token (both auth methods).
    for auth in [ClientAuth::Basic, ClientAuth::Post] {
        let err = op
            .request_token(&TokenRequest {
                client_id: oidc::M2M_CLIENT,
                client_secret: "wrong",
                scopes: &[oidc::SCOPE_READ],
                auth,
                ..TokenRequest::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.status, 401, "{err}");
        assert_eq!(err.error.as_deref(), Some("invalid_client"));
        assert!(!err.body.contains("access_token"));
    }

    // A scope the client may not have, and one nobody defined.
    let err = op
        .client_credentials(
            oidc::READONLY_CLIENT,
            oidc::READONLY_SECRET,
            &[oidc::SCOPE_READ, oidc::SCOPE_WRITE],
        )
        .await
        .unwrap_err();
    assert_eq!(err.error.as_deref(), Some("invalid_scope"), "{err}");
    let err = op
        .client_credentials(oidc::M2M_CLIENT, oidc::M2M_SECRET, &["orders/delete"])
        .await
        .unwrap_err();
    assert_eq!(err.error.as_deref(), Some("invalid_scope"), "{err}");

    // ES256: per client, and per resource.
    let es = op
        .client_credentials(oidc::ES256_CLIENT, oidc::ES256_SECRET, &[oidc::SCOPE_READ])
        .await
        .unwrap();
    assert_eq!(decode_header(&es)["alg"], "ES256");
    assert_eq!(decode_header(&es)["kid"], oidc::ES256_KID);
    let es_res = op
        .request_token(&TokenRequest {
            client_id: oidc::M2M_CLIENT,
            client_secret: oidc::M2M_SECRET,
            scopes: &[oidc::SCOPE_READ],
            resource: Some(oidc::RESOURCE_ES256),
            ..TokenRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(decode_header(&es_res.access_token)["alg"], "ES256");
    assert_eq!(
        decode_payload(&es_res.access_token)["aud"],
        oidc::RESOURCE_ES256
    );

    // One-second tokens for real expiry tests.
    let short = op
        .request_token(&TokenRequest {
            client_id: oidc::M2M_CLIENT,
            client_secret: oidc::M2M_SECRET,
            scopes: &[oidc::SCOPE_READ],
            resource: Some(oidc::RESOURCE_SHORT_LIVED),
            ..TokenRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(short.expires_in, 1);
    let c = decode_payload(&short.access_token);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 1);
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(target_os = "linux")]
#[test]
fn guards_kill_children_on_drop_and_on_panic() {
    let op = OidcProvider::start();
    let pid = op.service().pid();
    let addr = op.base_url.trim_start_matches("http://").to_owned();
    assert!(process_alive(pid));
    drop(op);
    assert!(!process_alive(pid), "oidc-provider {pid} survived drop");
    assert!(std::net::TcpStream::connect(&addr).is_err());

    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::panic::catch_unwind(move || {
        let op = OidcProvider::start();
        tx.send(op.service().pid()).unwrap();
        panic!("test failure while the provider runs");
    });
    assert!(result.is_err());
    let pid = rx.recv().unwrap();
    assert!(!process_alive(pid), "oidc-provider {pid} survived a panic");
}

#[tokio::test]
async fn shared_instances_start_once() {
    let moto = Moto::shared();
    assert!(std::ptr::eq(moto, Moto::shared()));
    assert!(!moto.seed.tokens.bob.access.is_empty());
    let op = OidcProvider::shared();
    assert!(std::ptr::eq(op, OidcProvider::shared()));
    let token = op
        .client_credentials(oidc::M2M_CLIENT, oidc::M2M_SECRET, &[oidc::SCOPE_WRITE])
        .await
        .unwrap();
    assert_eq!(decode_payload(&token)["scope"], "orders/write");
}

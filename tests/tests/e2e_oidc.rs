//! End-to-end against oidc-provider: client-credentials (M2M) access tokens
//! under a Cognito-shaped issuer, obtained from the token endpoint with real
//! client authentication, checked over HTTP by both example APIs (custom
//! scopes) and by the core `Verifier` (ES256 and the algorithm allowlist).

use cognito_jwt::{Algorithm, Error, HeaderError, Issuer, TokenUse, Verifier};
use cognito_jwt_e2e::apps::{Answer, EXAMPLE_APPS, start_example};
use cognito_jwt_e2e::oidc::{self, OidcProvider};
use cognito_jwt_e2e::{decode_header, decode_payload};
use serde_json::json;

/// Walks every oidc-provider check against example binary `name`.
async fn walk(name: &str) {
    let op = OidcProvider::shared();
    assert_eq!(op.issuer, oidc::ISSUER);
    let app = start_example(
        name,
        &[
            ("COGNITO_ISSUER", oidc::ISSUER),
            ("COGNITO_JWKS_URI", &op.jwks_uri),
            ("COGNITO_CLIENT_IDS", oidc::M2M_CLIENT),
        ],
    );

    // Real client authentication at the token endpoint.
    let reader = op
        .client_credentials(oidc::M2M_CLIENT, oidc::M2M_SECRET, &[oidc::SCOPE_READ])
        .await
        .expect("orders/read token");
    let writer = op
        .client_credentials(
            oidc::M2M_CLIENT,
            oidc::M2M_SECRET,
            &[oidc::SCOPE_READ, oidc::SCOPE_WRITE],
        )
        .await
        .expect("orders/read orders/write token");
    assert_eq!(decode_payload(&reader)["scope"], oidc::SCOPE_READ);
    assert_eq!(decode_header(&reader)["alg"], "RS256");
    let refused = op
        .client_credentials(oidc::M2M_CLIENT, "not-the-secret", &[oidc::SCOPE_READ])
        .await
        .expect_err("a wrong client secret gets no token");
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(
        refused.error.as_deref(),
        Some("invalid_client"),
        "{refused:?}"
    );

    let mut failures: Vec<String> = Vec::new();
    let mut check = |what: &str, ok: bool, a: &Answer| {
        if !ok {
            failures.push(format!(
                "{what}: status {} www {:?} body {}",
                a.status, a.www, a.body
            ));
        }
    };

    let a = app.call("GET", "/orders", Some(&reader)).await;
    check(
        "orders/read → GET /orders 200",
        a.status == 200 && a.body["requested_by"] == oidc::M2M_CLIENT,
        &a,
    );
    let a = app.call("POST", "/orders", Some(&reader)).await;
    check(
        "orders/read only → POST /orders 403",
        a.status == 403
            && a.www.as_deref().is_some_and(|w| {
                w.contains(r#"error="insufficient_scope""#) && w.contains(r#"scope="orders/write""#)
            })
            && a.body["error"] == "insufficient_scope",
        &a,
    );
    let a = app.call("POST", "/orders", Some(&writer)).await;
    check(
        "orders/write → POST /orders 201",
        a.status == 201 && a.body["created_by"] == oidc::M2M_CLIENT,
        &a,
    );
    let a = app.call("GET", "/me", Some(&writer)).await;
    check(
        "M2M token → /me 200",
        a.status == 200
            && a.body["sub"] == oidc::M2M_CLIENT
            && a.body["client_id"] == oidc::M2M_CLIENT
            && a.body["scopes"] == json!([oidc::SCOPE_READ, oidc::SCOPE_WRITE])
            && a.body["groups"] == json!([]),
        &a,
    );
    // A machine token has no user and no groups.
    let a = app.call("GET", "/admin", Some(&writer)).await;
    check("M2M token → /admin 403", a.status == 403, &a);
    // Another client of the same provider is not an allowed client.
    let other = op
        .client_credentials(
            oidc::READONLY_CLIENT,
            oidc::READONLY_SECRET,
            &[oidc::SCOPE_READ],
        )
        .await
        .expect("readonly client token");
    let a = app.call("GET", "/orders", Some(&other)).await;
    check(
        "m2m-readonly-client → GET /orders 401",
        a.status == 401
            && a.body["error"] == "invalid_token"
            && a.body["error_description"]
                == "the token was issued to a client that is not allowed",
        &a,
    );

    if !failures.is_empty() {
        panic!(
            "{name} against oidc-provider: {} check(s) failed:\n{}\n--- {} (tail) ---\n{}",
            failures.len(),
            failures.join("\n"),
            app.service.log_path().display(),
            app.service.log_tail(3000)
        );
    }
}

#[tokio::test]
async fn axum_api_against_oidc_provider() {
    assert_eq!(EXAMPLE_APPS[0], "axum-api");
    walk("axum-api").await;
}

#[tokio::test]
async fn actix_api_against_oidc_provider() {
    assert_eq!(EXAMPLE_APPS[1], "actix-api");
    walk("actix-api").await;
}

fn es256_verifier(op: &OidcProvider, algorithms: &[Algorithm]) -> Verifier {
    Verifier::builder(
        Issuer::url(&op.issuer)
            .jwks_url(&op.jwks_uri)
            .algorithms(algorithms.iter().copied()),
    )
    .client_ids([oidc::ES256_CLIENT])
    .token_use(TokenUse::Access)
    .build()
    .expect("build verifier")
}

#[tokio::test]
async fn es256_tokens_verify_only_where_es256_is_allowed() {
    let op = OidcProvider::shared();
    let token = op
        .client_credentials(oidc::ES256_CLIENT, oidc::ES256_SECRET, &[oidc::SCOPE_READ])
        .await
        .expect("ES256 token");
    let header = decode_header(&token);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], oidc::ES256_KID);

    let both = es256_verifier(op, &[Algorithm::ES256, Algorithm::RS256]);
    let claims = both.verify(&token).await.expect("ES256 token verifies");
    assert_eq!(claims.algorithm(), Algorithm::ES256);
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(claims.client_id(), Some(oidc::ES256_CLIENT));
    assert!(claims.has_scope(oidc::SCOPE_READ));

    let rs256_only = es256_verifier(op, &[Algorithm::RS256]);
    match rs256_only.verify(&token).await {
        Err(Error::Header(HeaderError::AlgorithmNotAllowed { alg })) => assert_eq!(alg, "ES256"),
        other => panic!("expected AlgorithmNotAllowed, got {other:?}"),
    }
}

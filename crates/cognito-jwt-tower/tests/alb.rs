//! An axum router behind an Application Load Balancer: the data token in
//! `x-amzn-oidc-data` reaches handlers through the same extractors, and
//! each refusal is the one the core names.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cognito_jwt::{AlbVerifier, Issuer, Trust, Verifier};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, DEFAULT_POOL_ID, JwksServer, Mode, TestIssuer};
use cognito_jwt_tower::{AccessToken, Authenticated, CognitoAuth, IdToken, Require};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct World {
    pool: TestIssuer,
    _jwks: JwksServer,
    alb: AlbIssuer,
    keys: AlbKeyServer,
    verifier: Verifier,
    alb_verifier: AlbVerifier,
}

fn world() -> World {
    let pool = TestIssuer::cognito();
    let jwks = JwksServer::start(&pool);
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let verifier = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(jwks.url()))
        .client_ids([pool.client_id()])
        .any_token_use()
        .build()
        .unwrap();
    let alb_verifier = AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(keys.url())
        .build()
        .unwrap();
    World {
        pool,
        _jwks: jwks,
        alb,
        keys,
        verifier,
        alb_verifier,
    }
}

fn app(w: &World, trust: Trust) -> Router {
    Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move {
                format!(
                    "{} via {}",
                    claims.sub(),
                    claims.alb_signer().unwrap_or("bearer")
                )
            }),
        )
        .route(
            "/any",
            get(|Authenticated(claims): Authenticated| async move { claims.sub().to_owned() }),
        )
        .route(
            "/profile",
            get(|IdToken(claims): IdToken| async move { claims.sub().to_owned() }),
        )
        .route(
            "/orders",
            get(|| async { "orders" })
                .route_layer(Require::access_token().any_scope(["orders/read"]).unwrap()),
        )
        .layer(CognitoAuth::new(w.verifier.clone()).alb_data(w.alb_verifier.clone(), trust))
}

async fn call(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn routes_answer_the_alb_user_as_for_an_access_token() {
    let w = world();
    let data = w.alb.data_token().build();
    let app = app(&w, Trust::AlbData);
    let me = call(&app, "/me", &[("x-amzn-oidc-data", &data)]).await;
    assert_eq!(me.0, StatusCode::OK);
    assert_eq!(me.2, format!("{} via {}", w.alb.sub(), w.alb.arn()));
    assert_eq!(
        call(&app, "/any", &[("x-amzn-oidc-data", &data)]).await.0,
        StatusCode::OK
    );
    // Not an ID token; and no scope is granted.
    let profile = call(&app, "/profile", &[("x-amzn-oidc-data", &data)]).await;
    assert_eq!(profile.0, StatusCode::UNAUTHORIZED);
    let orders = call(&app, "/orders", &[("x-amzn-oidc-data", &data)]).await;
    assert_eq!(orders.0, StatusCode::FORBIDDEN);
    assert!(orders.1.unwrap().contains(r#"error="insufficient_scope""#));
    // Only the data header is trusted: a bearer token alone is no credential.
    let bearer = format!("Bearer {}", w.pool.access_token().build());
    let (status, challenge, _) = call(&app, "/me", &[("authorization", &bearer)]).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
}

/// A router, the request's headers, and the status and body it answers with.
type Row<'a> = (
    &'a Router,
    Vec<(&'a str, &'a str)>,
    StatusCode,
    Option<&'a str>,
);

#[tokio::test]
async fn each_trust_takes_its_credential() {
    let w = world();
    let data = w.alb.data_token().build();
    let bearer = format!("Bearer {}", w.pool.access_token().build());
    let forged = w
        .alb
        .data_token()
        .header("signer", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef")
        .build();
    let either = app(&w, Trust::Either);
    let alb_user = format!("{} via {}", w.alb.sub(), w.alb.arn());
    let bearer_user = format!("{} via bearer", w.pool.user_sub());
    let rows: Vec<Row<'_>> = vec![
        (
            &either,
            vec![("x-amzn-oidc-data", &data)],
            StatusCode::OK,
            Some(&alb_user),
        ),
        (
            &either,
            vec![("authorization", &bearer)],
            StatusCode::OK,
            Some(&bearer_user),
        ),
        (
            &either,
            vec![("authorization", &bearer), ("x-amzn-oidc-data", &data)],
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            &either,
            vec![("x-amzn-oidc-data", &forged)],
            StatusCode::UNAUTHORIZED,
            None,
        ),
    ];
    for (i, (app, headers, status, body)) in rows.into_iter().enumerate() {
        let got = call(app, "/me", &headers).await;
        assert_eq!(got.0, status, "row {i}: {}", got.2);
        if let Some(body) = body {
            assert_eq!(got.2, body, "row {i}");
        }
    }
    // The default gate ignores the header altogether.
    let bearer_only = Router::new()
        .route(
            "/me",
            get(|AccessToken(c): AccessToken| async move { c.sub().to_owned() }),
        )
        .layer(CognitoAuth::new(w.verifier.clone()));
    assert_eq!(
        call(&bearer_only, "/me", &[("x-amzn-oidc-data", &data)])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_key_host_outage_is_503_with_retry_after() {
    let w = world();
    w.keys.set_mode(Mode::Status(500));
    let app = app(&w, Trust::AlbData);
    let data = w.alb.data_token().build();
    let request = Request::get("/me")
        .header("x-amzn-oidc-data", &data)
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(w.keys.fetch_count(), 1);
}

//! An actix-web app behind an Application Load Balancer: the data token in
//! `x-amzn-oidc-data` reaches handlers through the same extractors, and
//! each refusal is the one the core names.

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, test, web};
use cognito_jwt::{AlbVerifier, Issuer, Trust, Verifier};
use cognito_jwt_actix::{AccessToken, Authenticated, CognitoAuth, IdToken, Require};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, JwksServer, Mode, TestIssuer};

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
    let verifier = Verifier::builder(
        Issuer::cognito(pool.pool_id().expect("a Cognito pool")).jwks_url(jwks.url()),
    )
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

async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        claims.sub(),
        claims.alb_signer().unwrap_or("bearer")
    ))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route(
            "/any",
            web::get().to(|Authenticated(c): Authenticated| async move {
                HttpResponse::Ok().body(c.sub().to_owned())
            }),
        )
        .route(
            "/profile",
            web::get().to(|IdToken(c): IdToken| async move {
                HttpResponse::Ok().body(c.sub().to_owned())
            }),
        )
        .service(
            web::resource("/orders").route(
                web::get()
                    .to(|| async { HttpResponse::Ok().body("orders") })
                    .wrap(Require::access_token().any_scope(["orders/read"]).unwrap()),
            ),
        );
}

/// Status and body of `GET path` with these headers, through an app that
/// trusts `trust`.
async fn call(
    w: &World,
    trust: Trust,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let app = test::init_service(
        App::new()
            .wrap(CognitoAuth::new(w.verifier.clone()).alb_data(w.alb_verifier.clone(), trust))
            .configure(routes),
    )
    .await;
    let mut request = test::TestRequest::get().uri(path);
    for (k, v) in headers {
        request = request.insert_header((*k, *v));
    }
    let res = test::call_service(&app, request.to_request()).await;
    let status = res.status();
    let extra = res
        .headers()
        .get("www-authenticate")
        .or_else(|| res.headers().get("retry-after"))
        .map(|v| v.to_str().unwrap().to_owned());
    let body = test::read_body(res).await;
    (status, extra, String::from_utf8(body.to_vec()).unwrap())
}

#[actix_web::test]
async fn routes_answer_the_alb_user_as_for_an_access_token() {
    let w = world();
    let data = w.alb.data_token().build();
    let h = [("x-amzn-oidc-data", data.as_str())];
    let me = call(&w, Trust::AlbData, "/me", &h).await;
    assert_eq!(me.0, StatusCode::OK);
    assert_eq!(me.2, format!("{} via {}", w.alb.sub(), w.alb.arn()));
    assert_eq!(call(&w, Trust::AlbData, "/any", &h).await.0, StatusCode::OK);
    assert_eq!(
        call(&w, Trust::AlbData, "/profile", &h).await.0,
        StatusCode::UNAUTHORIZED
    );
    let orders = call(&w, Trust::AlbData, "/orders", &h).await;
    assert_eq!(orders.0, StatusCode::FORBIDDEN);
    assert!(orders.1.unwrap().contains(r#"error="insufficient_scope""#));
    let bearer = format!("Bearer {}", w.pool.access_token().build());
    let only_bearer = call(&w, Trust::AlbData, "/me", &[("authorization", &bearer)]).await;
    assert_eq!(
        (only_bearer.0, only_bearer.1.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
}

/// What the gate trusts, the request's headers, and the status and body it answers with.
type Row<'a> = (Trust, Vec<(&'a str, &'a str)>, StatusCode, Option<&'a str>);

#[actix_web::test]
async fn each_trust_takes_its_credential() {
    let w = world();
    let data = w.alb.data_token().build();
    let bearer = format!("Bearer {}", w.pool.access_token().build());
    let forged = w
        .alb
        .data_token()
        .header("client", "another-client")
        .build();
    let alb_user = format!("{} via {}", w.alb.sub(), w.alb.arn());
    let bearer_user = format!("{} via bearer", w.pool.user_sub());
    let rows: Vec<Row<'_>> = vec![
        (
            Trust::Either,
            vec![("x-amzn-oidc-data", &data)],
            StatusCode::OK,
            Some(&alb_user),
        ),
        (
            Trust::Either,
            vec![("authorization", &bearer)],
            StatusCode::OK,
            Some(&bearer_user),
        ),
        (
            Trust::Either,
            vec![("authorization", &bearer), ("x-amzn-oidc-data", &data)],
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            Trust::Either,
            vec![("x-amzn-oidc-data", &forged)],
            StatusCode::UNAUTHORIZED,
            None,
        ),
        (
            Trust::Bearer,
            vec![("x-amzn-oidc-data", &data)],
            StatusCode::UNAUTHORIZED,
            None,
        ),
        (
            Trust::Bearer,
            vec![("authorization", &bearer), ("x-amzn-oidc-data", &forged)],
            StatusCode::OK,
            Some(&bearer_user),
        ),
    ];
    for (i, (trust, headers, status, body)) in rows.into_iter().enumerate() {
        let got = call(&w, trust, "/me", &headers).await;
        assert_eq!(got.0, status, "row {i}: {}", got.2);
        if let Some(body) = body {
            assert_eq!(got.2, body, "row {i}");
        }
    }
}

#[actix_web::test]
async fn a_key_host_outage_is_503_with_retry_after() {
    let w = world();
    w.keys.set_mode(Mode::Status(500));
    let data = w.alb.data_token().build();
    let (status, retry_after, _) =
        call(&w, Trust::AlbData, "/me", &[("x-amzn-oidc-data", &data)]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after.is_some());
    assert_eq!(w.keys.fetch_count(), 1);
}

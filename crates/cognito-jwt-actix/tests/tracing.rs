//! Outcomes are logged with the error kind, `kid` and issuer, never the token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, test, web};
use cognito_jwt::{AlbVerifier, Issuer, Trust, Verifier};
use cognito_jwt_actix::{AccessToken, CognitoAuth, Require};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, JwksServer, TestIssuer};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Capture this thread's log at debug level until the guard drops.
fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

/// A test pool, its JWKS server, and a verifier for it (any token use).
fn pool() -> (TestIssuer, JwksServer, Verifier) {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let verifier =
        Verifier::builder(Issuer::cognito(issuer.pool_id().unwrap()).jwks_url(server.url()))
            .client_ids([issuer.client_id()])
            .any_token_use()
            .build()
            .unwrap();
    (issuer, server, verifier)
}

impl Buffer {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

#[actix_web::test]
async fn outcomes_are_logged_without_the_token() {
    let (buffer, _guard) = capture();

    let (issuer, _server, verifier) = pool();
    let app = test::init_service(
        App::new().wrap(CognitoAuth::new(verifier)).service(
            web::resource("/orders")
                .wrap(Require::any_token().any_scope(["orders/read"]).unwrap())
                .to(|_: AccessToken| async { HttpResponse::Ok().finish() }),
        ),
    )
    .await;
    let call = |token: String| {
        test::TestRequest::get()
            .uri("/orders")
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request()
    };

    let good = issuer.access_token().scopes(&["orders/read"]).build();
    assert_eq!(
        test::call_service(&app, call(good.clone())).await.status(),
        200
    );
    let logs = buffer.take();
    assert!(logs.contains("outcome=\"accepted\""), "{logs}");
    assert!(
        logs.contains(&format!("kid=\"{}\"", issuer.current_key().kid())),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("issuer=\"{}\"", issuer.issuer())),
        "{logs}"
    );
    assert!(!logs.contains(&good), "{logs}");

    let expired = issuer.access_token().expires_in(-3600).build();
    assert_eq!(
        test::call_service(&app, call(expired.clone()))
            .await
            .status(),
        401
    );
    let logs = buffer.take();
    assert!(logs.contains("outcome=\"rejected\""), "{logs}");
    assert!(logs.contains("kind=\"expired\""), "{logs}");
    assert!(!logs.contains(&expired), "{logs}");

    let no_scope = issuer.access_token().build();
    assert_eq!(
        test::call_service(&app, call(no_scope.clone()))
            .await
            .status(),
        403
    );
    let logs = buffer.take();
    assert!(logs.contains("outcome=\"forbidden\""), "{logs}");
    assert!(logs.contains("kind=\"insufficient_scope\""), "{logs}");
    assert!(!logs.contains(&no_scope), "{logs}");
}

#[actix_web::test]
async fn a_kid_holding_a_newline_cannot_forge_a_log_line() {
    let (buffer, _guard) = capture();

    let (issuer, _server, verifier) = pool();
    let app = test::init_service(App::new().wrap(CognitoAuth::new(verifier)).route(
        "/me",
        web::get().to(|_: AccessToken| async { HttpResponse::Ok().finish() }),
    ))
    .await;
    // Keys loaded first, so the hostile kid takes the unknown-kid path,
    // whose log line names it.
    let warm = test::TestRequest::get()
        .uri("/me")
        .insert_header((
            "authorization",
            format!("Bearer {}", issuer.access_token().build()),
        ))
        .to_request();
    assert_eq!(test::call_service(&app, warm).await.status(), 200);
    let forged = "2026-12-01T00:00:00Z  INFO cognito_jwt: admin signed in";
    let token = issuer
        .access_token()
        .kid(format!("k1\n{forged}\r\n{forged}"))
        .build();
    let request = test::TestRequest::get()
        .uri("/me")
        .insert_header(("authorization", format!("Bearer {token}")))
        .to_request();
    assert_eq!(test::call_service(&app, request).await.status(), 401);
    let logs = buffer.take();
    assert!(logs.contains("unknown kid"), "{logs}");
    assert!(
        logs.contains("\\n2026-12-01"),
        "the newline is escaped: {logs}"
    );
    for line in logs.lines() {
        assert!(!line.starts_with(forged), "forged line {line:?} in {logs}");
        assert!(!line.contains('\r'), "raw CR in {line:?}");
    }
    assert!(!logs.contains(&token), "{logs}");
}

/// Behind a load balancer an operator must tell which credential a log
/// line is about: each outcome names `credential`, `alb_data` for the
/// data token (accepted or refused, with or without claims to go on),
/// `bearer` for the bearer token, and neither token is logged.
#[actix_web::test]
async fn each_outcome_names_its_credential() {
    let (buffer, _guard) = capture();

    let (issuer, _server, verifier) = pool();
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let alb_verifier = AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(keys.url())
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .wrap(CognitoAuth::new(verifier).alb_data(alb_verifier, Trust::Either))
            .route(
                "/me",
                web::get().to(|_: AccessToken| async { HttpResponse::Ok().finish() }),
            ),
    )
    .await;
    let call = |header: &'static str, value: String| {
        test::TestRequest::get()
            .uri("/me")
            .insert_header((header, value))
            .to_request()
    };

    let data = alb.data_token().build();
    let other_signer = alb
        .data_token()
        .header(
            "signer",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1234567890abcdef",
        )
        .build();
    let bearer = issuer.access_token().build();
    let expired = issuer.access_token().expires_in(-3600).build();
    let rows = [
        (
            "x-amzn-oidc-data",
            data.clone(),
            200,
            "accepted",
            "alb_data",
        ),
        (
            "x-amzn-oidc-data",
            other_signer.clone(),
            401,
            "untrusted_signer",
            "alb_data",
        ),
        (
            "x-amzn-oidc-data",
            "hostile value".to_owned(),
            400,
            "malformed_credentials",
            "alb_data",
        ),
        (
            "authorization",
            format!("Bearer {bearer}"),
            200,
            "accepted",
            "bearer",
        ),
        (
            "authorization",
            format!("Bearer {expired}"),
            401,
            "expired",
            "bearer",
        ),
    ];
    for (header, value, status, what, credential) in rows {
        let got = test::call_service(&app, call(header, value.clone())).await;
        assert_eq!(got.status(), status, "{header}: {what}");
        let logs = buffer.take();
        let wanted = if what == "accepted" {
            "outcome=\"accepted\"".to_owned()
        } else {
            format!("kind=\"{what}\"")
        };
        assert!(logs.contains(&wanted), "{what}: {logs}");
        assert!(
            logs.contains(&format!("credential=\"{credential}\"")),
            "{what} names {credential}: {logs}"
        );
        let token = value.trim_start_matches("Bearer ");
        assert!(
            !logs.contains(token),
            "{what}: the token is not logged: {logs}"
        );
    }
}

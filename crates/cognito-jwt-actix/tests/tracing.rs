//! Outcomes are logged with the error kind, `kid` and issuer, never the token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, test, web};
use cognito_jwt::{Issuer, Verifier};
use cognito_jwt_actix::{AccessToken, CognitoAuth, Require};
use cognito_jwt_testkit::{JwksServer, TestIssuer};

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

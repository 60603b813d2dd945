//! The verifier's trust fixes, seen over real HTTP through a built example
//! binary (`axum-api`, `actix-api`), as an attacker or an outage would
//! exercise them:
//!
//! - a flood of unknown `kid`s whose requests are reset a millisecond after
//!   they are sent costs one JWKS fetch, not one per request;
//! - during a JWKS outage, a token signed with the pool's new key is 503
//!   with `Retry-After` (the client keeps it), not 401;
//! - a `kid` holding a newline cannot forge a line in the API's log.

use std::path::Path;
use std::time::Duration;

use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
use tokio::io::AsyncWriteExt;

use crate::contract::spawn_example_with;
use crate::process::Service;

/// One example API process against its own issuer and JWKS server.
pub struct Api {
    /// The pool the API trusts.
    pub issuer: TestIssuer,
    /// Its JWKS endpoint.
    pub jwks: JwksServer,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    service: Service,
}

impl Api {
    /// Start `binary` (see [`crate::contract::example_binary`]).
    pub fn start(binary: &Path) -> Api {
        Api::start_with(binary, Mode::Normal, &[])
    }

    /// Start `binary` with its JWKS endpoint answering in `mode` and more
    /// environment variables.
    pub fn start_with(binary: &Path, mode: Mode, env: &[(&str, &str)]) -> Api {
        let issuer = TestIssuer::cognito();
        let jwks = JwksServer::start(&issuer);
        jwks.set_mode(mode);
        let pool = issuer.pool_id().expect("a pool");
        let (_, service) = spawn_example_with(binary, &pool, &issuer.client_id(), &jwks, env);
        let base = format!("http://{}", service.ready_line());
        Api {
            issuer,
            jwks,
            base,
            service,
        }
    }

    /// `GET /me` with this bearer token: status and `Retry-After`.
    pub async fn me(&self, token: &str) -> (u16, Option<String>) {
        let response = crate::http_client()
            .get(format!("{}/me", self.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("request");
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), retry_after)
    }

    /// Send `GET /me` with this token on a raw connection and close it
    /// about a millisecond later, before any answer: the server drops the
    /// request's future, as on a client gone or an HTTP/2 reset.
    pub async fn me_then_reset(&self, token: &str) {
        let addr = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request =
            format!("GET /me HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(stream);
    }

    /// Everything the API has logged so far.
    pub fn log(&self) -> String {
        self.service.log_tail(usize::MAX)
    }
}

/// A current-thread runtime with every driver, for one scenario.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A flood of reset requests with random `kid`s: one JWKS fetch in all.
pub fn cancelled_flood_costs_one_fetch(binary: &Path) {
    let api = Api::start(binary);
    runtime().block_on(async {
        assert_eq!(api.me(&api.issuer.access_token().build()).await.0, 200);
        let before = api.jwks.fetch_count();
        let flood: Vec<String> = (0..200)
            .map(|i| api.issuer.access_token().kid(format!("random-{i}")).build())
            .collect();
        // The refetch the first one triggers is slow: every later request
        // arrives, and is reset, while it is in flight.
        api.jwks.set_mode(Mode::Delay(Duration::from_millis(500)));
        for token in &flood {
            api.me_then_reset(token).await;
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(
            api.jwks.fetch_count(),
            before + 1,
            "one refetch for 200 reset requests with unknown kids\n{}",
            api.log()
        );
        // The API still serves.
        api.jwks.set_mode(Mode::Normal);
        assert_eq!(api.me(&api.issuer.access_token().build()).await.0, 200);
    });
}

/// A key rotation during a JWKS outage: the new token is 503, not 401.
pub fn new_key_during_an_outage_is_503(binary: &Path) {
    let api = Api::start(binary);
    runtime().block_on(async {
        let old = api.issuer.access_token().build();
        assert_eq!(api.me(&old).await.0, 200);
        api.issuer.rotate();
        api.jwks.set_mode(Mode::Status(503));
        let rotated = api.issuer.access_token().build();
        for _ in 0..2 {
            let (status, retry_after) = api.me(&rotated).await;
            assert_eq!(status, 503, "a valid new token must not be called invalid");
            let seconds: u64 = retry_after
                .as_deref()
                .and_then(|s| s.parse().ok())
                .expect("Retry-After in seconds");
            assert!(seconds >= 1, "{seconds}");
        }
        // A token of the old key still verifies with the keys kept.
        assert_eq!(api.me(&old).await.0, 200);
    });
}

/// A `kid` with a newline in it is logged escaped, on one line.
pub fn a_kid_cannot_forge_a_log_line(binary: &Path) {
    let api = Api::start(binary);
    let forged = "2026-12-01T00:00:00.000000Z  INFO cognito_jwt: admin signed in";
    runtime().block_on(async {
        assert_eq!(api.me(&api.issuer.access_token().build()).await.0, 200);
        let token = api
            .issuer
            .access_token()
            .kid(format!("k\n{forged}\r\n{forged}"))
            .build();
        assert_eq!(api.me(&token).await.0, 401);
        tokio::time::sleep(Duration::from_millis(200)).await;
    });
    let log = api.log();
    assert!(
        log.contains("\\n2026-12-01T00:00:00"),
        "the kid is logged escaped:\n{log}"
    );
    for line in log.lines() {
        assert!(!line.starts_with(forged), "forged log line {line:?}");
    }
}

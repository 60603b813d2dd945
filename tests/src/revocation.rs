//! The example APIs' revocation routes over real HTTP (`POST /logout`,
//! `POST /admin/revocations`), alone and as a fleet sharing one Redis.
//!
//! - [`revocation_routes`]: one binary, rules kept in the process: a token's
//!   session revoked by its owner, a user and a client revoked by an admin,
//!   a non-admin refused, a bad body 400, and every revoked token 401
//!   `invalid_token` ("the token has been revoked") from then on.
//! - [`fleet_propagation`]: two binaries (`axum-api` and `actix-api`) on one
//!   issuer and one `redis-server` (`REDIS_URL`): a session ended on one is
//!   refused by the other; the delay is measured and returned.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cognito_jwt_testkit::{JwksServer, TestIssuer};
use serde_json::{Value, json};

use crate::contract::spawn_example_with;
use crate::process::{Ready, Service};

/// A `redis-server` on a free loopback port, without persistence, killed
/// on drop. `scripts/setup-e2e.sh` installs it.
pub struct RedisServer {
    /// `redis://127.0.0.1:PORT/`.
    pub url: String,
    _service: Service,
}

impl RedisServer {
    /// Start one; panics naming `scripts/setup-e2e.sh` when it is missing.
    pub fn start() -> RedisServer {
        let found = Command::new("redis-server").arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "redis-server is not installed: run scripts/setup-e2e.sh"
        );
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
            .to_string();
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        let service = Service::spawn("redis-server", cmd, Ready::Line(""));
        let url = format!("redis://127.0.0.1:{port}/");
        // It prints before it listens: wait for the port.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap_or(0))).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            url,
            _service: service,
        }
    }
}

/// `(status, body)` of a request with this bearer token.
async fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = crate::http_client()
        .request(method, url)
        .header("authorization", format!("Bearer {token}"));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn revoked_answer() -> (u16, Value) {
    (
        401,
        json!({"error": "invalid_token", "error_description": "the token has been revoked"}),
    )
}

/// Walk the revocation routes of `binary` (rules kept in the process).
pub fn revocation_routes(binary: &Path) {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a pool");
    let (name, service) = spawn_example_with(binary, &pool, &issuer.client_id(), &jwks, &[]);
    let base = format!("http://{}", service.ready_line());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = |path: &str| format!("{base}{path}");
        let session = |family: &str| issuer.access_token().claim("origin_jti", family).build();
        let mine = session("family-mine");
        let same_family_id = issuer.id_token().claim("origin_jti", "family-mine").build();
        let other = session("family-other");
        let admin = issuer.access_token().groups(&["admin"]).build();
        let plain = issuer.access_token().build();

        for token in [&mine, &other] {
            assert_eq!(call("GET", &url("/me"), token, None).await.0, 200, "{name}");
        }
        // Its owner signs out: the session's tokens are refused, others not.
        let (status, body) = call("POST", &url("/logout"), &mine, None).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["revoked"]["rule"], "family", "{name}: {body}");
        assert_eq!(
            body["revoked"]["origin_jti"], "family-mine",
            "{name}: {body}"
        );
        assert!(body["revoked"]["expires_at"].is_i64(), "{name}: {body}");
        assert_eq!(
            call("GET", &url("/me"), &mine, None).await,
            revoked_answer(),
            "{name}"
        );
        assert_eq!(
            call("GET", &url("/profile"), &same_family_id, None).await,
            revoked_answer(),
            "{name}: the session's ID token"
        );
        assert_eq!(
            call("GET", &url("/me"), &other, None).await.0,
            200,
            "{name}"
        );

        // An admin revokes a user, then a client; a non-admin may not.
        let user = issuer.access_token().subject("user-to-disable").build();
        assert_eq!(call("GET", &url("/me"), &user, None).await.0, 200, "{name}");
        let revoke_user = json!({"sub": "user-to-disable"});
        let (status, _) = call(
            "POST",
            &url("/admin/revocations"),
            &plain,
            Some(revoke_user.clone()),
        )
        .await;
        assert_eq!(status, 403, "{name}: not in group admin");
        let (status, body) = call(
            "POST",
            &url("/admin/revocations"),
            &admin,
            Some(revoke_user),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["revoked"]["rule"], "subject", "{name}: {body}");
        assert_eq!(
            call("GET", &url("/me"), &user, None).await,
            revoked_answer(),
            "{name}"
        );

        for bad in [
            json!({}),
            json!({"sub": "a", "origin_jti": "b"}),
            json!("nope"),
        ] {
            let (status, body) = call(
                "POST",
                &url("/admin/revocations"),
                &admin,
                Some(bad.clone()),
            )
            .await;
            assert_eq!(status, 400, "{name}: {bad}");
            assert_eq!(body["error"], "invalid_request", "{name}: {bad}");
        }
        // The client last: it revokes every token of the pool's one client,
        // the admin's too.
        let (status, body) = call(
            "POST",
            &url("/admin/revocations"),
            &admin,
            Some(json!({"client_id": issuer.client_id()})),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            call("GET", &url("/me"), &other, None).await,
            revoked_answer(),
            "{name}"
        );
        assert_eq!(
            call("GET", &url("/me"), &admin, None).await,
            revoked_answer(),
            "{name}"
        );
    });
}

/// What [`fleet_propagation`] measured: for each revocation, the time from
/// the revoking instance's `200` to the first refusal by the other.
#[derive(Debug)]
pub struct Propagation {
    /// Sorted delays.
    pub delays: Vec<Duration>,
}

impl Propagation {
    /// The `p`-th percentile (0–100).
    pub fn percentile(&self, p: usize) -> Duration {
        let i = (self.delays.len().saturating_sub(1) * p) / 100;
        self.delays.get(i).copied().unwrap_or_default()
    }
}

/// Start `a` and `b` on one issuer and one Redis; end `rounds` sessions
/// through `a`'s `POST /logout` and time until `b` refuses each.
pub fn fleet_propagation(a: &Path, b: &Path, rounds: usize) -> Propagation {
    let redis = RedisServer::start();
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a pool");
    let env = [("REDIS_URL", redis.url.as_str())];
    let (_, service_a) = spawn_example_with(a, &pool, &issuer.client_id(), &jwks, &env);
    let (_, service_b) = spawn_example_with(b, &pool, &issuer.client_id(), &jwks, &env);
    let (base_a, base_b) = (
        format!("http://{}", service_a.ready_line()),
        format!("http://{}", service_b.ready_line()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut delays = runtime.block_on(async {
        let mut delays = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let token = issuer
                .access_token()
                .claim("origin_jti", format!("fleet-family-{round}"))
                .build();
            // Both accept it (and cache it).
            for base in [&base_a, &base_b] {
                assert_eq!(
                    call("GET", &format!("{base}/me"), &token, None).await.0,
                    200
                );
            }
            let (status, body) = call("POST", &format!("{base_a}/logout"), &token, None).await;
            assert_eq!(status, 200, "{body}");
            let revoked_at = Instant::now();
            loop {
                let (status, _) = call("GET", &format!("{base_b}/me"), &token, None).await;
                if status == 401 {
                    break;
                }
                assert_eq!(status, 200);
                assert!(
                    revoked_at.elapsed() < Duration::from_secs(5),
                    "instance b still accepts a session ended on instance a"
                );
            }
            delays.push(revoked_at.elapsed());
            // And a, of course.
            assert_eq!(
                call("GET", &format!("{base_a}/me"), &token, None).await,
                revoked_answer()
            );
        }
        delays
    });
    delays.sort();
    drop((service_a, service_b, redis));
    Propagation { delays }
}

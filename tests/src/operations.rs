//! The example APIs' operations endpoints over real HTTP, through a built
//! binary (`axum-api`, `actix-api`), as a load balancer and a Prometheus
//! server would use them:
//!
//! - `GET /ready` is 503 while the pool's JWKS is down at start (the
//!   start-up prefetch is bounded and not fatal), names the issuer and why,
//!   and turns 200 once the endpoint answers, with no request but the probe;
//!   `/health` is 200 throughout;
//! - `GET /metrics` (with `EXPOSE_METRICS=1`) counts exactly what the
//!   requests did.
//!
//! (Staleness through a later outage is timed in the core's
//! `tests/key_status.rs`, with options of a fraction of a second.)

use std::path::Path;
use std::time::{Duration, Instant};

use cognito_jwt_testkit::Mode;
use serde_json::Value;

use crate::trust::{Api, runtime};

/// The operations endpoints of a [`trust::Api`](crate::trust::Api).
trait Operations {
    /// `GET path` with an optional bearer token: status, content type, body.
    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, String);

    /// `GET /ready`: status and JSON body.
    async fn ready(&self) -> (u16, Value);
}

impl Operations for Api {
    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let mut request = crate::http_client().get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            response.text().await.unwrap_or_default(),
        )
    }

    /// `GET /ready`: status and JSON body.
    async fn ready(&self) -> (u16, Value) {
        let (status, content_type, body) = self.get("/ready", None).await;
        assert_eq!(content_type, "application/json", "{body}");
        (status, serde_json::from_str(&body).expect("a JSON body"))
    }
}

/// JWKS down at start: not ready, then ready once it answers.
pub fn ready_follows_the_issuer_keys(binary: &Path) {
    let api = Api::start_with(binary, Mode::Status(503), &[]);
    runtime().block_on(async {
        let token = api.issuer.access_token().build();
        let (status, body) = api.ready().await;
        assert_eq!(status, 503, "{body}");
        let issuer = &body["issuers"][0];
        assert_eq!(body["status"], "not_ready");
        assert_eq!(issuer["issuer"], api.issuer.issuer());
        assert_eq!(
            (&issuer["ready"], &issuer["state"], &issuer["keys"]),
            (
                &Value::Bool(false),
                &Value::from("not_loaded"),
                &Value::from(0)
            )
        );
        assert_eq!(issuer["last_error"], "HTTP status 503");
        assert!(!body.to_string().contains(&token[..20]), "no token data");
        assert_eq!(
            api.get("/health", None).await.0,
            200,
            "liveness is not readiness"
        );
        assert_eq!(api.get("/me", Some(&token)).await.0, 503);

        // The endpoint is back: the probe alone brings the keys in (after
        // the backoff of the failed start-up fetch).
        api.jwks.set_mode(Mode::Normal);
        let start = Instant::now();
        let body = loop {
            let (status, body) = api.ready().await;
            if status == 200 {
                break body;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "still not ready: {body}\n{}",
                api.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let issuer = &body["issuers"][0];
        assert_eq!(body["status"], "ready");
        assert_eq!(
            (&issuer["ready"], &issuer["state"], &issuer["keys"]),
            (&Value::Bool(true), &Value::from("fresh"), &Value::from(1))
        );
        assert_eq!(issuer["last_error"], Value::Null);
        assert_eq!(api.get("/me", Some(&token)).await.0, 200);
    });
}

/// The value of one series in a Prometheus text body.
fn series(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// `EXPOSE_METRICS=1`: `/metrics` counts what the requests did.
pub fn metrics_count_the_requests(binary: &Path) {
    let api = Api::start_with(binary, Mode::Normal, &[("EXPOSE_METRICS", "1")]);
    runtime().block_on(async {
        let token = api.issuer.access_token().build();
        let expired = api.issuer.access_token().expires_in(-3600).build();
        for (token, status) in [
            (Some(token.as_str()), 200),
            (Some(token.as_str()), 200),
            (None, 401),
            (Some(expired.as_str()), 401),
        ] {
            assert_eq!(api.get("/me", token).await.0, status);
        }
        let (status, content_type, text) = api.get("/metrics", None).await;
        assert_eq!(status, 200);
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
        let iss = api.issuer.issuer();
        let fetched = format!(r#"cognito_jwt_jwks_fetches_total{{issuer="{iss}",result="ok"}}"#);
        let keys = format!(r#"cognito_jwt_jwks_keys{{issuer="{iss}"}}"#);
        for (name, value) in [
            (fetched.as_str(), 1.0),
            (keys.as_str(), 1.0),
            (
                r#"cognito_jwt_verifications_total{outcome="accepted"}"#,
                2.0,
            ),
            (
                r#"cognito_jwt_verifications_total{outcome="rejected",reason="expired"}"#,
                1.0,
            ),
            (
                r#"cognito_jwt_token_cache_total{tier="shared",result="miss"}"#,
                2.0,
            ),
            (
                r#"cognito_jwt_token_cache_total{tier="shared",result="hit"}"#,
                1.0,
            ),
            (r#"cognito_jwt_refusals_total{reason="missing_token"}"#, 1.0),
            (r#"cognito_jwt_refusals_total{reason="expired"}"#, 1.0),
        ] {
            assert_eq!(series(&text, name), Some(value), "{name} in\n{text}");
        }
        assert!(
            text.contains("# HELP cognito_jwt_verifications_total"),
            "described:\n{text}"
        );
    });
}

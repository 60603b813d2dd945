//! Start an example API binary (`axum-api`, `actix-api`) against a real
//! issuer, for end-to-end tests over HTTP.
//!
//! Reuses [`crate::contract::example_binary`] (build-then-locate) and the
//! [`crate::contract::LISTENING`] ready line; the API binds `127.0.0.1:0` and
//! is killed when the returned [`RunningApp`] drops.

use std::process::Command;

use crate::contract::{LISTENING, example_binary};
use crate::process::{Ready, Service};

/// The example APIs every end-to-end walk runs against.
pub const EXAMPLE_APPS: [&str; 2] = ["axum-api", "actix-api"];

/// A running example API.
#[derive(Debug)]
pub struct RunningApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The process guard (log path, log tail); killing happens on drop.
    pub service: Service,
}

/// One answer of an example API.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `WWW-Authenticate` header, if any.
    pub www: Option<String>,
    /// The body as JSON, or as a JSON string when it is not JSON.
    pub body: serde_json::Value,
}

impl RunningApp {
    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Send `method path`, with `Authorization: Bearer token` if given.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = crate::http_client().request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request to example API");
        let status = resp.status().as_u16();
        let www = resp
            .headers()
            .get("www-authenticate")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Answer { status, www, body }
    }
}

/// Builds (if stale) and starts example binary `name` with a clean
/// environment plus `env`, bound to `127.0.0.1:0`, and waits until it listens.
pub fn start_example(name: &str, env: &[(&str, &str)]) -> RunningApp {
    let binary = example_binary(name);
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let service = Service::spawn(name, cmd, Ready::Line(LISTENING));
    RunningApp {
        base_url: format!("http://{}", service.ready_line()),
        service,
    }
}

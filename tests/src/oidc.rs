//! npm `oidc-provider` as a Cognito-shaped client-credentials issuer
//! (`tests/fixtures/oidc/server.mjs`).
//!
//! Token request recipe (any HTTP client):
//! `POST {base_url}/token` (aliases `/oauth2/token`, `/{pool}/token`) with
//! form body `grant_type=client_credentials&scope=orders/read orders/write`
//! and optionally `resource=https://api.example.com` (the default), client
//! credentials in HTTP Basic or as `client_id`/`client_secret` form fields.
//!
//! Access-token shape (decoded):
//! header `{"alg":"RS256"|"ES256","typ":"at+jwt","kid":"e2e-rs256-1"|"e2e-es256-1"}`,
//! claims `{token_use:"access", jti, sub:<client id>, iat, exp (iat+3600),
//! scope:"orders/read orders/write" (absent when no scope was asked),
//! client_id, iss:<ISSUER>, aud:<resource>}`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::process::{Ready, Service, repo_root, require_installed};

/// The issuer string the provider signs into tokens (it listens on loopback).
pub const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OidcPool1";
/// Default resource server (the `aud` of tokens when no `resource` is sent).
pub const RESOURCE: &str = "https://api.example.com";
/// Resource whose tokens are always ES256-signed.
pub const RESOURCE_ES256: &str = "https://es256.api.example.com";
/// Resource whose tokens live 1 second (`expires_in: 1`).
pub const RESOURCE_SHORT_LIVED: &str = "https://short-lived.api.example.com";
pub const SCOPE_READ: &str = "orders/read";
pub const SCOPE_WRITE: &str = "orders/write";

/// Client allowed `orders/read orders/write`; RS256 tokens.
pub const M2M_CLIENT: &str = "m2m-client";
pub const M2M_SECRET: &str = "m2m-secret";
/// Client allowed `orders/read orders/write`; ES256 tokens.
pub const ES256_CLIENT: &str = "m2m-es256-client";
pub const ES256_SECRET: &str = "m2m-es256-secret";
/// Client allowed only `orders/read` (asking for more is `invalid_scope`).
pub const READONLY_CLIENT: &str = "m2m-readonly-client";
pub const READONLY_SECRET: &str = "m2m-readonly-secret";

/// Key ids of the committed `tests/fixtures/oidc/keys.json`.
pub const RS256_KID: &str = "e2e-rs256-1";
pub const ES256_KID: &str = "e2e-es256-1";

#[derive(Debug, Deserialize)]
struct ReadyInfo {
    base_url: String,
    issuer: String,
    jwks_uri: String,
    cognito_style_jwks_uri: String,
    token_endpoint: String,
}

/// A running oidc-provider (killed on drop).
#[derive(Debug)]
pub struct OidcProvider {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// [`ISSUER`].
    pub issuer: String,
    /// `http://127.0.0.1:PORT/jwks` (RS256 and ES256 public keys).
    pub jwks_uri: String,
    /// The same JWKS at the Cognito-shaped path
    /// `http://127.0.0.1:PORT/us-east-1_OidcPool1/.well-known/jwks.json`.
    pub cognito_jwks_uri: String,
    /// `http://127.0.0.1:PORT/token`.
    pub token_endpoint: String,
    service: Service,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `Authorization: Basic` (client_secret_basic).
    #[default]
    Basic,
    /// `client_id` and `client_secret` form fields (client_secret_post).
    Post,
}

/// A client-credentials token request.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Joined with spaces; empty sends no `scope`.
    pub scopes: &'a [&'a str],
    /// RFC 8707 `resource`; `None` means [`RESOURCE`].
    pub resource: Option<&'a str>,
    pub auth: ClientAuth,
}

/// A successful token response.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(default)]
    pub scope: Option<String>,
}

/// A failed token request: HTTP status (0 for transport errors), the OAuth
/// `error` code when there is one, and the raw body.
#[derive(Debug, Clone)]
pub struct OidcError {
    pub status: u16,
    pub error: Option<String>,
    pub body: String,
}

impl std::fmt::Display for OidcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "token request failed: HTTP {}: {}",
            self.status, self.body
        )
    }
}

impl std::error::Error for OidcError {}

impl OidcProvider {
    /// Starts `node server.mjs` on a free loopback port and waits until it
    /// serves its JWKS. Panics with a hint to run `scripts/setup-e2e.sh`
    /// when `node_modules` is missing.
    pub fn start() -> OidcProvider {
        let dir = fixture_dir();
        require_installed(
            &dir.join("node_modules/oidc-provider/package.json"),
            "oidc-provider npm package",
        );
        let mut cmd = Command::new("node");
        cmd.current_dir(&dir)
            .arg("server.mjs")
            .args(["--port", "0", "--exit-on-stdin-eof"])
            .env("NODE_ENV", "test")
            .env_remove("OIDC_ISSUER")
            .env_remove("OIDC_PORT");
        let mut service = Service::spawn("oidc-provider", cmd, Ready::Line("READY "));
        let info: ReadyInfo = serde_json::from_str(service.ready_line()).unwrap_or_else(|e| {
            panic!(
                "oidc-provider: bad ready line {:?}: {e}",
                service.ready_line()
            )
        });
        service.wait_http_ok(&info.jwks_uri);
        OidcProvider {
            base_url: info.base_url,
            issuer: info.issuer,
            jwks_uri: info.jwks_uri,
            cognito_jwks_uri: info.cognito_style_jwks_uri,
            token_endpoint: info.token_endpoint,
            service,
        }
    }

    /// One provider per test binary, started on first use. It is never
    /// dropped; it exits when the test process ends (its stdin closes).
    pub fn shared() -> &'static OidcProvider {
        static SHARED: OnceLock<OidcProvider> = OnceLock::new();
        SHARED.get_or_init(OidcProvider::start)
    }

    /// A client-credentials access token for the default resource, client
    /// authenticated with HTTP Basic.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
        scopes: &[&str],
    ) -> Result<String, OidcError> {
        self.request_token(&TokenRequest {
            client_id,
            client_secret,
            scopes,
            ..TokenRequest::default()
        })
        .await
        .map(|t| t.access_token)
    }

    /// A client-credentials token request with every knob.
    pub async fn request_token(&self, req: &TokenRequest<'_>) -> Result<TokenResponse, OidcError> {
        let scope = req.scopes.join(" ");
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        if let Some(resource) = req.resource {
            form.push(("resource", resource));
        }
        let mut builder = crate::http_client().post(&self.token_endpoint);
        match req.auth {
            ClientAuth::Basic => {
                builder = builder.basic_auth(req.client_id, Some(req.client_secret));
            }
            ClientAuth::Post => {
                form.push(("client_id", req.client_id));
                form.push(("client_secret", req.client_secret));
            }
        }
        let transport = |e: reqwest::Error| OidcError {
            status: 0,
            error: None,
            body: e.to_string(),
        };
        let resp = builder.form(&form).send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(transport)?;
        if status != 200 {
            let error = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error")?.as_str().map(str::to_owned));
            return Err(OidcError {
                status,
                error,
                body,
            });
        }
        serde_json::from_str(&body).map_err(|e| OidcError {
            status,
            error: None,
            body: format!("unparsable token response ({e}): {body}"),
        })
    }

    /// The process guard (log path, pid).
    pub fn service(&self) -> &Service {
        &self.service
    }
}

fn fixture_dir() -> PathBuf {
    repo_root().join("tests/fixtures/oidc")
}

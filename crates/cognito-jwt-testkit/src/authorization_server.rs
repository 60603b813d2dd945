//! The OAuth 2.0 endpoints of the local issuer, answering as a Cognito user
//! pool domain does: `/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`,
//! `/oauth2/userInfo`.
//!
//! Each behaviour follows the Cognito Developer Guide:
//!
//! - "Token endpoint" (`token-endpoint.html`): `grant_type`
//!   `authorization_code`, `refresh_token` or `client_credentials`; the
//!   client authenticates with HTTP Basic (`client_secret_basic`) or
//!   `client_id` + `client_secret` in the form (`client_secret_post`); a
//!   public client sends `client_id` only; the body is
//!   `application/x-www-form-urlencoded`; `scope` is used by
//!   `client_credentials` only and, when absent, means every custom scope of
//!   the client; errors are HTTP 400 with a JSON `error`
//!   (`invalid_request`, `invalid_client`, `invalid_grant`,
//!   `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`).
//! - "Authorize endpoint" (`authorization-endpoint.html`): `response_type=code`,
//!   `client_id`, `redirect_uri` (one of the client's callback URLs, exact
//!   match; `https://`, `http://localhost` or an app's own scheme),
//!   `state`, `scope`, `code_challenge_method` (`S256` only) and
//!   `code_challenge`, `nonce`, `login_hint`, `resource`. An unknown client
//!   or callback URL is an error page (HTTP 400, `redirect_mismatch`), never
//!   a redirect; other errors redirect with `error` and `state`. Codes are
//!   single use (any exchange attempt spends one) and live 5 minutes; a
//!   `resource` or `code_verifier` sent with the exchange must match what
//!   the code was requested with (RFC 8707 §2.2, RFC 9700 §2.1.1).
//! - "Revoke endpoint" (`revocation-endpoint.html`): `token` (a refresh
//!   token) and the client's authentication; 200 with an empty body, also for
//!   a token it does not know; 400 `invalid_request` without `token`, 400
//!   `unsupported_token_type` for a token that is not a refresh token, 401
//!   `invalid_client`. A revoked refresh token then gets `invalid_grant`,
//!   and the access and ID tokens minted from it (its `origin_jti`) are
//!   refused by `/oauth2/userInfo`; with `LocalIssuerBuilder::revocations`
//!   (feature `revocations`) the family is also added to a `cognito_jwt` revocation set.
//! - "The user attributes endpoint" (`userinfo-endpoint.html`): `GET` or
//!   `POST` with `Authorization: Bearer <access token>`; the token must be
//!   an unexpired access token of this pool (signature, `iss`,
//!   `token_use`, a configured app client) for a user, not revoked, with
//!   the `openid` scope (`aws.cognito.signin.user.admin` "has no effect on
//!   the data returned"). The answer is `sub`, the attributes the scopes
//!   release, and `username`: with `openid` alone every attribute; with
//!   `profile`, `email` or `phone` only theirs (`profile`: the OIDC profile
//!   claims and `custom:*`; `email`: `email`, `email_verified`; `phone`:
//!   `phone_number`, `phone_number_verified`). Values are strings, as
//!   Cognito's are (`"email_verified": "true"`). Refusals are the two the
//!   guide documents: 400 `invalid_request` for a malformed `Authorization`
//!   header, 401 `invalid_token` for every token it does not accept, with
//!   `WWW-Authenticate: Bearer error=…, error_description=…` and the same
//!   JSON body as the other endpoints.
//! - "Refresh tokens": a refresh returns new ID and access tokens with the
//!   same `origin_jti` and a new `jti`, and no refresh token unless the
//!   client rotates refresh tokens; a refresh token works for the client's
//!   refresh token validity (30 days by default) from the sign-in, also
//!   once rotated.
//! - "Understanding the access token" / "the ID token": the claim sets of
//!   [`Minted`], in Cognito's order.
//! - "Resource binding" (authorize endpoint, `resource`; token endpoint for
//!   `client_credentials`): the access token's `aud` is the resource, which
//!   must start with `https://`, `http://localhost` or a custom scheme.
//!
//! Where this issuer differs, on purpose: there is no sign-in form
//! (`/oauth2/authorize` signs in the first configured user, or the one
//! `login_hint` names), no implicit grant, the refresh token is an opaque
//! random string (Cognito's is an encrypted JWT), and `/oauth2/userInfo`
//! reads the token only from the `Authorization` header (not from a form
//! body) and refuses keys under 2048 bits.
//!
//! Everything parsed here comes from the network: bodies are capped at
//! [`MAX_BODY`], forms at [`MAX_PARAMS`] parameters, repeated parameters are
//! refused, and nothing panics.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use crate::issuer::{DEFAULT_LIFETIME_SECS, TestIssuer};
use crate::key::{Alg, SigningKey};
use crate::oauth::{AppClient, BUILT_IN_SCOPES, Grant, OAuthConfig, TestUser, url_acceptable};
use crate::token::TokenBuilder;
use crate::util::{b64, now, uuid_v4};

/// `POST` here for tokens.
pub(crate) const TOKEN_PATH: &str = "/oauth2/token";
/// `GET` here to sign in and get a code.
pub(crate) const AUTHORIZE_PATH: &str = "/oauth2/authorize";
/// `POST` here to revoke a refresh token.
pub(crate) const REVOKE_PATH: &str = "/oauth2/revoke";
/// `GET` or `POST` here with an access token for the user's attributes.
pub(crate) const USERINFO_PATH: &str = "/oauth2/userInfo";
/// The attributes the `profile` scope releases at `/oauth2/userInfo`, with
/// the custom (`custom:*`) ones ("The user attributes endpoint").
const PROFILE_ATTRIBUTES: [&str; 14] = [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
/// Largest request body (and query string) read, in bytes.
pub(crate) const MAX_BODY: usize = 16 * 1024;
/// Most parameters in one form or query string.
pub(crate) const MAX_PARAMS: usize = 32;
/// How long an authorization code can be exchanged (Cognito: 5 minutes).
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Most codes waiting (beyond, `/oauth2/authorize` answers
/// `temporarily_unavailable`), and most live refresh sessions (neither
/// expired, revoked nor rotated away; beyond, a sign-in evicts the one that
/// expires soonest), rather than memory growing without bound.
pub(crate) const MAX_SESSIONS: usize = 10_000;
/// Longest `state`, `nonce`, `login_hint` or `resource` accepted.
const MAX_PARAM_LEN: usize = 2048;
/// Claims an attribute may not replace: Cognito computes them.
const RESERVED_CLAIMS: [&str; 14] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "jti",
    "origin_jti",
    "event_id",
    "token_use",
    "at_hash",
    "nonce",
    "cognito:username",
    "cognito:groups",
];

/// An OAuth error answer: status, `error` code and a description.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }
    fn request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    fn client(d: impl Into<String>) -> Self {
        Self::new("invalid_client", d)
    }
    fn grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "temporarily_unavailable",
            description:
                "too many authorization codes waiting; retry once some are exchanged or expire"
                    .into(),
        }
    }
    fn server(d: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: d.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        tracing::debug!(error = self.error, description = %self.description.escape_debug(), "OAuth request refused");
        let body = json!({ "error": self.error, "error_description": self.description });
        (
            self.status,
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body.to_string(),
        )
            .into_response()
    }
}

/// A `/oauth2/userInfo` refusal: the user attributes endpoint documents two,
/// 400 `invalid_request` ("missing a required parameter ... or is otherwise
/// malformed") and 401 `invalid_token` ("expired, revoked, malformed, or
/// invalid"), each with a `WWW-Authenticate` challenge.
#[derive(Debug)]
struct BearerError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

impl BearerError {
    fn token(description: &'static str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description,
        }
    }
    fn request(description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description,
        }
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        tracing::debug!(
            error = self.error,
            description = self.description,
            "userInfo request refused"
        );
        // RFC 6750 §3; the descriptions are this file's own ASCII text.
        let challenge = HeaderValue::from_str(&format!(
            "Bearer error=\"{}\", error_description=\"{}\"",
            self.error, self.description
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        let body = json!({ "error": self.error, "error_description": self.description });
        (
            self.status,
            [
                (WWW_AUTHENTICATE, challenge),
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body.to_string(),
        )
            .into_response()
    }
}

/// A code waiting to be exchanged.
#[derive(Debug)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    session: Session,
    expires: Instant,
}

/// What a sign-in established; refresh tokens carry it on.
#[derive(Clone, Debug)]
struct Session {
    user: usize,
    scopes: Vec<String>,
    nonce: Option<String>,
    resource: Option<String>,
    origin_jti: String,
    event_id: String,
    auth_time: i64,
}

/// A live refresh token: revoking or rotating it away removes it, so an
/// unknown token and a retired one both get `invalid_grant`.
#[derive(Debug)]
struct RefreshSession {
    client_id: String,
    session: Session,
    expires: Instant,
}

#[derive(Debug, Default)]
struct Sessions {
    codes: HashMap<String, PendingCode>,
    refresh: HashMap<String, RefreshSession>,
    /// The `origin_jti` of each revoked refresh token, until the last
    /// access token minted from it has expired.
    revoked: HashMap<String, Instant>,
}

impl Sessions {
    /// Stores a refresh session, after dropping the expired ones, and only
    /// then retires `replacing` (the token it rotates away). A rotation
    /// never grows the map; a new sign-in that finds it full evicts the
    /// session that expires soonest (the oldest sign-in of the clients
    /// with the shortest validity), whose refresh token then answers
    /// `invalid_grant`: sign-ins never stop working for want of room.
    fn store_refresh(
        &mut self,
        token: String,
        held: RefreshSession,
        replacing: Option<&str>,
        max: usize,
    ) {
        let at = Instant::now();
        self.refresh.retain(|_, s| s.expires > at);
        let replaced = replacing.is_some_and(|old| self.refresh.contains_key(old));
        while self.refresh.len().saturating_sub(usize::from(replaced)) >= max {
            let soonest = self
                .refresh
                .iter()
                .filter(|(t, _)| Some(t.as_str()) != replacing)
                .min_by_key(|(_, s)| s.expires)
                .map(|(t, _)| t.clone());
            match soonest {
                Some(evicted) => {
                    self.refresh.remove(&evicted);
                    tracing::debug!("refresh sessions full: evicted the one expiring soonest");
                }
                None => break,
            }
        }
        self.refresh.insert(token, held);
        if let Some(old) = replacing {
            self.refresh.remove(old);
        }
    }

    /// Remembers a revoked family until `until`, after dropping the
    /// families no live token belongs to; beyond `max`, the one forgotten
    /// soonest goes first.
    fn revoke_family(&mut self, origin_jti: String, until: Instant, max: usize) {
        let at = Instant::now();
        self.revoked.retain(|_, u| *u > at);
        while self.revoked.len() >= max {
            let soonest = self
                .revoked
                .iter()
                .min_by_key(|(_, u)| **u)
                .map(|(o, _)| o.clone());
            match soonest {
                Some(o) => {
                    self.revoked.remove(&o);
                }
                None => break,
            }
        }
        self.revoked.insert(origin_jti, until);
    }

    fn family_revoked(&self, origin_jti: &str) -> bool {
        self.revoked
            .get(origin_jti)
            .is_some_and(|until| *until > Instant::now())
    }
}

/// How the endpoints are set up: the configuration and the limits.
#[derive(Clone, Debug)]
pub(crate) struct OAuthSettings {
    /// Validated, users' `sub` fixed.
    pub(crate) config: OAuthConfig,
    /// How long a code can be exchanged.
    pub(crate) code_lifetime: Duration,
    /// Most codes waiting, and most live refresh sessions.
    pub(crate) max_sessions: usize,
    /// Where a revoked refresh token's family is also added.
    #[cfg(feature = "revocations")]
    pub(crate) revocations: Option<cognito_jwt::revocation::Revocations>,
}

/// The tokens of one grant, before they are put in the JSON answer.
#[derive(Debug)]
struct Minted {
    access: String,
    id: Option<String>,
    refresh: Option<String>,
}

/// The OAuth endpoints of one local issuer.
#[derive(Debug)]
pub(crate) struct AuthorizationServer {
    config: OAuthConfig,
    issuer: TestIssuer,
    base_url: String,
    code_lifetime: Duration,
    max_sessions: usize,
    sessions: Mutex<Sessions>,
    #[cfg(feature = "revocations")]
    revocations: Option<cognito_jwt::revocation::Revocations>,
}

type Form = HashMap<String, String>;

impl AuthorizationServer {
    /// `base_url` is the one advertised in the discovery document.
    pub(crate) fn new(settings: OAuthSettings, issuer: TestIssuer, base_url: String) -> Self {
        Self {
            config: settings.config,
            issuer,
            base_url,
            code_lifetime: settings.code_lifetime,
            max_sessions: settings.max_sessions,
            sessions: Mutex::new(Sessions::default()),
            #[cfg(feature = "revocations")]
            revocations: settings.revocations,
        }
    }

    fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `path` is one of these endpoints.
    pub(crate) fn serves(path: &str) -> bool {
        matches!(
            path,
            TOKEN_PATH | AUTHORIZE_PATH | REVOKE_PATH | USERINFO_PATH
        )
    }

    /// The OAuth fields of the discovery document.
    pub(crate) fn discovery_fields(&self) -> Map<String, Value> {
        let mut scopes: Vec<String> = BUILT_IN_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        scopes.extend(self.config.custom_scopes());
        let base = &self.base_url;
        let fields = json!({
            "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{TOKEN_PATH}"),
            "revocation_endpoint": format!("{base}{REVOKE_PATH}"),
            "userinfo_endpoint": format!("{base}{USERINFO_PATH}"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "scopes_supported": scopes,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
        });
        match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// Answers a request to one of [`serves`](Self::serves)'s paths.
    pub(crate) async fn handle(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Body,
    ) -> Response {
        let path = uri.path();
        if path == USERINFO_PATH {
            // The body is not read: the token comes in the header only.
            return match *method {
                Method::GET | Method::POST => self
                    .userinfo(headers)
                    .unwrap_or_else(IntoResponse::into_response),
                _ => method_not_allowed("GET, POST"),
            };
        }
        let result = match (path, method) {
            (AUTHORIZE_PATH, &Method::GET) => self.authorize(uri.query().unwrap_or("")),
            (TOKEN_PATH | REVOKE_PATH, &Method::POST) => match read_form(headers, body).await {
                Ok(form) if path == TOKEN_PATH => self.token(headers, &form),
                Ok(form) => self.revoke(headers, &form),
                Err(e) => Err(e),
            },
            (AUTHORIZE_PATH, _) => return method_not_allowed("GET"),
            _ => return method_not_allowed("POST"),
        };
        result.unwrap_or_else(IntoResponse::into_response)
    }

    // ----- /oauth2/authorize -------------------------------------------------

    fn authorize(&self, query: &str) -> Result<Response, OAuthError> {
        if query.len() > MAX_BODY {
            return Err(OAuthError::request("the query string is too long"));
        }
        let q = parse_form(query.as_bytes())?;
        // Until client and redirect_uri are known good, errors are pages (400).
        let client_id = required(&q, "client_id")?;
        let client = self
            .find_client(client_id)
            .ok_or_else(|| OAuthError::new("redirect_mismatch", "unknown client_id"))?;
        let redirect_uri = required(&q, "redirect_uri")?;
        if !client.callback_url_allowed(redirect_uri) {
            return Err(OAuthError::new(
                "redirect_mismatch",
                "redirect_uri is not one of the app client's callback URLs",
            ));
        }
        let state = q.get("state").map(String::as_str);
        if state.is_some_and(|s| s.len() > MAX_PARAM_LEN) {
            return Err(OAuthError::request("state is too long"));
        }
        let redirect_error = |error: &'static str, description: &str| {
            redirect(
                redirect_uri,
                &[("error", error), ("error_description", description)],
                state,
            )
        };
        match self.authorize_checked(client, &q) {
            Ok(pending) => {
                let code = random_token()?;
                let mut sessions = self.sessions();
                let at = Instant::now();
                sessions.codes.retain(|_, c| c.expires > at);
                if sessions.codes.len() >= self.max_sessions {
                    return Err(OAuthError::unavailable());
                }
                sessions.codes.insert(
                    code.clone(),
                    PendingCode {
                        redirect_uri: redirect_uri.to_owned(),
                        ..pending
                    },
                );
                drop(sessions);
                redirect(redirect_uri, &[("code", &code)], state)
            }
            Err(e) => redirect_error(e.error, &e.description),
        }
    }

    fn authorize_checked(&self, client: &AppClient, q: &Form) -> Result<PendingCode, OAuthError> {
        match q.get("response_type").map(String::as_str) {
            Some("code") => {}
            Some(_) => {
                return Err(OAuthError::new(
                    "unsupported_response_type",
                    "this issuer answers response_type=code only",
                ));
            }
            None => return Err(OAuthError::request("response_type is missing")),
        }
        if !client.allows(Grant::AuthorizationCode) {
            return Err(OAuthError::new(
                "unauthorized_client",
                "the app client may not use the code grant",
            ));
        }
        let scopes = match q.get("scope") {
            Some(s) if !s.trim().is_empty() => {
                let asked = split_scopes(s);
                if let Some(bad) = asked.iter().find(|s| !client.allowed_scopes().contains(s)) {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        format!("scope {bad:?} is not allowed for this app client"),
                    ));
                }
                asked
            }
            _ => client.allowed_scopes().to_vec(),
        };
        let challenge = match (
            q.get("code_challenge"),
            q.get("code_challenge_method").map(String::as_str),
        ) {
            (None, None) => None,
            (Some(c), Some("S256")) => {
                if c.len() != 43 || !c.bytes().all(is_base64url) {
                    return Err(OAuthError::request(
                        "code_challenge is not a base64url SHA-256 (43 characters)",
                    ));
                }
                Some(c.clone())
            }
            (Some(_), _) => {
                return Err(OAuthError::request(
                    "code_challenge_method must be S256 (Cognito supports no other)",
                ));
            }
            (None, Some(_)) => return Err(OAuthError::request("code_challenge is missing")),
        };
        let nonce = optional_param(q, "nonce")?;
        let resource = match optional_param(q, "resource")? {
            Some(r) => Some(check_resource(&r)?),
            None => None,
        };
        let user = match optional_param(q, "login_hint")? {
            Some(name) => self
                .config
                .users()
                .iter()
                .position(|u| u.username() == name)
                .ok_or_else(|| OAuthError::new("access_denied", "no test user has that name"))?,
            None if self.config.users().is_empty() => {
                return Err(OAuthError::new(
                    "access_denied",
                    "no test user is configured",
                ));
            }
            None => 0,
        };
        Ok(PendingCode {
            client_id: client.id().to_owned(),
            redirect_uri: String::new(),
            challenge,
            session: Session {
                user,
                scopes,
                nonce,
                resource,
                origin_jti: uuid_v4(),
                event_id: uuid_v4(),
                auth_time: now(),
            },
            expires: Instant::now()
                .checked_add(self.code_lifetime)
                .ok_or_else(|| OAuthError::server("the code lifetime is out of range"))?,
        })
    }

    // ----- /oauth2/token -----------------------------------------------------

    fn token(&self, headers: &HeaderMap, form: &Form) -> Result<Response, OAuthError> {
        let grant = match required(form, "grant_type")? {
            "client_credentials" => Grant::ClientCredentials,
            "authorization_code" => Grant::AuthorizationCode,
            "refresh_token" => Grant::RefreshToken,
            _ => {
                return Err(OAuthError::new(
                    "unsupported_grant_type",
                    "grant_type must be authorization_code, refresh_token or client_credentials",
                ));
            }
        };
        let client = self.authenticate(headers, form)?;
        if !client.allows(grant) {
            return Err(OAuthError::new(
                "unauthorized_client",
                format!("the app client may not use {}", grant.as_str()),
            ));
        }
        let minted = match grant {
            Grant::ClientCredentials => self.client_credentials(client, form)?,
            Grant::AuthorizationCode => self.exchange_code(client, form)?,
            Grant::RefreshToken => self.refresh(client, form)?,
        };
        let mut body = Map::new();
        if let Some(id) = minted.id {
            body.insert("id_token".into(), id.into());
        }
        body.insert("access_token".into(), minted.access.into());
        if let Some(refresh) = minted.refresh {
            body.insert("refresh_token".into(), refresh.into());
        }
        body.insert("expires_in".into(), DEFAULT_LIFETIME_SECS.into());
        body.insert("token_type".into(), "Bearer".into());
        Ok((
            StatusCode::OK,
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (PRAGMA, HeaderValue::from_static("no-cache")),
            ],
            Value::Object(body).to_string(),
        )
            .into_response())
    }

    fn client_credentials(&self, client: &AppClient, form: &Form) -> Result<Minted, OAuthError> {
        let custom = self.config.custom_scopes();
        let scopes = match form.get("scope") {
            Some(s) if !s.trim().is_empty() => {
                let asked = split_scopes(s);
                if let Some(bad) = asked
                    .iter()
                    .find(|s| !custom.contains(*s) || !client.allowed_scopes().contains(s))
                {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        format!(
                            "scope {bad:?} is not a custom scope of a resource server allowed for this app client"
                        ),
                    ));
                }
                asked
            }
            _ => client
                .allowed_scopes()
                .iter()
                .filter(|s| custom.contains(*s))
                .cloned()
                .collect(),
        };
        if scopes.is_empty() {
            return Err(OAuthError::new(
                "invalid_scope",
                "the app client has no custom scope to grant",
            ));
        }
        let resource = match optional_param(form, "resource")? {
            Some(r) => Some(check_resource(&r)?),
            None => None,
        };
        Ok(Minted {
            access: self.machine_access_token(client.id(), &scopes, resource.as_deref()),
            id: None,
            refresh: None,
        })
    }

    fn exchange_code(&self, client: &AppClient, form: &Form) -> Result<Minted, OAuthError> {
        let code = required(form, "code")?;
        // Computed before the code is spent: an error here leaves it.
        let refresh_expires = Instant::now()
            .checked_add(client.refresh_validity())
            .ok_or_else(|| OAuthError::server("the refresh token validity is out of range"))?;
        // Any attempt spends a known code, right or wrong (single use): it is
        // taken before anything else in the request is looked at.
        let pending = self
            .sessions()
            .codes
            .remove(code)
            .ok_or_else(|| OAuthError::grant("the code is unknown or was already used"))?;
        if pending.expires <= Instant::now() {
            return Err(OAuthError::grant("the code has expired"));
        }
        if pending.client_id != client.id() {
            return Err(OAuthError::grant(
                "the code was issued to another app client",
            ));
        }
        if required(form, "redirect_uri")? != pending.redirect_uri {
            return Err(OAuthError::grant(
                "redirect_uri is not the one the code was requested with",
            ));
        }
        // Absent, the authorize request's resource stands; sent, it must be
        // that one (RFC 8707 §2.2: no token for a resource not authorized).
        if let Some(resource) = optional_param(form, "resource")?
            && pending.session.resource.as_deref() != Some(resource.as_str())
        {
            return Err(OAuthError::grant(
                "resource is not the one the code was requested with",
            ));
        }
        let verifier = optional_param(form, "code_verifier")?;
        match (&pending.challenge, verifier) {
            (None, None) => {}
            // RFC 9700 §2.1.1: a verifier for a code requested without a
            // challenge is a downgrade attempt.
            (None, Some(_)) => {
                return Err(OAuthError::grant(
                    "code_verifier was sent but the code was requested without code_challenge",
                ));
            }
            (Some(_), None) => {
                return Err(OAuthError::grant(
                    "code_verifier is missing (the code was requested with PKCE)",
                ));
            }
            (Some(challenge), Some(verifier)) => {
                if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
                    return Err(OAuthError::request(
                        "code_verifier is not 43 to 128 unreserved characters (RFC 7636)",
                    ));
                }
                if !constant_time_eq(s256(&verifier).as_bytes(), challenge.as_bytes()) {
                    return Err(OAuthError::grant(
                        "code_verifier does not match code_challenge",
                    ));
                }
            }
        }
        let refresh = if client.allows(Grant::RefreshToken) {
            let token = random_token()?;
            let held = RefreshSession {
                client_id: client.id().to_owned(),
                session: pending.session.clone(),
                expires: refresh_expires,
            };
            self.sessions()
                .store_refresh(token.clone(), held, None, self.max_sessions);
            Some(token)
        } else {
            None
        };
        let (access, id) = self.user_tokens(client.id(), &pending.session);
        Ok(Minted {
            access,
            id,
            refresh,
        })
    }

    fn refresh(&self, client: &AppClient, form: &Form) -> Result<Minted, OAuthError> {
        let token = required(form, "refresh_token")?;
        let new_token = if client.rotates_refresh_tokens() {
            Some(random_token()?)
        } else {
            None
        };
        // Checked and, with rotation, replaced under one lock: two refreshes
        // racing with one token cannot both succeed, and the old token is
        // retired only once the new one is stored.
        let session = {
            let mut sessions = self.sessions();
            let held = sessions
                .refresh
                .get(token)
                .ok_or_else(|| OAuthError::grant("the refresh token is not valid"))?;
            if held.client_id != client.id() {
                return Err(OAuthError::grant(
                    "the refresh token was issued to another app client",
                ));
            }
            if held.expires <= Instant::now() {
                sessions.refresh.remove(token);
                return Err(OAuthError::grant("the refresh token has expired"));
            }
            let session = held.session.clone();
            if let Some(new_token) = &new_token {
                let next = RefreshSession {
                    client_id: held.client_id.clone(),
                    session: session.clone(),
                    // Counted from the sign-in, as Cognito does: rotation
                    // does not extend it.
                    expires: held.expires,
                };
                sessions.store_refresh(new_token.clone(), next, Some(token), self.max_sessions);
            }
            session
        };
        let (access, id) = self.user_tokens(client.id(), &session);
        Ok(Minted {
            access,
            id,
            refresh: new_token,
        })
    }

    // ----- /oauth2/revoke ----------------------------------------------------

    fn revoke(&self, headers: &HeaderMap, form: &Form) -> Result<Response, OAuthError> {
        let token = required(form, "token")?;
        let client = self.authenticate(headers, form).map_err(|e| {
            if e.error == "invalid_client" {
                OAuthError {
                    status: StatusCode::UNAUTHORIZED,
                    ..e
                }
            } else {
                e
            }
        })?;
        let mut sessions = self.sessions();
        match sessions.refresh.get(token) {
            Some(held) if held.client_id == client.id() => {
                let origin_jti = held.session.origin_jti.clone();
                sessions.refresh.remove(token);
                // The family's tokens live DEFAULT_LIFETIME_SECS at most
                // from now (a refresh just before this minted the last).
                let until = Instant::now()
                    .checked_add(Duration::from_secs(DEFAULT_LIFETIME_SECS.unsigned_abs()))
                    .unwrap_or_else(Instant::now);
                // Added before the answer, so a resource server sharing the
                // set refuses the family as soon as the client sees 200.
                #[cfg(feature = "revocations")]
                if let Some(set) = &self.revocations {
                    set.revoke(cognito_jwt::revocation::Revocation::family(
                        origin_jti.clone(),
                    ));
                }
                sessions.revoke_family(origin_jti, until, self.max_sessions);
            }
            Some(_) => {}
            None if token.split('.').count() == 3 => {
                return Err(OAuthError::new(
                    "unsupported_token_type",
                    "only refresh tokens can be revoked",
                ));
            }
            None => {}
        }
        Ok(StatusCode::OK.into_response())
    }

    // ----- /oauth2/userInfo --------------------------------------------------

    fn userinfo(&self, headers: &HeaderMap) -> Result<Response, BearerError> {
        let token = bearer_token(headers)?;
        let claims = self.verified_access_token(token)?;
        let scopes: Vec<&str> = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        // "The openid scope must be one of the access token claims"; the
        // guide documents no 403 here, only 400 invalid_request and 401
        // invalid_token, and "doesn't accept" such tokens: 401 it is.
        if !scopes.contains(&"openid") {
            return Err(BearerError::token(
                "the access token does not have the openid scope",
            ));
        }
        if let Some(origin_jti) = claims.get("origin_jti").and_then(Value::as_str)
            && self.sessions().family_revoked(origin_jti)
        {
            return Err(BearerError::token(
                "the access token was revoked (its refresh token was revoked)",
            ));
        }
        let configured = claims
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(|id| self.find_client(id).is_some());
        if !configured {
            return Err(BearerError::token(
                "the access token's app client is not configured",
            ));
        }
        let username = claims
            .get("username")
            .and_then(Value::as_str)
            .ok_or(BearerError::token(
                "the access token has no user (a client credentials token)",
            ))?;
        let sub = claims.get("sub").and_then(Value::as_str);
        let user = self
            .config
            .users()
            .iter()
            .find(|u| u.username() == username && u.sub_claim() == sub)
            .ok_or(BearerError::token("the access token's user does not exist"))?;
        let body = user_attributes(user, &scopes);
        Ok((
            StatusCode::OK,
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json;charset=UTF-8"),
                ),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
                ),
                (PRAGMA, HeaderValue::from_static("no-cache")),
            ],
            Value::Object(body).to_string(),
        )
            .into_response())
    }

    /// The claims of `token` if it is an unexpired access token signed by
    /// one of this issuer's published keys, with the key's own algorithm,
    /// and this issuer's `iss`.
    fn verified_access_token(&self, token: &str) -> Result<Map<String, Value>, BearerError> {
        let not_jwt = || BearerError::token("the access token is not a JWT");
        let (signing_input, signature) = token.rsplit_once('.').ok_or_else(not_jwt)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(not_jwt)?;
        if payload.contains('.') {
            return Err(not_jwt());
        }
        let header = decode_object(header).ok_or_else(not_jwt)?;
        let not_ours = || BearerError::token("the access token is not signed by this issuer");
        let key = header
            .get("kid")
            .and_then(Value::as_str)
            .and_then(|kid| self.issuer.key(kid))
            .ok_or_else(not_ours)?;
        if header.get("alg").and_then(Value::as_str) != Some(key.alg()) {
            return Err(not_ours());
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| not_jwt())?;
        if !signature_valid(&key, signing_input.as_bytes(), &signature) {
            return Err(not_ours());
        }
        let claims = decode_object(payload).ok_or_else(not_jwt)?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.issuer().as_str()) {
            return Err(not_ours());
        }
        if claims.get("token_use").and_then(Value::as_str) != Some("access") {
            return Err(BearerError::token("the token is not an access token"));
        }
        match claims.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp > now() => Ok(claims),
            Some(_) => Err(BearerError::token("the access token has expired")),
            None => Err(BearerError::token("the access token has no exp")),
        }
    }

    // ----- client authentication ---------------------------------------------

    fn find_client(&self, id: &str) -> Option<&AppClient> {
        self.config.clients().iter().find(|c| c.id() == id)
    }

    /// `client_secret_basic`, `client_secret_post`, or a public client's
    /// `client_id` alone; never two methods at once (RFC 6749 §2.3).
    fn authenticate(&self, headers: &HeaderMap, form: &Form) -> Result<&AppClient, OAuthError> {
        let basic = match headers.get(AUTHORIZATION) {
            Some(value) => Some(parse_basic(value)?),
            None => None,
        };
        let form_id = form.get("client_id").map(String::as_str);
        let form_secret = form.get("client_secret").map(String::as_str);
        let (id, secret) = match basic {
            Some((id, secret)) => {
                if form_secret.is_some() {
                    return Err(OAuthError::request(
                        "the client authenticated twice (Basic and client_secret)",
                    ));
                }
                if form_id.is_some_and(|f| f != id) {
                    return Err(OAuthError::request(
                        "client_id differs from the one in the Authorization header",
                    ));
                }
                (id, Some(secret))
            }
            None => match form_id {
                Some(id) => (id.to_owned(), form_secret.map(str::to_owned)),
                None => return Err(OAuthError::request("client_id is missing")),
            },
        };
        let client = self
            .find_client(&id)
            .ok_or_else(|| OAuthError::client("unknown app client"))?;
        match (client.secret(), secret.as_deref()) {
            (Some(expected), Some(given))
                if constant_time_eq(expected.as_bytes(), given.as_bytes()) =>
            {
                Ok(client)
            }
            (Some(_), Some(_)) => Err(OAuthError::client("wrong client secret")),
            (Some(_), None) => Err(OAuthError::client(
                "the app client has a secret: send it (Basic or client_secret)",
            )),
            (None, Some(_)) => Err(OAuthError::client("the app client has no secret")),
            (None, None) => Ok(client),
        }
    }

    // ----- minting -----------------------------------------------------------

    fn user(&self, index: usize) -> Option<&TestUser> {
        self.config.users().get(index)
    }

    /// Access token of the code grant (and its refreshes), claims in
    /// Cognito's order: `sub cognito:groups iss version client_id
    /// origin_jti event_id token_use scope auth_time exp iat jti username`,
    /// `aud` with resource binding; and, when `openid` was granted, the ID
    /// token: `at_hash sub cognito:groups email_verified iss
    /// cognito:username origin_jti aud event_id token_use auth_time nonce
    /// exp iat jti` plus the user's attributes.
    fn user_tokens(&self, client_id: &str, s: &Session) -> (String, Option<String>) {
        let key = self.issuer.current_key();
        let iss = self.issuer.issuer();
        let t = now();
        let (username, sub, groups, attributes) = match self.user(s.user) {
            Some(u) => (
                u.username().to_owned(),
                u.sub_claim().unwrap_or_default().to_owned(),
                u.group_names().to_vec(),
                u.attributes().clone(),
            ),
            None => (String::new(), String::new(), Vec::new(), Map::new()),
        };
        let mut access = TokenBuilder::new(&key).claim("sub", sub.clone());
        if !groups.is_empty() {
            access = access.claim("cognito:groups", groups.clone());
        }
        access = access
            .claim("iss", iss.clone())
            .claim("version", 2)
            .claim("client_id", client_id)
            .claim("origin_jti", s.origin_jti.clone())
            .claim("event_id", s.event_id.clone())
            .claim("token_use", "access")
            .claim("scope", s.scopes.join(" "))
            .claim("auth_time", s.auth_time)
            .claim("exp", t + DEFAULT_LIFETIME_SECS)
            .claim("iat", t)
            .claim("jti", uuid_v4())
            .claim("username", username.clone());
        if let Some(resource) = &s.resource {
            access = access.claim("aud", resource.clone());
        }
        let access = access.build();
        if !s.scopes.iter().any(|x| x == "openid") {
            return (access, None);
        }
        let mut id = TokenBuilder::new(&key)
            .claim("at_hash", at_hash(&access))
            .claim("sub", sub);
        if !groups.is_empty() {
            id = id.claim("cognito:groups", groups);
        }
        if let Some(verified) = attributes.get("email_verified") {
            id = id.claim("email_verified", verified.clone());
        }
        id = id
            .claim("iss", iss)
            .claim("cognito:username", username)
            .claim("origin_jti", s.origin_jti.clone())
            .claim("aud", client_id)
            .claim("event_id", s.event_id.clone())
            .claim("token_use", "id")
            .claim("auth_time", s.auth_time);
        if let Some(nonce) = &s.nonce {
            id = id.claim("nonce", nonce.clone());
        }
        id = id
            .claim("exp", t + DEFAULT_LIFETIME_SECS)
            .claim("iat", t)
            .claim("jti", uuid_v4());
        for (name, value) in &attributes {
            if name != "email_verified" && !RESERVED_CLAIMS.contains(&name.as_str()) {
                id = id.claim(name, value.clone());
            }
        }
        (access, Some(id.build()))
    }

    /// Access token of `client_credentials`, claims in Cognito's order:
    /// `sub` (= client id) `[aud]` `token_use scope auth_time iss exp iat
    /// version jti client_id`; no `username`, no groups, no `origin_jti`.
    fn machine_access_token(
        &self,
        client_id: &str,
        scopes: &[String],
        aud: Option<&str>,
    ) -> String {
        let t = now();
        let mut b = TokenBuilder::new(&self.issuer.current_key()).claim("sub", client_id);
        if let Some(aud) = aud {
            b = b.claim("aud", aud);
        }
        b.claim("token_use", "access")
            .claim("scope", scopes.join(" "))
            .claim("auth_time", t)
            .claim("iss", self.issuer.issuer())
            .claim("exp", t + DEFAULT_LIFETIME_SECS)
            .claim("iat", t)
            .claim("version", 2)
            .claim("jti", uuid_v4())
            .claim("client_id", client_id)
            .build()
    }
}

// ----- userInfo helpers -----------------------------------------------------

/// The token of the one `Authorization: Bearer <token>` header (the scheme
/// is case-insensitive, RFC 7235 §2.1). No header, or another scheme, is a
/// request without a token (401); a header that is not one `b64token`
/// (RFC 6750 §2.1) is malformed (400).
fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => {
            return Err(BearerError::token(
                "no access token: send Authorization: Bearer <access token>",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(BearerError::request("more than one Authorization header"));
        }
        (Some(value), None) => value,
    };
    let text = value
        .to_str()
        .map_err(|_| BearerError::request("the Authorization header is not visible ASCII"))?;
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::token(
            "no access token: the Authorization header is not Bearer",
        ));
    }
    if token.is_empty() || !is_b64token(token) {
        return Err(BearerError::request(
            "the Authorization header is not Bearer and one token (RFC 6750 b64token)",
        ));
    }
    if token.len() > MAX_BODY {
        return Err(BearerError::token("the access token is too long"));
    }
    Ok(token)
}

/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// A base64url JSON object (a JWT header or payload).
fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Checks a JWS signature against the public half of `key`, with the
/// algorithm the key signs with.
fn signature_valid(key: &SigningKey, input: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
    let jwk = key.public_jwk();
    let field = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
    };
    let rsa = |params: &'static sig::RsaParameters| match (field("n"), field("e")) {
        (Some(n), Some(e)) => sig::RsaPublicKeyComponents { n, e }
            .verify(params, input, signature)
            .is_ok(),
        _ => false,
    };
    let point = |algorithm: &'static dyn VerificationAlgorithm| match (field("x"), field("y")) {
        (Some(x), Some(y)) => {
            let mut uncompressed = vec![0x04];
            uncompressed.extend_from_slice(&x);
            uncompressed.extend_from_slice(&y);
            UnparsedPublicKey::new(algorithm, uncompressed)
                .verify(input, signature)
                .is_ok()
        }
        _ => false,
    };
    match key.algorithm() {
        Alg::RS256 => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
        Alg::RS384 => rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
        Alg::RS512 => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
        Alg::PS256 => rsa(&sig::RSA_PSS_2048_8192_SHA256),
        Alg::PS384 => rsa(&sig::RSA_PSS_2048_8192_SHA384),
        Alg::PS512 => rsa(&sig::RSA_PSS_2048_8192_SHA512),
        Alg::ES256 => point(&sig::ECDSA_P256_SHA256_FIXED),
        Alg::ES384 => point(&sig::ECDSA_P384_SHA384_FIXED),
        Alg::EdDSA => field("x").is_some_and(|x| {
            UnparsedPublicKey::new(&sig::ED25519, x)
                .verify(input, signature)
                .is_ok()
        }),
    }
}

/// What `/oauth2/userInfo` answers for `user` under `scopes`: `sub`, the
/// attributes released, `username`. With none of `profile`, `email`,
/// `phone`, every attribute ("openid: ... all user attributes that the app
/// client can read"); otherwise each of those scopes releases its own.
/// Values are strings, as Cognito stores and returns them.
fn user_attributes(user: &TestUser, scopes: &[&str]) -> Map<String, Value> {
    let has = |s: &str| scopes.contains(&s);
    let (profile, email, phone) = (has("profile"), has("email"), has("phone"));
    let released = |name: &str| {
        if !(profile || email || phone) {
            return true;
        }
        (profile && (PROFILE_ATTRIBUTES.contains(&name) || name.starts_with("custom:")))
            || (email && matches!(name, "email" | "email_verified"))
            || (phone && matches!(name, "phone_number" | "phone_number_verified"))
    };
    let mut body = Map::new();
    body.insert("sub".into(), user.sub_claim().unwrap_or_default().into());
    for (name, value) in user.attributes() {
        if name != "username" && !RESERVED_CLAIMS.contains(&name.as_str()) && released(name) {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            body.insert(name.clone(), text.into());
        }
    }
    body.insert("username".into(), user.username().into());
    body
}

// ----- parsing -------------------------------------------------------------

/// Reads a form body: `application/x-www-form-urlencoded`, at most
/// [`MAX_BODY`] bytes.
async fn read_form(headers: &HeaderMap, body: Body) -> Result<Form, OAuthError> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OAuthError::request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| OAuthError::request(format!("the body is larger than {MAX_BODY} bytes")))?;
    parse_form(&bytes)
}

/// Parses `a=1&b=2`; a repeated or empty-named parameter, or more than
/// [`MAX_PARAMS`], is `invalid_request`.
fn parse_form(bytes: &[u8]) -> Result<Form, OAuthError> {
    let mut form = Form::new();
    for (name, value) in url::form_urlencoded::parse(bytes) {
        if form.len() >= MAX_PARAMS {
            return Err(OAuthError::request(format!(
                "more than {MAX_PARAMS} parameters"
            )));
        }
        if name.is_empty() {
            continue;
        }
        if form.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(OAuthError::request(format!(
                "parameter {:?} is repeated",
                name.escape_debug().to_string()
            )));
        }
    }
    Ok(form)
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, OAuthError> {
    match form.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(OAuthError::request(format!("{name} is missing"))),
    }
}

fn optional_param(form: &Form, name: &str) -> Result<Option<String>, OAuthError> {
    match form.get(name) {
        Some(v) if v.len() > MAX_PARAM_LEN => {
            Err(OAuthError::request(format!("{name} is too long")))
        }
        Some(v) if !v.is_empty() => Ok(Some(v.clone())),
        _ => Ok(None),
    }
}

fn split_scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in s.split(' ').filter(|x| !x.is_empty()) {
        if !out.iter().any(|x| x == scope) {
            out.push(scope.to_owned());
        }
    }
    out
}

/// `Authorization: Basic base64(id:secret)`.
fn parse_basic(value: &HeaderValue) -> Result<(String, String), OAuthError> {
    let bad = || {
        OAuthError::client("the Authorization header is not Basic base64(client_id:client_secret)")
    };
    let text = value.to_str().map_err(|_| bad())?;
    let (scheme, encoded) = text.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    // RFC 6749 §2.3.1: both are form-urlencoded before base64.
    Ok((form_unescape(id), form_unescape(secret)))
}

/// Undoes `application/x-www-form-urlencoded` on one whole value: `+` is a
/// space and `%XX` a byte; nothing splits it (`&` and `=` are kept), and a
/// `%` not followed by two hex digits stays as it is.
fn form_unescape(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Cognito's rule for `resource`, the one for callback URLs: `https://`,
/// `http://localhost`, or a custom scheme such as `myapp://`; no fragment.
fn check_resource(resource: &str) -> Result<String, OAuthError> {
    if url_acceptable(resource) {
        Ok(resource.to_owned())
    } else {
        Err(OAuthError::request(
            "resource must be an absolute URL: https://, http://localhost or a custom scheme, no fragment",
        ))
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
fn s256(verifier: &str) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref())
}

/// OpenID Connect `at_hash`: the left half of SHA-256 of the access token.
fn at_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    let half = digest.as_ref().get(..16).unwrap_or_default();
    b64(half)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes, base64url: codes and refresh tokens.
fn random_token() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| OAuthError::server("the system random generator failed"))?;
    Ok(b64(&bytes))
}

/// 302 to `uri` with these query parameters (and `state`).
fn redirect(
    uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Result<Response, OAuthError> {
    let mut url = url::Url::parse(uri)
        .map_err(|_| OAuthError::server("a configured callback URL does not parse"))?;
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
        if let Some(state) = state {
            pairs.append_pair("state", state);
        }
    }
    let location = HeaderValue::from_str(url.as_str())
        .map_err(|_| OAuthError::server("the redirect URL is not a header value"))?;
    Ok((StatusCode::FOUND, [(LOCATION, location)]).into_response())
}

fn method_not_allowed(allow: &'static str) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(axum::http::header::ALLOW, HeaderValue::from_static(allow))],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn forms_refuse_repeats_and_floods() {
        assert_eq!(
            parse_form(b"a=1&a=2").map_err(|e| e.error).err(),
            Some("invalid_request")
        );
        let flood = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=x"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            parse_form(flood.as_bytes()).map_err(|e| e.error).err(),
            Some("invalid_request")
        );
        let ok = parse_form(b"grant_type=client_credentials&scope=orders%2Fread+orders%2Fwrite")
            .unwrap();
        assert_eq!(ok["scope"], "orders/read orders/write");
    }

    #[test]
    fn resources_follow_cognitos_rule() {
        for (resource, ok) in [
            ("https://api.example.com", true),
            ("http://localhost:3000", true),
            ("myapp://orders", true),
            ("http://api.example.com", false),
            ("https://api.example.com/#frag", false),
            ("orders", false),
        ] {
            assert_eq!(check_resource(resource).is_ok(), ok, "{resource}");
        }
    }
}

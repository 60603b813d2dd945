//! Each MCP session belongs to the caller that opened it: [`SessionOwners`].
//!
//! rmcp's session manager knows sessions by their `Mcp-Session-Id` alone,
//! so any valid token for this resource could use another user's session
//! (its tool calls, its `GET` event stream, its `DELETE`). This service, in
//! front of rmcp and behind `CognitoAuth`, records who opened each session
//! (the token's `sub` and `client_id`, from the `Mcp-Session-Id` rmcp
//! answers an `initialize` with) and answers 404 to a request naming a
//! session that is not the caller's, as the MCP spec answers an unknown
//! session: a session id is not a bearer credential.
//!
//! The record is bounded, and forgets sessions rmcp has ended, since
//! clients seldom send `DELETE` (a client that gets 404 just initializes
//! again):
//!
//! - an entry goes when its opener's `DELETE` succeeds, and when rmcp
//!   answers 404 "session not found" to a request naming it (rmcp ended
//!   it: idle past its keep-alive, or its handler stopped);
//! - each entry keeps when a request last named it; before an `initialize`
//!   is refused for room, entries no request named for [`SESSION_IDLE`]
//!   (rmcp's keep-alive, which `main` configures rmcp with, so rmcp has
//!   ended those sessions too) are dropped;
//! - at most [`MAX_SESSIONS`] entries in all (503 beyond) and
//!   [`MAX_SESSIONS_PER_OWNER`] per caller (429 beyond, naming the cause:
//!   the caller closes one or lets one idle out); an `initialize` not
//!   answered yet holds its place, so concurrent ones cannot all pass the
//!   check before any is recorded. The caller is refused
//!   rather than its oldest session dropped, so that one token cannot make
//!   rmcp hold more than that many live sessions either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, Response, StatusCode, header};
use axum::middleware::Next;
use cognito_jwt::Claims;
use rmcp::transport::streamable_http_server::session::local::SessionConfig;

use crate::tool_scopes::refused;

/// The header that names a session (MCP streamable HTTP transport).
pub const SESSION_HEADER: &str = "mcp-session-id";

/// The most sessions recorded at once; an `initialize` beyond it, once
/// the idle entries are dropped, is answered 503.
pub const MAX_SESSIONS: usize = 10_000;

/// The most sessions one caller (`sub` and `client_id`) may hold open; its
/// `initialize` beyond it, once its idle entries are dropped, is answered
/// 429.
pub const MAX_SESSIONS_PER_OWNER: usize = 100;

/// How long a session may go without a request before rmcp ends it (its
/// `SessionConfig::keep_alive`): `main` gives rmcp this value, and an
/// entry idle this long is dropped here.
pub const SESSION_IDLE: Duration = SessionConfig::DEFAULT_KEEP_ALIVE;

/// The bounds of a [`SessionOwners`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries in all.
    pub max_sessions: usize,
    /// Most entries of one caller.
    pub max_per_owner: usize,
    /// rmcp's keep-alive: an entry unused this long is dropped.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_sessions: MAX_SESSIONS,
            max_per_owner: MAX_SESSIONS_PER_OWNER,
            idle: SESSION_IDLE,
        }
    }
}

/// Who opened a session: the token's subject and app client.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    sub: String,
    client_id: Option<String>,
}

impl Owner {
    fn of(claims: &Claims) -> Owner {
        Owner {
            sub: claims.sub().to_owned(),
            client_id: claims.client_id().map(str::to_owned),
        }
    }
}

/// A recorded session: its opener, and when a request last named it.
#[derive(Debug)]
struct Entry {
    owner: Owner,
    last_seen: Instant,
}

#[derive(Debug)]
struct Record {
    limits: Limits,
    sessions: HashMap<String, Entry>,
    /// `initialize` requests let through and not answered yet, by caller:
    /// they count against the bounds, so concurrent ones cannot all pass
    /// the check before any is recorded.
    opening: Vec<Owner>,
}

impl Record {
    /// Drops the entries no request named for the keep-alive.
    fn prune_idle(&mut self, at: Instant) {
        let idle = self.limits.idle;
        self.sessions
            .retain(|_, e| at.saturating_duration_since(e.last_seen) < idle);
    }

    /// `owner`'s sessions, those being opened included.
    fn owned_by(&self, owner: &Owner) -> usize {
        self.sessions.values().filter(|e| e.owner == *owner).count()
            + self.opening.iter().filter(|o| *o == owner).count()
    }

    /// Every session, those being opened included.
    fn held(&self) -> usize {
        self.sessions.len() + self.opening.len()
    }

    /// Why `owner` may not open a session now, if it may not: the idle
    /// entries are dropped first.
    fn refusal(&mut self, owner: &Owner) -> Option<Response<Body>> {
        let full = |r: &Self| {
            r.held() >= r.limits.max_sessions || r.owned_by(owner) >= r.limits.max_per_owner
        };
        if full(self) {
            self.prune_idle(Instant::now());
        }
        if self.owned_by(owner) >= self.limits.max_per_owner {
            return Some(refused(
                StatusCode::TOO_MANY_REQUESTS,
                -32000,
                &format!(
                    "too many open sessions for this caller ({}): close one with DELETE, or let one go unused for {} s",
                    self.limits.max_per_owner,
                    self.limits.idle.as_secs()
                ),
            ));
        }
        if self.held() >= self.limits.max_sessions {
            return Some(refused(
                StatusCode::SERVICE_UNAVAILABLE,
                -32000,
                "too many open sessions",
            ));
        }
        None
    }
}

/// Who opened each session. Cheap to clone: the clones share the record.
/// Used through [`bind`] (`axum::middleware::from_fn_with_state`), between
/// `CognitoAuth` (which left the [`Claims`]) and rmcp.
#[derive(Clone)]
pub struct SessionOwners(Arc<Mutex<Record>>);

impl Default for SessionOwners {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl SessionOwners {
    /// A record with these bounds (the default: [`Limits::default`]).
    pub fn new(limits: Limits) -> Self {
        Self(Arc::new(Mutex::new(Record {
            limits,
            sessions: HashMap::new(),
            opening: Vec::new(),
        })))
    }

    /// Let `owner` open a session, holding its place until the answer
    /// comes back (or the request is dropped), or the refusal.
    fn reserve(&self, owner: &Owner) -> Result<Opening, Box<Response<Body>>> {
        let mut record = self.lock();
        if let Some(refusal) = record.refusal(owner) {
            return Err(Box::new(refusal));
        }
        record.opening.push(owner.clone());
        Ok(Opening {
            owners: self.clone(),
            owner: owner.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A place held for an `initialize` in flight: given back when dropped,
/// answered or not (a dropped request must not keep it).
struct Opening {
    owners: SessionOwners,
    owner: Owner,
}

impl Opening {
    /// The answer came back: record the session it opened, if any, in the
    /// place held.
    fn opened(self, id: Option<&str>) {
        if let Some(id) = id {
            self.owners.lock().sessions.insert(
                id.to_owned(),
                Entry {
                    owner: self.owner.clone(),
                    last_seen: Instant::now(),
                },
            );
        }
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        let mut record = self.owners.lock();
        if let Some(at) = record.opening.iter().position(|o| *o == self.owner) {
            record.opening.swap_remove(at);
        }
    }
}

/// 404, as for a session that does not exist.
fn no_such_session() -> Response<Body> {
    refused(StatusCode::NOT_FOUND, -32001, "session not found")
}

/// rmcp's 404 for a session it does not have: no JSON-RPC body. (rmcp
/// may also map a JSON-RPC "method not found" error to 404; that answer is
/// JSON or an event stream, and its session lives on.)
fn session_gone(response: &Response<Body>) -> bool {
    response.status() == StatusCode::NOT_FOUND
        && !response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/json") || v.starts_with("text/event-stream")
            })
}

/// Passes a request naming a session only when the session is the
/// caller's; records the caller of each new session, and forgets the
/// sessions that end.
pub async fn bind(
    State(owners): State<SessionOwners>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    // Behind CognitoAuth there are always claims; without them no session
    // is anyone's.
    let Some(caller) = request.extensions().get::<Claims>().map(Owner::of) else {
        return no_such_session();
    };
    let named = match request.headers().get(SESSION_HEADER) {
        None => None,
        Some(value) => match value.to_str() {
            Ok(id) => Some(id.to_owned()),
            Err(_) => return no_such_session(),
        },
    };
    let Some(id) = named else {
        let opening = match owners.reserve(&caller) {
            Ok(opening) => opening,
            Err(refusal) => return *refusal,
        };
        let response = next.run(request).await;
        // Only an `initialize` without a session gets one.
        opening.opened(
            response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok()),
        );
        return response;
    };
    {
        let mut record = owners.lock();
        match record.sessions.get_mut(&id) {
            Some(entry) if entry.owner == caller => entry.last_seen = Instant::now(),
            _ => {
                drop(record);
                tracing::debug!(
                    sub = %caller.sub.escape_debug(),
                    "MCP session of another caller, or unknown: 404"
                );
                return no_such_session();
            }
        }
    }
    let closing = request.method() == Method::DELETE;
    let response = next.run(request).await;
    if (closing && response.status().is_success()) || session_gone(&response) {
        owners.lock().sessions.remove(&id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::Router;
    use cognito_jwt::{Issuer, TokenUse, Verifier};
    use cognito_jwt_testkit::TestIssuer;
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    use serde_json::{Value, json};
    use tower::{Layer as _, ServiceExt as _};

    use crate::orders::Orders;

    /// The claims of a token for `sub`, as `CognitoAuth` leaves them.
    async fn caller(sub: &str) -> Claims {
        let issuer = TestIssuer::cognito();
        let pool = issuer.pool_id().unwrap();
        let verifier =
            Verifier::builder(Issuer::cognito(pool).static_jwks(issuer.jwks().to_string()))
                .any_client()
                .token_use(TokenUse::Access)
                .build()
                .unwrap();
        let token = issuer.access_token().claim("sub", sub).build();
        verifier.verify(&token).await.unwrap()
    }

    /// rmcp (ending sessions unused for `keep_alive`) behind `bind`.
    fn app(owners: SessionOwners, keep_alive: Duration) -> Router {
        let mut manager = LocalSessionManager::default();
        manager.session_config.keep_alive = Some(keep_alive);
        let orders = Orders::new();
        let mcp: StreamableHttpService<Orders, LocalSessionManager> = StreamableHttpService::new(
            move || Ok(orders.clone()),
            manager.into(),
            StreamableHttpServerConfig::default(),
        );
        let mcp = tower::ServiceExt::<Request<Body>>::map_response(mcp, |r| r.map(Body::new));
        let sessions = axum::middleware::from_fn_with_state(owners, bind);
        Router::new().route_service("/mcp", sessions.layer(mcp))
    }

    /// What a caller sees: the status, the session id given, and the
    /// JSON-RPC error message of a JSON answer.
    async fn send(
        app: &Router,
        claims: &Claims,
        method: Method,
        session: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Option<String>, String) {
        let mut request = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", "localhost")
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if let Some(session) = session {
            request = request
                .header(SESSION_HEADER, session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        let mut request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        request.extensions_mut().insert(claims.clone());
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let id = response
            .headers()
            .get(SESSION_HEADER)
            .map(|v| v.to_str().unwrap().to_owned());
        let json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let message = if json {
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        } else {
            String::new()
        };
        (status, id, message)
    }

    /// `initialize` then `notifications/initialized`: the session id, or
    /// the refusal's status and message.
    async fn open(app: &Router, claims: &Claims) -> Result<String, (StatusCode, String)> {
        let initialize = json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "test", "version": "0" },
            },
        });
        let (status, id, message) = send(app, claims, Method::POST, None, Some(initialize)).await;
        let Some(id) = id else {
            return Err((status, message));
        };
        assert_eq!(status, StatusCode::OK);
        let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        let (status, ..) = send(app, claims, Method::POST, Some(&id), Some(initialized)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        Ok(id)
    }

    fn ping() -> Option<Value> {
        Some(json!({ "jsonrpc": "2.0", "id": 7, "method": "ping" }))
    }

    #[tokio::test]
    async fn abandoned_sessions_stop_counting_once_idle_and_a_caller_is_capped() {
        // Wide enough that a stalled machine does not end alice's live
        // session between two of her pings (a quarter of it apart).
        let idle = Duration::from_secs(3);
        let owners = SessionOwners::new(Limits {
            max_sessions: 3,
            max_per_owner: 2,
            idle,
        });
        let app = app(owners, idle);
        let (alice, bob, carol) = (
            caller("alice").await,
            caller("bob").await,
            caller("carol").await,
        );
        let first = open(&app, &alice).await.unwrap();
        open(&app, &alice).await.unwrap();
        // One caller cannot hold more than its share: refused, naming why.
        let (status, message) = open(&app, &alice).await.unwrap_err();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            message.starts_with("too many open sessions for this caller (2)"),
            "{message}"
        );
        open(&app, &bob).await.unwrap();
        // Full, every session live: a new one waits.
        assert_eq!(
            open(&app, &carol).await.unwrap_err(),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many open sessions".to_owned()
            )
        );
        // Alice keeps using her first session; the others are abandoned
        // (no DELETE), and rmcp ends them after its keep-alive.
        for _ in 0..5 {
            tokio::time::sleep(idle / 4).await;
            let (status, ..) = send(&app, &alice, Method::POST, Some(&first), ping()).await;
            assert_eq!(status, StatusCode::OK);
        }
        // Their entries are gone too: room for new sessions, also alice's.
        open(&app, &carol).await.unwrap();
        open(&app, &alice).await.unwrap();
        // Her live session was kept.
        let (status, ..) = send(&app, &alice, Method::POST, Some(&first), ping()).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn concurrent_initializes_cannot_pass_the_cap_together() {
        let owners = SessionOwners::new(Limits {
            max_sessions: 100,
            max_per_owner: 2,
            idle: Duration::from_secs(3600),
        });
        let app = app(owners.clone(), Duration::from_secs(3600));
        let alice = caller("alice").await;
        let answers = futures_util::future::join_all((0..6).map(|_| open(&app, &alice))).await;
        let opened = answers.iter().filter(|a| a.is_ok()).count();
        assert_eq!(opened, 2, "{answers:?}");
        for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
            assert_eq!(refused.0, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
        }
        // The places held while in flight were given back.
        assert!(owners.lock().opening.is_empty());
    }

    #[tokio::test]
    async fn a_session_rmcp_ended_is_forgotten_when_its_404_comes_back() {
        // Entries outlive rmcp's sessions here, so only the 404 frees them.
        let owners = SessionOwners::new(Limits {
            max_sessions: 2,
            max_per_owner: 2,
            idle: Duration::from_secs(3600),
        });
        let app = app(owners, Duration::from_millis(500));
        let (alice, bob) = (caller("alice").await, caller("bob").await);
        let ended = open(&app, &alice).await.unwrap();
        let live = open(&app, &bob).await.unwrap();
        assert_eq!(
            open(&app, &bob).await.unwrap_err().0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        let (status, ..) = send(&app, &bob, Method::POST, Some(&live), ping()).await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        // rmcp ended both; the first 404 for each frees its entry.
        let (status, ..) = send(&app, &alice, Method::POST, Some(&ended), ping()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        open(&app, &bob).await.unwrap();
        let (status, ..) = send(&app, &bob, Method::POST, Some(&live), ping()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        open(&app, &alice).await.unwrap();
    }
}

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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, Response, StatusCode};
use axum::middleware::Next;
use cognito_jwt::Claims;

use crate::tool_scopes::refused;

/// The header that names a session (MCP streamable HTTP transport).
pub const SESSION_HEADER: &str = "mcp-session-id";

/// The most sessions recorded at once; an `initialize` beyond it is
/// answered 503 until sessions are closed (`DELETE`).
pub const MAX_SESSIONS: usize = 10_000;

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

/// Who opened each session. Cheap to clone: the clones share the record.
/// Used through [`bind`] (`axum::middleware::from_fn_with_state`), between
/// `CognitoAuth` (which left the [`Claims`]) and rmcp.
#[derive(Clone, Default)]
pub struct SessionOwners(Arc<Mutex<HashMap<String, Owner>>>);

impl SessionOwners {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Owner>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// 404, as for a session that does not exist.
fn no_such_session() -> Response<Body> {
    refused(StatusCode::NOT_FOUND, -32001, "session not found")
}

/// Passes a request naming a session only when the session is the
/// caller's; records the caller of each new session.
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
        if owners.lock().len() >= MAX_SESSIONS {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                -32000,
                "too many open sessions",
            );
        }
        let response = next.run(request).await;
        // Only an `initialize` without a session gets one.
        if let Some(id) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            owners.lock().insert(id.to_owned(), caller);
        }
        return response;
    };
    if owners.lock().get(&id) != Some(&caller) {
        tracing::debug!(
            sub = %caller.sub.escape_debug(),
            "MCP session of another caller, or unknown: 404"
        );
        return no_such_session();
    }
    let closing = request.method() == Method::DELETE;
    let response = next.run(request).await;
    if closing && response.status().is_success() {
        owners.lock().remove(&id);
    }
    response
}

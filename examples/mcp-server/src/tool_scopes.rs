//! Per-tool scopes: the one table of which scope each tool needs, and
//! [`ToolScopes`], the service that asks for it before rmcp runs the call.
//!
//! An MCP client calls every tool on the same URL (`POST /mcp`, JSON-RPC
//! `tools/call`), so the scope cannot be a route's: this service reads the
//! tool's name from the body (at most [`MAX_BODY_BYTES`]) and hands the
//! request to a [`Require`] layer for that tool's scope. A token without it
//! gets what the MCP spec's scope challenge asks for: 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…",
//! resource_metadata="…"`, rendered by the adapter like any other refusal.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use cognito_jwt::BuildError;
use cognito_jwt_tower::{Require, RequireService};
use http_body_util::LengthLimitError;
use serde::Deserialize;
use tower::{Layer, Service, ServiceExt};

/// Read-only tools.
pub const MCP_READ: &str = "mcp/read";
/// Tools that change something.
pub const MCP_WRITE: &str = "mcp/write";

/// Each tool and the scope its `tools/call` needs. Every tool the server
/// lists must be here ([`missing_from_table`] is checked at start-up).
pub const TOOL_SCOPES: [(&str, &str); 3] = [
    ("list_orders", MCP_READ),
    ("whoami", MCP_READ),
    ("create_order", MCP_WRITE),
];

/// The largest request body read to find the tool's name; rmcp is given
/// the same cap. Larger bodies are answered 413.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The scopes the tools ask for, for RFC 9728 `scopes_supported`, which
/// lists each once ([`ProtectedResourceMetadata::scopes_supported`](cognito_jwt::ProtectedResourceMetadata::scopes_supported)).
pub fn scopes_supported() -> impl Iterator<Item = &'static str> {
    TOOL_SCOPES.into_iter().map(|(_, scope)| scope)
}

/// The tools among `listed` that have no entry in [`TOOL_SCOPES`].
pub fn missing_from_table<'a>(listed: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    listed
        .into_iter()
        .filter(|tool| !TOOL_SCOPES.iter().any(|(name, _)| name == tool))
        .collect()
}

/// What a request body asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Call {
    /// Not a `tools/call`: initialize, lists, notifications, responses.
    Other,
    /// A `tools/call` of this tool.
    Tool(String),
}

/// Why a body is refused before rmcp sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Not one JSON-RPC object (a batch, other JSON, or not JSON), or a
    /// key read here given twice: two readers could take different ones.
    NotOneMessage,
    /// A `tools/call` without a string `params.name`.
    NoToolName,
}

/// The keys read to find the method; serde refuses one given twice.
#[derive(Deserialize)]
struct Message {
    method: Option<String>,
}

#[derive(Deserialize)]
struct ToolCall {
    params: ToolCallParams,
}

#[derive(Deserialize)]
struct ToolCallParams {
    name: String,
}

/// Which tool, if any, a JSON-RPC request body calls.
pub fn called_tool(body: &[u8]) -> Result<Call, Malformed> {
    let message: Message = serde_json::from_slice(body).map_err(|_| Malformed::NotOneMessage)?;
    if message.method.as_deref() != Some("tools/call") {
        return Ok(Call::Other);
    }
    let call: ToolCall = serde_json::from_slice(body).map_err(|_| Malformed::NoToolName)?;
    Ok(Call::Tool(call.params.name))
}

/// A JSON-RPC error answered with an HTTP status, for bodies refused here.
pub(crate) fn refused(status: StatusCode, code: i32, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The answer to a body that could not be read: 413 when it is over
/// [`MAX_BODY_BYTES`], 400 for any other failure (the client went away,
/// a malformed chunked encoding), which no smaller body would cure.
fn unread(error: &axum::Error) -> Response<Body> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            tracing::debug!(limit = MAX_BODY_BYTES, "MCP request body too large");
            return refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                -32600,
                "request body too large",
            );
        }
        source = e.source();
    }
    tracing::debug!(error = %error, "MCP request body unreadable");
    refused(StatusCode::BAD_REQUEST, -32600, "request body unreadable")
}

/// Each `tools/call` goes through a [`Require`] for its tool's scope;
/// everything else straight to the inner service (rmcp's). Sits below
/// `CognitoAuth`, which has verified the token and left the claims.
#[derive(Clone)]
pub struct ToolScopes<S> {
    inner: S,
    per_tool: Arc<Vec<(&'static str, RequireService<S>)>>,
}

impl<S: Clone> ToolScopes<S> {
    /// Wrap `inner`, with one access-token-and-scope rule per tool.
    pub fn new(inner: S) -> Result<Self, BuildError> {
        let per_tool = TOOL_SCOPES
            .iter()
            .map(|&(tool, scope)| {
                let require = Require::access_token().any_scope([scope])?;
                Ok((tool, require.layer(inner.clone())))
            })
            .collect::<Result<Vec<_>, BuildError>>()?;
        Ok(ToolScopes {
            inner,
            per_tool: Arc::new(per_tool),
        })
    }
}

impl<S> Service<Request<Body>> for ToolScopes<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    RequireService<S>:
        Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send,
    <RequireService<S> as Service<Request<Body>>>::Future: Send,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Each call drives the service it picks to readiness (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let per_tool = Arc::clone(&self.per_tool);
        Box::pin(async move {
            // Only a POST carries JSON-RPC messages; GET opens the event
            // stream, DELETE ends the session.
            if request.method() != Method::POST {
                return inner.oneshot(request).await;
            }
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
                Ok(bytes) => bytes,
                Err(e) => return Ok(unread(&e)),
            };
            let call = called_tool(&bytes);
            if let Err(malformed) = &call {
                tracing::debug!(?malformed, "MCP request refused before rmcp");
            }
            let call = match call {
                Ok(call) => call,
                Err(Malformed::NotOneMessage) => {
                    return Ok(refused(
                        StatusCode::BAD_REQUEST,
                        -32600,
                        "expected one JSON-RPC message",
                    ));
                }
                Err(Malformed::NoToolName) => {
                    return Ok(refused(
                        StatusCode::BAD_REQUEST,
                        -32602,
                        "tools/call needs a string params.name",
                    ));
                }
            };
            let request = Request::from_parts(parts, Body::from(bytes));
            let rule = match &call {
                Call::Tool(name) => per_tool.iter().find(|(tool, _)| tool == name),
                Call::Other => None,
            };
            match rule {
                Some((_, require)) => require.clone().oneshot(request).await,
                // Not a tool call, or a tool that does not exist (rmcp
                // answers "tool not found"; every tool it has is in the
                // table, checked at start-up).
                None => inner.oneshot(request).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hostile_body_gets_its_answer() {
        let tool = |name: &str| Ok(Call::Tool(name.to_owned()));
        let table: [(&str, &[u8], Result<Call, Malformed>); 12] = [
            (
                "a tool call",
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_order","arguments":{}}}"#,
                tool("create_order"),
            ),
            (
                "initialize",
                br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"x"}}}"#,
                Ok(Call::Other),
            ),
            (
                "a response to the server",
                br#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
                Ok(Call::Other),
            ),
            (
                "a name escaped in JSON",
                br#"{"method":"tools/call","params":{"name":"create\u005forder"}}"#,
                tool("create_order"),
            ),
            (
                "method given twice",
                br#"{"method":"tools/list","method":"tools/call","params":{"name":"create_order"}}"#,
                Err(Malformed::NotOneMessage),
            ),
            (
                "name given twice",
                br#"{"method":"tools/call","params":{"name":"whoami","name":"create_order"}}"#,
                Err(Malformed::NoToolName),
            ),
            (
                "params given twice",
                br#"{"method":"tools/call","params":{"name":"whoami"},"params":{"name":"create_order"}}"#,
                Err(Malformed::NoToolName),
            ),
            (
                "a batch",
                br#"[{"method":"tools/call","params":{"name":"create_order"}}]"#,
                Err(Malformed::NotOneMessage),
            ),
            ("not JSON", b"method=tools/call", Err(Malformed::NotOneMessage)),
            (
                "a method that is not a string",
                br#"{"method":["tools/call"]}"#,
                Err(Malformed::NotOneMessage),
            ),
            (
                "a tool call without a name",
                br#"{"method":"tools/call","params":{}}"#,
                Err(Malformed::NoToolName),
            ),
            (
                "a name that is not a string",
                br#"{"method":"tools/call","params":{"name":7}}"#,
                Err(Malformed::NoToolName),
            ),
        ];
        for (what, body, expected) in table {
            assert_eq!(called_tool(body), expected, "{what}");
        }
    }

    /// What `ToolScopes` answers a body: the status and the JSON-RPC
    /// error message, when it refuses it before the inner service.
    async fn answer(body: Body) -> (StatusCode, String) {
        let inner = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::from("inner")))
        });
        let request = Request::post("/mcp").body(body).unwrap();
        let response = ToolScopes::new(inner)
            .unwrap()
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let message = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) => json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        (status, message)
    }

    #[tokio::test]
    async fn a_body_too_large_is_413_and_an_unreadable_one_400() {
        let ping = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let broken = futures_util::stream::iter([
            Ok(bytes::Bytes::from_static(b"{\"jsonrpc\"")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let table = [
            ("a ping", Body::from(&ping[..]), StatusCode::OK, "inner"),
            (
                "one byte over the cap",
                Body::from(vec![b' '; MAX_BODY_BYTES + 1]),
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ),
            (
                "a body that fails while read",
                Body::from_stream(broken),
                StatusCode::BAD_REQUEST,
                "request body unreadable",
            ),
        ];
        for (what, body, status, message) in table {
            assert_eq!(answer(body).await, (status, message.to_owned()), "{what}");
        }
    }

    #[test]
    fn scopes_are_listed_once_and_unlisted_tools_are_found() {
        let metadata = cognito_jwt::ProtectedResourceMetadata::new("https://mcp.example.com/mcp")
            .unwrap()
            .scopes_supported(scopes_supported());
        let json: serde_json::Value = serde_json::from_str(&metadata.to_json()).unwrap();
        assert_eq!(
            json["scopes_supported"],
            serde_json::json!([MCP_READ, MCP_WRITE])
        );
        assert_eq!(
            missing_from_table(["whoami", "delete_everything"]),
            ["delete_everything"]
        );
    }
}

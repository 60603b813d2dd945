//! An MCP server (rmcp, streamable HTTP on axum) protected by
//! `cognito-jwt-tower`, as the MCP authorization spec asks of a resource
//! server:
//!
//! - `POST /mcp` (and the rest of the streamable HTTP transport) needs an
//!   access token whose `aud` names this server
//!   ([`VerifierBuilder::for_resource`](cognito_jwt::VerifierBuilder::for_resource));
//!   every 401 and 403 names the metadata document (`resource_metadata="…"`);
//! - `GET /.well-known/oauth-protected-resource/mcp` serves the RFC 9728
//!   document ([`CognitoAuth::publish`]): the resource, the pool's issuer,
//!   the tools' scopes;
//! - each tool needs its scope ([`tool_scopes::TOOL_SCOPES`]): a call
//!   without it is 403 `insufficient_scope` with `scope="…"`.
//!
//! ```text
//! cargo run -p mcp-server      # embedded local issuer, prints tokens for this resource
//! COGNITO_USER_POOL_ID=us-east-1_AbCdEf123 COGNITO_CLIENT_IDS=1example23456789 \
//!   COGNITO_RESOURCE=https://mcp.example.com/mcp cargo run -p mcp-server
//! ```
//!
//! The environment is the other examples' (`demo-support`); the resource
//! defaults to `http://{bind address}/mcp`.
#![forbid(unsafe_code)]

mod orders;
mod tool_scopes;

use std::process::ExitCode;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use cognito_jwt::{ProtectedResourceMetadata, Verifier};
use cognito_jwt_tower::CognitoAuth;
use demo_support::Demo;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tower::{Layer, ServiceExt};

use crate::orders::Orders;
use crate::tool_scopes::{MAX_BODY_BYTES, MCP_READ, MCP_WRITE, ToolScopes};

/// The MCP endpoint's path.
const MCP_PATH: &str = "/mcp";

/// The hosts rmcp accepts in `Host` (its DNS-rebinding guard): the
/// resource's own, and loopback for local use.
fn allowed_hosts(resource: &str) -> Vec<String> {
    let mut hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(host) = resource
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(|h| h.trim_matches(['[', ']']).to_owned()))
        && !hosts.contains(&host)
    {
        hosts.push(host);
    }
    hosts
}

/// The application: the MCP endpoint behind `CognitoAuth` and the
/// per-tool scopes, the metadata document and `/health` outside it.
fn app(verifier: Verifier, resource: &str) -> Result<Router, Box<dyn std::error::Error>> {
    let missing =
        tool_scopes::missing_from_table(orders::tool_names().iter().map(String::as_str)).join(", ");
    if !missing.is_empty() {
        return Err(format!("tools without a scope in TOOL_SCOPES: {missing}").into());
    }
    let document = ProtectedResourceMetadata::for_verifier(&verifier)?
        .scopes_supported(tool_scopes::scopes_supported())
        .resource_name("cognito-jwt example MCP server");
    let (auth, metadata) = CognitoAuth::new(verifier).publish(document)?;

    let orders = Orders::new();
    let mcp: StreamableHttpService<Orders, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(orders.clone()),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default()
            .with_allowed_hosts(allowed_hosts(resource))
            .with_max_request_body_bytes(MAX_BODY_BYTES),
    );
    let mcp = ServiceExt::<Request<Body>>::map_response(mcp, |response| response.map(Body::new));
    let mcp = auth.layer(ToolScopes::new(mcp)?);
    Ok(Router::new()
        .route_service(MCP_PATH, mcp)
        .route("/health", get(|| async { "ok" }))
        .layer(metadata))
}

/// With the embedded issuer: tokens for this resource, and how to try them.
fn print_ready(demo: &Demo, addr: std::net::SocketAddr, resource: &str) {
    if let Some(local) = &demo.local {
        let token = |scopes: &[&str]| {
            local
                .access_token()
                .scopes(scopes)
                .claim("aud", resource)
                .build()
        };
        println!(
            "embedded local issuer {} (JWKS {}), app client {}\n",
            local.issuer(),
            local.jwks_url(),
            local.client_id()
        );
        println!("# no token: 401, naming the metadata document\ncurl -i -X POST {resource}\n");
        println!(
            "# the metadata document\ncurl -i http://{addr}/.well-known/oauth-protected-resource{MCP_PATH}\n"
        );
        println!(
            "# a token with {MCP_READ} (list_orders, whoami):\n{}\n",
            token(&[MCP_READ])
        );
        println!(
            "# a token with {MCP_READ} and {MCP_WRITE} (also create_order):\n{}\n",
            token(&[MCP_READ, MCP_WRITE])
        );
    }
    println!("{}{addr}", demo_support::LISTENING_PREFIX);
}

#[tokio::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    let demo = match Demo::from_env() {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("mcp-server: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(demo.bind_addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("mcp-server: cannot listen on {}: {e}", demo.bind_addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(demo.bind_addr);
    let resource = demo.resource(addr, MCP_PATH);
    let app = match demo
        .resource_verifier(&resource)
        .map_err(Into::into)
        .and_then(|verifier| {
            let prefetch = verifier.clone();
            app(verifier, &resource).map(|app| (app, prefetch))
        }) {
        Ok((app, verifier)) => {
            // Keys now, so the first call does not wait; bounded, not fatal.
            if let Err(e) = verifier
                .prefetch_within(demo_support::PREFETCH_TIMEOUT)
                .await
            {
                tracing::warn!(error = %e, "starting without the issuer's keys");
            }
            app
        }
        Err(e) => {
            eprintln!("mcp-server: {e}");
            return ExitCode::from(2);
        }
    };
    print_ready(&demo, addr, &resource);
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("mcp-server: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_table_names_exactly_the_tools() {
        let tools = orders::tool_names();
        assert_eq!(
            tool_scopes::missing_from_table(tools.iter().map(String::as_str)),
            Vec::<&str>::new()
        );
        for (tool, _) in tool_scopes::TOOL_SCOPES {
            assert!(tools.iter().any(|t| t == tool), "{tool} is not a tool");
        }
    }

    #[test]
    fn rmcp_accepts_the_resource_host() {
        assert_eq!(
            allowed_hosts("https://mcp.example.com/mcp"),
            ["localhost", "127.0.0.1", "::1", "mcp.example.com"]
        );
        assert_eq!(
            allowed_hosts("http://127.0.0.1:3000/mcp"),
            ["localhost", "127.0.0.1", "::1"]
        );
    }
}

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
//! - each session belongs to the caller that opened it
//!   ([`session_owners::bind`]): another token's request naming
//!   it is 404, as for an unknown session; sessions rmcp ends (5 minutes
//!   unused) are forgotten, and one caller holds at most 100.
//!
//! ```text
//! cargo run -p mcp-server      # embedded local issuer, prints how to get tokens for this resource
//! COGNITO_USER_POOL_ID=us-east-1_AbCdEf123 COGNITO_CLIENT_IDS=1example23456789 \
//!   COGNITO_RESOURCE=https://mcp.example.com/mcp cargo run -p mcp-server
//! ```
//!
//! The environment is the other examples' (`demo-support`); the resource
//! defaults to `http://localhost:{port}/mcp` (Cognito accepts an `http`
//! `resource` for `localhost` only). The embedded issuer's `iss` is its own
//! URL, so a client finds its token endpoint from `authorization_servers`
//! (`{issuer}/.well-known/openid-configuration`); it has the resource
//! server `mcp` (`mcp/read`, `mcp/write`), the machine client
//! `testmachine1234567890abcde` (secret `testsecret0123…`, the testkit's
//! defaults) for `client_credentials`, and the public client
//! `testclient1234567890abcdef` for the code grant with PKCE of the test
//! user.
#![forbid(unsafe_code)]

mod orders;
mod session_owners;
mod tool_scopes;

use std::process::ExitCode;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use cognito_jwt::{ProtectedResourceMetadata, Verifier};
use cognito_jwt_testkit::{
    AppClient, DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_MACHINE_CLIENT_ID, DEFAULT_USERNAME, Grant, LocalIssuer, LocalIssuerBuilder,
    OAuthConfig, ResourceServer, TestUser,
};
use cognito_jwt_tower::CognitoAuth;
use demo_support::Demo;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tower::{Layer, ServiceExt};

use crate::orders::Orders;
use crate::session_owners::SessionOwners;
use crate::tool_scopes::{MAX_BODY_BYTES, MCP_READ, MCP_WRITE, ToolScopes};

/// The MCP endpoint's path.
const MCP_PATH: &str = "/mcp";

/// The embedded issuer: a loopback `iss`, so that `authorization_servers`
/// names it and its discovery document lists `/oauth2/token`; the resource
/// server `mcp` and the clients that may ask for its scopes.
fn embedded_issuer() -> LocalIssuerBuilder {
    let scopes = [MCP_READ, MCP_WRITE];
    LocalIssuer::builder().loopback_issuer(true).oauth(
        OAuthConfig::new()
            .resource_server(ResourceServer::new("mcp", ["read", "write"]))
            .client(
                AppClient::confidential(DEFAULT_MACHINE_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                    .grants([Grant::ClientCredentials])
                    .scopes(scopes),
            )
            .client(
                AppClient::public(DEFAULT_CLIENT_ID)
                    .scopes(["openid"].into_iter().chain(scopes))
                    .callback_urls([DEFAULT_CALLBACK_URL]),
            )
            .user(TestUser::new(DEFAULT_USERNAME)),
    )
}

/// This server's resource identifier: `COGNITO_RESOURCE`, or
/// `http://localhost:{port}/mcp`, the form Cognito's `resource` rule
/// accepts for `http` (its host must be `localhost`).
fn resource(demo: &Demo, addr: std::net::SocketAddr) -> String {
    demo.configured_resource().map_or_else(
        || format!("http://localhost:{}{MCP_PATH}", addr.port()),
        str::to_owned,
    )
}

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
    // rmcp ends a session after this long without a request; SessionOwners
    // forgets it after as long.
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(session_owners::SESSION_IDLE);
    let mcp: StreamableHttpService<Orders, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(orders.clone()),
        sessions.into(),
        StreamableHttpServerConfig::default()
            .with_allowed_hosts(allowed_hosts(resource))
            .with_max_request_body_bytes(MAX_BODY_BYTES),
    );
    let mcp = ServiceExt::<Request<Body>>::map_response(mcp, |response| response.map(Body::new));
    let sessions =
        axum::middleware::from_fn_with_state(SessionOwners::default(), session_owners::bind);
    let mcp = auth.layer(sessions.layer(ToolScopes::new(mcp)?));
    Ok(Router::new()
        .route_service(MCP_PATH, mcp)
        .route("/health", get(|| async { "ok" }))
        .layer(metadata))
}

/// With the embedded issuer: how a client gets a token for this resource
/// from it, and uses it.
fn print_ready(demo: &Demo, addr: std::net::SocketAddr, resource: &str) {
    if let Some(local) = &demo.local {
        println!(
            "embedded local issuer {} (discovery {}, token endpoint {}), app clients {}\n",
            local.issuer(),
            local.discovery_url(),
            local.token_url().unwrap_or_default(),
            local.client_ids().join(", ")
        );
        // Where the challenges say it is (the resource's origin).
        let metadata = ProtectedResourceMetadata::new(resource)
            .map(|m| m.url())
            .unwrap_or_default();
        println!("# no token: 401, naming the metadata document\ncurl -i -X POST {resource}\n");
        println!("# the metadata document\ncurl -i {metadata}\n");
        let grant = |scope: &str| {
            format!(
                "curl -s -u {DEFAULT_MACHINE_CLIENT_ID}:{DEFAULT_CLIENT_SECRET} {} -d grant_type=client_credentials -d scope={scope} -d resource={resource} | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/'",
                local.token_url().unwrap_or_default()
            )
        };
        println!(
            "# a token with {MCP_READ} (list_orders, whoami), bound to this resource\nTOKEN=$({})\n",
            grant(MCP_READ)
        );
        println!(
            "# with {MCP_READ} and {MCP_WRITE} (also create_order)\nTOKEN=$({})\n",
            grant(&format!("{MCP_READ}+{MCP_WRITE}"))
        );
    }
    println!("{}{addr}", demo_support::LISTENING_PREFIX);
}

#[tokio::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    let demo = match Demo::from_env_embedding(embedded_issuer()) {
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
    let resource = resource(&demo, addr);
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
    fn the_embedded_issuer_is_the_authorization_server_of_a_localhost_resource() {
        let demo = Demo::from_vars_embedding(|_| None, embedded_issuer()).unwrap();
        let local = demo.local.as_ref().unwrap();
        let addr = "127.0.0.1:4321".parse().unwrap();
        let resource = resource(&demo, addr);
        assert_eq!(resource, "http://localhost:4321/mcp");
        let verifier = demo.resource_verifier(&resource).unwrap();
        let json: serde_json::Value = serde_json::from_str(
            &ProtectedResourceMetadata::for_verifier(&verifier)
                .unwrap()
                .to_json(),
        )
        .unwrap();
        // Its own URL, under which the discovery document is served.
        assert_eq!(
            json["authorization_servers"],
            serde_json::json!([local.issuer()])
        );
        assert!(
            local.issuer().starts_with(local.base_url()),
            "{}",
            local.issuer()
        );
        assert_eq!(
            local.discovery_url(),
            format!("{}/.well-known/openid-configuration", local.issuer())
        );
        let custom = local.oauth_config().unwrap().custom_scopes();
        assert!(
            custom.contains(MCP_READ) && custom.contains(MCP_WRITE),
            "{custom:?}"
        );

        // COGNITO_RESOURCE wins.
        let configured = Demo::from_vars_embedding(
            |name| (name == "COGNITO_RESOURCE").then(|| "https://mcp.example.com/mcp".to_owned()),
            embedded_issuer(),
        )
        .unwrap();
        assert_eq!(
            super::resource(&configured, addr),
            "https://mcp.example.com/mcp"
        );
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

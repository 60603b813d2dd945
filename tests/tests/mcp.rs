//! `examples/mcp-server` walked the way an MCP client discovers and calls
//! it (MCP authorization spec): an unauthenticated call, the 401's
//! `resource_metadata`, the RFC 9728 document, a token for that resource,
//! then rmcp's own client over streamable HTTP; and the refusals: a tool
//! whose scope the token lacks (403 `insufficient_scope`), a token for
//! another resource (401).

use cognito_jwt_e2e::contract::{example_binary, spawn_example_with};
use cognito_jwt_testkit::{JwksServer, TestIssuer};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

/// The `WWW-Authenticate` parameter `name` (a quoted string) in `header`.
fn parameter(header: &str, name: &str) -> Option<String> {
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = header.get(start..)?;
    Some(rest.get(..rest.find('"')?)?.to_owned())
}

/// `www` is a Bearer challenge with this `error`, naming the metadata.
fn assert_challenge(www: &str, error: &str, metadata_url: &str) {
    assert!(www.starts_with("Bearer "), "{www}");
    assert_eq!(parameter(www, "error").as_deref(), Some(error), "{www}");
    assert_eq!(
        parameter(www, "resource_metadata").as_deref(),
        Some(metadata_url),
        "{www}"
    );
}

/// POST one JSON-RPC message to `url`, as a bare HTTP client would.
async fn post(url: &str, token: Option<&str>, message: &Value) -> (u16, String, Value) {
    let mut request = cognito_jwt_e2e::http_client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(message);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let www = cognito_jwt_e2e::www_authenticate(&response).unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, www, body)
}

/// POST raw `body` to `url` with `token`: the status.
async fn post_bytes(url: &str, token: &str, body: Vec<u8>) -> u16 {
    let response = cognito_jwt_e2e::http_client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("request");
    response.status().as_u16()
}

fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "raw", "version": "0" },
        },
    })
}

fn tool_call(name: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": { "name": name, "arguments": { "item": "tea", "quantity": 3 } },
    })
}

/// `create_order` of three teas, through rmcp's client.
fn order_tea() -> CallToolRequestParams {
    let arguments = json!({ "item": "tea", "quantity": 3 });
    CallToolRequestParams::new("create_order")
        .with_arguments(arguments.as_object().cloned().expect("object"))
}

/// The first text content of a tool's result, parsed as JSON.
fn text_json(result: &rmcp::model::CallToolResult) -> Value {
    let result = serde_json::to_value(result).expect("result");
    let text = result["content"][0]["text"]
        .as_str()
        .expect("a text result");
    serde_json::from_str(text).expect("JSON text")
}

/// rmcp's client, initialized over streamable HTTP with `token`.
async fn connect(
    resource: &str,
    token: &str,
) -> rmcp::service::RunningService<rmcp::RoleClient, ClientConfig> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let transport = StreamableHttpClientTransport::with_client(
        http,
        StreamableHttpClientTransportConfig::with_uri(resource).auth_header(token),
    );
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("cognito-jwt e2e", "0.1.0"),
    )
    .serve(transport)
    .await
    .expect("initialize")
}

#[test]
fn an_mcp_client_discovers_the_pool_and_calls_tools_by_scope() {
    let binary = example_binary("mcp-server");
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a pool");
    let (_, service) = spawn_example_with(&binary, &pool, &issuer.client_id(), &jwks, &[]);
    let base = format!("http://{}", service.ready_line());
    let endpoint = format!("{base}/mcp");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // 1. No token: 401, and the challenge names the metadata document.
        let (status, www, _) = post(&endpoint, None, &initialize()).await;
        assert_eq!(status, 401, "{www}");
        let metadata_url = parameter(&www, "resource_metadata").expect(&www);
        assert_eq!(
            metadata_url,
            format!("{base}/.well-known/oauth-protected-resource/mcp")
        );

        // 2. The document: this resource, the pool, the tools' scopes.
        let response = cognito_jwt_e2e::http_client()
            .get(&metadata_url)
            .send()
            .await
            .expect("metadata");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let metadata: Value = response.json().await.expect("JSON");
        assert_eq!(metadata["resource"], endpoint.as_str());
        assert_eq!(metadata["authorization_servers"], json!([issuer.issuer()]));
        assert_eq!(
            metadata["scopes_supported"],
            json!(["mcp/read", "mcp/write"])
        );
        let resource = metadata["resource"].as_str().expect("resource").to_owned();

        // 3. A token from the pool for that resource (RFC 8707 `aud`).
        let read_only = issuer
            .access_token()
            .scopes(&["mcp/read"])
            .claim("aud", resource.as_str())
            .build();

        // 4. rmcp's client, over streamable HTTP with the bearer token.
        let client = connect(&resource, &read_only).await;
        let tools = client
            .list_tools(Default::default())
            .await
            .expect("tools/list");
        let mut names: Vec<String> = tools.tools.iter().map(|t| t.name.to_string()).collect();
        names.sort();
        assert_eq!(names, ["create_order", "list_orders", "whoami"]);

        let orders = client
            .call_tool(CallToolRequestParams::new("list_orders"))
            .await
            .expect("list_orders");
        assert_eq!(orders.is_error, Some(false));
        assert_eq!(text_json(&orders)[0]["id"], "1001");
        let me = client
            .call_tool(CallToolRequestParams::new("whoami"))
            .await
            .expect("whoami");
        let me = text_json(&me);
        assert_eq!(me["scopes"], json!(["mcp/read"]));
        let me_sub = me["sub"].as_str().expect("sub").to_owned();

        // 5. A tool whose scope the token lacks: refused before it runs.
        let refused = client
            .call_tool(order_tea())
            .await
            .expect_err("create_order needs mcp/write");
        assert!(
            refused
                .to_string()
                .to_lowercase()
                .contains("insufficient scope"),
            "rmcp reports the scope challenge: {refused}"
        );
        let _ = client.cancel().await;

        // The same call as bare HTTP: the MCP spec's scope challenge.
        let (status, www, body) =
            post(&endpoint, Some(&read_only), &tool_call("create_order")).await;
        assert_eq!(status, 403, "{www}");
        assert_challenge(&www, "insufficient_scope", &metadata_url);
        assert_eq!(
            parameter(&www, "scope").as_deref(),
            Some("mcp/write"),
            "{www}"
        );
        assert_eq!(body["error"], "insufficient_scope");

        // Bodies that could show the scope check another tool than rmcp
        // runs are refused before either reads them further.
        let padding = " ".repeat(256 * 1024);
        let hostile: [(&str, Vec<u8>, u16); 5] = [
            (
                "a batch",
                format!("[{}]", tool_call("create_order")).into_bytes(),
                400,
            ),
            (
                "the tool named twice",
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","name":"create_order"}}"#.to_vec(),
                400,
            ),
            (
                "the method given twice",
                br#"{"jsonrpc":"2.0","id":3,"method":"ping","method":"tools/call","params":{"name":"create_order"}}"#.to_vec(),
                400,
            ),
            (
                "a tool call without a name",
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}"#.to_vec(),
                400,
            ),
            (
                "a body over 256 KiB",
                format!(r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"whoami"}}}}{padding}"#).into_bytes(),
                413,
            ),
        ];
        for (what, body, expected) in hostile {
            assert_eq!(post_bytes(&endpoint, &read_only, body).await, expected, "{what}");
        }

        // With mcp/write, the same call reaches the tool.
        let writer = issuer
            .access_token()
            .scopes(&["mcp/read", "mcp/write"])
            .claim("aud", resource.as_str())
            .build();
        let writer = connect(&resource, &writer).await;
        let created = writer
            .call_tool(order_tea())
            .await
            .expect("create_order with mcp/write");
        let created = text_json(&created);
        assert_eq!(
            (&created["item"], &created["quantity"]),
            (&json!("tea"), &json!(3))
        );
        assert_eq!(created["created_by"], json!(me_sub));
        let _ = writer.cancel().await;

        // 6. A token for another resource: 401 invalid_token.
        let elsewhere = issuer
            .access_token()
            .scopes(&["mcp/read", "mcp/write"])
            .claim("aud", "https://other.example.com/mcp")
            .build();
        let (status, www, body) = post(&endpoint, Some(&elsewhere), &initialize()).await;
        assert_eq!(status, 401, "{www}");
        assert_challenge(&www, "invalid_token", &metadata_url);
        assert_eq!(body["error"], "invalid_token");
        // And one bound to no resource at all (no `aud`): also 401.
        let unbound = issuer.access_token().scopes(&["mcp/read"]).build();
        let (status, www, _) = post(&endpoint, Some(&unbound), &initialize()).await;
        assert_eq!(status, 401, "{www}");
    });
}

//! `examples/mcp-server` walked the way an MCP client discovers and calls
//! it (MCP authorization spec), with the example's embedded issuer as a
//! user starts it (`cargo run -p mcp-server`): an unauthenticated call, the
//! 401's `resource_metadata`, the RFC 9728 document, the authorization
//! server it names and that server's discovery document, a token from its
//! `/oauth2/token` for that resource (RFC 8707 `resource`), then rmcp's own
//! client over streamable HTTP; and the refusals: a tool whose scope the
//! token lacks (403 `insufficient_scope`), hostile bodies inside a session,
//! another caller's session (404), a token for another resource (401).

use cognito_jwt_e2e::apps::start_example;
use cognito_jwt_testkit::{
    DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MACHINE_CLIENT_ID,
};
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

/// The JSON-RPC error code and message a body is refused with, if any.
type Refusal = Option<(i64, &'static str)>;

/// What the server answered a request sent inside a session.
struct Answer {
    status: u16,
    /// The JSON-RPC error's code and message, when the body is one.
    error: Option<(i64, String)>,
}

/// Send `method` to `url` with `token`, naming `session`, with `body`.
async fn in_session(
    method: reqwest::Method,
    url: &str,
    token: &str,
    session: &str,
    body: Option<Vec<u8>>,
) -> Answer {
    let mut request = cognito_jwt_e2e::http_client()
        .request(method, url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-06-18")
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let error = if is_json {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        body["error"]["code"]
            .as_i64()
            .zip(body["error"]["message"].as_str().map(str::to_owned))
    } else {
        None
    };
    Answer { status, error }
}

/// `initialize` then `notifications/initialized`, as raw HTTP with
/// `token`: the session id rmcp gave.
async fn open_session(url: &str, token: &str) -> String {
    let response = cognito_jwt_e2e::http_client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(token)
        .json(&initialize())
        .send()
        .await
        .expect("initialize");
    assert_eq!(response.status(), 200, "initialize");
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id")
        .to_owned();
    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let answer = in_session(
        reqwest::Method::POST,
        url,
        token,
        &session,
        Some(initialized.to_string().into_bytes()),
    )
    .await;
    assert_eq!(answer.status, 202, "notifications/initialized");
    session
}

/// The authorization server's endpoints, from its discovery document.
struct Endpoints {
    token: String,
    authorize: String,
}

/// `{issuer}/.well-known/openid-configuration`, as a client finds it
/// from `authorization_servers` (OpenID Connect Discovery; Cognito serves
/// it under the pool's issuer).
async fn discover(issuer: &str) -> Endpoints {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let response = cognito_jwt_e2e::http_client()
        .get(&url)
        .send()
        .await
        .expect("discovery");
    assert_eq!(response.status(), 200, "{url}");
    let document: Value = response.json().await.expect("JSON");
    assert_eq!(document["issuer"], issuer, "{document}");
    let field = |name: &str| document[name].as_str().expect(name).to_owned();
    Endpoints {
        token: field("token_endpoint"),
        authorize: field("authorization_endpoint"),
    }
}

/// The `access_token` of a token endpoint's answer, which must be 200.
async fn access_token(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, 200, "{body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// `client_credentials` with the embedded issuer's machine client, for
/// `scope`, bound to `resource` when given.
async fn client_credentials(endpoints: &Endpoints, scope: &str, resource: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", scope)];
    form.extend(resource.map(|r| ("resource", r)));
    let response = cognito_jwt_e2e::http_client()
        .post(&endpoints.token)
        .basic_auth(DEFAULT_MACHINE_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&form)
        .send()
        .await
        .expect("token request");
    access_token(response).await
}

/// The code grant with PKCE for the embedded issuer's test user, through
/// its public client: the user's access token for `resource`.
async fn code_grant(endpoints: &Endpoints, scope: &str, resource: &str) -> String {
    // RFC 7636 appendix B's verifier and its S256 challenge.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let no_redirects = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let authorize = reqwest::Url::parse_with_params(
        &endpoints.authorize,
        [
            ("response_type", "code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("redirect_uri", DEFAULT_CALLBACK_URL),
            ("scope", scope),
            ("code_challenge_method", "S256"),
            ("code_challenge", challenge),
            ("resource", resource),
        ],
    )
    .expect("authorize URL");
    let response = no_redirects.get(authorize).send().await.expect("authorize");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap_or_else(|| panic!("a code in {location:?} ({})", response.status()))
        .to_owned();
    let response = cognito_jwt_e2e::http_client()
        .post(&endpoints.token)
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("code", code.as_str()),
            ("redirect_uri", DEFAULT_CALLBACK_URL),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token request");
    access_token(response).await
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
    let app = start_example("mcp-server", &[]);
    let endpoint = app.url("/mcp");
    // The resource is the server's URL on `localhost`, the `http` form
    // Cognito's `resource` rule accepts.
    let local = app.base_url.replace("127.0.0.1", "localhost");
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
            format!("{local}/.well-known/oauth-protected-resource/mcp")
        );

        // 2. The document: this resource, its issuer, the tools' scopes.
        let response = cognito_jwt_e2e::http_client()
            .get(&metadata_url)
            .send()
            .await
            .expect("metadata");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let metadata: Value = response.json().await.expect("JSON");
        assert_eq!(metadata["resource"], format!("{local}/mcp"));
        assert_eq!(
            metadata["scopes_supported"],
            json!(["mcp/read", "mcp/write"])
        );
        let resource = metadata["resource"].as_str().expect("resource").to_owned();
        let issuer = metadata["authorization_servers"][0]
            .as_str()
            .expect("an authorization server")
            .to_owned();

        // 3. The authorization server's endpoints, from its discovery
        // document, and a token from it for that resource (RFC 8707).
        let endpoints = discover(&issuer).await;
        let read_only = client_credentials(&endpoints, "mcp/read", Some(&resource)).await;

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
        // runs are refused by ToolScopes, inside an initialized session (so
        // that rmcp's own session check cannot be what answers), with
        // ToolScopes' own JSON-RPC error.
        let session = open_session(&endpoint, &read_only).await;
        let padding = " ".repeat(256 * 1024);
        let not_one = Some((-32600, "expected one JSON-RPC message"));
        let no_name = Some((-32602, "tools/call needs a string params.name"));
        let hostile: [(&str, Vec<u8>, u16, Refusal); 6] = [
            (
                "a well-formed call, for contrast: rmcp runs it",
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami"}}"#.to_vec(),
                200,
                None,
            ),
            (
                "a batch",
                format!("[{}]", tool_call("create_order")).into_bytes(),
                400,
                not_one,
            ),
            (
                "the tool named twice",
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","name":"create_order"}}"#.to_vec(),
                400,
                no_name,
            ),
            (
                "the method given twice",
                br#"{"jsonrpc":"2.0","id":3,"method":"ping","method":"tools/call","params":{"name":"create_order"}}"#.to_vec(),
                400,
                not_one,
            ),
            (
                "a tool call without a name",
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}"#.to_vec(),
                400,
                no_name,
            ),
            (
                "a body over 256 KiB",
                format!(r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"whoami"}}}}{padding}"#).into_bytes(),
                413,
                Some((-32600, "request body too large")),
            ),
        ];
        let mut failures = Vec::new();
        for (what, body, status, error) in hostile {
            let answer =
                in_session(reqwest::Method::POST, &endpoint, &read_only, &session, Some(body))
                    .await;
            let error = error.map(|(code, message)| (code, message.to_owned()));
            if (answer.status, &answer.error) != (status, &error) {
                failures.push(format!(
                    "{what}: got {} {:?}, expected {status} {error:?}",
                    answer.status, answer.error
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // 6. A session is its opener's: another caller (the test user,
        // signed in with the code grant) naming it is answered as for an
        // unknown session, whatever the method; the opener keeps it.
        let user = code_grant(&endpoints, "openid mcp/read", &resource).await;
        let not_found = Some((-32001, "session not found".to_owned()));
        let whoami = || Some(tool_call("whoami").to_string().into_bytes());
        for (method, body) in [
            (reqwest::Method::POST, whoami()),
            (reqwest::Method::GET, None),
            (reqwest::Method::DELETE, None),
        ] {
            let answer = in_session(method.clone(), &endpoint, &user, &session, body).await;
            assert_eq!(
                (answer.status, answer.error),
                (404, not_found.clone()),
                "{method} with another caller's session"
            );
        }
        let made_up = in_session(reqwest::Method::POST, &endpoint, &user, "made-up", whoami()).await;
        assert_eq!((made_up.status, made_up.error), (404, not_found.clone()));
        let own = in_session(reqwest::Method::POST, &endpoint, &read_only, &session, whoami()).await;
        assert_eq!(own.status, 200, "the opener's own session");
        // The user's own session works for the user.
        let users = open_session(&endpoint, &user).await;
        let answer = in_session(reqwest::Method::POST, &endpoint, &user, &users, whoami()).await;
        assert_eq!(answer.status, 200, "the user's own session");
        // Closed by its opener, a session is gone for everyone.
        let closed = in_session(reqwest::Method::DELETE, &endpoint, &read_only, &session, None).await;
        assert!(closed.status < 300, "DELETE: {}", closed.status);
        let after = in_session(reqwest::Method::POST, &endpoint, &read_only, &session, whoami()).await;
        assert_eq!((after.status, after.error), (404, not_found));

        // With mcp/write, the same call reaches the tool.
        let writer = client_credentials(&endpoints, "mcp/read mcp/write", Some(&resource)).await;
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

        // 7. A token for another resource: 401 invalid_token.
        let elsewhere = client_credentials(
            &endpoints,
            "mcp/read mcp/write",
            Some("https://other.example.com/mcp"),
        )
        .await;
        let (status, www, body) = post(&endpoint, Some(&elsewhere), &initialize()).await;
        assert_eq!(status, 401, "{www}");
        assert_challenge(&www, "invalid_token", &metadata_url);
        assert_eq!(body["error"], "invalid_token");
        // And one bound to no resource at all (no `aud`): also 401.
        let unbound = client_credentials(&endpoints, "mcp/read", None).await;
        let (status, www, _) = post(&endpoint, Some(&unbound), &initialize()).await;
        assert_eq!(status, 401, "{www}");
    });
}

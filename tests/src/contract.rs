//! The example API contract, walked over real HTTP against a built binary.
//!
//! Every example API (`axum-api`, `actix-api`) must answer each request of
//! [`walk_contract`] identically: status, `WWW-Authenticate` and JSON body,
//! exactly. The binary is started with a testkit issuer's pool id, client id
//! and a loopback JWKS server, on `127.0.0.1:0` (it reports its port on the
//! `listening on http://…` line), and killed when the walk ends.
//!
//! The table itself ([`cases`]) and its comparison ([`Case::mismatches`])
//! serve other transports too: `tests/lambda.rs` holds `lambda-api` to it
//! through API Gateway and ALB events.
//!
//! ```no_run
//! let binary = cognito_jwt_e2e::contract::example_binary("axum-api");
//! cognito_jwt_e2e::contract::walk_contract(&binary);
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use cognito_jwt_testkit::{JwksServer, TestIssuer};
use serde_json::{Value, json};

use crate::process::{Ready, Service};

/// The line prefix the example APIs print once they listen.
pub const LISTENING: &str = "listening on http://";

/// The path of an example binary of this workspace, `<target dir>/<profile>/<name>`,
/// derived from the running test's own path (`…/target/debug/deps/x` →
/// `…/target/debug`).
///
/// It runs `cargo build -p <name>` first (a no-op when the binary is fresh), so
/// `cargo test` alone never walks a stale binary; without cargo, an existing
/// binary is used as is.
pub fn example_binary(name: &str) -> PathBuf {
    workspace_binary(name, name)
}

/// Binary `bin` of workspace package `package`, built as [`example_binary`]
/// builds an example (the command line is `cognito-jwt` of
/// `cognito-jwt-cli`).
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe
        .parent()
        .expect("test binary has a directory")
        .to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    let binary = dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(crate::repo_root())
        .args(["build", "--quiet", "-p", package]);
    if package != bin {
        cmd.args(["--bin", bin]);
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    match cmd.status() {
        Ok(status) => assert!(
            status.success(),
            "cargo build -p {package} failed: {status}"
        ),
        Err(e) if binary.exists() => {
            eprintln!(
                "cannot run cargo build -p {package} ({e}); using {}",
                binary.display()
            );
        }
        Err(e) => panic!("{} is missing and cargo cannot run: {e}", binary.display()),
    }
    assert!(
        binary.exists(),
        "{} not found after building",
        binary.display()
    );
    binary
}

/// One request of the walk and the answer it must get.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the request is, for failure messages.
    pub what: String,
    /// The request method.
    pub method: &'static str,
    /// The request path.
    pub path: &'static str,
    /// The `Authorization` header lines sent, in order (none, one or more).
    pub authorization: Vec<String>,
    /// The answer's status.
    pub status: u16,
    /// The answer's `WWW-Authenticate`, exactly; `None`: absent.
    pub www_authenticate: Option<String>,
    /// The answer's JSON body, exactly (and `Content-Type: application/json`);
    /// `Null`: not checked.
    pub body: Value,
    /// The `Allow` header's methods (in any order), when it must be checked.
    pub allow: Option<&'static str>,
    /// The body must be empty (answers to `HEAD`).
    pub empty_body: bool,
}

/// An answer as the client saw it, whatever carried it (an HTTP response,
/// a Lambda function's event response).
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `WWW-Authenticate`.
    pub www_authenticate: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Allow`.
    pub allow: Option<String>,
    /// The body, as text.
    pub body: String,
}

impl Case {
    /// How `answer` differs from this case's expectation; empty when it
    /// does not.
    pub fn mismatches(&self, answer: &Answer) -> Vec<String> {
        let mut wrong = Vec::new();
        if answer.status != self.status {
            wrong.push(format!(
                "status {}, expected {}",
                answer.status, self.status
            ));
        }
        if answer.www_authenticate != self.www_authenticate {
            wrong.push(format!(
                "WWW-Authenticate {:?}, expected {:?}",
                answer.www_authenticate, self.www_authenticate
            ));
        }
        if !self.body.is_null() {
            let text = &answer.body;
            let body: Value =
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()));
            if body != self.body {
                wrong.push(format!("body {text}, expected {}", self.body));
            }
            if answer.content_type.as_deref() != Some("application/json") {
                wrong.push(format!(
                    "content-type {:?}, expected application/json",
                    answer.content_type
                ));
            }
        }
        if let Some(expected) = self.allow
            && answer.allow.as_deref().map(methods) != Some(methods(expected))
        {
            wrong.push(format!("Allow {:?}, expected {expected:?}", answer.allow));
        }
        if self.empty_body && !answer.body.is_empty() {
            wrong.push(format!(
                "a body ({} bytes), expected none",
                answer.body.len()
            ));
        }
        wrong
    }

    /// A failure line for `wrong` (from [`Case::mismatches`]).
    pub fn failure(&self, wrong: &[String]) -> String {
        format!(
            "{} ({} {}):\n  {}",
            self.what,
            self.method,
            self.path,
            wrong.join("\n  ")
        )
    }
}

/// The RFC 6750 body of a refusal.
fn refusal(error: &str, description: &str) -> Value {
    json!({ "error": error, "error_description": description })
}

fn invalid_token(description: &str) -> (u16, Option<String>, Value) {
    (
        401,
        Some(format!(
            r#"Bearer error="invalid_token", error_description="{description}""#
        )),
        refusal("invalid_token", description),
    )
}

fn insufficient(description: &str, scope: Option<&str>) -> (u16, Option<String>, Value) {
    let mut h = format!(r#"Bearer error="insufficient_scope", error_description="{description}""#);
    if let Some(scope) = scope {
        h.push_str(&format!(r#", scope="{scope}""#));
    }
    (403, Some(h), refusal("insufficient_scope", description))
}

fn bearer(token: &str) -> Vec<String> {
    vec![format!("Bearer {token}")]
}

/// Start example `binary` for `pool` and `client` with its keys at `jwks`,
/// on a free loopback port, logging at debug level; wait until it listens.
/// Returns its name and its process guard.
pub fn spawn_example(
    binary: &Path,
    pool: &str,
    client: &str,
    jwks: &JwksServer,
) -> (String, Service) {
    spawn_example_with(binary, pool, client, jwks, &[])
}

/// [`spawn_example`] with more environment variables (`EXPOSE_METRICS`).
pub fn spawn_example_with(
    binary: &Path,
    pool: &str,
    client: &str,
    jwks: &JwksServer,
    env: &[(&str, &str)],
) -> (String, Service) {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("COGNITO_USER_POOL_ID", pool)
        .env("COGNITO_JWKS_URI", jwks.url())
        .env("COGNITO_CLIENT_IDS", client)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "debug")
        .envs(env.iter().copied());
    let name = binary
        .file_name()
        .map_or("example".into(), |n| n.to_string_lossy().into_owned());
    let service = Service::spawn(&name, cmd, Ready::Line(LISTENING));
    (name, service)
}

/// Start `binary` against a testkit issuer and walk the whole contract:
/// every route × token kind × failure. Panics listing every mismatch.
pub fn walk_contract(binary: &Path) {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a Cognito-shaped test issuer");
    let client = issuer.client_id();

    let (name, service) = spawn_example(binary, &pool, &client, &jwks);
    let base = format!("http://{}", service.ready_line());

    let cases = cases(&issuer);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let failures = runtime.block_on(run(&base, &cases));
    if !failures.is_empty() {
        panic!(
            "{name}: {} of {} contract checks failed:\n\n{}\n--- {} (tail) ---\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n"),
            service.log_path().display(),
            service.log_tail(3000)
        );
    }
    drop(service);
}

async fn run(base: &str, cases: &[Case]) -> Vec<String> {
    let client = crate::http_client();
    let mut failures = Vec::new();
    for case in cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("method");
        let mut request = client.request(method, format!("{base}{}", case.path));
        for value in &case.authorization {
            request = request.header("authorization", value);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: request failed: {e}", case.what));
                continue;
            }
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let mut answer = Answer {
            status: response.status().as_u16(),
            www_authenticate: header("www-authenticate"),
            content_type: header("content-type"),
            allow: header("allow"),
            body: String::new(),
        };
        answer.body = response.text().await.unwrap_or_default();
        let wrong = case.mismatches(&answer);
        if !wrong.is_empty() {
            failures.push(case.failure(&wrong));
        }
    }
    failures
}

/// The methods of an `Allow` header, upper-cased and sorted ("GET,HEAD" and
/// "head, get" alike).
fn methods(allow: &str) -> Vec<String> {
    let mut methods: Vec<String> = allow
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect();
    methods.sort();
    methods
}

/// The protected routes, the token kind each accepts, and a good token's answer.
struct Route {
    method: &'static str,
    path: &'static str,
    id_token: bool,
    ok_status: u16,
}

const ROUTES: [Route; 5] = [
    Route {
        method: "GET",
        path: "/me",
        id_token: false,
        ok_status: 200,
    },
    Route {
        method: "GET",
        path: "/profile",
        id_token: true,
        ok_status: 200,
    },
    Route {
        method: "GET",
        path: "/orders",
        id_token: false,
        ok_status: 200,
    },
    Route {
        method: "POST",
        path: "/orders",
        id_token: false,
        ok_status: 201,
    },
    Route {
        method: "GET",
        path: "/admin",
        id_token: false,
        ok_status: 200,
    },
];

const SCOPES: [&str; 3] = ["openid", "orders/read", "orders/write"];

/// The whole table: every route × token kind × failure, and the routing
/// answers (404, 405 with `Allow`, `HEAD`), for tokens of `issuer`.
pub fn cases(issuer: &TestIssuer) -> Vec<Case> {
    let sub = issuer.user_sub();
    let client = issuer.client_id();
    let username = cognito_jwt_testkit::DEFAULT_USERNAME;

    // Good tokens that pass every rule of the route they are meant for.
    let access = issuer
        .access_token()
        .scopes(&SCOPES)
        .groups(&["admin"])
        .build();
    let id = issuer.id_token().groups(&["admin"]).build();
    let good = |id_token: bool| if id_token { id.clone() } else { access.clone() };
    let build = |id_token: bool| {
        if id_token {
            issuer.id_token().groups(&["admin"])
        } else {
            issuer.access_token().scopes(&SCOPES).groups(&["admin"])
        }
    };

    let ok_body = |path: &str, method: &str| -> Value {
        match (method, path) {
            ("GET", "/me") => json!({
                "sub": sub, "username": username, "client_id": client,
                "scopes": SCOPES, "groups": ["admin"],
            }),
            ("GET", "/profile") => json!({
                "sub": sub, "username": username, "email": "testuser@example.com",
            }),
            ("GET", "/orders") => json!({
                "orders": [
                    { "id": "1001", "item": "coffee beans", "quantity": 2 },
                    { "id": "1002", "item": "filter papers", "quantity": 1 },
                ],
                "requested_by": sub,
            }),
            ("POST", "/orders") => json!({ "id": "1003", "status": "created", "created_by": sub }),
            ("GET", "/admin") => json!({ "admin": true, "sub": sub, "username": username }),
            _ => Value::Null,
        }
    };

    let mut cases = vec![
        Case {
            what: "public health check".into(),
            method: "GET",
            path: "/health",
            authorization: vec![],
            status: 200,
            www_authenticate: None,
            body: json!({ "status": "ok" }),
            allow: None,
            empty_body: false,
        },
        // The body's key-set age changes: `crate::operations` reads it.
        Case {
            what: "readiness probe, keys loaded at start".into(),
            method: "GET",
            path: "/ready",
            authorization: vec![],
            status: 200,
            www_authenticate: None,
            body: Value::Null,
            allow: None,
            empty_body: false,
        },
    ];

    let malformed = refusal("invalid_request", "malformed Authorization header");
    let malformed_www = Some(
        r#"Bearer error="invalid_request", error_description="malformed Authorization header""#
            .to_owned(),
    );
    for route in &ROUTES {
        let (method, path) = (route.method, route.path);
        let kind = if route.id_token { "ID" } else { "access" };
        let mut push = |what: String,
                        authorization: Vec<String>,
                        (status, www, body): (u16, Option<String>, Value)| {
            cases.push(Case {
                what,
                method,
                path,
                authorization,
                status,
                www_authenticate: www,
                body,
                allow: None,
                empty_body: false,
            });
        };
        push(
            format!("good {kind} token"),
            bearer(&good(route.id_token)),
            (route.ok_status, None, ok_body(path, method)),
        );
        push(
            "no token".into(),
            vec![],
            (
                401,
                Some("Bearer".into()),
                refusal("unauthorized", "authentication required"),
            ),
        );
        push(
            "another auth scheme".into(),
            vec!["Basic dXNlcjpwYXNz".into()],
            (
                401,
                Some("Bearer".into()),
                refusal("unauthorized", "authentication required"),
            ),
        );
        for header in [
            "Bearer",
            "Bearer  two-spaces",
            "Bearer a b",
            "Bearer abc,def",
            "Bearer\tabc.def.ghi",
            "Bearer:abc.def.ghi",
        ] {
            push(
                format!("malformed header {header:?}"),
                vec![header.into()],
                (400, malformed_www.clone(), malformed.clone()),
            );
        }
        let d = "more than one credential in the request";
        push(
            "two Authorization headers".into(),
            vec![
                format!("Bearer {}", good(route.id_token)),
                "Bearer other".into(),
            ],
            (
                400,
                Some(format!(
                    r#"Bearer error="invalid_request", error_description="{d}""#
                )),
                refusal("invalid_request", d),
            ),
        );
        push(
            "not a JWT".into(),
            bearer("not-a-jwt"),
            invalid_token("the token is malformed"),
        );
        push(
            "bad signature".into(),
            bearer(&build(route.id_token).tamper_payload().build()),
            invalid_token("the token signature is invalid"),
        );
        push(
            "expired".into(),
            bearer(&build(route.id_token).expires_in(-3600).build()),
            invalid_token("the token has expired"),
        );
        push(
            "another app client".into(),
            bearer(
                &build(route.id_token)
                    .client_id("someotherclient0000000000")
                    .build(),
            ),
            invalid_token("the token was issued to a client that is not allowed"),
        );
        push(
            "unknown signing key".into(),
            bearer(&build(route.id_token).kid("no-such-key").build()),
            invalid_token("the token is signed with an unknown key"),
        );
        push(
            format!("the other token kind on an {kind}-token route"),
            bearer(&good(!route.id_token)),
            invalid_token("the token is not of the kind this resource accepts"),
        );
    }

    // Scopes and groups.
    let missing_scope = "the token lacks the required scope";
    let missing_group = "the user is not in the required group";
    let reader = issuer
        .access_token()
        .scopes(&["openid", "orders/read"])
        .build();
    let nobody = issuer.access_token().scopes(&["openid"]).build();
    let mut push = |what: &str,
                    method: &'static str,
                    path: &'static str,
                    token: &str,
                    (status, www, body): (u16, Option<String>, Value)| {
        cases.push(Case {
            what: what.into(),
            method,
            path,
            authorization: bearer(token),
            status,
            www_authenticate: www,
            body,
            allow: None,
            empty_body: false,
        });
    };
    push(
        "read scope only",
        "GET",
        "/orders",
        &reader,
        (200, None, ok_body("/orders", "GET")),
    );
    push(
        "read scope only",
        "POST",
        "/orders",
        &reader,
        insufficient(missing_scope, Some("orders/write")),
    );
    push(
        "no orders scope",
        "GET",
        "/orders",
        &nobody,
        insufficient(missing_scope, Some("orders/read")),
    );
    push(
        "no admin group",
        "GET",
        "/admin",
        &reader,
        insufficient(missing_group, None),
    );
    let other_group = issuer.access_token().groups(&["staff"]).build();
    push(
        "another group",
        "GET",
        "/admin",
        &other_group,
        insufficient(missing_group, None),
    );
    // Without scopes or groups, /me still answers (empty arrays).
    push(
        "access token without groups",
        "GET",
        "/me",
        &nobody,
        (
            200,
            None,
            json!({
                "sub": sub, "username": username, "client_id": client,
                "scopes": ["openid"], "groups": [],
            }),
        ),
    );

    // Routing comes before authentication: an unknown path is 404 and an
    // unknown method 405 (with `Allow`), with or without a token; `HEAD` is
    // answered like `GET`, without the body.
    let token = good(false);
    let mut push = |what: &str,
                    method: &'static str,
                    path: &'static str,
                    authorization: Vec<String>,
                    (status, www_authenticate): (u16, Option<String>),
                    allow: Option<&'static str>| {
        cases.push(Case {
            what: what.into(),
            method,
            path,
            authorization,
            status,
            www_authenticate,
            body: Value::Null,
            allow,
            empty_body: method == "HEAD",
        });
    };
    for (auth, authorization) in [("no token", vec![]), ("good token", bearer(&token))] {
        push(
            &format!("unknown path, {auth}"),
            "GET",
            "/nope",
            authorization.clone(),
            (404, None),
            None,
        );
        push(
            &format!("metrics not exposed (no EXPOSE_METRICS), {auth}"),
            "GET",
            "/metrics",
            authorization.clone(),
            (404, None),
            None,
        );
        for (method, path, allow) in [
            ("DELETE", "/orders", "GET, HEAD, POST"),
            ("PUT", "/me", "GET, HEAD"),
            ("OPTIONS", "/admin", "GET, HEAD"),
            ("POST", "/health", "GET, HEAD"),
            ("POST", "/ready", "GET, HEAD"),
        ] {
            push(
                &format!("unknown method, {auth}"),
                method,
                path,
                authorization.clone(),
                (405, None),
                Some(allow),
            );
        }
        push(
            &format!("HEAD of the health check, {auth}"),
            "HEAD",
            "/health",
            authorization,
            (200, None),
            None,
        );
    }
    push(
        "HEAD, no token",
        "HEAD",
        "/me",
        vec![],
        (401, Some("Bearer".into())),
        None,
    );
    push(
        "HEAD, good token",
        "HEAD",
        "/me",
        bearer(&token),
        (200, None),
        None,
    );
    cases
}

//! `lambda-api` run as AWS Lambda runs it: the built binary, the environment
//! Lambda sets, a loopback Runtime API (`cognito_jwt_e2e::lambda_runtime`),
//! and AWS's published API Gateway and ALB event samples
//! (`cognito_jwt_e2e::lambda_events`, `tests/fixtures/lambda/`).
//!
//! Each event shape gets the example contract's whole table
//! (`cognito_jwt_e2e::contract::cases`, the one `axum-api` and `actix-api`
//! answer over TCP) and must give the same status, `WWW-Authenticate` and
//! body, read from the event response.

use std::process::Command;
use std::time::{Duration, Instant};

use cognito_jwt_e2e::contract::{self, Case};
use cognito_jwt_e2e::lambda_events::Shape;
use cognito_jwt_e2e::lambda_runtime::{Function, Outcome};
use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
use serde_json::{Value, json};

/// `lambda-api` for `issuer`'s pool, its keys at `jwks`, with
/// `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` set or not.
fn start_with(issuer: &TestIssuer, jwks: &JwksServer, ignore_stage: bool) -> Function {
    let binary = contract::example_binary("lambda-api");
    let pool = issuer.pool_id().expect("a Cognito-shaped test issuer");
    let client = issuer.client_id();
    let jwks_url = jwks.url();
    let mut all = vec![
        ("COGNITO_USER_POOL_ID", pool.as_str()),
        ("COGNITO_JWKS_URI", jwks_url.as_str()),
        ("COGNITO_CLIENT_IDS", client.as_str()),
    ];
    // REST API events carry the stage ("testStage" in the sample); without
    // this, `lambda_http` puts it in front of the path.
    if ignore_stage {
        all.push(("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true"));
    }
    Function::start(&binary, &all)
}

/// [`start_with`], configured as the README says.
fn start(issuer: &TestIssuer, jwks: &JwksServer) -> Function {
    start_with(issuer, jwks, true)
}

/// The function's response to one event, or why there is none.
fn respond(function: &Function, event: &Value) -> Result<Value, String> {
    match function.invoke(event) {
        Outcome::Response(response) => Ok(response),
        Outcome::Error { error_type, body } => {
            Err(format!("the function reported {error_type:?}: {body}"))
        }
    }
}

/// What `case` must get when its `Authorization` lines reach the function
/// as `shape` delivers them. Only the table's "two Authorization headers"
/// case sends more than one, and only an ALB with multi-value headers
/// passes both on; the others hand the function one line:
/// - an HTTP API joins them (`Bearer <good>,Bearer other`): 400, a
///   malformed header;
/// - a REST API event's `headers`, and an ALB without multi-value headers,
///   hold the last (`Bearer other`): 401, not a JWT.
fn as_delivered(shape: Shape, case: &Case) -> Case {
    let delivered = shape.delivers(&case.authorization);
    if delivered == case.authorization {
        return case.clone();
    }
    let (status, error, description) = match delivered.as_slice() {
        [joined] if joined.contains(',') => {
            (400, "invalid_request", "malformed Authorization header")
        }
        [last] if last == "Bearer other" => (401, "invalid_token", "the token is malformed"),
        other => panic!("{}: no expectation for {other:?}", case.what),
    };
    Case {
        what: format!("{} (delivered as {delivered:?})", case.what),
        status,
        www_authenticate: Some(format!(
            r#"Bearer error="{error}", error_description="{description}""#
        )),
        body: json!({ "error": error, "error_description": description }),
        ..case.clone()
    }
}

#[test]
fn every_event_shape_gets_the_contract_answers() {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let function = start(&issuer, &jwks);
    // Cold start: the keys were fetched during init, before any event.
    assert_eq!(jwks.fetch_count(), 1, "one prefetch before the first poll");

    let cases = contract::cases(&issuer);
    let mut failures = Vec::new();
    let walk = Instant::now();
    for shape in Shape::ALL {
        for case in &cases {
            let expected = as_delivered(shape, case);
            let event = shape.event(case.method, case.path, &case.authorization);
            let wrong = match respond(&function, &event).and_then(|r| shape.answer(&r)) {
                Ok(answer) => expected.mismatches(&answer),
                Err(e) => vec![e],
            };
            if !wrong.is_empty() {
                failures.push(format!("{shape:?}: {}", expected.failure(&wrong)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n\n{}\n--- lambda-api (tail) ---\n{}",
        failures.len(),
        cases.len() * Shape::ALL.len(),
        failures.join("\n\n"),
        function.log_tail()
    );
    // One execution environment served every event on the keys of its cold
    // start: the only fetches since are the refetches for the table's
    // unknown `kid`, one per cooldown (10 s by default) at most.
    let cooldowns = walk.elapsed().as_secs() / 10 + 1;
    let refetches = jwks.fetch_count() - 1;
    assert!(
        (1..=cooldowns).contains(&refetches),
        "{refetches} refetches in {:?}",
        walk.elapsed()
    );
    // One poll per event, and then the next one, which waits.
    let events = (cases.len() * Shape::ALL.len()) as u64;
    let deadline = Instant::now() + Duration::from_secs(5);
    while function.runtime.polls() <= events && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(function.runtime.polls(), events + 1);
}

/// Two `Authorization` headers, a bad one first: only the shapes that pass
/// both on let the layer refuse the request for carrying two credentials;
/// behind a REST API or an ALB without multi-value headers, the function
/// sees the last header only, and that one is good.
#[test]
fn two_authorization_headers_reach_the_function_as_each_service_passes_them() {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let function = start(&issuer, &jwks);
    let good = issuer.access_token().build();
    let sent = ["Bearer junk".to_owned(), format!("Bearer {good}")];
    for (shape, status, error) in [
        (
            Shape::HttpApiV2,
            400,
            Some("malformed Authorization header"),
        ),
        (Shape::RestApiV1, 200, None),
        (
            Shape::AlbMultiValue,
            400,
            Some("more than one credential in the request"),
        ),
        (Shape::AlbHeaders, 200, None),
    ] {
        let response = respond(&function, &shape.event("GET", "/me", &sent)).expect("a response");
        let answer = shape.answer(&response).expect("an answer");
        assert_eq!(answer.status, status, "{shape:?}: {}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).expect("JSON");
        match error {
            Some(description) => assert_eq!(
                body,
                json!({ "error": "invalid_request", "error_description": description }),
                "{shape:?}"
            ),
            None => assert_eq!(body["sub"], issuer.user_sub(), "{shape:?}"),
        }
    }
}

/// The pool's JWKS down during the cold start: the function starts anyway
/// (the prefetch is bounded), a good token gets 503 with `Retry-After`,
/// never a 401 the client would act on, and the same execution environment
/// answers 200 once the keys can be had.
#[test]
fn a_jwks_outage_at_cold_start_is_503_not_401() {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    jwks.set_mode(Mode::Status(503));
    let function = start(&issuer, &jwks);
    assert!(
        jwks.fetch_count() >= 1,
        "the prefetch was tried during init"
    );
    let token = vec![format!("Bearer {}", issuer.access_token().build())];

    for shape in Shape::ALL {
        let response = respond(&function, &shape.event("GET", "/me", &token)).expect("a response");
        let answer = shape.answer(&response).expect("an answer");
        assert_eq!(answer.status, 503, "{shape:?}: {}", answer.body);
        assert_eq!(answer.www_authenticate, None, "{shape:?}: no challenge");
        let body: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(
            body,
            json!({
                "error": "temporarily_unavailable",
                "error_description": "the token cannot be verified right now",
            }),
            "{shape:?}"
        );
        let retry_after: u64 = shape
            .header(&response, "retry-after")
            .expect("one value")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{shape:?}: Retry-After in seconds: {response}"));
        assert!(retry_after >= 1, "{shape:?}: {retry_after}");
    }

    jwks.set_mode(Mode::Normal);
    let deadline = Instant::now() + Duration::from_secs(20);
    let event = Shape::HttpApiV2.event("GET", "/me", &token);
    loop {
        let response = respond(&function, &event).expect("a response");
        match response["statusCode"].as_u64() {
            Some(200) => break,
            Some(503) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250))
            }
            _ => panic!("after the outage: {response}\n{}", function.log_tail()),
        }
    }
}

/// Without the stage setting, a REST API event's stage ends up in front of
/// the path and no route matches: `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`
/// is part of the function's configuration (README, "In AWS Lambda").
#[test]
fn a_rest_api_stage_needs_the_ignore_stage_setting() {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let token = vec![format!("Bearer {}", issuer.access_token().build())];
    let event = Shape::RestApiV1.event("GET", "/me", &token);
    assert_eq!(event["requestContext"]["stage"], "testStage");
    for (ignore_stage, status) in [(true, 200), (false, 404)] {
        let function = start_with(&issuer, &jwks, ignore_stage);
        let response = respond(&function, &event).expect("a response");
        assert_eq!(
            response["statusCode"], status,
            "ignore stage {ignore_stage}: {response}"
        );
    }
}

/// A function has no listening address to name its resource after: it
/// serves RFC 9728 metadata only when `COGNITO_RESOURCE` names the resource
/// (then every challenge points to it), never a made-up document.
#[test]
fn the_metadata_document_is_served_only_for_a_named_resource() {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let binary = contract::example_binary("lambda-api");
    let pool = issuer.pool_id().expect("a Cognito-shaped test issuer");
    let client = issuer.client_id();
    let jwks_url = jwks.url();
    let base = [
        ("COGNITO_USER_POOL_ID", pool.as_str()),
        ("COGNITO_JWKS_URI", jwks_url.as_str()),
        ("COGNITO_CLIENT_IDS", client.as_str()),
    ];
    let document = "/.well-known/oauth-protected-resource";
    let no_token: Vec<String> = Vec::new();

    let unnamed = Function::start(&binary, &base);
    for path in [document, "/.well-known/oauth-protected-resource/orders"] {
        let response =
            respond(&unnamed, &Shape::HttpApiV2.event("GET", path, &no_token)).expect("a response");
        assert_eq!(response["statusCode"], 404, "{path}: {response}");
    }
    let challenge = Shape::HttpApiV2
        .answer(
            &respond(&unnamed, &Shape::HttpApiV2.event("GET", "/me", &no_token))
                .expect("a response"),
        )
        .expect("an answer");
    assert_eq!(challenge.www_authenticate.as_deref(), Some("Bearer"));
    drop(unnamed);

    let resource = "https://api.example.com/orders";
    let mut named_env = base.to_vec();
    named_env.push(("COGNITO_RESOURCE", resource));
    let named = Function::start(&binary, &named_env);
    let path = "/.well-known/oauth-protected-resource/orders";
    let answer = Shape::HttpApiV2
        .answer(
            &respond(&named, &Shape::HttpApiV2.event("GET", path, &no_token)).expect("a response"),
        )
        .expect("an answer");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(body["resource"], resource, "{body}");
    assert_eq!(
        body["authorization_servers"],
        json!([issuer.issuer()]),
        "{body}"
    );
    let challenge = Shape::HttpApiV2
        .answer(
            &respond(&named, &Shape::HttpApiV2.event("GET", "/me", &no_token)).expect("a response"),
        )
        .expect("an answer");
    assert_eq!(
        challenge.www_authenticate.as_deref(),
        Some(
            r#"Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders""#
        ),
    );
}

/// A missing Lambda or Cognito variable stops the function at once, with
/// exit code 2 and a message naming it (not the runtime's panic).
#[test]
fn a_missing_variable_is_named() {
    let binary = contract::example_binary("lambda-api");
    let lambda = Function::lambda_env("127.0.0.1:9");
    let pool = ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123".to_owned());
    let clients = ("COGNITO_CLIENT_IDS", "client".to_owned());
    let without = |name: &str| -> Vec<(&str, String)> {
        lambda
            .iter()
            .cloned()
            .chain([pool.clone(), clients.clone()])
            .filter(|(k, _)| *k != name)
            .collect()
    };
    for (env, message) in [
        (
            without("AWS_LAMBDA_RUNTIME_API"),
            "lambda-api: AWS_LAMBDA_RUNTIME_API is not set",
        ),
        (
            without("AWS_LAMBDA_FUNCTION_NAME"),
            "lambda-api: AWS_LAMBDA_FUNCTION_NAME is not set",
        ),
        (
            without("COGNITO_USER_POOL_ID"),
            "lambda-api: set COGNITO_USER_POOL_ID (or COGNITO_ISSUER) and COGNITO_CLIENT_IDS",
        ),
        (
            without("COGNITO_CLIENT_IDS"),
            "lambda-api: COGNITO_CLIENT_IDS is required",
        ),
    ] {
        let output = Command::new(&binary)
            .env_clear()
            .envs(env)
            .output()
            .expect("run lambda-api");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}: {stderr}");
        assert!(
            stderr.contains(message),
            "expected {message:?} in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

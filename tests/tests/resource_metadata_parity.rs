//! The adapters' RFC 9728 service answers alike: one table of requests,
//! each sent in-process to an axum app (`cognito_jwt_tower::ResourceMetadata`
//! as a router layer) and an actix-web app (`cognito_jwt_actix::ResourceMetadata`
//! as an `App::service`), both built with `CognitoAuth::publish` for a
//! resource at a path, with the protected route behind `CognitoAuth`.

use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const RESOURCE: &str = "https://mcp.example.com/mcp";
const DOCUMENT_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
const DOCUMENT_URL: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

/// One answer, as compared across adapters.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    cache_control: Option<String>,
    allow: Option<String>,
    www_authenticate: Option<String>,
    body: String,
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn document() -> (Verifier, ProtectedResourceMetadata) {
    let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
        .client_ids(["1example23456789"])
        .token_use(TokenUse::Access)
        .for_resource(RESOURCE)
        .build()
        .expect("verifier");
    let metadata = ProtectedResourceMetadata::for_verifier(&verifier)
        .expect("a resource")
        .scopes_supported(["mcp/read", "mcp/write"]);
    (verifier, metadata)
}

async fn axum_answer(method: &str, path: &str) -> Answer {
    let (verifier, metadata) = document();
    let (auth, metadata) = cognito_jwt_tower::CognitoAuth::new(verifier)
        .publish(metadata)
        .expect("publish");
    let app = axum::Router::new()
        .route_service(
            "/mcp",
            tower::Layer::layer(
                &auth,
                tower::service_fn(|_: http::Request<axum::body::Body>| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::from(
                        "tools",
                    )))
                }),
            ),
        )
        .layer(metadata);
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status.as_u16(),
        content_type: header(&parts.headers, "content-type"),
        cache_control: header(&parts.headers, "cache-control"),
        allow: header(&parts.headers, "allow"),
        www_authenticate: header(&parts.headers, "www-authenticate"),
        body: String::from_utf8_lossy(&body.collect().await.expect("body").to_bytes()).into_owned(),
    }
}

async fn actix_answer(method: &str, path: &str) -> Answer {
    use actix_web::{App, HttpResponse, test, web};
    let (verifier, metadata) = document();
    let (auth, metadata) = cognito_jwt_actix::CognitoAuth::new(verifier)
        .publish(metadata)
        .expect("publish");
    let app = test::init_service(
        App::new().service(metadata).service(
            web::resource("/mcp")
                .wrap(auth)
                .to(|| async { HttpResponse::Ok().body("tools") }),
        ),
    )
    .await;
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    let request = test::TestRequest::default()
        .method(method)
        .uri(path)
        .to_request();
    let response = test::call_service(&app, request).await;
    let headers = response.headers().clone();
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Answer {
        status: response.status().as_u16(),
        content_type: get("content-type"),
        cache_control: get("cache-control"),
        allow: get("allow"),
        www_authenticate: get("www-authenticate"),
        body: String::from_utf8_lossy(&test::read_body(response).await).into_owned(),
    }
}

#[test]
fn both_adapters_serve_the_document_alike() {
    let served = |body: String| Answer {
        status: 200,
        content_type: Some("application/json".into()),
        cache_control: Some("public, max-age=3600".into()),
        allow: None,
        www_authenticate: None,
        body,
    };
    let challenged = || Answer {
        status: 401,
        content_type: Some("application/json".into()),
        cache_control: None,
        allow: None,
        www_authenticate: Some(format!(r#"Bearer resource_metadata="{DOCUMENT_URL}""#)),
        body: r#"{"error":"unauthorized","error_description":"authentication required"}"#.into(),
    };
    let json = document().1.to_json();
    let parsed: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        parsed,
        json!({
            "resource": RESOURCE,
            "authorization_servers": ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"],
            "scopes_supported": ["mcp/read", "mcp/write"],
            "bearer_methods_supported": ["header"],
        })
    );
    let with_query = format!("{DOCUMENT_PATH}?x=1");
    let table = [
        ("GET", DOCUMENT_PATH, served(json.clone())),
        ("GET", with_query.as_str(), served(json)),
        ("HEAD", DOCUMENT_PATH, served(String::new())),
        ("POST", DOCUMENT_PATH, not_allowed()),
        ("PUT", DOCUMENT_PATH, not_allowed()),
        ("DELETE", DOCUMENT_PATH, not_allowed()),
        // Near misses are not the document: the root form of a resource at
        // a path, a trailing slash, another suffix.
        ("GET", "/.well-known/oauth-protected-resource", not_found()),
        (
            "GET",
            "/.well-known/oauth-protected-resource/mcp/",
            not_found(),
        ),
        (
            "GET",
            "/.well-known/oauth-protected-resource/mcpx",
            not_found(),
        ),
        // The path as sent decides, in the core's one rule: actix's router
        // re-quotes percent-encoded unreserved characters (`%6D` is `m`),
        // which must not make its adapter answer a path the other passes on;
        // nor does either adapter fold doubled slashes.
        (
            "GET",
            "/.well-known/oauth-protected-resource/%6Dcp",
            not_found(),
        ),
        (
            "GET",
            "/.well-known/oauth-protected-resource/%6dcp",
            not_found(),
        ),
        (
            "GET",
            "/.well-known/%6Fauth-protected-resource/mcp",
            not_found(),
        ),
        (
            "GET",
            "/.well-known/oauth-protected-resource//mcp",
            not_found(),
        ),
        (
            "GET",
            "//.well-known/oauth-protected-resource/mcp",
            not_found(),
        ),
        (
            "POST",
            "/.well-known/oauth-protected-resource/%6Dcp",
            not_found(),
        ),
        // The protected route: no token, challenged with the document's URL.
        ("GET", "/mcp", challenged()),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    for (method, path, expected) in &table {
        let axum = runtime.block_on(axum_answer(method, path));
        let actix = actix_web::rt::System::new().block_on(actix_answer(method, path));
        for (adapter, answer) in [("axum", axum), ("actix", actix)] {
            if answer != *expected {
                failures.push(format!(
                    "{adapter} {method} {path}:\n  got      {answer:?}\n  expected {expected:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A path that is not routed.
fn not_found() -> Answer {
    Answer {
        status: 404,
        content_type: None,
        cache_control: None,
        allow: None,
        www_authenticate: None,
        body: String::new(),
    }
}

/// Any method but GET and HEAD on the document's path.
fn not_allowed() -> Answer {
    Answer {
        status: 405,
        content_type: None,
        cache_control: None,
        allow: Some("GET, HEAD".into()),
        www_authenticate: None,
        body: String::new(),
    }
}

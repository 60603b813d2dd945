//! Router-level tests (`tower::ServiceExt::oneshot`) against a testkit issuer.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::handler::Handler;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use cognito_jwt::{
    Claims, GroupSet, Issuer, JwksOptions, Requirement, ScopeSet, TokenSource, TokenUse, Verifier,
};
use cognito_jwt_testkit::{DEFAULT_POOL_ID, JwksServer, Mode, TestIssuer};
use cognito_jwt_tower::body::{RejectionBody, ResponseBody};
use cognito_jwt_tower::{
    AccessToken, Authenticated, ClaimsAs, CognitoAuth, IdToken, Rejection, Require, RequireGroup,
    RequireScope,
};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt, service_fn};

struct Fixture {
    issuer: TestIssuer,
    server: JwksServer,
    verifier: Verifier,
}

fn fixture() -> Fixture {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let verifier = verifier_for(&issuer, &server);
    Fixture {
        issuer,
        server,
        verifier,
    }
}

fn verifier_for(issuer: &TestIssuer, server: &JwksServer) -> Verifier {
    Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(server.url()))
        .client_ids([issuer.client_id()])
        .any_token_use()
        .build()
        .unwrap()
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// An RFC 6750 refusal, exactly.
    fn assert_refused(
        &self,
        status: u16,
        www_authenticate: Option<&str>,
        error: &str,
        description: &str,
    ) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.header("www-authenticate"), www_authenticate);
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(
            self.json(),
            json!({ "error": error, "error_description": description })
        );
    }
}

async fn send<S, B>(app: S, request: Request<Body>) -> Reply
where
    S: tower::Service<Request<Body>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let response = app.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn get_with(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get(path);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::empty()).unwrap()
}

fn bearer(path: &str, token: &str) -> Request<Body> {
    get_with(path, &[("authorization", &format!("Bearer {token}"))])
}

async fn sub(Extension(claims): Extension<Claims>) -> String {
    claims.sub().to_owned()
}

fn app(layer: CognitoAuth) -> Router {
    Router::new().route("/", get(sub)).layer(layer)
}

const INVALID_TOKEN: &str = "invalid_token";

fn invalid_token(description: &str) -> String {
    format!(r#"Bearer error="invalid_token", error_description="{description}""#)
}

#[tokio::test]
async fn valid_token_reaches_the_handler_with_claims() {
    let f = fixture();
    let token = f.issuer.access_token().build();
    let reply = send(
        app(CognitoAuth::new(f.verifier.clone())),
        bearer("/", &token),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, f.issuer.user_sub());
    // Scheme is case-insensitive.
    let reply = send(
        app(CognitoAuth::new(f.verifier)),
        get_with("/", &[("authorization", &format!("bEARer {token}"))]),
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn no_credentials_is_a_bare_challenge() {
    let f = fixture();
    let reply = send(
        app(CognitoAuth::new(f.verifier.clone())),
        get_with("/", &[]),
    )
    .await;
    reply.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );
    // Another scheme is not bearer credentials.
    let reply = send(
        app(CognitoAuth::new(f.verifier.clone())),
        get_with("/", &[("authorization", "Basic dXNlcjpwYXNz")]),
    )
    .await;
    reply.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );
    let reply = send(
        app(CognitoAuth::new(f.verifier).realm("orders").unwrap()),
        get_with("/", &[]),
    )
    .await;
    reply.assert_refused(
        401,
        Some(r#"Bearer realm="orders""#),
        "unauthorized",
        "authentication required",
    );
}

#[tokio::test]
async fn malformed_authorization_is_400() {
    let f = fixture();
    for value in [
        "Bearer",
        "Bearer  abc",
        "Bearer a b",
        "Bearer a\"b",
        "Bearer\tabc",
        "Bearer:abc",
    ] {
        let reply = send(
            app(CognitoAuth::new(f.verifier.clone())),
            get_with("/", &[("authorization", value)]),
        )
        .await;
        reply.assert_refused(
            400,
            Some(r#"Bearer error="invalid_request", error_description="malformed Authorization header""#),
            "invalid_request",
            "malformed Authorization header",
        );
    }
    // Two Authorization headers.
    let reply = send(
        app(CognitoAuth::new(f.verifier)),
        get_with(
            "/",
            &[("authorization", "Bearer a"), ("authorization", "Bearer b")],
        ),
    )
    .await;
    reply.assert_refused(
        400,
        Some(r#"Bearer error="invalid_request", error_description="more than one credential in the request""#),
        "invalid_request",
        "more than one credential in the request",
    );
}

#[tokio::test]
async fn invalid_tokens_are_401_invalid_token() {
    let f = fixture();
    let other_client = f.issuer.access_token().client_id("someoneelse").build();
    let cases = [
        (
            f.issuer.access_token().tamper_payload().build(),
            "the token signature is invalid",
        ),
        (
            f.issuer.access_token().expires_in(-3600).build(),
            "the token has expired",
        ),
        (
            other_client,
            "the token was issued to a client that is not allowed",
        ),
        ("abc.def".to_owned(), "the token is malformed"),
    ];
    for (token, description) in cases {
        let reply = send(
            app(CognitoAuth::new(f.verifier.clone())),
            bearer("/", &token),
        )
        .await;
        reply.assert_refused(
            401,
            Some(&invalid_token(description)),
            INVALID_TOKEN,
            description,
        );
    }
}

#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let f = fixture();
    f.server.set_mode(Mode::Status(500));
    let verifier = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(f.server.url()))
        .client_ids([f.issuer.client_id()])
        .any_token_use()
        .jwks_options(JwksOptions {
            fetch_timeout: Duration::from_secs(2),
            ..Default::default()
        })
        .build()
        .unwrap();
    let token = f.issuer.access_token().build();
    let reply = send(app(CognitoAuth::new(verifier)), bearer("/", &token)).await;
    reply.assert_refused(
        503,
        None,
        "temporarily_unavailable",
        "the token cannot be verified right now",
    );
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
}

struct OrdersWrite;
impl ScopeSet for OrdersWrite {
    const SCOPES: &'static [&'static str] = &["orders/write"];
}

struct ReadAndWrite;
impl ScopeSet for ReadAndWrite {
    const SCOPES: &'static [&'static str] = &["orders/read", "orders/write"];
    const ALL: bool = true;
}

struct Admins;
impl GroupSet for Admins {
    const GROUPS: &'static [&'static str] = &["admin"];
}

const MISSING_SCOPE: &str = "the token lacks the required scope";
const MISSING_GROUP: &str = "the user is not in the required group";
const WRONG_USE: &str = "the token is not of the kind this resource accepts";

fn insufficient(description: &str, scope: Option<&str>) -> String {
    let mut h = format!(r#"Bearer error="insufficient_scope", error_description="{description}""#);
    if let Some(scope) = scope {
        h.push_str(&format!(r#", scope="{scope}""#));
    }
    h
}

fn extractor_app(layer: CognitoAuth) -> Router {
    #[derive(serde::Deserialize)]
    struct Custom {
        sub: String,
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    Router::new()
        .route(
            "/any",
            get(|Authenticated(c): Authenticated| async move { c.sub().to_owned() }),
        )
        .route(
            "/access",
            get(|AccessToken(c): AccessToken| async move { c.token_use().to_string() }),
        )
        .route(
            "/id",
            get(|IdToken(c): IdToken| async move { c.token_use().to_string() }),
        )
        .route(
            "/custom",
            get(|ClaimsAs(c): ClaimsAs<Custom>| async move { format!("{} {}", c.sub, c.tenant) }),
        )
        .route(
            "/write",
            post(|t: RequireScope<OrdersWrite>| async move { t.sub().to_owned() }),
        )
        .route(
            "/both",
            get(|t: RequireScope<ReadAndWrite>| async move { t.into_claims().sub().to_owned() }),
        )
        .route(
            "/admins",
            get(|g: RequireGroup<Admins>| async move { g.sub().to_owned() }),
        )
        .route(
            "/maybe",
            get(|c: Option<AccessToken>| async move {
                c.map_or("anonymous".to_owned(), |c| c.sub().to_owned())
            }),
        )
        .route(
            "/maybe-custom",
            get(|c: Option<ClaimsAs<Value>>| async move {
                c.map_or("anonymous".to_owned(), |c| c.0["sub"].to_string())
            }),
        )
        .layer(layer)
}

#[tokio::test]
async fn extractors() {
    let f = fixture();
    let app = extractor_app(CognitoAuth::new(f.verifier.clone()));
    let access = f.issuer.access_token().build();
    let id = f.issuer.id_token().build();
    let sub = f.issuer.user_sub();

    for (path, token, body) in [
        ("/any", &access, sub.as_str()),
        ("/any", &id, &sub),
        ("/access", &access, "access"),
        ("/id", &id, "id"),
        ("/maybe", &access, &sub),
    ] {
        let reply = send(app.clone(), bearer(path, token)).await;
        assert_eq!(
            (reply.status.as_u16(), reply.body.as_str()),
            (200, body),
            "{path}"
        );
    }

    // The wrong kind of token is 401 invalid_token, also for the Option form.
    for (path, token) in [("/access", &id), ("/id", &access), ("/maybe", &id)] {
        let reply = send(app.clone(), bearer(path, token)).await;
        reply.assert_refused(
            401,
            Some(&invalid_token(WRONG_USE)),
            INVALID_TOKEN,
            WRONG_USE,
        );
    }

    // Custom claims type.
    let tenant = f
        .issuer
        .access_token()
        .claim("custom:tenant", "acme")
        .build();
    let reply = send(app.clone(), bearer("/custom", &tenant)).await;
    assert_eq!(reply.body, format!("{sub} acme"));
    let reply = send(app.clone(), bearer("/custom", &access)).await;
    let d = "the token claims are not acceptable";
    reply.assert_refused(401, Some(&invalid_token(d)), INVALID_TOKEN, d);
}

#[tokio::test]
async fn scope_and_group_extractors() {
    let f = fixture();
    let app = extractor_app(CognitoAuth::new(f.verifier.clone()));
    let sub = f.issuer.user_sub();
    let post_write = |token: &str| {
        Request::post("/write")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };

    let writer = f.issuer.access_token().scopes(&["orders/write"]).build();
    let reply = send(app.clone(), post_write(&writer)).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, sub.as_str())
    );

    let reader = f.issuer.access_token().scopes(&["orders/read"]).build();
    let reply = send(app.clone(), post_write(&reader)).await;
    reply.assert_refused(
        403,
        Some(&insufficient(MISSING_SCOPE, Some("orders/write"))),
        "insufficient_scope",
        MISSING_SCOPE,
    );

    // An ID token never carries scopes: 401, not 403.
    let id = f.issuer.id_token().build();
    let reply = send(app.clone(), post_write(&id)).await;
    reply.assert_refused(
        401,
        Some(&invalid_token(WRONG_USE)),
        INVALID_TOKEN,
        WRONG_USE,
    );

    // All-of.
    let reply = send(app.clone(), bearer("/both", &writer)).await;
    reply.assert_refused(
        403,
        Some(&insufficient(
            MISSING_SCOPE,
            Some("orders/read orders/write"),
        )),
        "insufficient_scope",
        MISSING_SCOPE,
    );
    let both = f
        .issuer
        .access_token()
        .scopes(&["orders/write", "orders/read"])
        .build();
    assert_eq!(send(app.clone(), bearer("/both", &both)).await.status, 200);

    // Groups, on either token kind.
    let admin = f.issuer.id_token().groups(&["admin"]).build();
    assert_eq!(
        send(app.clone(), bearer("/admins", &admin)).await.status,
        200
    );
    let reply = send(app.clone(), bearer("/admins", &writer)).await;
    reply.assert_refused(
        403,
        Some(&insufficient(MISSING_GROUP, None)),
        "insufficient_scope",
        MISSING_GROUP,
    );
}

#[tokio::test]
async fn optional_mode() {
    let f = fixture();
    let app = extractor_app(CognitoAuth::new(f.verifier.clone()).optional());

    // No token: the handler runs, without claims.
    let reply = send(app.clone(), get_with("/maybe", &[])).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "anonymous")
    );
    let reply = send(app.clone(), get_with("/maybe-custom", &[])).await;
    assert_eq!(reply.body, "anonymous");

    // A bad token is still refused by the layer.
    let expired = f.issuer.access_token().expires_in(-60).build();
    let reply = send(app.clone(), bearer("/maybe", &expired)).await;
    let d = "the token has expired";
    reply.assert_refused(401, Some(&invalid_token(d)), INVALID_TOKEN, d);

    // A required extractor on an optional route answers the bare challenge.
    let reply = send(app.clone(), get_with("/any", &[])).await;
    reply.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );
    let reply = send(app.clone(), get_with("/write", &[])).await;
    assert_eq!(reply.status, 405); // method routing comes first
    let request = Request::post("/write").body(Body::empty()).unwrap();
    let reply = send(app.clone(), request).await;
    reply.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );

    // A good token works as usual.
    let token = f.issuer.access_token().build();
    let reply = send(app, bearer("/maybe", &token)).await;
    assert_eq!(reply.body, f.issuer.user_sub());
}

#[tokio::test]
async fn require_layer_per_route_and_router() {
    let f = fixture();
    let app = Router::new()
        .route(
            "/orders",
            get(sub).route_layer(Require::access_token().any_scope(["orders/read"]).unwrap()),
        )
        .route(
            "/orders",
            post(sub).route_layer(Require::access_token().any_scope(["orders/write"]).unwrap()),
        )
        .route(
            "/admin",
            get(sub).route_layer(Require::new(
                Requirement::new()
                    .token_use(TokenUse::Access)
                    .any_group(["admin"])
                    .unwrap(),
            )),
        )
        .route("/profile", get(sub).route_layer(Require::id_token()))
        .route(
            "/tenant",
            get(sub).route_layer(Require::access_token().check(|c| {
                match c.get("custom:tenant").and_then(Value::as_str) {
                    Some("acme") => Ok(()),
                    _ => Err("wrong tenant".into()),
                }
            })),
        )
        .merge(
            Router::new().route("/reports", get(sub)).route_layer(
                Require::access_token()
                    .all_groups(["finance", "staff"])
                    .unwrap(),
            ),
        )
        .layer(CognitoAuth::new(f.verifier.clone()));

    let reader = f.issuer.access_token().scopes(&["orders/read"]).build();
    let admin = f.issuer.access_token().groups(&["admin"]).build();
    let id = f.issuer.id_token().groups(&["admin"]).build();

    assert_eq!(
        send(app.clone(), bearer("/orders", &reader)).await.status,
        200
    );
    let post = Request::post("/orders")
        .header("authorization", format!("Bearer {reader}"))
        .body(Body::empty())
        .unwrap();
    send(app.clone(), post).await.assert_refused(
        403,
        Some(&insufficient(MISSING_SCOPE, Some("orders/write"))),
        "insufficient_scope",
        MISSING_SCOPE,
    );
    assert_eq!(
        send(app.clone(), bearer("/admin", &admin)).await.status,
        200
    );
    send(app.clone(), bearer("/admin", &reader))
        .await
        .assert_refused(
            403,
            Some(&insufficient(MISSING_GROUP, None)),
            "insufficient_scope",
            MISSING_GROUP,
        );
    // ID token on an access route, access token on the ID route: 401.
    send(app.clone(), bearer("/admin", &id))
        .await
        .assert_refused(
            401,
            Some(&invalid_token(WRONG_USE)),
            INVALID_TOKEN,
            WRONG_USE,
        );
    send(app.clone(), bearer("/profile", &admin))
        .await
        .assert_refused(
            401,
            Some(&invalid_token(WRONG_USE)),
            INVALID_TOKEN,
            WRONG_USE,
        );
    assert_eq!(send(app.clone(), bearer("/profile", &id)).await.status, 200);

    // Custom check.
    let acme = f
        .issuer
        .access_token()
        .claim("custom:tenant", "acme")
        .build();
    assert_eq!(
        send(app.clone(), bearer("/tenant", &acme)).await.status,
        200
    );
    let d = "the token does not grant access to this resource";
    send(app.clone(), bearer("/tenant", &reader))
        .await
        .assert_refused(403, Some(&insufficient(d, None)), "insufficient_scope", d);

    // Router-wide, all-of groups.
    let staff = f.issuer.access_token().groups(&["staff"]).build();
    send(app.clone(), bearer("/reports", &staff))
        .await
        .assert_refused(
            403,
            Some(&insufficient(MISSING_GROUP, None)),
            "insufficient_scope",
            MISSING_GROUP,
        );
    let both = f
        .issuer
        .access_token()
        .groups(&["staff", "finance"])
        .build();
    assert_eq!(send(app, bearer("/reports", &both)).await.status, 200);
}

#[tokio::test]
async fn without_auth_layer_route_guards_fail_closed() {
    let app = Router::new()
        .route(
            "/a",
            get(|c: AccessToken| async move { c.sub().to_owned() }),
        )
        .route("/b", get(sub).route_layer(Require::access_token()));
    for path in ["/a", "/b"] {
        let reply = send(app.clone(), get_with(path, &[])).await;
        assert_eq!(reply.status, 500, "{path}");
        assert_eq!(reply.header("www-authenticate"), None, "{path}");
        assert_eq!(reply.json()["error"], "server_error");
        assert_eq!(
            reply.json()["error_description"],
            "authentication is not configured for this route"
        );
    }
}

#[tokio::test]
async fn cookie_and_header_sources() {
    let f = fixture();
    let token = f.issuer.access_token().build();
    let layer = CognitoAuth::new(f.verifier.clone()).token_source(
        TokenSource::default()
            .cookie("access_token")
            .header("x-access-token"),
    );
    let app = app(layer);

    let cookie = format!("theme=dark; access_token={token}");
    let reply = send(app.clone(), get_with("/", &[("cookie", &cookie)])).await;
    assert_eq!(reply.status, 200);
    let reply = send(app.clone(), get_with("/", &[("x-access-token", &token)])).await;
    assert_eq!(reply.status, 200);

    // Two credentials at once: 400.
    let reply = send(
        app.clone(),
        get_with(
            "/",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("cookie", &cookie),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_request");

    // Off by default.
    let reply = send(
        self::app(CognitoAuth::new(f.verifier)),
        get_with("/", &[("cookie", &cookie)]),
    )
    .await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn render_hook() {
    let f = fixture();
    let layer = CognitoAuth::new(f.verifier.clone()).render_rejection(|r: &Rejection<'_>| {
        let mut response = Response::new(Bytes::from(format!(
            "{{\"code\":{},\"kind\":\"{}\"}}",
            r.challenge().status(),
            r.error().kind()
        )));
        *response.status_mut() = StatusCode::from_u16(r.challenge().status()).unwrap();
        response
    });
    let app = extractor_app(layer);
    let reply = send(app.clone(), get_with("/any", &[])).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"code":401,"kind":"missing_token"}"#);
    // The extractors below the layer use the hook too.
    let id = f.issuer.id_token().build();
    let reply = send(app, bearer("/access", &id)).await;
    assert_eq!(reply.body, r#"{"code":401,"kind":"wrong_token_use"}"#);
}

/// gRPC calls get trailers-only statuses, from a plain tower stack (no axum).
#[tokio::test]
async fn grpc_status_mapping() {
    let f = fixture();
    let svc = ServiceBuilder::new()
        .layer(
            CognitoAuth::new(f.verifier.clone())
                .require(
                    Requirement::new()
                        .token_use(TokenUse::Access)
                        .any_scope(["orders/read"])
                        .unwrap(),
                )
                .grpc(),
        )
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::from("ok")))
        }));
    let grpc = |token: Option<&str>, auth: Option<String>| {
        let mut b = Request::post("/orders.Orders/List").header("content-type", "application/grpc");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(Body::empty()).unwrap()
    };
    let check = |reply: &Reply, status: &str, message: &str| {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/grpc"));
        assert_eq!(reply.header("grpc-status"), Some(status));
        assert_eq!(reply.header("grpc-message"), Some(message));
        assert_eq!(reply.body, "");
    };

    check(
        &send(svc.clone(), grpc(None, None)).await,
        "16",
        "authentication required",
    );
    let expired = f.issuer.access_token().expires_in(-60).build();
    check(
        &send(svc.clone(), grpc(Some(&expired), None)).await,
        "16",
        "the token has expired",
    );
    let no_scope = f.issuer.access_token().build();
    check(
        &send(svc.clone(), grpc(Some(&no_scope), None)).await,
        "7",
        MISSING_SCOPE,
    );
    check(
        &send(svc.clone(), grpc(None, Some("Bearer a b".into()))).await,
        "3",
        "malformed Authorization header",
    );
    let ok = f.issuer.access_token().scopes(&["orders/read"]).build();
    let reply = send(svc.clone(), grpc(Some(&ok), None)).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, "ok"));

    // Keys unavailable: UNAVAILABLE.
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    server.set_mode(Mode::Status(503));
    let svc = ServiceBuilder::new()
        .layer(CognitoAuth::new(verifier_for(&issuer, &server)).grpc())
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        }));
    let token = issuer.access_token().build();
    check(
        &send(svc, grpc(Some(&token), None)).await,
        "14",
        "the token cannot be verified right now",
    );
}

/// Without `grpc()`, a gRPC content type changes nothing: a REST route
/// answers HTTP, as actix-web does.
#[tokio::test]
async fn without_grpc_a_grpc_content_type_gets_an_http_answer() {
    let f = fixture();
    let app = app(CognitoAuth::new(f.verifier.clone()));
    let request = Request::get("/")
        .header("content-type", "application/grpc")
        .body(Body::empty())
        .unwrap();
    let reply = send(app, request).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(reply.header("grpc-status"), None);
}

/// A realm that is not printable ASCII cannot be set: every challenge is a
/// valid header value in every HTTP library.
#[tokio::test]
async fn a_realm_must_be_printable_ascii() {
    let f = fixture();
    for bad in ["", "caf\u{e9}", "a\nb"] {
        assert!(
            matches!(
                CognitoAuth::new(f.verifier.clone()).realm(bad),
                Err(cognito_jwt::BuildError::InvalidOption {
                    option: "realm",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
    assert!(CognitoAuth::new(f.verifier).realm("orders \"v2\"").is_ok());
}

#[tokio::test]
async fn where_the_layer_sits_decides_what_routing_errors_look_like() {
    let f = fixture();
    let token = f.issuer.access_token().build();
    let auth = CognitoAuth::new(f.verifier.clone());
    let placements = [
        (
            "Router::layer",
            Router::new().route("/r", get(sub)).layer(auth.clone()),
            (401, 401),
        ),
        (
            "Router::route_layer",
            Router::new()
                .route("/r", get(sub))
                .route_layer(auth.clone()),
            (404, 401),
        ),
        (
            "MethodRouter::route_layer",
            Router::new().route("/r", get(sub).route_layer(auth.clone())),
            (404, 405),
        ),
        (
            "Handler::layer",
            Router::new().route("/r", get(sub.layer(auth.clone()))),
            (404, 405),
        ),
    ];
    for (placement, app, (unknown_path, unknown_method)) in placements {
        let reply = send(app.clone(), get_with("/nope", &[])).await;
        assert_eq!(reply.status, unknown_path, "{placement}: unknown path");
        let delete = Request::delete("/r").body(Body::empty()).unwrap();
        let reply = send(app.clone(), delete).await;
        assert_eq!(reply.status, unknown_method, "{placement}: unknown method");
        if unknown_method == 405 {
            assert_eq!(reply.header("allow"), Some("GET,HEAD"), "{placement}");
        }
        // With a token, routing errors are routing errors everywhere.
        let reply = send(app.clone(), bearer("/nope", &token)).await;
        assert_eq!(reply.status, 404, "{placement}: unknown path, token");
        let delete = Request::delete("/r")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let reply = send(app.clone(), delete).await;
        assert_eq!(reply.status, 405, "{placement}: unknown method, token");
        // And the route itself is protected in every placement.
        assert_eq!(send(app.clone(), get_with("/r", &[])).await.status, 401);
        assert_eq!(send(app, bearer("/r", &token)).await.status, 200);
    }
}

/// Refusals and answers of a plain tower stack (`CognitoAuth`, then
/// `Require`) whose handler answers `ok` in the body type `make` builds:
/// the stack answers in that same type.
async fn walk_body_type<B>(f: &Fixture, make: fn(&'static str) -> B)
where
    B: http_body::Body<Data = Bytes> + RejectionBody + Send + 'static,
    B::Error: std::fmt::Debug,
{
    let svc = ServiceBuilder::new()
        .layer(CognitoAuth::new(f.verifier.clone()))
        .layer(Require::access_token().any_scope(["orders/read"]).unwrap())
        .service(service_fn(move |_req: Request<Body>| async move {
            Ok::<_, Infallible>(Response::new(make("ok")))
        }));
    let body_type = std::any::type_name::<B>();

    send(svc.clone(), get_with("/", &[])).await.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );
    let expired = f.issuer.access_token().expires_in(-60).build();
    send(svc.clone(), bearer("/", &expired))
        .await
        .assert_refused(
            401,
            Some(&invalid_token("the token has expired")),
            INVALID_TOKEN,
            "the token has expired",
        );
    let no_scope = f.issuer.access_token().build();
    send(svc.clone(), bearer("/", &no_scope))
        .await
        .assert_refused(
            403,
            Some(&insufficient(MISSING_SCOPE, Some("orders/read"))),
            "insufficient_scope",
            MISSING_SCOPE,
        );
    let scoped = f.issuer.access_token().scopes(&["orders/read"]).build();
    let reply = send(svc, bearer("/", &scoped)).await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "ok"),
        "{body_type}"
    );
}

/// The layers answer in the inner service's own body type (no wrapper for
/// axum to box again), for every body type they can write a refusal into;
/// any other body goes through `ResponseBody::inner`.
#[tokio::test]
async fn responses_keep_the_inner_body_type() {
    use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
    use http_body_util::{Empty, Full};

    let f = fixture();
    walk_body_type(&f, Body::from).await;
    walk_body_type(&f, |s| Full::new(Bytes::from(s))).await;
    walk_body_type(&f, String::from).await;
    walk_body_type(&f, |s| -> BoxBody<Bytes, std::io::Error> {
        Full::new(Bytes::from(s))
            .map_err(|never| match never {})
            .boxed()
    })
    .await;
    walk_body_type(&f, |s| -> UnsyncBoxBody<Bytes, Infallible> {
        Full::new(Bytes::from(s)).boxed_unsync()
    })
    .await;

    // Proven by the types: an axum handler's `Response<Body>` comes back as
    // `Response<Body>`, which axum then neither wraps nor boxes.
    fn answers_axum_body<S: tower::Service<Request<Body>, Response = Response<Body>>>(_: &S) {}
    answers_axum_body(&tower::Layer::layer(
        &CognitoAuth::new(f.verifier.clone()),
        get(sub).with_state(()),
    ));

    // A body that cannot hold a refusal (`Empty`): map the inner responses
    // into `ResponseBody::inner`, and the layer answers `ResponseBody<Empty>`.
    let svc = ServiceBuilder::new()
        .layer(CognitoAuth::new(f.verifier.clone()))
        .map_response(|r: Response<Empty<Bytes>>| r.map(ResponseBody::inner))
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
        }));
    send(svc.clone(), get_with("/", &[])).await.assert_refused(
        401,
        Some("Bearer"),
        "unauthorized",
        "authentication required",
    );
    let token = f.issuer.access_token().build();
    let reply = send(svc, bearer("/", &token)).await;
    assert_eq!((reply.status.as_u16(), reply.body.as_str()), (200, ""));
}

#[test]
fn empty_lists_are_refused_when_the_layer_is_built() {
    use cognito_jwt::BuildError;
    for built in [
        Require::access_token().any_scope(Vec::<String>::new()),
        Require::access_token().all_scopes(Vec::<String>::new()),
        Require::access_token().any_group(Vec::<String>::new()),
        Require::access_token().all_groups([""]),
    ] {
        assert!(
            matches!(built, Err(BuildError::InvalidList { .. })),
            "{built:?}"
        );
    }
}

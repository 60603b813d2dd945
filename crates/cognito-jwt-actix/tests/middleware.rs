//! Every answer of the middleware, the extractors and `Require`, against
//! tokens minted by the testkit and keys served on loopback.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, test, web};
use cognito_jwt::{
    BuildError, Challenge, Claims, Error, Issuer, Policy, Requirement, TokenSource, TokenUse,
    Verifier,
};
use cognito_jwt_actix::{
    AccessToken, Authenticated, Authorized, ClaimsAs, CognitoAuth, IdToken, Optional, Rejection,
    Require,
};
use cognito_jwt_testkit::{JwksServer, Mode, SigningKey, TestIssuer};

struct Fixture {
    issuer: TestIssuer,
    server: JwksServer,
    verifier: Verifier,
}

fn fixture() -> Fixture {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a Cognito-shaped test issuer");
    let verifier = Verifier::builder(Issuer::cognito(pool).jwks_url(server.url()))
        .client_ids([issuer.client_id()])
        .any_token_use()
        .build()
        .expect("verifier");
    Fixture {
        issuer,
        server,
        verifier,
    }
}

/// What a test looks at in a response.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn answer<B: MessageBody>(res: ServiceResponse<B>) -> Answer {
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v: &actix_web::http::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (status, www_authenticate, retry_after, content_type) = (
        res.status(),
        header(WWW_AUTHENTICATE),
        header(RETRY_AFTER),
        header(CONTENT_TYPE),
    );
    let body = test::read_body(res).await;
    Answer {
        status,
        www_authenticate,
        retry_after,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// The response must be exactly the rendered challenge for `error`.
fn assert_challenge(a: &Answer, error: &Error, realm: Option<&str>) {
    let c = Challenge::new(error, realm);
    assert_eq!(a.status.as_u16(), c.status(), "{a:?}");
    assert_eq!(a.www_authenticate.as_deref(), c.www_authenticate(), "{a:?}");
    assert_eq!(
        a.retry_after,
        c.retry_after().map(|s| s.to_string()),
        "{a:?}"
    );
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(a.body, c.body());
}

async fn me(token: AccessToken) -> HttpResponse {
    HttpResponse::Ok().body(format!("me {}", token.sub()))
}

async fn profile(token: IdToken) -> HttpResponse {
    let email = token
        .typed()
        .and_then(|c| c.email.clone())
        .unwrap_or_default();
    HttpResponse::Ok().body(format!("profile {email}"))
}

async fn whoami(Optional(auth): Optional<Authenticated>) -> HttpResponse {
    match auth {
        Some(a) => HttpResponse::Ok().body(format!("user {}", a.token_use())),
        None => HttpResponse::Ok().body("anonymous"),
    }
}

async fn raw(req: HttpRequest) -> HttpResponse {
    let sub = req.extensions().get::<Claims>().map(|c| c.sub().to_owned());
    HttpResponse::Ok().body(format!("raw {}", sub.unwrap_or_default()))
}

#[derive(serde::Deserialize)]
struct Custom {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

async fn tenant(ClaimsAs(c): ClaimsAs<Custom>) -> HttpResponse {
    HttpResponse::Ok().body(format!("tenant {}", c.tenant))
}

struct Admins;
impl Policy for Admins {
    fn requirement() -> Result<Requirement, BuildError> {
        Requirement::new()
            .token_use(TokenUse::Access)
            .any_group(["admin"])
    }
}

struct ReadOrders;
impl Policy for ReadOrders {
    fn requirement() -> Result<Requirement, BuildError> {
        Requirement::new().any_scope(["orders/read"])
    }
}

async fn policy_admin(auth: Authorized<Admins>) -> HttpResponse {
    HttpResponse::Ok().body(format!("admin {}", auth.sub()))
}

async fn policy_orders(_: Authorized<ReadOrders>) -> HttpResponse {
    HttpResponse::Ok().body("orders")
}

/// The routes every test uses, behind `auth`.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route("/profile", web::get().to(profile))
        .route("/whoami", web::get().to(whoami))
        .route("/raw", web::get().to(raw))
        .route("/tenant", web::get().to(tenant))
        .route("/policy/admin", web::get().to(policy_admin))
        .route("/policy/orders", web::get().to(policy_orders))
        .service(
            web::resource("/orders")
                .route(
                    web::get()
                        .to(|| async { HttpResponse::Ok().body("orders") })
                        .wrap(Require::any_token().any_scope(["orders/read"]).unwrap()),
                )
                .route(
                    web::post()
                        .to(|| async { HttpResponse::Created().body("created") })
                        .wrap(Require::any_token().any_scope(["orders/write"]).unwrap()),
                ),
        )
        .service(
            web::scope("/admin")
                .wrap(Require::any_token().any_group(["admin"]).unwrap())
                .route(
                    "",
                    web::get().to(|| async { HttpResponse::Ok().body("admin") }),
                ),
        )
        .service(
            web::resource("/dashboard")
                .guard(Require::any_token().any_group(["admin"]).unwrap())
                .to(|| async { HttpResponse::Ok().body("admin dashboard") }),
        )
        .service(
            web::resource("/dashboard").to(|| async { HttpResponse::Ok().body("user dashboard") }),
        );
}

macro_rules! app {
    ($auth:expr) => {
        test::init_service(App::new().wrap($auth).configure(routes)).await
    };
}

fn get(path: &str, token: Option<&str>) -> test::TestRequest {
    let req = test::TestRequest::get().uri(path);
    match token {
        Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
        None => req,
    }
}

macro_rules! call {
    ($app:expr, $req:expr $(,)?) => {
        answer(test::call_service(&$app, ($req).to_request()).await)
    };
}

#[actix_web::test]
async fn valid_access_token_reaches_the_handler() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let token = f.issuer.access_token().build();
    let a = call!(app, get("/me", Some(&token))).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, format!("me {}", f.issuer.user_sub()));
    let a = call!(app, get("/raw", Some(&token))).await;
    assert_eq!(a.body, format!("raw {}", f.issuer.user_sub()));
    let a = call!(app, get("/whoami", Some(&token))).await;
    assert_eq!(a.body, "user access");
}

#[actix_web::test]
async fn no_credentials_is_a_bare_401() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let a = call!(app, get("/me", None)).await;
    assert_challenge(&a, &Error::MissingToken, None);
    assert_eq!(a.www_authenticate.as_deref(), Some("Bearer"));
    assert_eq!(
        a.body,
        r#"{"error":"unauthorized","error_description":"authentication required"}"#
    );
    // Another scheme is not bearer credentials.
    let a = call!(
        app,
        get("/me", None).insert_header(("authorization", "Basic dXNlcjpwYXNz")),
    )
    .await;
    assert_challenge(&a, &Error::MissingToken, None);
    // No fetch was needed to say so.
    assert_eq!(f.server.fetch_count(), 0);
}

#[actix_web::test]
async fn realm_is_named_in_every_challenge() {
    let f = fixture();
    let app = app!(
        CognitoAuth::new(f.verifier.clone())
            .realm("orders-api")
            .unwrap()
    );
    let a = call!(app, get("/me", None)).await;
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(r#"Bearer realm="orders-api""#)
    );
    let a = call!(app, get("/me", Some("abc"))).await;
    assert_challenge(
        &a,
        &Error::Malformed(malformed_of("abc").await),
        Some("orders-api"),
    );
    let token = f.issuer.access_token().build();
    let a = call!(app, get("/orders", Some(&token))).await;
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the token lacks the required scope", scope="orders/read""#
        )
    );
}

/// The core's structural error for a token string, to compare renderings.
async fn malformed_of(token: &str) -> cognito_jwt::MalformedToken {
    let f = fixture();
    match f.verifier.verify(token).await {
        Err(Error::Malformed(m)) => m,
        other => panic!("expected a malformed-token error, got {other:?}"),
    }
}

#[actix_web::test]
async fn malformed_requests_are_400() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    for value in [
        "Bearer",
        "Bearer ",
        "Bearer  abc",
        "Bearer a b",
        "Bearer a\"b",
        "Bearer\tabc",
        "Bearer:abc",
    ] {
        let a = call!(
            app,
            get("/me", None).insert_header(("authorization", value))
        )
        .await;
        assert_eq!(a.status, 400, "{value:?}");
        assert_eq!(
            a.www_authenticate.as_deref(),
            Some(
                r#"Bearer error="invalid_request", error_description="malformed Authorization header""#
            ),
            "{value:?}"
        );
        assert_eq!(
            a.body,
            r#"{"error":"invalid_request","error_description":"malformed Authorization header"}"#
        );
    }
}

#[actix_web::test]
async fn two_credentials_are_400() {
    let f = fixture();
    let token = f.issuer.access_token().build();
    let app = app!(
        CognitoAuth::new(f.verifier.clone())
            .token_source(TokenSource::default().cookie("access_token"))
    );
    // Header and cookie at once.
    let a = call!(
        app,
        get("/me", Some(&token)).insert_header(("cookie", format!("access_token={token}"))),
    )
    .await;
    assert_challenge(&a, &Error::MultipleCredentials, None);
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="invalid_request", error_description="more than one credential in the request""#
        )
    );
    // Two Authorization headers.
    let a = call!(
        app,
        get("/me", Some(&token)).append_header(("authorization", format!("Bearer {token}"))),
    )
    .await;
    assert_challenge(&a, &Error::MultipleCredentials, None);
    // The cookie alone is accepted.
    let a = call!(
        app,
        get("/me", None).insert_header(("cookie", format!("theme=dark; access_token={token}"))),
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
}

#[actix_web::test]
async fn header_source() {
    let f = fixture();
    let token = f.issuer.access_token().build();
    let app = app!(
        CognitoAuth::new(f.verifier.clone())
            .token_source(TokenSource::default().header("X-Access-Token"))
    );
    let a = call!(
        app,
        get("/me", None).insert_header(("x-access-token", token))
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
}

#[actix_web::test]
async fn invalid_tokens_are_401_invalid_token() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let other_pool = TestIssuer::cognito_pool("us-east-1", "us-east-1_Other");
    let stranger = SigningKey::rsa("stranger");
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "abc".into(), "the token is malformed"),
        (
            "expired",
            f.issuer.access_token().expires_in(-3600).build(),
            "the token has expired",
        ),
        (
            "tampered",
            f.issuer.access_token().tamper_payload().build(),
            "the token signature is invalid",
        ),
        (
            "unknown kid",
            f.issuer
                .access_token()
                .sign_with(&stranger)
                .kid("stranger")
                .build(),
            "the token is signed with an unknown key",
        ),
        (
            "unsigned",
            f.issuer.access_token().unsigned().build(),
            "the token is malformed",
        ),
        (
            "alg HS256",
            f.issuer.access_token().alg("HS256").build(),
            "the token's algorithm is not allowed",
        ),
        (
            "other pool",
            other_pool.access_token().build(),
            "the token issuer is not trusted",
        ),
        (
            "other client",
            f.issuer.access_token().client_id("someoneelse").build(),
            "the token was issued to a client that is not allowed",
        ),
    ];
    for (name, token, description) in cases {
        let a = call!(app, get("/me", Some(&token))).await;
        assert_eq!(a.status, 401, "{name}: {a:?}");
        assert_eq!(
            a.www_authenticate,
            Some(format!(
                r#"Bearer error="invalid_token", error_description="{description}""#
            )),
            "{name}"
        );
        assert_eq!(
            a.body,
            format!(r#"{{"error":"invalid_token","error_description":"{description}"}}"#),
            "{name}"
        );
    }
}

#[actix_web::test]
async fn wrong_token_kind_is_401_invalid_token() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let wrong = r#"Bearer error="invalid_token", error_description="the token is not of the kind this resource accepts""#;
    let id = f.issuer.id_token().build();
    let a = call!(app, get("/me", Some(&id))).await;
    assert_eq!(
        (a.status.as_u16(), a.www_authenticate.as_deref()),
        (401, Some(wrong))
    );
    let access = f.issuer.access_token().build();
    let a = call!(app, get("/profile", Some(&access))).await;
    assert_eq!(
        (a.status.as_u16(), a.www_authenticate.as_deref()),
        (401, Some(wrong))
    );
    let a = call!(app, get("/profile", Some(&id))).await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (200, "profile testuser@example.com")
    );
    // Through a policy too.
    let admin_id = f.issuer.id_token().groups(&["admin"]).build();
    let a = call!(app, get("/policy/admin", Some(&admin_id))).await;
    assert_eq!(
        (a.status.as_u16(), a.www_authenticate.as_deref()),
        (401, Some(wrong))
    );
}

#[actix_web::test]
async fn missing_scope_is_403_with_scope() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let read = f
        .issuer
        .access_token()
        .scopes(&["openid", "orders/read"])
        .build();
    let a = call!(app, get("/orders", Some(&read))).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "orders"));
    let a = call!(
        app,
        test::TestRequest::post()
            .uri("/orders")
            .insert_header(("authorization", format!("Bearer {read}"))),
    )
    .await;
    assert_challenge(
        &a,
        &Error::InsufficientScope {
            required: vec!["orders/write".into()],
            all: false,
        },
        None,
    );
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="the token lacks the required scope", scope="orders/write""#
        )
    );
    assert_eq!(
        a.body,
        r#"{"error":"insufficient_scope","error_description":"the token lacks the required scope"}"#
    );
    // `orders/readx` is not `orders/read`.
    let near = f.issuer.access_token().scopes(&["orders/readx"]).build();
    let a = call!(app, get("/orders", Some(&near))).await;
    assert_eq!(a.status, 403);
    // The extractor form.
    let a = call!(app, get("/policy/orders", Some(&near))).await;
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="the token lacks the required scope", scope="orders/read""#
        )
    );
    let a = call!(app, get("/policy/orders", Some(&read))).await;
    assert_eq!(a.status, 200);
}

#[actix_web::test]
async fn missing_group_is_403() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let user = f.issuer.access_token().groups(&["staff"]).build();
    let admin = f.issuer.access_token().groups(&["staff", "admin"]).build();
    let expected = Error::MissingGroup {
        required: vec!["admin".into()],
        all: false,
    };
    for path in ["/admin", "/policy/admin"] {
        let a = call!(app, get(path, Some(&user))).await;
        assert_challenge(&a, &expected, None);
        assert_eq!(
            a.www_authenticate.as_deref(),
            Some(
                r#"Bearer error="insufficient_scope", error_description="the user is not in the required group""#
            )
        );
        let a = call!(app, get(path, Some(&admin))).await;
        assert_eq!(a.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn guard_routes_by_requirement() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let user = f.issuer.access_token().build();
    let admin = f.issuer.access_token().groups(&["admin"]).build();
    let a = call!(app, get("/dashboard", Some(&admin))).await;
    assert_eq!(a.body, "admin dashboard");
    let a = call!(app, get("/dashboard", Some(&user))).await;
    assert_eq!(a.body, "user dashboard");
}

#[actix_web::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let f = fixture();
    f.server.set_mode(Mode::Status(500));
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let token = f.issuer.access_token().build();
    let a = call!(app, get("/me", Some(&token))).await;
    assert_eq!(a.status, 503, "{a:?}");
    assert_eq!(a.www_authenticate, None);
    let retry: u64 = a
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        a.body,
        r#"{"error":"temporarily_unavailable","error_description":"the token cannot be verified right now"}"#
    );
}

#[actix_web::test]
async fn optional_mode() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()).optional());
    // No token: the handler runs without claims.
    let a = call!(app, get("/whoami", None)).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "anonymous"));
    let a = call!(app, get("/raw", None)).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "raw "));
    // A required extractor still needs a token.
    let a = call!(app, get("/me", None)).await;
    assert_challenge(&a, &Error::MissingToken, None);
    // So does Require.
    let a = call!(app, get("/orders", None)).await;
    assert_challenge(&a, &Error::MissingToken, None);
    // A bad token is still refused.
    let expired = f.issuer.access_token().expires_in(-3600).build();
    let a = call!(app, get("/whoami", Some(&expired))).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="the token has expired""#)
    );
    // A malformed header too.
    let a = call!(
        app,
        get("/whoami", None).insert_header(("authorization", "Bearer"))
    )
    .await;
    assert_eq!(a.status, 400);
    // A good one is seen.
    let id = f.issuer.id_token().build();
    let a = call!(app, get("/whoami", Some(&id))).await;
    assert_eq!(a.body, "user id");
}

#[actix_web::test]
async fn custom_claims_extractor() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    let with = f.issuer.id_token().claim("custom:tenant", "acme").build();
    let a = call!(app, get("/tenant", Some(&with))).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "tenant acme"));
    let without = f.issuer.id_token().build();
    let a = call!(app, get("/tenant", Some(&without))).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="invalid_token", error_description="the token claims are not acceptable""#
        )
    );
}

#[actix_web::test]
async fn middleware_level_requirement() {
    let f = fixture();
    let app = app!(
        CognitoAuth::new(f.verifier.clone()).require(
            Requirement::new()
                .token_use(TokenUse::Access)
                .any_scope(["api/use"])
                .unwrap()
        )
    );
    let ok = f.issuer.access_token().scopes(&["api/use"]).build();
    let a = call!(app, get("/raw", Some(&ok))).await;
    assert_eq!(a.status, 200);
    let no = f.issuer.access_token().build();
    let a = call!(app, get("/raw", Some(&no))).await;
    assert_eq!(a.status, 403);
    assert!(a.www_authenticate.unwrap().ends_with(r#"scope="api/use""#));
    let id = f.issuer.id_token().build();
    let a = call!(app, get("/raw", Some(&id))).await;
    assert_eq!(a.status, 401);
}

#[actix_web::test]
async fn error_hook_renders_every_rejection() {
    let f = fixture();
    let app = app!(
        CognitoAuth::new(f.verifier.clone())
            .realm("r")
            .unwrap()
            .render_rejection(|rejection: &Rejection<'_>| {
                let error = rejection.error();
                let mut res = rejection.default_response();
                res.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("x-auth-error"),
                    actix_web::http::header::HeaderValue::from_static(error.kind()),
                );
                res
            })
    );
    let hook_kind = |res: &ServiceResponse<_>| {
        res.headers()
            .get("x-auth-error")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let user = f.issuer.access_token().build();
    let id = f.issuer.id_token().build();
    for (req, kind, status) in [
        (get("/me", None), "missing_token", 401),
        (get("/me", Some(&id)), "wrong_token_use", 401),
        (get("/orders", Some(&user)), "insufficient_scope", 403),
        (get("/policy/admin", Some(&user)), "missing_group", 403),
    ] {
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), status);
        assert_eq!(hook_kind(&res).as_deref(), Some(kind));
        assert!(
            res.headers()
                .get(WWW_AUTHENTICATE)
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(r#"Bearer realm="r""#)
        );
    }

    // A hook can replace the answer entirely.
    let app = app!(CognitoAuth::new(f.verifier.clone()).render_rejection(
        |rejection: &Rejection<'_>| { HttpResponse::ImATeapot().body(rejection.error().kind()) }
    ));
    let a = call!(app, get("/me", None)).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (418, "missing_token"));
}

#[actix_web::test]
async fn extractor_without_middleware_fails_closed() {
    let app = test::init_service(App::new().configure(routes)).await;
    let not_configured = Error::Misconfigured("no authentication middleware before this route");
    for path in ["/me", "/orders", "/whoami", "/tenant", "/policy/admin"] {
        let a = call!(app, get(path, Some("abc.def.ghi"))).await;
        // A server bug: 500, never the handler, never a 401 inviting a retry.
        assert_challenge(&a, &not_configured, None);
        assert_eq!(a.status, 500, "{path}");
        assert_eq!(a.www_authenticate, None, "{path}");
    }
}

#[actix_web::test]
async fn wraps_a_scope_and_a_resource() {
    let f = fixture();
    let app = test::init_service(
        App::new()
            .route("/health", web::get().to(HttpResponse::Ok))
            .service(
                web::scope("/api")
                    .wrap(CognitoAuth::new(f.verifier.clone()))
                    .configure(routes),
            )
            .service(
                web::resource("/one")
                    .wrap(Require::any_token().any_scope(["one"]).unwrap())
                    .wrap(CognitoAuth::new(f.verifier.clone()))
                    .to(HttpResponse::Ok),
            ),
    )
    .await;
    assert_eq!(call!(app, get("/health", None)).await.status, 200);
    assert_eq!(call!(app, get("/api/me", None)).await.status, 401);
    let token = f.issuer.access_token().scopes(&["one"]).build();
    assert_eq!(call!(app, get("/api/me", Some(&token))).await.status, 200);
    assert_eq!(call!(app, get("/one", None)).await.status, 401);
    assert_eq!(call!(app, get("/one", Some(&token))).await.status, 200);
    let other = f.issuer.access_token().build();
    assert_eq!(call!(app, get("/one", Some(&other))).await.status, 403);
}

#[actix_web::test]
async fn one_fetch_serves_every_request() {
    let f = fixture();
    let app = app!(CognitoAuth::new(f.verifier.clone()));
    for i in 0..20 {
        let token = f.issuer.access_token().claim("n", i).build();
        assert_eq!(call!(app, get("/me", Some(&token))).await.status, 200);
    }
    assert_eq!(f.server.fetch_count(), 1);
}

struct EmptyPolicy;
impl Policy for EmptyPolicy {
    fn requirement() -> Result<Requirement, BuildError> {
        // As if read from an unset environment variable.
        Requirement::new().all_scopes(Vec::<String>::new())
    }
}

#[actix_web::test]
async fn empty_lists_are_refused_when_built_and_an_invalid_policy_fails_closed() {
    assert!(matches!(
        Require::any_token().any_scope(Vec::<String>::new()),
        Err(BuildError::InvalidList { .. })
    ));
    assert!(matches!(
        Require::any_token().all_groups([""]),
        Err(BuildError::InvalidList { .. })
    ));
    let f = fixture();
    let app = test::init_service(App::new().wrap(CognitoAuth::new(f.verifier.clone())).route(
        "/empty",
        web::get().to(|_: Authorized<EmptyPolicy>| async { HttpResponse::Ok().finish() }),
    ))
    .await;
    let token = f.issuer.access_token().scopes(&["orders/read"]).build();
    let a = call!(app, get("/empty", Some(&token))).await;
    assert_eq!(
        a.status, 500,
        "an all-of-nothing policy must not let every token in"
    );
}

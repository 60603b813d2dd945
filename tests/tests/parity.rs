//! Parity of the adapters: one table of requests, each sent to an axum app,
//! an actix-web app and, where the route has a gRPC form, a tonic-style gRPC
//! stack, all in-process.
//!
//! Every [`Row`] of [`rows::table`] names an [`App`] (how the middleware is
//! set up: required, optional, with a realm, with the keys unavailable, or
//! missing), a [`Route`] (the same route is built in each framework, with
//! the same extractor or `Require`), the request headers, and the answer it
//! must get, written once:
//!
//! - `ok("body")`: 200 with that body, from the handler;
//! - `refused(status, error)`: the core's [`Challenge`] for `error` with the
//!   app's realm, rendered exactly: status, `WWW-Authenticate`,
//!   `Retry-After`, `content-type: application/json` and the JSON body. The
//!   row's status is checked against the challenge's, so the table says
//!   what a reader expects, not only what the core computes.
//!
//! Each adapter's answer is compared to that expectation, field by field,
//! for the request sent twice to the same app (the first verifies the token,
//! the second is answered from the verifier's cache). axum and actix-web
//! must give the HTTP answer; the gRPC column (a `CognitoAuth::grpc()`
//! stack over `tonic::body::Body`, the route's need as a `Require` layer,
//! requests with `content-type: application/grpc`) must give HTTP 200,
//! `content-type: application/grpc`, the mapped `grpc-status` (401 → 16
//! `UNAUTHENTICATED`, 403 → 7 `PERMISSION_DENIED`, 400 → 3
//! `INVALID_ARGUMENT`, 503 → 14 `UNAVAILABLE`, 500 → 13 `INTERNAL`; 0 on
//! success) and the error's fixed description as `grpc-message` (the
//! handler's body on success); with no middleware in front it too must give
//! the HTTP 500, since nobody opted in to gRPC answers. Every app gets a fresh verifier, so each
//! adapter starts from the same state. All mismatches are reported at once.
//!
//! To add a row, append it to [`rows::table`]: it then runs through every
//! adapter. A new route needs a [`Route`] variant, its handler in
//! [`axum_app`] and [`actix_app`], and its gRPC form in [`Route::grpc`]
//! (or [`Grpc::NoColumn`] when a `Require` layer cannot express it, as for
//! `ClaimsAs<T>` or `Optional<AccessToken>`).

#[path = "parity/rows.rs"]
mod rows;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{
    BuildError, Challenge, Claims, Error, GroupSet, Issuer, Policy, Requirement, ScopeSet,
    TokenUse, Verifier,
};
use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt as _, service_fn};

/// The realm of [`App::Realm`].
const REALM: &str = "orders-api";
/// What a handler answers when the request has no token (optional mode).
const ANONYMOUS: &str = "anonymous";

/// How the authentication middleware is set up in front of the routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    /// `CognitoAuth::new(verifier)`: every request needs a token.
    Required,
    /// `CognitoAuth::new(verifier).optional()`.
    Optional,
    /// `CognitoAuth::new(verifier).realm(REALM)`.
    Realm,
    /// Required, with a verifier whose JWKS endpoint answers 503.
    KeysDown,
    /// No `CognitoAuth` at all: the extractors and `Require` are alone.
    NoMiddleware,
    /// Required, with a verifier whose revocation rules revoke the family
    /// [`REVOKED_FAMILY`] and every token of [`SIGNED_OUT`].
    Revoking,
    /// Required, with a verifier whose revocation rules are kept by a store
    /// that never synced them (fails closed: 503).
    RevocationsStale,
    /// `CognitoAuth::new(verifier).resource_metadata(RESOURCE_METADATA)`.
    ResourceMetadata,
}

/// The RFC 9728 metadata URL of [`App::ResourceMetadata`].
pub const RESOURCE_METADATA: &str = "https://api.example.com/.well-known/oauth-protected-resource";

/// The `origin_jti` [`App::Revoking`] revokes.
pub const REVOKED_FAMILY: &str = "revoked-family";
/// The `sub` [`App::Revoking`] signed out (every token issued until now).
pub const SIGNED_OUT: &str = "signed-out-user";

impl App {
    fn realm(self) -> Option<&'static str> {
        (self == App::Realm).then_some(REALM)
    }

    fn resource_metadata(self) -> Option<&'static str> {
        (self == App::ResourceMetadata).then_some(RESOURCE_METADATA)
    }
}

/// A route, built alike in each framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `AccessToken`.
    Me,
    /// `IdToken`.
    Profile,
    /// `Authenticated`.
    Any,
    /// `Require::access_token().any_scope(["orders/read"])`.
    Orders,
    /// `Require::access_token().all_scopes(["orders/read", "orders/write"])`.
    OrdersAll,
    /// `Require::any_token().any_group(["admin"])`.
    Admins,
    /// `RequireGroup<Admins>`.
    Admin,
    /// `RequireScope<OrdersWrite>`.
    Write,
    /// `Authorized<Editors>`.
    Policy,
    /// `Require::any_token().check(tenant is acme)`.
    Custom,
    /// `ClaimsAs<Tenant>`.
    Tenant,
    /// `Optional<AccessToken>`.
    Maybe,
    /// axum's own `Option<AccessToken>`; `Optional<AccessToken>` in actix-web,
    /// whose `Option<T>` turns every refusal into `None`.
    MaybeOption,
    /// `Optional<Authenticated>`.
    MaybeAny,
}

impl Route {
    fn path(self) -> &'static str {
        match self {
            Route::Me => "/me",
            Route::Profile => "/profile",
            Route::Any => "/any",
            Route::Orders => "/orders",
            Route::OrdersAll => "/orders/all",
            Route::Admins => "/admins",
            Route::Admin => "/admin",
            Route::Write => "/write",
            Route::Policy => "/policy",
            Route::Custom => "/custom",
            Route::Tenant => "/tenant",
            Route::Maybe => "/maybe",
            Route::MaybeOption => "/maybe-option",
            Route::MaybeAny => "/maybe-any",
        }
    }

    /// What the handler answers to a request with a token (no spaces, so
    /// it is the same text as a `grpc-message`).
    fn body(self) -> &'static str {
        match self {
            Route::Me => "me",
            Route::Profile => "profile",
            Route::Any => "any",
            Route::Orders => "orders",
            Route::OrdersAll => "orders-all",
            Route::Admins => "admins",
            Route::Admin => "admin",
            Route::Write => "write",
            Route::Policy => "policy",
            Route::Custom => "custom",
            Route::Tenant => "tenant",
            Route::Maybe => "maybe-me",
            Route::MaybeOption => "maybe-option-me",
            Route::MaybeAny => "maybe-any",
        }
    }

    /// The route in a gRPC stack.
    fn grpc(self) -> Grpc {
        let layer = |r: Result<Requirement, BuildError>| Grpc::Layer(r.expect("requirement"));
        match self {
            Route::Me => Grpc::Layer(Requirement::new().token_use(TokenUse::Access)),
            Route::Profile => Grpc::Layer(Requirement::new().token_use(TokenUse::Id)),
            Route::Any | Route::MaybeAny => Grpc::Open,
            Route::Orders => Grpc::Layer(rules::orders_read()),
            Route::OrdersAll => Grpc::Layer(rules::orders_all()),
            Route::Admins => Grpc::Layer(rules::admins()),
            Route::Admin => layer(Requirement::new().any_group(Admins::GROUPS.iter().copied())),
            Route::Write => {
                layer(Requirement::new().any_scope(OrdersWrite::SCOPES.iter().copied()))
            }
            Route::Policy => layer(Editors::requirement()),
            Route::Custom => Grpc::Layer(rules::acme()),
            // A typed view and an optional token-kind check have no
            // `Require` form.
            Route::Tenant | Route::Maybe | Route::MaybeOption => Grpc::NoColumn,
        }
    }
}

/// A route's form in a gRPC stack.
pub enum Grpc {
    /// No `Require` form: the row has no gRPC column.
    NoColumn,
    /// The handler, behind the middleware only.
    Open,
    /// The handler behind a `Require` layer with this requirement.
    Layer(Requirement),
}

/// The answer a row must get.
#[derive(Debug)]
pub enum Expect {
    /// 200 from the handler, with this body.
    Ok(&'static str),
    /// This status, with the core's challenge for this error.
    Refused(u16, Error),
}

/// One request of the table.
#[derive(Debug)]
pub struct Row {
    /// What the row is about, for failure messages.
    pub what: &'static str,
    pub app: App,
    pub route: Route,
    /// Request headers (name, value), in order; repeated names are sent twice.
    pub headers: Vec<(&'static str, String)>,
    pub expect: Expect,
}

impl Row {
    /// Whether the row has a gRPC column.
    fn has_grpc(&self) -> bool {
        match self.route.grpc() {
            Grpc::NoColumn => false,
            // Without a middleware an open route is open: REST's 500 comes
            // from the extractor, which the gRPC form does not have.
            Grpc::Open => self.app != App::NoMiddleware,
            Grpc::Layer(_) => true,
        }
    }
}

/// The requirements of the `Require` routes, shared by the three stacks.
mod rules {
    use super::*;

    pub fn orders_read() -> Requirement {
        Requirement::new()
            .token_use(TokenUse::Access)
            .any_scope(["orders/read"])
            .expect("scopes")
    }

    pub fn orders_all() -> Requirement {
        Requirement::new()
            .token_use(TokenUse::Access)
            .all_scopes(["orders/read", "orders/write"])
            .expect("scopes")
    }

    pub fn admins() -> Requirement {
        Requirement::new().any_group(["admin"]).expect("groups")
    }

    /// A custom check: the token's `custom:tenant` is `acme`.
    pub fn acme() -> Requirement {
        Requirement::new().check(|claims: &Claims| {
            match claims.get("custom:tenant").and_then(Value::as_str) {
                Some("acme") => Ok(()),
                other => Err(format!("tenant {other:?} is not acme")),
            }
        })
    }
}

/// `RequireGroup<Admins>`.
pub struct Admins;
impl GroupSet for Admins {
    const GROUPS: &'static [&'static str] = &["admin"];
}

/// `RequireScope<OrdersWrite>`.
pub struct OrdersWrite;
impl ScopeSet for OrdersWrite {
    const SCOPES: &'static [&'static str] = &["orders/write"];
}

/// `Authorized<Editors>`: an access token with `orders/write`, of a user in
/// group `editors`.
pub struct Editors;
impl Policy for Editors {
    fn requirement() -> Result<Requirement, BuildError> {
        Requirement::new()
            .token_use(TokenUse::Access)
            .any_scope(["orders/write"])?
            .any_group(["editors"])
    }
}

/// `ClaimsAs<Tenant>`: a string claim, plus the array and the JSON object a
/// pre-token-generation Lambda (V2 events) may add to access tokens.
#[derive(serde::Deserialize)]
pub struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    plan: Option<Plan>,
}

/// The object claim of [`Tenant`].
#[derive(serde::Deserialize)]
pub struct Plan {
    tier: u8,
    trial: bool,
}

impl Tenant {
    /// What the `/tenant` handler answers, in every adapter.
    fn answer(&self) -> String {
        let mut body = format!("{}-{}", Route::Tenant.body(), self.tenant);
        if !self.roles.is_empty() {
            let _ = write!(body, " roles={}", self.roles.join(","));
        }
        if let Some(plan) = &self.plan {
            let _ = write!(body, " tier={} trial={}", plan.tier, plan.trial);
        }
        body
    }
}

/// The issuer and its two JWKS endpoints: one serving the keys, one
/// answering 503.
pub struct Kit {
    pub issuer: TestIssuer,
    jwks: JwksServer,
    down: JwksServer,
}

impl Kit {
    fn new() -> Kit {
        let issuer = TestIssuer::cognito();
        let jwks = JwksServer::start(&issuer);
        let down = JwksServer::start(&issuer);
        down.set_mode(Mode::Status(503));
        Kit { issuer, jwks, down }
    }

    /// A fresh verifier for `app` (none without a middleware).
    fn verifier(&self, app: App) -> Option<Verifier> {
        let url = match app {
            App::NoMiddleware => return None,
            App::KeysDown => self.down.url(),
            App::Required
            | App::Optional
            | App::Realm
            | App::Revoking
            | App::RevocationsStale
            | App::ResourceMetadata => self.jwks.url(),
        };
        let pool = self.issuer.pool_id().expect("a Cognito-shaped issuer");
        let builder = Verifier::builder(Issuer::cognito(pool).jwks_url(url))
            .client_ids([self.issuer.client_id()])
            .any_token_use();
        let builder = match app {
            App::Revoking => {
                let revocations = Revocations::new();
                revocations.revoke(Revocation::family(REVOKED_FAMILY));
                let now = cognito_jwt::Clock::now(&cognito_jwt::SystemClock);
                revocations.revoke(Revocation::subject_until(SIGNED_OUT, now));
                builder.revocations(revocations)
            }
            App::RevocationsStale => builder.revocations(
                Revocations::builder()
                    .fail_closed_after(Duration::from_secs(30))
                    .build(),
            ),
            _ => builder,
        };
        Some(builder.build().expect("verifier"))
    }
}

/// The middleware of `app`, in either adapter (their `CognitoAuth`s have the
/// same methods but no common trait).
macro_rules! cognito_auth {
    ($auth:ty, $kit:expr, $app:expr) => {
        $kit.verifier($app).map(|verifier| {
            let auth = <$auth>::new(verifier);
            match $app {
                App::Optional => auth.optional(),
                App::Realm => auth.realm(REALM).expect("realm"),
                App::ResourceMetadata => auth
                    .resource_metadata(RESOURCE_METADATA)
                    .expect("resource metadata"),
                App::Required
                | App::KeysDown
                | App::NoMiddleware
                | App::Revoking
                | App::RevocationsStale => auth,
            }
        })
    };
}

/// What the table compares of a response.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    grpc_status: Option<String>,
    grpc_message: Option<String>,
    body: String,
}

impl Answer {
    fn read(status: u16, header: impl Fn(&str) -> Option<String>, body: &[u8]) -> Answer {
        Answer {
            status,
            content_type: header("content-type"),
            www_authenticate: header("www-authenticate"),
            retry_after: header("retry-after"),
            grpc_status: header("grpc-status"),
            grpc_message: header("grpc-message"),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// From an `http` response (axum, gRPC).
    async fn from_http<B>(response: http::Response<B>) -> Answer
    where
        B: BodyExt,
        B::Error: std::fmt::Debug,
    {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| v.to_str().expect("ASCII header").to_owned())
        };
        Answer::read(parts.status.as_u16(), header, &body)
    }
}

/// What `row` must get from axum and actix-web.
fn expected_http(row: &Row) -> Answer {
    match &row.expect {
        Expect::Ok(body) => Answer {
            status: 200,
            content_type: Some("text/plain; charset=utf-8".into()),
            www_authenticate: None,
            retry_after: None,
            grpc_status: None,
            grpc_message: None,
            body: (*body).to_owned(),
        },
        Expect::Refused(_, error) => {
            let challenge =
                Challenge::for_resource(error, row.app.realm(), row.app.resource_metadata());
            Answer {
                status: challenge.status(),
                content_type: Some(Challenge::CONTENT_TYPE.into()),
                www_authenticate: challenge.www_authenticate().map(str::to_owned),
                retry_after: challenge.retry_after().map(|s| s.to_string()),
                grpc_status: None,
                grpc_message: None,
                body: challenge.body().to_owned(),
            }
        }
    }
}

/// The gRPC status of an HTTP refusal status, spelled out.
fn grpc_code(status: u16) -> &'static str {
    match status {
        401 => "16",
        403 => "7",
        400 => "3",
        503 => "14",
        500 => "13",
        other => panic!("no gRPC mapping for {other}"),
    }
}

/// What `row` must get from the gRPC stack. With no middleware in front,
/// nobody opted in to gRPC answers: the HTTP answer.
fn expected_grpc(row: &Row) -> Answer {
    if matches!(row.app, App::NoMiddleware) {
        return expected_http(row);
    }
    let (code, message) = match &row.expect {
        Expect::Ok(body) => ("0", *body),
        Expect::Refused(status, error) => (grpc_code(*status), error.client_description()),
    };
    Answer {
        status: 200,
        content_type: Some("application/grpc".into()),
        www_authenticate: None,
        retry_after: None,
        grpc_status: Some(code.into()),
        grpc_message: Some(message.into()),
        body: String::new(),
    }
}

/// The axum app: every route, behind the middleware of `app`.
mod axum_app {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use cognito_jwt_tower::{
        AccessToken, Authenticated, Authorized, ClaimsAs, CognitoAuth, IdToken, Optional, Require,
        RequireGroup, RequireScope,
    };

    use super::*;

    fn maybe<T>(route: Route, token: Option<T>) -> &'static str {
        token.map_or(ANONYMOUS, |_| route.body())
    }

    fn router(auth: Option<CognitoAuth>) -> Router {
        let require = |r: Requirement| Require::new(r);
        let routes = Router::new()
            .route(
                Route::Me.path(),
                get(|_: AccessToken| async { Route::Me.body() }),
            )
            .route(
                Route::Profile.path(),
                get(|_: IdToken| async { Route::Profile.body() }),
            )
            .route(
                Route::Any.path(),
                get(|_: Authenticated| async { Route::Any.body() }),
            )
            .route(
                Route::Orders.path(),
                get(|| async { Route::Orders.body() }).route_layer(require(rules::orders_read())),
            )
            .route(
                Route::OrdersAll.path(),
                get(|| async { Route::OrdersAll.body() }).route_layer(require(rules::orders_all())),
            )
            .route(
                Route::Admins.path(),
                get(|| async { Route::Admins.body() }).route_layer(require(rules::admins())),
            )
            .route(
                Route::Admin.path(),
                get(|_: RequireGroup<Admins>| async { Route::Admin.body() }),
            )
            .route(
                Route::Write.path(),
                get(|_: RequireScope<OrdersWrite>| async { Route::Write.body() }),
            )
            .route(
                Route::Policy.path(),
                get(|_: Authorized<Editors>| async { Route::Policy.body() }),
            )
            .route(
                Route::Custom.path(),
                get(|| async { Route::Custom.body() }).route_layer(require(rules::acme())),
            )
            .route(
                Route::Tenant.path(),
                get(|ClaimsAs(t): ClaimsAs<Tenant>| async move { t.answer() }),
            )
            .route(
                Route::Maybe.path(),
                get(|Optional(t): Optional<AccessToken>| async { maybe(Route::Maybe, t) }),
            )
            .route(
                Route::MaybeOption.path(),
                get(|t: Option<AccessToken>| async { maybe(Route::MaybeOption, t) }),
            )
            .route(
                Route::MaybeAny.path(),
                get(|Optional(t): Optional<Authenticated>| async { maybe(Route::MaybeAny, t) }),
            );
        match auth {
            Some(auth) => routes.layer(auth),
            None => routes,
        }
    }

    /// `row` sent twice to one axum app.
    pub async fn answers(kit: &Kit, row: &Row) -> [Answer; 2] {
        let app = router(cognito_auth!(CognitoAuth, kit, row.app));
        let mut answers = Vec::new();
        for _ in 0..2 {
            let mut request = http::Request::get(row.route.path());
            for (name, value) in &row.headers {
                request = request.header(*name, value.as_str());
            }
            let request = request.body(Body::empty()).expect("request");
            let response = app.clone().oneshot(request).await.expect("infallible");
            answers.push(Answer::from_http(response).await);
        }
        answers.try_into().expect("two answers")
    }
}

/// The actix-web app: every route, behind the middleware of `app`.
mod actix_app {
    use actix_web::body::MessageBody;
    use actix_web::dev::{Service, ServiceResponse};
    use actix_web::{App as ActixApp, test, web};
    use cognito_jwt_actix::{
        AccessToken, Authenticated, Authorized, ClaimsAs, CognitoAuth, IdToken, Optional, Require,
        RequireGroup, RequireScope,
    };

    use super::*;

    fn maybe<T>(route: Route, Optional(token): Optional<T>) -> &'static str {
        token.map_or(ANONYMOUS, |_| route.body())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        let require = |route: Route, r: Requirement| {
            web::resource(route.path())
                .wrap(Require::new(r))
                .to(move || async move { route.body() })
        };
        cfg.route(
            Route::Me.path(),
            web::get().to(|_: AccessToken| async { Route::Me.body() }),
        )
        .route(
            Route::Profile.path(),
            web::get().to(|_: IdToken| async { Route::Profile.body() }),
        )
        .route(
            Route::Any.path(),
            web::get().to(|_: Authenticated| async { Route::Any.body() }),
        )
        .service(require(Route::Orders, rules::orders_read()))
        .service(require(Route::OrdersAll, rules::orders_all()))
        .service(require(Route::Admins, rules::admins()))
        .route(
            Route::Admin.path(),
            web::get().to(|_: RequireGroup<Admins>| async { Route::Admin.body() }),
        )
        .route(
            Route::Write.path(),
            web::get().to(|_: RequireScope<OrdersWrite>| async { Route::Write.body() }),
        )
        .route(
            Route::Policy.path(),
            web::get().to(|_: Authorized<Editors>| async { Route::Policy.body() }),
        )
        .service(require(Route::Custom, rules::acme()))
        .route(
            Route::Tenant.path(),
            web::get().to(|ClaimsAs(t): ClaimsAs<Tenant>| async move { t.answer() }),
        )
        .route(
            Route::Maybe.path(),
            web::get().to(|t: Optional<AccessToken>| async { maybe(Route::Maybe, t) }),
        )
        .route(
            Route::MaybeOption.path(),
            web::get().to(|t: Optional<AccessToken>| async { maybe(Route::MaybeOption, t) }),
        )
        .route(
            Route::MaybeAny.path(),
            web::get().to(|t: Optional<Authenticated>| async { maybe(Route::MaybeAny, t) }),
        );
    }

    async fn send<S, R, B>(app: &S, request: impl Fn() -> R) -> [Answer; 2]
    where
        S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut answers = Vec::new();
        for _ in 0..2 {
            let response = test::call_service(app, request()).await;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let header = |name: &str| {
                headers
                    .get(name)
                    .map(|v| v.to_str().expect("ASCII header").to_owned())
            };
            let body = test::read_body(response).await;
            answers.push(Answer::read(status, header, &body));
        }
        answers.try_into().expect("two answers")
    }

    /// `row` sent twice to one actix-web app.
    pub async fn answers(kit: &Kit, row: &Row) -> [Answer; 2] {
        let request = || {
            let mut request = test::TestRequest::get().uri(row.route.path());
            for (name, value) in &row.headers {
                request = request.append_header((*name, value.as_str()));
            }
            request.to_request()
        };
        match cognito_auth!(CognitoAuth, kit, row.app) {
            Some(auth) => {
                let app = ActixApp::new().wrap(auth).configure(routes);
                send(&test::init_service(app).await, request).await
            }
            None => {
                let app = ActixApp::new().configure(routes);
                send(&test::init_service(app).await, request).await
            }
        }
    }
}

/// The gRPC stack: `CognitoAuth::grpc()` (the app's mode and realm), the
/// route's `Require`, and a handler answering `grpc-status: 0`.
mod grpc_stack {
    use cognito_jwt_tower::{CognitoAuth, Require};
    use tonic::body::Body;

    use super::*;

    /// `row` sent twice to one gRPC stack, or `None` without a gRPC column.
    pub async fn answers(kit: &Kit, row: &Row) -> Option<[Answer; 2]> {
        if !row.has_grpc() {
            return None;
        }
        let require = match row.route.grpc() {
            Grpc::Layer(requirement) => Some(Require::new(requirement)),
            Grpc::Open | Grpc::NoColumn => None,
        };
        let route = row.route;
        let handler = service_fn(move |request: http::Request<Body>| {
            let message = match request.extensions().get::<Claims>() {
                Some(_) => route.body(),
                None => ANONYMOUS,
            };
            async move { Ok::<_, Infallible>(tonic::Status::ok(message).into_http::<Body>()) }
        });
        let auth = cognito_auth!(CognitoAuth, kit, row.app).map(CognitoAuth::grpc);
        let service = ServiceBuilder::new()
            .option_layer(auth)
            .option_layer(require)
            .service(handler);
        let mut answers = Vec::new();
        for _ in 0..2 {
            let mut request = http::Request::post(format!("/parity.Parity/{:?}", row.route))
                .header("content-type", "application/grpc")
                .header("te", "trailers");
            for (name, value) in &row.headers {
                request = request.header(*name, value.as_str());
            }
            let request = request.body(Body::empty()).expect("request");
            let response = service.clone().oneshot(request).await.expect("infallible");
            answers.push(Answer::from_http(response).await);
        }
        Some(answers.try_into().expect("two answers"))
    }
}

/// Append to `out` how `answers` differ from `expected`, naming the row,
/// the adapter and which of the two requests.
fn compare(out: &mut String, row: &str, adapter: &str, answers: &[Answer; 2], expected: &Answer) {
    for (answer, pass) in answers.iter().zip(["first", "second (cached)"]) {
        if answer != expected {
            let _ = writeln!(
                out,
                "{row}, {adapter}, {pass} request:\n    got      {answer:?}\n    expected {expected:?}"
            );
        }
    }
}

/// Send `row` through every adapter; how their answers differ from the
/// row's expectation (empty when they all agree with it), and whether the
/// row had a gRPC column.
async fn check(kit: &Kit, i: usize, row: &Row) -> (String, bool) {
    let name = format!("row {i} {:?} ({:?} {:?})", row.what, row.app, row.route);
    if let Expect::Refused(status, error) = &row.expect {
        let core = Challenge::new(error, row.app.realm()).status();
        assert_eq!(
            core,
            *status,
            "{name}: the table says {status} for {} ({error}), the core answers {core}",
            error.kind()
        );
    }
    let mut out = String::new();
    let http = expected_http(row);
    compare(
        &mut out,
        &name,
        "axum",
        &axum_app::answers(kit, row).await,
        &http,
    );
    let actix = actix_app::answers(kit, row).await;
    compare(&mut out, &name, "actix-web", &actix, &http);
    let grpc = grpc_stack::answers(kit, row).await;
    if let Some(answers) = &grpc {
        compare(&mut out, &name, "gRPC", answers, &expected_grpc(row));
    }
    (out, grpc.is_some())
}

#[actix_web::test]
async fn every_adapter_answers_every_row_as_the_table_says() {
    let kit = Kit::new();
    let table = rows::table(&kit);
    assert!(table.len() >= 40, "the table has {} rows", table.len());

    let mut mismatches = String::new();
    let mut grpc_rows = 0;
    for (i, row) in table.iter().enumerate() {
        let (differences, grpc) = check(&kit, i, row).await;
        mismatches.push_str(&differences);
        grpc_rows += usize::from(grpc);
    }
    assert!(
        mismatches.is_empty(),
        "answers differ from the table:\n{mismatches}"
    );
    eprintln!("{} rows, {grpc_rows} with a gRPC column", table.len());
}

//! The router of the axum example API, protected by `cognito-jwt-tower`:
//! the routes and answers of `demo-support`, served over TCP by this
//! package's `axum-api` binary and by `lambda-api` in AWS Lambda.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use cognito_jwt::{AlbVerifier, BuildError, ProtectedResourceMetadata, ScopeSet, Trust, Verifier};
use cognito_jwt_tower::{
    AccessToken, Authenticated, CognitoAuth, IdToken, Require, RequireScope, ResourceMetadata,
};
use demo_support::{Demo, MetricsExporter, Revoker, responses, revoke, rules};

/// `GET /orders` needs `orders/read`.
struct OrdersRead;
impl ScopeSet for OrdersRead {
    const SCOPES: &'static [&'static str] = &[demo_support::ORDERS_READ];
}

/// `POST /orders` needs `orders/write`.
struct OrdersWrite;
impl ScopeSet for OrdersWrite {
    const SCOPES: &'static [&'static str] = &[demo_support::ORDERS_WRITE];
}

/// A JSON reply, serialized by [`responses::to_json`] (a `Vec` with room
/// for the body) rather than `axum::Json`, whose `BytesMut` writer was the
/// largest cost of a `/me` request outside the kernel (BENCHMARKS.md).
struct Json<T>(T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match responses::to_json(&self.0) {
            Ok(body) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }
}

async fn health() -> Json<responses::Health> {
    Json(responses::health())
}

/// `GET /ready`: 503 until the issuer's keys are loaded.
fn ready(verifier: Verifier) -> impl Handler<((),), ()> {
    move || {
        let readiness = responses::readiness(&verifier);
        let status =
            StatusCode::from_u16(readiness.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        async move { (status, Json(readiness)) }
    }
}

/// A revocation route's answer (`demo_support::revoke::handle`).
fn revocation_reply((status, body): revoke::Reply) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

/// `POST /logout`: the caller's session is revoked.
async fn logout(
    Extension(revoker): Extension<Revoker>,
    AccessToken(claims): AccessToken,
) -> Response {
    revocation_reply(revoke::handle(&revoker, revoke::logout(&claims)).await)
}

/// `POST /admin/revocations`: the rule in the body is revoked.
async fn admin_revocations(
    Extension(revoker): Extension<Revoker>,
    _: Authenticated,
    body: Bytes,
) -> Response {
    let rule = revoke::admin_request(&body, cognito_jwt::Clock::now(&cognito_jwt::SystemClock));
    revocation_reply(revoke::handle(&revoker, rule).await)
}

/// `GET /metrics`, in Prometheus text format.
fn metrics(exporter: MetricsExporter) -> impl Handler<((),), ()> {
    move || {
        let body = exporter.render();
        async move {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(MetricsExporter::CONTENT_TYPE),
                )],
                body,
            )
        }
    }
}

async fn me(AccessToken(claims): AccessToken) -> Json<responses::Me> {
    Json(responses::me(&claims))
}

async fn profile(IdToken(claims): IdToken) -> Json<responses::Profile> {
    Json(responses::profile(&claims))
}

async fn list_orders(token: RequireScope<OrdersRead>) -> Json<responses::Orders> {
    Json(responses::orders(&token))
}

async fn create_order(
    token: RequireScope<OrdersWrite>,
) -> (StatusCode, Json<responses::OrderCreated>) {
    (StatusCode::CREATED, Json(responses::order_created(&token)))
}

async fn admin(Authenticated(claims): Authenticated) -> Json<responses::Admin> {
    Json(responses::admin(&claims))
}

/// The application: every route but the probes (`/health`, `/ready`) and
/// `/metrics` (only with `EXPOSE_METRICS=1`) sits behind the [`CognitoAuth`].
///
/// `metadata` is this API's RFC 9728 document and whether its 401s and 403s
/// name it (`COGNITO_RESOURCE` set); `None`: no document is served. The
/// same router answers over TCP
/// (`axum-api`) and as a Lambda function (`lambda-api`).
pub fn app(
    verifier: Verifier,
    exporter: Option<MetricsExporter>,
    revoker: Revoker,
    metadata: Option<(ProtectedResourceMetadata, bool)>,
    alb_data: Option<(AlbVerifier, Trust)>,
) -> Result<Router, BuildError> {
    // Layered per handler (`Handler::layer`), so that only the routes' own
    // methods are protected: an unknown method is 405 (with `Allow`) and an
    // unknown path 404, with or without a token, as in actix-api.
    // `Router::route_layer` would also wrap each path's 405 fallback and
    // answer 401 there first. `MethodRouter::route_layer` answers alike but
    // adds a boxed route per request (BENCHMARKS.md).
    let auth = CognitoAuth::new(verifier.clone());
    // COGNITO_ALB_ARN set: the load balancer's data token, when present.
    let auth = match alb_data {
        Some((alb, trust)) => auth.alb_data(alb, trust),
        None => auth,
    };
    // The RFC 9728 document, when there is one; with COGNITO_RESOURCE set,
    // every 401 and 403 also names it.
    let (auth, metadata) = match metadata {
        Some((metadata, true)) => {
            let (auth, served) = auth.publish(metadata)?;
            (auth, Some(served))
        }
        Some((metadata, false)) => (auth, Some(ResourceMetadata::new(metadata))),
        None => (auth, None),
    };
    let router = Router::new()
        .route("/me", get(me.layer(auth.clone())))
        .route("/profile", get(profile.layer(auth.clone())))
        .route(
            "/orders",
            get(list_orders.layer(auth.clone())).post(create_order.layer(auth.clone())),
        )
        // A route-level rule, shared with the actix example (`rules::admin`).
        // The last `layer` runs first: verify, then the rule.
        .route(
            "/admin",
            get(admin
                .layer(Require::new(rules::admin()?))
                .layer(auth.clone())),
        )
        .route("/logout", post(logout.layer(auth.clone())))
        .route(
            "/admin/revocations",
            post(
                admin_revocations
                    .layer(Require::new(rules::admin()?))
                    .layer(auth.clone()),
            ),
        )
        .route("/health", get(health))
        .route("/ready", get(ready(verifier)));
    let router = match exporter {
        Some(exporter) => router.route("/metrics", get(metrics(exporter))),
        None => router,
    };
    let router = router.layer(Extension(revoker));
    // Outermost: the document answers before any route, without a token.
    Ok(match metadata {
        Some(metadata) => router.layer(metadata),
        None => router,
    })
}

/// [`app`] for `demo`, as configured from the environment: its verifier,
/// metrics, revocations and RFC 9728 metadata, whose resource is
/// `COGNITO_RESOURCE`, else `http://{addr}`. Without a listening address
/// (`None`: a Lambda function) the document is served only when
/// `COGNITO_RESOURCE` names the resource, never with a made-up one. `Err`
/// names what the configuration got wrong.
pub fn demo_app(demo: &Demo, addr: Option<SocketAddr>) -> Result<Router, String> {
    let metadata = match addr {
        Some(addr) => Some(addr),
        None => demo.names_resource_metadata().then_some(demo.bind_addr),
    }
    .map(|addr| demo.resource_metadata(addr).map_err(|e| e.to_string()))
    .transpose()?
    .map(|metadata| (metadata, demo.names_resource_metadata()));
    app(
        demo.verifier.clone(),
        demo.metrics.clone(),
        demo.revoker.clone(),
        metadata,
        demo.alb_data(),
    )
    .map_err(|e| e.to_string())
}

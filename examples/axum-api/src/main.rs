//! An axum API protected by `cognito-jwt-tower`.
//!
//! `cargo run -p axum-api` starts it with an embedded local issuer and prints
//! `curl` commands with freshly minted tokens; set `COGNITO_USER_POOL_ID` (or
//! `COGNITO_ISSUER`) and `COGNITO_CLIENT_IDS` to protect it with a real user
//! pool. The routes and their answers are described in `demo-support`.

use std::process::ExitCode;

use axum::body::Bytes;
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use cognito_jwt::{AlbVerifier, BuildError, ProtectedResourceMetadata, ScopeSet, Trust, Verifier};
use cognito_jwt_tower::{AccessToken, Authenticated, CognitoAuth, IdToken, Require, RequireScope};
use demo_support::{MetricsExporter, Revoker, responses, revoke, rules};

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
fn app(
    verifier: Verifier,
    exporter: Option<MetricsExporter>,
    revoker: Revoker,
    metadata: (ProtectedResourceMetadata, bool),
    alb_data: Option<(AlbVerifier, Trust)>,
) -> Result<Router, BuildError> {
    // Layered per handler (`Handler::layer`), so that only the routes' own
    // methods are protected: an unknown method is 405 (with `Allow`) and an
    // unknown path 404, with or without a token, as in actix-api.
    // `Router::route_layer` would also wrap each path's 405 fallback and
    // answer 401 there first. `MethodRouter::route_layer` answers alike but
    // adds a boxed route per request (BENCHMARKS.md).
    let (metadata, name_it) = metadata;
    let auth = CognitoAuth::new(verifier.clone());
    // COGNITO_ALB_ARN set: the load balancer's data token, when present.
    let auth = match alb_data {
        Some((alb, trust)) => auth.alb_data(alb, trust),
        None => auth,
    };
    // COGNITO_RESOURCE set: every 401 and 403 names the metadata (RFC 9728).
    let auth = if name_it {
        auth.resource_metadata(metadata.url())?
    } else {
        auth
    };
    let metadata_path = metadata.well_known_path();
    let metadata_json = metadata.to_json();
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
        .route(
            &metadata_path,
            get(move || async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(ProtectedResourceMetadata::CONTENT_TYPE),
                    )],
                    metadata_json,
                )
            }),
        )
        .route("/health", get(health))
        .route("/ready", get(ready(verifier)));
    let router = match exporter {
        Some(exporter) => router.route("/metrics", get(metrics(exporter))),
        None => router,
    };
    Ok(router.layer(Extension(revoker)))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (demo, listener, addr) = match demo_support::start("axum-api").await {
        Ok(started) => started,
        Err(code) => return code,
    };
    let metadata = match demo.resource_metadata(addr) {
        Ok(metadata) => (metadata, demo.names_resource_metadata()),
        Err(e) => {
            eprintln!("axum-api: {e}");
            return ExitCode::from(2);
        }
    };
    let app = match app(
        demo.verifier.clone(),
        demo.metrics.clone(),
        demo.revoker.clone(),
        metadata,
        demo.alb_data(),
    ) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("axum-api: {e}");
            return ExitCode::from(2);
        }
    };
    demo.print_ready(addr);
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("axum-api: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! `cargo bench -p cognito-jwt-tower --bench router`: what [`CognitoAuth`]
//! adds to an axum request, in process (no sockets, no kernel), by where it
//! sits. Every request carries the same 1 KB `Authorization` header with a
//! token verified before, and goes through one `Router` with `oneshot`.
//!
//! - `floor_unprotected`: `GET /health`, a route with no layer and a handler
//!   that answers a static body: what axum costs without authentication.
//! - `free/{route_layer,handler_layer}`: the `/me`-shaped handler (reads
//!   `Extension<Claims>`), behind a layer that only inserts claims verified
//!   once at start-up, as if authentication were free.
//! - `auth/{route_layer,handler_layer}`: the same handler behind
//!   [`CognitoAuth`], placed with `MethodRouter::route_layer` or
//!   `Handler::layer` (the two placements that answer routing errors
//!   before authentication; see the crate docs).
//!
//! So `auth/x` against `free/x` is the layer's own cost, and `route_layer`
//! against `handler_layer` is what the extra boxed route of
//! `MethodRouter::route_layer` costs.

use std::hint::black_box;
use std::time::Duration;

use axum::body::Body;
use axum::handler::Handler;
use axum::http::{HeaderValue, Request, header};
use axum::routing::get;
use axum::{Extension, Router};
use cognito_jwt::Claims;
use cognito_jwt_tower::CognitoAuth;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use demo_support::Demo;
use tower::ServiceExt;

async fn health() -> &'static str {
    "ok"
}

async fn me(Extension(claims): Extension<Claims>) -> String {
    claims.sub().to_owned()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The example APIs' embedded issuer and the token they answer `/me` for.
    let (demo, token, claims) = runtime
        .block_on(Demo::embedded_full_access())
        .expect("demo");
    let auth = CognitoAuth::new(demo.verifier.clone());
    let free = Extension(claims);
    let app = Router::new()
        .route("/health", get(health))
        .route("/free/route_layer", get(me).route_layer(free.clone()))
        .route("/free/handler_layer", get(me.layer(free)))
        .route("/auth/route_layer", get(me).route_layer(auth.clone()))
        .route("/auth/handler_layer", get(me.layer(auth)));
    let bearer = HeaderValue::try_from(format!("Bearer {token}")).expect("header");

    let mut g = c.benchmark_group("router");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    for (name, path) in [
        ("floor_unprotected", "/health"),
        ("free/route_layer", "/free/route_layer"),
        ("free/handler_layer", "/free/handler_layer"),
        ("auth/route_layer", "/auth/route_layer"),
        ("auth/handler_layer", "/auth/handler_layer"),
    ] {
        let request = || {
            Request::get(path)
                .header(header::AUTHORIZATION, bearer.clone())
                .body(Body::empty())
                .expect("request")
        };
        let status = runtime
            .block_on(app.clone().oneshot(request()))
            .map(|r| r.status());
        assert_eq!(status.ok(), Some(axum::http::StatusCode::OK), "{path}");
        g.bench_function(name, |b| {
            b.iter(|| runtime.block_on(app.clone().oneshot(black_box(request()))))
        });
    }
    g.finish();
}

criterion_group!(router, benches);
criterion_main!(router);

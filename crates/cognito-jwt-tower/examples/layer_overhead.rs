//! A server that isolates what [`CognitoAuth`] costs per request, for
//! `scripts/layer-overhead.sh` (which drives it with wrk).
//!
//! ```text
//! cargo run --release -p cognito-jwt-tower --example layer_overhead
//! ```
//!
//! Two routes run the same handler (the `/me` body of the example APIs) on
//! requests that carry the same `Authorization` header:
//!
//! - `GET /protected` sits behind [`CognitoAuth`]: the token is extracted,
//!   looked up in the verified-token cache, its time and key re-checked;
//! - `GET /unprotected` gets the same [`Claims`] (verified once at start-up)
//!   from a layer that only inserts them, as if authentication were free.
//!
//! So the ratio of the two is the layer's cost alone, with the same bytes on
//! the wire and the same work in the handler. Prints `url=` and `token=`
//! lines, then serves until killed. Loopback only; tokens and keys from the
//! example APIs' embedded issuer (`demo-support`). With `EXPOSE_METRICS=1`
//! (and demo-support's `metrics` feature) it counts cognito-jwt's metrics
//! into a Prometheus recorder, and prints `metrics=prometheus`.

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Extension, Json, Router};
use cognito_jwt::Claims;
use cognito_jwt_tower::CognitoAuth;
use demo_support::{Demo, MetricsExporter, responses};

/// The `/me` body of the example APIs.
async fn me(Extension(claims): Extension<Claims>) -> Json<responses::Me> {
    Json(responses::me(&claims))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The example APIs' embedded issuer; it serves the JWKS while `demo` lives.
    let (demo, token, claims) = Demo::embedded_full_access().await?;
    // EXPOSE_METRICS=1, in a build with demo-support's `metrics` feature
    // (`scripts/layer-overhead.sh --features metrics`): count into the
    // Prometheus recorder, as the example APIs do.
    if MetricsExporter::from_env()?.is_some() {
        println!("metrics=prometheus");
    }
    // OVERHEAD_REVOCATION_RULES=N: N revocation rules in force (none matching).
    println!(
        "revocation_rules={}",
        demo.revoker.load_overhead_rules_from_env()
    );

    let app = Router::new()
        .route(
            "/protected",
            get(me).route_layer(CognitoAuth::new(demo.verifier.clone())),
        )
        .route("/unprotected", get(me).route_layer(Extension(claims)));

    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    println!("url=http://{}", listener.local_addr()?);
    println!("token={token}");
    axum::serve(listener, app).await?;
    Ok(())
}

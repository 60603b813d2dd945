//! A server that isolates what [`AuthLayer`] costs per request, for
//! `scripts/layer-overhead.sh` (which drives it with wrk).
//!
//! ```text
//! cargo run --release -p cognito-jwt-tower --example layer_overhead
//! ```
//!
//! Two routes run the same handler (the `/me` body of the example APIs) on
//! requests that carry the same `Authorization` header:
//!
//! - `GET /protected` sits behind [`AuthLayer`]: the token is extracted,
//!   looked up in the verified-token cache, its time and key re-checked;
//! - `GET /unprotected` gets the same [`Claims`] (verified once at start-up)
//!   from a layer that only inserts them, as if authentication were free.
//!
//! So the ratio of the two is the layer's cost alone, with the same bytes on
//! the wire and the same work in the handler. Prints `url=` and `token=`
//! lines, then serves until killed. Loopback only; keys from a static JWKS.

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Extension, Json, Router};
use cognito_jwt::{Claims, Issuer, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;
use cognito_jwt_tower::AuthLayer;
use serde_json::{Value, json};

/// The `/me` body of the example APIs.
async fn me(Extension(claims): Extension<Claims>) -> Json<Value> {
    Json(json!({
        "sub": claims.sub(),
        "username": claims.username(),
        "client_id": claims.client_id(),
        "scopes": claims.scopes().collect::<Vec<_>>(),
        "groups": claims.groups().collect::<Vec<_>>(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = TestIssuer::cognito();
    let pool = issuer.pool_id().ok_or("the test issuer has no pool id")?;
    let verifier = Verifier::builder(Issuer::cognito(pool).static_jwks(issuer.jwks().to_string()))
        .client_ids([issuer.client_id()])
        .token_use(TokenUse::Access)
        .build()?;
    let token = issuer
        .access_token()
        .scopes(&["openid", "orders/read", "orders/write"])
        .groups(&["admin"])
        .build();
    let claims = verifier.verify(&token).await?;

    let app = Router::new()
        .route("/protected", get(me).route_layer(AuthLayer::new(verifier)))
        .route("/unprotected", get(me).route_layer(Extension(claims)));

    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    println!("url=http://{}", listener.local_addr()?);
    println!("token={token}");
    axum::serve(listener, app).await?;
    Ok(())
}

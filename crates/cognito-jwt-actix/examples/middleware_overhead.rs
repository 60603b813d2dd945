//! A server that isolates what the [`CognitoAuth`] middleware costs per
//! request, for `scripts/layer-overhead.sh actix` (which drives it with wrk).
//!
//! ```text
//! cargo run --release -p cognito-jwt-actix --example middleware_overhead
//! ```
//!
//! Two routes run the same handler (the `/me` body of the example APIs) on
//! requests that carry the same `Authorization` header, each behind one
//! route middleware:
//!
//! - `GET /protected` behind [`CognitoAuth`]: the token is extracted, looked
//!   up in the verified-token cache, its time and key re-checked;
//! - `GET /unprotected` behind a middleware that only inserts the same
//!   [`Claims`] (verified once at start-up), as if authentication were free.
//!
//! So the ratio of the two is the middleware's cost alone, with the same
//! bytes on the wire and the same work in the handler. Prints `url=` and
//! `token=` lines, then serves until killed. Loopback only; tokens and keys
//! from the example APIs' embedded issuer (`demo-support`). With
//! `EXPOSE_METRICS=1` (and demo-support's `metrics` feature) it counts
//! cognito-jwt's metrics into a Prometheus recorder, and prints
//! `metrics=prometheus`.

use std::future::{Ready, ready};
use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use cognito_jwt::Claims;
use cognito_jwt_actix::CognitoAuth;
use demo_support::{Demo, MetricsExporter, responses};

/// The `/me` body of the example APIs.
async fn me(claims: web::ReqData<Claims>) -> HttpResponse {
    HttpResponse::Ok().json(responses::me(&claims))
}

/// Authentication for free: the same claims put into every request.
#[derive(Clone)]
struct InsertClaims(Claims);

impl<S, B> Transform<S, ServiceRequest> for InsertClaims
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = InsertClaimsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(InsertClaimsService {
            service,
            claims: self.0.clone(),
        }))
    }
}

struct InsertClaimsService<S> {
    service: S,
    claims: Claims,
}

impl<S, B> Service<ServiceRequest> for InsertClaimsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        req.extensions_mut().insert(self.claims.clone());
        self.service.call(req)
    }
}

#[actix_web::main]
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

    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    println!("url=http://{}", listener.local_addr()?);
    println!("token={token}");
    let auth = CognitoAuth::new(demo.verifier.clone());
    HttpServer::new(move || {
        App::new()
            .route("/protected", web::get().to(me).wrap(auth.clone()))
            .route(
                "/unprotected",
                web::get().to(me).wrap(InsertClaims(claims.clone())),
            )
    })
    .listen(listener)?
    .run()
    .await?;
    Ok(())
}

//! An actix-web API protected by `cognito-jwt-actix`, answering exactly like
//! `axum-api`: same environment, routes, JSON bodies and RFC 6750 rejections
//! (both take them from `demo-support`).
//!
//! ```text
//! cargo run -p actix-api                       # embedded local issuer, prints curl commands
//! COGNITO_USER_POOL_ID=us-east-1_AbCdEf123 COGNITO_CLIENT_IDS=1example23456789 cargo run -p actix-api
//! ```
#![forbid(unsafe_code)]

use std::process::ExitCode;

use actix_web::{App, HttpResponse, HttpServer, Route, web};
use cognito_jwt::{Claims, Requirement};
use cognito_jwt_actix::{Authenticated, CognitoAuth, Require};
use demo_support::{Demo, responses, rules};

/// A route that needs a verified token meeting `rule`, answered by `respond`.
///
/// Authentication wraps the route itself (not the `App`), so an unknown path
/// is 404 and an unknown method 405, as in axum-api.
fn protected(
    route: Route,
    auth: &CognitoAuth,
    rule: Requirement,
    status: fn() -> actix_web::HttpResponseBuilder,
    respond: fn(&Claims) -> serde_json::Value,
) -> Route {
    route
        .to(move |Authenticated(claims): Authenticated| async move {
            status().json(respond(&claims))
        })
        // The last `wrap` runs first: verify, then check the route's rule.
        .wrap(Require::new(rule))
        .wrap(auth.clone())
}

fn routes(cfg: &mut web::ServiceConfig, auth: &CognitoAuth) {
    cfg.route(
        "/health",
        web::get().to(|| async { HttpResponse::Ok().json(responses::health()) }),
    )
    .route(
        "/me",
        protected(
            web::get(),
            auth,
            rules::me(),
            HttpResponse::Ok,
            responses::me,
        ),
    )
    .route(
        "/profile",
        protected(
            web::get(),
            auth,
            rules::profile(),
            HttpResponse::Ok,
            responses::profile,
        ),
    )
    .route(
        "/orders",
        protected(
            web::get(),
            auth,
            rules::orders_read(),
            HttpResponse::Ok,
            responses::orders,
        ),
    )
    .route(
        "/orders",
        protected(
            web::post(),
            auth,
            rules::orders_write(),
            HttpResponse::Created,
            responses::order_created,
        ),
    )
    .route(
        "/admin",
        protected(
            web::get(),
            auth,
            rules::admin(),
            HttpResponse::Ok,
            responses::admin,
        ),
    );
}

#[actix_web::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    let demo = match Demo::from_env() {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("actix-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Keys now, so the first request does not wait; a failure is retried on use.
    let _ = demo.verifier.prefetch().await;

    // One verifier for every worker: one JWKS cache, one fetch, one token cache.
    let auth = CognitoAuth::new(demo.verifier.clone());
    let server = match HttpServer::new(move || {
        let auth = auth.clone();
        App::new().configure(move |cfg| routes(cfg, &auth))
    })
    .bind(demo.bind_addr)
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("actix-api: cannot listen on {}: {e}", demo.bind_addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = server.addrs().first().copied().unwrap_or(demo.bind_addr);
    demo.print_ready(addr);
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

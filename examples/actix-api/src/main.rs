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

use actix_web::{App, HttpResponse, HttpResponseBuilder, HttpServer, Route, web};
use cognito_jwt::{Claims, Requirement};
use cognito_jwt_actix::{Authenticated, CognitoAuth, Require};
use demo_support::{Demo, responses, rules};

/// A route that needs a verified token meeting `rule`, answered with
/// `status` and the JSON `respond` builds from the claims.
fn protected(
    route: Route,
    rule: Requirement,
    status: fn() -> HttpResponseBuilder,
    respond: fn(&Claims) -> serde_json::Value,
) -> Route {
    route
        .to(move |Authenticated(claims): Authenticated| async move {
            status().json(respond(&claims))
        })
        .wrap(Require::new(rule))
}

/// `/health` is public; everything else, unknown paths and methods included,
/// sits behind [`CognitoAuth`] (as in axum-api, where the layer also covers the
/// fallback): no token is 401, a valid one reaches the route, its rule, or 404/405.
fn routes(cfg: &mut web::ServiceConfig, auth: CognitoAuth) {
    cfg.route(
        "/health",
        web::get().to(|| async { HttpResponse::Ok().json(responses::health()) }),
    )
    .service(
        web::scope("")
            .wrap(auth)
            .route(
                "/me",
                protected(web::get(), rules::me(), HttpResponse::Ok, responses::me),
            )
            .route(
                "/profile",
                protected(
                    web::get(),
                    rules::profile(),
                    HttpResponse::Ok,
                    responses::profile,
                ),
            )
            .service(
                web::resource("/orders")
                    .route(protected(
                        web::get(),
                        rules::orders_read(),
                        HttpResponse::Ok,
                        responses::orders,
                    ))
                    .route(protected(
                        web::post(),
                        rules::orders_write(),
                        HttpResponse::Created,
                        responses::order_created,
                    )),
            )
            .route(
                "/admin",
                protected(
                    web::get(),
                    rules::admin(),
                    HttpResponse::Ok,
                    responses::admin,
                ),
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
            return ExitCode::from(2);
        }
    };
    // Keys now, so the first request does not wait. Not fatal: keys are
    // fetched again on first use.
    if let Err(e) = demo.verifier.prefetch().await {
        tracing::warn!(error = %e, "could not prefetch the JWKS");
    }

    // One verifier for every worker: one JWKS cache, one fetch, one token cache.
    let auth = CognitoAuth::new(demo.verifier.clone());
    let server = match HttpServer::new(move || {
        let auth = auth.clone();
        App::new().configure(move |cfg| routes(cfg, auth))
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

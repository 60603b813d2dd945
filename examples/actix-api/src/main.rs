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

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpResponseBuilder, HttpServer, Route, guard, web};
use cognito_jwt::{BuildError, Claims, Requirement, Verifier};
use cognito_jwt_actix::{AccessToken, Authenticated, CognitoAuth, ResourceMetadata};
use demo_support::{Demo, MetricsExporter, Revoker, responses, revoke, rules};
use serde::Serialize;

/// A route that needs a verified token meeting `rule`, answered with
/// `status` and the JSON `respond` builds from the claims.
///
/// Authentication wraps each route (as axum-api layers each handler), so an
/// unknown path is 404 and an unknown method 405, with or without a token.
fn protected<T: Serialize + 'static>(
    route: Route,
    auth: &CognitoAuth,
    rule: Requirement,
    status: fn() -> HttpResponseBuilder,
    respond: fn(&Claims) -> T,
) -> Route {
    route
        .to(move |Authenticated(claims): Authenticated| async move {
            json(status(), &respond(&claims))
        })
        // One middleware per route: verify the token, then the route's rule.
        .wrap(auth.clone().require(rule))
}

/// A JSON reply, serialized by [`responses::to_json`] (a `Vec` with room
/// for the body; `HttpResponseBuilder::json` starts at 128 bytes and
/// regrows for `/me`).
fn json<T: Serialize>(mut status: HttpResponseBuilder, body: &T) -> HttpResponse {
    match responses::to_json(body) {
        Ok(body) => status.content_type(ContentType::json()).body(body),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// `GET`, and `HEAD` answered like it (without the body), as axum-api does.
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The routes' rules, built (and so checked) once at start-up.
#[derive(Clone)]
struct Rules {
    orders_read: Requirement,
    orders_write: Requirement,
    admin: Requirement,
}

impl Rules {
    fn new() -> Result<Rules, BuildError> {
        Ok(Rules {
            orders_read: rules::orders_read()?,
            orders_write: rules::orders_write()?,
            admin: rules::admin()?,
        })
    }
}

/// The probes (`/health`, `/ready`) and `/metrics` (only with
/// `EXPOSE_METRICS=1`), outside authentication.
fn probes(cfg: &mut web::ServiceConfig, verifier: &Verifier, exporter: Option<&MetricsExporter>) {
    let verifier = verifier.clone();
    cfg.service(
        web::resource("/health")
            .route(get().to(|| async { json(HttpResponse::Ok(), &responses::health()) })),
    )
    .service(web::resource("/ready").route(get().to(move || {
        let readiness = responses::readiness(&verifier);
        let status =
            StatusCode::from_u16(readiness.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        async move { json(HttpResponse::build(status), &readiness) }
    })));
    if let Some(exporter) = exporter.cloned() {
        cfg.service(web::resource("/metrics").route(get().to(move || {
            let body = exporter.render();
            async move {
                HttpResponse::Ok()
                    .content_type(MetricsExporter::CONTENT_TYPE)
                    .body(body)
            }
        })));
    }
}

/// A revocation route's answer (`demo_support::revoke::handle`).
fn revocation_reply((status, body): revoke::Reply) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(HttpResponse::build(status), &body)
}

/// `POST /logout` and `POST /admin/revocations`.
fn revocation_routes(
    cfg: &mut web::ServiceConfig,
    auth: &CognitoAuth,
    rules: &Rules,
    revoker: &Revoker,
) {
    let logout = revoker.clone();
    let admin = revoker.clone();
    cfg.service(
        web::resource("/logout").route(
            web::post()
                .to(move |AccessToken(claims): AccessToken| {
                    let revoker = logout.clone();
                    async move {
                        revocation_reply(revoke::handle(&revoker, revoke::logout(&claims)).await)
                    }
                })
                .wrap(auth.clone()),
        ),
    )
    .service(
        web::resource("/admin/revocations").route(
            web::post()
                .to(move |_: Authenticated, body: web::Bytes| {
                    let revoker = admin.clone();
                    async move {
                        let now = cognito_jwt::Clock::now(&cognito_jwt::SystemClock);
                        let rule = revoke::admin_request(&body, now);
                        revocation_reply(revoke::handle(&revoker, rule).await)
                    }
                })
                // Verify the token, then the admin rule.
                .wrap(auth.clone().require(rules.admin.clone())),
        ),
    );
}

fn routes(cfg: &mut web::ServiceConfig, auth: &CognitoAuth, rules: &Rules) {
    let ok = HttpResponse::Ok;
    cfg.service(web::resource("/me").route(protected(get(), auth, rules::me(), ok, responses::me)))
        .service(web::resource("/profile").route(protected(
            get(),
            auth,
            rules::profile(),
            ok,
            responses::profile,
        )))
        .service(
            web::resource("/orders")
                .route(protected(
                    get(),
                    auth,
                    rules.orders_read.clone(),
                    ok,
                    responses::orders,
                ))
                .route(protected(
                    web::post(),
                    auth,
                    rules.orders_write.clone(),
                    HttpResponse::Created,
                    responses::order_created,
                )),
        )
        .service(web::resource("/admin").route(protected(
            get(),
            auth,
            rules.admin.clone(),
            ok,
            responses::admin,
        )));
}

#[actix_web::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    let mut demo = match Demo::from_env() {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("actix-api: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = demo.connect_revocations().await {
        eprintln!("actix-api: {e}");
        return ExitCode::from(2);
    }
    // Keys now, so the first request does not wait; bounded and not fatal.
    demo.prefetch().await;

    let route_rules = match Rules::new() {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("actix-api: {e}");
            return ExitCode::from(2);
        }
    };
    // Bound first, so that the RFC 9728 document's default `resource`
    // (this server's URL) has the real port.
    let listener = match std::net::TcpListener::bind(demo.bind_addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("actix-api: cannot listen on {}: {e}", demo.bind_addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(demo.bind_addr);
    let metadata = match demo.resource_metadata(addr) {
        Ok(metadata) => metadata,
        Err(e) => {
            eprintln!("actix-api: {e}");
            return ExitCode::from(2);
        }
    };
    // One verifier for every worker: one JWKS cache, one fetch, one token cache.
    let auth = CognitoAuth::new(demo.verifier.clone());
    // COGNITO_ALB_ARN set: the load balancer's data token, when present.
    let auth = match demo.alb_data() {
        Some((alb, trust)) => auth.alb_data(alb, trust),
        None => auth,
    };
    // The document is served in any case; with COGNITO_RESOURCE set, every
    // 401 and 403 also names it.
    let (auth, metadata) = if demo.names_resource_metadata() {
        match auth.publish(metadata) {
            Ok(published) => published,
            Err(e) => {
                eprintln!("actix-api: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        (auth, ResourceMetadata::new(metadata))
    };
    let (verifier, exporter) = (demo.verifier.clone(), demo.metrics.clone());
    let revoker = demo.revoker.clone();
    let server = match HttpServer::new(move || {
        let (auth, route_rules) = (auth.clone(), route_rules.clone());
        let (verifier, exporter) = (verifier.clone(), exporter.clone());
        let (revocation_auth, revocation_rules, revoker) =
            (auth.clone(), route_rules.clone(), revoker.clone());
        App::new()
            .service(metadata.clone())
            .configure(move |cfg| probes(cfg, &verifier, exporter.as_ref()))
            .configure(move |cfg| routes(cfg, &auth, &route_rules))
            .configure(move |cfg| {
                revocation_routes(cfg, &revocation_auth, &revocation_rules, &revoker)
            })
    })
    .listen(listener)
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("actix-api: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    demo.print_ready(addr);
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

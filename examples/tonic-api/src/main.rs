//! `cargo run -p tonic-api`: the `orders.Orders` gRPC service behind
//! `cognito-jwt-tower`, configured like the HTTP examples (`demo-support`;
//! default address `127.0.0.1:3000`, embedded issuer when no pool is set).

use std::process::ExitCode;

use demo_support::Demo;

#[tokio::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    let demo = match Demo::from_env() {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("tonic-api: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(demo.bind_addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tonic-api: cannot listen on {}: {e}", demo.bind_addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(demo.bind_addr);
    if let Err(e) = demo.verifier.prefetch().await {
        tracing::warn!(error = %e, "could not prefetch the JWKS");
    }
    if let Some(local) = &demo.local {
        let token = local
            .access_token()
            .scopes(&["openid", demo_support::ORDERS_READ])
            .build();
        println!("embedded local issuer; an access token with orders/read:\n{token}\n");
    }
    println!(
        "{}{addr} (gRPC: orders.Orders/WhoAmI, orders.Orders/ListOrders)",
        demo_support::LISTENING_PREFIX
    );
    if let Err(e) = tonic_api::serve(listener, demo.verifier.clone()).await {
        eprintln!("tonic-api: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! `cargo run -p tonic-api`: the `orders.Orders` gRPC service behind
//! `cognito-jwt-tower`, configured like the HTTP examples (`demo-support`;
//! default address `127.0.0.1:3000`, embedded issuer when no pool is set).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let (demo, listener, addr) = match demo_support::start("tonic-api").await {
        Ok(started) => started,
        Err(code) => return code,
    };
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

//! An axum API protected by `cognito-jwt-tower`.
//!
//! `cargo run -p axum-api` starts it with an embedded local issuer and prints
//! `curl` commands that get tokens through Cognito's grants (client
//! credentials, the code grant with PKCE) and call the API; set `COGNITO_USER_POOL_ID` (or
//! `COGNITO_ISSUER`) and `COGNITO_CLIENT_IDS` to protect it with a real user
//! pool. The routes and their answers are described in `demo-support`.

use std::process::ExitCode;

use axum_api::demo_app;

#[tokio::main]
async fn main() -> ExitCode {
    let (demo, listener, addr) = match demo_support::start("axum-api").await {
        Ok(started) => started,
        Err(code) => return code,
    };
    let app = match demo_app(&demo, Some(addr)) {
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

//! The axum example API as an AWS Lambda function, on `lambda_http`.
//!
//! It serves the router of `axum-api` ([`axum_api::app`], the contract of
//! `demo-support`) to API Gateway REST (v1) and HTTP API (v2) events and ALB
//! target events: `lambda_http` turns each event into an `http::Request`,
//! `cognito_jwt_tower::CognitoAuth` checks its `Authorization` header as it
//! does over TCP, and the answer goes back in the event's response shape.
//!
//! Start-up (the Lambda init phase, before the first event):
//!
//! 1. the Lambda runtime variables are checked (`AWS_LAMBDA_RUNTIME_API`,
//!    `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
//!    `AWS_LAMBDA_FUNCTION_VERSION`), so that a missing one is a clear exit 2
//!    rather than the runtime's panic;
//! 2. the Cognito configuration is read as by the other examples, but
//!    `COGNITO_USER_POOL_ID` (or `COGNITO_ISSUER`) and `COGNITO_CLIENT_IDS`
//!    are required: there is no embedded issuer in a function;
//! 3. the pool's keys are fetched (`Demo::prefetch`, at most
//!    `demo_support::PREFETCH_TIMEOUT`), outside the handler, so the first
//!    request does not pay for the JWKS fetch. A failed prefetch is not fatal:
//!    requests answer 503 until the keys can be had, never 401;
//! 4. `lambda_http::run` polls the Runtime API for events.
//!
//! `COGNITO_RESOURCE` names this API in its RFC 9728 metadata; set it to the
//! API's public URL. Without it no metadata document is served: there is no
//! listening address to derive the resource from, and a made-up one would
//! be a wrong public document.

use std::process::ExitCode;

/// What the Lambda runtime client reads from the environment, and panics
/// without.
const RUNTIME_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Why the function cannot start with this environment, read through `var`.
fn check_env(var: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    if let Some(missing) = RUNTIME_VARS.into_iter().find(|name| !set(name)) {
        return Err(format!(
            "{missing} is not set: this binary runs as an AWS Lambda function \
             (or against a local Runtime API such as `cargo lambda watch`); \
             use axum-api to serve the same routes over TCP"
        ));
    }
    // Untrimmed, as the runtime parses it (" 128" would panic there).
    if var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_some_and(|v| v.parse::<i32>().is_err()) {
        return Err("AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a number of megabytes".into());
    }
    if !set("COGNITO_USER_POOL_ID") && !set("COGNITO_ISSUER") {
        return Err(
            "set COGNITO_USER_POOL_ID (or COGNITO_ISSUER) and COGNITO_CLIENT_IDS: \
             a function has no embedded issuer"
                .into(),
        );
    }
    Ok(())
}

/// Why the function stopped.
enum Stop {
    /// A configuration it cannot run with: exit code 2.
    Config(String),
    /// The runtime loop ended with an error.
    Runtime(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    demo_support::init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Config(e)) => {
            eprintln!("lambda-api: {e}");
            ExitCode::from(2)
        }
        Err(Stop::Runtime(e)) => {
            eprintln!("lambda-api: the runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The init phase, then the runtime loop.
async fn run() -> Result<(), Stop> {
    check_env(|name| std::env::var(name).ok()).map_err(Stop::Config)?;
    let config = |e: demo_support::ConfigError| Stop::Config(e.to_string());
    let mut demo = demo_support::Demo::from_env().map_err(config)?;
    demo.connect_revocations().await.map_err(config)?;
    // Cold start: the keys are fetched here, once per execution environment,
    // not in the handler.
    demo.prefetch().await;
    // No listening address here to name the resource after: the RFC 9728
    // document is served only when `COGNITO_RESOURCE` names it.
    let app = axum_api::demo_app(&demo, None).map_err(Stop::Config)?;
    lambda_http::run(app)
        .await
        .map_err(|e| Stop::Runtime(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::check_env;

    /// The environment of `pairs` (a later pair wins).
    fn env(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |name| map.get(name).map(|v| (*v).to_owned())
    }

    const LAMBDA: [(&str, &str); 4] = [
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
    ];

    #[test]
    fn names_the_missing_variable() {
        let pool = ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123");
        for (i, (name, _)) in LAMBDA.iter().enumerate() {
            let mut pairs: Vec<_> = LAMBDA.to_vec();
            pairs.remove(i);
            pairs.push(pool);
            let e = check_env(env(&pairs)).unwrap_err();
            assert!(e.starts_with(&format!("{name} is not set")), "{e}");
        }
        let mut pairs = LAMBDA.to_vec();
        let e = check_env(env(&pairs)).unwrap_err();
        assert!(e.contains("COGNITO_USER_POOL_ID"), "{e}");
        pairs.push(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots"));
        pairs.push(pool);
        let e = check_env(env(&pairs)).unwrap_err();
        assert!(e.contains("MEMORY_SIZE is not a number"), "{e}");
    }

    #[test]
    fn accepts_a_pool_or_an_issuer() {
        for cognito in [
            ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("COGNITO_ISSUER", "https://issuer.example"),
        ] {
            let mut pairs = LAMBDA.to_vec();
            pairs.push(cognito);
            assert_eq!(check_env(env(&pairs)), Ok(()));
        }
    }
}

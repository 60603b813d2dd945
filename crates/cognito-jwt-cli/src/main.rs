//! `cognito-jwt`: inspect or verify an Amazon Cognito JWT (see the
//! `cognito_jwt_cli` library documentation).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(cognito_jwt_cli::run())
}

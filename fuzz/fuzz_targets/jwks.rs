//! `cargo fuzz run jwks`: see [`cognito_jwt_fuzz::jwks`]. On stable it
//! replays the files named on its command line.
#![cfg_attr(fuzzing, no_main)]
#![forbid(unsafe_code)]

cognito_jwt_fuzz::fuzz_target!(jwks);

//! `cargo fuzz run token`: see [`cognito_jwt_fuzz::token`]. On stable it
//! replays the files named on its command line.
#![cfg_attr(fuzzing, no_main)]
#![forbid(unsafe_code)]

cognito_jwt_fuzz::fuzz_target!(token);

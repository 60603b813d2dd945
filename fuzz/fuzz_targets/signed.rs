//! `cargo fuzz run signed`: see [`cognito_jwt_fuzz::signed`]. On stable it
//! replays the files named on its command line.
#![cfg_attr(fuzzing, no_main)]
#![forbid(unsafe_code)]

cognito_jwt_fuzz::fuzz_target!(signed);

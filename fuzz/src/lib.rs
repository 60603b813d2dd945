//! Fuzz targets for cognito-jwt, as plain functions.
//!
//! Each target's body is here, once: the libFuzzer binaries in
//! `fuzz_targets/` call it under `cargo fuzz` (nightly), and the replay test
//! in `tests/replay.rs` calls it on every committed seed and crash
//! reproducer under `cargo test` (stable), so a fixed crash cannot return.
//!
//! | target | input | what must hold |
//! |---|---|---|
//! | [`token`] | a token | no panic; an accepted token meets [`check::accepted`] |
//! | [`jwks`] | a JWKS document | no panic; a token verifies only with its own key, as the document publishes it |
//! | [`header`] | header lines (the first is `Authorization`) | [`cognito_jwt::Verifier::authenticate`] agrees with [`cognito_jwt::TokenSource::extract`] and [`cognito_jwt::Verifier::verify`] |
//! | [`signed`] | a structure ([`signed::Input`]) | tokens built from it and signed with a real key meet [`check::accepted`] whenever accepted |
#![forbid(unsafe_code)]

pub mod check;
pub mod keys;
pub mod setup;
pub mod signed;
mod targets;

pub use signed::signed;
pub use targets::{header, jwks, token};

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz_targets/` and `seeds/` call them.
pub const TARGETS: &[(&str, Target)] = &[
    ("token", token),
    ("jwks", jwks),
    ("header", header),
    ("signed", signed),
];

/// For a target binary built without libFuzzer: run `target` on every file
/// named on the command line (directories: every file in them), printing
/// each name first, so a crash reproducer can be replayed on stable with
/// `cargo run -p cognito-jwt-fuzz --bin <target> -- <file>`.
pub fn replay_args(target: Target) {
    let mut count = 0usize;
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        let files = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files
        } else {
            vec![path]
        };
        for file in files {
            eprintln!("{}", file.display());
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            target(&data);
            count += 1;
        }
    }
    eprintln!("{count} inputs ran without a crash");
}

/// The body of a `fuzz_targets/<name>.rs` file: under `cargo fuzz` (which
/// builds with `--cfg fuzzing`), the libFuzzer entry point calling
/// `cognito_jwt_fuzz::<name>`; otherwise a `main` that replays the files
/// named on the command line ([`replay_args`]). The file itself starts with
/// `#![cfg_attr(fuzzing, no_main)]`.
#[macro_export]
macro_rules! fuzz_target {
    ($name:ident) => {
        #[cfg(fuzzing)]
        ::libfuzzer_sys::fuzz_target!(|data: &[u8]| $crate::$name(data));

        #[cfg(not(fuzzing))]
        fn main() {
            $crate::replay_args($crate::$name);
        }
    };
}

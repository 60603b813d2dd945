//! Replays every committed seed (`fuzz/seeds/<target>/`) and crash
//! reproducer (`fuzz/artifacts/<target>/`) through its target, on stable,
//! so that a crash fixed once cannot come back.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for dir in ["seeds", "artifacts"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} crashes", file.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no seeds in fuzz/seeds/{target}");
}

#[test]
fn token() {
    replay("token", cognito_jwt_fuzz::token);
}

#[test]
fn jwks() {
    replay("jwks", cognito_jwt_fuzz::jwks);
}

#[test]
fn header() {
    replay("header", cognito_jwt_fuzz::header);
}

#[test]
fn signed() {
    replay("signed", cognito_jwt_fuzz::signed);
}

/// Every target is replayed above.
#[test]
fn every_target_is_replayed() {
    let names: Vec<&str> = cognito_jwt_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["token", "jwks", "header", "signed"]);
}

/// The answer of verifier `name` (`access`, `id`, `any`) for seed `seed`.
fn verify_seed(seed: &str, name: &str) -> Result<cognito_jwt::Claims, cognito_jwt::Error> {
    use cognito_jwt_fuzz::setup::{block_on, verifiers};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds/token")
        .join(seed);
    let token = std::fs::read_to_string(path).expect("seed");
    let (_, verifier) = verifiers()
        .iter()
        .find(|(s, _)| s.name == name)
        .expect("verifier");
    block_on(verifier.verify(&token))
}

/// The valid seed tokens still verify, so the targets start from accepted
/// tokens (a change to the keys or the setup would silently stale them),
/// and the near misses still do not.
#[test]
fn seed_tokens_keep_their_answers() {
    let valid = [
        ("access-rsa-a", "access"),
        ("access-rsa-a2", "access"),
        ("access-shared-b", "access"),
        ("access-shared-c", "access"),
        ("access-p384-c", "access"),
        ("float-exp", "access"),
        ("escaped", "access"),
        ("id-rsa-a", "id"),
        ("id-ed-b", "id"),
        ("access-ec-b-aud", "any"),
    ];
    for (seed, verifier) in valid {
        let result = verify_seed(seed, verifier);
        assert!(result.is_ok(), "{seed} with {verifier}: {result:?}");
    }
    for seed in [
        "access-ec-c-no-typ",
        "wrong-issuer-key",
        "outsider",
        "expired",
        "dup-header",
        "crit",
    ] {
        assert!(verify_seed(seed, "access").is_err(), "{seed} verified");
    }
}

//! npm `aws-jwt-verify`, AWS's own Cognito verifier, as a batch oracle
//! (`tests/fixtures/aws-jwt-verify/verify.mjs`).
//!
//! [`verify_batch`] writes every case to one JSON file, runs one `node`
//! process over it and reads back one [`AwsVerdict`] per case, in order.
//! Offline: the JWKS is loaded with `cacheJwks` and tokens are checked with
//! `verifySync`, which never fetches. Each case carries its own expectations
//! (token use, app clients, scopes, groups); `graceSeconds` is 0.

use std::path::PathBuf;
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::process::{repo_root, require_installed};

/// One token and what the verifier is configured to expect of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsCase<'a> {
    pub token: &'a str,
    /// `"id"` or `"access"`.
    pub token_use: &'a str,
    pub client_ids: &'a [String],
    /// Any of these scopes (`None`: no scope check).
    pub scopes: Option<&'a [String]>,
    /// Any of these groups (`None`: no group check).
    pub groups: Option<&'a [String]>,
}

/// What aws-jwt-verify said of one case.
#[derive(Debug, Clone, Deserialize)]
pub struct AwsVerdict {
    pub ok: bool,
    /// The error's class name, e.g. `KidNotFoundInJwksError`.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Batch<'a> {
    user_pool_id: &'a str,
    jwks: &'a Value,
    cases: &'a [AwsCase<'a>],
}

/// The installed package's manifest; panics pointing at `scripts/setup-e2e.sh`
/// when it is missing.
fn installed_manifest() -> PathBuf {
    require_installed(
        &fixture_dir().join("node_modules/aws-jwt-verify/package.json"),
        "aws-jwt-verify npm package",
    )
}

/// The installed aws-jwt-verify version (from its package.json).
pub fn version() -> String {
    let text =
        std::fs::read_to_string(installed_manifest()).expect("read aws-jwt-verify package.json");
    let parsed: Value = serde_json::from_str(&text).expect("aws-jwt-verify package.json is JSON");
    parsed["version"].as_str().unwrap_or("?").to_owned()
}

/// Verifies every case with a `CognitoJwtVerifier` for `user_pool_id` that
/// knows exactly the keys of `jwks`. Panics (with node's stderr) if node fails.
pub fn verify_batch(user_pool_id: &str, jwks: &Value, cases: &[AwsCase<'_>]) -> Vec<AwsVerdict> {
    installed_manifest();
    let work = std::env::temp_dir().join("cognito-jwt-e2e");
    std::fs::create_dir_all(&work).expect("create temp dir");
    let input = work.join(format!("aws-jwt-verify-cases-{}.json", std::process::id()));
    let output = work.join(format!(
        "aws-jwt-verify-verdicts-{}.json",
        std::process::id()
    ));
    let batch = Batch {
        user_pool_id,
        jwks,
        cases,
    };
    std::fs::write(&input, serde_json::to_vec(&batch).expect("serialize cases"))
        .expect("write cases");
    let run = Command::new("node")
        .current_dir(fixture_dir())
        .arg("verify.mjs")
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    assert!(
        run.status.success(),
        "node verify.mjs failed with {}:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("read verdicts");
    let verdicts: Vec<AwsVerdict> = serde_json::from_str(&text).expect("verdicts are JSON");
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    verdicts
}

fn fixture_dir() -> PathBuf {
    repo_root().join("tests/fixtures/aws-jwt-verify")
}

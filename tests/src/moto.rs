//! moto's Cognito emulator (`moto[server,cognitoidp]` in `.e2e/venv`).
//!
//! What moto's tokens look like (moto 5.2.5, checked by `seed.py`):
//! * `iss` is the real Cognito form
//!   `https://cognito-idp.us-east-1.amazonaws.com/{pool}` while the keys are
//!   served at `http://127.0.0.1:PORT/{pool}/.well-known/jwks.json`.
//! * Header `{"typ":"JWT","kid":"dummy","alg":"RS256"}` for both token kinds:
//!   one fixed key for every pool (real Cognito has no `typ` and two kids).
//! * ID token: `iss sub aud token_use=id iat auth_time exp jti origin_jti
//!   cognito:username email email_verified ("true", a string) cognito:groups`.
//! * Access token: `iss sub client_id token_use=access iat auth_time exp jti
//!   origin_jti username scope="aws.cognito.signin.user.admin" cognito:groups`
//!   (no `aud`, no `event_id`/`version`).
//! * Lifetime is always 3600 s from the real clock: the client's
//!   `AccessTokenValidity`/`IdTokenValidity` are ignored, so moto cannot mint
//!   short-lived or already-expired tokens. Test expiry with an injected clock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::process::{Ready, Service, repo_root, require_installed};

/// ID, access and refresh token from one sign-in.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSet {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

/// The tokens minted by `seed.py`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    /// alice (group `admin`) via client 1, `InitiateAuth` USER_PASSWORD_AUTH.
    pub alice: TokenSet,
    /// bob (group `users`) via client 1, `AdminInitiateAuth`
    /// ADMIN_USER_PASSWORD_AUTH.
    pub bob: TokenSet,
    /// alice via client 2 (the one with a secret; SECRET_HASH sent).
    pub alice_client2: TokenSet,
    /// alice's client-1 tokens renewed with REFRESH_TOKEN_AUTH (same
    /// `origin_jti`, new `jti`); `refresh` is the original refresh token.
    pub alice_refreshed: TokenSet,
}

/// A seeded user.
#[derive(Debug, Clone, Deserialize)]
pub struct SeedUser {
    pub password: String,
    pub email: String,
    pub groups: Vec<String>,
    pub sub: String,
}

/// Result of asking moto for 5-minute tokens.
#[derive(Debug, Clone, Deserialize)]
pub struct ShortLived {
    pub requested_seconds: i64,
    pub observed_lifetime_seconds: i64,
    /// Whether moto honoured the client's token validity (it does not).
    pub honoured: bool,
    pub tokens: TokenSet,
}

/// The JSON printed by `tests/fixtures/moto/seed.py`.
#[derive(Debug, Clone, Deserialize)]
pub struct MotoSeed {
    pub region: String,
    /// moto's base URL, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub user_pool_id: String,
    /// `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
    pub issuer: String,
    /// `http://127.0.0.1:PORT/{user_pool_id}/.well-known/jwks.json`
    /// (verified by the seed script to serve the tokens' kid).
    pub jwks_uri: String,
    pub openid_configuration_uri: String,
    pub jwks_kids: Vec<String>,
    /// App client without secret.
    pub client_id: String,
    /// App client with secret.
    pub client2_id: String,
    pub client2_secret: String,
    /// App client configured for 5-minute tokens (moto ignores that).
    pub short_lived_client_id: String,
    pub users: BTreeMap<String, SeedUser>,
    pub tokens: Tokens,
    /// `exp - iat` of the minted tokens (3600).
    pub token_lifetime_seconds: i64,
    pub short_lived: ShortLived,
    /// False: moto cannot mint expired tokens; use clock injection.
    pub expired_tokens_possible: bool,
    /// Sorted claim names seen in alice's ID and access tokens.
    pub claims_observed: BTreeMap<String, Vec<String>>,
}

/// A running moto server (killed on drop) with one seeded user pool.
#[derive(Debug)]
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub seed: MotoSeed,
    service: Service,
}

fn venv_python() -> PathBuf {
    let root = repo_root();
    require_installed(&root.join(".e2e/venv/bin/moto_server"), "moto venv");
    require_installed(&root.join(".e2e/venv/bin/python"), "moto venv python")
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/moto").join(name)
}

/// Environment for anything talking to moto: dummy credentials only.
fn dummy_aws_env(cmd: &mut Command) {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1");
}

impl Moto {
    /// Starts moto on a free loopback port, waits until it serves requests
    /// and seeds a user pool. Panics with a hint to run
    /// `scripts/setup-e2e.sh` when the venv is missing.
    pub fn start() -> Moto {
        let python = venv_python();
        let mut cmd = Command::new(&python);
        cmd.arg(fixture("serve.py"))
            .args(["--port", "0", "--exit-on-stdin-eof"]);
        dummy_aws_env(&mut cmd);
        let mut service = Service::spawn("moto", cmd, Ready::Line("READY "));
        let base_url = service.ready_line().to_owned();
        // The Cognito routes are ready once a JWKS is served.
        service.wait_http_ok(&format!("{base_url}/us-east-1_probe/.well-known/jwks.json"));
        let seed = run_seed(&base_url, &service);
        Moto {
            base_url,
            seed,
            service,
        }
    }

    /// One moto per test binary, started on first use. It is never dropped;
    /// it exits when the test process ends (its stdin closes).
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Runs `seed.py` again: a new user pool with fresh clients, users and
    /// tokens (pool ids differ; moto's signing key is the same).
    pub fn seed_new_pool(&self) -> MotoSeed {
        run_seed(&self.base_url, &self.service)
    }

    /// The process guard (log path, pid).
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Call a Cognito user-pool API action (`GlobalSignOut`,
    /// `InitiateAuth`, …) on moto, as an AWS SDK would over its JSON
    /// protocol: `Ok(response)`, or `Err(error type)` for Cognito's errors.
    pub async fn cognito(
        &self,
        action: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let response = crate::http_client()
            .post(format!("{}/", self.base_url))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{action}"),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{action}: {e}"))?;
        let ok = response.status().is_success();
        let json: serde_json::Value = response
            .json()
            .await
            .map_err(|e| format!("{action}: {e}"))?;
        if ok {
            Ok(json)
        } else {
            Err(json["__type"]
                .as_str()
                .unwrap_or("unknown error")
                .to_owned())
        }
    }

    /// Sign `username` in with `USER_PASSWORD_AUTH` on `client_id`.
    pub async fn sign_in(&self, client_id: &str, username: &str, password: &str) -> TokenSet {
        let result = self
            .cognito(
                "InitiateAuth",
                serde_json::json!({
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client_id,
                    "AuthParameters": { "USERNAME": username, "PASSWORD": password },
                }),
            )
            .await
            .unwrap_or_else(|e| panic!("sign in {username}: {e}"));
        let tokens = &result["AuthenticationResult"];
        TokenSet {
            id: tokens["IdToken"].as_str().expect("IdToken").to_owned(),
            access: tokens["AccessToken"]
                .as_str()
                .expect("AccessToken")
                .to_owned(),
            refresh: tokens["RefreshToken"]
                .as_str()
                .expect("RefreshToken")
                .to_owned(),
        }
    }

    /// Renew tokens with `REFRESH_TOKEN_AUTH`: `Err` (Cognito's error type)
    /// once the refresh token was revoked or its user signed out.
    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> Result<(), String> {
        self.cognito(
            "InitiateAuth",
            serde_json::json!({
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": client_id,
                "AuthParameters": { "REFRESH_TOKEN": refresh_token },
            }),
        )
        .await
        .map(|_| ())
    }
}

/// Runs `seed.py` against the moto at `base_url` and parses its JSON.
fn run_seed(base_url: &str, moto: &Service) -> MotoSeed {
    let port = base_url.rsplit(':').next().expect("base_url has a port");
    let mut cmd = Command::new(venv_python());
    cmd.arg(fixture("seed.py")).args(["--port", port]);
    dummy_aws_env(&mut cmd);
    let out = cmd.output().expect("run seed.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "seed.py failed ({}):\n{stderr}\n--- moto log ---\n{}",
        out.status,
        moto.log_tail(3000)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "seed.py printed bad JSON ({e}):\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

//! The fixed world every target runs in: three issuers with static key sets,
//! verifiers configured four ways, a stopped clock, one runtime.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use cognito_jwt::{Algorithm, Issuer, ManualClock, TokenUse, Verifier};
use serde_json::json;

use crate::keys::{id, keys};

/// The verifiers' clock: 2023-11-14T22:13:20Z, never moving.
pub const NOW: i64 = 1_700_000_000;
/// Issuer A, a Cognito user pool (RS256 pinned; two issuer forms).
pub const POOL: &str = "us-east-1_FuzzPool1";
/// Issuer A's first form.
pub const ISS_A: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FuzzPool1";
/// Issuer A's second form.
pub const ISS_A2: &str = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_FuzzPool1";
/// Issuer B: ES256 and EdDSA.
pub const ISS_B: &str = "https://issuer-b.example.com";
/// Issuer C: ES256 and ES384, `typ` must be `at+jwt`, tokens without
/// `token_use` are access tokens. Note the trailing slash.
pub const ISS_C: &str = "https://issuer-c.example.com/";
/// The app clients the strict verifiers accept.
pub const CLIENTS: &[&str] = &["client-1", "client-2"];
/// The audience the `any` verifier requires of access tokens.
pub const API_AUDIENCE: &str = "https://api.example.com";

/// What one trusted issuer is, as the invariants see it.
#[derive(Debug)]
pub struct IssuerSpec {
    /// The `iss` strings it is trusted under.
    pub names: &'static [&'static str],
    /// Its algorithms.
    pub algorithms: &'static [Algorithm],
    /// Its key set: indices into [`keys`].
    pub keys: &'static [usize],
    /// The token use assumed when `token_use` is absent.
    pub default_token_use: Option<TokenUse>,
    /// The required header `typ`.
    pub required_typ: Option<&'static str>,
}

/// The three issuers. Issuer B's `ed-b` and C's `shared` are published
/// without `alg`/`use`.
pub const ISSUERS: &[IssuerSpec] = &[
    IssuerSpec {
        names: &[ISS_A, ISS_A2],
        algorithms: &[Algorithm::RS256],
        keys: &[id::RSA_A],
        default_token_use: None,
        required_typ: None,
    },
    IssuerSpec {
        names: &[ISS_B],
        algorithms: &[Algorithm::ES256, Algorithm::EdDSA],
        keys: &[id::EC_B, id::ED_B, id::SHARED_B],
        default_token_use: None,
        required_typ: None,
    },
    IssuerSpec {
        names: &[ISS_C],
        algorithms: &[Algorithm::ES256, Algorithm::ES384],
        keys: &[id::EC_C, id::SHARED_C, id::P384_C],
        default_token_use: Some(TokenUse::Access),
        required_typ: Some("at+jwt"),
    },
];

/// How one verifier is configured, as the invariants see it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Name, for messages.
    pub name: &'static str,
    /// `None`: any client.
    pub clients: Option<&'static [&'static str]>,
    /// `None`: any token use.
    pub token_use: Option<TokenUse>,
    /// Audiences required of access tokens.
    pub required_audience: Option<&'static [&'static str]>,
    /// Verified-token cache capacity (0: none).
    pub cache: u64,
}

/// Access tokens of [`CLIENTS`].
pub const ACCESS: Spec = Spec {
    name: "access",
    clients: Some(CLIENTS),
    token_use: Some(TokenUse::Access),
    required_audience: None,
    cache: 0,
};
/// ID tokens of `client-1` only.
pub const ID: Spec = Spec {
    name: "id",
    clients: Some(&["client-1"]),
    token_use: Some(TokenUse::Id),
    required_audience: None,
    cache: 0,
};
/// Any client and token use; access tokens need [`API_AUDIENCE`].
pub const ANY: Spec = Spec {
    name: "any",
    clients: None,
    token_use: None,
    required_audience: Some(&[API_AUDIENCE]),
    cache: 0,
};
/// [`ACCESS`] with a verified-token cache, to compare against it.
pub const ACCESS_CACHED: Spec = Spec {
    name: "access-cached",
    cache: 64,
    ..ACCESS
};

/// The JWKS document of issuer `index` of [`ISSUERS`].
pub fn jwks_of(index: usize) -> String {
    let keys = keys();
    let docs: Vec<_> = ISSUERS
        .get(index)
        .map(|i| i.keys)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| keys.get(*k))
        .map(|k| k.jwk(!matches!(k.name, "ed-b" | "shared-c")))
        .collect();
    json!({ "keys": docs }).to_string()
}

/// One HTTP client for every verifier: building one per verifier costs more
/// than the rest of `build()`, and static key sets never use it.
pub fn http_client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new).clone()
}

/// A new verifier configured as `spec`, trusting the three [`ISSUERS`], with
/// leeway 0 and the clock stopped at [`NOW`].
pub fn build(spec: &Spec) -> Verifier {
    let [a, b, c] = [0, 1, 2].map(jwks_of);
    let issuers = [
        Issuer::cognito(POOL).static_jwks(a).into_any(),
        Issuer::url(ISS_B)
            .algorithms([Algorithm::ES256, Algorithm::EdDSA])
            .static_jwks(b)
            .into_any(),
        Issuer::url(ISS_C)
            .algorithms([Algorithm::ES256, Algorithm::ES384])
            .default_token_use(TokenUse::Access)
            .required_typ("at+jwt")
            .static_jwks(c)
            .into_any(),
    ];
    let [a, b, c] = issuers;
    let builder = Verifier::builder(a)
        .issuer(b)
        .issuer(c)
        .leeway(Duration::ZERO)
        .clock(ManualClock::new(NOW))
        .token_cache_capacity(spec.cache)
        .http_client(http_client());
    let builder = match spec.required_audience {
        Some(aud) => builder.required_audience(aud.iter().copied()),
        None => builder,
    };
    let builder = match spec.clients {
        Some(ids) => builder.client_ids(ids.iter().copied()),
        None => builder.any_client(),
    };
    let builder = match spec.token_use {
        Some(token_use) => builder.token_use(token_use),
        None => builder.any_token_use(),
    };
    builder.build().expect("the fuzzing configuration builds")
}

/// The verifiers of [`ACCESS`], [`ID`] and [`ANY`], built once. They have no
/// token cache, so every answer depends on the token alone.
pub fn verifiers() -> &'static [(Spec, Verifier)] {
    static VERIFIERS: OnceLock<Vec<(Spec, Verifier)>> = OnceLock::new();
    VERIFIERS.get_or_init(|| [ACCESS, ID, ANY].map(|s| (s, build(&s))).into())
}

/// Run `future` on the one current-thread runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime")
        })
        .block_on(future)
}

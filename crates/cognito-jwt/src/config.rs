//! Configuration: which issuers to trust, and the builder that refuses to
//! build an incomplete verifier.
//!
//! The three security decisions are not optional:
//!
//! - **who issues**: [`Verifier::builder`] takes the first [`Issuer`];
//! - **which app clients**: [`VerifierBuilder::client_ids`] or, explicitly, [`VerifierBuilder::any_client`];
//! - **which token kind**: [`VerifierBuilder::token_use`] or, explicitly, [`VerifierBuilder::any_token_use`].
//!
//! `build()` exists only once the last two are chosen, so forgetting one is a
//! compile error, not an open door.
//!
//! Every default is listed in the [manual](crate::manual).

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::algorithm::Algorithm;
use crate::claims::TokenUse;
use crate::clock::{Clock, SystemClock};
use crate::error::BuildError;
use crate::jwk::parse_jwks;
use crate::jwks_cache::{JwksCache, JwksOptions};
use crate::revocation::Revocations;
use crate::secure_url::is_loopback;
use crate::token_cache::TokenCache;
use crate::verifier::{ClientPolicy, TrustedIssuer, UsePolicy, Verifier, VerifierState};

#[derive(Debug, Clone, PartialEq, Eq)]
enum IssuerKind {
    Cognito { pool_id: String },
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeySource {
    Default,
    Url(String),
    Static(String),
}

/// A token issuer to trust: a Cognito user pool, or an explicit issuer URL
/// (emulators, other OpenID providers).
///
/// ```
/// use cognito_jwt::{Algorithm, Issuer};
/// // A Cognito user pool: both issuer forms accepted, RS256 only,
/// // keys from https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json
/// let pool = Issuer::cognito("us-east-1_AbCdEf123");
///
/// // moto: the real Cognito issuer string, keys served on loopback.
/// let moto = Issuer::cognito("us-east-1_0123456789abcdef0123456789abcdef")
///     .jwks_url("http://127.0.0.1:5000/us-east-1_0123456789abcdef0123456789abcdef/.well-known/jwks.json");
///
/// // Another OpenID provider that signs with ES256.
/// let other = Issuer::url("https://login.example.com").algorithms([Algorithm::ES256]);
/// ```
///
/// A Cognito pool signs with RS256 only, so `Issuer<CognitoPool>` has no
/// `algorithms` at all:
///
/// ```compile_fail
/// use cognito_jwt::{Algorithm, Issuer};
/// let pool = Issuer::cognito("us-east-1_AbCdEf123").algorithms([Algorithm::HS256]);
/// ```
///
/// An issuer chosen at run time is an `Issuer` (of [`AnyIssuer`] kind):
///
/// ```
/// use cognito_jwt::Issuer;
/// let pool: Option<&str> = None; // e.g. from the environment
/// let issuer: Issuer = match pool {
///     Some(pool) => Issuer::cognito(pool).into_any(),
///     None => Issuer::url("http://127.0.0.1:9229/local_pool").into_any(),
/// };
/// # let _ = issuer;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer<K = AnyIssuer> {
    spec: IssuerSpec,
    kind: PhantomData<fn() -> K>,
}

/// [`Issuer`]'s kind: a Cognito user pool ([`Issuer::cognito`]), pinned to RS256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CognitoPool;

/// [`Issuer`]'s kind: any other issuer ([`Issuer::url`]), whose
/// algorithms may be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtherIssuer;

/// [`Issuer`]'s kind once chosen at run time ([`Issuer::into_any`]): the
/// algorithms are whatever they were when it was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyIssuer;

/// What an [`Issuer`] says, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IssuerSpec {
    kind: IssuerKind,
    keys: KeySource,
    algorithms: Option<Vec<Algorithm>>,
    default_token_use: Option<TokenUse>,
    required_typ: Option<&'static str>,
}

impl Issuer {
    /// A Cognito user pool, by id (`{region}_{alphanumeric}`, for example
    /// `us-east-1_AbCdEf123`). Tokens may carry either issuer form,
    /// `https://cognito-idp.{region}.amazonaws.com/{pool}` or
    /// `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}`; both share
    /// the pool's key set. RS256 is pinned.
    pub fn cognito(user_pool_id: impl Into<String>) -> Issuer<CognitoPool> {
        Issuer::of(IssuerKind::Cognito {
            pool_id: user_pool_id.into(),
        })
    }

    /// An explicit issuer: `iss` must equal this string exactly (no slash
    /// normalisation). For emulators such as cognito-local and for other
    /// OpenID providers. Keys default to `{issuer}/.well-known/jwks.json`.
    pub fn url(issuer: impl Into<String>) -> Issuer<OtherIssuer> {
        Issuer::of(IssuerKind::Url(issuer.into()))
    }
}

impl<K> Issuer<K> {
    /// The same issuer, of a kind chosen at run time (so that a `match`
    /// can return a Cognito pool or another issuer).
    pub fn into_any(self) -> Issuer<AnyIssuer> {
        Issuer {
            spec: self.spec,
            kind: PhantomData,
        }
    }

    fn of(kind: IssuerKind) -> Issuer<K> {
        Issuer {
            spec: IssuerSpec {
                kind,
                keys: KeySource::Default,
                algorithms: None,
                default_token_use: None,
                required_typ: None,
            },
            kind: PhantomData,
        }
    }

    /// Fetch keys from this URL instead of the issuer's own JWKS path
    /// (moto serves the pool's keys on loopback while tokens name the real
    /// Cognito issuer). HTTPS only, except for loopback hosts.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.spec.keys = KeySource::Url(url.into());
        self
    }

    /// Use this JWKS document and never touch the network.
    pub fn static_jwks(mut self, jwks_json: impl Into<String>) -> Self {
        self.spec.keys = KeySource::Static(jwks_json.into());
        self
    }

    /// For issuers that do not send Cognito's `token_use` claim: treat tokens
    /// without it as this kind. Tokens that do carry it are still checked.
    pub fn default_token_use(mut self, token_use: TokenUse) -> Self {
        self.spec.default_token_use = Some(token_use);
        self
    }

    /// Require this header `typ`, for example `"at+jwt"` for RFC 9068 access
    /// tokens (compared case-insensitively, with or without `application/`).
    pub fn required_typ(mut self, typ: &'static str) -> Self {
        self.spec.required_typ = Some(typ);
        self
    }
}

impl Issuer<OtherIssuer> {
    /// The algorithms this issuer may use (RS256 when not called; an empty
    /// list is refused by `build()`). A Cognito pool has no such method: it
    /// is pinned to RS256.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut list: Vec<Algorithm> = algorithms.into_iter().collect();
        list.sort();
        list.dedup();
        self.spec.algorithms = Some(list);
        self
    }
}

impl IssuerSpec {
    /// The issuer strings this configuration trusts.
    fn issuer_strings(&self) -> Result<Vec<String>, BuildError> {
        match &self.kind {
            IssuerKind::Cognito { pool_id } => {
                let region = pool_region(pool_id)
                    .ok_or_else(|| BuildError::InvalidUserPoolId(pool_id.clone()))?;
                Ok(vec![
                    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
                    format!("https://issuer-cognito-idp.{region}.amazonaws.com/{pool_id}"),
                ])
            }
            IssuerKind::Url(url) => {
                Url::parse(url).map_err(|_| BuildError::InvalidUrl {
                    url: url.clone(),
                    reason: "not an absolute URL",
                })?;
                Ok(vec![url.clone()])
            }
        }
    }
}

/// The most leeway accepted: clocks that far apart are a fault to fix.
const MAX_LEEWAY_SECS: i64 = 300;

/// Options that would be meaningless are refused rather than clamped.
fn check_options(leeway: Duration, jwks: &JwksOptions) -> Result<(), BuildError> {
    let invalid = |option: &'static str, reason: &'static str| {
        Err(BuildError::InvalidOption { option, reason })
    };
    check_leeway(leeway)?;
    for (option, value) in [
        ("JwksOptions::refresh_interval", jwks.refresh_interval),
        (
            "JwksOptions::unknown_kid_cooldown",
            jwks.unknown_kid_cooldown,
        ),
        ("JwksOptions::fetch_timeout", jwks.fetch_timeout),
        ("JwksOptions::min_backoff", jwks.min_backoff),
        ("JwksOptions::max_backoff", jwks.max_backoff),
    ] {
        if value.is_zero() {
            return invalid(option, "must be more than zero");
        }
    }
    if jwks.min_backoff > jwks.max_backoff {
        return invalid("JwksOptions::min_backoff", "must not exceed max_backoff");
    }
    if jwks.max_response_bytes == 0 || jwks.max_keys == 0 {
        return invalid(
            "JwksOptions::max_response_bytes / max_keys",
            "must be more than zero",
        );
    }
    Ok(())
}

/// A leeway over 5 minutes, or with a fraction of a second, is refused.
pub(crate) fn check_leeway(leeway: Duration) -> Result<(), BuildError> {
    let invalid = |reason: &'static str| {
        Err(BuildError::InvalidOption {
            option: "leeway",
            reason,
        })
    };
    if leeway > Duration::from_secs(MAX_LEEWAY_SECS.unsigned_abs()) {
        return invalid("at most 300 seconds");
    }
    if leeway.subsec_nanos() != 0 {
        return invalid("whole seconds only (times are compared in seconds)");
    }
    Ok(())
}

/// The region of a user pool id, if the id is `{region}_{alphanumeric}`.
pub(crate) fn pool_region(pool_id: &str) -> Option<&str> {
    let (region, suffix) = pool_id.split_once('_')?;
    let region_ok = {
        // e.g. us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && parts
                .last()
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    let suffix_ok = !suffix.is_empty()
        && suffix.len() <= 64
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
    (region_ok && suffix_ok).then_some(region)
}

fn check_jwks_url(url: &str) -> Result<Url, BuildError> {
    let parsed = Url::parse(url).map_err(|_| BuildError::InvalidUrl {
        url: url.to_owned(),
        reason: "not an absolute URL",
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(BuildError::InvalidUrl {
            url: url.to_owned(),
            reason: "plain http is allowed only for loopback hosts; use https",
        }),
        _ => Err(BuildError::InvalidUrl {
            url: url.to_owned(),
            reason: "the scheme must be https",
        }),
    }
}

/// Builder state: a security choice not made yet.
#[derive(Debug, Clone, Copy)]
pub struct Unset;

/// Builder state: the app clients are chosen.
#[derive(Debug, Clone)]
pub struct ClientsChosen(ClientPolicy);

/// Builder state: the token kind is chosen.
#[derive(Debug, Clone, Copy)]
pub struct TokenUseChosen(UsePolicy);

/// Builds a [`Verifier`]. Start with [`Verifier::builder`].
///
/// `build()` is only available once both [`client_ids`](Self::client_ids) /
/// [`any_client`](Self::any_client) and [`token_use`](Self::token_use) /
/// [`any_token_use`](Self::any_token_use) have been called.
///
/// ```
/// use cognito_jwt::{Issuer, TokenUse, Verifier};
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
///     .client_ids(["1example23456789"])
///     .token_use(TokenUse::Access)
///     .build()?;
/// # Ok::<(), cognito_jwt::BuildError>(())
/// ```
///
/// Forgetting a choice does not compile:
///
/// ```compile_fail
/// use cognito_jwt::{Issuer, Verifier};
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
///     .client_ids(["1example23456789"])
///     .build(); // no token_use chosen
/// ```
#[derive(Debug)]
#[must_use]
pub struct VerifierBuilder<C = Unset, T = Unset> {
    issuers: Vec<IssuerSpec>,
    clients: C,
    token_use: T,
    required_audience: Option<Vec<String>>,
    leeway: Duration,
    max_token_bytes: usize,
    jwks: JwksOptions,
    token_cache_capacity: u64,
    token_cache_max_bytes: u64,
    http_client: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    revocations: Option<Revocations>,
}

// Here rather than in verifier.rs: configuration builds on the verifier,
// never the other way round.
impl Verifier {
    /// Start configuring a verifier for this issuer. See [`VerifierBuilder`].
    pub fn builder<K>(issuer: Issuer<K>) -> VerifierBuilder {
        VerifierBuilder::new(issuer.spec)
    }
}

impl VerifierBuilder {
    fn new(issuer: IssuerSpec) -> VerifierBuilder {
        VerifierBuilder {
            issuers: vec![issuer],
            clients: Unset,
            token_use: Unset,
            required_audience: None,
            leeway: Duration::from_secs(30),
            max_token_bytes: 16 * 1024,
            jwks: JwksOptions::default(),
            token_cache_capacity: 10_000,
            token_cache_max_bytes: 32 * 1024 * 1024,
            http_client: None,
            clock: Arc::new(SystemClock),
            revocations: None,
        }
    }
}

impl<C, T> VerifierBuilder<C, T> {
    /// The same builder with its two choices (the type parameters) replaced
    /// by what `choose` makes of them.
    fn set_choices<C2, T2>(self, choose: impl FnOnce(C, T) -> (C2, T2)) -> VerifierBuilder<C2, T2> {
        let (clients, token_use) = choose(self.clients, self.token_use);
        VerifierBuilder {
            issuers: self.issuers,
            clients,
            token_use,
            required_audience: self.required_audience,
            leeway: self.leeway,
            max_token_bytes: self.max_token_bytes,
            jwks: self.jwks,
            token_cache_capacity: self.token_cache_capacity,
            token_cache_max_bytes: self.token_cache_max_bytes,
            http_client: self.http_client,
            clock: self.clock,
            revocations: self.revocations,
        }
    }

    /// Trust another issuer too. Each issuer has its own key set; a token's
    /// (unverified) `iss` only picks which set to look in.
    pub fn issuer<K>(mut self, issuer: Issuer<K>) -> Self {
        self.issuers.push(issuer.spec);
        self
    }

    /// Access tokens must carry one of these audiences in `aud` (RFC 8707
    /// resource binding). Unset (the default), `aud` on access tokens is ignored.
    ///
    /// An empty list, or an empty audience, is refused by `build()` with
    /// [`BuildError::InvalidList`]: it would refuse every access token.
    pub fn required_audience<S: Into<String>>(
        mut self,
        audiences: impl IntoIterator<Item = S>,
    ) -> Self {
        self.required_audience = Some(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// This API is `resource` (RFC 8707): access tokens must name it in
    /// `aud`, as tokens for an MCP server must. The same as
    /// `required_audience([resource])`, and the one call an MCP server
    /// needs with `token_use(TokenUse::Access)`; publish the same string
    /// as the RFC 9728 document's `resource`, which
    /// [`ProtectedResourceMetadata::for_verifier`](crate::ProtectedResourceMetadata::for_verifier)
    /// takes from here.
    ///
    /// What the Cognito pool needs for its tokens to pass (the AWS
    /// developer guide's "Resource binding", in "Scopes, M2M, and resource
    /// servers"):
    ///
    /// - the **Essentials or Plus** feature plan and **managed login**
    ///   (resource binding is a managed-login feature);
    /// - a **resource server** in the pool for the API's custom scopes
    ///   (Cognito writes them `{resource server identifier}/{scope}`, such
    ///   as `mcp/read`), allowed on the app client;
    /// - the client sends **`resource=<this URI>`** (RFC 8707) on
    ///   `/oauth2/authorize` and again on `/oauth2/token`; Cognito then
    ///   sets **`aud`** to it in the **access token**.
    ///
    /// Cognito access tokens requested without `resource` carry no `aud`
    /// and are refused here, as tokens for another resource are
    /// ([`ClaimError::AudienceMismatch`](crate::ClaimError::AudienceMismatch), 401
    /// `invalid_token`).
    ///
    /// ```
    /// use cognito_jwt::{Issuer, TokenUse, Verifier};
    /// use cognito_jwt_testkit::TestIssuer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = TestIssuer::cognito();
    /// let verifier = Verifier::builder(
    ///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
    /// )
    /// .client_ids([pool.client_id()])
    /// .token_use(TokenUse::Access)
    /// .for_resource("https://mcp.example.com/mcp")
    /// .build()?;
    ///
    /// let for_us = pool.access_token().claim("aud", "https://mcp.example.com/mcp").build();
    /// assert!(verifier.verify(&for_us).await.is_ok());
    /// let for_another = pool.access_token().claim("aud", "https://other.example.com").build();
    /// assert_eq!(verifier.verify(&for_another).await.unwrap_err().kind(), "audience_mismatch");
    /// let unbound = pool.access_token().build();
    /// assert_eq!(verifier.verify(&unbound).await.unwrap_err().kind(), "audience_mismatch");
    /// # Ok(()) }
    /// ```
    pub fn for_resource(self, resource: impl Into<String>) -> Self {
        self.required_audience([resource.into()])
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in whole seconds.
    /// Default 30 s. More than 5 minutes, or a fraction of a second, is
    /// refused by `build()` ([`BuildError::InvalidOption`]): it used to be
    /// clamped silently.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Longest token accepted, in bytes, checked before any parsing. Default 16 KiB.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Check every verified token against these revocation rules, after
    /// verification and on every verified-token cache hit: a revoked token
    /// is 401 `invalid_token` ([`Error::Revoked`](crate::Error::Revoked)).
    /// Keep a clone of `revocations` to add rules. Default: none.
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// How the JWKS cache behaves (refresh, cooldown, timeouts, caps).
    pub fn jwks_options(mut self, options: JwksOptions) -> Self {
        self.jwks = options;
        self
    }

    /// Capacity of the verified-token cache. Default 10,000 tokens; 0 disables it.
    pub fn token_cache_capacity(mut self, capacity: u64) -> Self {
        self.token_cache_capacity = capacity;
        self
    }

    /// Most bytes the verified-token cache holds, counting each token and
    /// its claims (estimated on the high side). Default 32 MiB: 10,000
    /// Cognito-sized tokens take about a third of it, and large tokens with
    /// big custom claims are evicted before they take more.
    pub fn token_cache_max_bytes(mut self, bytes: u64) -> Self {
        self.token_cache_max_bytes = bytes;
        self
    }

    /// Do not cache verified tokens: every request verifies the signature.
    pub fn disable_token_cache(self) -> Self {
        self.token_cache_capacity(0)
    }

    /// Fetch keys with your own HTTP client (proxy, custom CA, tracing).
    /// The cache still applies its own total timeout and size cap.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Where "now" comes from. Default: the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl<T> VerifierBuilder<Unset, T> {
    /// Accept tokens of these app clients only (`aud` of ID tokens,
    /// `client_id` of access tokens). An empty list is refused at build.
    pub fn client_ids<S: Into<String>>(
        self,
        client_ids: impl IntoIterator<Item = S>,
    ) -> VerifierBuilder<ClientsChosen, T> {
        let ids = client_ids.into_iter().map(Into::into).collect();
        self.set_choices(|_, t| (ClientsChosen(ClientPolicy::Only(ids)), t))
    }

    /// Accept tokens of any app client of the trusted issuers. An explicit
    /// choice: prefer [`client_ids`](Self::client_ids).
    pub fn any_client(self) -> VerifierBuilder<ClientsChosen, T> {
        self.set_choices(|_, t| (ClientsChosen(ClientPolicy::Any), t))
    }
}

impl<C> VerifierBuilder<C, Unset> {
    /// Accept only ID tokens or only access tokens.
    pub fn token_use(self, token_use: TokenUse) -> VerifierBuilder<C, TokenUseChosen> {
        self.set_choices(|c, _| (c, TokenUseChosen(UsePolicy::Only(token_use))))
    }

    /// Accept both ID and access tokens; routes then say which they need
    /// (see [`Requirement::token_use`](crate::Requirement::token_use)).
    pub fn any_token_use(self) -> VerifierBuilder<C, TokenUseChosen> {
        self.set_choices(|c, _| (c, TokenUseChosen(UsePolicy::Any)))
    }
}

impl VerifierBuilder<ClientsChosen, TokenUseChosen> {
    /// Check the configuration and build the verifier. No network access
    /// happens here; see [`Verifier::prefetch`].
    pub fn build(self) -> Result<Verifier, BuildError> {
        let ClientsChosen(clients) = self.clients;
        if matches!(&clients, ClientPolicy::Only(ids) if ids.is_empty()) {
            return Err(BuildError::NoClientIds);
        }
        check_options(self.leeway, &self.jwks)?;
        let required_audience = self
            .required_audience
            .map(|list| {
                crate::requirement::checked_list(
                    "audiences",
                    list,
                    crate::requirement::is_name,
                    crate::requirement::NAME_RULE,
                )
            })
            .transpose()?;
        let client = match self.http_client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.jwks.fetch_timeout)
                .timeout(self.jwks.fetch_timeout)
                .user_agent(concat!("cognito-jwt/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| BuildError::HttpClient(e.to_string()))?,
        };
        let mut trusted: Vec<TrustedIssuer> = Vec::new();
        let mut key_caches = Vec::new();
        for issuer in &self.issuers {
            let names = issuer.issuer_strings()?;
            let primary = names.first().cloned().unwrap_or_default();
            let algorithms = match (&issuer.kind, &issuer.algorithms) {
                // `Issuer<CognitoPool>` has no `algorithms()`.
                (IssuerKind::Cognito { .. }, _) => vec![Algorithm::RS256],
                (IssuerKind::Url(_), None) => vec![Algorithm::RS256],
                (IssuerKind::Url(_), Some(list)) if list.is_empty() => {
                    return Err(BuildError::NoAlgorithms(primary));
                }
                (IssuerKind::Url(_), Some(list)) => list.clone(),
            };
            let key_cache = match &issuer.keys {
                KeySource::Static(json) => {
                    let set = parse_jwks(json.as_bytes(), &algorithms, self.jwks.max_keys, None)
                        .map_err(|reason| BuildError::StaticJwks {
                            issuer: primary.clone(),
                            reason,
                        })?;
                    JwksCache::fixed(primary.clone(), set, self.jwks.clone())
                }
                source => {
                    let url = match source {
                        KeySource::Url(u) => u.clone(),
                        _ => format!("{}/.well-known/jwks.json", primary.trim_end_matches('/')),
                    };
                    JwksCache::remote(
                        primary.clone(),
                        check_jwks_url(&url)?,
                        client.clone(),
                        algorithms.clone(),
                        self.jwks.clone(),
                    )
                }
            };
            let index = key_caches.len();
            key_caches.push(Arc::new(key_cache));
            for name in names {
                if trusted.iter().any(|t| *t.iss == *name) {
                    return Err(BuildError::DuplicateIssuer(name));
                }
                trusted.push(TrustedIssuer {
                    iss: Arc::from(name),
                    key_cache: index,
                    algorithms: algorithms.clone(),
                    default_token_use: issuer.default_token_use,
                    required_typ: issuer.required_typ,
                    cognito: matches!(issuer.kind, IssuerKind::Cognito { .. }),
                });
            }
        }
        let TokenUseChosen(token_use) = self.token_use;
        let token_cache = (self.token_cache_capacity > 0 && self.token_cache_max_bytes > 0)
            .then(|| TokenCache::new(self.token_cache_capacity, self.token_cache_max_bytes));
        Ok(Verifier(Arc::new(VerifierState {
            issuers: trusted,
            key_caches,
            clients,
            token_use,
            required_audience,
            leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(MAX_LEEWAY_SECS),
            max_token_bytes: self.max_token_bytes,
            clock: self.clock,
            token_cache,
            revocations: self.revocations,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids() {
        assert_eq!(pool_region("us-east-1_AbCdEf123"), Some("us-east-1"));
        assert_eq!(
            pool_region("us-gov-west-1_AbCdEf123"),
            Some("us-gov-west-1")
        );
        assert_eq!(
            pool_region("us-east-1_0123456789abcdef0123456789abcdef"),
            Some("us-east-1")
        );
        for bad in [
            "",
            "us-east-1",
            "us-east-1_",
            "local_abc",
            "us-east-1_ab/c",
            "US-EAST-1_abc",
            "us-east_abc",
            "us-east-1_a_b",
        ] {
            assert_eq!(pool_region(bad), None, "{bad}");
        }
    }

    #[test]
    fn meaningless_options_are_refused_not_clamped() {
        let ok = JwksOptions::default();
        assert!(check_options(Duration::from_secs(30), &ok).is_ok());
        assert!(check_options(Duration::ZERO, &ok).is_ok());
        assert!(check_options(Duration::from_secs(300), &ok).is_ok());
        for bad_leeway in [Duration::from_secs(301), Duration::from_millis(1500)] {
            assert!(matches!(
                check_options(bad_leeway, &ok),
                Err(BuildError::InvalidOption {
                    option: "leeway",
                    ..
                })
            ));
        }
        let zero_cooldown = JwksOptions {
            unknown_kid_cooldown: Duration::ZERO,
            ..JwksOptions::default()
        };
        let inverted = JwksOptions {
            min_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(30),
            ..JwksOptions::default()
        };
        let no_keys = JwksOptions {
            max_keys: 0,
            ..JwksOptions::default()
        };
        for bad in [zero_cooldown, inverted, no_keys] {
            assert!(
                matches!(
                    check_options(Duration::ZERO, &bad),
                    Err(BuildError::InvalidOption { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_pool_fetches_its_keys_from_the_cognito_idp_form_only() {
        // Both issuer forms are trusted, but the keys come from the
        // `cognito-idp` form only: the newer `issuer-cognito-idp` JWKS
        // answers 403 for pools that did not opt in to multi-Region
        // replication (aws-jwt-verify #279, #282), and tokens from a replica
        // carry the primary's issuer, so fetching it could only make a
        // healthy pool look down.
        let verifier = Verifier::builder(Issuer::cognito("eu-west-1_AbCdEf123"))
            .any_client()
            .any_token_use()
            .build()
            .unwrap();
        let state = &verifier.0;
        assert_eq!(state.key_caches.len(), 1, "one key set for both forms");
        assert_eq!(
            state
                .key_caches
                .first()
                .and_then(|c| c.remote_url())
                .map(|u| u.as_str()),
            Some(
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
            )
        );
        let names: Vec<&str> = state.issuers.iter().map(|t| &*t.iss).collect();
        assert_eq!(
            names,
            [
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
                "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
            ]
        );
        assert!(state.issuers.iter().all(|t| t.key_cache == 0));
    }

    #[test]
    fn jwks_urls_must_be_https_unless_loopback() {
        assert!(check_jwks_url("https://example.com/jwks").is_ok());
        assert!(check_jwks_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_jwks_url("http://[::1]:8080/jwks").is_ok());
        assert!(check_jwks_url("http://localhost/jwks").is_ok());
        assert!(check_jwks_url("http://example.com/jwks").is_err());
        assert!(check_jwks_url("http://10.0.0.1/jwks").is_err());
        assert!(check_jwks_url("file:///etc/passwd").is_err());
        assert!(check_jwks_url("not a url").is_err());
    }
}

//! The per-request decision, whole, for every adapter: [`Gate`].
//!
//! An adapter hands the gate what it has (the request's headers; for an
//! extractor or a route layer, the claims the middleware admitted and what
//! the route needs) and gets the outcome back: proceed with claims, proceed
//! anonymously, or refuse with a [`Refusal`] whose
//! [`Challenge`](crate::Challenge) it renders. Every rule (required or
//! optional, token use, scopes, groups, custom checks, the answer to each
//! failure) and every log line of the decision live here, so axum, tonic
//! and actix-web answer the same request the same way.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::alb::AlbVerifier;
use crate::authentication::Authentication;
use crate::challenge::{Challenge, is_realm};
use crate::claims::{Claims, TokenUse};
use crate::error::{BuildError, Error, ErrorClass, custom_type_error};
use crate::metrics;
use crate::policy::{self, GroupSet, GroupsOf, Policy, ScopeSet, ScopesOf};
use crate::requirement::{Requirement, of_kind};
use crate::secure_url::is_secure;
use crate::token_source::{HeaderSource, TokenSource, Trust, alb_data_token};
use crate::verifier::Verifier;

/// Whether a request without credentials may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// No credentials: 401 with a bare `WWW-Authenticate: Bearer` challenge.
    #[default]
    Required,
    /// No credentials: proceed without claims. Credentials that are present
    /// but bad are refused all the same.
    Optional,
}

/// One adapter middleware's configuration and the whole per-request
/// decision over it. Cheap to clone (one `Arc`).
///
/// ```
/// use cognito_jwt::adapter::{Decision, Gate, HeaderSource, Need, Verdict};
/// use cognito_jwt::{Issuer, TokenUse, Verifier};
/// use cognito_jwt_testkit::TestIssuer;
///
/// /// A request's headers, as a framework would lend them.
/// struct Headers(Vec<(&'static str, String)>);
/// impl HeaderSource for Headers {
///     fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
///         for (k, v) in &self.0 {
///             if k.eq_ignore_ascii_case(name) {
///                 f(v.as_bytes());
///             }
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = TestIssuer::cognito();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .any_token_use()
/// .build()?;
/// let gate = Gate::new(verifier).realm("orders")?;
///
/// // The middleware: a token not seen before is verified, asynchronously.
/// let request = Headers(vec![("authorization", format!("Bearer {}", pool.id_token().build()))]);
/// let verdict = match gate.decide(&request) {
///     Decision::Now(verdict) => verdict,
///     Decision::Verify(token) => gate.verify(token).await,
///     Decision::VerifyAlbData(token) => gate.verify_alb_data(token).await,
/// };
/// let Verdict::Proceed(claims) = verdict else { panic!("a valid token proceeds") };
///
/// // An extractor asking for an access token: refused, 401 invalid_token.
/// let refusal = gate.admit(Some(&claims), &Need::token_use(TokenUse::Access)).unwrap_err();
/// assert_eq!(refusal.challenge().status(), 401);
/// assert_eq!(refusal.error().kind(), "wrong_token_use");
///
/// // No credentials at all: 401 with the bare challenge.
/// let Decision::Now(Verdict::Refuse(refusal)) = gate.decide(&Headers(vec![])) else {
///     panic!("required mode refuses an anonymous request")
/// };
/// assert_eq!(refusal.challenge().www_authenticate(), Some(r#"Bearer realm="orders""#));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gate(Arc<GateConfig>);

#[derive(Clone)]
struct GateConfig {
    verifier: Verifier,
    source: TokenSource,
    mode: Mode,
    requirement: Requirement,
    realm: Option<Arc<str>>,
    resource_metadata: Option<Arc<str>>,
    /// The load balancer verifier, when ALB data tokens may be trusted.
    alb: Option<AlbVerifier>,
    trust: Trust,
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &*self.0;
        f.debug_struct("Gate")
            .field("verifier", &config.verifier)
            .field("source", &config.source)
            .field("mode", &config.mode)
            .field("requirement", &config.requirement)
            .field("realm", &config.realm)
            .field("resource_metadata", &config.resource_metadata)
            .field("alb", &config.alb)
            .field("trust", &config.trust)
            .finish()
    }
}

/// What [`Gate::decide`] made of a request.
#[derive(Debug)]
pub enum Decision<'h> {
    /// Decided without I/O (the common case: a token verified before).
    Now(Verdict),
    /// A well-formed token the verified-token cache cannot answer for: await
    /// [`Gate::verify`] with it.
    Verify(&'h str),
    /// An ALB data token (`x-amzn-oidc-data`) the gate trusts: await
    /// [`Gate::verify_alb_data`] with it.
    VerifyAlbData(&'h str),
}

/// The outcome for a request.
#[derive(Debug)]
pub enum Verdict {
    /// The token is valid and meets the gate's requirement: proceed with
    /// its claims.
    Proceed(Claims),
    /// No credentials, in [`Mode::Optional`]: proceed without claims.
    Anonymous,
    /// Refused: answer with the [`Refusal`]'s challenge.
    Refuse(Refusal),
}

/// A refused request: the [`Error`] (for logs, metrics and hooks) and the
/// RFC 6750 [`Challenge`] to answer with. Already logged and counted
/// (`cognito_jwt_refusals_total`, feature `metrics`), once, when made.
#[derive(Debug, Clone)]
pub struct Refusal(Box<Refused>);

#[derive(Debug, Clone)]
struct Refused {
    error: Error,
    challenge: Challenge,
}

impl Refusal {
    fn new(
        error: Error,
        realm: Option<&str>,
        resource_metadata: Option<&str>,
        claims: Option<&Claims>,
        credential: Credential,
    ) -> Refusal {
        let challenge = Challenge::for_resource(&error, realm, resource_metadata);
        log_refusal(&error, challenge.status(), claims, credential);
        metrics::refusal(error.kind());
        Refusal(Box::new(Refused { error, challenge }))
    }

    /// A request that reached an extractor or route layer with no adapter
    /// middleware in front of it: a server bug, answered with 500 and
    /// logged as an error. `what` names the part that found it.
    pub fn not_configured(what: &'static str) -> Refusal {
        tracing::error!(
            found_by = what,
            "cognito-jwt: no authentication middleware runs before this route; refusing the request"
        );
        let error = Error::Misconfigured("no authentication middleware before this route");
        metrics::refusal(error.kind());
        let challenge = Challenge::new(&error, None);
        Refusal(Box::new(Refused { error, challenge }))
    }

    /// Why the request was refused. Its `Display` text is for logs, not
    /// clients (it may quote claim values); [`Error::kind`] is a stable name.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The RFC 6750 answer: status, `WWW-Authenticate`, `Retry-After`, body.
    pub fn challenge(&self) -> &Challenge {
        &self.0.challenge
    }

    /// The class of the refusal (which HTTP status, which gRPC status).
    pub fn class(&self) -> ErrorClass {
        self.0.error.class()
    }

    /// The reason, by value.
    pub fn into_error(self) -> Error {
        self.0.error
    }
}

/// The one log line of a refusal: `warn` when keys are unavailable (an
/// operator should know), `error` for a misconfigured server, `debug` for
/// the client's own mistakes (a flood of bad tokens must not flood logs).
/// `outcome` is `forbidden` for a token that falls short of a route's need
/// (403), `rejected` otherwise. Attacker-controlled values are quoted and
/// escaped by the subscriber (they are `&str` fields or `Debug` in the
/// error's text), never the token.
fn log_refusal(error: &Error, status: u16, claims: Option<&Claims>, credential: Credential) {
    let kind = error.kind();
    let credential = credential.name();
    let kid = claims.map(Claims::key_id);
    let issuer = claims.map(Claims::issuer);
    match error.class() {
        ErrorClass::Unavailable => tracing::warn!(
            outcome = "rejected",
            kind,
            status,
            credential,
            error = %error,
            "token could not be verified: keys unavailable"
        ),
        ErrorClass::Misconfigured => tracing::error!(
            outcome = "rejected",
            kind,
            status,
            credential,
            error = %error,
            "request refused: the server is misconfigured"
        ),
        ErrorClass::InsufficientScope => tracing::debug!(
            outcome = "forbidden",
            kind,
            status,
            kid,
            issuer,
            credential,
            error = %error,
            "token refused by the route's requirement"
        ),
        _ => tracing::debug!(
            outcome = "rejected",
            kind,
            status,
            kid,
            issuer,
            credential,
            error = %error,
            "token rejected"
        ),
    }
}

/// Which credential a log line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// The bearer token (`Authorization`, or the configured source).
    Bearer,
    /// The ALB data token (`x-amzn-oidc-data`).
    AlbData,
}

impl Credential {
    fn of(claims: Option<&Claims>) -> Credential {
        match claims.and_then(Claims::alb_signer) {
            Some(_) => Credential::AlbData,
            None => Credential::Bearer,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Credential::Bearer => "bearer",
            Credential::AlbData => "alb_data",
        }
    }
}

/// What an extractor or a route layer needs of the verified claims.
///
/// ```
/// use cognito_jwt::adapter::Need;
/// use cognito_jwt::{Requirement, TokenUse};
/// use std::sync::Arc;
///
/// let any = Need::any_token();
/// let access = Need::token_use(TokenUse::Access);
/// let admins = Need::requirement(Arc::new(Requirement::new().any_group(["admin"])?));
/// # let _ = (any, access, admins);
/// # Ok::<(), cognito_jwt::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Need(NeedKind);

#[derive(Debug, Clone)]
enum NeedKind {
    AnyToken,
    TokenUse(TokenUse),
    Meets(Arc<Requirement>),
    /// A policy that could not be built: every request is refused with 500.
    Invalid,
}

impl Need {
    /// Any verified token, ID or access.
    pub const fn any_token() -> Need {
        Need(NeedKind::AnyToken)
    }

    /// A token of this kind; another kind is 401 `invalid_token`.
    pub const fn token_use(token_use: TokenUse) -> Need {
        Need(NeedKind::TokenUse(token_use))
    }

    /// A token meeting `requirement`.
    pub fn requirement(requirement: Arc<Requirement>) -> Need {
        Need(NeedKind::Meets(requirement))
    }

    /// A token meeting [`Policy`] `P`, whose requirement is built once per
    /// thread. An invalid policy refuses every request with 500.
    pub fn policy<P: Policy>() -> Need {
        match policy::built::<P>() {
            Ok(requirement) => Need(NeedKind::Meets(requirement)),
            Err(_) => Need(NeedKind::Invalid),
        }
    }

    /// An access token carrying the scopes of `S` (checked at compile time).
    pub fn scopes<S: ScopeSet>() -> Need {
        Need::policy::<ScopesOf<S>>()
    }

    /// A token whose user is in the groups of `G` (checked at compile time).
    pub fn groups<G: GroupSet>() -> Need {
        Need::policy::<GroupsOf<G>>()
    }

    /// Whether `claims` meet this need, without a refusal or a log line:
    /// for a guard choosing between routes (the route that answers decides).
    pub fn allows(&self, claims: &Claims) -> bool {
        self.check(claims).is_ok()
    }

    fn check(&self, claims: &Claims) -> Result<(), Error> {
        match &self.0 {
            NeedKind::AnyToken => Ok(()),
            NeedKind::TokenUse(expected) => of_kind(claims, *expected),
            NeedKind::Meets(requirement) => requirement.verify(claims),
            NeedKind::Invalid => Err(Error::Misconfigured("this route's policy is invalid")),
        }
    }
}

/// An adapter's extractor: what it needs of the verified claims, and how
/// it is made from claims that meet the need. [`Gate::extract`] and
/// [`Gate::extract_optional`] apply the rules; the adapter implements this
/// for its types and its framework's extractor trait over those two.
pub trait Extractor: Sized {
    /// What the claims must meet; any verified token by default.
    fn need() -> Need {
        Need::any_token()
    }

    /// The extractor, from claims that met [`need`](Self::need).
    fn from_claims(gate: &Gate, claims: &Claims) -> Result<Self, Refusal>;
}

impl Gate {
    /// A gate over `verifier`: tokens from the `Authorization: Bearer`
    /// header, [`Mode::Required`], no requirement, no realm.
    pub fn new(verifier: Verifier) -> Gate {
        Gate(Arc::new(GateConfig {
            verifier,
            source: TokenSource::default(),
            mode: Mode::Required,
            requirement: Requirement::new(),
            realm: None,
            resource_metadata: None,
            alb: None,
            trust: Trust::Bearer,
        }))
    }

    fn configure(mut self, change: impl FnOnce(&mut GateConfig)) -> Gate {
        change(Arc::make_mut(&mut self.0));
        self
    }

    /// Where else tokens may come from (a cookie, another header).
    pub fn token_source(self, source: TokenSource) -> Gate {
        self.configure(|c| c.source = source)
    }

    /// Which credentials to trust: the bearer token (the default), the ALB
    /// data token verified by `alb`, or either, as [`Trust`] documents
    /// (precedence included). The data token is trustworthy only when every
    /// request reaches this server through the load balancer; the `signer`
    /// pin is what the library enforces (see the manual).
    ///
    /// Data tokens are checked against the revocation rules `alb` was built
    /// with ([`AlbVerifierBuilder::revocations`](crate::AlbVerifierBuilder::revocations)),
    /// not the gate's verifier's: give both clones of one
    /// [`Revocations`](crate::revocation::Revocations) set, or a user
    /// signed out with a rule stays admitted through the load balancer.
    pub fn alb_data(self, alb: AlbVerifier, trust: Trust) -> Gate {
        self.configure(|c| {
            c.alb = Some(alb);
            c.trust = trust;
        })
    }

    /// [`Mode::Optional`]: a request without credentials proceeds without claims.
    pub fn optional(self) -> Gate {
        self.configure(|c| c.mode = Mode::Optional)
    }

    /// Check this requirement on every verified token before it proceeds.
    pub fn require(self, requirement: Requirement) -> Gate {
        self.configure(|c| c.requirement = requirement)
    }

    /// Name this `realm` in every `WWW-Authenticate` challenge. It must be
    /// printable ASCII and not empty (so every challenge is a valid header
    /// value in every HTTP library), or this is
    /// [`BuildError::InvalidOption`].
    pub fn realm(self, realm: impl Into<String>) -> Result<Gate, BuildError> {
        let realm = realm.into();
        if !is_realm(&realm) {
            return Err(BuildError::InvalidOption {
                option: "realm",
                reason: "a realm is printable ASCII and not empty",
            });
        }
        Ok(self.configure(|c| c.realm = Some(Arc::from(realm))))
    }

    /// Name this RFC 9728 Protected Resource Metadata URL in every 401 and
    /// 403 challenge (`resource_metadata="…"`, RFC 9728 §5.1), as the MCP
    /// authorization spec asks of every MCP server. It must be an absolute
    /// `https` URL (or `http` on a loopback host) in printable ASCII, or this
    /// is [`BuildError::InvalidUrl`].
    pub fn resource_metadata(self, url: impl Into<String>) -> Result<Gate, BuildError> {
        let url = url.into();
        let parsed = url::Url::parse(&url).map_err(|_| BuildError::InvalidUrl {
            url: url.clone(),
            reason: "not an absolute URL",
        })?;
        if !is_secure(&parsed) || !is_realm(&url) {
            return Err(BuildError::InvalidUrl {
                url,
                reason: "resource metadata is named by an https URL (http on loopback only), in printable ASCII",
            });
        }
        Ok(self.configure(|c| c.resource_metadata = Some(Arc::from(url))))
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.0.verifier
    }

    /// Whether a request without credentials proceeds.
    pub fn mode(&self) -> Mode {
        self.0.mode
    }

    /// The realm named in challenges, if any.
    pub fn realm_name(&self) -> Option<&str> {
        self.0.realm.as_deref()
    }

    /// The middleware's decision for a request with these headers: at once
    /// for every request but one carrying a token not verified before
    /// ([`Decision::Verify`]).
    pub fn decide<'h>(&self, headers: &'h dyn HeaderSource) -> Decision<'h> {
        let config = &*self.0;
        if config.alb.is_some() && config.trust != Trust::Bearer {
            match alb_data_token(headers) {
                Err(e) => {
                    let refusal = self.refusal_of(e, None, Credential::AlbData);
                    return Decision::Now(Verdict::Refuse(refusal));
                }
                Ok(Some(token)) => {
                    // Two credentials for one request: which user is it?
                    if config.trust == Trust::Either
                        && !matches!(config.source.find_credential(headers), Ok(None))
                    {
                        let e = Error::MultipleCredentials;
                        return Decision::Now(Verdict::Refuse(self.refusal(e, None)));
                    }
                    return Decision::VerifyAlbData(token);
                }
                Ok(None) if config.trust == Trust::AlbData => {
                    return Decision::Now(self.anonymous());
                }
                Ok(None) => {}
            }
        }
        match config.verifier.authenticate(&config.source, headers) {
            Authentication::Answered(outcome) => {
                Decision::Now(self.settle(outcome, Credential::Bearer))
            }
            Authentication::Verify(token) => Decision::Verify(token),
            Authentication::Anonymous => Decision::Now(self.anonymous()),
        }
    }

    /// A request without credentials, by the gate's mode.
    fn anonymous(&self) -> Verdict {
        match self.0.mode {
            Mode::Optional => Verdict::Anonymous,
            Mode::Required => Verdict::Refuse(self.refusal(Error::MissingToken, None)),
        }
    }

    /// Verify an ALB data token [`Gate::decide`] found, and decide.
    pub async fn verify_alb_data(&self, token: &str) -> Verdict {
        let outcome = match &self.0.alb {
            Some(alb) => alb.verify(token).await,
            None => Err(Error::Misconfigured("no ALB verifier on this gate")),
        };
        self.settle(outcome, Credential::AlbData)
    }

    /// Verify a token [`Gate::decide`] could not answer for, and decide.
    pub async fn verify(&self, token: &str) -> Verdict {
        let outcome = self.0.verifier.verify_uncached(token).await;
        self.settle(outcome, Credential::Bearer)
    }

    /// A verification outcome against the gate's requirement.
    fn settle(&self, outcome: Result<Claims, Error>, credential: Credential) -> Verdict {
        let claims = match outcome {
            Ok(claims) => claims,
            Err(e) => return Verdict::Refuse(self.refusal_of(e, None, credential)),
        };
        match self.0.requirement.verify(&claims) {
            Ok(()) => {
                tracing::debug!(
                    outcome = "accepted",
                    token_use = claims.token_use().as_str(),
                    kid = claims.key_id(),
                    issuer = claims.issuer(),
                    credential = credential.name(),
                    "token accepted"
                );
                Verdict::Proceed(claims)
            }
            Err(e) => Verdict::Refuse(self.refusal(e, Some(&claims))),
        }
    }

    /// The route's decision, for an extractor or a route layer below the
    /// middleware: `claims` are what the middleware admitted (`None`: the
    /// request proceeded anonymously), `need` what the route asks of them.
    /// Without claims this is 401 with the bare challenge.
    pub fn admit<'c>(
        &self,
        claims: Option<&'c Claims>,
        need: &Need,
    ) -> Result<&'c Claims, Refusal> {
        match claims {
            Some(claims) => self.meets(claims, need),
            None => Err(self.refusal(Error::MissingToken, None)),
        }
    }

    /// [`Gate::admit`] for an optional extractor: without claims this is
    /// `Ok(None)`. With claims, they must meet `need` all the same: an
    /// optional extractor never turns a bad token into an anonymous request.
    pub fn admit_optional<'c>(
        &self,
        claims: Option<&'c Claims>,
        need: &Need,
    ) -> Result<Option<&'c Claims>, Refusal> {
        claims.map(|claims| self.meets(claims, need)).transpose()
    }

    /// Make extractor `T` from what the middleware admitted: [`Gate::admit`]
    /// against [`Extractor::need`], then [`Extractor::from_claims`].
    pub fn extract<T: Extractor>(&self, claims: Option<&Claims>) -> Result<T, Refusal> {
        let claims = self.admit(claims, &T::need())?;
        T::from_claims(self, claims)
    }

    /// [`Gate::extract`] for an optional extractor, over
    /// [`Gate::admit_optional`]: `None` without claims.
    pub fn extract_optional<T: Extractor>(
        &self,
        claims: Option<&Claims>,
    ) -> Result<Option<T>, Refusal> {
        self.admit_optional(claims, &T::need())?
            .map(|claims| T::from_claims(self, claims))
            .transpose()
    }

    /// The claims deserialized into `T`, for `ClaimsAs<T>`: claims that do
    /// not fit it are 401 `invalid_token`.
    pub fn deserialize<T: DeserializeOwned>(&self, claims: &Claims) -> Result<T, Refusal> {
        claims.deserialize::<T>().map_err(|e| {
            tracing::debug!(error = ?e.to_string(), "claims do not fit the requested type");
            self.refusal(custom_type_error(), Some(claims))
        })
    }

    fn meets<'c>(&self, claims: &'c Claims, need: &Need) -> Result<&'c Claims, Refusal> {
        match need.check(claims) {
            Ok(()) => Ok(claims),
            Err(e) => Err(self.refusal(e, Some(claims))),
        }
    }

    /// A refusal about the credential `claims` came from (the bearer token
    /// when there are none).
    fn refusal(&self, error: Error, claims: Option<&Claims>) -> Refusal {
        self.refusal_of(error, claims, Credential::of(claims))
    }

    fn refusal_of(&self, error: Error, claims: Option<&Claims>, credential: Credential) -> Refusal {
        Refusal::new(
            error,
            self.0.realm.as_deref(),
            self.0.resource_metadata.as_deref(),
            claims,
            credential,
        )
    }
}

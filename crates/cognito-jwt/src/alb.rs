//! Verifying the data token an Application Load Balancer forwards
//! (`x-amzn-oidc-data`): [`AlbVerifier`].
//!
//! A load balancer whose listener rule has an `authenticate-cognito` (or
//! `authenticate-oidc`) action logs the user in itself and forwards a JWT it
//! signs; [`AlbVerifier::verify`] lists what is checked.

use std::sync::Arc;
use std::time::Duration;

use crate::alb_keys::{AlbKeyOptions, AlbKeys};
use crate::alb_token;
use crate::algorithm::Algorithm;
use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::config::{check_leeway, pool_region};
use crate::core_claims::CoreClaims;
use crate::error::{BuildError, ClaimError, Error, capped};
use crate::revocation::Revocations;
use crate::secure_url::is_secure;

/// Verifies ALB data tokens for pinned load balancers. Cheap to clone (one `Arc`).
///
/// What a verified token becomes: [`Claims`] of an **access token** of the
/// user the load balancer logged in (`token_use` is
/// [`TokenUse::Access`](crate::TokenUse::Access)), with **no scopes**, its
/// app client ([`Claims::client_id`]) the header's `client`, its `sub`,
/// `username` and other claims the payload's, and
/// [`Claims::alb_signer`] the load balancer's ARN. So a route that needs
/// any token or an access token admits it, and a route that needs a scope
/// refuses it with 403. See the [`manual`](crate::manual).
///
/// ```
/// use cognito_jwt::{AlbVerifier, TokenUse};
/// use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let alb = AlbIssuer::new(); // mints data tokens as a load balancer does
/// let keys = AlbKeyServer::start(&alb); // serves its PEM keys, one per kid
/// let verifier = AlbVerifier::builder(alb.arn())
///     .client_ids([alb.client_id()])
///     .cognito_pool(alb.user_pool_id())
///     .keys_url(keys.url()) // in production the region's key host, from the ARN
///     .build()?;
///
/// let claims = verifier.verify(&alb.data_token().build()).await?;
/// assert_eq!(claims.token_use(), TokenUse::Access);
/// assert_eq!(claims.client_id(), Some(alb.client_id()));
/// assert_eq!(claims.alb_signer(), Some(alb.arn()));
/// assert_eq!(claims.scopes().count(), 0);
///
/// let other = AlbIssuer::new(); // another load balancer
/// let refused = verifier.verify(&other.data_token().build()).await.unwrap_err();
/// assert_eq!(refused.kind(), "untrusted_signer");
/// assert_eq!(refused.class().status(), 401);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AlbVerifier(Arc<Inner>);

struct Inner {
    signers: Vec<String>,
    client_ids: Vec<String>,
    issuer: String,
    keys: Arc<AlbKeys>,
    leeway: i64,
    clock: Arc<dyn Clock>,
    max_token_bytes: usize,
    revocations: Option<Revocations>,
}

impl std::fmt::Debug for AlbVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbVerifier")
            .field("signers", &self.0.signers)
            .field("client_ids", &self.0.client_ids)
            .field("issuer", &self.0.issuer)
            .field("keys_url", &self.0.keys.base())
            .finish_non_exhaustive()
    }
}

impl AlbVerifier {
    /// Start building a verifier for tokens signed by the load balancer
    /// with this ARN (`arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}`).
    pub fn builder(load_balancer_arn: impl Into<String>) -> AlbVerifierBuilder {
        AlbVerifierBuilder {
            arns: vec![load_balancer_arn.into()],
            client_ids: None,
            issuer: None,
            keys_url: None,
            options: AlbKeyOptions::default(),
            leeway: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
            http_client: None,
            max_token_bytes: 16 * 1024,
            revocations: None,
        }
    }

    /// The URL keys are fetched from, ending with `/` (the `kid` follows).
    pub fn keys_url(&self) -> &str {
        self.0.keys.base()
    }

    /// Verify an ALB data token. Its header carries what the load balancer
    /// vouches for; each is checked, in this order, and each failure gets
    /// the error named here:
    ///
    /// | check | refused with |
    /// |---|---|
    /// | at most [`max_token_bytes`](AlbVerifierBuilder::max_token_bytes) | [`Error::TokenTooLarge`] |
    /// | base64url with exactly an encoder's `=` padding or none, three segments | [`MalformedToken::AlbBase64`](crate::MalformedToken::AlbBase64) and the other [`MalformedToken`](crate::MalformedToken)s |
    /// | no `crit`, no `b64` in the header | [`HeaderError::CriticalExtension`](crate::HeaderError::CriticalExtension), [`HeaderError::UnencodedPayload`](crate::HeaderError::UnencodedPayload) |
    /// | `alg` is `ES256` | [`HeaderError::AlgorithmNotAllowed`](crate::HeaderError::AlgorithmNotAllowed) ([`HeaderError::MissingAlgorithm`](crate::HeaderError::MissingAlgorithm) without one) |
    /// | `kid` is a safe URL path segment | [`HeaderError::KeyIdNotPathSegment`](crate::HeaderError::KeyIdNotPathSegment) ([`HeaderError::MissingKeyId`](crate::HeaderError::MissingKeyId) without one) |
    /// | the header has `signer`, `client`, `iss` (strings) and `exp` (an integer) | [`HeaderError::MissingAlbField`](crate::HeaderError::MissingAlbField) |
    /// | `signer` is a pinned load balancer ARN | [`Error::UntrustedSigner`] |
    /// | `client` is an allowed app client | [`ClaimError::ClientNotAllowed`] |
    /// | the header's `iss` is the configured issuer | [`ClaimError::UntrustedIssuer`] |
    /// | the key for `kid` is known: fetched, or not negatively cached | [`Error::UnknownKey`] (401: the key host has no such key, or answered for it with something that is not its key) |
    /// | the key for `kid` can be had now | [`Error::KeysUnavailable`] (503, `Retry-After`): the key host is failing or backing off, or no fetch was free for this `kid` yet (the fetch budget is spent or went to another `kid`; `Retry-After` is the budget's refill time) |
    /// | the signature verifies with it | [`Error::InvalidSignature`] |
    /// | the payload is a JSON object whose registered claims have their types | [`MalformedToken`](crate::MalformedToken), [`ClaimError::Invalid`] |
    /// | the payload's `iss`, when present, is the configured issuer | [`ClaimError::UntrustedIssuer`] |
    /// | `exp` (header and payload: the earlier) has not passed, give or take the [leeway](AlbVerifierBuilder::leeway) | [`ClaimError::Expired`] |
    /// | the payload's `nbf`, when present, has passed, give or take the leeway | [`ClaimError::NotYetValid`] |
    /// | the payload names a `sub` | [`ClaimError::Missing`] |
    /// | no [revocation rule](AlbVerifierBuilder::revocations) matches, when a set is given | [`Error::Revoked`], or [`Error::RevocationsUnavailable`] (503) for a set that fails closed and is out of date |
    ///
    /// `signer`, `client` and `iss` are checked before any key is fetched, so
    /// a token that does not name the pinned load balancer costs no fetch.
    ///
    /// Each call is one verification decision in
    /// `cognito_jwt_verifications_total` (feature `metrics`), as for
    /// [`Verifier::verify`](crate::Verifier::verify).
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        let answer = self.decide(token).await;
        crate::metrics::verification(answer.as_ref().err().map(Error::kind));
        answer
    }

    async fn decide(&self, token: &str) -> Result<Claims, Error> {
        let inner = &*self.0;
        let parsed = alb_token::parse(token, inner.max_token_bytes)?;
        let header = parsed.header;
        if !inner.signers.contains(&header.signer) {
            return Err(Error::UntrustedSigner {
                signer: capped(&header.signer),
            });
        }
        if !inner.client_ids.contains(&header.client) {
            return Err(ClaimError::ClientNotAllowed {
                client_id: capped(&header.client),
            }
            .into());
        }
        if header.iss != inner.issuer {
            return Err(untrusted(&header.iss));
        }
        let key = inner.keys.key(&header.kid).await?;
        key.verify(Algorithm::ES256, parsed.signing_input, &parsed.signature)?;
        // Only now, with a pinned signer's token verified, is the key cached.
        inner.keys.verified(&header.kid, &key);

        let payload = parsed.payload;
        let mut core = CoreClaims::default();
        core.parse_into(&payload)?;
        if let Some(e) = core.type_error.take() {
            return Err(e.into());
        }
        if core.iss_invalid {
            return Err(untrusted("(not a string)"));
        }
        if let Some(iss) = core.iss.as_deref()
            && iss != inner.issuer
        {
            return Err(untrusted(iss));
        }
        let now = inner.clock.now();
        let exp = core.exp.map_or(header.exp, |e| e.min(header.exp));
        if now > exp.saturating_add(inner.leeway) {
            return Err(ClaimError::Expired { exp, now }.into());
        }
        if let Some(nbf) = core.nbf
            && nbf > now.saturating_add(inner.leeway)
        {
            return Err(ClaimError::NotYetValid { nbf, now }.into());
        }
        if core.sub.as_deref().is_none_or(str::is_empty) {
            return Err(ClaimError::Missing("sub").into());
        }
        let detached = core.detach(&payload);
        let claims = Claims::from_alb(
            detached,
            exp,
            key,
            payload,
            header.signer,
            header.client,
            header.iss,
        );
        // The same check the bearer verifier runs: subject and client rules
        // match by `sub` and the header's `client`; a data token has no
        // `iat`, so a cut-off refuses it (fail closed).
        if let Some(revocations) = &inner.revocations {
            revocations.check_at(&claims, now)?;
        }
        Ok(claims)
    }
}

fn untrusted(iss: &str) -> Error {
    ClaimError::UntrustedIssuer { iss: capped(iss) }.into()
}

/// Builds an [`AlbVerifier`]. The load balancer ARN, the app clients and
/// the issuer are required; everything else has a documented default.
///
/// ```
/// use cognito_jwt::{AlbVerifier, BuildError};
///
/// let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
/// let verifier = AlbVerifier::builder(arn)
///     .client_ids(["4fmvht22tjrgd7d3k3tghttct7"])
///     .cognito_pool("eu-west-1_AbCdEf123")
///     .build()?;
/// // The region's key host, from the ARN.
/// assert_eq!(verifier.keys_url(), "https://public-keys.auth.elb.eu-west-1.amazonaws.com/");
///
/// // No app client named: refused, not "any client".
/// let refused = AlbVerifier::builder(arn).cognito_pool("eu-west-1_AbCdEf123").build();
/// assert_eq!(refused.unwrap_err(), BuildError::NoClientIds);
/// # Ok::<(), BuildError>(())
/// ```
#[derive(Debug)]
pub struct AlbVerifierBuilder {
    arns: Vec<String>,
    client_ids: Option<Vec<String>>,
    issuer: Option<IssuerChoice>,
    keys_url: Option<String>,
    options: AlbKeyOptions,
    leeway: Duration,
    clock: Arc<dyn Clock>,
    http_client: Option<reqwest::Client>,
    max_token_bytes: usize,
    revocations: Option<Revocations>,
}

#[derive(Debug)]
enum IssuerChoice {
    Pool(String),
    Url(String),
}

impl AlbVerifierBuilder {
    /// Also trust tokens signed by this load balancer, which must be in the
    /// same region and partition (each region has its own key host): another
    /// region's is refused by `build()`, [`keys_url`](Self::keys_url) or not.
    pub fn also_signer(mut self, load_balancer_arn: impl Into<String>) -> Self {
        self.arns.push(load_balancer_arn.into());
        self
    }

    /// Accept tokens for these app clients only (the header's `client`).
    /// Required; an empty list is [`BuildError::NoClientIds`].
    pub fn client_ids<S: Into<String>>(mut self, client_ids: impl IntoIterator<Item = S>) -> Self {
        self.client_ids = Some(client_ids.into_iter().map(Into::into).collect());
        self
    }

    /// The Cognito user pool the load balancer logs users in with: `iss`
    /// must be `https://cognito-idp.{region}.amazonaws.com/{pool}`.
    pub fn cognito_pool(mut self, user_pool_id: impl Into<String>) -> Self {
        self.issuer = Some(IssuerChoice::Pool(user_pool_id.into()));
        self
    }

    /// Or the exact issuer (`iss`) of an `authenticate-oidc` action's provider.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(IssuerChoice::Url(issuer.into()));
        self
    }

    /// Where keys are fetched from: `{keys_url}/{kid}`. Default: the key
    /// host of the ARN's region, `https://public-keys.auth.elb.{region}.amazonaws.com`,
    /// or in GovCloud `https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}`.
    /// Other partitions have no default: set it. It must be `https` (or
    /// `http` on a loopback host, for tests).
    pub fn keys_url(mut self, url: impl Into<String>) -> Self {
        self.keys_url = Some(url.into());
        self
    }

    /// How the key cache behaves (negative cache, fetch budget, timeouts, caps).
    pub fn key_options(mut self, options: AlbKeyOptions) -> Self {
        self.options = options;
        self
    }

    /// Clock skew tolerated on `exp` and on the payload's `nbf`, in whole
    /// seconds. Default 30 s; more than 5 minutes is refused by `build()`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Where "now" comes from. Default: the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Fetch keys with your own HTTP client. The cache still applies its
    /// own total timeout and size cap, and never uses a redirected answer.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Longest token accepted, in bytes, checked before any parsing. Default
    /// 16 KiB; 0 is refused by `build()`.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Check every verified data token against these revocation rules: the
    /// same [`Revocations`] type (and the same check) as
    /// [`VerifierBuilder::revocations`](crate::VerifierBuilder::revocations);
    /// give both verifiers clones of one set to have one set of rules for
    /// bearer and data tokens. Default: none. A revoked token is
    /// [`Error::Revoked`] (401); a set that
    /// [fails closed](crate::revocation::RevocationsBuilder::fail_closed_after)
    /// and is out of date is [`Error::RevocationsUnavailable`] (503), on
    /// load balancer routes too.
    ///
    /// Subject rules match the payload's `sub`, client rules the header's
    /// `client` ([`Claims::client_id`]). A load balancer's data token has
    /// **no `iat`** (a payload that carries one is judged by it), and a
    /// token without `iat` counts as issued at the epoch (fail closed), so a
    /// rule's cut-off does not matter here: a
    /// [`Revocation::subject_until`](crate::revocation::Revocation::subject_until)
    /// rule refuses **every** data token of that user while the rule lives,
    /// those of a new load balancer session (after the user signs in again)
    /// included, and a `client_until` rule every data token of that client.
    /// That is what a sign-out needs: the load balancer keeps signing
    /// fresh, short-lived data tokens for as long as its session cookie lasts (the
    /// listener rule's `SessionTimeout`, 7 days by default), whatever
    /// happened in the user pool. [`Revocations`] has no way to remove a
    /// rule: the user is let back in on these routes when the rule expires,
    /// the set's [maximum token lifetime](crate::revocation::RevocationsBuilder::max_token_lifetime)
    /// (a day by default) after its cut-off, or at the expiry given with
    /// [`Revocation::expires_at`](crate::revocation::Revocation::expires_at)
    /// when it was added. A session the load balancer keeps longer than
    /// that is admitted again afterwards: to shut it out for good, give the
    /// rule an expiry of the cut-off plus the `SessionTimeout`
    /// (`Revocation::subject_until(sub, t).expires_at(t + session_timeout)`),
    /// which also keeps the user out of these routes that long.
    /// Token and family rules match only a payload that carries `jti` or
    /// `origin_jti`, which a load balancer's does not.
    ///
    /// ```
    /// use cognito_jwt::revocation::{Revocation, Revocations};
    /// use cognito_jwt::{AlbVerifier, Error};
    /// use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let alb = AlbIssuer::new();
    /// let keys = AlbKeyServer::start(&alb);
    /// let revocations = Revocations::new();
    /// let verifier = AlbVerifier::builder(alb.arn())
    ///     .client_ids([alb.client_id()])
    ///     .cognito_pool(alb.user_pool_id())
    ///     .keys_url(keys.url())
    ///     .revocations(revocations.clone())
    ///     .build()?;
    /// verifier.verify(&alb.data_token().build()).await?;
    ///
    /// // GlobalSignOut for the user: the load balancer's session still
    /// // forwards fresh data tokens, and each is refused.
    /// revocations.revoke(Revocation::subject_until(alb.sub(), 1_700_000_000));
    /// let refused = verifier.verify(&alb.data_token().build()).await.unwrap_err();
    /// assert!(matches!(refused, Error::Revoked { rule: "subject" }));
    /// # Ok(()) }
    /// ```
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Check the configuration and build the verifier.
    pub fn build(self) -> Result<AlbVerifier, BuildError> {
        let arns = self
            .arns
            .iter()
            .map(|arn| parse_arn(arn).ok_or_else(|| BuildError::InvalidAlbArn(arn.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        // One key host per verifier: a signer of another region (or
        // partition) could never verify, keys_url or not.
        if arns.windows(2).any(|pair| pair.first() != pair.last()) {
            return Err(BuildError::InvalidOption {
                option: "also_signer",
                reason: "load balancers in different regions publish keys at different hosts: build one verifier per region",
            });
        }
        if self.max_token_bytes == 0 {
            return Err(BuildError::InvalidOption {
                option: "max_token_bytes",
                reason: "must be more than zero",
            });
        }
        let client_ids = self.client_ids.unwrap_or_default();
        if client_ids.is_empty() || client_ids.iter().any(String::is_empty) {
            return Err(BuildError::NoClientIds);
        }
        let issuer = match self.issuer {
            Some(IssuerChoice::Pool(pool)) => {
                let region = pool_region(&pool)
                    .ok_or_else(|| BuildError::InvalidUserPoolId(pool.clone()))?;
                format!("https://cognito-idp.{region}.amazonaws.com/{pool}")
            }
            Some(IssuerChoice::Url(url)) if !url.is_empty() => url,
            _ => {
                return Err(BuildError::InvalidOption {
                    option: "issuer",
                    reason: "name the identity provider: cognito_pool(…) or issuer(…)",
                });
            }
        };
        check_leeway(self.leeway)?;
        let options = self.options;
        let zero = [
            options.unknown_kid_ttl,
            options.fetch_interval,
            options.fetch_timeout,
            options.min_backoff,
            options.max_backoff,
        ]
        .iter()
        .any(Duration::is_zero);
        if zero
            || options.max_response_bytes == 0
            || options.max_keys == 0
            || options.fetch_burst == 0
        {
            return Err(BuildError::InvalidOption {
                option: "AlbKeyOptions",
                reason: "every duration and cap must be more than zero",
            });
        }
        if options.min_backoff > options.max_backoff {
            return Err(BuildError::InvalidOption {
                option: "AlbKeyOptions::min_backoff",
                reason: "must not exceed max_backoff",
            });
        }
        let keys_url = match self.keys_url {
            Some(url) => url,
            None => default_keys_url(&arns)?,
        };
        let mut base = url::Url::parse(&keys_url).map_err(|_| BuildError::InvalidUrl {
            url: keys_url.clone(),
            reason: "not an absolute URL",
        })?;
        if !is_secure(&base) || base.query().is_some() || base.fragment().is_some() {
            return Err(BuildError::InvalidUrl {
                url: keys_url,
                reason: "load balancer keys are fetched over https (http on loopback only), from a URL without query or fragment",
            });
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = match self.http_client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(options.fetch_timeout)
                .timeout(options.fetch_timeout)
                .user_agent(concat!("cognito-jwt/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| BuildError::HttpClient(e.to_string()))?,
        };
        Ok(AlbVerifier(Arc::new(Inner {
            signers: self.arns,
            client_ids,
            issuer,
            keys: Arc::new(AlbKeys::new(base, client, options)),
            leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX),
            clock: self.clock,
            max_token_bytes: self.max_token_bytes,
            revocations: self.revocations,
        })))
    }
}

/// The partition and region of a load balancer ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
}

/// `arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}`.
fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("elasticloadbalancing"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    let label = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    let region_ok = label(region) && region.split('-').count() >= 3;
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let resource_ok = resource
        .strip_prefix("loadbalancer/app/")
        .is_some_and(|rest| rest.split('/').count() == 2 && rest.split('/').all(|p| !p.is_empty()));
    (label(partition) && region_ok && account_ok && resource_ok)
        .then_some(Arn { partition, region })
}

/// The key host of the ARNs' one region (checked by `build()`), as
/// aws-jwt-verify and the ALB documentation give them.
fn default_keys_url(arns: &[Arn<'_>]) -> Result<String, BuildError> {
    let Some(first) = arns.first() else {
        return Err(BuildError::InvalidOption {
            option: "keys_url",
            reason: "no load balancer ARN",
        });
    };
    let region = first.region;
    match first.partition {
        "aws" => Ok(format!(
            "https://public-keys.auth.elb.{region}.amazonaws.com/"
        )),
        "aws-us-gov" => Ok(format!(
            "https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}/"
        )),
        _ => Err(BuildError::InvalidOption {
            option: "keys_url",
            reason: "this partition's load balancer key host is not built in: set keys_url",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_their_key_hosts() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188";
        let parsed = parse_arn(arn);
        assert_eq!(
            parsed,
            Some(Arn {
                partition: "aws",
                region: "us-east-1"
            })
        );
        assert_eq!(
            default_keys_url(&[parsed.clone().unwrap_or(Arn {
                partition: "",
                region: ""
            })])
            .ok(),
            Some("https://public-keys.auth.elb.us-east-1.amazonaws.com/".to_owned())
        );
        let gov = "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188";
        let gov = parse_arn(gov).map(|a| default_keys_url(&[a]));
        assert_eq!(
            gov,
            Some(Ok(
                "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/"
                    .to_owned()
            ))
        );
        let cn = "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188";
        assert!(
            parse_arn(cn)
                .map(|a| default_keys_url(&[a]))
                .is_some_and(|r| r.is_err())
        );
        for bad in [
            "",
            "arn:aws:elasticloadbalancing",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-lb/50dc",
            "arn:aws:elasticloadbalancing:us-east-1:1234:loadbalancer/app/my-lb/50dc",
            "arn:aws:elasticloadbalancing:US-EAST-1:123456789012:loadbalancer/app/my-lb/50dc",
            "arn:aws:s3:us-east-1:123456789012:loadbalancer/app/my-lb/50dc",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb",
        ] {
            assert_eq!(parse_arn(bad), None, "{bad:?}");
        }
    }
}

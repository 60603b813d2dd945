//! The verifier: one shared object that turns a token string into verified
//! [`Claims`] or a specific [`Error`].

use std::fmt;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::claims::{Claims, TokenUse};
use crate::clock::Clock;
use crate::core_claims::CoreClaims;
use crate::error::{ClaimError, Error, HeaderError, MalformedToken, Segment, capped};
use crate::jwk::VerifyingKey;
use crate::jwks_cache::JwksCache;
use crate::metrics::{self, CacheLookup};
use crate::revocation::Revocations;
use crate::token::{self, Compact, Scratch};
use crate::token_cache::TokenCache;

/// Stands for "the key set generation that holds this key is not known":
/// never fresh, so cache hits check the key under the lock.
const UNKNOWN_GENERATION: u64 = u64::MAX;

/// Which app clients are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientPolicy {
    Only(Vec<String>),
    Any,
}

/// Which token kinds are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UsePolicy {
    Only(TokenUse),
    Any,
}

impl UsePolicy {
    fn expected(self) -> &'static str {
        match self {
            UsePolicy::Only(u) => u.as_str(),
            UsePolicy::Any => "id or access",
        }
    }
}

/// One trusted `iss` string and where its keys are.
pub(crate) struct TrustedIssuer {
    pub(crate) iss: Arc<str>,
    /// Index of the issuer's key cache in `key_caches` (issuer strings of
    /// one Cognito pool share it).
    pub(crate) key_cache: usize,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) default_token_use: Option<TokenUse>,
    pub(crate) required_typ: Option<&'static str>,
    /// A Cognito user pool: its ID tokens name exactly one app client.
    pub(crate) cognito: bool,
}

/// Everything a [`Verifier`] shares between its clones: the configuration
/// `build()` checked, the issuers' key caches and the verified-token cache.
pub(crate) struct VerifierState {
    pub(crate) issuers: Vec<TrustedIssuer>,
    /// One key cache per configured issuer, indexed by [`TrustedIssuer::key_cache`].
    pub(crate) key_caches: Vec<Arc<JwksCache>>,
    pub(crate) clients: ClientPolicy,
    pub(crate) token_use: UsePolicy,
    pub(crate) required_audience: Option<Vec<String>>,
    pub(crate) leeway: i64,
    pub(crate) max_token_bytes: usize,
    pub(crate) clock: Arc<dyn Clock>,
    /// The verified-token cache; `None` when it is disabled.
    pub(crate) token_cache: Option<TokenCache>,
    /// The revocation rules checked on every verified token and cache hit.
    pub(crate) revocations: Option<Revocations>,
}

/// Verifies Cognito (and other OpenID provider) JWTs.
///
/// Cheap to clone (one `Arc`), `Send + Sync`: build one at start-up and share
/// it with every request.
///
/// ```
/// use cognito_jwt::{ErrorClass, Issuer, TokenUse, Verifier};
/// use cognito_jwt_testkit::TestIssuer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A stand-in pool; in production: `Issuer::cognito("us-east-1_AbCdEf123")`,
/// // whose keys are fetched from the pool's JWKS URL.
/// let pool = TestIssuer::cognito();
/// let verifier = Verifier::builder(
///     Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
/// )
/// .client_ids([pool.client_id()])
/// .token_use(TokenUse::Access)
/// .build()?;
///
/// let claims = verifier.verify(&pool.access_token().build()).await?;
/// assert_eq!(claims.client_id(), Some(pool.client_id().as_str()));
///
/// // An ID token where access tokens are expected: 401 invalid_token.
/// let refused = verifier.verify(&pool.id_token().build()).await.unwrap_err();
/// assert_eq!(refused.class(), ErrorClass::InvalidToken);
/// assert_eq!(refused.kind(), "wrong_token_use");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier(pub(crate) Arc<VerifierState>);

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "issuers",
                &self.0.issuers.iter().map(|i| &*i.iss).collect::<Vec<_>>(),
            )
            .field("clients", &self.0.clients)
            .field("token_use", &self.0.token_use)
            .field("leeway", &self.0.leeway)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Fetch every issuer's keys now, so the first request does not wait.
    ///
    /// Start-up need not fail when this does: the keys are fetched again on
    /// first use. Return the error from `main` only if you want a hard dependency.
    /// Each fetch is bounded by `JwksOptions::fetch_timeout`;
    /// [`Verifier::prefetch_within`] bounds the whole wait.
    pub async fn prefetch(&self) -> Result<(), Error> {
        self.prefetch_within(std::time::Duration::MAX).await
    }

    /// Verify a compact JWS and return its claims.
    ///
    /// Checks, in order: size, structure and base64url; header (`alg` on the
    /// allowlist, `kid`, no `crit`/`b64`/nested token); `iss` among the trusted
    /// issuers; the key by `kid` in that issuer's own key set; the signature;
    /// then claim types, `exp`/`nbf`/`iat`, `sub`, `token_use`, the app client
    /// and, if configured, the audience.
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        if let Some(answer) = self.verify_cached(token) {
            return answer;
        }
        let result = self.verify_uncached(token).await;
        if let Err(e) = &result {
            tracing::debug!(kind = e.kind(), error = %e, "token rejected");
        }
        result
    }

    /// The answer for a token verified before, without I/O or `await`:
    /// `Some` when the verified-token cache decides (the token is still signed
    /// by a key in its issuer's current set; its `exp`/`nbf` are checked now),
    /// `None` when [`Verifier::verify`] must run. [`Verifier::verify`] tries
    /// this first; adapters call it to skip the asynchronous path for the
    /// common reused token.
    pub fn verify_cached(&self, token: &str) -> Option<Result<Claims, Error>> {
        self.answer_from_near_tier(token.as_bytes())
            .or_else(|| self.answer_from_shared_tier(token))
    }

    /// The answer from the verified-token cache's near tier (this thread's
    /// recent hits). It takes bytes whose syntax has not been checked: only a
    /// token that was verified can match one, byte for byte.
    pub(crate) fn answer_from_near_tier(&self, token: &[u8]) -> Option<Result<Claims, Error>> {
        let state = &*self.0;
        let token_cache = state.token_cache.as_ref()?;
        let claims = token_cache.get_near(token, |key_cache, generation| {
            state
                .key_caches
                .get(key_cache)
                .is_some_and(|k| k.generation_is_fresh(generation))
        })?;
        Some(answered(CacheLookup::NearHit, state.time_checked(claims)))
    }

    /// The answer from the verified-token cache's shared tier; a confirmed
    /// hit may move to this thread's near tier.
    pub(crate) fn answer_from_shared_tier(&self, token: &str) -> Option<Result<Claims, Error>> {
        let state = &*self.0;
        let token_cache = state.token_cache.as_ref()?;
        let Some(entry) = token_cache.get_shared(token) else {
            metrics::token_cache(CacheLookup::Miss);
            return None;
        };
        let key_cache = state.key_caches.get(entry.key_cache)?;
        // The key was in the set of `entry.generation`; while that set is
        // current and not due a refresh, it still is, and no lock is needed.
        let generation = if key_cache.generation_is_fresh(entry.generation) {
            entry.generation
        } else if let Some(generation) = key_cache.confirm_key(entry.claims.key_id(), &entry.key) {
            generation
        } else {
            token_cache.remove(token);
            metrics::token_cache(CacheLookup::Miss);
            return None;
        };
        let claims = token_cache.accept_shared_hit(token, entry, generation);
        Some(answered(CacheLookup::SharedHit, state.time_checked(claims)))
    }

    /// What the verified-token cache holds now: `(tokens, bytes)`, the bytes
    /// as counted against [`token_cache_max_bytes`](crate::VerifierBuilder::token_cache_max_bytes).
    /// `None` when the cache is off. Runs pending evictions first, so this
    /// is not for the request path.
    pub fn token_cache_usage(&self) -> Option<(u64, u64)> {
        self.0.token_cache.as_ref().map(TokenCache::usage)
    }

    /// Verify and deserialize the claims into your own type.
    pub async fn verify_as<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<(Claims, T), Error> {
        let claims = self.verify(token).await?;
        let custom = claims
            .deserialize::<T>()
            .map_err(|_| crate::error::custom_type_error())?;
        Ok((claims, custom))
    }

    /// [`Verifier::verify`] without its log line, for callers that log the
    /// outcome themselves (the [`Gate`](crate::adapter::Gate)). Counted as
    /// one verification decision, as the cache tiers' answers are.
    pub(crate) async fn verify_uncached(&self, token: &str) -> Result<Claims, Error> {
        counted(self.verify_with_keys(token).await)
    }

    /// The whole verification of a token the cache did not answer for.
    async fn verify_with_keys(&self, token: &str) -> Result<Claims, Error> {
        // Everything runs synchronously when the issuer's current key set has
        // the token's key, which is nearly always.
        let mut missing = None;
        let first = self.verify_sync(token, |key_cache, kid| {
            key_cache.cached_key(kid).ok_or_else(|| {
                missing = Some((Arc::clone(key_cache), kid.to_owned()));
                Error::InvalidSignature
            })
        });
        match (first, missing) {
            (result, None) => result,
            // The key set must be fetched, or the `kid` is unknown: let the key
            // cache decide (it may wait for a fetch), then verify again with it.
            (_, Some((key_cache, kid))) => {
                // Boxed: the fetch machinery stays out of every verification's future.
                let key = Box::pin(key_cache.key(&kid)).await?;
                // Which set generation holds this key is not known here: a
                // cache hit for this token takes the locked check.
                self.verify_sync(token, move |_, _| Ok((key, UNKNOWN_GENERATION)))
            }
        }
    }

    /// Every check, with `key_for` finding the key for the token's `kid` in
    /// its issuer's key cache. Header and signature are decoded on the stack.
    fn verify_sync<K>(&self, token: &str, key_for: K) -> Result<Claims, Error>
    where
        K: FnOnce(&Arc<JwksCache>, &str) -> Result<(Arc<VerifyingKey>, u64), Error>,
    {
        let state = &*self.0;
        let mut scratch = Scratch::new();
        let Compact {
            signing_input,
            header,
            payload,
            signature,
        } = token::parse(token, state.max_token_bytes, &mut scratch)?;
        // One SIMD UTF-8 pass over the whole payload; the JSON parser then
        // reads a `str` and skips its per-string validation.
        let payload =
            String::from_utf8(payload).map_err(|_| MalformedToken::Json(Segment::Payload))?;
        let mut core = CoreClaims::default();
        core.parse_into(&payload)?;

        // Route by the (unverified) issuer only to pick a key set.
        let iss = match &core.iss {
            Some(iss) => iss.as_ref(),
            None if core.iss_invalid => {
                return Err(ClaimError::Invalid {
                    claim: "iss",
                    expected: "a string",
                }
                .into());
            }
            None => return Err(ClaimError::Missing("iss").into()),
        };
        let trusted = state
            .issuers
            .iter()
            .find(|t| &*t.iss == iss)
            .ok_or_else(|| ClaimError::UntrustedIssuer { iss: capped(iss) })?;
        if !trusted.algorithms.contains(&header.alg) {
            return Err(HeaderError::AlgorithmNotAllowed {
                alg: header.alg.as_str().to_owned(),
            }
            .into());
        }
        if let Some(required) = trusted.required_typ
            && !typ_matches(header.typ.as_deref(), required)
        {
            return Err(HeaderError::WrongType { expected: required }.into());
        }
        let key_cache = state
            .key_caches
            .get(trusted.key_cache)
            .ok_or(Error::InvalidSignature)?;
        let (key, generation) = key_for(key_cache, &header.kid)?;
        key.verify(header.alg, signing_input, signature)?;

        // The signature is good: now the claims decide.
        if let Some(e) = core.type_error.take() {
            return Err(e.into());
        }
        let now = state.clock.now();
        let exp = core.exp.ok_or(ClaimError::Missing("exp"))?;
        check_time(now, state.leeway, exp, core.nbf, core.iat)?;
        if core.sub.is_none() {
            return Err(ClaimError::Missing("sub").into());
        }
        let token_use = match core.token_use.as_deref() {
            Some("id") => TokenUse::Id,
            Some("access") => TokenUse::Access,
            None => trusted
                .default_token_use
                .ok_or(ClaimError::Missing("token_use"))?,
            Some(other) => {
                return Err(ClaimError::WrongTokenUse {
                    expected: state.token_use.expected(),
                    actual: capped(other),
                }
                .into());
            }
        };
        if let UsePolicy::Only(expected) = state.token_use
            && expected != token_use
        {
            return Err(ClaimError::WrongTokenUse {
                expected: expected.as_str(),
                actual: token_use.as_str().to_owned(),
            }
            .into());
        }
        let client = match token_use {
            TokenUse::Id => id_token_client(&core, trusted.cognito)
                .map(|client| state.clients_allow(client).then_some(()).ok_or(client))?,
            TokenUse::Access => {
                let id = core
                    .client_id
                    .as_deref()
                    .ok_or(ClaimError::Missing("client_id"))?;
                state.clients_allow(id).then_some(()).ok_or(id)
            }
        };
        if let Err(client_id) = client {
            return Err(ClaimError::ClientNotAllowed {
                client_id: capped(client_id),
            }
            .into());
        }
        if let (TokenUse::Access, Some(required)) = (token_use, &state.required_audience)
            && !core.aud.iter().any(|a| required.iter().any(|r| r == a))
        {
            return Err(ClaimError::AudienceMismatch {
                expected: required.join(" "),
            }
            .into());
        }
        let token_cache = state.token_cache.as_ref().map(|c| (c, Arc::clone(&key)));
        let claims = Claims::new(core.detach(&payload), token_use, key, header.alg, payload);
        // Last, as on every cache hit: a revoked token is not cached either.
        state.not_revoked(&claims, now)?;
        if let Some((token_cache, key)) = token_cache {
            let left = exp.saturating_add(state.leeway).saturating_sub(now);
            token_cache.insert(
                token,
                claims.clone(),
                key,
                trusted.key_cache,
                generation,
                left,
            );
        }
        Ok(claims)
    }
}

impl VerifierState {
    /// A cached token's `exp` and `nbf` against the clock now, and the
    /// revocation rules as they are now.
    fn time_checked(&self, claims: Claims) -> Result<Claims, Error> {
        let now = self.clock.now();
        check_time(
            now,
            self.leeway,
            claims.expires_at(),
            claims.not_before(),
            None,
        )?;
        self.not_revoked(&claims, now)?;
        Ok(claims)
    }

    /// The revocation rules at `now`, when configured.
    fn not_revoked(&self, claims: &Claims, now: i64) -> Result<(), Error> {
        match &self.revocations {
            Some(revocations) => revocations.check_at(claims, now),
            None => Ok(()),
        }
    }

    fn clients_allow(&self, id: &str) -> bool {
        match &self.clients {
            ClientPolicy::Any => true,
            ClientPolicy::Only(ids) => ids.iter().any(|c| c == id),
        }
    }
}

/// `answer`, counted as one verification decision.
fn counted(answer: Result<Claims, Error>) -> Result<Claims, Error> {
    metrics::verification(answer.as_ref().err().map(Error::kind));
    answer
}

/// The verified-token cache's `answer`, counted as its hit and as one
/// verification decision.
fn answered(lookup: CacheLookup, answer: Result<Claims, Error>) -> Result<Claims, Error> {
    metrics::cache_answer(lookup, answer.as_ref().err().map(Error::kind));
    answer
}

/// The client an ID token was issued to (OpenID Connect Core 3.1.3.7): its
/// `azp`, which must be one of its audiences and is required when there are
/// several; otherwise its one audience.
///
/// A Cognito ID token names exactly one app client (as aws-jwt-verify
/// requires): several audiences there are a token Cognito did not issue.
fn id_token_client<'a>(core: &'a CoreClaims<'_>, cognito: bool) -> Result<&'a str, Error> {
    match (core.aud.as_slice(), core.azp.as_deref()) {
        ([], _) => Err(ClaimError::Missing("aud").into()),
        ([_, _, ..], _) if cognito => Err(ClaimError::Invalid {
            claim: "aud",
            expected: "one app client (a Cognito ID token names exactly one)",
        }
        .into()),
        (aud, Some(azp)) if aud.iter().any(|a| a == azp) => Ok(azp),
        (_, Some(_)) => Err(ClaimError::Invalid {
            claim: "azp",
            expected: "one of the token's audiences",
        }
        .into()),
        ([only], None) => Ok(only),
        (_, None) => Err(ClaimError::Missing("azp").into()),
    }
}

fn typ_matches(typ: Option<&str>, required: &str) -> bool {
    let Some(typ) = typ else { return false };
    let strip = |s: &str| -> String {
        let lower = s.to_ascii_lowercase();
        lower
            .strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(lower)
    };
    strip(typ) == strip(required)
}

/// `exp`, `nbf`, `iat` against `now`, with leeway; saturating arithmetic.
fn check_time(
    now: i64,
    leeway: i64,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
) -> Result<(), Error> {
    if now >= exp.saturating_add(leeway) {
        return Err(ClaimError::Expired { exp, now }.into());
    }
    if let Some(nbf) = nbf
        && now.saturating_add(leeway) < nbf
    {
        return Err(ClaimError::NotYetValid { nbf, now }.into());
    }
    if let Some(iat) = iat
        && iat > now.saturating_add(leeway)
    {
        return Err(ClaimError::IssuedInFuture { iat, now }.into());
    }
    Ok(())
}

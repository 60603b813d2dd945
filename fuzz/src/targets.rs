//! The byte-level targets: a token, a JWKS document, request headers.

use cognito_jwt::adapter::{Authentication, HeaderSource};
use cognito_jwt::{Algorithm, Issuer, TokenSource, Verifier};

use crate::check;
use crate::keys::{Key, keys};
use crate::setup::{self, ACCESS_CACHED, block_on, http_client, verifiers};

/// The input as a `&str`: valid UTF-8 as it is, anything else lossily, so
/// every input reaches the verifier.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Verify `token` with `verifier`, check the answer (accepted or rejected).
fn verify_checked(
    spec: &setup::Spec,
    verifier: &Verifier,
    token: &str,
    signer: Option<usize>,
) -> Result<cognito_jwt::Claims, cognito_jwt::Error> {
    let result = block_on(verifier.verify(token));
    match &result {
        Ok(claims) => check::accepted(spec, token, claims, signer),
        Err(e) => check::rejected(e),
    }
    result
}

/// The verified-token cache answers as full verification does: a token the
/// uncached verifier accepted is accepted again from the cache, with the
/// same claims; one it refused is refused the same way.
pub(crate) fn cache_agrees(
    token: &str,
    uncached: &Result<cognito_jwt::Claims, cognito_jwt::Error>,
) {
    let cached = setup::build(&ACCESS_CACHED);
    for round in 0..4 {
        let again = verify_checked(&ACCESS_CACHED, &cached, token, None);
        check::same_answer(&format!("cached verifier, round {round}"), uncached, &again);
        if let Some(hit) = cached.verify_cached(token) {
            assert!(uncached.is_ok(), "a refused token is in the cache: {hit:?}");
            check::same_answer("verify_cached", uncached, &hit);
        }
    }
}

/// A token through [`Verifier::verify`] of each configuration.
pub fn token(data: &[u8]) {
    let token = text(data);
    for (spec, verifier) in verifiers() {
        let result = verify_checked(spec, verifier, &token, None);
        if spec.name == "access" && result.is_ok() {
            cache_agrees(&token, &result);
        }
    }
}

const JWKS_ISSUER: &str = "https://jwks.example.com";

/// A valid access token signed by each test key, for the jwks target's two
/// issuers: `(key index, [for JWKS_ISSUER, for the Cognito pool])`.
fn signed_tokens() -> &'static [(usize, [String; 2])] {
    static TOKENS: std::sync::OnceLock<Vec<(usize, [String; 2])>> = std::sync::OnceLock::new();
    TOKENS.get_or_init(|| {
        keys()
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let mint = |iss| crate::signed::mint(key, iss);
                (i, [mint(JWKS_ISSUER), mint(setup::ISS_A)])
            })
            .collect()
    })
}

/// A JWKS document as a static key set, for an issuer that allows every
/// algorithm and for a Cognito pool (RS256); then a token signed by each
/// test key. A token may verify only when the document publishes that
/// key's material under the token's `kid`, usable for its algorithm.
pub fn jwks(data: &[u8]) {
    let doc = text(data).into_owned();
    let issuers = [
        Issuer::url(JWKS_ISSUER)
            .algorithms(Algorithm::ALL)
            .into_any(),
        Issuer::cognito(setup::POOL).into_any(),
    ];
    for (which, issuer) in issuers.into_iter().enumerate() {
        let built = Verifier::builder(issuer.static_jwks(doc.clone()))
            .any_client()
            .any_token_use()
            .leeway(std::time::Duration::ZERO)
            .clock(cognito_jwt::ManualClock::new(setup::NOW))
            .disable_token_cache()
            .http_client(http_client())
            .build();
        let verifier = match built {
            Ok(v) => v,
            Err(e) => {
                let message = e.to_string();
                assert!(
                    matches!(e, cognito_jwt::BuildError::StaticJwks { .. }),
                    "a JWKS document failed the build with {message}"
                );
                continue;
            }
        };
        for (index, tokens) in signed_tokens() {
            let (Some(key), Some(token)) = (keys().get(*index), tokens.get(which)) else {
                continue;
            };
            match block_on(verifier.verify(token)) {
                Ok(claims) => published(&doc, key, &claims),
                Err(e) => check::rejected(&e),
            }
        }
    }
}

/// `key` verified a token through `doc`: `doc` must publish its material
/// under its `kid`, with no `alg`, `use` or `key_ops` that forbids it.
fn published(doc: &str, key: &Key, claims: &cognito_jwt::Claims) {
    use base64::Engine as _;
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    assert_eq!(claims.key_id(), key.kid, "verified under another kid");
    assert_eq!(
        claims.algorithm(),
        key.alg,
        "verified with another algorithm"
    );
    let doc: serde_json::Value = serde_json::from_str(doc)
        .unwrap_or_else(|e| panic!("a key verified from a document that is not JSON ({e})"));
    let entries = doc
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .unwrap_or_else(|| panic!("a key verified from a document without keys: {doc}"));
    let strip = |b: Vec<u8>| {
        let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
        b.get(first..).unwrap_or_default().to_vec()
    };
    let material = key.material();
    let fields: &[&str] = match material.len() {
        2 if key.alg == Algorithm::RS256 => &["n", "e"],
        2 => &["x", "y"],
        _ => &["x"],
    };
    let found = entries.iter().any(|jwk| {
        // A member that is `null` counts as absent, as the verifier reads it.
        let member = |name: &str| jwk.get(name).filter(|v| !v.is_null());
        let field = |name: &str| member(name).and_then(serde_json::Value::as_str);
        let usable = field("kid") == Some(key.kid)
            && field("alg").is_none_or(|a| a == key.alg.as_str())
            && member("use").is_none_or(|u| u == "sig")
            && member("key_ops").is_none_or(|ops| {
                ops.as_array()
                    .is_some_and(|ops| ops.iter().any(|o| o == "verify"))
            });
        usable
            && fields.iter().zip(&material).all(|(name, want)| {
                field(name)
                    .and_then(|t| {
                        URL_SAFE_NO_PAD
                            .decode(t)
                            .or_else(|_| URL_SAFE.decode(t))
                            .ok()
                    })
                    .is_some_and(|got| {
                        if key.alg == Algorithm::RS256 {
                            strip(got) == *want
                        } else {
                            got == *want
                        }
                    })
            })
    });
    assert!(
        found,
        "key {} verified, but {doc} does not publish it under kid {:?}",
        key.name, key.kid
    );
}

/// Header lines: `(name, value)`.
struct Lines(Vec<(String, Vec<u8>)>);

impl HeaderSource for Lines {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        for (k, v) in &self.0 {
            if k.eq_ignore_ascii_case(name) {
                f(v);
            }
        }
    }
}

/// The input as request headers: the first line is an `Authorization`
/// value; each further line is `name:value`.
fn lines(data: &[u8]) -> Lines {
    let mut out = Vec::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if i == 0 {
            if !data.is_empty() {
                out.push(("Authorization".to_owned(), line.to_vec()));
            }
            continue;
        }
        let (name, value) = match line.iter().position(|b| *b == b':') {
            Some(at) => (
                line.get(..at).unwrap_or_default(),
                line.get(at + 1..).unwrap_or_default(),
            ),
            None => (line, &[][..]),
        };
        out.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
    }
    Lines(out)
}

fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Request headers through [`TokenSource::extract`] and
/// [`Verifier::authenticate`], for the default source and one that also
/// reads a cookie and a header. `authenticate` must give what `extract`
/// then [`Verifier::verify_cached`] give, and answer from the cache exactly
/// for tokens [`Verifier::verify`] accepted.
pub fn header(data: &[u8]) {
    let headers = lines(data);
    let sources = [
        TokenSource::default(),
        TokenSource::default().cookie("token").header("X-Token"),
    ];
    let verifier = setup::build(&ACCESS_CACHED);
    for source in &sources {
        let extracted = source.extract(&headers);
        if let Ok(Some(t)) = &extracted {
            assert!(is_b64token(t), "extracted {t:?}, not a b64token");
            assert!(
                headers
                    .0
                    .iter()
                    .any(|(_, v)| v.windows(t.len()).any(|w| w == t.as_bytes())),
                "extracted {t:?}, found in no header"
            );
        }
        if let Err(e) = &extracted {
            check::rejected(e);
        }
        // Set once `verify` accepted the request's token: from then on the
        // cache must answer for it.
        let mut verified = false;
        for round in 0..4 {
            let answer = verifier.authenticate(source, &headers);
            assert!(
                !verified || matches!(answer, Authentication::Answered(Ok(_))),
                "a verified token is not answered from the cache: {answer:?} (round {round})"
            );
            let token = match (&extracted, answer) {
                (Ok(None), Authentication::Anonymous) => None,
                (Err(e), Authentication::Answered(Err(e2))) => {
                    assert_eq!(e, &e2, "authenticate and extract refuse differently");
                    None
                }
                (Ok(Some(t)), Authentication::Verify(t2)) => {
                    assert_eq!(*t, t2, "authenticate found another token");
                    let result = verify_checked(&ACCESS_CACHED, &verifier, t, None);
                    let fresh = &verifiers()
                        .first()
                        .map(|(s, v)| verify_checked(s, v, t, None))
                        .expect("the access verifier");
                    check::same_answer("cached and uncached verifiers", fresh, &result);
                    Some((*t, result.is_ok()))
                }
                (Ok(Some(t)), Authentication::Answered(answer)) => {
                    let cached = verifier.verify_cached(t).unwrap_or_else(|| {
                        panic!("authenticate decided {answer:?}, verify_cached did not")
                    });
                    check::same_answer("authenticate and verify_cached", &cached, &answer);
                    if let Ok(claims) = &answer {
                        check::accepted(&ACCESS_CACHED, t, claims, None);
                    }
                    Some((*t, answer.is_ok()))
                }
                (extracted, answer) => {
                    panic!("extract gave {extracted:?}, authenticate {answer:?} (round {round})")
                }
            };
            if let Some((t, ok)) = token {
                verified = ok;
                if !ok {
                    assert!(
                        verifier.verify_cached(t).is_none(),
                        "a refused token is answered from the cache"
                    );
                }
            }
        }
    }
}

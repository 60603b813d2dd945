//! `Verifier::authenticate`, the adapters' per-request call: the same answer
//! as `TokenSource::extract` then `Verifier::verify_cached`, for every
//! request shape, before and after the token is cached.

use cognito_jwt::{
    Claims, Error, Issuer, TokenSource, TokenUse, Verifier,
    adapter::{Authentication, HeaderSource},
};
use cognito_jwt_testkit::TestIssuer;

/// A request's headers as (name, value) pairs.
type Pairs = Vec<(&'static str, String)>;

struct Headers(Pairs);

impl HeaderSource for Headers {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        for (k, v) in &self.0 {
            if k.eq_ignore_ascii_case(name) {
                f(v.as_bytes());
            }
        }
    }
}

fn verifier(issuer: &TestIssuer, cache: bool) -> Verifier {
    let b = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access);
    let b = if cache { b } else { b.disable_token_cache() };
    b.build().unwrap()
}

/// An answer with the claims reduced to what tells them apart.
#[derive(Debug, PartialEq)]
enum Answer {
    Anonymous,
    Accepted(String),
    Refused(Error),
    Verify(String),
}

fn answer(a: Authentication<'_>) -> Answer {
    match a {
        Authentication::Anonymous => Answer::Anonymous,
        Authentication::Answered(Ok(c)) => Answer::Accepted(c.sub().to_owned()),
        Authentication::Answered(Err(e)) => Answer::Refused(e),
        Authentication::Verify(t) => Answer::Verify(t.to_owned()),
    }
}

/// What `extract` then `verify_cached` say, in the same terms.
fn reference(v: &Verifier, source: &TokenSource, headers: &Headers) -> Answer {
    match source.extract(headers) {
        Ok(None) => Answer::Anonymous,
        Err(e) => Answer::Refused(e),
        Ok(Some(token)) => match v.verify_cached(token) {
            Some(Ok(c)) => Answer::Accepted(c.sub().to_owned()),
            Some(Err(e)) => Answer::Refused(e),
            None => Answer::Verify(token.to_owned()),
        },
    }
}

#[tokio::test]
async fn the_same_answers_as_extract_then_verify_cached() {
    let issuer = TestIssuer::cognito();
    let token = issuer.access_token().subject("alice").build();
    let other = issuer.access_token().subject("bob").build();
    let source = TokenSource::default().cookie("tok");
    let auth = |v: &str| ("authorization", v.to_owned());
    let bearer = auth(&format!("Bearer {token}"));
    let cases: Vec<(&str, Pairs, Answer)> = vec![
        ("no credentials", vec![], Answer::Anonymous),
        (
            "another scheme",
            vec![auth("Basic dXNlcjpwYXNz")],
            Answer::Anonymous,
        ),
        (
            "the cached token",
            vec![bearer.clone()],
            Answer::Accepted("alice".into()),
        ),
        (
            "the scheme in any case",
            vec![auth(&format!("bEARER {token}"))],
            Answer::Accepted("alice".into()),
        ),
        (
            "surrounding whitespace",
            vec![auth(&format!(" Bearer {token}\t"))],
            Answer::Accepted("alice".into()),
        ),
        (
            "the cached token from the cookie",
            vec![("cookie", format!("a=1; tok={token}"))],
            Answer::Accepted("alice".into()),
        ),
        (
            "two spaces before the cached token",
            vec![auth(&format!("Bearer  {token}"))],
            Answer::Refused(Error::MalformedCredentials(
                "the bearer token must follow `Bearer` after one space and use b64token characters only",
            )),
        ),
        (
            "the cached token with a bad character",
            vec![auth(&format!("Bearer {token}\""))],
            Answer::Refused(Error::MalformedCredentials(
                "the bearer token must follow `Bearer` after one space and use b64token characters only",
            )),
        ),
        (
            "Bearer and no token",
            vec![auth("Bearer")],
            Answer::Refused(Error::MalformedCredentials(
                "the Bearer scheme has no token",
            )),
        ),
        (
            "the cached token twice",
            vec![bearer.clone(), bearer.clone()],
            Answer::Refused(Error::MultipleCredentials),
        ),
        (
            "the cached token and a cookie",
            vec![bearer.clone(), ("cookie", format!("tok={other}"))],
            Answer::Refused(Error::MultipleCredentials),
        ),
        (
            "a malformed header and a cookie",
            vec![auth("Bearer a\"b"), ("cookie", format!("tok={other}"))],
            Answer::Refused(Error::MultipleCredentials),
        ),
        (
            "the cached token plus padding (valid syntax, not the same token)",
            vec![auth(&format!("Bearer {token}="))],
            Answer::Verify(format!("{token}=")),
        ),
        (
            "a token never verified",
            vec![auth(&format!("Bearer {other}"))],
            Answer::Verify(other.clone()),
        ),
    ];

    let v = verifier(&issuer, true);
    let cold = verifier(&issuer, false);
    assert_eq!(
        answer(v.authenticate(&source, &Headers(vec![bearer.clone()]))),
        Answer::Verify(token.clone()),
        "not cached yet"
    );
    v.verify(&token).await.unwrap();
    // Round one answers from the shared tier, later rounds from this
    // thread's near tier (the last with its own copy of the claims).
    for round in 0..6 {
        for (name, headers, expected) in &cases {
            let headers = Headers(headers.clone());
            let got = answer(v.authenticate(&source, &headers));
            assert_eq!(&got, expected, "round {round}: {name}");
            assert_eq!(
                got,
                reference(&v, &source, &headers),
                "round {round}: {name}"
            );

            // Without a token cache, whatever was cached must be verified.
            let uncached = match expected {
                Answer::Accepted(_) => Answer::Verify(token.clone()),
                Answer::Anonymous => Answer::Anonymous,
                Answer::Refused(e) => Answer::Refused(e.clone()),
                Answer::Verify(t) => Answer::Verify(t.clone()),
            };
            assert_eq!(
                answer(cold.authenticate(&source, &headers)),
                uncached,
                "no cache: {name}"
            );
        }
    }
}

#[tokio::test]
async fn claims_from_the_cache_read_the_same_as_when_verified() {
    let issuer = TestIssuer::cognito();
    let token = issuer
        .access_token()
        .subject("alice")
        .scopes(&["openid", "orders/read"])
        .groups(&["admin", "users"])
        .build();
    let v = verifier(&issuer, true);
    let first = v.verify(&token).await.unwrap();
    let view = |c: &Claims| {
        (
            c.sub().to_owned(),
            c.issuer().to_owned(),
            c.client_id().map(str::to_owned),
            c.scopes().map(str::to_owned).collect::<Vec<_>>(),
            c.groups().map(str::to_owned).collect::<Vec<_>>(),
            c.key_id().to_owned(),
            c.expires_at(),
            c.access_token().cloned(),
            c.all().clone(),
        )
    };
    let expected = view(&first);
    for round in 0..8 {
        let cached = v.verify_cached(&token).unwrap().unwrap();
        assert_eq!(view(&cached), expected, "round {round}");
    }
}

/// Edits of the cached token's header value: whatever they produce,
/// `authenticate` (which compares bytes before checking syntax) must answer
/// as `extract` then `verify_cached`.
#[test]
fn any_edit_of_a_cached_header_gets_the_reference_answer() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let issuer = TestIssuer::cognito();
    let token = issuer.access_token().subject("alice").build();
    let v = verifier(&issuer, true);
    runtime.block_on(v.verify(&token)).unwrap();
    // Three hits: later cases are answered from this thread's near tier.
    for _ in 0..3 {
        assert!(matches!(v.verify_cached(&token), Some(Ok(_))));
    }
    let source = TokenSource::default().cookie("tok").header("x-token");

    // Which header, then an edit: where (a fraction of the value's length),
    // the bytes put in there, and how many bytes after it are removed.
    let header = prop::sample::select(vec!["authorization", "x-token", "cookie"]);
    let edit = (
        0.0..=1.0f64,
        prop::collection::vec(any::<u8>(), 0..3),
        0usize..3,
    );
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(header, edit), |(name, (at, insert, remove))| {
            let value = match name {
                "authorization" => format!("Bearer {token}"),
                _ => token.clone(),
            };
            let mut bytes = value.into_bytes();
            let at = ((bytes.len() as f64) * at) as usize;
            let at = at.min(bytes.len());
            let end = (at + remove).min(bytes.len());
            bytes.splice(at..end, insert);
            // Header values reach us as bytes; a lossy string keeps the
            // edit's shape while staying a `String` for the test source.
            let edited = String::from_utf8_lossy(&bytes).into_owned();
            let edited = match name {
                "cookie" => format!("tok={edited}"),
                _ => edited,
            };
            let headers = Headers(vec![(name, edited)]);
            prop_assert_eq!(
                answer(v.authenticate(&source, &headers)),
                reference(&v, &source, &headers)
            );
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn many_tokens_in_turn_each_get_their_own_claims() {
    // More tokens than a thread's near tier holds, hit in turn and in
    // bursts, so entries are admitted, replaced and hit again.
    let issuer = TestIssuer::cognito();
    let v = verifier(&issuer, true);
    let tokens: Vec<(String, String)> = (0..40)
        .map(|i| {
            let sub = format!("user-{i}");
            (issuer.access_token().subject(&sub).build(), sub)
        })
        .collect();
    for (token, sub) in &tokens {
        assert_eq!(v.verify(token).await.unwrap().sub(), sub);
    }
    for round in 0..6 {
        for (i, (token, sub)) in tokens.iter().enumerate() {
            let burst = if i % 3 == 0 { 6 } else { 1 };
            for _ in 0..burst {
                let claims = v.verify_cached(token).unwrap().unwrap();
                assert_eq!(claims.sub(), sub, "round {round}, token {i}");
            }
        }
    }
}

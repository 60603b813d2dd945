//! The core's per-request decision, `adapter::Gate`, which every adapter
//! delegates to: the middleware's verdict in required and optional mode,
//! the route's decision for plain and optional extractors, policies, and
//! the answer to a route with no middleware. One table, each row naming the
//! exact error (or the claims' subject) the gate gives.

use std::sync::Arc;

use cognito_jwt::adapter::{Decision, Extractor, Gate, Need, Refusal, Verdict};
use cognito_jwt::{
    BuildError, Claims, Error, ErrorClass, GroupSet, Issuer, Policy, Requirement, ScopeSet,
    TokenUse, Verifier,
};
use cognito_jwt_testkit::TestIssuer;

mod support;
use support::Headers;

fn bearer(token: &str) -> Headers {
    Headers(vec![("authorization", format!("Bearer {token}"))])
}

fn gate(issuer: &TestIssuer) -> Gate {
    let verifier = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .any_token_use()
    .build()
    .unwrap();
    Gate::new(verifier)
}

/// A verdict reduced to what tells verdicts apart.
#[derive(Debug, PartialEq)]
enum Outcome {
    Proceed(String),
    Anonymous,
    Refuse(&'static str, u16),
}

fn outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Verdict::Proceed(claims) => Outcome::Proceed(claims.sub().to_owned()),
        Verdict::Anonymous => Outcome::Anonymous,
        Verdict::Refuse(r) => Outcome::Refuse(r.error().kind(), r.challenge().status()),
    }
}

/// The middleware's verdict, awaiting the verification when there is one.
async fn middleware(gate: &Gate, headers: &Headers) -> Outcome {
    let verdict = match gate.decide(headers) {
        Decision::Now(verdict) => verdict,
        Decision::Verify(token) => gate.verify(token).await,
        Decision::VerifyAlbData(token) => gate.verify_alb_data(token).await,
    };
    outcome(verdict)
}

#[tokio::test]
async fn the_middleware_verdict_in_each_mode() {
    let pool = TestIssuer::cognito();
    let good = pool.access_token().subject("alice").build();
    let expired = pool.access_token().expires_in(-3600).build();
    let foreign = pool.access_token().client_id("someone-else").build();
    let id = pool.id_token().subject("bob").build();
    let required = gate(&pool);
    let optional = gate(&pool).optional();
    let access_only = gate(&pool).require(Requirement::new().token_use(TokenUse::Access));
    let rows: Vec<(&str, &Gate, Headers, Outcome)> = vec![
        (
            "required, no credentials",
            &required,
            Headers(vec![]),
            Outcome::Refuse("missing_token", 401),
        ),
        (
            "optional, no credentials",
            &optional,
            Headers(vec![]),
            Outcome::Anonymous,
        ),
        (
            "required, good token",
            &required,
            bearer(&good),
            Outcome::Proceed("alice".into()),
        ),
        (
            "optional, good token",
            &optional,
            bearer(&good),
            Outcome::Proceed("alice".into()),
        ),
        (
            "optional, expired token",
            &optional,
            bearer(&expired),
            Outcome::Refuse("expired", 401),
        ),
        (
            "optional, foreign client",
            &optional,
            bearer(&foreign),
            Outcome::Refuse("client_not_allowed", 401),
        ),
        (
            "optional, malformed header",
            &optional,
            Headers(vec![("authorization", "Bearer a b".into())]),
            Outcome::Refuse("malformed_credentials", 400),
        ),
        (
            "optional, two headers",
            &optional,
            Headers(vec![
                ("authorization", format!("Bearer {good}")),
                ("authorization", format!("Bearer {good}")),
            ]),
            Outcome::Refuse("multiple_credentials", 400),
        ),
        (
            "gate requirement met",
            &access_only,
            bearer(&good),
            Outcome::Proceed("alice".into()),
        ),
        (
            "gate requirement not met",
            &access_only,
            bearer(&id),
            Outcome::Refuse("wrong_token_use", 401),
        ),
    ];
    for (what, gate, headers, expected) in rows {
        // Twice: the second answer comes from the verified-token cache.
        assert_eq!(middleware(gate, &headers).await, expected, "{what}");
        assert_eq!(
            middleware(gate, &headers).await,
            expected,
            "{what} (cached)"
        );
    }
}

struct ReadOrders;
impl ScopeSet for ReadOrders {
    const SCOPES: &'static [&'static str] = &["orders/read"];
}

struct ReadAndWrite;
impl ScopeSet for ReadAndWrite {
    const SCOPES: &'static [&'static str] = &["orders/read", "orders/write"];
    const ALL: bool = true;
}

struct Admins;
impl GroupSet for Admins {
    const GROUPS: &'static [&'static str] = &["admin"];
}

struct AdminAccess;
impl Policy for AdminAccess {
    fn requirement() -> Result<Requirement, BuildError> {
        Requirement::new()
            .token_use(TokenUse::Access)
            .any_group(["admin"])
    }
}

struct Broken;
impl Policy for Broken {
    fn requirement() -> Result<Requirement, BuildError> {
        // As if read from an unset environment variable.
        Requirement::new().all_scopes(Vec::<String>::new())
    }
}

/// The refusal's error kind and status, or `None` when admitted.
type Refused = Option<(&'static str, u16)>;

fn refusal_of<T>(result: Result<T, Refusal>) -> Refused {
    result
        .err()
        .map(|r| (r.error().kind(), r.challenge().status()))
}

#[tokio::test]
async fn the_route_decision_for_plain_and_optional_extractors() {
    let pool = TestIssuer::cognito();
    let gate = gate(&pool);
    let verify = |token: String| {
        let gate = gate.clone();
        async move { gate.verifier().verify(&token).await.unwrap() }
    };
    let reader = verify(pool.access_token().scopes(&["orders/read"]).build()).await;
    let writer = verify(pool.access_token().scopes(&["orders/write"]).build()).await;
    let admin = verify(pool.access_token().groups(&["admin"]).build()).await;
    let admin_id = verify(pool.id_token().groups(&["admin"]).build()).await;
    let custom =
        Need::requirement(Arc::new(Requirement::new().check(
            |c| match c.get("custom:tenant") {
                Some(t) if t == "acme" => Ok(()),
                _ => Err("wrong tenant".into()),
            },
        )));

    // (what, need, claims, the refusal or None for admitted)
    let rows: Vec<(&str, Need, Option<&Claims>, Refused)> = vec![
        ("any token", Need::any_token(), Some(&reader), None),
        (
            "access token",
            Need::token_use(TokenUse::Access),
            Some(&reader),
            None,
        ),
        (
            "ID token wanted",
            Need::token_use(TokenUse::Id),
            Some(&reader),
            Some(("wrong_token_use", 401)),
        ),
        (
            "access token wanted",
            Need::token_use(TokenUse::Access),
            Some(&admin_id),
            Some(("wrong_token_use", 401)),
        ),
        (
            "scope present",
            Need::scopes::<ReadOrders>(),
            Some(&reader),
            None,
        ),
        (
            "scope missing",
            Need::scopes::<ReadOrders>(),
            Some(&writer),
            Some(("insufficient_scope", 403)),
        ),
        (
            "all scopes, one missing",
            Need::scopes::<ReadAndWrite>(),
            Some(&reader),
            Some(("insufficient_scope", 403)),
        ),
        (
            "scopes of an ID token",
            Need::scopes::<ReadOrders>(),
            Some(&admin_id),
            Some(("wrong_token_use", 401)),
        ),
        (
            "group, access token",
            Need::groups::<Admins>(),
            Some(&admin),
            None,
        ),
        (
            "group, ID token",
            Need::groups::<Admins>(),
            Some(&admin_id),
            None,
        ),
        (
            "group missing",
            Need::groups::<Admins>(),
            Some(&reader),
            Some(("missing_group", 403)),
        ),
        (
            "policy met",
            Need::policy::<AdminAccess>(),
            Some(&admin),
            None,
        ),
        (
            "policy, wrong kind",
            Need::policy::<AdminAccess>(),
            Some(&admin_id),
            Some(("wrong_token_use", 401)),
        ),
        (
            "invalid policy",
            Need::policy::<Broken>(),
            Some(&admin),
            Some(("misconfigured", 500)),
        ),
        (
            "custom check fails",
            custom,
            Some(&reader),
            Some(("forbidden", 403)),
        ),
    ];
    for (what, need, claims, refused) in &rows {
        assert_eq!(refusal_of(gate.admit(*claims, need)), *refused, "{what}");
        // An optional extractor with a token decides exactly as the plain one.
        assert_eq!(
            refusal_of(gate.admit_optional(*claims, need)),
            *refused,
            "{what} (optional)"
        );
        // Without claims: the plain extractor is 401, the optional one None.
        assert_eq!(
            refusal_of(gate.admit(None, need)),
            Some(("missing_token", 401)),
            "{what}"
        );
        assert!(
            matches!(gate.admit_optional(None, need), Ok(None)),
            "{what}"
        );
        if refused.is_none() {
            assert!(need.allows(claims.unwrap()), "{what}");
        } else {
            assert!(!need.allows(claims.unwrap()), "{what}");
        }
    }
}

/// An extractor as an adapter writes one: a need, and how it is made.
#[derive(Debug)]
struct Tenant(String);

impl Extractor for Tenant {
    fn from_claims(gate: &Gate, claims: &Claims) -> Result<Self, Refusal> {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(rename = "custom:tenant")]
            tenant: String,
        }
        gate.deserialize::<T>(claims).map(|t| Tenant(t.tenant))
    }
}

#[tokio::test]
async fn extractors_and_custom_claims_types() {
    let pool = TestIssuer::cognito();
    let gate = gate(&pool);
    let with = gate
        .verifier()
        .verify(&pool.access_token().claim("custom:tenant", "acme").build())
        .await
        .unwrap();
    let without = gate
        .verifier()
        .verify(&pool.access_token().build())
        .await
        .unwrap();
    assert_eq!(gate.extract::<Tenant>(Some(&with)).unwrap().0, "acme");
    let refused = gate.extract::<Tenant>(Some(&without)).unwrap_err();
    assert_eq!(refused.error().kind(), "bad_claim");
    assert_eq!(refused.challenge().status(), 401);
    assert!(matches!(gate.extract_optional::<Tenant>(None), Ok(None)));
    assert_eq!(
        gate.extract_optional::<Tenant>(Some(&without))
            .unwrap_err()
            .error()
            .kind(),
        "bad_claim"
    );
    assert_eq!(
        gate.extract::<Tenant>(None).unwrap_err().error(),
        &Error::MissingToken
    );
}

#[test]
fn no_middleware_is_a_500_without_a_challenge() {
    let refusal = Refusal::not_configured("a test");
    assert_eq!(refusal.class(), ErrorClass::Misconfigured);
    let challenge = refusal.challenge();
    assert_eq!(challenge.status(), 500);
    assert_eq!(challenge.www_authenticate(), None);
    assert_eq!(challenge.retry_after(), None);
    assert_eq!(
        challenge.body(),
        r#"{"error":"server_error","error_description":"authentication is not configured for this route"}"#
    );
}

#[test]
fn realms_are_printable_ascii_and_every_challenge_a_valid_header() {
    let pool = TestIssuer::cognito();
    for bad in ["", "caf\u{e9}", "line\nbreak", "tab\there", "\u{7f}"] {
        assert!(
            matches!(
                gate(&pool).realm(bad),
                Err(BuildError::InvalidOption {
                    option: "realm",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
    let gate = gate(&pool).realm(r#"orders "v2" \ api"#).unwrap();
    let Decision::Now(Verdict::Refuse(refusal)) = gate.decide(&Headers(vec![])) else {
        panic!("required mode refuses an anonymous request");
    };
    assert_eq!(
        refusal.challenge().www_authenticate(),
        Some(r#"Bearer realm="orders \"v2\" \\ api""#)
    );
    // A challenge built by hand with a hostile realm or scope still holds
    // printable ASCII only.
    let hostile = cognito_jwt::Challenge::new(
        &Error::InsufficientScope {
            required: vec!["caf\u{e9}\r\nx".into()],
            all: false,
        },
        Some("r\u{e9}alm\n"),
    );
    let header = hostile.www_authenticate().unwrap();
    assert!(
        header.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "{header:?}"
    );
    assert!(header.contains(r#"realm="ralm""#), "{header:?}");
    assert!(header.contains(r#"scope="cafx""#), "{header:?}");
}

#[test]
fn challenges_name_the_resource_metadata_when_configured() {
    let pool = TestIssuer::cognito();
    let url = "https://api.example.com/.well-known/oauth-protected-resource";
    let gate = gate(&pool)
        .realm("orders")
        .unwrap()
        .resource_metadata(url)
        .unwrap();
    let Decision::Now(Verdict::Refuse(refusal)) = gate.decide(&Headers(vec![])) else {
        panic!("required mode refuses an anonymous request");
    };
    assert_eq!(
        refusal.challenge().www_authenticate(),
        Some(format!(r#"Bearer realm="orders", resource_metadata="{url}""#).as_str())
    );
    for bad in [
        "http://api.example.com/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource",
        "https://api.example.com/caf\u{e9}",
        "ftp://api.example.com/x",
    ] {
        assert!(
            matches!(
                gate.clone().resource_metadata(bad),
                Err(BuildError::InvalidUrl { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(
        gate.resource_metadata("http://127.0.0.1:3000/.well-known/oauth-protected-resource")
            .is_ok(),
        "http on loopback, for local development"
    );
}

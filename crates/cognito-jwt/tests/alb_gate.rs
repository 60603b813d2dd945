//! The gate's choice between the bearer token and the ALB data token
//! (`Trust`), and what routes make of ALB claims: one table, each row naming
//! the exact outcome.

use std::sync::Arc;

use cognito_jwt::adapter::{Decision, Gate, Need, Verdict};
use cognito_jwt::{AlbVerifier, Issuer, Requirement, TokenUse, Trust, Verifier};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, TestIssuer};

mod support;
use support::Headers;

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Proceed(String),
    Anonymous,
    Refuse(&'static str, u16),
}

async fn decide(gate: &Gate, headers: &Headers) -> Outcome {
    let verdict = match gate.decide(headers) {
        Decision::Now(verdict) => verdict,
        Decision::Verify(token) => gate.verify(token).await,
        Decision::VerifyAlbData(token) => gate.verify_alb_data(token).await,
    };
    match verdict {
        Verdict::Proceed(claims) => Outcome::Proceed(claims.sub().to_owned()),
        Verdict::Anonymous => Outcome::Anonymous,
        Verdict::Refuse(r) => Outcome::Refuse(r.error().kind(), r.challenge().status()),
    }
}

struct World {
    pool: TestIssuer,
    alb: AlbIssuer,
    _keys: AlbKeyServer,
    verifier: Verifier,
    alb_verifier: AlbVerifier,
}

fn world() -> World {
    let pool = TestIssuer::cognito();
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let verifier = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
    )
    .client_ids([pool.client_id()])
    .any_token_use()
    .build()
    .expect("valid");
    let alb_verifier = AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(keys.url())
        .build()
        .expect("valid");
    World {
        pool,
        alb,
        _keys: keys,
        verifier,
        alb_verifier,
    }
}

#[tokio::test]
async fn which_credential_each_trust_takes() {
    let w = world();
    let bearer = format!("Bearer {}", w.pool.access_token().build());
    let data = w.alb.data_token().build();
    let forged = w.alb.data_token().header("signer", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef").build();
    let user = Outcome::Proceed(w.pool.user_sub());
    let alb_user = Outcome::Proceed(w.alb.sub().to_owned());
    let h = |pairs: &[(&'static str, &str)]| {
        Headers(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
    };
    let rows: Vec<(Trust, Headers, Outcome)> = vec![
        // Bearer (the default): the data header is ignored, even forged.
        (
            Trust::Bearer,
            h(&[("authorization", &bearer)]),
            user.clone(),
        ),
        (
            Trust::Bearer,
            h(&[("x-amzn-oidc-data", &data)]),
            Outcome::Refuse("missing_token", 401),
        ),
        (
            Trust::Bearer,
            h(&[("authorization", &bearer), ("x-amzn-oidc-data", &forged)]),
            user.clone(),
        ),
        // AlbData: the bearer header is ignored.
        (
            Trust::AlbData,
            h(&[("x-amzn-oidc-data", &data)]),
            alb_user.clone(),
        ),
        (
            Trust::AlbData,
            h(&[("authorization", &bearer)]),
            Outcome::Refuse("missing_token", 401),
        ),
        (
            Trust::AlbData,
            h(&[("authorization", &bearer), ("x-amzn-oidc-data", &data)]),
            alb_user.clone(),
        ),
        (
            Trust::AlbData,
            h(&[("x-amzn-oidc-data", &forged)]),
            Outcome::Refuse("untrusted_signer", 401),
        ),
        (
            Trust::AlbData,
            h(&[("x-amzn-oidc-data", &data), ("x-amzn-oidc-data", &data)]),
            Outcome::Refuse("multiple_credentials", 400),
        ),
        (
            Trust::AlbData,
            h(&[("x-amzn-oidc-data", "a b")]),
            Outcome::Refuse("malformed_credentials", 400),
        ),
        // Either: the data token when present, else the bearer; never both.
        (
            Trust::Either,
            h(&[("x-amzn-oidc-data", &data)]),
            alb_user.clone(),
        ),
        (
            Trust::Either,
            h(&[("authorization", &bearer)]),
            user.clone(),
        ),
        (
            Trust::Either,
            h(&[("authorization", &bearer), ("x-amzn-oidc-data", &data)]),
            Outcome::Refuse("multiple_credentials", 400),
        ),
        (
            Trust::Either,
            h(&[("authorization", "Bearer"), ("x-amzn-oidc-data", &data)]),
            Outcome::Refuse("multiple_credentials", 400),
        ),
        (
            Trust::Either,
            h(&[
                ("authorization", "Basic dXNlcjpwYXNz"),
                ("x-amzn-oidc-data", &data),
            ]),
            alb_user.clone(),
        ),
        (Trust::Either, h(&[]), Outcome::Refuse("missing_token", 401)),
    ];
    for (i, (trust, headers, expected)) in rows.into_iter().enumerate() {
        let gate = Gate::new(w.verifier.clone()).alb_data(w.alb_verifier.clone(), trust);
        assert_eq!(
            decide(&gate, &headers).await,
            expected,
            "row {i} ({trust:?})"
        );
    }
    // Optional mode: no data header is anonymous; a bad one is still refused.
    let gate = Gate::new(w.verifier.clone())
        .alb_data(w.alb_verifier.clone(), Trust::AlbData)
        .optional();
    assert_eq!(decide(&gate, &h(&[])).await, Outcome::Anonymous);
    assert_eq!(
        decide(&gate, &h(&[("x-amzn-oidc-data", &forged)])).await,
        Outcome::Refuse("untrusted_signer", 401)
    );
}

#[tokio::test]
async fn alb_claims_meet_access_token_routes_and_no_scope_route() {
    let w = world();
    let gate = Gate::new(w.verifier.clone()).alb_data(w.alb_verifier.clone(), Trust::AlbData);
    let headers = Headers(vec![("x-amzn-oidc-data", w.alb.data_token().build())]);
    let Decision::VerifyAlbData(token) = gate.decide(&headers) else {
        panic!("a data token is verified");
    };
    let Verdict::Proceed(claims) = gate.verify_alb_data(token).await else {
        panic!("a valid data token proceeds");
    };
    assert!(gate.admit(Some(&claims), &Need::any_token()).is_ok());
    assert!(
        gate.admit(Some(&claims), &Need::token_use(TokenUse::Access))
            .is_ok()
    );
    let id = gate
        .admit(Some(&claims), &Need::token_use(TokenUse::Id))
        .unwrap_err();
    assert_eq!(
        (id.error().kind(), id.challenge().status()),
        ("wrong_token_use", 401)
    );
    let orders = Requirement::new()
        .any_scope(["orders/read"])
        .expect("valid");
    let scoped = gate
        .admit(Some(&claims), &Need::requirement(Arc::new(orders)))
        .unwrap_err();
    assert_eq!(
        (scoped.error().kind(), scoped.challenge().status()),
        ("insufficient_scope", 403)
    );
}

#[tokio::test]
async fn a_malformed_data_header_is_named_to_the_client() {
    let w = world();
    let gate = Gate::new(w.verifier.clone()).alb_data(w.alb_verifier.clone(), Trust::Either);
    let refused = |headers: Headers| match gate.decide(&headers) {
        Decision::Now(Verdict::Refuse(r)) => {
            (r.error().client_description(), r.challenge().status())
        }
        _ => panic!("refused at once"),
    };
    assert_eq!(
        refused(Headers(vec![("x-amzn-oidc-data", "a b".to_owned())])),
        ("malformed x-amzn-oidc-data header", 400)
    );
    assert_eq!(
        refused(Headers(vec![("authorization", "Bearer a b".to_owned())])),
        ("malformed Authorization header", 400)
    );
}

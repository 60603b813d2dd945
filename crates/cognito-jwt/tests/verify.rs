//! Valid tokens of every kind pass, and the claims a handler reads are right.

use cognito_jwt::{Algorithm, ClaimError, Error, Issuer, ManualClock, TokenUse, Verifier};
use cognito_jwt_testkit::{JwksServer, SigningKey, TestIssuer};

fn verifier(server: &JwksServer, token_use: Option<TokenUse>) -> Verifier {
    let issuer = server.issuer();
    let b = Verifier::builder(
        Issuer::cognito(issuer.pool_id().unwrap_or_default()).jwks_url(server.url()),
    )
    .client_ids([issuer.client_id()]);
    match token_use {
        Some(u) => b.token_use(u).build().unwrap(),
        None => b.any_token_use().build().unwrap(),
    }
}

#[tokio::test]
async fn access_and_id_tokens_pass_with_their_claims() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = verifier(&server, None);

    let access = issuer
        .access_token()
        .scopes(&["openid", "orders/read"])
        .groups(&["admin"])
        .build();
    let claims = v.verify(&access).await.unwrap();
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(claims.client_id(), Some(issuer.client_id().as_str()));
    assert_eq!(claims.username(), Some("testuser"));
    assert!(claims.has_scope("orders/read"));
    assert!(!claims.has_scope("orders/rea"));
    assert!(claims.in_group("admin"));
    assert_eq!(claims.issuer(), issuer.issuer());
    let typed = claims.access_token().unwrap();
    assert_eq!(
        typed.scopes().collect::<Vec<_>>(),
        ["openid", "orders/read"]
    );
    assert!(claims.id_token().is_none());

    let id = issuer.id_token().claim("custom:tenant", "acme").build();
    let claims = v.verify(&id).await.unwrap();
    assert_eq!(claims.token_use(), TokenUse::Id);
    let typed = claims.id_token().unwrap();
    assert_eq!(typed.email.as_deref(), Some("testuser@example.com"));
    assert_eq!(typed.email_verified, Some(true));
    assert_eq!(
        typed.extra.get("custom:tenant").and_then(|v| v.as_str()),
        Some("acme")
    );
    assert_eq!(
        claims.get("custom:tenant").and_then(|v| v.as_str()),
        Some("acme")
    );

    let machine = issuer.machine_token().build();
    let claims = v.verify(&machine).await.unwrap();
    assert_eq!(claims.username(), None);
    assert_eq!(claims.sub(), issuer.client_id());
    assert_eq!(server.fetch_count(), 1, "keys are fetched once and cached");
}

#[tokio::test]
async fn the_updated_issuer_form_is_accepted_too() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = verifier(&server, Some(TokenUse::Access));
    let token = issuer
        .access_token()
        .claim(
            "iss",
            "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1",
        )
        .build();
    v.verify(&token).await.unwrap();
}

#[tokio::test]
async fn token_use_is_enforced_by_the_verifier() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = verifier(&server, Some(TokenUse::Access));
    let err = v.verify(&issuer.id_token().build()).await.unwrap_err();
    assert_eq!(
        err,
        Error::Claim(ClaimError::WrongTokenUse {
            expected: "access",
            actual: "id".into()
        })
    );
}

#[tokio::test]
async fn expiry_follows_the_injected_clock_even_from_the_token_cache() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let clock = ManualClock::starting_now();
    let v = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(server.url()))
        .client_ids([issuer.client_id()])
        .token_use(TokenUse::Access)
        .clock(clock.clone())
        .build()
        .unwrap();
    let token = issuer.access_token().expires_in(300).build();
    // First verified, then from the shared cache, then from this thread's near tier.
    for _ in 0..8 {
        v.verify(&token).await.unwrap();
    }
    // Past `exp` plus the default 30 s leeway. The token's `iat` comes from
    // the wall clock and may be a second later than the manual clock's start
    // (a second boundary between the two reads), so go 5 s beyond.
    clock.advance(300 + 30 + 5);
    assert!(matches!(
        v.verify(&token).await,
        Err(Error::Claim(ClaimError::Expired { .. }))
    ));
}

#[tokio::test]
async fn generic_issuer_with_es256() {
    let key = SigningKey::ec_p256("ec-1");
    let issuer = TestIssuer::with_issuer_url("https://login.example.com").with_key(key);
    let server = JwksServer::start(&issuer);
    let build = |algs: Vec<Algorithm>| {
        Verifier::builder(
            Issuer::url("https://login.example.com")
                .jwks_url(server.url())
                .algorithms(algs),
        )
        .client_ids([issuer.client_id()])
        .token_use(TokenUse::Access)
        .build()
        .unwrap()
    };
    let token = issuer.access_token().build();
    build(vec![Algorithm::ES256]).verify(&token).await.unwrap();
    assert!(matches!(
        build(vec![Algorithm::RS256]).verify(&token).await,
        Err(Error::Header(
            cognito_jwt::HeaderError::AlgorithmNotAllowed { .. }
        ))
    ));
}

#[tokio::test]
async fn claims_with_json_escapes_read_back_exactly() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = verifier(&server, Some(TokenUse::Access));
    let token = issuer
        .access_token()
        .subject("user-\u{e9}-\"quoted\"")
        .username("line\nbreak")
        .scopes(&["orders/read", "caf\u{e9}/write"])
        .build();
    let claims = v.verify(&token).await.unwrap();
    assert_eq!(claims.sub(), "user-\u{e9}-\"quoted\"");
    assert_eq!(claims.username(), Some("line\nbreak"));
    assert!(claims.has_scope("caf\u{e9}/write"));
    assert_eq!(claims.client_id(), Some(issuer.client_id().as_str()));
}

#[tokio::test]
async fn verifiers_on_one_thread_never_answer_from_each_others_cache() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let ours = verifier(&server, Some(TokenUse::Access));
    let theirs = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(server.url()))
        .client_ids(["another-app-client"])
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let token = issuer.access_token().build();
    // Both have fetched their keys (one generation each).
    assert!(matches!(
        theirs.verify(&token).await,
        Err(Error::Claim(ClaimError::ClientNotAllowed { .. }))
    ));
    for _ in 0..8 {
        ours.verify(&token).await.unwrap();
        assert_eq!(ours.verify_cached(&token).map(|r| r.is_ok()), Some(true));
    }
    assert_eq!(theirs.verify_cached(&token).map(|r| r.is_ok()), None);
    assert!(matches!(
        theirs.verify(&token).await,
        Err(Error::Claim(ClaimError::ClientNotAllowed { .. }))
    ));
}

#[test]
fn empty_lists_are_configuration_errors_not_open_or_closed_routes() {
    use cognito_jwt::{BuildError, Requirement};
    let empty: Vec<String> = Vec::new();
    let invalid = |r: Result<Requirement, BuildError>| {
        assert!(matches!(r, Err(BuildError::InvalidList { .. })), "{r:?}")
    };
    invalid(Requirement::new().all_scopes(empty.clone()));
    invalid(Requirement::new().any_scope(empty.clone()));
    invalid(Requirement::new().all_groups(empty.clone()));
    invalid(Requirement::new().any_group(empty.clone()));
    invalid(Requirement::new().any_scope(["orders/read", ""]));
    invalid(Requirement::new().any_group([""]));
    invalid(Requirement::new().any_scope(["orders read"]));
    invalid(Requirement::new().any_scope(["caf\u{e9}/read"]));
    invalid(Requirement::new().any_scope(["a\"b"]));
    assert!(Requirement::new().any_group(["Caf\u{e9} staff"]).is_ok());

    let issuer = TestIssuer::cognito();
    let built = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .required_audience(empty)
    .build();
    assert!(
        matches!(
            built,
            Err(BuildError::InvalidList {
                what: "audiences",
                ..
            })
        ),
        "{built:?}"
    );
}

#[tokio::test]
async fn scopes_are_for_access_tokens_groups_for_either_kind() {
    use cognito_jwt::Requirement;
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = verifier(&server, None);
    let id = v
        .verify(
            &issuer
                .id_token()
                .groups(&["admin"])
                .claim("scope", "orders/read")
                .build(),
        )
        .await
        .unwrap();
    // An ID token grants no scope, even with a `scope` claim in it.
    assert!(!id.has_scope("orders/read"));
    assert_eq!(id.scopes().count(), 0);
    assert_eq!(
        Requirement::new()
            .any_scope(["orders/read"])
            .unwrap()
            .verify(&id),
        Err(ClaimError::WrongTokenUse {
            expected: "access",
            actual: "id".into()
        }
        .into())
    );
    // Groups: both kinds carry `cognito:groups`, as API Gateway reads them.
    Requirement::new()
        .any_group(["admin"])
        .unwrap()
        .verify(&id)
        .unwrap();
    // Insisting on one kind is one more rule.
    assert!(matches!(
        Requirement::new()
            .token_use(TokenUse::Access)
            .any_group(["admin"])
            .unwrap()
            .verify(&id),
        Err(Error::Claim(ClaimError::WrongTokenUse { .. }))
    ));
    let access = v
        .verify(
            &issuer
                .access_token()
                .scopes(&["orders/read"])
                .groups(&["admin"])
                .build(),
        )
        .await
        .unwrap();
    Requirement::new()
        .any_scope(["orders/read"])
        .unwrap()
        .verify(&access)
        .unwrap();
    Requirement::new()
        .any_group(["admin"])
        .unwrap()
        .verify(&access)
        .unwrap();
}

#[tokio::test]
async fn the_token_cache_is_bounded_by_bytes_not_only_by_count() {
    let issuer = TestIssuer::cognito();
    let cap: u64 = 2 * 1024 * 1024;
    let v = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .token_cache_max_bytes(cap)
    .build()
    .unwrap();
    // Valid tokens near the 16 KiB cap, with a large custom claim each (as a
    // pre-token-generation trigger can add).
    let big = "x".repeat(10 * 1024);
    let mut verified = 0u64;
    for i in 0..300 {
        let token = issuer
            .access_token()
            .subject(format!("user-{i}"))
            .claim("custom:blob", big.as_str())
            .build();
        assert!(token.len() > 13 * 1024, "{}", token.len());
        v.verify(&token).await.unwrap();
        verified += 1;
    }
    let (entries, bytes) = v.token_cache_usage().unwrap();
    assert!(bytes <= cap, "{bytes} bytes cached, cap {cap}");
    assert!(
        entries > 0 && entries < verified,
        "{entries} of {verified} kept"
    );
    // Each kept entry is counted for at least its token and payload.
    assert!(
        bytes >= entries * 2 * 13 * 1024,
        "{bytes} bytes for {entries} entries"
    );
}

//! Revocation: each rule refuses exactly the tokens it names, also when
//! they were verified (and cached) before the rule was added; rules expire;
//! a set kept by a store fails closed when it is out of date.

use std::time::Duration;

use cognito_jwt::revocation::{Revocation, Revocations, Rule};
use cognito_jwt::{Clock, Error, ErrorClass, Issuer, ManualClock, SystemClock, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;

fn verifier(pool: &TestIssuer, revocations: &Revocations, clock: &ManualClock) -> Verifier {
    Verifier::builder(Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()))
        .client_ids([pool.client_id(), "machine-client".to_owned()])
        .any_token_use()
        .clock(clock.clone())
        .revocations(revocations.clone())
        .build()
        .unwrap()
}

fn set(clock: &ManualClock) -> Revocations {
    Revocations::builder()
        .max_token_lifetime(Duration::from_secs(3600))
        .clock(clock.clone())
        .build()
}

/// The outcome of a verification, reduced to what tells rows apart.
async fn outcome(v: &Verifier, token: &str) -> Result<(), Error> {
    v.verify(token).await.map(|_| ())
}

/// A token of a row, what it is, and the outcome it must get.
type Case<'a> = (&'a str, &'a str, Result<(), Error>);

fn revoked(rule: &'static str) -> Result<(), Error> {
    Err(Error::Revoked { rule })
}

#[tokio::test]
async fn each_rule_refuses_exactly_the_tokens_it_names() {
    let pool = TestIssuer::cognito();
    let now = SystemClock.now();
    let clock = ManualClock::new(now);
    let access = |origin: &str, sub: &str, iat: i64| {
        pool.access_token()
            .subject(sub)
            .claim("origin_jti", origin)
            .claim("jti", format!("jti-{origin}-{sub}-{iat}"))
            .issued_at(iat)
            .expires_in(3600)
            .build()
    };
    let alice_a = access("fam-a", "alice", now - 60);
    let alice_b = access("fam-b", "alice", now - 60);
    let alice_new = access("fam-c", "alice", now + 10);
    let alice_at_cutoff = access("fam-e", "alice", now);
    let bob = access("fam-d", "bob", now - 60);
    let id_a = pool
        .id_token()
        .subject("alice")
        .claim("origin_jti", "fam-a")
        .build();
    let machine = pool
        .access_token()
        .client_id("machine-client")
        .issued_at(now - 30)
        .build();
    let no_iat = pool
        .access_token()
        .subject("carol")
        .remove_claim("iat")
        .build();

    // (what, the rule, then each token with the outcome it must get)
    let rows: Vec<(&str, Revocation, Vec<Case>)> = vec![
        (
            "one token by jti",
            Revocation::token(format!("jti-fam-a-alice-{}", now - 60)),
            vec![
                ("that token", &alice_a, revoked("token")),
                ("same user, other session", &alice_b, Ok(())),
                ("the family's ID token", &id_a, Ok(())),
            ],
        ),
        (
            "a family (RevokeToken)",
            Revocation::family("fam-a"),
            vec![
                ("its access token", &alice_a, revoked("family")),
                ("its ID token", &id_a, revoked("family")),
                ("another family of the user", &alice_b, Ok(())),
                ("another user", &bob, Ok(())),
            ],
        ),
        (
            "a user until now (GlobalSignOut)",
            Revocation::subject_until("alice", now),
            vec![
                ("an older session", &alice_a, revoked("subject")),
                ("another older session", &alice_b, revoked("subject")),
                ("a token issued after", &alice_new, Ok(())),
                (
                    "a token issued in the second of the cut-off",
                    &alice_at_cutoff,
                    revoked("subject"),
                ),
                ("another user", &bob, Ok(())),
            ],
        ),
        (
            "a token without iat, its user signed out",
            Revocation::subject_until("carol", now),
            vec![(
                "counted as issued at the epoch",
                &no_iat,
                revoked("subject"),
            )],
        ),
        (
            "a machine client until now",
            Revocation::client_until("machine-client", now),
            vec![
                ("its token", &machine, revoked("client")),
                ("a user token of the app client", &alice_a, Ok(())),
            ],
        ),
    ];
    for (what, rule, tokens) in rows {
        let revocations = set(&clock);
        let v = verifier(&pool, &revocations, &clock);
        // Verified (and cached, near tier too) before the rule exists.
        for (token_what, token, _) in &tokens {
            for _ in 0..3 {
                assert_eq!(
                    outcome(&v, token).await,
                    Ok(()),
                    "{what}: {token_what} before"
                );
            }
        }
        revocations.revoke(rule);
        for (token_what, token, expected) in &tokens {
            // From the cache, then again: the rule holds on every hit.
            for round in 0..3 {
                assert_eq!(
                    &outcome(&v, token).await,
                    expected,
                    "{what}: {token_what} (round {round})"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_revoked_token_is_401_invalid_token() {
    let refused = Error::Revoked { rule: "family" };
    assert_eq!(refused.class(), ErrorClass::InvalidToken);
    assert_eq!(refused.kind(), "revoked");
    assert_eq!(refused.client_description(), "the token has been revoked");
    let challenge = cognito_jwt::Challenge::new(&refused, None);
    assert_eq!(challenge.status(), 401);
    assert_eq!(
        challenge.www_authenticate(),
        Some(r#"Bearer error="invalid_token", error_description="the token has been revoked""#)
    );
}

#[tokio::test]
async fn rules_expire_when_no_token_they_match_can_still_be_valid() {
    let pool = TestIssuer::cognito();
    let now = SystemClock.now();
    let clock = ManualClock::new(now);
    let revocations = set(&clock);
    let stored = revocations.revoke(Revocation::family("fam-a"));
    assert_eq!(
        stored.expiry(),
        Some(now + 3600),
        "now plus the maximum token lifetime"
    );
    let cutoff = revocations.revoke(Revocation::subject_until("alice", now + 100));
    assert_eq!(
        cutoff.expiry(),
        Some(now + 100 + 3600),
        "the cut-off plus the lifetime"
    );
    let explicit = revocations.revoke(Revocation::token("t").expires_at(now + 5));
    assert_eq!(explicit.expiry(), Some(now + 5));
    assert_eq!(revocations.len(), 3);

    // A token of the family, valid for two hours (longer than the set's
    // assumed lifetime): revoked while the rule lives, not after.
    let token = pool
        .access_token()
        .subject("bob")
        .claim("origin_jti", "fam-a")
        .issued_at(now)
        .expires_in(7200)
        .build();
    let v = verifier(&pool, &revocations, &clock);
    assert_eq!(outcome(&v, &token).await, revoked("family"));
    clock.advance(3600);
    assert_eq!(outcome(&v, &token).await, Ok(()), "the rule has expired");
    revocations.purge_expired();
    assert_eq!(revocations.len(), 1, "only the subject rule is left");
    clock.advance(101);
    revocations.purge_expired();
    assert!(revocations.is_empty());
}

#[tokio::test]
async fn the_same_rule_twice_keeps_the_stricter_one() {
    let now = SystemClock.now();
    let clock = ManualClock::new(now);
    let revocations = set(&clock);
    revocations.revoke(Revocation::subject_until("alice", now - 100));
    revocations.revoke(Revocation::subject_until("alice", now));
    revocations.revoke(Revocation::subject_until("alice", now - 500));
    let entries = revocations.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].rule(),
        &Rule::Subject {
            sub: "alice".into(),
            issued_until: now
        }
    );
}

#[tokio::test]
async fn a_set_kept_by_a_store_fails_closed_when_out_of_date() {
    let pool = TestIssuer::cognito();
    let now = SystemClock.now();
    let clock = ManualClock::new(now);
    let mirror = Revocations::builder()
        .clock(clock.clone())
        .fail_closed_after(Duration::from_secs(30))
        .build();
    let v = verifier(&pool, &mirror, &clock);
    let token = pool.access_token().build();
    let unavailable = |r: Result<(), Error>| matches!(r, Err(Error::RevocationsUnavailable { retry_after, .. }) if retry_after == Duration::from_secs(5));
    assert!(unavailable(outcome(&v, &token).await), "never synced: 503");
    assert!(
        matches!(
            v.verify(&token).await,
            Err(Error::RevocationsUnavailable { age: None, .. })
        ),
        "never synced: no age"
    );
    assert_eq!(mirror.sync_age(), None);
    mirror.mark_synced();
    assert_eq!(outcome(&v, &token).await, Ok(()));
    clock.advance(30);
    assert_eq!(
        outcome(&v, &token).await,
        Ok(()),
        "at the bound: still current"
    );
    clock.advance(1);
    let refused = v.verify(&token).await.unwrap_err();
    assert!(
        matches!(refused, Error::RevocationsUnavailable { age: Some(age), .. } if age == Duration::from_secs(31)),
        "{refused:?}"
    );
    assert_eq!(refused.class(), ErrorClass::Unavailable);
    assert_eq!(refused.kind(), "revocations_unavailable");
    assert_eq!(mirror.sync_age(), Some(Duration::from_secs(31)));
    mirror.mark_synced();
    assert_eq!(outcome(&v, &token).await, Ok(()), "synced again");

    // A set kept here alone never goes out of date.
    let local = set(&clock);
    clock.advance(10 * 24 * 3600);
    assert!(local.is_current());
}

#[test]
fn every_rule_has_a_stable_wire_form() {
    let rows = [
        (
            Revocation::token("j1").expires_at(10),
            r#"{"rule":"token","jti":"j1","expires_at":10}"#,
        ),
        (
            Revocation::family("o1").expires_at(10),
            r#"{"rule":"family","origin_jti":"o1","expires_at":10}"#,
        ),
        (
            Revocation::subject_until("s1", 5).expires_at(10),
            r#"{"rule":"subject","sub":"s1","issued_until":5,"expires_at":10}"#,
        ),
        (
            Revocation::client_until("c1", 5).expires_at(10),
            r#"{"rule":"client","client_id":"c1","issued_until":5,"expires_at":10}"#,
        ),
    ];
    for (revocation, json) in rows {
        assert_eq!(serde_json::to_string(&revocation).unwrap(), json);
        assert_eq!(
            serde_json::from_str::<Revocation>(json).unwrap(),
            revocation
        );
    }
    assert!(serde_json::from_str::<Revocation>(r#"{"rule":"everything"}"#).is_err());
}

#[tokio::test]
async fn a_verifier_without_revocations_is_unchanged() {
    let pool = TestIssuer::cognito();
    let v = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
    )
    .client_ids([pool.client_id()])
    .token_use(TokenUse::Access)
    .build()
    .unwrap();
    assert!(v.verify(&pool.access_token().build()).await.is_ok());
}

//! The JWKS cache under rotation, outages and floods, against the testkit's
//! JWKS server on loopback, with fetch counts asserted.

use std::time::Duration;

use cognito_jwt::{Error, ErrorClass, Issuer, JwksOptions, TokenUse, Verifier};
use cognito_jwt_testkit::{JwksServer, Mode, SigningKey, TestIssuer};

fn fast_options() -> JwksOptions {
    JwksOptions {
        refresh_interval: Duration::from_secs(3600),
        unknown_kid_cooldown: Duration::from_millis(400),
        fetch_timeout: Duration::from_millis(500),
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(300),
        ..JwksOptions::default()
    }
}

fn verifier_with(server: &JwksServer, options: JwksOptions, cache: bool) -> Verifier {
    let issuer = server.issuer();
    let b = Verifier::builder(
        Issuer::cognito(issuer.pool_id().unwrap_or_default()).jwks_url(server.url()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .jwks_options(options);
    let b = if cache { b } else { b.disable_token_cache() };
    b.build().unwrap()
}

fn setup() -> (TestIssuer, JwksServer) {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    (issuer, server)
}

#[tokio::test]
async fn keys_are_fetched_lazily_on_first_use() {
    let (issuer, server) = setup();
    let v = verifier_with(&server, fast_options(), true);
    assert_eq!(
        server.fetch_count(),
        0,
        "building a verifier touches no network"
    );
    v.verify(&issuer.access_token().build()).await.unwrap();
    v.verify(&issuer.access_token().subject("other").build())
        .await
        .unwrap();
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn prefetch_loads_keys_and_its_failure_is_not_fatal() {
    let (issuer, server) = setup();
    let v = verifier_with(&server, fast_options(), true);
    v.prefetch().await.unwrap();
    assert_eq!(server.fetch_count(), 1);
    v.verify(&issuer.access_token().build()).await.unwrap();
    assert_eq!(
        server.fetch_count(),
        1,
        "the request used the prefetched keys"
    );

    let (issuer, server) = setup();
    server.set_mode(Mode::Status(500));
    let v = verifier_with(&server, fast_options(), true);
    let err = v.prefetch().await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unavailable);
    server.set_mode(Mode::Normal);
    tokio::time::sleep(Duration::from_millis(150)).await; // past the first backoff
    v.verify(&issuer.access_token().build()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_fetch() {
    let (issuer, server) = setup();
    server.set_mode(Mode::Delay(Duration::from_millis(200)));
    let v = verifier_with(&server, fast_options(), false);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let v = v.clone();
            let token = issuer.access_token().subject(format!("user-{i}")).build();
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_one_refetch() {
    let (issuer, server) = setup();
    let v = verifier_with(&server, fast_options(), true);
    v.verify(&issuer.access_token().build()).await.unwrap();
    let new_key = issuer.rotate();
    let token = issuer.access_token().build();
    let claims = v.verify(&token).await.unwrap();
    assert_eq!(claims.key_id(), new_key.kid());
    assert_eq!(server.fetch_count(), 2);
}

#[tokio::test]
async fn unknown_kids_cost_one_fetch_per_cooldown_and_never_block_known_kids() {
    let (issuer, server) = setup();
    let v = verifier_with(&server, fast_options(), false);
    let good = issuer.access_token().build();
    // Minting 1,000 signed tokens takes longer than the cooldown: do it first.
    let flood: Vec<String> = (1..=1000)
        .map(|i| issuer.access_token().kid(format!("bogus-{i}")).build())
        .collect();
    v.verify(&good).await.unwrap();
    assert_eq!(server.fetch_count(), 1);

    // First unknown kid: one refetch, then the cooldown starts.
    let err = v
        .verify(&issuer.access_token().kid("bogus-0").build())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownKey {
            kid: "bogus-0".into()
        }
    );
    assert_eq!(server.fetch_count(), 2);

    // A flood of 1,000 random kids during the cooldown: no fetch at all.
    for t in &flood {
        assert!(matches!(v.verify(t).await, Err(Error::UnknownKey { .. })));
    }
    assert_eq!(server.fetch_count(), 2);
    // Known kids still verify during the cooldown.
    v.verify(&good).await.unwrap();

    // After the cooldown, the next unknown kid may refetch once more.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let _ = v.verify(&flood[0]).await;
    assert_eq!(server.fetch_count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_flood_of_unknown_kids_costs_one_fetch() {
    let (issuer, server) = setup();
    let v = verifier_with(&server, fast_options(), false);
    v.prefetch().await.unwrap();
    server.set_mode(Mode::Delay(Duration::from_millis(100)));
    let flood: Vec<String> = (0..1000)
        .map(|i| issuer.access_token().kid(format!("random-{i}")).build())
        .collect();
    let tasks: Vec<_> = flood
        .into_iter()
        .map(|t| {
            let v = v.clone();
            tokio::spawn(async move { v.verify(&t).await })
        })
        .collect();
    for t in tasks {
        assert!(matches!(t.await.unwrap(), Err(Error::UnknownKey { .. })));
    }
    assert_eq!(
        server.fetch_count(),
        2,
        "one prefetch plus one refetch for the whole flood"
    );
}

#[tokio::test]
async fn refresh_happens_in_the_background_and_no_request_waits_for_it() {
    let (issuer, server) = setup();
    let options = JwksOptions {
        refresh_interval: Duration::from_millis(200),
        ..fast_options()
    };
    let v = verifier_with(
        &server,
        JwksOptions {
            fetch_timeout: Duration::from_secs(5),
            ..options
        },
        false,
    );
    let token = issuer.access_token().build();
    v.verify(&token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;

    // The refresh is slow; the request must not wait for it.
    server.set_mode(Mode::Delay(Duration::from_secs(3)));
    let answered = tokio::time::timeout(Duration::from_secs(1), v.verify(&token)).await;
    assert!(
        answered.is_ok(),
        "a request waited for the background refresh"
    );
    answered.unwrap().unwrap();
    assert!(
        server
            .wait_for_fetches_async(2, Duration::from_secs(2))
            .await,
        "no background refresh started"
    );
}

#[tokio::test]
async fn a_removed_key_stops_verifying_after_the_next_refresh_even_from_the_token_cache() {
    let (issuer, server) = setup();
    let keep = SigningKey::rsa("keep");
    issuer.add_key(keep.clone());
    let options = JwksOptions {
        refresh_interval: Duration::from_millis(200),
        ..fast_options()
    };
    let v = verifier_with(&server, options, true);
    let doomed = issuer.access_token().build();
    let kept = issuer.access_token().sign_with(&keep).kid("keep").build();
    // Often enough that both sit in this thread's near tier, each with its
    // own copy of the claims.
    for _ in 0..8 {
        v.verify(&doomed).await.unwrap();
        v.verify(&kept).await.unwrap();
    }

    assert!(issuer.remove_key(cognito_jwt_testkit::DEFAULT_KID));
    tokio::time::sleep(Duration::from_millis(250)).await;
    // This request triggers the refresh and is still served from the old set.
    let _ = v.verify(&kept).await;
    assert!(
        server
            .wait_for_fetches_async(2, Duration::from_secs(2))
            .await
    );
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(
        v.verify(&doomed).await.unwrap_err(),
        Error::UnknownKey {
            kid: cognito_jwt_testkit::DEFAULT_KID.into()
        }
    );
    v.verify(&kept).await.unwrap();
}

#[tokio::test]
async fn failed_refreshes_keep_the_last_good_keys_up_to_the_bound() {
    let (issuer, server) = setup();
    let options = JwksOptions {
        refresh_interval: Duration::from_millis(100),
        max_stale: Duration::from_millis(600),
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(50),
        ..fast_options()
    };
    let v = verifier_with(&server, options, false);
    let token = issuer.access_token().build();
    v.verify(&token).await.unwrap();
    server.set_mode(Mode::Status(500));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Refresh fails, stale keys still serve.
    v.verify(&token).await.unwrap();
    assert!(
        server
            .wait_for_fetches_async(2, Duration::from_secs(2))
            .await
    );
    v.verify(&token).await.unwrap();

    // Past refresh_interval + max_stale, the keys are no longer trusted.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let err = v.verify(&token).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
    assert!(err.retry_after().is_some());

    // Once the endpoint is healthy again, service resumes.
    server.set_mode(Mode::Normal);
    tokio::time::sleep(Duration::from_millis(100)).await;
    v.verify(&token).await.unwrap();
}

#[tokio::test]
async fn unusable_endpoints_are_unavailable_not_the_clients_fault() {
    let modes = [
        (Mode::Status(500), "HTTP status 500"),
        (Mode::Status(404), "HTTP status 404"),
        (Mode::Garbage, ""),
        (Mode::EmptyBody, ""),
        (Mode::EmptyKeys, "empty"),
        (Mode::Huge(300 * 1024), "larger than"),
        (Mode::WrongContentType, "not JSON"),
        (Mode::Redirect, "HTTP status 302"),
        (Mode::Delay(Duration::from_secs(3)), "timed out"),
    ];
    for (mode, reason_part) in modes {
        let (issuer, server) = setup();
        server.set_mode(mode.clone());
        let v = verifier_with(&server, fast_options(), true);
        let err = v.verify(&issuer.access_token().build()).await.unwrap_err();
        match &err {
            Error::KeysUnavailable {
                reason,
                retry_after,
                ..
            } => {
                assert!(reason.contains(reason_part), "{mode:?}: reason {reason:?}");
                assert!(*retry_after >= Duration::from_secs(1));
            }
            other => panic!("{mode:?}: expected KeysUnavailable, got {other:?}"),
        }
        assert_eq!(err.class(), ErrorClass::Unavailable);
    }
}

#[tokio::test]
async fn retries_back_off_without_fetching_and_recover_within_the_cap() {
    let (issuer, server) = setup();
    server.set_mode(Mode::Status(503));
    let v = verifier_with(&server, fast_options(), true);
    let token = issuer.access_token().build();
    assert!(v.verify(&token).await.is_err());
    assert_eq!(server.fetch_count(), 1);
    // Inside the backoff window: fail fast, no fetch.
    for _ in 0..20 {
        assert_eq!(
            v.verify(&token).await.unwrap_err().class(),
            ErrorClass::Unavailable
        );
    }
    assert_eq!(server.fetch_count(), 1);

    // Several failures grow the delay, but never past max_backoff (300 ms here).
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(320)).await;
        assert!(v.verify(&token).await.is_err());
    }
    let failures = server.fetch_count();
    assert_eq!(failures, 5);
    server.set_mode(Mode::Normal);
    tokio::time::sleep(Duration::from_millis(320)).await;
    v.verify(&token).await.unwrap();
}

#[tokio::test]
async fn keys_never_cross_issuers() {
    let pool_a = TestIssuer::cognito();
    let pool_b = TestIssuer::cognito_pool("eu-west-1", "eu-west-1_PoolB");
    let server_a = JwksServer::start(&pool_a);
    let server_b = JwksServer::start(&pool_b);
    let b_key = SigningKey::rsa("b-only");
    pool_b.add_key(b_key.clone());
    let v = Verifier::builder(Issuer::cognito("us-east-1_TestPool1").jwks_url(server_a.url()))
        .issuer(Issuer::cognito("eu-west-1_PoolB").jwks_url(server_b.url()))
        .client_ids([pool_a.client_id(), pool_b.client_id()])
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    v.verify(&pool_a.access_token().build()).await.unwrap();
    v.verify(
        &pool_b
            .access_token()
            .sign_with(&b_key)
            .kid("b-only")
            .build(),
    )
    .await
    .unwrap();
    // Pool A's issuer, signed with pool B's key: pool A's set does not have it.
    let forged = pool_a
        .access_token()
        .sign_with(&b_key)
        .kid("b-only")
        .build();
    assert_eq!(
        v.verify(&forged).await.unwrap_err(),
        Error::UnknownKey {
            kid: "b-only".into()
        }
    );
}

#[tokio::test]
async fn a_static_jwks_needs_no_network() {
    let issuer = TestIssuer::cognito();
    let v = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .build()
    .unwrap();
    v.verify(&issuer.access_token().build()).await.unwrap();
    assert_eq!(
        v.verify(&issuer.access_token().kid("nope").build())
            .await
            .unwrap_err(),
        Error::UnknownKey { kid: "nope".into() }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cancelled_mid_fetch_cannot_start_another_fetch() {
    let (issuer, server) = setup();
    let options = JwksOptions {
        unknown_kid_cooldown: Duration::from_secs(30),
        ..fast_options()
    };
    let v = verifier_with(&server, options, false);
    v.verify(&issuer.access_token().build()).await.unwrap();
    assert_eq!(server.fetch_count(), 1);
    // The attack: the pool's `iss`, RS256, a random `kid`, and the request
    // reset about a millisecond after it was sent, while the refetch it
    // triggered is still on the wire.
    let flood: Vec<String> = (0..300)
        .map(|i| issuer.access_token().kid(format!("random-{i}")).build())
        .collect();
    server.set_mode(Mode::Delay(Duration::from_millis(300)));
    for token in &flood {
        // Requests join the refetch in flight (and are cancelled waiting)
        // or, once it is done, fail fast during the cooldown.
        let answer = tokio::time::timeout(Duration::from_millis(1), v.verify(token)).await;
        assert!(
            !matches!(answer, Ok(Ok(_))),
            "an unknown kid never verifies"
        );
    }
    // Let the one refetch finish, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server.fetch_count(),
        2,
        "one refetch for the whole flood, however many callers were cancelled"
    );
}

#[tokio::test]
async fn a_fetch_whose_caller_is_cancelled_still_completes_for_everyone() {
    let (issuer, server) = setup();
    server.set_mode(Mode::Delay(Duration::from_millis(200)));
    let v = verifier_with(&server, fast_options(), false);
    let token = issuer.access_token().build();
    let cancelled = tokio::time::timeout(Duration::from_millis(20), v.verify(&token)).await;
    assert!(cancelled.is_err());
    // The next request joins the fetch already running: no second fetch.
    v.verify(&token).await.unwrap();
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn a_redirect_is_never_followed_to_other_keys_whatever_the_client() {
    let (issuer, server) = setup();
    // The attacker's server publishes keys of its own under the pool's name.
    let attacker =
        TestIssuer::cognito().with_key(SigningKey::rsa(cognito_jwt_testkit::DEFAULT_KID));
    let evil = JwksServer::start(&attacker);
    server.set_mode(Mode::RedirectTo(evil.url()));
    let v = Verifier::builder(
        Issuer::cognito(issuer.pool_id().unwrap_or_default()).jwks_url(server.url()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .jwks_options(fast_options())
    // A client that follows redirects, as reqwest's default does.
    .http_client(reqwest::Client::new())
    .build()
    .unwrap();
    let forged = attacker.access_token().build();
    let err = v.verify(&forged).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
    let Error::KeysUnavailable { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("redirected"), "{reason}");
    assert_eq!(server.fetch_count(), 1);
    assert_eq!(
        evil.fetch_count(),
        1,
        "the client did follow; its answer was not used"
    );
}

#[tokio::test]
async fn an_unknown_kid_during_an_outage_is_unavailable_not_invalid() {
    let (issuer, server) = setup();
    let options = JwksOptions {
        unknown_kid_cooldown: Duration::from_millis(300),
        ..fast_options()
    };
    let v = verifier_with(&server, options, false);
    v.verify(&issuer.access_token().build()).await.unwrap();

    // The pool rotates its key while its JWKS endpoint is down.
    issuer.rotate();
    server.set_mode(Mode::Status(503));
    let rotated = issuer.access_token().build();
    for _ in 0..2 {
        // The refetch fails; then, during the cooldown, the answer is the same.
        match v.verify(&rotated).await.unwrap_err() {
            Error::KeysUnavailable { retry_after, .. } => {
                assert!(retry_after >= Duration::from_secs(1), "{retry_after:?}")
            }
            other => panic!("a valid new token must not be called invalid: {other:?}"),
        }
    }
    assert_eq!(server.fetch_count(), 2);

    // The endpoint recovers: past the cooldown, the new key verifies...
    server.set_mode(Mode::Normal);
    tokio::time::sleep(Duration::from_millis(400)).await;
    v.verify(&rotated).await.unwrap();
    // ...and a kid that the successful fetch did not contain is invalid again.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        v.verify(&issuer.access_token().kid("never-published").build())
            .await
            .unwrap_err(),
        Error::UnknownKey {
            kid: "never-published".into()
        }
    );
}

#[tokio::test]
async fn an_unchanged_refresh_keeps_cached_tokens() {
    let (issuer, server) = setup();
    let options = JwksOptions {
        unknown_kid_cooldown: Duration::from_millis(1),
        ..fast_options()
    };
    let v = verifier_with(&server, options, true);
    let token = issuer.access_token().build();
    v.verify(&token).await.unwrap();
    // An unknown kid makes the verifier refetch the same set.
    let _ = v.verify(&issuer.access_token().kid("other").build()).await;
    assert_eq!(server.fetch_count(), 2);
    assert!(
        matches!(v.verify_cached(&token), Some(Ok(_))),
        "the refetched set is the same, so the cached token stays"
    );
}

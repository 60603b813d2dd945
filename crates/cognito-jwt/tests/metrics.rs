//! The metrics an operator sees (feature `metrics`), counted exactly: each
//! test runs a script of requests under its own recorder and asserts, step
//! by step, every counter that moved and by how much.
//!
//! `cargo test -p cognito-jwt --features metrics --test metrics`

use std::collections::BTreeMap;
use std::time::Duration;

use cognito_jwt::adapter::{Decision, Gate, Need, Verdict};
use cognito_jwt::{Issuer, JwksOptions, TokenUse, Verifier};
use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

mod support;
use support::{Headers, static_verifier};

/// Run `script` on a current-thread runtime with `recorder` as the
/// recorder of this thread, where every task of the runtime (the JWKS
/// fetches too) runs.
fn with_recorder<F: Future>(recorder: &DebuggingRecorder, script: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(recorder, || runtime.block_on(script))
}

/// The counters that moved since the last call, as `name{label=value,…}`
/// (labels sorted) → how much. The debugging recorder resets what it reports.
fn moved(snapshotter: &Snapshotter, issuer: &str) -> BTreeMap<String, u64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Counter(n) if n > 0 => Some((render(key.key(), issuer), n)),
            _ => None,
        })
        .collect()
}

/// The gauges set since the last call.
fn gauges(snapshotter: &Snapshotter, issuer: &str) -> BTreeMap<String, f64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Gauge(v) => Some((render(key.key(), issuer), v.into_inner())),
            _ => None,
        })
        .collect()
}

/// `name{k=v,…}`, the configured issuer written `$ISS`.
fn render(key: &metrics::Key, issuer: &str) -> String {
    let mut labels: Vec<String> = key
        .labels()
        .map(|l| {
            let value = if l.value() == issuer {
                "$ISS"
            } else {
                l.value()
            };
            format!("{}={value}", l.key())
        })
        .collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

fn expected(rows: &[(&str, u64)]) -> BTreeMap<String, u64> {
    rows.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

const ACCEPTED: &str = "cognito_jwt_verifications_total{outcome=accepted}";
const NEAR_HIT: &str = "cognito_jwt_token_cache_total{result=hit,tier=near}";
const SHARED_HIT: &str = "cognito_jwt_token_cache_total{result=hit,tier=shared}";
const MISS: &str = "cognito_jwt_token_cache_total{result=miss,tier=shared}";
const FETCH_OK: &str = "cognito_jwt_jwks_fetches_total{issuer=$ISS,result=ok}";

fn rejected(reason: &str) -> String {
    format!("cognito_jwt_verifications_total{{outcome=rejected,reason={reason}}}")
}

fn refused(reason: &str) -> String {
    format!("cognito_jwt_refusals_total{{reason={reason}}}")
}

fn fetch(result: &str) -> String {
    format!("cognito_jwt_jwks_fetches_total{{issuer=$ISS,result={result}}}")
}

fn unknown_kid(result: &str) -> String {
    format!("cognito_jwt_unknown_kid_total{{issuer=$ISS,result={result}}}")
}

fn verifier(server: &JwksServer, options: JwksOptions, token_use: Option<TokenUse>) -> Verifier {
    let pool = server.issuer();
    let builder = Verifier::builder(
        Issuer::cognito(pool.pool_id().unwrap_or_default()).jwks_url(server.url()),
    )
    .client_ids([pool.client_id()])
    .jwks_options(options);
    match token_use {
        Some(token_use) => builder.token_use(token_use).build().unwrap(),
        None => builder.any_token_use().build().unwrap(),
    }
}

/// What a step of [`verify_counts_every_decision_once`] does.
enum Step {
    Verify(String),
    Prefetch,
    Jwks(Mode),
}

#[test]
fn verify_counts_every_decision_once() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    let iss = pool.issuer();
    let verifier = verifier(&server, JwksOptions::default(), Some(TokenUse::Access));
    let token = pool.access_token().build();
    let unknown = |kid: &str| Step::Verify(pool.access_token().kid(kid).build());
    let owned = |rows: &[(&str, u64)]| expected(rows);

    let script: Vec<(&str, Step, BTreeMap<String, u64>)> = vec![
        (
            "a valid token: not cached, keys fetched, accepted",
            Step::Verify(token.clone()),
            owned(&[(MISS, 1), (FETCH_OK, 1), (ACCEPTED, 1)]),
        ),
        (
            "the same token: answered by the shared tier",
            Step::Verify(token.clone()),
            owned(&[(SHARED_HIT, 1), (ACCEPTED, 1)]),
        ),
        (
            "its second shared hit, which moves it to this thread's near tier",
            Step::Verify(token.clone()),
            owned(&[(SHARED_HIT, 1), (ACCEPTED, 1)]),
        ),
        (
            "then answered by the near tier",
            Step::Verify(token.clone()),
            owned(&[(NEAR_HIT, 1), (ACCEPTED, 1)]),
        ),
        (
            "an expired token",
            Step::Verify(pool.access_token().expires_in(-3600).build()),
            owned(&[(MISS, 1), (&rejected("expired"), 1)]),
        ),
        (
            "another app client's token",
            Step::Verify(pool.access_token().client_id("another-client").build()),
            owned(&[(MISS, 1), (&rejected("client_not_allowed"), 1)]),
        ),
        (
            "not a JWT",
            Step::Verify("not-a-jwt".to_owned()),
            owned(&[(MISS, 1), (&rejected("malformed_token"), 1)]),
        ),
        (
            "an unknown kid: one refetch, the kid still unknown",
            unknown("no-such-key"),
            owned(&[
                (MISS, 1),
                (&unknown_kid("refetch"), 1),
                (FETCH_OK, 1),
                (&rejected("unknown_key"), 1),
            ]),
        ),
        (
            "another unknown kid during the cooldown: no fetch",
            unknown("nor-this-one"),
            owned(&[
                (MISS, 1),
                (&unknown_kid("cooldown"), 1),
                (&rejected("unknown_key"), 1),
            ]),
        ),
        (
            "the JWKS endpoint goes down",
            Step::Jwks(Mode::Status(503)),
            owned(&[]),
        ),
        (
            "a prefetch fails",
            Step::Prefetch,
            owned(&[(&fetch("http_503"), 1)]),
        ),
        (
            "an unknown kid while keys cannot be fetched: 503, no fetch",
            unknown("a-new-key-maybe"),
            owned(&[
                (MISS, 1),
                (&unknown_kid("cooldown"), 1),
                (&rejected("keys_unavailable"), 1),
            ]),
        ),
        (
            "the valid token still verifies with the keys kept",
            Step::Verify(token.clone()),
            owned(&[(NEAR_HIT, 1), (ACCEPTED, 1)]),
        ),
    ];

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    with_recorder(&recorder, async {
        for (what, step, counted) in script {
            match step {
                Step::Verify(token) => {
                    let _ = verifier.verify(&token).await;
                }
                Step::Prefetch => assert!(verifier.prefetch().await.is_err(), "{what}"),
                Step::Jwks(mode) => server.set_mode(mode),
            }
            assert_eq!(moved(&snapshotter, &iss), counted, "{what}");
        }
    });
}

#[test]
fn a_fetch_sets_the_key_set_gauges() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    let iss = pool.issuer();
    let verifier = verifier(&server, JwksOptions::default(), Some(TokenUse::Access));
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    with_recorder(&recorder, async {
        verifier.prefetch().await.unwrap();
        let set = gauges(&snapshotter, &iss);
        assert_eq!(set.get("cognito_jwt_jwks_keys{issuer=$ISS}"), Some(&1.0));
        assert_eq!(
            set.get("cognito_jwt_jwks_age_seconds{issuer=$ISS}"),
            Some(&0.0)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A status read brings the age up to date.
        assert!(verifier.is_ready());
        let age = gauges(&snapshotter, &iss)["cognito_jwt_jwks_age_seconds{issuer=$ISS}"];
        assert!((0.05..5.0).contains(&age), "{age}");
    });
}

#[test]
fn each_fetch_failure_has_its_result() {
    let options = JwksOptions {
        fetch_timeout: Duration::from_millis(300),
        max_response_bytes: 4096,
        ..JwksOptions::default()
    };
    let table = [
        (Mode::Status(404), "http_404"),
        (Mode::Status(503), "http_503"),
        (Mode::Delay(Duration::from_secs(2)), "timeout"),
        (Mode::Huge(8192), "too_large"),
        (Mode::Garbage, "parse_error"),
        (Mode::EmptyKeys, "parse_error"),
        (Mode::WrongContentType, "error"),
        // The default client follows no redirect: the 302 is the answer.
        (Mode::Redirect, "http_302"),
        (Mode::Normal, "ok"),
    ];
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    let iss = pool.issuer();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    with_recorder(&recorder, async {
        for (mode, result) in table {
            server.set_mode(mode.clone());
            // A new verifier each time: no backoff from the row before.
            let verifier = verifier(&server, options.clone(), Some(TokenUse::Access));
            let _ = verifier.prefetch().await;
            let mut counted = moved(&snapshotter, &iss);
            counted.retain(|k, _| k.starts_with("cognito_jwt_jwks_fetches_total"));
            assert_eq!(counted, expected(&[(&fetch(result), 1)]), "{mode:?}");
        }
    });
}

/// What an adapter does with a request: the middleware's decision, then
/// the route's need (an access token).
async fn request(gate: &Gate, authorization: Option<String>) -> bool {
    let headers = Headers(
        authorization
            .map(|a| ("authorization", a))
            .into_iter()
            .collect(),
    );
    let verdict = match gate.decide(&headers) {
        Decision::Now(verdict) => verdict,
        Decision::Verify(token) => gate.verify(token).await,
        Decision::VerifyAlbData(token) => gate.verify_alb_data(token).await,
    };
    match verdict {
        Verdict::Proceed(claims) => gate
            .admit(Some(&claims), &Need::token_use(TokenUse::Access))
            .is_ok(),
        Verdict::Anonymous | Verdict::Refuse(_) => false,
    }
}

#[test]
fn the_gate_counts_each_request_once() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    let iss = pool.issuer();
    let gate = Gate::new(verifier(&server, JwksOptions::default(), None));
    let bearer = |token: String| Some(format!("Bearer {token}"));
    let token = pool.access_token().build();
    let owned = |rows: &[(&str, u64)]| expected(rows);

    let script = vec![
        (
            "no credentials: refused, nothing verified",
            None,
            false,
            owned(&[(&refused("missing_token"), 1)]),
        ),
        (
            "a malformed Authorization header: refused, nothing verified",
            Some("Bearer a b".to_owned()),
            false,
            owned(&[(&refused("malformed_credentials"), 1)]),
        ),
        (
            "a valid access token: verified once (decide, then verify)",
            bearer(token.clone()),
            true,
            owned(&[(MISS, 1), (FETCH_OK, 1), (ACCEPTED, 1)]),
        ),
        (
            "the same token: answered by the cache",
            bearer(token),
            true,
            owned(&[(SHARED_HIT, 1), (ACCEPTED, 1)]),
        ),
        (
            "an ID token: a valid token, refused by the route",
            bearer(pool.id_token().build()),
            false,
            owned(&[(MISS, 1), (ACCEPTED, 1), (&refused("wrong_token_use"), 1)]),
        ),
        (
            "an expired token: one rejection, one refusal",
            bearer(pool.access_token().expires_in(-3600).build()),
            false,
            owned(&[
                (MISS, 1),
                (&rejected("expired"), 1),
                (&refused("expired"), 1),
            ]),
        ),
    ];

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    with_recorder(&recorder, async {
        for (what, authorization, proceeds, counted) in script {
            assert_eq!(request(&gate, authorization).await, proceeds, "{what}");
            assert_eq!(moved(&snapshotter, &iss), counted, "{what}");
        }
    });
}

#[test]
fn described_metrics_carry_help_text() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let pool = TestIssuer::cognito();
    let verifier = static_verifier(&pool);
    with_recorder(&recorder, async {
        cognito_jwt::describe_metrics();
        verifier.verify(&pool.access_token().build()).await.unwrap();
    });
    let snapshot = snapshotter.snapshot().into_vec();
    let (_, _, help, _) = snapshot
        .iter()
        .find(|(key, ..)| key.key().name() == "cognito_jwt_verifications_total")
        .expect("counted");
    assert!(help.as_deref().is_some_and(|h| h.contains("Error::kind")));
}

/// Verify `token` once more on this thread (its answer comes from the
/// near tier after the first few).
fn verify_now(verifier: &Verifier, token: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(verifier.verify(token)).unwrap();
}

#[test]
fn each_recorder_gets_its_own_counts() {
    let pool = TestIssuer::cognito();
    let verifier = static_verifier(&pool);
    let token = pool.access_token().build();
    let (first, second) = (DebuggingRecorder::new(), DebuggingRecorder::new());
    let accepted =
        |recorder: &DebuggingRecorder| moved(&recorder.snapshotter(), "").get(ACCEPTED).copied();
    for _ in 0..4 {
        metrics::with_local_recorder(&first, || verify_now(&verifier, &token));
    }
    metrics::with_local_recorder(&second, || verify_now(&verifier, &token));
    metrics::with_local_recorder(&first, || verify_now(&verifier, &token));
    assert_eq!((accepted(&first), accepted(&second)), (Some(5), Some(1)));
}

#[test]
fn a_recorder_installed_after_the_first_request_counts() {
    // Every other test counts into a recorder of its own thread, which
    // takes precedence: this global one sees only this test's requests.
    let pool = TestIssuer::cognito();
    let verifier = static_verifier(&pool);
    let token = pool.access_token().build();
    verify_now(&verifier, &token); // no recorder yet: counted nowhere
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    for _ in 0..3 {
        verify_now(&verifier, &token);
    }
    assert_eq!(moved(&snapshotter, "").get(ACCEPTED), Some(&3));
}

/// ALB data tokens are verification decisions too: accepted, and rejected
/// under their reason, each once; their key fetches are counted like JWKS
/// fetches, under the key host's URL.
#[test]
fn alb_data_tokens_count_as_verifications() {
    let alb = cognito_jwt_testkit::AlbIssuer::new();
    let keys = cognito_jwt_testkit::AlbKeyServer::start(&alb);
    let verifier = cognito_jwt::AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(keys.url())
        .build()
        .unwrap();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    with_recorder(&recorder, async {
        assert!(verifier.verify(&alb.data_token().build()).await.is_ok());
        assert!(verifier.verify(&alb.data_token().build()).await.is_ok());
        assert!(
            verifier
                .verify(&alb.data_token().header("signer", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef").build())
                .await
                .is_err()
        );
        assert!(
            verifier
                .verify(&alb.data_token().expires_in(-3600).build())
                .await
                .is_err()
        );
    });
    // The key fetch is counted as a JWKS fetch is, labelled by the key host:
    // one unknown kid looked up, one fetch, then the cached key.
    assert_eq!(
        moved(&snapshotter, &keys.url()),
        expected(&[
            (ACCEPTED, 2),
            (&rejected("untrusted_signer"), 1),
            (&rejected("expired"), 1),
            (FETCH_OK, 1),
            (&unknown_kid("refetch"), 1),
        ])
    );
}

/// Revocation: each token refused as revoked counts once under its rule
/// (and as a rejection with reason `revoked`), the rules gauge follows each
/// change, and a store's sync sets the synced timestamp.
#[test]
fn revocations_are_counted_by_rule() {
    use cognito_jwt::revocation::{Revocation, Revocations};

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let pool = TestIssuer::cognito();
    with_recorder(&recorder, async {
        let revocations = Revocations::new();
        let verifier = Verifier::builder(
            Issuer::cognito(pool.pool_id().unwrap_or_default())
                .static_jwks(pool.jwks().to_string()),
        )
        .client_ids([pool.client_id()])
        .token_use(TokenUse::Access)
        .revocations(revocations.clone())
        .build()
        .unwrap();
        let token = pool.access_token().claim("origin_jti", "fam").build();
        verifier.verify(&token).await.unwrap();
        moved(&snapshotter, "");

        revocations.revoke(Revocation::family("fam"));
        revocations.revoke(Revocation::token("other"));
        assert_eq!(
            gauges(&snapshotter, "").get("cognito_jwt_revocation_rules{}"),
            Some(&2.0)
        );
        // Twice: from the verified-token cache both times.
        for _ in 0..2 {
            assert!(verifier.verify(&token).await.is_err());
        }
        let counted = moved(&snapshotter, "");
        assert_eq!(
            counted.get("cognito_jwt_revocations_total{rule=family}"),
            Some(&2),
            "{counted:?}"
        );
        assert_eq!(counted.get(&rejected("revoked")), Some(&2), "{counted:?}");

        revocations.mark_synced();
        let synced = gauges(&snapshotter, "")
            .get("cognito_jwt_revocations_synced_timestamp_seconds{}")
            .copied()
            .unwrap_or_default();
        assert!(synced > 1.7e9, "a unix time: {synced}");
    });
}

//! Readiness as a probe sees it: `Verifier::is_ready`, `key_status` and
//! `prefetch_within`, against the testkit's JWKS server going down and up.
//! The key sets' ages are real time (the JWKS cache measures them with the
//! monotonic clock), so the options here are a fraction of a second.

use std::time::{Duration, Instant};

use cognito_jwt::{Error, ErrorClass, Issuer, JwksOptions, KeySetState, TokenUse, Verifier};
use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};

mod support;

const REFRESH: Duration = Duration::from_millis(500);
const MAX_STALE: Duration = Duration::from_millis(1000);

fn options() -> JwksOptions {
    JwksOptions {
        refresh_interval: REFRESH,
        max_stale: MAX_STALE,
        fetch_timeout: Duration::from_millis(500),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(50),
        ..JwksOptions::default()
    }
}

fn verifier(server: &JwksServer, options: JwksOptions) -> Verifier {
    let pool = server.issuer();
    Verifier::builder(Issuer::cognito(pool.pool_id().unwrap_or_default()).jwks_url(server.url()))
        .client_ids([pool.client_id()])
        .token_use(TokenUse::Access)
        .jwks_options(options)
        .build()
        .unwrap()
}

/// Poll `is_ready` (which starts the fetches that are due) until it says
/// `ready`, for at most `within`.
async fn until_ready(verifier: &Verifier, ready: bool, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if verifier.is_ready() == ready {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

async fn verify_class(verifier: &Verifier, token: &str) -> Result<(), ErrorClass> {
    verifier
        .verify(token)
        .await
        .map(drop)
        .map_err(|e| e.class())
}

#[tokio::test]
async fn static_keys_are_always_ready() {
    let pool = TestIssuer::cognito();
    let verifier = support::static_verifier(&pool);
    assert!(verifier.is_ready());
    verifier.prefetch_within(Duration::ZERO).await.unwrap();
    let status = verifier.key_status();
    assert_eq!(
        status.len(),
        1,
        "one pool, one key set (two issuer strings)"
    );
    let status = &status[0];
    assert_eq!(status.issuer, pool.issuer());
    assert_eq!(status.state, KeySetState::Static);
    assert_eq!(status.state.as_str(), "static");
    assert_eq!(
        (
            status.keys,
            status.age,
            status.usable_for,
            status.last_error.as_deref()
        ),
        (1, None, None, None)
    );
}

#[tokio::test]
async fn readiness_follows_the_key_set_through_outages() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    server.set_mode(Mode::Status(503));
    let verifier = verifier(&server, options());
    let token = pool.access_token().build();

    // Down at start: the bounded prefetch fails, start-up goes on.
    let refused = verifier
        .prefetch_within(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::KeysUnavailable { reason, .. } if reason == "HTTP status 503"),
        "{refused:?}"
    );
    assert!(!verifier.is_ready());
    let status = &verifier.key_status()[0];
    assert_eq!(status.state, KeySetState::NotLoaded);
    assert_eq!(
        (status.keys, status.age, status.last_error.as_deref()),
        (0, None, Some("HTTP status 503"))
    );
    assert!(status.failures >= 1);
    assert_eq!(
        verify_class(&verifier, &token).await,
        Err(ErrorClass::Unavailable)
    );

    // Up: the probe alone brings the keys in.
    server.set_mode(Mode::Normal);
    assert!(until_ready(&verifier, true, Duration::from_secs(3)).await);
    let loaded = Instant::now();
    let status = &verifier.key_status()[0];
    assert_eq!(status.state, KeySetState::Fresh);
    assert_eq!(
        (status.keys, status.last_error.as_deref(), status.failures),
        (1, None, 0)
    );
    assert!(status.age.is_some_and(|age| age < REFRESH));
    assert!(status.last_success.is_some());
    assert!(
        status
            .usable_for
            .is_some_and(|left| left <= REFRESH + MAX_STALE)
    );
    assert_eq!(verify_class(&verifier, &token).await, Ok(()));

    // Down again after warm-up: past the refresh, the keys are stale but
    // still used, so the service stays ready, and tokens still verify.
    server.set_mode(Mode::Status(503));
    tokio::time::sleep_until((loaded + REFRESH + Duration::from_millis(100)).into()).await;
    assert!(verifier.is_ready(), "within max_stale");
    tokio::time::sleep(Duration::from_millis(100)).await; // the refresh the probe started fails
    let status = &verifier.key_status()[0];
    assert_eq!(status.state, KeySetState::Stale);
    assert_eq!(status.last_error.as_deref(), Some("HTTP status 503"));
    assert!(status.failures >= 1);
    assert_eq!(verify_class(&verifier, &token).await, Ok(()));

    // Past max_stale: not ready, and requests get 503.
    tokio::time::sleep_until((loaded + REFRESH + MAX_STALE + Duration::from_millis(200)).into())
        .await;
    assert!(!verifier.is_ready(), "past max_stale");
    let status = &verifier.key_status()[0];
    assert_eq!(status.state, KeySetState::Expired);
    assert_eq!(status.usable_for, Some(Duration::ZERO));
    assert_eq!(
        verify_class(&verifier, &token).await,
        Err(ErrorClass::Unavailable)
    );

    // Up again: ready again, without a request.
    server.set_mode(Mode::Normal);
    assert!(until_ready(&verifier, true, Duration::from_secs(3)).await);
    assert_eq!(verifier.key_status()[0].state, KeySetState::Fresh);
    assert_eq!(verify_class(&verifier, &token).await, Ok(()));
}

#[tokio::test]
async fn a_bounded_prefetch_gives_up_and_the_fetch_goes_on() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    server.set_mode(Mode::Delay(Duration::from_millis(800)));
    let verifier = verifier(
        &server,
        JwksOptions {
            fetch_timeout: Duration::from_secs(5),
            ..JwksOptions::default()
        },
    );
    let start = Instant::now();
    let refused = verifier
        .prefetch_within(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(700),
        "gave up in time"
    );
    assert!(
        matches!(&refused, Error::KeysUnavailable { reason, .. } if reason.contains("within 100 ms")),
        "{refused:?}"
    );
    assert!(!verifier.is_ready());
    // The fetch it started completes in the background: no second one.
    assert!(until_ready(&verifier, true, Duration::from_secs(3)).await);
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn every_issuer_must_be_ready() {
    let down = TestIssuer::cognito_pool("eu-west-1", "eu-west-1_DownPool1");
    let server = JwksServer::start(&down);
    server.set_mode(Mode::Status(500));
    let up = TestIssuer::cognito();
    let verifier = Verifier::builder(
        Issuer::cognito(up.pool_id().unwrap_or_default()).static_jwks(up.jwks().to_string()),
    )
    .issuer(Issuer::cognito("eu-west-1_DownPool1").jwks_url(server.url()))
    .any_client()
    .token_use(TokenUse::Access)
    .build()
    .unwrap();
    assert!(
        verifier
            .prefetch_within(Duration::from_secs(2))
            .await
            .is_err()
    );
    let states: Vec<(String, KeySetState, bool)> = verifier
        .key_status()
        .into_iter()
        .map(|s| (s.issuer.clone(), s.state, s.is_ready()))
        .collect();
    assert_eq!(
        states,
        [
            (up.issuer(), KeySetState::Static, true),
            (down.issuer(), KeySetState::NotLoaded, false),
        ]
    );
    assert!(!verifier.is_ready());
}

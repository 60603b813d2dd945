//! Two example API processes (`axum-api`, `actix-api`) share their
//! revocations through one real `redis-server` (`REDIS_URL`): a session
//! ended on one is refused by the other, within a bound measured here
//! (`cargo test -p cognito-jwt-e2e --test fleet -- --nocapture` prints it).

use std::time::Duration;

#[test]
fn a_session_ended_on_one_instance_is_refused_by_the_other() {
    let axum = cognito_jwt_e2e::contract::example_binary("axum-api");
    let actix = cognito_jwt_e2e::contract::example_binary("actix-api");
    let measured = cognito_jwt_e2e::revocation::fleet_propagation(&axum, &actix, 50);
    let (p50, p99, max) = (
        measured.percentile(50),
        measured.percentile(99),
        measured.percentile(100),
    );
    eprintln!(
        "revocation through axum-api, refused by actix-api, over {} sessions: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        measured.delays.len()
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
    // And the other way round.
    let back = cognito_jwt_e2e::revocation::fleet_propagation(&actix, &axum, 10);
    assert!(back.percentile(99) < Duration::from_secs(1), "{back:?}");
}

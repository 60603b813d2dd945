//! `cargo bench -p cognito-jwt --bench revocation`: what revocation rules
//! cost on the request path, against floors measured in the same run.
//!
//! - `cold_path`: a full verification (token cache off), no rules: the
//!   floor the cache hit is compared with.
//! - `warm_path/none`: a verified-token cache hit, no revocation set.
//! - `warm_path/empty`: a cache hit with an empty revocation set.
//! - `warm_path/10k_rules`: a cache hit with 10,000 rules in force (2,500 of
//!   each kind), none matching: four hash look-ups per hit.
//! - `warm_path/10k_rules_churn`: the same while another rule is added every
//!   1,000 hits, so each thread reloads its snapshot now and then.
//!
//! With `--features metrics`, a Prometheus recorder counts every
//! verification too (revocation and metrics together, the bar).
//!
//! Keys come from a static JWKS, so nothing here touches the network and
//! `verify` never waits: futures are polled once with a no-op waker.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{Clock, Issuer, SystemClock, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/recorder.rs"]
mod recorder;

fn now<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn verifier(issuer: &TestIssuer, cache: bool, revocations: Option<&Revocations>) -> Verifier {
    let b = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access);
    let b = if cache { b } else { b.disable_token_cache() };
    let b = match revocations {
        Some(r) => b.revocations(r.clone()),
        None => b,
    };
    b.build().expect("bench verifier")
}

fn ten_thousand_rules() -> Revocations {
    let revocations = Revocations::new();
    let t = SystemClock.now();
    revocations.revoke_all((0..2500).flat_map(|i| {
        [
            Revocation::token(format!("jti-{i}")),
            Revocation::family(format!("family-{i}")),
            Revocation::subject_until(format!("user-{i}"), t),
            Revocation::client_until(format!("client-{i}"), t),
        ]
    }));
    revocations
}

fn bench(c: &mut Criterion) {
    recorder::install();
    let issuer = TestIssuer::cognito();
    let token = issuer
        .access_token()
        .scopes(&["openid", "orders/read", "orders/write"])
        .groups(&["admin", "users"])
        .claim("jti", "a-live-token")
        .claim("origin_jti", "a-live-family")
        .build();
    let mut group = c.benchmark_group("revocation");

    let cold = verifier(&issuer, false, None);
    group.bench_function("cold_path", |b| {
        b.iter(|| now(cold.verify(black_box(&token))).expect("valid"))
    });

    let empty = Revocations::new();
    let many = ten_thousand_rules();
    assert_eq!(many.len(), 10_000);
    for (name, revocations) in [
        ("none", None),
        ("empty", Some(&empty)),
        ("10k_rules", Some(&many)),
    ] {
        let warm = verifier(&issuer, true, revocations);
        now(warm.verify(&token)).expect("valid");
        group.bench_function(format!("warm_path/{name}"), |b| {
            b.iter(|| now(warm.verify(black_box(&token))).expect("valid"))
        });
    }

    let churn = ten_thousand_rules();
    let warm = verifier(&issuer, true, Some(&churn));
    now(warm.verify(&token)).expect("valid");
    let mut n = 0u64;
    group.bench_function("warm_path/10k_rules_churn", |b| {
        b.iter(|| {
            n += 1;
            if n.is_multiple_of(1000) {
                churn.revoke(Revocation::token(format!("churn-{n}")));
            }
            now(warm.verify(black_box(&token))).expect("valid")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

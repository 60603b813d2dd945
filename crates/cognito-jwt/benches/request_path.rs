//! `cargo bench -p cognito-jwt --bench request_path`: what a request carrying a
//! token seen before costs the core, against a floor measured in the same run.
//!
//! - `floor_token_eq`: comparing the 1 KB token with a copy of itself, which
//!   any cache that is safe against collisions must do once per hit.
//! - `extract`: finding the token in an `Authorization: Bearer` header (RFC
//!   6750 syntax and the b64token scan).
//! - `hit`: `Verifier::verify_cached` for a token verified before (time and
//!   key re-checked).
//! - `authenticate_hit`: `Verifier::authenticate`, what the adapters call per
//!   request: finding the token and the cache hit, for a token verified before.
//! - `hit_threads/{1,2}`: the same on one and on two threads at once, all
//!   threads on one token (the reused-token load test), wall time per hit.
//! - `hit_many_users`: hits for 1,000 cached tokens in turn, so each thread's
//!   16-token near tier never holds the next one: every hit goes to the
//!   shared tier. The near tier's worst case.
//! - `many_users_threads/{1,2}`: the same on one and on two threads at once
//!   (each thread its own order), wall time per hit.
//!
//! With `--features metrics`, every hit also counts into a Prometheus
//! recorder, as in a service that exposes `/metrics`.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use cognito_jwt::adapter::{Authentication, HeaderSource};
use cognito_jwt::{Issuer, TokenSource, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/recorder.rs"]
mod recorder;

struct OneHeader(String);

impl HeaderSource for OneHeader {
    fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
        if name == "authorization" {
            f(self.0.as_bytes());
        }
    }
}

fn benches(c: &mut Criterion) {
    recorder::install();
    let issuer = TestIssuer::cognito();
    let token = issuer
        .access_token()
        .scopes(&["openid", "orders/read", "orders/write"])
        .groups(&["admin", "users"])
        .subject("user-000001-0000-0000-0000-000000000000")
        .build();
    let copy = token.clone();
    let verifier = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    )
    .client_ids([issuer.client_id()])
    .token_use(TokenUse::Access)
    .build()
    .expect("bench verifier");
    // Prime the verified-token cache (the keys are static, so this never waits).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(verifier.verify(&token)).expect("prime");

    let mut g = c.benchmark_group("request_path");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("floor_token_eq", |b| {
        b.iter(|| black_box(token.as_bytes()) == black_box(copy.as_bytes()))
    });
    let headers = OneHeader(format!("Bearer {token}"));
    let source = TokenSource::default();
    g.bench_function("extract", |b| {
        b.iter(|| source.extract(black_box(&headers)).map(|t| t.map(str::len)))
    });
    g.bench_function("hit", |b| {
        b.iter(|| {
            verifier
                .verify_cached(black_box(&token))
                .and_then(Result::ok)
                .map(|claims| claims.expires_at())
        })
    });
    g.bench_function("authenticate_hit", |b| {
        b.iter(
            || match verifier.authenticate(&source, black_box(&headers)) {
                Authentication::Answered(Ok(claims)) => claims.expires_at(),
                _ => 0,
            },
        )
    });
    let users: Vec<String> = (0..1000)
        .map(|i| {
            issuer
                .access_token()
                .scopes(&["openid", "orders/read"])
                .subject(format!("user-{i:06}-0000-0000-0000-000000000000"))
                .build()
        })
        .collect();
    for t in &users {
        runtime.block_on(verifier.verify(t)).expect("prime users");
    }
    g.bench_function("hit_many_users", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % users.len();
            verifier
                .verify_cached(black_box(&users[i]))
                .and_then(Result::ok)
                .map(|claims| claims.expires_at())
        })
    });
    g.finish();

    // Each thread hits its own order of the 1,000 users.
    let many_users = |t: usize, i: usize| {
        let token = &users[(i * 7 + t * 501) % users.len()];
        black_box(
            verifier
                .verify_cached(black_box(token))
                .and_then(Result::ok),
        );
    };
    threaded(c, "many_users_threads", &many_users);
    // Every thread hits the one token.
    let one_token = |_: usize, _: usize| {
        black_box(
            verifier
                .verify_cached(black_box(&token))
                .and_then(Result::ok),
        );
    };
    threaded(c, "hit_threads", &one_token);
}

/// Bench group `name`: `hit(thread, i)` for `i` in `0..iters` on one and on
/// two threads at once; the time is the slowest thread's wall time.
fn threaded(c: &mut Criterion, name: &str, hit: &(dyn Fn(usize, usize) + Sync)) {
    let mut g = c.benchmark_group(name);
    g.measurement_time(Duration::from_secs(3));
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(format!("{threads}"), |b| {
            b.iter_custom(|iters| {
                let barrier = Barrier::new(threads);
                std::thread::scope(|s| {
                    let handles: Vec<_> = (0..threads)
                        .map(|t| {
                            let barrier = &barrier;
                            s.spawn(move || {
                                barrier.wait();
                                let start = Instant::now();
                                for i in 0..iters as usize {
                                    hit(t, i);
                                }
                                start.elapsed()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .max()
                        .unwrap_or_default()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(request_path, benches);
criterion_main!(request_path);

//! `cargo bench -p cognito-jwt`: verification cost against a floor measured in the same run.
//!
//! - `floor_raw_rsa_verify`: one RSA-2048 PKCS#1 SHA-256 verify of each token's
//!   signing input (the same 2,048 tokens as the cold path, pre-split and
//!   pre-decoded) with a pre-parsed aws-lc-rs key: no parsing, no claims.
//! - `jsonwebtoken_decode`: plain `jsonwebtoken::decode` (re-parses the key each call).
//! - `cold_path`: our full verification of a token not in the token cache
//!   (keys cached, token cache disabled).
//! - `cold_path_with_cache_insert`: the same for distinct tokens with the token
//!   cache on, so each verification also inserts.
//! - `warm_path`: a verified-token cache hit.
//! - `threads/{1,2}`: cold path on one and on two threads at once (wall time
//!   per verification, so two threads should halve it).
//!
//! Keys come from a static JWKS, so nothing here touches the network and
//! `verify` never waits: futures are polled once with a no-op waker.
//!
//! With `--features metrics`, every verification also counts into a
//! Prometheus recorder, as in a service that exposes `/metrics`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::{Issuer, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/recorder.rs"]
mod recorder;

/// Poll a future that never pends (static keys) to completion.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

const POOL: usize = 2048;

struct Fixture {
    issuer: TestIssuer,
    tokens: Vec<String>,
}

impl Fixture {
    fn new() -> Fixture {
        let issuer = TestIssuer::cognito();
        let tokens = (0..POOL)
            .map(|i| {
                issuer
                    .access_token()
                    .scopes(&["openid", "orders/read", "orders/write"])
                    .groups(&["admin", "users"])
                    .subject(format!("user-{i:06}-0000-0000-0000-000000000000"))
                    .build()
            })
            .collect();
        Fixture { issuer, tokens }
    }

    fn verifier(&self, cache: bool) -> Verifier {
        let b = Verifier::builder(
            Issuer::cognito("us-east-1_TestPool1").static_jwks(self.issuer.jwks().to_string()),
        )
        .client_ids([self.issuer.client_id()])
        .token_use(TokenUse::Access);
        let b = if cache { b } else { b.disable_token_cache() };
        b.build().expect("bench verifier")
    }
}

fn jwk_component(jwks: &serde_json::Value, name: &str) -> String {
    jwks["keys"][0][name]
        .as_str()
        .expect("jwk component")
        .to_owned()
}

fn benches(c: &mut Criterion) {
    recorder::install();
    let fx = Fixture::new();
    let token = fx.tokens[0].clone();
    let jwks = fx.issuer.jwks();
    let (n_b64, e_b64) = (jwk_component(&jwks, "n"), jwk_component(&jwks, "e"));
    let n = URL_SAFE_NO_PAD.decode(&n_b64).expect("n");
    let e = URL_SAFE_NO_PAD.decode(&e_b64).expect("e");
    let floor_key = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
        .expect("parsed key");
    // The floor verifies the same tokens as the cold path (same bytes, same
    // memory traffic), already split and decoded: only the RSA verify remains.
    let raw: Vec<(Vec<u8>, Vec<u8>)> = fx
        .tokens
        .iter()
        .map(|t| {
            let dot = t.rfind('.').expect("signature");
            let sig = URL_SAFE_NO_PAD.decode(&t[dot + 1..]).expect("sig");
            (t.as_bytes()[..dot].to_vec(), sig)
        })
        .collect();

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(4));

    g.bench_function("floor_raw_rsa_verify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            let (input, sig) = &raw[i];
            floor_key
                .verify_sig(black_box(input), black_box(sig))
                .expect("floor")
        })
    });

    let jwt_key = jsonwebtoken::DecodingKey::from_rsa_components(&n_b64, &e_b64).expect("jwt key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[fx.issuer.issuer()]);
    g.bench_function("jsonwebtoken_decode", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            jsonwebtoken::decode::<serde_json::Value>(&fx.tokens[i], &jwt_key, &validation)
                .expect("jwt")
        })
    });

    let cold = fx.verifier(false);
    g.bench_function("cold_path", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            now(cold.verify(black_box(&fx.tokens[i]))).expect("cold")
        })
    });

    g.bench_function("cold_path_with_cache_insert", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                let v = fx.verifier(true);
                let n = left.min(POOL);
                let start = Instant::now();
                for t in &fx.tokens[..n] {
                    now(v.verify(black_box(t))).expect("cold+insert");
                }
                total += start.elapsed();
                left -= n;
            }
            total
        })
    });

    let warm = fx.verifier(true);
    now(warm.verify(&token)).expect("prime");
    g.bench_function("warm_path", |b| {
        b.iter(|| now(warm.verify(black_box(&token))).expect("warm"))
    });
    g.finish();

    let mut g = c.benchmark_group("threads");
    g.measurement_time(Duration::from_secs(4));
    let tokens = Arc::new(fx.tokens.clone());
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(format!("{threads}"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let tokens = Arc::clone(&tokens);
                        let v = cold.clone();
                        s.spawn(move || {
                            for i in 0..iters as usize {
                                let token = &tokens[(i * 7 + t * 1013) % POOL];
                                now(v.verify(token)).expect("threaded");
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);

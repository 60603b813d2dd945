//! `cargo bench -p cognito-jwt --bench alb`: what an ALB data token
//! (`x-amzn-oidc-data`) costs to verify, against a floor measured in the
//! same run.
//!
//! - `floor_raw_es256_verify`: one P-256 ECDSA SHA-256 verify of each
//!   token's signing input with an already parsed key (aws-lc-rs), the
//!   token already split and decoded: only the signature check remains.
//! - `alb_verify`: `AlbVerifier::verify` with the key for the `kid` already
//!   cached (the steady state: a load balancer signs with a few keys, and a
//!   key never changes for its `kid`). The padded-base64url parse, the
//!   `signer` / `client` / `iss` pins, the key look-up, the signature and
//!   the claims are all in it. Each call runs on a current-thread Tokio
//!   runtime (`block_on`), as a handler's future would.
//! - `alb_verify_10k_rules`: the same with 10,000 revocation rules in force
//!   (2,500 of each kind, none matching the tokens): what
//!   `AlbVerifierBuilder::revocations` adds per request.
//!
//! The key comes from the testkit's loopback key server once, before the
//! measurements; nothing is fetched while they run.

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{AlbVerifier, Clock, SystemClock};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Distinct tokens, so that no single token's bytes stay hot in a cache
/// line the real traffic would not have.
const POOL: usize = 64;

/// 10,000 rules, 2,500 of each kind, none matching a bench token.
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
    assert_eq!(revocations.len(), 10_000);
    revocations
}

fn benches(c: &mut Criterion) {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let builder = || {
        AlbVerifier::builder(alb.arn())
            .client_ids([alb.client_id()])
            .cognito_pool(alb.user_pool_id())
            .keys_url(server.url())
    };
    let verifier = builder().build().expect("bench verifier");
    let revoking = builder()
        .revocations(ten_thousand_rules())
        .build()
        .expect("bench verifier with rules");
    let tokens: Vec<String> = (0..POOL)
        .map(|i| {
            alb.data_token()
                .claim("email", format!("user{i}@example.com"))
                .expires_in(3600)
                .build()
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Fetch and cache the key once.
    runtime
        .block_on(verifier.verify(&tokens[0]))
        .expect("a data token verifies");
    runtime
        .block_on(revoking.verify(&tokens[0]))
        .expect("no rule matches a bench token");
    assert_eq!(server.fetch_count(), 2, "one fetch per verifier");

    // The floor: the same signatures, already decoded, with a parsed key.
    let jwk = alb.current_key().public_jwk();
    let coordinate = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("EC coordinate"))
            .expect("base64url coordinate")
    };
    let mut point = vec![0x04];
    point.extend(coordinate("x"));
    point.extend(coordinate("y"));
    let floor_key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("P-256 key");
    let raw: Vec<(Vec<u8>, Vec<u8>)> = tokens
        .iter()
        .map(|t| {
            let dot = t.rfind('.').expect("signature");
            let sig = URL_SAFE.decode(&t[dot + 1..]).expect("padded signature");
            (t.as_bytes()[..dot].to_vec(), sig)
        })
        .collect();

    let mut g = c.benchmark_group("alb");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("floor_raw_es256_verify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            let (input, sig) = &raw[i];
            floor_key
                .verify_sig(black_box(input), black_box(sig))
                .expect("floor")
        })
    });
    g.bench_function("alb_verify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            runtime
                .block_on(verifier.verify(black_box(&tokens[i])))
                .expect("verified")
        })
    });
    g.bench_function("alb_verify_10k_rules", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            runtime
                .block_on(revoking.verify(black_box(&tokens[i])))
                .expect("verified")
        })
    });
    g.finish();
    assert_eq!(
        server.fetch_count(),
        2,
        "no key was fetched while measuring"
    );
}

criterion_group!(alb, benches);
criterion_main!(alb);

//! `cargo bench -p demo-support --bench replies`: what serializing the
//! example APIs' `/me` reply costs, by the writer it goes through.
//!
//! - `health_to_json`: `/health`'s `{"status":"ok"}` through
//!   [`responses::to_json`], the floor.
//! - `me_to_json`: `/me`'s body (177 bytes for the demo's access token)
//!   through [`responses::to_json`], as both example APIs answer.
//! - `me_serde_json_to_vec`: the same with `serde_json::to_vec` (a `Vec`
//!   from 128 bytes), as actix-web's `HttpResponseBuilder::json` does.
//! - `me_bytes_mut_writer`: the same through `BytesMut::writer()` from 128
//!   bytes, as `axum::Json` does.

use std::hint::black_box;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use demo_support::{Demo, responses};

fn benches(c: &mut Criterion) {
    // The claims of the token the demo prints for `GET /me`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_demo, _token, claims) = runtime
        .block_on(Demo::embedded_full_access())
        .expect("demo");
    let me = responses::me(&claims);

    let mut g = c.benchmark_group("replies");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("health_to_json", |b| {
        b.iter(|| responses::to_json(black_box(&responses::health())))
    });
    g.bench_function("me_to_json", |b| {
        b.iter(|| responses::to_json(black_box(&me)))
    });
    g.bench_function("me_serde_json_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&me)))
    });
    g.bench_function("me_bytes_mut_writer", |b| {
        b.iter(|| {
            let mut body = BytesMut::with_capacity(128).writer();
            serde_json::to_writer(&mut body, black_box(&me)).map(|()| body.into_inner().freeze())
        })
    });
    g.finish();
}

criterion_group!(replies, benches);
criterion_main!(replies);

//! Load test of the built `actix-api` binary: `/health` (unprotected) against
//! `/me` with one reused valid token and with a distinct token per request,
//! same server, same run, reported as ratios.
//!
//! ```text
//! cargo build --release -p actix-api
//! cargo run --release -p actix-api --example load [-- SECONDS CONNECTIONS DISTINCT_TOKENS ROUNDS]
//! ```
//!
//! The server gets a testkit issuer's pool id, client id and a loopback JWKS
//! server (as the contract walk does), so this process can mint its tokens.
//! Each scenario runs `CONNECTIONS` keep-alive HTTP/1.1 connections for
//! `SECONDS`; `/health` and reused-token `/me` alternate over `ROUNDS` rounds (default
//! 5) and the medians are kept. The distinct-token run sends each of `DISTINCT_TOKENS`
//! pre-minted tokens once (more than the verifier's 10,000-entry token cache,
//! so every request verifies an RSA signature).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cognito_jwt_testkit::{JwksServer, TestIssuer};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(issuer: &TestIssuer, jwks: &JwksServer) -> (Server, String) {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/examples/load → target/<profile>/actix-api
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let binary = dir.join(format!("actix-api{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: cargo build --release -p actix-api",
        binary.display()
    );
    let mut child = Command::new(&binary)
        .env("COGNITO_USER_POOL_ID", issuer.pool_id().expect("pool id"))
        .env("COGNITO_JWKS_URI", jwks.url())
        .env("COGNITO_CLIENT_IDS", issuer.client_id())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start actix-api");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read stdout");
        if let Some(addr) = line.strip_prefix(demo_support::LISTENING_PREFIX) {
            return (server, format!("http://{addr}"));
        }
    }
    panic!("actix-api exited before listening");
}

/// Requests per second over `duration`, `connections` at a time, each
/// request's token chosen by `token(i)`; `None` when the pool runs out.
async fn run(
    client: &reqwest::Client,
    url: &str,
    connections: usize,
    duration: Duration,
    tokens: Arc<Vec<String>>,
    distinct: bool,
) -> (f64, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, tokens, next) = (
            client.clone(),
            url.to_owned(),
            Arc::clone(&tokens),
            Arc::clone(&next),
        );
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            let mut failed = 0usize;
            while Instant::now() < deadline {
                let mut req = client.get(&url);
                if !tokens.is_empty() {
                    let i = if distinct {
                        next.fetch_add(1, Ordering::Relaxed)
                    } else {
                        0
                    };
                    let Some(t) = tokens.get(i) else { break };
                    req = req.bearer_auth(t);
                }
                match req.send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                        done += 1;
                    }
                    _ => failed += 1,
                }
            }
            (done, failed)
        }));
    }
    let (mut done, mut failed) = (0, 0);
    for t in tasks {
        let (d, f) = t.await.expect("task");
        done += d;
        failed += f;
    }
    (done as f64 / start.elapsed().as_secs_f64(), failed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let seconds = arg(0, 5);
    let connections = arg(1, 32) as usize;
    let distinct_count = arg(2, 30_000) as usize;
    let rounds = arg(3, 5).max(1);
    let duration = Duration::from_secs(seconds);

    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let mint = Instant::now();
    let distinct: Vec<String> = std::thread::scope(|s| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per = distinct_count.div_ceil(threads);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let issuer = &issuer;
                s.spawn(move || {
                    (0..per)
                        .map(|i| {
                            issuer
                                .access_token()
                                .claim("n", (t * per + i) as u64)
                                .build()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("mint"))
            .take(distinct_count)
            .collect()
    });
    eprintln!(
        "minted {} tokens in {:.1}s",
        distinct.len(),
        mint.elapsed().as_secs_f64()
    );
    let reused = Arc::new(vec![issuer.access_token().build()]);
    let none = Arc::new(Vec::new());
    let distinct = Arc::new(distinct);

    let (_server, base) = start_server(&issuer, &jwks);
    let client = reqwest::Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(connections)
        .build()
        .expect("client");
    let health = format!("{base}/health");
    let me = format!("{base}/me");

    // Warm up: connections, JWKS fetch, token cache.
    let warm = Duration::from_secs(1);
    run(&client, &health, connections, warm, none.clone(), false).await;
    run(&client, &me, connections, warm, reused.clone(), false).await;

    let (mut h, mut r, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (hr, hf) = run(&client, &health, connections, duration, none.clone(), false).await;
        let (rr, rf) = run(&client, &me, connections, duration, reused.clone(), false).await;
        eprintln!(
            "round {round}: /health {hr:.0} req/s ({hf} failed), /me reused {rr:.0} req/s ({rf} failed)"
        );
        h.push(hr);
        r.push(rr);
        ratios.push(rr / hr);
    }
    let (dr, df) = run(&client, &me, connections, duration, distinct.clone(), true).await;
    let (health_rps, reused_rps) = (median(h), median(r));
    println!("connections: {connections}, {seconds} s per run, {rounds} rounds (median)");
    println!("/health (unprotected):      {health_rps:>9.0} req/s  1.00x");
    println!(
        "/me, one reused token:      {reused_rps:>9.0} req/s  {:.2}x  (median of per-round ratios {:.2}x)",
        reused_rps / health_rps,
        median(ratios)
    );
    println!(
        "/me, distinct tokens:       {dr:>9.0} req/s  {:.2}x  ({df} failed)",
        dr / health_rps
    );
    println!("JWKS fetches: {}", jwks.fetch_count());
}

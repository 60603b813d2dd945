//! A small, bounded HTTP/1.1 load generator for the example APIs, on loopback.
//!
//! ```text
//! cargo run --release -p cognito-jwt-tower --example loadgen -- target/release/axum-api
//!     [--seconds 2] [--rounds 5] [--connections 32] [--tokens 10000]
//! ```
//!
//! It starts a testkit JWKS server, mints tokens, starts the given example
//! binary against it (the `COGNITO_*` environment of `demo-support`, on
//! `127.0.0.1:0`), and measures in one run against the same server:
//!
//! 1. `GET /health` (unprotected),
//! 2. `GET /health` carrying the same `Authorization` header (same bytes on
//!    the wire, not checked: separates transfer cost from verification cost),
//! 3. `GET /me` with one reused valid access token,
//!    (1–3 alternate for a few rounds so other load on the machine hits them
//!    alike; the median per-round ratio is printed too), then
//! 4. `GET /me` with distinct valid access tokens, each sent once (the
//!    first-use path: signature verification, then caching),
//!
//! and prints requests per second and the ratios to the unprotected baseline.
//! Keep-alive connections; every response must be 200, or the run fails.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cognito_jwt_testkit::{JwksServer, TestIssuer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Options {
    binary: String,
    seconds: u64,
    connections: usize,
    tokens: usize,
    rounds: u64,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        binary: String::new(),
        seconds: 2,
        connections: 32,
        tokens: 10_000,
        rounds: 5,
    };
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seconds" => o.seconds = num("--seconds")?.clamp(1, 120),
            "--connections" => o.connections = num("--connections")?.clamp(1, 1024) as usize,
            "--rounds" => o.rounds = num("--rounds")?.clamp(1, 20),
            "--tokens" => o.tokens = num("--tokens")?.clamp(100, 1_000_000) as usize,
            _ if o.binary.is_empty() => o.binary = a,
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    if o.binary.is_empty() {
        return Err(
            "usage: loadgen <example binary> [--seconds N] [--rounds N] [--connections N] [--tokens N]".into(),
        );
    }
    Ok(o)
}

/// The example server, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(
    binary: &str,
    issuer: &TestIssuer,
    jwks: &JwksServer,
) -> Result<(Server, String), String> {
    let mut child = Command::new(binary)
        .env("COGNITO_USER_POOL_ID", issuer.pool_id().unwrap_or_default())
        .env("COGNITO_JWKS_URI", jwks.url())
        .env("COGNITO_CLIENT_IDS", issuer.client_id())
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {binary}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    break rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                }
            }
            _ => return Err(format!("{binary} exited before listening")),
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((server, addr))
}

/// Where requests get their `Authorization` header.
#[derive(Clone)]
enum Tokens {
    None,
    One(Arc<str>),
    /// Each token once, in order; the run ends when they are used up.
    Each(Arc<Vec<String>>, Arc<AtomicUsize>),
}

#[derive(Default)]
struct Outcome {
    ok: u64,
    failed: u64,
    elapsed: Duration,
}

impl Outcome {
    fn add(&mut self, other: &Outcome) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
    }
}

async fn one_connection(
    addr: String,
    path: &'static str,
    tokens: Tokens,
    deadline: Instant,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) -> Result<(), String> {
    let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(4096);
    let mut request = String::with_capacity(2048);
    loop {
        if Instant::now() >= deadline {
            return Ok(());
        }
        request.clear();
        request.push_str("GET ");
        request.push_str(path);
        request.push_str(" HTTP/1.1\r\nHost: loadgen\r\n");
        match &tokens {
            Tokens::None => {}
            Tokens::One(t) => {
                request.push_str("Authorization: Bearer ");
                request.push_str(t);
                request.push_str("\r\n");
            }
            Tokens::Each(list, next) => {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = list.get(i) else { return Ok(()) };
                request.push_str("Authorization: Bearer ");
                request.push_str(t);
                request.push_str("\r\n");
            }
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let status = read_response(&mut stream, &mut buf).await?;
        if status == 200 {
            ok.fetch_add(1, Ordering::Relaxed);
        } else {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Read one response (headers + `content-length` body); return its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16, String> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    };
    let head = String::from_utf8_lossy(buf.get(..header_end).unwrap_or_default()).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .ok_or("no content-length")?;
    let mut have = buf.len() - header_end;
    while have < length {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed mid-body".into());
        }
        have += n;
    }
    Ok(status)
}

async fn run(
    addr: &str,
    path: &'static str,
    tokens: Tokens,
    seconds: u64,
    connections: usize,
) -> Result<Outcome, String> {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(one_connection(
                addr.to_owned(),
                path,
                tokens.clone(),
                deadline,
                Arc::clone(&ok),
                Arc::clone(&failed),
            ))
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(Outcome {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    })
}

fn rps(o: &Outcome) -> f64 {
    o.ok as f64 / o.elapsed.as_secs_f64()
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<(), String> {
    let o = options()?;
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);

    let minted = Instant::now();
    let reused: Arc<str> = issuer.access_token().build().into();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = o.tokens.div_ceil(threads);
    let distinct: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let issuer = &issuer;
                s.spawn(move || {
                    (0..per)
                        .map(|i| {
                            issuer
                                .access_token()
                                .subject(format!("user-{t}-{i}"))
                                .build()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .take(o.tokens)
            .collect()
    });
    eprintln!(
        "minted {} tokens in {:.1?}",
        distinct.len() + 1,
        minted.elapsed()
    );

    let (_server, addr) = start_server(&o.binary, &issuer, &jwks)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let c = o.connections;
        // Warm-up: connections, JWKS, the reused token's cache entry.
        run(&addr, "/health", Tokens::None, 1, c).await?;
        run(&addr, "/me", Tokens::One(Arc::clone(&reused)), 1, c).await?;

        // Alternate the timed scenarios so drift (other load on the machine)
        // hits them alike; report the sums and the median per-round ratio.
        let mut health = Outcome::default();
        let mut health_header = Outcome::default();
        let mut me_reused = Outcome::default();
        let mut ratios_me = Vec::new();
        let mut ratios_header = Vec::new();
        for _ in 0..o.rounds {
            let h = run(&addr, "/health", Tokens::None, o.seconds, c).await?;
            let hh = run(&addr, "/health", Tokens::One(Arc::clone(&reused)), o.seconds, c).await?;
            let m = run(&addr, "/me", Tokens::One(Arc::clone(&reused)), o.seconds, c).await?;
            ratios_me.push(rps(&m) / rps(&h));
            ratios_header.push(rps(&hh) / rps(&h));
            health.add(&h);
            health_header.add(&hh);
            me_reused.add(&m);
        }
        let me_distinct = run(
            &addr,
            "/me",
            Tokens::Each(Arc::new(distinct), Arc::new(AtomicUsize::new(0))),
            o.seconds.max(60),
            c,
        )
        .await?;
        let failed = health.failed + health_header.failed + me_reused.failed + me_distinct.failed;
        let base = rps(&health);
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        println!(
            "binary: {}\nconnections: {c}; the timed scenarios alternate, {} rounds of {}s each; {} distinct tokens",
            o.binary, o.rounds, o.seconds, o.tokens
        );
        println!("| scenario | requests | req/s | vs /health |");
        println!("|---|---:|---:|---:|");
        for (name, out) in [
            ("GET /health (unprotected)", &health),
            ("GET /health with the token header (same bytes, unchecked)", &health_header),
            ("GET /me, one reused token", &me_reused),
            ("GET /me, distinct tokens (each once)", &me_distinct),
        ] {
            println!(
                "| {name} | {} | {:.0} | {:.2}x |",
                out.ok,
                rps(out),
                rps(out) / base
            );
        }
        println!(
            "median per-round ratio to /health: /me reused {:.2}x, /health with token header {:.2}x",
            median(&mut ratios_me),
            median(&mut ratios_header)
        );
        if failed > 0 {
            return Err(format!("{failed} responses were not 200"));
        }
        Ok::<_, String>(())
    })
}

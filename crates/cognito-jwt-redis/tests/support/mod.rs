//! A real `redis-server` per test on a free loopback port (killed on drop),
//! a TCP proxy that can cut one instance off, instances with their
//! verifiers, and captured logs.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cognito_jwt::revocation::Revocations;
use cognito_jwt::{Error, Issuer, TokenUse, Verifier};
use cognito_jwt_redis::{RedisOptions, RedisRevocations};
use cognito_jwt_testkit::TestIssuer;

/// A `redis-server` without persistence on `127.0.0.1:port`.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// A server on a port that was free a moment ago.
    pub fn start() -> RedisServer {
        RedisServer::start_on(free_port())
    }

    /// A server on `port` (ready when this returns).
    pub fn start_on(port: u16) -> RedisServer {
        let mut server = RedisServer { port, child: None };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args([
                "--loglevel",
                "warning",
                "--dir",
                &std::env::temp_dir().to_string_lossy(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): the tests of cognito-jwt-redis need it on \
                     PATH; run `scripts/setup-e2e.sh` from the repository root to install it"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "redis-server on port {} exited at start-up: {status}",
                    self.port
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} not ready in 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok()
            && s.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kill it (SIGKILL: no data is saved, there is none to save anyway).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port, empty.
    pub fn start_again(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Run a raw command, outside the crate under test.
    pub fn cmd<T: redis::FromRedisValue>(&self, args: &[&[u8]]) -> T {
        let client = redis::Client::open(self.url()).unwrap();
        let mut con = client.get_connection().unwrap();
        let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query(&mut con).unwrap()
    }

    /// The members of the rules' sorted set.
    pub fn members(&self) -> Vec<String> {
        let key = RedisOptions::default().rules_key();
        self.cmd(&[b"ZRANGE", key.as_bytes(), b"0", b"-1"])
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TCP proxy to a Redis on loopback: [`Proxy::cut`] drops every
/// connection through it and refuses new ones until [`Proxy::heal`], so
/// one instance loses Redis while the others keep it.
pub struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // dropped: closed at once
                }
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Proxy { port, cut, task }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn heal(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_replace(true);
    }
}

/// Options for tests: a fast heartbeat and reconnects. The command time-out
/// stays the default (2 s): a stopped Redis or a cut proxy closes the
/// connections, which is noticed at once, and a slow machine must not make
/// a healthy link look lost.
pub fn fast() -> RedisOptions {
    RedisOptions::default()
        .heartbeat(Duration::from_millis(100))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200))
}

/// One API instance: its mirror kept by Redis, and its own verifier (with
/// its own verified-token cache).
pub struct Instance {
    pub redis: RedisRevocations,
    pub verifier: Verifier,
}

impl Instance {
    pub async fn start(url: &str, pool: &TestIssuer, revocations: Revocations) -> Instance {
        Instance::start_with(url, pool, revocations, fast()).await
    }

    pub async fn start_with(
        url: &str,
        pool: &TestIssuer,
        revocations: Revocations,
        options: RedisOptions,
    ) -> Instance {
        let verifier = verifier(pool, &revocations);
        let redis = RedisRevocations::connect(url, revocations, options)
            .await
            .unwrap();
        Instance { redis, verifier }
    }

    /// The verifier's answer: `Ok(())` or the error.
    pub async fn verify(&self, token: &str) -> Result<(), Error> {
        self.verifier.verify(token).await.map(|_| ())
    }

    pub async fn refuses(&self, token: &str) -> bool {
        matches!(self.verify(token).await, Err(Error::Revoked { .. }))
    }
}

pub fn verifier(pool: &TestIssuer, revocations: &Revocations) -> Verifier {
    Verifier::builder(Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()))
        .client_ids([pool.client_id()])
        .token_use(TokenUse::Access)
        .revocations(revocations.clone())
        .build()
        .unwrap()
}

/// Polls `check` every 10 ms until it holds; panics naming `what` after `bound`.
pub async fn until(bound: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < bound, "not within {bound:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every log line at warn and above of this test binary, as text.
pub fn logs() -> String {
    String::from_utf8_lossy(&capture().lock().unwrap()).into_owned()
}

/// Capture logs (call first in a test that reads them).
pub fn capture_logs() {
    let _ = capture();
}

fn capture() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buffer));
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    })
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

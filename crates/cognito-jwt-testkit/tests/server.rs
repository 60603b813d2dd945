//! The JWKS server, exercised over real TCP with a minimal HTTP/1.1 client.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cognito_jwt_testkit::{JwksServer, LocalIssuer, Mode, SigningKey, TestIssuer};
use serde_json::{Value, json};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// `GET url` with `Connection: close`; url is `http://host:port/path`.
fn get(url: &str) -> std::io::Result<Reply> {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked")
    {
        body = dechunk(&body);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let len =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if len == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + len]);
        b = &b[eol + 4 + len..];
    }
}

fn kids(v: &Value) -> Vec<String> {
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn serves_counts_and_reflects_rotation() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let base = server.base_url().to_owned();
    assert_eq!(server.url(), format!("{base}/.well-known/jwks.json"));

    let r = get(&server.url()).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), issuer.jwks());
    assert_eq!(server.fetch_count(), 1);

    // moto-style prefixed path, single and multi segment
    let r = get(&server.jwks_url_for("us-east-1_TestPool1")).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(kids(&r.json()), ["test-key-1"]);
    assert_eq!(
        get(&format!("{base}/a/b/.well-known/jwks.json"))
            .unwrap()
            .status,
        200
    );
    assert_eq!(server.fetch_count(), 3);

    // rotation is visible immediately
    let new = issuer.rotate();
    assert_eq!(
        kids(&get(&server.url()).unwrap().json()),
        ["test-key-1", new.kid()]
    );
    issuer.remove_key("test-key-1");
    assert_eq!(kids(&get(&server.url()).unwrap().json()), [new.kid()]);

    // discovery
    let d = get(&server.discovery_url()).unwrap().json();
    assert_eq!(d["issuer"], issuer.issuer());
    assert_eq!(d["jwks_uri"], server.url());
    let d = get(&format!("{base}/pool/.well-known/openid-configuration"))
        .unwrap()
        .json();
    assert_eq!(d["jwks_uri"], server.jwks_url_for("pool"));
    assert_eq!(server.discovery_fetch_count(), 2);

    assert_eq!(get(&format!("{base}/other")).unwrap().status, 404);
    assert_eq!(server.fetch_count(), 5);
    server.reset_fetch_count();
    assert_eq!(server.fetch_count(), 0);
}

#[test]
fn modes_behave() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let url = server.url();

    server.set_mode(Mode::Status(503));
    assert_eq!(server.mode(), Mode::Status(503));
    assert_eq!(get(&url).unwrap().status, 503);
    server.set_mode(Mode::Status(42));
    assert_eq!(get(&url).unwrap().status, 500);

    server.set_mode(Mode::Delay(Duration::from_millis(300)));
    let start = Instant::now();
    let r = get(&url).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json(), issuer.jwks());

    server.set_mode(Mode::Garbage);
    let r = get(&url).unwrap();
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    server.set_mode(Mode::EmptyBody);
    let r = get(&url).unwrap();
    assert_eq!((r.status, r.body.len()), (200, 0));

    server.set_mode(Mode::EmptyKeys);
    assert_eq!(get(&url).unwrap().json(), json!({"keys": []}));

    server.set_mode(Mode::Huge(3 * 1024 * 1024));
    let r = get(&url).unwrap();
    assert_eq!(r.body.len(), 3 * 1024 * 1024);
    assert!(r.body.starts_with(br#"{"keys":[]"#));
    assert!(serde_json::from_slice::<Value>(&r.body).is_ok());

    server.set_mode(Mode::WrongContentType);
    let r = get(&url).unwrap();
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.json(), issuer.jwks());

    server.set_mode(Mode::Redirect);
    let r = get(&url).unwrap();
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some(url.as_str()));

    server.set_mode(Mode::Custom("{\"keys\":[{\"kty\":\"oct\"}]}".into()));
    assert_eq!(get(&url).unwrap().json(), json!({"keys": [{"kty": "oct"}]}));

    server.set_mode(Mode::Normal);
    let weak = SigningKey::weak_rsa_1024("weak").public_jwk();
    let good = issuer.current_key().public_jwk();
    let jwks = json!({"keys": [weak, {"kty": "RSA", "kid": "broken"}, good]});
    server.set_jwks_override(Some(jwks.clone()));
    assert_eq!(get(&url).unwrap().json(), jwks);
    server.set_jwks_override(None);
    assert_eq!(get(&url).unwrap().json(), issuer.jwks());

    assert_eq!(server.fetch_count(), 12);
}

#[test]
fn drop_shuts_down() {
    let server = JwksServer::start(&TestIssuer::cognito());
    let addr = server.addr();
    assert!(TcpStream::connect(addr).is_ok());
    // Even with a slow request in flight, drop returns promptly.
    server.set_mode(Mode::Delay(Duration::from_secs(30)));
    let url = server.url();
    let pending = std::thread::spawn(move || get(&url));
    assert!(server.wait_for_fetches(1, Duration::from_secs(5)));
    let start = Instant::now();
    drop(server);
    assert!(start.elapsed() < Duration::from_secs(5));
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let _ = pending.join();
}

#[test]
fn wait_for_fetches_sees_background_fetch() {
    let server = JwksServer::start(&TestIssuer::cognito());
    assert!(!server.wait_for_fetches(1, Duration::from_millis(50)));
    let url = server.url();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        get(&url).unwrap().status
    });
    assert!(server.wait_for_fetches(1, Duration::from_secs(5)));
    assert_eq!(t.join().unwrap(), 200);
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_current_thread_runtime() {
    let local = LocalIssuer::start();
    let url = local.jwks_url();
    let status = tokio::task::spawn_blocking(move || get(&url).unwrap().status)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        local
            .server()
            .wait_for_fetches_async(1, Duration::from_secs(1))
            .await
    );
    drop(local); // dropping inside a runtime must not panic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_multi_thread_runtime() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let url = server.url();
    let r = tokio::task::spawn_blocking(move || get(&url).unwrap())
        .await
        .unwrap();
    assert_eq!(r.json(), issuer.jwks());
}

#[test]
fn local_issuer() {
    let local = LocalIssuer::start();
    assert_eq!(
        local.issuer(),
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
    );
    assert_eq!(local.client_id(), "testclient1234567890abcdef");
    assert_eq!(local.jwks_url(), local.server().url());
    assert_eq!(
        get(&local.jwks_url()).unwrap().json(),
        local.test_issuer().jwks()
    );

    let lb = LocalIssuer::start_loopback();
    let iss = lb.issuer();
    assert_eq!(
        iss,
        format!("{}/us-east-1_TestPool1", lb.server().base_url())
    );
    let d = get(&format!("{iss}/.well-known/openid-configuration"))
        .unwrap()
        .json();
    assert_eq!(d["issuer"], iss);
    let jwks = get(d["jwks_uri"].as_str().unwrap()).unwrap().json();
    assert_eq!(kids(&jwks), ["test-key-1"]);
    let token = lb.access_token().build();
    let payload = token.split('.').nth(1).unwrap();
    assert!(!payload.is_empty());
}

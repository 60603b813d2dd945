//! `cognito-jwt serve`, run as a user runs it: the binary on a port, a
//! token from its `/oauth2/token` over plain HTTP, then `cognito-jwt
//! verify` on that token against the served JWKS.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use base64::Engine as _;
use serde_json::Value;

const MACHINE: &str = "testmachine1234567890abcde";
const SECRET: &str = "testsecret0123456789abcdefghijklmnopqrstuvwxyz";

/// The running `serve`, killed on drop.
struct Serve {
    child: Child,
    ready: Value,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_cognito-jwt"))
        .arg("serve")
        .args(["--port", "0", "--json"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    Serve { child, ready }
}

/// `POST url` with a form body (and HTTP Basic): `(status, body)`.
fn post(url: &str, basic: Option<(&str, &str)>, form: &str) -> (u16, String) {
    let auth = basic
        .map(|(id, secret)| {
            let b = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            format!("Authorization: Basic {b}\r\n")
        })
        .unwrap_or_default();
    let head = format!(
        "{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        form.len()
    );
    http("POST", url, &head, form)
}

/// `GET url`: `(status, body)`.
fn get(url: &str) -> (u16, String) {
    http("GET", url, "", "")
}

/// One HTTP/1.1 request over plain TCP, as curl sends it: `(status, body)`.
fn http(method: &str, url: &str, head: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{head}\r\n{body}"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

/// The claims of the access token in a token endpoint answer.
fn access_claims(answer: &str) -> Value {
    let token: Value = serde_json::from_str(answer).unwrap();
    let payload = token["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn verify(ready: &Value, client: &str, token: &str, extra: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("cognito-jwt")
        .unwrap()
        .args([
            "verify",
            "--pool",
            "us-east-1_TestPool1",
            "--client-id",
            client,
        ])
        .args(["--jwks-url", ready["jwks_uri"].as_str().unwrap(), "--json"])
        .args(extra)
        .arg(token)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap();
    (output.status.code().unwrap_or(-1), json)
}

#[test]
fn a_client_credentials_token_from_serve_is_accepted_by_verify() {
    let s = serve(&[]);
    assert_eq!(s.ready["command"], "serve");
    assert_eq!(
        s.ready["issuer"],
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
    );
    let token_url = s.ready["token_endpoint"].as_str().unwrap();
    assert!(token_url.starts_with("http://127.0.0.1:"), "{token_url}");

    let (status, body) = post(
        token_url,
        Some((MACHINE, SECRET)),
        "grant_type=client_credentials&scope=orders%2Fread",
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let token = answer["access_token"].as_str().unwrap();

    let (code, report) = verify(&s.ready, MACHINE, token, &["--scope", "orders/read"]);
    assert_eq!((code, report["verdict"].as_str()), (0, Some("accepted")));
    // The scope it was not given: refused, 403.
    let (code, report) = verify(&s.ready, MACHINE, token, &["--scope", "orders/write"]);
    assert_eq!((code, report["http"]["status"].as_u64()), (1, Some(403)));

    let (status, body) = post(
        token_url,
        Some((MACHINE, "wrong")),
        "grant_type=client_credentials",
    );
    assert_eq!(status, 400);
    assert!(body.contains("invalid_client"), "{body}");
}

#[test]
fn a_config_file_and_flags_configure_clients_users_and_scopes() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(
        br#"{
          "resource_servers": [{"identifier": "reports", "scopes": ["read"]}],
          "clients": [{"id": "reports0123456789abcdefgh", "secret": "s3cret",
                       "grants": ["client_credentials"], "scopes": ["reports/read"]}],
          "users": [{"username": "alice", "groups": ["auditors"]}]
        }"#,
    )
    .unwrap();
    let s = serve(&[
        "--config",
        file.path().to_str().unwrap(),
        "--user",
        "bob=admin,users",
        "--loopback-issuer",
    ]);
    let issuer = s.ready["issuer"].as_str().unwrap();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
    assert_eq!(s.ready["clients"][0]["id"], "reports0123456789abcdefgh");
    assert_eq!(s.ready["clients"].as_array().unwrap().len(), 1);
    let users: Vec<&str> = s.ready["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice", "bob"]);

    let (status, body) = post(
        s.ready["token_endpoint"].as_str().unwrap(),
        Some(("reports0123456789abcdefgh", "s3cret")),
        "grant_type=client_credentials",
    );
    assert_eq!(status, 200, "{body}");
    let claims = access_claims(&body);
    assert_eq!(claims["scope"], "reports/read");
    assert_eq!(claims["iss"], issuer);
}

#[test]
fn a_public_url_is_what_serve_advertises() {
    let public = "http://cognito.test:8420";
    let s = serve(&["--public-url", public, "--loopback-issuer"]);
    let issuer = format!("{public}/us-east-1_TestPool1");
    assert_eq!(s.ready["issuer"], issuer.as_str());
    assert_eq!(
        s.ready["token_endpoint"],
        format!("{public}/oauth2/token").as_str()
    );
    assert_eq!(
        s.ready["jwks_uri"],
        format!("{public}/.well-known/jwks.json").as_str()
    );
    // Reached where it listens, it still names itself by the public URL.
    let listen = s.ready["listen"].as_str().unwrap();
    assert!(listen.starts_with("127.0.0.1:"), "{listen}");
    let (status, body) = get(&format!(
        "http://{listen}/us-east-1_TestPool1/.well-known/openid-configuration"
    ));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(
        doc["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json").as_str()
    );
    assert_eq!(doc["token_endpoint"], s.ready["token_endpoint"]);
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{public}/oauth2/authorize").as_str()
    );
    let (status, body) = post(
        &format!("http://{listen}/oauth2/token"),
        Some((MACHINE, SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!(status, 200, "{body}");
    let claims = access_claims(&body);
    assert_eq!(claims["iss"], issuer.as_str());
}

/// A configuration file holding `json`.
fn config_file(json: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(json.as_bytes()).unwrap();
    file
}

#[test]
fn refused_configurations_exit_2_with_a_json_error() {
    let huge_validity = config_file(
        r#"{"clients": [{"id": "spa0123456789", "callback_urls": ["http://localhost:5173/cb"],
            "refresh_token_validity_secs": 18446744073709551615}]}"#,
    );
    let eleven_years = config_file(
        r#"{"clients": [{"id": "spa0123456789", "callback_urls": ["http://localhost:5173/cb"],
            "refresh_token_validity_secs": 346896000}]}"#,
    );
    let plus_secret = config_file(
        r#"{"resource_servers": [{"identifier": "orders", "scopes": ["read"]}],
            "clients": [{"id": "m0123456789", "secret": "s3cr+t",
            "grants": ["client_credentials"], "scopes": ["orders/read"]}]}"#,
    );
    let path = |f: &tempfile::NamedTempFile| f.path().to_str().unwrap().to_owned();
    let (huge_validity, eleven_years, plus_secret) = (
        path(&huge_validity),
        path(&eleven_years),
        path(&plus_secret),
    );
    for (name, args, message) in [
        (
            "refresh token validity of u64::MAX seconds",
            vec!["--config", huge_validity.as_str()],
            "app client spa0123456789: the refresh token validity is more than 10 years",
        ),
        (
            "refresh token validity of 11 years",
            vec!["--config", eleven_years.as_str()],
            "the refresh token validity is more than 10 years",
        ),
        (
            "a secret with + in the config file",
            vec!["--config", plus_secret.as_str()],
            "app client m0123456789: the secret may hold only ASCII letters, digits and - . _ ~",
        ),
        (
            "a secret with & on the command line",
            vec!["--machine-client", "m0123456789:a&b=orders/read"],
            "the secret may hold only ASCII letters, digits and - . _ ~",
        ),
        (
            "non-loopback bind",
            vec!["--bind", "0.0.0.0"],
            "not a loopback address",
        ),
        (
            "machine client with a built-in scope",
            vec!["--machine-client", "m0123456789:s=openid"],
            "custom scopes only",
        ),
        (
            "missing config file",
            vec!["--config", "/nonexistent/cognito.json"],
            "/nonexistent/cognito.json",
        ),
        ("bad pool", vec!["--pool", "nopool"], "is not REGION_ID"),
        (
            "public URL with a path",
            vec!["--public-url", "http://cognito.test:8420/pool"],
            "without a path, query or fragment",
        ),
        (
            "custom-scheme callback with a fragment",
            vec!["--client", "app0123456789=myapp://cb#frag"],
            "without a fragment",
        ),
    ] {
        let output = Command::cargo_bin("cognito-jwt")
            .unwrap()
            .args(["serve", "--port", "0", "--json"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["command"], "serve", "{name}");
        let m = json["error"]["message"].as_str().unwrap();
        assert!(m.contains(message), "{name}: {m}");
    }
}

/// `GET url` with `Authorization: Bearer token`: `(status, body)`.
fn get_with_bearer(url: &str, token: &str) -> (u16, String) {
    http(
        "GET",
        url,
        &format!("Authorization: Bearer {token}\r\n"),
        "",
    )
}

#[test]
fn serve_names_the_userinfo_endpoint_and_it_answers() {
    let s = serve(&["--loopback-issuer"]);
    let userinfo = s.ready["userinfo_endpoint"].as_str().unwrap();
    let token_url = s.ready["token_endpoint"].as_str().unwrap();
    assert_eq!(
        userinfo,
        token_url.replace("/oauth2/token", "/oauth2/userInfo")
    );
    let (status, body) = get(s.ready["discovery"].as_str().unwrap());
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["userinfo_endpoint"], userinfo);

    // A machine token has no user: 401 invalid_token, as Cognito answers.
    let (status, body) = post(
        token_url,
        Some((MACHINE, SECRET)),
        "grant_type=client_credentials",
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let (status, body) = get_with_bearer(userinfo, answer["access_token"].as_str().unwrap());
    assert_eq!(status, 401, "{body}");
    let refusal: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refusal["error"], "invalid_token");
}

#[test]
fn serve_prints_the_userinfo_endpoint_in_its_text() {
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_cognito-jwt"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.trim_start().starts_with("revoke");
        printed.push(line);
        if done {
            break;
        }
    }
    let next = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let revoke = printed.last().unwrap();
    let url = revoke.trim_start().strip_prefix("revoke").unwrap().trim();
    assert_eq!(
        next.trim_start().strip_prefix("userinfo").map(str::trim),
        Some(url.replace("/oauth2/revoke", "/oauth2/userInfo").as_str()),
        "{printed:?} then {next:?}"
    );
}

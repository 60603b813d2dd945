//! The `cognito-jwt` binary, run on tokens minted by the testkit.

use std::io::Write as _;

use assert_cmd::Command;
use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
use serde_json::Value;

const POOL: &str = "us-east-1_TestPool1";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", self.stdout))
    }
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::cargo_bin("cognito-jwt").unwrap();
    cmd.args(args);
    // Never wait on the test runner's terminal.
    cmd.write_stdin(stdin.unwrap_or_default().to_vec());
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn jwks_file(issuer: &TestIssuer) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(issuer.jwks().to_string().as_bytes())
        .unwrap();
    file
}

/// `verify` with the pool's client and a JWKS file, plus `extra` options.
fn verify(issuer: &TestIssuer, token: &str, extra: &[&str], json: bool) -> Run {
    let file = jwks_file(issuer);
    let path = file.path().to_str().unwrap().to_owned();
    let client = issuer.client_id();
    let mut args = vec![
        "verify",
        "--pool",
        POOL,
        "--client-id",
        &client,
        "--jwks-file",
        &path,
    ];
    args.extend_from_slice(extra);
    if json {
        args.push("--json");
    }
    args.push(token);
    run(&args, None)
}

/// The `detail` of step `step` in `verify --json` output.
fn step_detail(v: &Value, step: &str) -> String {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .map(|s| s["detail"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no step {step} in {v}"))
}

/// The one step line marked FAILED in the human output, if any.
fn failed_steps(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAILED  "))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

struct Case {
    name: &'static str,
    token: fn(&TestIssuer) -> String,
    extra: &'static [&'static str],
    exit: i32,
    /// The error kind and the step it fails, `None` when accepted.
    refused: Option<(&'static str, &'static str)>,
    status: u16,
}

const CASES: &[Case] = &[
    Case {
        name: "accepted",
        token: |p| {
            p.access_token()
                .scopes(&["orders/read"])
                .groups(&["admin"])
                .build()
        },
        extra: &["--scope", "orders/read", "--group", "admin"],
        exit: 0,
        refused: None,
        status: 200,
    },
    Case {
        name: "ID token accepted with --token-use id",
        token: |p| p.id_token().build(),
        extra: &["--token-use", "id"],
        exit: 0,
        refused: None,
        status: 200,
    },
    Case {
        name: "expired",
        token: |p| p.access_token().expires_in(-600).build(),
        extra: &[],
        exit: 1,
        refused: Some(("expired", "times")),
        status: 401,
    },
    Case {
        name: "expired, but within the leeway",
        token: |p| p.access_token().expires_in(-60).build(),
        extra: &["--leeway", "120"],
        exit: 0,
        refused: None,
        status: 200,
    },
    Case {
        name: "wrong client",
        token: |p| p.access_token().client_id("someoneelse").build(),
        extra: &[],
        exit: 1,
        refused: Some(("client_not_allowed", "client")),
        status: 401,
    },
    Case {
        name: "ID token where access tokens are expected",
        token: |p| p.id_token().build(),
        extra: &[],
        exit: 1,
        refused: Some(("wrong_token_use", "token_use")),
        status: 401,
    },
    Case {
        name: "missing scope",
        token: |p| p.access_token().scopes(&["orders/read"]).build(),
        extra: &["--scope", "orders/read", "--scope", "orders/write"],
        exit: 1,
        refused: Some(("insufficient_scope", "scopes")),
        status: 403,
    },
    Case {
        name: "one of the scopes is enough with --any-scope",
        token: |p| p.access_token().scopes(&["orders/read"]).build(),
        extra: &[
            "--scope",
            "orders/read",
            "--scope",
            "orders/write",
            "--any-scope",
        ],
        exit: 0,
        refused: None,
        status: 200,
    },
    Case {
        name: "scopes asked of an ID token",
        token: |p| p.id_token().build(),
        extra: &["--token-use", "any", "--scope", "orders/read"],
        exit: 1,
        refused: Some(("wrong_token_use", "scopes")),
        status: 401,
    },
    Case {
        name: "missing group",
        token: |p| p.access_token().groups(&["users"]).build(),
        extra: &["--group", "admin"],
        exit: 1,
        refused: Some(("missing_group", "groups")),
        status: 403,
    },
    Case {
        name: "tampered payload",
        token: |p| p.access_token().tamper_payload().build(),
        extra: &[],
        exit: 1,
        refused: Some(("invalid_signature", "signature")),
        status: 401,
    },
    Case {
        name: "signed by another pool's key with the same kid",
        token: |_| TestIssuer::cognito().access_token().build(),
        extra: &[],
        exit: 1,
        refused: Some(("invalid_signature", "signature")),
        status: 401,
    },
    Case {
        name: "unknown kid",
        token: |p| p.access_token().kid("no-such-key").build(),
        extra: &[],
        exit: 1,
        refused: Some(("unknown_key", "key")),
        status: 401,
    },
    Case {
        name: "another pool's issuer",
        token: |_| {
            TestIssuer::cognito_pool("eu-west-1", "eu-west-1_Other1")
                .access_token()
                .build()
        },
        extra: &[],
        exit: 1,
        refused: Some(("untrusted_issuer", "issuer")),
        status: 401,
    },
    Case {
        name: "malformed token",
        token: |_| "not.a-token".to_owned(),
        extra: &[],
        exit: 1,
        refused: Some(("malformed_token", "structure")),
        status: 401,
    },
];

#[test]
fn verify_table() {
    let pool = TestIssuer::cognito();
    for case in CASES {
        let token = (case.token)(&pool);
        let name = case.name;

        let text = verify(&pool, &token, case.extra, false);
        assert_eq!(
            text.code, case.exit,
            "{name}: {}{}",
            text.stdout, text.stderr
        );
        assert!(
            !text.stdout.contains(&token),
            "{name}: the token is printed back"
        );
        let failed = failed_steps(&text.stdout);
        match case.refused {
            None => {
                assert!(failed.is_empty(), "{name}: {}", text.stdout);
                assert!(
                    text.stdout.contains("verdict: ACCEPTED"),
                    "{name}: {}",
                    text.stdout
                );
                assert!(
                    text.stdout.contains("http:    200"),
                    "{name}: {}",
                    text.stdout
                );
            }
            Some((kind, step)) => {
                assert_eq!(failed, [step], "{name}: {}", text.stdout);
                assert!(
                    text.stdout.contains("verdict: REFUSED"),
                    "{name}: {}",
                    text.stdout
                );
                assert!(
                    text.stdout.contains(&format!("error:   {kind} (")),
                    "{name}: {}",
                    text.stdout
                );
                assert!(
                    text.stdout.contains(&format!("http:    {}", case.status)),
                    "{name}: {}",
                    text.stdout
                );
            }
        }

        let json = verify(&pool, &token, case.extra, true);
        assert_eq!(json.code, case.exit, "{name} --json");
        let v = json.json();
        assert_eq!(v["command"], "verify");
        assert_eq!(v["exit_code"], case.exit, "{name}");
        assert_eq!(v["http"]["status"], case.status, "{name}");
        let steps = v["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 11, "{name}");
        assert_eq!(steps[0]["step"], "structure");
        match case.refused {
            None => {
                assert_eq!(v["verdict"], "accepted", "{name}");
                assert!(v["error"].is_null(), "{name}");
                assert!(steps.iter().all(|s| s["status"] == "ok"), "{name}: {v}");
            }
            Some((kind, step)) => {
                assert_eq!(v["verdict"], "refused", "{name}");
                assert_eq!(v["error"]["kind"], kind, "{name}");
                let at = steps.iter().position(|s| s["step"] == step).unwrap();
                assert_eq!(steps[at]["status"], "failed", "{name}: {v}");
                assert!(
                    steps[..at].iter().all(|s| s["status"] == "ok"),
                    "{name}: {v}"
                );
                assert!(
                    steps[at + 1..].iter().all(|s| s["status"] == "not_checked"),
                    "{name}: {v}"
                );
                let challenge = v["http"]["www_authenticate"].as_str().unwrap();
                let code = if case.status == 403 {
                    "insufficient_scope"
                } else {
                    "invalid_token"
                };
                assert!(
                    challenge.contains(&format!("error=\"{code}\"")),
                    "{name}: {challenge}"
                );
            }
        }
    }
}

#[test]
fn missing_scope_prints_the_403_challenge_naming_the_scope() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().scopes(&["orders/read"]).build();
    let out = verify(&pool, &token, &["--scope", "orders/write"], false);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("http:    403 Forbidden"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "WWW-Authenticate: Bearer error=\"insufficient_scope\", error_description=\"the token lacks the required scope\", scope=\"orders/write\""
        ),
        "{}",
        out.stdout
    );
    // The step says what the token has, next to what is required.
    assert!(out.stdout.contains("[\"orders/read\"]"), "{}", out.stdout);
}

#[test]
fn verify_fetches_keys_from_a_jwks_url_and_exits_3_when_they_are_unavailable() {
    let pool = TestIssuer::cognito();
    let server = JwksServer::start(&pool);
    let token = pool.access_token().build();
    let client = pool.client_id();
    let url = server.url();
    let args = [
        "verify",
        "--pool",
        POOL,
        "--client-id",
        &client,
        "--jwks-url",
        &url,
        "--json",
        &token,
    ];

    let ok = run(&args, None);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    let v = ok.json();
    assert_eq!(v["verdict"], "accepted");
    let key = step_detail(&v, "key");
    assert!(key.contains(&url), "{key}");

    server.set_mode(Mode::Status(503));
    let down = run(&args, None);
    assert_eq!(down.code, 3, "{}{}", down.stdout, down.stderr);
    let v = down.json();
    assert_eq!(v["verdict"], "unavailable");
    assert_eq!(v["error"]["kind"], "keys_unavailable");
    assert_eq!(v["error"]["class"], "unavailable");
    assert_eq!(v["http"]["status"], 503);
    assert!(v["http"]["www_authenticate"].is_null());
    assert!(v["http"]["retry_after"].as_u64().unwrap() >= 1);

    let text = run(&args[..args.len() - 2], Some(token.as_bytes()));
    assert_eq!(text.code, 3);
    assert!(text.stdout.contains("FAILED  key"), "{}", text.stdout);
    assert!(text.stdout.contains("Retry-After: "), "{}", text.stdout);
}

#[test]
fn verify_usage_and_input_errors_exit_2() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().build();
    let client = pool.client_id();
    let no_pool = run(&["verify", "--client-id", &client, &token], None);
    assert_eq!(no_pool.code, 2);
    assert!(no_pool.stderr.contains("--pool"), "{}", no_pool.stderr);

    let bad_pool = run(
        &["verify", "--pool", "nopool", "--client-id", &client, &token],
        None,
    );
    assert_eq!(bad_pool.code, 2);
    assert!(
        bad_pool.stderr.contains("invalid user pool id"),
        "{}",
        bad_pool.stderr
    );

    let leeway = verify(&pool, &token, &["--leeway", "301"], false);
    assert_eq!(leeway.code, 2);
    assert!(leeway.stderr.contains("leeway"), "{}", leeway.stderr);

    let missing = run(
        &[
            "verify",
            "--pool",
            POOL,
            "--client-id",
            &client,
            "--jwks-file",
            "/nonexistent/jwks.json",
            "--json",
            &token,
        ],
        None,
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read the JWKS file"),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.json()["error"]["kind"], "input");
}

#[test]
fn inspect_shows_pool_region_kind_expiry_and_the_not_verified_warning() {
    let pool = TestIssuer::cognito();
    let token = pool
        .access_token()
        .expires_in(1800)
        .scopes(&["orders/read"])
        .build();
    let out = run(&["inspect", &token], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = &out.stdout;
    assert!(s.starts_with("WARNING: nothing was verified"), "{s}");
    assert!(s.contains("kind:    access token"), "{s}");
    assert!(
        s.contains("Cognito user pool us-east-1_TestPool1, region us-east-1"),
        "{s}"
    );
    assert!(
        s.contains("expires in 29 min") || s.contains("expires in 30 min"),
        "{s}"
    );
    assert!(s.contains(" UTC "), "{s}");
    assert!(s.contains("\"orders/read\""), "{s}");
    // Neither the token nor its signature is printed.
    let signature = token.rsplit('.').next().unwrap();
    assert!(!s.contains(signature), "{s}");

    // From standard input too, as `-` or no argument.
    let piped = run(&["inspect", "-"], Some(format!("{token}\n").as_bytes()));
    assert_eq!(piped.code, 0);
    assert_eq!(piped.stdout.lines().count(), out.stdout.lines().count());
    let piped = run(&["inspect"], Some(token.as_bytes()));
    assert_eq!(piped.code, 0);
    assert!(piped.stdout.contains("region us-east-1"));
}

#[test]
fn inspect_an_expired_id_token_of_the_other_issuer_form() {
    let pool = TestIssuer::with_issuer_url(
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
    );
    let token = pool.id_token().expires_in(-180).build();
    let out = run(&["inspect", &token], None);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("kind:    ID token"), "{}", out.stdout);
    assert!(out.stdout.contains("expired 3 min ago"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "Cognito user pool eu-west-1_AbC123, region eu-west-1 (issuer-cognito-idp form)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn inspect_json_fields() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().expires_in(600).build();
    let out = run(&["inspect", "--json", &token], None);
    assert_eq!(out.code, 0);
    let v = out.json();
    assert_eq!(v["command"], "inspect");
    assert_eq!(v["verified"], false);
    assert!(
        v["warning"]
            .as_str()
            .unwrap()
            .contains("nothing was verified")
    );
    assert_eq!(v["token_use"], "access");
    assert_eq!(v["header"]["kid"], "test-key-1");
    assert_eq!(v["claims"]["client_id"], pool.client_id());
    assert_eq!(v["issuer"]["iss"], pool.issuer());
    assert_eq!(v["issuer"]["cognito"]["pool_id"], POOL);
    assert_eq!(v["issuer"]["cognito"]["region"], "us-east-1");
    assert_eq!(v["issuer"]["cognito"]["form"], "cognito-idp");
    let exp = &v["times"][0];
    assert_eq!(exp["claim"], "exp");
    assert_eq!(exp["unix"], v["claims"]["exp"]);
    assert!(exp["utc"].as_str().unwrap().ends_with(" UTC"));
    assert!(
        exp["relative"].as_str().unwrap().starts_with("expires in "),
        "{exp}"
    );
    assert_eq!(v["signature_bytes"], 256);
}

#[test]
fn inspect_names_what_is_malformed_and_exits_2() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().build();
    let mut parts = token.split('.');
    let (h, _, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let cases = [
        (
            "a.b".to_owned(),
            "3 segments separated by '.', this token has 2",
        ),
        (
            format!("{h}.eyJ=.{s}"),
            "the payload segment is not unpadded base64url",
        ),
        (
            format!("{h}.WzFd.{s}"),
            "the payload segment is JSON but not an object",
        ),
        (
            format!("{h}.{}.", token.split('.').nth(1).unwrap()),
            "the signature segment is empty",
        ),
        ("a.b.c.d.e".to_owned(), "encrypted JWE"),
    ];
    for (bad, message) in cases {
        let out = run(&["inspect", &bad], None);
        assert_eq!(out.code, 2, "{bad}");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(message), "{bad}: {}", out.stderr);
        let json = run(&["inspect", "--json", &bad], None);
        assert_eq!(json.code, 2);
        assert_eq!(json.json()["error"]["kind"], "malformed_token");
    }
    // Garbage on standard input: no panic, a clear error.
    let garbage = run(&["inspect"], Some(&[0xff, 0xfe, 0x00, 0x1b]));
    assert_eq!(garbage.code, 2);
    assert!(garbage.stderr.contains("not UTF-8"), "{}", garbage.stderr);
    let empty = run(&["inspect"], Some(b"  \n"));
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("no token"), "{}", empty.stderr);
}

/// Characters a terminal would obey: ESC (colours, title, clear screen), BEL,
/// the C1 CSI and a right-to-left override.
const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}";

fn assert_inert(out: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!out.contains(c), "raw {:?} in {out:?}", c);
    }
}

#[test]
fn control_characters_in_claims_are_printed_escaped() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().claim("username", HOSTILE).build();
    let out = run(&["inspect", &token], None);
    assert_eq!(out.code, 0);
    assert_inert(&out.stdout);
    assert!(
        out.stdout
            .contains(r#""username": "evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e""#),
        "{}",
        out.stdout
    );
    let json = run(&["inspect", "--json", &token], None);
    assert_inert(&json.stdout);
    assert_eq!(json.json()["claims"]["username"], HOSTILE);

    // In verify's step lines and error too.
    let token = pool.access_token().client_id(HOSTILE).kid(HOSTILE).build();
    for json in [false, true] {
        let out = verify(&pool, &token, &[], json);
        assert_eq!(out.code, 1);
        assert_inert(&out.stdout);
        assert_inert(&out.stderr);
    }
    let iss_token = TestIssuer::with_issuer_url(HOSTILE).access_token().build();
    let out = run(&["inspect", &iss_token], None);
    assert_inert(&out.stdout);
    assert!(
        out.stdout.contains("evil\\u{1b}]0;pwned\\u{7}"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_pasted_authorization_header_is_reduced_to_its_token() {
    let pool = TestIssuer::cognito();
    let token = pool.access_token().build();
    for pasted in [
        format!("Bearer {token}"),
        format!("bearer   {token}"),
        format!("Authorization: Bearer {token}"),
        format!("authorization:bearer\t{token}\n"),
    ] {
        let out = verify(&pool, &pasted, &[], true);
        assert_eq!(out.code, 0, "{pasted:?}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.json()["verdict"], "accepted");
        let inspected = run(&["inspect", "--json", "-"], Some(pasted.as_bytes()));
        assert_eq!(inspected.code, 0, "{pasted:?}: {}", inspected.stderr);
        assert_eq!(inspected.json()["token_use"], "access");
    }
    // Only the scheme is taken off: a word that merely starts like it is not.
    let glued = format!("Bearer{token}");
    let out = verify(&pool, &glued, &[], true);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "malformed_token");
}

#[test]
fn any_client_skips_the_client_check_and_says_so() {
    let pool = TestIssuer::cognito();
    let file = jwks_file(&pool);
    let path = file.path().to_str().unwrap().to_owned();
    let token = pool
        .access_token()
        .claim("client_id", "someotherclient")
        .build();
    let base = ["verify", "--pool", POOL, "--jwks-file", &path, "--json"];

    let mut any = base.to_vec();
    any.extend(["--any-client", &token]);
    let out = run(&any, None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    let client = step_detail(&v, "client");
    assert!(client.contains("any client"), "{client}");

    let own = pool.client_id();
    let mut pinned = base.to_vec();
    pinned.extend(["--client-id", &own, &token]);
    let out = run(&pinned, None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "client_not_allowed");

    let mut both = base.to_vec();
    both.extend(["--client-id", &own, "--any-client", &token]);
    assert_eq!(run(&both, None).code, 2);
    let mut neither = base.to_vec();
    neither.push(&token);
    let out = run(&neither, None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--client-id"), "{}", out.stderr);
}

#[test]
fn issuer_takes_a_cognito_url_as_its_pool_and_any_other_url_exactly() {
    // A Cognito issuer URL (either form) means that pool.
    let pool = TestIssuer::cognito();
    let file = jwks_file(&pool);
    let path = file.path().to_str().unwrap().to_owned();
    let client = pool.client_id();
    let token = pool.access_token().build();
    let iss = pool.issuer();
    let args = [
        "verify",
        "--issuer",
        &iss,
        "--client-id",
        &client,
        "--jwks-file",
        &path,
        "--json",
        &token,
    ];
    let out = run(&args, None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        step_detail(&out.json(), "issuer").contains("the pool us-east-1_TestPool1"),
        "{}",
        out.stdout
    );

    // Any other issuer: its keys default to {issuer}/.well-known/jwks.json.
    let local = TestIssuer::cognito();
    let server = JwksServer::start(&local);
    local.set_issuer_url(server.base_url());
    let token = local.access_token().build();
    let iss = local.issuer();
    let client = local.client_id();
    let args = [
        "verify",
        "--issuer",
        &iss,
        "--client-id",
        &client,
        "--json",
        &token,
    ];
    let out = run(&args, None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert!(
        step_detail(&v, "issuer").contains("the issuer http://127.0.0.1:"),
        "{v}"
    );
    assert!(
        step_detail(&v, "key").contains(&format!("{iss}/.well-known/jwks.json")),
        "{v}"
    );
    assert_eq!(server.fetch_count(), 1);

    // Exactly: a trailing slash is another issuer.
    let slash = format!("{iss}/");
    let args = [
        "verify",
        "--issuer",
        &slash,
        "--client-id",
        &client,
        "--json",
        &token,
    ];
    let out = run(&args, None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(out.json()["error"]["kind"], "untrusted_issuer");

    // --pool and --issuer together are a usage error.
    let args = [
        "verify",
        "--pool",
        POOL,
        "--issuer",
        &iss,
        "--client-id",
        &client,
        &token,
    ];
    assert_eq!(run(&args, None).code, 2);
}

#[test]
fn usage_errors_with_json_print_the_json_error_object() {
    for (name, args, command, message) in [
        (
            "an unknown option",
            &["verify", "--json", "--bogus"][..],
            "verify",
            "unexpected argument '--bogus' found",
        ),
        (
            "a required option missing",
            &["verify", "--client-id", "abc", "--json", "eyJ"][..],
            "verify",
            "--pool <ID>",
        ),
        (
            "a bad value",
            &["serve", "--port", "notaport", "--json"][..],
            "serve",
            "invalid value 'notaport' for '--port <PORT>'",
        ),
        (
            "an unknown command",
            &["--json", "verfy"][..],
            "cognito-jwt",
            "unexpected argument '--json' found",
        ),
    ] {
        let out = run(args, None);
        assert_eq!(out.code, 2, "{name}");
        let json = out.json();
        assert_eq!(json["command"], command, "{name}: {json}");
        assert_eq!(json["exit_code"], 2, "{name}");
        assert_eq!(json["error"]["kind"], "usage", "{name}");
        let m = json["error"]["message"].as_str().unwrap();
        assert!(m.contains(message), "{name}: {m}");
        assert!(!m.starts_with("error:"), "{name}: {m}");
        // Clap's text still goes to standard error.
        assert!(out.stderr.contains(message), "{name}: {}", out.stderr);
    }
    // Without --json: clap's text only, nothing on standard output.
    let plain = run(&["verify", "--bogus"], None);
    assert_eq!(plain.code, 2);
    assert_eq!(plain.stdout, "");
    // --help and --version are not errors, --json or not.
    for args in [
        &["verify", "--json", "--help"][..],
        &["--version", "--json"][..],
    ] {
        let out = run(args, None);
        assert_eq!(out.code, 0, "{args:?}");
        assert!(
            serde_json::from_str::<Value>(&out.stdout).is_err(),
            "{args:?}: {}",
            out.stdout
        );
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

//! The `cognito-jwt` binary, run on tokens minted by the testkit.

use std::io::Write as _;

use assert_cmd::Command;
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, AlbTokenBuilder, JwksServer, Mode, TestIssuer};
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

// ALB data tokens (`x-amzn-oidc-data`).

/// `verify --alb-arn` with the load balancer's ARN, client, pool and key
/// server, plus `extra` options.
fn alb_verify(
    alb: &AlbIssuer,
    keys: &AlbKeyServer,
    token: &str,
    extra: &[&str],
    json: bool,
) -> Run {
    let url = keys.url();
    let mut args = vec![
        "verify",
        "--alb-arn",
        alb.arn(),
        "--client-id",
        alb.client_id(),
        "--pool",
        alb.user_pool_id(),
        "--alb-keys-url",
        &url,
    ];
    args.extend_from_slice(extra);
    if json {
        args.push("--json");
    }
    args.push(token);
    run(&args, None)
}

/// The ALB checks, in order.
const ALB_STEPS: [&str; 13] = [
    "structure",
    "alg",
    "kid",
    "header",
    "signer",
    "client",
    "issuer",
    "key",
    "signature",
    "payload",
    "exp",
    "sub",
    "groups",
];

struct AlbCase {
    name: &'static str,
    token: fn(&AlbIssuer) -> AlbTokenBuilder,
    extra: &'static [&'static str],
    exit: i32,
    /// The error kind and the step it fails, `None` when accepted.
    refused: Option<(&'static str, &'static str)>,
    status: u16,
}

const OTHER_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/other/0123456789abcdef";

const ALB_CASES: &[AlbCase] = &[
    AlbCase {
        name: "accepted, padded as a load balancer pads",
        token: AlbIssuer::data_token,
        extra: &[],
        exit: 0,
        refused: None,
        status: 200,
    },
    AlbCase {
        name: "accepted, unpadded",
        token: |a| a.data_token().unpadded(),
        extra: &[],
        exit: 0,
        refused: None,
        status: 200,
    },
    AlbCase {
        name: "accepted with a group the payload carries",
        token: |a| a.data_token().claim("cognito:groups", vec!["admin"]),
        extra: &["--group", "admin"],
        exit: 0,
        refused: None,
        status: 200,
    },
    AlbCase {
        name: "a group the payload lacks",
        token: AlbIssuer::data_token,
        extra: &["--group", "admin"],
        exit: 1,
        refused: Some(("missing_group", "groups")),
        status: 403,
    },
    AlbCase {
        name: "signed by another load balancer",
        token: |a| a.data_token().header("signer", OTHER_ARN),
        extra: &[],
        exit: 1,
        refused: Some(("untrusted_signer", "signer")),
        status: 401,
    },
    AlbCase {
        name: "another app client",
        token: |a| a.data_token().header("client", "someotherclient"),
        extra: &[],
        exit: 1,
        refused: Some(("client_not_allowed", "client")),
        status: 401,
    },
    AlbCase {
        name: "another issuer in the header",
        token: |a| {
            a.data_token().header(
                "iss",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
            )
        },
        extra: &[],
        exit: 1,
        refused: Some(("untrusted_issuer", "issuer")),
        status: 401,
    },
    AlbCase {
        name: "another issuer in the payload only",
        token: |a| {
            a.data_token().claim(
                "iss",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
            )
        },
        extra: &[],
        exit: 1,
        refused: Some(("untrusted_issuer", "payload")),
        status: 401,
    },
    AlbCase {
        name: "expired",
        token: |a| a.data_token().expires_in(-600),
        extra: &[],
        exit: 1,
        refused: Some(("expired", "exp")),
        status: 401,
    },
    AlbCase {
        name: "expired, but within the leeway",
        token: |a| a.data_token().expires_in(-60),
        extra: &["--leeway", "120"],
        exit: 0,
        refused: None,
        status: 200,
    },
    AlbCase {
        name: "signed by another key",
        token: |a| a.data_token().sign_with(&AlbIssuer::new().current_key()),
        extra: &[],
        exit: 1,
        refused: Some(("invalid_signature", "signature")),
        status: 401,
    },
    AlbCase {
        name: "a kid the key host does not have (404)",
        token: |a| {
            a.data_token()
                .header("kid", "00000000-0000-4000-8000-000000000000")
        },
        extra: &[],
        exit: 1,
        refused: Some(("unknown_key", "key")),
        status: 401,
    },
    AlbCase {
        name: "not ES256",
        token: |a| a.data_token().header("alg", "RS256"),
        extra: &[],
        exit: 1,
        refused: Some(("algorithm_not_allowed", "alg")),
        status: 401,
    },
    AlbCase {
        name: "no client in the header",
        token: |a| a.data_token().remove_header("client"),
        extra: &[],
        exit: 1,
        refused: Some(("bad_header", "header")),
        status: 401,
    },
    AlbCase {
        name: "no sub",
        token: |a| a.data_token().remove_claim("sub"),
        extra: &[],
        exit: 1,
        refused: Some(("bad_claim", "sub")),
        status: 401,
    },
];

#[test]
fn verify_alb_table() {
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    for case in ALB_CASES {
        let token = (case.token)(&alb).build();
        let name = case.name;

        let text = alb_verify(&alb, &keys, &token, case.extra, false);
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
            }
            Some((kind, step)) => {
                assert_eq!(failed, [step], "{name}: {}", text.stdout);
                assert!(
                    text.stdout.contains(&format!("error:   {kind} (")),
                    "{name}: {}",
                    text.stdout
                );
            }
        }
        assert!(
            text.stdout.contains(&format!("http:    {}", case.status)),
            "{name}: {}",
            text.stdout
        );

        let json = alb_verify(&alb, &keys, &token, case.extra, true);
        assert_eq!(json.code, case.exit, "{name} --json");
        let v = json.json();
        assert_eq!(v["command"], "verify");
        assert_eq!(v["exit_code"], case.exit, "{name}");
        assert_eq!(v["http"]["status"], case.status, "{name}");
        let steps = v["steps"].as_array().unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(names, ALB_STEPS, "{name}");
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
                let code = if case.status == 403 {
                    "insufficient_scope"
                } else {
                    "invalid_token"
                };
                let challenge = v["http"]["www_authenticate"].as_str().unwrap();
                assert!(
                    challenge.contains(&format!("error=\"{code}\"")),
                    "{name}: {challenge}"
                );
            }
        }
    }
}

#[test]
fn verify_alb_json_fields() {
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let token = alb.data_token().build();
    let out = alb_verify(&alb, &keys, &token, &[], true);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["verdict"], "accepted");
    assert_eq!(v["header"]["signer"], alb.arn());
    assert_eq!(v["claims"]["sub"], alb.sub());
    let a = &v["alb"];
    assert_eq!(a["trusted_signers"], serde_json::json!([alb.arn()]));
    assert_eq!(a["client_ids"], serde_json::json!([alb.client_id()]));
    assert_eq!(a["issuer"], alb.issuer());
    assert_eq!(a["keys_url"], keys.url());
    let t = &a["token"];
    assert_eq!(t["encoding"], "padded");
    assert_eq!(t["signer"], alb.arn());
    assert_eq!(t["load_balancer"]["region"], "us-east-1");
    assert_eq!(t["load_balancer"]["account"], "123456789012");
    assert_eq!(t["load_balancer"]["name"], "test-alb");
    assert_eq!(t["client"], alb.client_id());
    assert_eq!(t["issuer"]["iss"], alb.issuer());
    let kid = alb.current_key().kid().to_owned();
    assert_eq!(t["kid"], kid.as_str());
    assert_eq!(t["key_url"], format!("{}{kid}", keys.url()));
    assert!(
        t["exp"]["relative"]
            .as_str()
            .unwrap()
            .starts_with("expires in "),
        "{t}"
    );
    assert!(step_detail(&v, "key").contains(&format!("{}{kid}", keys.url())));
    assert!(step_detail(&v, "signer").contains("account 123456789012"));

    // A Cognito verification says `alb: null`.
    let pool = TestIssuer::cognito();
    let cognito = verify(&pool, &pool.access_token().build(), &[], true);
    assert!(cognito.json()["alb"].is_null(), "{}", cognito.stdout);
}

#[test]
fn verify_alb_exits_3_when_the_key_host_is_down() {
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    keys.set_mode(Mode::Status(503));
    let token = alb.data_token().build();
    let v = alb_verify(&alb, &keys, &token, &[], true);
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    let v = v.json();
    assert_eq!(v["verdict"], "unavailable");
    assert_eq!(v["error"]["kind"], "keys_unavailable");
    assert_eq!(v["http"]["status"], 503);
    assert!(v["http"]["www_authenticate"].is_null());
    assert!(v["http"]["retry_after"].as_u64().unwrap() >= 1, "{v}");

    let text = alb_verify(&alb, &keys, &token, &[], false);
    assert_eq!(text.code, 3);
    assert_eq!(failed_steps(&text.stdout), ["key"], "{}", text.stdout);
    assert!(
        text.stdout.contains("http:    503 Service Unavailable"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Retry-After: "), "{}", text.stdout);
}

#[test]
fn verify_alb_refuses_the_options_of_cognito_tokens() {
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let token = alb.data_token().build();
    for (extra, message) in [
        (
            &["--token-use", "id"][..],
            "--token-use is for Cognito tokens",
        ),
        (
            &["--token-use", "access"][..],
            "--token-use is for Cognito tokens",
        ),
        (
            &["--jwks-url", "https://example.com/jwks.json"][..],
            "--jwks-url and --jwks-file are for Cognito tokens",
        ),
        (
            &["--jwks-file", "/nonexistent"][..],
            "--jwks-url and --jwks-file are for Cognito tokens",
        ),
        (
            &["--scope", "orders/read"][..],
            "the load balancer grants no scopes",
        ),
    ] {
        let out = alb_verify(&alb, &keys, &token, extra, false);
        assert_eq!(out.code, 2, "{extra:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{extra:?}: {}", out.stdout);
        assert!(out.stderr.contains(message), "{extra:?}: {}", out.stderr);
        let json = alb_verify(&alb, &keys, &token, extra, true);
        assert_eq!(json.code, 2, "{extra:?}");
        assert_eq!(json.json()["error"]["kind"], "usage", "{extra:?}");
    }

    // --any-client (which replaces --client-id): the load balancer's
    // verifier pins its app clients.
    let arn = alb.arn();
    let any = run(
        &[
            "verify",
            "--alb-arn",
            arn,
            "--any-client",
            "--pool",
            POOL,
            "--json",
            &token,
        ],
        None,
    );
    assert_eq!(any.code, 2, "{}{}", any.stdout, any.stderr);
    assert!(
        any.stderr.contains("pins its app clients"),
        "{}",
        any.stderr
    );
    assert_eq!(any.json()["error"]["kind"], "usage");

    // --alb-keys-url only with --alb-arn.
    let url = keys.url();
    let client = alb.client_id();
    let out = run(
        &[
            "verify",
            "--pool",
            POOL,
            "--client-id",
            client,
            "--alb-keys-url",
            &url,
            &token,
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--alb-arn"), "{}", out.stderr);

    // Not a load balancer ARN.
    let out = run(
        &[
            "verify",
            "--alb-arn",
            "arn:aws:s3:::bucket",
            "--client-id",
            client,
            "--pool",
            POOL,
            &token,
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("arn:aws:s3:::bucket"), "{}", out.stderr);
}

#[test]
fn verify_without_alb_arn_names_an_alb_token_for_what_it_is() {
    let alb = AlbIssuer::new();
    let client = alb.client_id();
    for token in [
        alb.data_token().build(),
        alb.data_token().unpadded().build(),
    ] {
        let pasted = format!("x-amzn-oidc-data: {token}");
        for t in [token.as_str(), pasted.as_str()] {
            let out = run(&["verify", "--pool", POOL, "--client-id", client, t], None);
            assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
            assert!(
                out.stderr.contains("this is an ALB data token")
                    && out.stderr.contains("pass --alb-arn"),
                "{}",
                out.stderr
            );
            assert!(!out.stderr.contains("base64"), "{}", out.stderr);
            let json = run(
                &["verify", "--pool", POOL, "--client-id", client, "--json", t],
                None,
            );
            assert_eq!(json.code, 2);
            assert_eq!(json.json()["error"]["kind"], "usage");
        }
    }
}

#[test]
fn inspect_reads_alb_data_tokens_padded_unpadded_and_pasted() {
    let alb = AlbIssuer::new();
    let kid = alb.current_key().kid().to_owned();
    let padded = alb.data_token().claim("email", "alice@example.com").build();
    assert!(padded.contains('='));
    let unpadded = alb.data_token().unpadded().build();
    assert!(!unpadded.contains('='));
    let key_url = format!("https://public-keys.auth.elb.us-east-1.amazonaws.com/{kid}");
    for (token, encoding) in [
        (padded.clone(), "padded"),
        (unpadded.clone(), "unpadded"),
        (format!("x-amzn-oidc-data: {padded}"), "padded"),
        (format!("X-Amzn-Oidc-Data:{unpadded}\n"), "unpadded"),
    ] {
        let out = run(&["inspect", "-"], Some(token.as_bytes()));
        assert_eq!(out.code, 0, "{token}: {}", out.stderr);
        let s = &out.stdout;
        assert!(s.starts_with("WARNING: nothing was verified"), "{s}");
        assert!(s.contains("kind:    alb data token"), "{s}");
        assert!(s.contains(&format!("signer:  {}", alb.arn())), "{s}");
        assert!(
            s.contains("load balancer test-alb, region us-east-1, account 123456789012"),
            "{s}"
        );
        assert!(s.contains(&format!("client:  {}", alb.client_id())), "{s}");
        assert!(s.contains(&format!("issuer:  {}", alb.issuer())), "{s}");
        assert!(
            s.contains("Cognito user pool us-east-1_TestPool1, region us-east-1"),
            "{s}"
        );
        assert!(s.contains(&format!("key:     {key_url}")), "{s}");
        assert!(s.contains("expires in "), "{s}");
        assert!(s.contains("signature: 64 bytes"), "{s}");
        let signature = token
            .trim()
            .rsplit('.')
            .next()
            .unwrap()
            .trim_end_matches('=');
        assert!(!s.contains(signature), "{s}");

        let json = run(&["inspect", "--json", "-"], Some(token.as_bytes()));
        assert_eq!(json.code, 0);
        let v = json.json();
        assert_eq!(v["kind"], "alb_data_token");
        assert_eq!(v["verified"], false);
        assert_eq!(v["claims"]["sub"], alb.sub());
        let a = &v["alb"];
        assert_eq!(a["encoding"], encoding);
        assert_eq!(a["signer"], alb.arn());
        assert_eq!(a["load_balancer"]["partition"], "aws");
        assert_eq!(a["load_balancer"]["region"], "us-east-1");
        assert_eq!(a["load_balancer"]["account"], "123456789012");
        assert_eq!(a["client"], alb.client_id());
        assert_eq!(a["issuer"]["iss"], alb.issuer());
        assert_eq!(a["issuer"]["cognito"]["pool_id"], POOL);
        assert_eq!(a["kid"], kid.as_str());
        assert_eq!(a["key_url"], key_url.as_str());
        assert!(a["key_url_error"].is_null());
        assert_eq!(a["exp"]["claim"], "exp");
        assert_eq!(v["signature_bytes"], 64);
    }

    // The GovCloud key host; a partition with none built in says so.
    let gov = AlbIssuer::with_arn(
        "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/g/50dc6c495c0c9188",
    );
    let v = run(&["inspect", "--json", &gov.data_token().build()], None).json();
    let kid = gov.current_key().kid().to_owned();
    assert_eq!(
        v["alb"]["key_url"],
        format!(
            "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/{kid}"
        )
    );
    let cn = AlbIssuer::with_arn(
        "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/c/50dc6c495c0c9188",
    );
    let out = run(&["inspect", &cn.data_token().build()], None);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("key:     no key URL: "),
        "{}",
        out.stdout
    );

    // A Cognito token is still `jwt`, with `alb: null`.
    let pool = TestIssuer::cognito();
    let v = run(&["inspect", "--json", &pool.access_token().build()], None).json();
    assert_eq!(v["kind"], "jwt");
    assert!(v["alb"].is_null());
}

#[test]
fn inspect_refuses_padding_a_load_balancer_would_not_write_and_padded_cognito_tokens() {
    let alb = AlbIssuer::new();
    let token = alb.data_token().build();
    // A third `=` on the signature (86 characters and `==` is all it takes).
    let bad = format!("{token}=");
    let out = run(&["inspect", &bad], None);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("the signature segment is not base64url as a load balancer encodes it"),
        "{}",
        out.stderr
    );

    // A Cognito token padded as an encoder pads (256 signature bytes: `==`)
    // is still refused: padding is read only for a header naming a signer.
    let pool = TestIssuer::cognito();
    let padded = format!("{}==", pool.access_token().build());
    let out = run(&["inspect", &padded], None);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("the signature segment is not unpadded base64url"),
        "{}",
        out.stderr
    );
    let json = run(&["inspect", "--json", &padded], None);
    assert_eq!(json.json()["error"]["kind"], "malformed_token");
}

//! The `cognito-jwt` command: look inside an Amazon Cognito JWT, or verify
//! it step by step exactly as an API built on [`cognito_jwt`] would.
//!
//! ```text
//! cargo install --path crates/cognito-jwt-cli
//! cognito-jwt inspect eyJraWQi...            # or: pbpaste | cognito-jwt inspect
//! cognito-jwt verify --pool us-east-1_AbCdEf123 --client-id 1example23456789 \
//!     --scope orders/read eyJraWQi...
//! cognito-jwt verify --alb-arn arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188 \
//!     --pool us-east-1_AbCdEf123 --client-id 1example23456789 'x-amzn-oidc-data: eyJ0eXAi...'
//! ```
//!
//! `inspect [TOKEN]` decodes the token (no argument or `-`: read standard
//! input) and prints its header and claims, the time claims (`exp`, `iat`,
//! `nbf`, `auth_time`) in UTC and relative to now, the kind (`token_use`),
//! the user pool and region its `iss` names, and a warning that nothing was
//! verified. The signature is never printed, nor the token itself.
//!
//! `verify --pool ID --client-id ID… [TOKEN]` builds a
//! [`cognito_jwt::Verifier`] and a [`cognito_jwt::Requirement`] from the
//! options, verifies the token, and prints each check in order (structure,
//! header, issuer, key, signature, claims, times, token_use, client,
//! scopes, groups), the error and the HTTP answer (status,
//! `WWW-Authenticate`, `Retry-After`, body) the middleware would give.
//! `--scope` and `--group` may be repeated; all are required unless
//! `--any-scope` / `--any-group`. Keys come from the pool's JWKS URL, or
//! `--jwks-url URL` (HTTPS, or HTTP on loopback), or `--jwks-file FILE`.
//! `--issuer URL` may replace `--pool`: a Cognito issuer URL (either form)
//! means its pool; any other URL must equal `iss` exactly and its keys
//! default to `{URL}/.well-known/jwks.json`. `--any-client` may replace
//! `--client-id`. A token pasted with its scheme (`Bearer eyJ…`, or the
//! whole `Authorization: Bearer eyJ…` line) is read as the token, and so
//! is a pasted `x-amzn-oidc-data: eyJ…` line.
//!
//! # ALB data tokens
//!
//! An Application Load Balancer's data token (`x-amzn-oidc-data`, verified
//! by [`cognito_jwt::AlbVerifier`]) is recognised by its header naming a
//! `signer`. Only then are its segments read with the load balancer's `=`
//! padding (exactly what an encoder writes, or none): a padded Cognito
//! token is still refused as not unpadded base64url. `inspect` shows the
//! kind `alb data token`, the load balancer (`signer`: its ARN, name,
//! region, account and partition), the app client (`client`), the issuer
//! (the header's `iss` and the pool it names), the URL of its key
//! (`{key host}/{kid}`, the key host of the ARN's region and partition as
//! `AlbVerifier` defaults to it: `https://public-keys.auth.elb.{region}.amazonaws.com`,
//! or GovCloud's; other partitions have none) and the header's `exp`.
//!
//! `verify --alb-arn ARN [--alb-arn ARN…] --client-id ID… (--pool ID |
//! --issuer URL) [--alb-keys-url URL] [--group G…] [TOKEN]` builds an
//! [`cognito_jwt::AlbVerifier`] (`--pool`: `iss` must be
//! `https://cognito-idp.{region}.amazonaws.com/{pool}`; `--issuer`: exactly
//! this URL; keys from the ARN's key host, or `--alb-keys-url`), verifies
//! the token and prints each check in `AlbVerifier`'s order: `structure`
//! (segments, base64url, header JSON without `crit`/`b64`), `alg`
//! (`ES256`), `kid` (a safe URL path segment), `header` (`signer`,
//! `client`, `iss`, `exp` present), `signer` (a pinned ARN), `client`,
//! `issuer` (the header's `iss`), `key` (fetched for `kid`), `signature`,
//! `payload` (a JSON object; its `iss`, when present, the trusted one),
//! `exp` (the earlier of the header's and the payload's; the payload's
//! `nbf`), `sub`, `groups` (`--group`: the payload's `cognito:groups`,
//! which a load balancer's userinfo claims do not carry). Exit codes,
//! error and HTTP answer are as for Cognito tokens. `--token-use`,
//! `--jwks-url`, `--jwks-file` and `--any-client` are for Cognito tokens
//! and refused with `--alb-arn` (exit 2, `kind` `usage`), as is `--scope`:
//! the load balancer grants no scopes, so a verified data token has none
//! and every scope rule would refuse it (403). Without `--alb-arn`, an ALB
//! data token is refused with exit 2 (`kind` `usage`): "this is an ALB
//! data token … pass --alb-arn".
//!
//! Everything printed that comes from the token is escaped: control
//! characters and bidirectional overrides appear as `\u{…}` (in JSON as
//! `\uXXXX`), so a token cannot drive the terminal.
//!
//! `serve` runs a local Cognito issuer for tests: the testkit's
//! `LocalIssuer` with Cognito's OAuth 2.0 endpoints (`/oauth2/token` with
//! `client_credentials`, `authorization_code` + PKCE S256 and
//! `refresh_token`; `/oauth2/authorize`, which signs in a configured test
//! user without a form; `/oauth2/revoke`; the JWKS; the discovery document)
//! on `--bind` (default `127.0.0.1`; another address needs
//! `--allow-non-loopback`) and `--port` (default 8420), advertising
//! `--public-url URL` instead of `http://ADDR:PORT` when given (the name
//! clients reach it by, in discovery, the printed URLs and, with
//! `--loopback-issuer`, `iss`). Its clients,
//! resource servers and users are the testkit's defaults, or those of
//! `--config FILE` (JSON: `{"clients": [{"id", "secret", "grants",
//! "scopes", "callback_urls", "refresh_token_rotation",
//! "refresh_token_validity_secs"}],
//! "resource_servers": [{"identifier", "scopes"}], "users": [{"username",
//! "sub", "groups", "attributes"}]}`), plus `--resource-server
//! ID=S,S`, `--machine-client ID:SECRET=S,S`, `--client ID=CALLBACK` and
//! `--user NAME=G,G`. Secrets may hold only ASCII letters, digits and
//! `- . _ ~` (so HTTP Basic matches sent raw or form-urlencoded), and
//! `refresh_token_validity_secs` is 1 to 315360000 (10 years); anything
//! else is refused (exit 2). It prints its URLs, clients and users, then
//! serves until stopped.
//!
//! ```text
//! cognito-jwt serve --json &
//! curl -s -u testmachine1234567890abcde:testsecret0123456789abcdefghijklmnopqrstuvwxyz \
//!     http://127.0.0.1:8420/oauth2/token -d grant_type=client_credentials
//! ```
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | `inspect`: the token was decoded; `verify`: the token is accepted (ALB data tokens alike) |
//! | 1 | `verify`: the token is refused (malformed tokens included) |
//! | 2 | usage or input error: bad options (Cognito-only options with `--alb-arn`, an ALB data token without it), unreadable JWKS file or stdin, `inspect` of a malformed token; `serve`: a configuration it refuses or an address it cannot bind |
//! | 3 | `verify`: the keys could not be fetched (HTTP 503), nothing was decided |
//!
//! # `--json`
//!
//! Every command then prints one JSON object on standard output. Fields of
//! `inspect --json`:
//!
//! - `command`: `"inspect"`; `verified`: always `false`; `warning`: text.
//! - `header`, `claims`: the decoded JSON objects.
//! - `token_use`: the claim if it is a string, else `null`.
//! - `issuer`: `null`, or `{"iss", "cognito"}` where `cognito` is `null` or
//!   `{"form": "cognito-idp" | "issuer-cognito-idp", "region", "pool_id"}`.
//! - `times`: `[{"claim", "unix", "utc", "relative"}]` for each of `exp`,
//!   `iat`, `nbf`, `auth_time` present (`unix`/`utc` are `null` when not
//!   an integer or out of range).
//! - `signature_bytes`: the signature's length.
//! - `kind`: `"alb_data_token"` for an ALB data token, else `"jwt"`.
//! - `alb`: `null`, or for an ALB data token what its header says:
//!   `{"encoding": "padded" | "unpadded", "signer", "load_balancer":
//!   null | {"partition", "region", "account", "name", "id"}, "client",
//!   "issuer": null | {"iss", "cognito"}, "kid", "key_url",
//!   "key_url_error", "exp": null | {"claim", "unix", "utc", "relative"}}`
//!   (`signer`, `client`, `kid` are `null` when not strings; `key_url` is
//!   `null` and `key_url_error` says why when no URL can be made).
//!
//! Fields of `verify --json`:
//!
//! - `command`: `"verify"`; `verdict`: `"accepted"`, `"refused"` or
//!   `"unavailable"`; `exit_code`: as above.
//! - `steps`: `[{"step", "status", "detail"}]`, `status` one of `"ok"`,
//!   `"failed"`, `"not_checked"`, `step` one of the checks listed above.
//! - `error`: `null`, or `{"kind", "class", "message",
//!   "client_description"}`: [`cognito_jwt::Error::kind`], the
//!   [`cognito_jwt::ErrorClass`] in snake case, its `Display` and
//!   [`cognito_jwt::Error::client_description`].
//! - `http`: `{"status", "www_authenticate", "retry_after", "body"}` from
//!   [`cognito_jwt::Challenge`] (`200` and `null`s when accepted).
//! - `header`, `claims`: the decoded token, `null` if it cannot be decoded
//!   (with `--alb-arn`, `header` is still given when only the payload
//!   cannot be).
//! - `alb`: `null`, or with `--alb-arn`: `{"trusted_signers", "client_ids",
//!   "issuer", "keys_url", "token"}`: the pinned ARNs, the allowed app
//!   clients, the issuer `iss` must equal, the URL keys are fetched from
//!   (`{keys_url}{kid}`), and `token`, the `alb` object of `inspect --json`
//!   (its `key_url` under this `keys_url`), `null` when the header cannot
//!   be decoded.
//!
//! Fields of `serve --json` (one line, once it listens): `command`:
//! `"serve"`; `listen`: the bound address (`127.0.0.1:8420`); `issuer`,
//! `jwks_uri`, `discovery`, `token_endpoint`,
//! `authorization_endpoint`, `revocation_endpoint`: URLs; `clients`:
//! `[{"id", "secret", "grants", "scopes", "callback_urls"}]`; `users`:
//! `[{"username", "sub", "groups"}]`.
//!
//! An input or usage error (exit 2) with `--json` prints `{"command",
//! "exit_code": 2, "error": {"kind", "message"}}`, `kind` being
//! `malformed_token`, `input`, or `usage` for options the command line
//! parser refuses (an unknown or missing option, a bad value: its message,
//! usage lines included; `command` is the subcommand named, or
//! `"cognito-jwt"`); the message also goes to standard error. `--help` and
//! `--version` print their text, exit 0, whatever else is given.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod decode;
mod inspect;
mod issuer;
mod serve;
mod text;
mod times;
mod verify;

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::verify::{AlbConfig, Config, Keys, Trust, UseChoice};

/// Most bytes read from standard input: a token is a few KiB.
const MAX_STDIN: u64 = 1024 * 1024;

/// Inspect or verify an Amazon Cognito JWT, or an ALB data token (x-amzn-oidc-data).
///
/// Exit codes: 0 decoded (inspect) or accepted (verify); 1 refused; 2 usage
/// or input error, or a malformed token given to inspect; 3 the keys could
/// not be fetched. With --json, one JSON object on stdout (fields: see the
/// crate documentation of cognito-jwt-cli).
#[derive(Debug, Parser)]
#[command(name = "cognito-jwt", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a token and show its header, claims, times, kind and pool. NOTHING IS VERIFIED.
    ///
    /// An ALB data token (its header names a signer; `=` padding as a load
    /// balancer writes it, or none) also shows the load balancer (ARN,
    /// region, account), app client, issuer and key URL.
    /// JSON fields (--json): command, verified (false), warning, kind
    /// (jwt|alb_data_token), header, claims, token_use, issuer {iss, cognito
    /// {form, region, pool_id}}, times [{claim, unix, utc, relative}],
    /// signature_bytes, alb (null, or {encoding, signer, load_balancer
    /// {partition, region, account, name, id}, client, issuer, kid, key_url,
    /// key_url_error, exp}).
    Inspect(InspectArgs),
    /// Verify a token as an API would and show each check, the error and the HTTP answer.
    ///
    /// With --alb-arn, an ALB data token as AlbVerifier verifies it (checks:
    /// structure, alg, kid, header, signer, client, issuer, key, signature,
    /// payload, exp, sub, groups); --token-use, --jwks-url, --jwks-file,
    /// --any-client and --scope are then refused (exit 2).
    /// JSON fields (--json): command, verdict (accepted|refused|unavailable),
    /// exit_code, steps [{step, status (ok|failed|not_checked), detail}],
    /// error {kind, class, message, client_description}, http {status,
    /// www_authenticate, retry_after, body}, header, claims, alb (null, or
    /// {trusted_signers, client_ids, issuer, keys_url, token}).
    Verify(VerifyArgs),
    /// Run a local Cognito issuer with the OAuth 2.0 grants (for tests), on --port (default 8420).
    ///
    /// Serves /oauth2/token (client_credentials, authorization_code with
    /// PKCE S256, refresh_token), /oauth2/authorize (signs in a test user
    /// without a form), /oauth2/revoke, the JWKS and the discovery document.
    /// JSON fields (--json): command, issuer, jwks_uri, discovery,
    /// token_endpoint, authorization_endpoint, revocation_endpoint, clients
    /// [{id, secret, grants, scopes, callback_urls}], users [{username, sub,
    /// groups}].
    Serve(serve::ServeArgs),
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The token; `-` or nothing: read it from standard input.
    token: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The user pool id, for example us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID", required_unless_present = "issuer")]
    pool: Option<String>,
    /// Or an issuer URL: a Cognito issuer (either form) means its pool; any
    /// other (emulators, other OpenID providers) must equal `iss` exactly.
    /// With --alb-arn, `iss` must equal it exactly.
    #[arg(long, value_name = "URL", conflicts_with = "pool")]
    issuer: Option<String>,
    /// An app client id that is allowed (repeat for more).
    #[arg(
        long = "client-id",
        value_name = "ID",
        required_unless_present = "any_client"
    )]
    client_ids: Vec<String>,
    /// Accept every app client of the pool (the client check is skipped).
    #[arg(long, conflicts_with = "client_ids")]
    any_client: bool,
    /// Which tokens are accepted [default: access]. Not with --alb-arn.
    #[arg(long, value_enum)]
    token_use: Option<UseChoice>,
    /// A scope the token must carry (repeat: all of them are required). Not
    /// with --alb-arn: the load balancer grants no scopes.
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// One of the --scope values is enough.
    #[arg(long, requires = "scopes")]
    any_scope: bool,
    /// A group (cognito:groups) the user must be in (repeat: all of them).
    /// With --alb-arn: the payload's, which a load balancer's userinfo
    /// claims do not carry.
    #[arg(long = "group", value_name = "G")]
    groups: Vec<String>,
    /// One of the --group values is enough.
    #[arg(long, requires = "groups")]
    any_group: bool,
    /// Fetch the keys from this URL instead of the pool's (HTTPS, or HTTP on loopback).
    #[arg(long, value_name = "URL", conflicts_with = "jwks_file")]
    jwks_url: Option<String>,
    /// Read the keys (a JWKS document) from this file; nothing is fetched.
    #[arg(long, value_name = "FILE")]
    jwks_file: Option<PathBuf>,
    /// Verify an ALB data token (x-amzn-oidc-data) signed by the load
    /// balancer with this ARN (repeat for more, in one region), as
    /// cognito_jwt::AlbVerifier does; --pool or --issuer names the identity
    /// provider, --client-id the app clients.
    #[arg(long = "alb-arn", value_name = "ARN")]
    alb_arns: Vec<String>,
    /// With --alb-arn: fetch the load balancer's keys from {URL}/{kid}
    /// instead of its region's key host (HTTPS, or HTTP on loopback).
    #[arg(long, value_name = "URL", requires = "alb_arns")]
    alb_keys_url: Option<String>,
    /// Clock skew allowed on exp, nbf and iat, in seconds (at most 300) [default: 30].
    #[arg(long, value_name = "SECS")]
    leeway: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The token; `-` or nothing: read it from standard input.
    token: Option<String>,
}

/// Run the command line with the process's arguments; the result is the exit code.
pub fn run() -> u8 {
    run_with(std::env::args_os())
}

/// Run the command line with these arguments (the first is the program
/// name); the result is the exit code.
pub fn run_with<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors: they print what they print.
            let json = args.iter().skip(1).any(|a| a == "--json");
            if json && e.use_stderr() {
                usage_error_json(&args, &e);
                return 2;
            }
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    match cli.command {
        Command::Inspect(args) => run_inspect(&args),
        Command::Verify(args) => run_verify(&args),
        Command::Serve(args) => match serve::run(&args) {
            Ok(never) => match never {},
            Err(message) => input_error("serve", args.json(), "input", &message),
        },
    }
}

/// Write to standard output, ignoring a closed pipe.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

fn json_out(value: &impl Serialize) {
    let json = serde_json::to_string(value).unwrap_or_default();
    out(&format!("{}\n", text::json_safe(&json)));
}

#[derive(Serialize)]
struct InputError<'a> {
    command: &'static str,
    exit_code: u8,
    error: InputErrorInfo<'a>,
}

#[derive(Serialize)]
struct InputErrorInfo<'a> {
    kind: &'static str,
    message: &'a str,
}

/// Report an input error (exit code 2).
fn input_error(command: &'static str, json: bool, kind: &'static str, message: &str) -> u8 {
    let message = text::escape(message);
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "cognito-jwt {command}: error: {message}");
    if json {
        json_out(&InputError {
            command,
            exit_code: 2,
            error: InputErrorInfo {
                kind,
                message: &message,
            },
        });
    }
    2
}

/// A command-line usage error with `--json`: the JSON error object of the
/// other exit-2 errors, `kind` `"usage"`, clap's message (without its
/// `error: ` prefix) as `message`. Clap's text went to standard error.
fn usage_error_json(args: &[std::ffi::OsString], e: &clap::Error) {
    let command = args
        .iter()
        .skip(1)
        .find_map(|a| match a.to_str() {
            Some("inspect") => Some("inspect"),
            Some("verify") => Some("verify"),
            Some("serve") => Some("serve"),
            _ => None,
        })
        .unwrap_or("cognito-jwt");
    let rendered = e.render().to_string();
    let message = rendered.trim();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    json_out(&InputError {
        command,
        exit_code: 2,
        error: InputErrorInfo {
            kind: "usage",
            message,
        },
    });
}

/// The token from the argument, or from standard input for `-` or none.
fn read_token(arg: Option<&str>) -> Result<String, String> {
    let token = match arg {
        Some(token) if token != "-" => token.to_owned(),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let _ = writeln!(
                    std::io::stderr(),
                    "reading the token from standard input (end with Ctrl-D)"
                );
            }
            let mut bytes = Vec::new();
            stdin
                .lock()
                .take(MAX_STDIN.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_STDIN {
                return Err("standard input holds more than 1 MiB; a token is a few KiB".into());
            }
            String::from_utf8(bytes).map_err(|_| "standard input is not UTF-8 text".to_owned())?
        }
    };
    let token = without_scheme(token.trim());
    if token.is_empty() {
        return Err("no token given (argument or standard input)".into());
    }
    Ok(token.to_owned())
}

/// A pasted `Authorization` header line or value, reduced to the token:
/// `Authorization: Bearer eyJ…` and `Bearer eyJ…` (any case) both give
/// `eyJ…`, and so does a pasted `x-amzn-oidc-data: eyJ…` line.
fn without_scheme(text: &str) -> &str {
    if let Some(rest) = strip_prefix_ignore_case(text, "x-amzn-oidc-data:") {
        return rest.trim_start();
    }
    let text = strip_prefix_ignore_case(text, "authorization:").map_or(text, str::trim_start);
    match strip_prefix_ignore_case(text, "bearer") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => text,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn run_inspect(args: &InspectArgs) -> u8 {
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err(message) => return input_error("inspect", args.json, "input", &message),
    };
    let (decoded, kind) = match decode::decode_any(&token) {
        Ok(decoded) => decoded,
        Err(e) => {
            let message = format!("malformed token: {e}");
            return input_error("inspect", args.json, "malformed_token", &message);
        }
    };
    let report = inspect::inspect(decoded, kind, times::now());
    if args.json {
        json_out(&report);
    } else {
        out(&inspect::render(&report));
    }
    0
}

/// The options of `verify` that cannot go with `--alb-arn`, and why.
fn alb_conflict(args: &VerifyArgs) -> Option<&'static str> {
    if args.token_use.is_some() {
        return Some(
            "--token-use is for Cognito tokens, not with --alb-arn: a load balancer's data token always counts as an access token",
        );
    }
    if args.jwks_url.is_some() || args.jwks_file.is_some() {
        return Some(
            "--jwks-url and --jwks-file are for Cognito tokens, not with --alb-arn: a load balancer publishes one PEM key per kid (use --alb-keys-url URL)",
        );
    }
    if !args.scopes.is_empty() || args.any_scope {
        return Some(
            "--scope cannot be checked with --alb-arn: the load balancer grants no scopes (a verified data token has none, so every scope rule refuses it with 403)",
        );
    }
    if args.any_client {
        return Some(
            "--any-client is for Cognito tokens, not with --alb-arn: a load balancer verifier pins its app clients (give --client-id)",
        );
    }
    None
}

/// The runtime `verify` runs its one verification on.
fn runtime(json: bool) -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            let message = format!("cannot start the async runtime: {e}");
            input_error("verify", json, "input", &message)
        })
}

/// `verify --alb-arn`: an ALB data token, verified by `AlbVerifier`.
fn run_verify_alb(args: &VerifyArgs) -> u8 {
    if let Some(message) = alb_conflict(args) {
        return input_error("verify", args.json, "usage", message);
    }
    let trust = match (&args.pool, &args.issuer) {
        (Some(pool), _) => Trust::Pool(pool.clone()),
        (None, Some(url)) => Trust::Issuer(url.clone()),
        (None, None) => {
            return input_error(
                "verify",
                args.json,
                "input",
                "--pool or --issuer is required",
            );
        }
    };
    let config = AlbConfig {
        arns: args.alb_arns.clone(),
        client_ids: args.client_ids.clone(),
        trust,
        keys_url: args.alb_keys_url.clone(),
        groups: args.groups.clone(),
        any_group: args.any_group,
        leeway: args.leeway,
    };
    let (verifier, requirement) = match config.build() {
        Ok(built) => built,
        Err(message) => return input_error("verify", args.json, "input", &message),
    };
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err(message) => return input_error("verify", args.json, "input", &message),
    };
    let runtime = match runtime(args.json) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let report = runtime.block_on(verify::verify_alb(&config, &verifier, &requirement, &token));
    if args.json {
        json_out(&report);
    } else {
        out(&verify::render(&report));
    }
    report.exit_code
}

fn run_verify(args: &VerifyArgs) -> u8 {
    if !args.alb_arns.is_empty() {
        return run_verify_alb(args);
    }
    let keys = match (&args.jwks_url, &args.jwks_file) {
        (Some(url), _) => Keys::Url(url.clone()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(json) => Keys::File {
                path: path.display().to_string(),
                json,
            },
            Err(e) => {
                let message = format!("cannot read the JWKS file {}: {e}", path.display());
                return input_error("verify", args.json, "input", &message);
            }
        },
        (None, None) => Keys::Default,
    };
    let trust = match (&args.pool, &args.issuer) {
        (Some(pool), _) => Trust::Pool(pool.clone()),
        (None, Some(url)) => match issuer::parse(url) {
            Some(pool) => Trust::Pool(pool.pool_id),
            None => Trust::Issuer(url.clone()),
        },
        (None, None) => {
            return input_error(
                "verify",
                args.json,
                "input",
                "--pool or --issuer is required",
            );
        }
    };
    let config = Config {
        trust,
        client_ids: (!args.any_client).then(|| args.client_ids.clone()),
        token_use: args.token_use.unwrap_or(UseChoice::Access),
        scopes: args.scopes.clone(),
        any_scope: args.any_scope,
        groups: args.groups.clone(),
        any_group: args.any_group,
        keys,
        leeway: args.leeway,
    };
    let (verifier, requirement) = match config.build() {
        Ok(built) => built,
        Err(message) => return input_error("verify", args.json, "input", &message),
    };
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err(message) => return input_error("verify", args.json, "input", &message),
    };
    if decode::alb_header(&token).is_some() {
        return input_error(
            "verify",
            args.json,
            "usage",
            "this is an ALB data token (x-amzn-oidc-data: its header names a signer): pass --alb-arn ARN (the load balancer's) to verify it as AlbVerifier does",
        );
    }
    let runtime = match runtime(args.json) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let report = runtime.block_on(verify::verify(&config, &verifier, &requirement, &token));
    if args.json {
        json_out(&report);
    } else {
        out(&verify::render(&report));
    }
    report.exit_code
}

//! `cognito-jwt verify`: the verifier's verdict, step by step.
//!
//! The verdict is `Verifier::verify` and then `Requirement::verify`, as in
//! an API. The step lines add what the token says (decoded here, for
//! display only) and never disagree with that verdict: the step the
//! returned error names is the failing one, the steps before it passed and
//! the ones after it were not checked.
//!
//! With `--alb-arn`, the verdict is `AlbVerifier::verify` and then the
//! group `Requirement`, as on a route behind an Application Load Balancer;
//! its checks are [`AlbStep`]s.

use std::fmt::Write as _;
use std::time::Duration;

use cognito_jwt::{
    AlbVerifier, Challenge, ClaimError, Error, ErrorClass, HeaderError, Issuer, MalformedToken,
    Requirement, Segment, TokenUse, Verifier,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::decode::{self, Decoded};
use crate::inspect;
use crate::text::escape;

/// The checks, in the order the verifier makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum StepName {
    Structure,
    Header,
    Issuer,
    Key,
    Signature,
    Claims,
    Times,
    TokenUse,
    Client,
    Scopes,
    Groups,
}

impl StepName {
    const ALL: [StepName; 11] = [
        StepName::Structure,
        StepName::Header,
        StepName::Issuer,
        StepName::Key,
        StepName::Signature,
        StepName::Claims,
        StepName::Times,
        StepName::TokenUse,
        StepName::Client,
        StepName::Scopes,
        StepName::Groups,
    ];

    fn as_str(self) -> &'static str {
        match self {
            StepName::Structure => "structure",
            StepName::Header => "header",
            StepName::Issuer => "issuer",
            StepName::Key => "key",
            StepName::Signature => "signature",
            StepName::Claims => "claims",
            StepName::Times => "times",
            StepName::TokenUse => "token_use",
            StepName::Client => "client",
            StepName::Scopes => "scopes",
            StepName::Groups => "groups",
        }
    }
}

/// The checks of an ALB data token, in the order `AlbVerifier` makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AlbStep {
    Structure,
    Alg,
    Kid,
    Header,
    Signer,
    Client,
    Issuer,
    Key,
    Signature,
    Payload,
    Exp,
    Sub,
    Groups,
}

impl AlbStep {
    const ALL: [AlbStep; 13] = [
        AlbStep::Structure,
        AlbStep::Alg,
        AlbStep::Kid,
        AlbStep::Header,
        AlbStep::Signer,
        AlbStep::Client,
        AlbStep::Issuer,
        AlbStep::Key,
        AlbStep::Signature,
        AlbStep::Payload,
        AlbStep::Exp,
        AlbStep::Sub,
        AlbStep::Groups,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AlbStep::Structure => "structure",
            AlbStep::Alg => "alg",
            AlbStep::Kid => "kid",
            AlbStep::Header => "header",
            AlbStep::Signer => "signer",
            AlbStep::Client => "client",
            AlbStep::Issuer => "issuer",
            AlbStep::Key => "key",
            AlbStep::Signature => "signature",
            AlbStep::Payload => "payload",
            AlbStep::Exp => "exp",
            AlbStep::Sub => "sub",
            AlbStep::Groups => "groups",
        }
    }
}

/// Which token kinds are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum UseChoice {
    /// Access tokens only.
    Access,
    /// ID tokens only.
    Id,
    /// Either.
    Any,
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Keys {
    /// The pool's own JWKS URL.
    Default,
    /// Another URL.
    Url(String),
    /// A file's contents, read by the caller.
    File { path: String, json: String },
}

/// Which issuer is trusted.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// A Cognito user pool, by id: both issuer forms, RS256.
    Pool(String),
    /// Another issuer, by its exact `iss`.
    Issuer(String),
}

/// What to verify against: the options of `verify`.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) trust: Trust,
    /// `None`: every client (`--any-client`).
    pub(crate) client_ids: Option<Vec<String>>,
    pub(crate) token_use: UseChoice,
    pub(crate) scopes: Vec<String>,
    pub(crate) any_scope: bool,
    pub(crate) groups: Vec<String>,
    pub(crate) any_group: bool,
    pub(crate) keys: Keys,
    pub(crate) leeway: Option<u64>,
}

/// The leeway the core uses when none is given.
const DEFAULT_LEEWAY: u64 = 30;

impl Config {
    /// The verifier and requirement, or a message for a configuration error.
    pub(crate) fn build(&self) -> Result<(Verifier, Requirement), String> {
        let issuer = match &self.trust {
            Trust::Pool(pool) => Issuer::cognito(pool.as_str()).into_any(),
            Trust::Issuer(url) => Issuer::url(url.as_str()).into_any(),
        };
        let issuer = match &self.keys {
            Keys::Default => issuer,
            Keys::Url(url) => issuer.jwks_url(url.as_str()),
            Keys::File { json, .. } => issuer.static_jwks(json.as_str()),
        };
        let builder = Verifier::builder(issuer);
        let builder = match &self.client_ids {
            Some(ids) => builder.client_ids(ids.iter().map(String::as_str)),
            None => builder.any_client(),
        };
        let builder = builder
            .leeway(Duration::from_secs(self.leeway.unwrap_or(DEFAULT_LEEWAY)))
            .disable_token_cache();
        let builder = match self.token_use {
            UseChoice::Access => builder.token_use(TokenUse::Access),
            UseChoice::Id => builder.token_use(TokenUse::Id),
            UseChoice::Any => builder.any_token_use(),
        };
        let verifier = builder.build().map_err(|e| e.to_string())?;
        let mut requirement = Requirement::new();
        if !self.scopes.is_empty() {
            let scopes = self.scopes.iter().map(String::as_str);
            requirement = if self.any_scope {
                requirement.any_scope(scopes)
            } else {
                requirement.all_scopes(scopes)
            }
            .map_err(|e| e.to_string())?;
        }
        if !self.groups.is_empty() {
            let groups = self.groups.iter().map(String::as_str);
            requirement = if self.any_group {
                requirement.any_group(groups)
            } else {
                requirement.all_groups(groups)
            }
            .map_err(|e| e.to_string())?;
        }
        Ok((verifier, requirement))
    }

    fn key_source(&self) -> String {
        match &self.keys {
            Keys::Default => match &self.trust {
                Trust::Pool(pool) => match pool.split_once('_') {
                    Some((region, _)) => format!(
                        "https://cognito-idp.{}.amazonaws.com/{}/.well-known/jwks.json",
                        escape(region),
                        escape(pool)
                    ),
                    None => "the pool's JWKS URL".to_owned(),
                },
                Trust::Issuer(url) => format!("{}/.well-known/jwks.json", escape(url)),
            },
            Keys::Url(url) => escape(url),
            Keys::File { path, .. } => format!("file {}", escape(path)),
        }
    }
}

/// One check's outcome.
#[derive(Debug, Serialize)]
pub(crate) struct Step {
    pub(crate) step: &'static str,
    /// `ok`, `failed` or `not_checked`.
    pub(crate) status: &'static str,
    pub(crate) detail: String,
}

/// The error the verdict carries.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorInfo {
    pub(crate) kind: &'static str,
    pub(crate) class: &'static str,
    pub(crate) message: String,
    pub(crate) client_description: &'static str,
}

/// The HTTP answer the middleware would give.
#[derive(Debug, Serialize)]
pub(crate) struct HttpAnswer {
    pub(crate) status: u16,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) body: Option<String>,
}

/// Everything `verify` shows; its JSON form is `verify --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Verification {
    pub(crate) command: &'static str,
    /// `accepted`, `refused` or `unavailable`.
    pub(crate) verdict: &'static str,
    pub(crate) exit_code: u8,
    pub(crate) steps: Vec<Step>,
    pub(crate) error: Option<ErrorInfo>,
    pub(crate) http: HttpAnswer,
    pub(crate) header: Option<Map<String, Value>>,
    pub(crate) claims: Option<Map<String, Value>>,
    /// With `--alb-arn`: what was trusted and what the token's header says.
    pub(crate) alb: Option<AlbReport>,
}

/// The ALB-specific part of `verify --json`.
#[derive(Debug, Serialize)]
pub(crate) struct AlbReport {
    /// The pinned load balancer ARNs (`--alb-arn`).
    pub(crate) trusted_signers: Vec<String>,
    /// The allowed app clients (`--client-id`).
    pub(crate) client_ids: Vec<String>,
    /// The trusted issuer: `iss` must equal it.
    pub(crate) issuer: String,
    /// Where keys are fetched from: `{keys_url}{kid}`.
    pub(crate) keys_url: String,
    /// What the token's header says, as `inspect --json` shows it in
    /// `alb`; `None` when the header cannot be read.
    pub(crate) token: Option<inspect::AlbInfo>,
}

/// The name of an error class.
fn class_name(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::MissingCredentials => "missing_credentials",
        ErrorClass::InvalidRequest => "invalid_request",
        ErrorClass::InvalidToken => "invalid_token",
        ErrorClass::InsufficientScope => "insufficient_scope",
        ErrorClass::Unavailable => "unavailable",
        ErrorClass::Misconfigured => "misconfigured",
        _ => "other",
    }
}

/// The step a requirement's error names: scope rules refuse ID tokens
/// (`wrong_token_use`), for scopes are only read from access tokens.
fn requirement_step(error: &Error) -> Option<StepName> {
    match error {
        Error::InsufficientScope { .. } | Error::Claim(ClaimError::WrongTokenUse { .. }) => {
            Some(StepName::Scopes)
        }
        Error::MissingGroup { .. } => Some(StepName::Groups),
        _ => None,
    }
}

/// The step a verifier's error names; `None` for errors no step stands for.
fn verifier_step(error: &Error) -> Option<StepName> {
    Some(match error {
        Error::TokenTooLarge { .. } | Error::Malformed(_) => StepName::Structure,
        Error::Header(_) => StepName::Header,
        Error::UnknownKey { .. }
        | Error::KeyAlgorithmMismatch { .. }
        | Error::KeysUnavailable { .. } => StepName::Key,
        Error::InvalidSignature => StepName::Signature,
        Error::Claim(claim) => match claim {
            ClaimError::UntrustedIssuer { .. }
            | ClaimError::Missing("iss")
            | ClaimError::Invalid { claim: "iss", .. } => StepName::Issuer,
            ClaimError::Expired { .. }
            | ClaimError::NotYetValid { .. }
            | ClaimError::IssuedInFuture { .. }
            | ClaimError::Missing("exp") => StepName::Times,
            ClaimError::WrongTokenUse { .. } | ClaimError::Missing("token_use") => {
                StepName::TokenUse
            }
            ClaimError::ClientNotAllowed { .. }
            | ClaimError::AudienceMismatch { .. }
            | ClaimError::Missing("client_id" | "aud") => StepName::Client,
            _ => StepName::Claims,
        },
        Error::InsufficientScope { .. } => StepName::Scopes,
        Error::MissingGroup { .. } => StepName::Groups,
        _ => return None,
    })
}

fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |v| format!("\"{}\"", escape(v)))
}

fn list(values: &[String]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| format!("\"{}\"", escape(v)))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// What the token (decoded, unverified) and the configuration say about a step.
fn context(step: StepName, config: &Config, decoded: Option<&Decoded>, now: i64) -> String {
    let Some(token) = decoded else {
        return if step == StepName::Structure {
            String::new()
        } else {
            "(the token could not be decoded)".to_owned()
        };
    };
    let (header, claims) = (&token.header, &token.claims);
    match step {
        StepName::Structure => {
            "3 segments of base64url; header and claims are JSON objects".to_owned()
        }
        StepName::Header => format!(
            "alg {}, kid {}",
            quoted(str_claim(header, "alg")),
            quoted(str_claim(header, "kid"))
        ),
        StepName::Issuer => {
            let words = inspect::issuer_words(inspect::issuer_info(claims).as_ref())
                .replace("\n         ", "; ");
            let trusted = match &config.trust {
                Trust::Pool(pool) => format!("the pool {}", escape(pool)),
                Trust::Issuer(url) => format!("the issuer {}", escape(url)),
            };
            format!("{words}; trusted: {trusted}")
        }
        StepName::Key => format!(
            "kid {} from {}",
            quoted(str_claim(header, "kid")),
            config.key_source()
        ),
        StepName::Signature => format!("{} signature", quoted(str_claim(header, "alg"))),
        StepName::Claims => format!("sub {}", quoted(str_claim(claims, "sub"))),
        StepName::Times => {
            let mut parts: Vec<String> = inspect::time_infos(claims, now)
                .into_iter()
                .filter(|t| t.claim != "auth_time")
                .map(|t| {
                    format!(
                        "{} {} ({})",
                        t.claim,
                        t.utc.as_deref().unwrap_or("(out of range)"),
                        t.relative
                    )
                })
                .collect();
            parts.push(format!(
                "leeway {} s",
                config.leeway.unwrap_or(DEFAULT_LEEWAY)
            ));
            parts.join(", ")
        }
        StepName::TokenUse => format!(
            "token_use {}, accepted: {}",
            quoted(str_claim(claims, "token_use")),
            match config.token_use {
                UseChoice::Access => "access",
                UseChoice::Id => "id",
                UseChoice::Any => "access or id",
            }
        ),
        StepName::Client => {
            let client = if str_claim(claims, "token_use") == Some("id") {
                format!("aud {}", list(&string_list(claims.get("aud"))))
            } else {
                format!("client_id {}", quoted(str_claim(claims, "client_id")))
            };
            match &config.client_ids {
                Some(ids) => format!("{client}, allowed: {}", list(ids)),
                None => format!("{client}, allowed: any client (--any-client)"),
            }
        }
        StepName::Scopes => rule_context(
            "scopes",
            &config.scopes,
            config.any_scope,
            &string_list(claims.get("scope")),
        ),
        StepName::Groups => rule_context(
            "groups",
            &config.groups,
            config.any_group,
            &string_list(claims.get("cognito:groups")),
        ),
    }
}

fn rule_context(what: &str, required: &[String], any: bool, has: &[String]) -> String {
    if required.is_empty() {
        return format!("no {what} required");
    }
    format!(
        "requires {} of {}, the token has {}",
        if any { "one" } else { "all" },
        list(required),
        list(has)
    )
}

/// The step lines: the failing one marked, those before it passed, those
/// after it not checked. `failing` is `None` when the verdict is
/// acceptance, `Some(None)` for an error no step stands for.
fn steps<N: Copy + PartialOrd>(
    all: &[N],
    name: impl Fn(N) -> &'static str,
    context: impl Fn(N) -> String,
    result: &Result<(), Error>,
    failing: Option<Option<N>>,
) -> Vec<Step> {
    all.iter()
        .map(|&step| {
            let context = context(step);
            let (status, detail) = match (result, failing) {
                (Ok(()), _) => ("ok", context),
                (Err(e), Some(Some(at))) if at == step => {
                    let message = escape(&e.to_string());
                    let detail = if context.is_empty() {
                        message
                    } else {
                        format!("{message}; {context}")
                    };
                    ("failed", detail)
                }
                (Err(_), Some(Some(at))) if step < at => ("ok", context),
                _ => ("not_checked", context),
            };
            Step {
                step: name(step),
                status,
                detail,
            }
        })
        .collect()
}

/// The verdict, exit code, error and HTTP answer of a result.
fn answer(result: &Result<(), Error>) -> (&'static str, u8, Option<ErrorInfo>, HttpAnswer) {
    match result {
        Ok(()) => (
            "accepted",
            0,
            None,
            HttpAnswer {
                status: 200,
                www_authenticate: None,
                retry_after: None,
                body: None,
            },
        ),
        Err(e) => {
            let challenge = Challenge::new(e, None);
            let unavailable = e.class() == ErrorClass::Unavailable;
            (
                if unavailable {
                    "unavailable"
                } else {
                    "refused"
                },
                if unavailable { 3 } else { 1 },
                Some(ErrorInfo {
                    kind: e.kind(),
                    class: class_name(e.class()),
                    message: e.to_string(),
                    client_description: e.client_description(),
                }),
                HttpAnswer {
                    status: challenge.status(),
                    www_authenticate: challenge.www_authenticate().map(str::to_owned),
                    retry_after: challenge.retry_after(),
                    body: Some(challenge.body().to_owned()),
                },
            )
        }
    }
}

/// Verify `token` against `config` and report every step.
pub(crate) async fn verify(
    config: &Config,
    verifier: &Verifier,
    requirement: &Requirement,
    token: &str,
) -> Verification {
    let decoded = decode::decode(token).ok();
    let now = crate::times::now();
    let (result, failing) = match verifier.verify(token).await {
        Ok(claims) => {
            let result = requirement.verify(&claims);
            let failing = result.as_ref().err().map(requirement_step);
            (result, failing)
        }
        Err(e) => {
            let failing = verifier_step(&e);
            (Err(e), Some(failing))
        }
    };
    let steps = steps(
        &StepName::ALL,
        StepName::as_str,
        |name| context(name, config, decoded.as_ref(), now),
        &result,
        failing,
    );
    let (verdict, exit_code, error, http) = answer(&result);
    let (header, claims) = decoded.map(|d| (d.header, d.claims)).unzip();
    Verification {
        command: "verify",
        verdict,
        exit_code,
        steps,
        error,
        http,
        header,
        claims,
        alb: None,
    }
}

/// What to verify an ALB data token against: the options of `verify
/// --alb-arn`.
#[derive(Debug, Clone)]
pub(crate) struct AlbConfig {
    /// The pinned load balancers, at least one.
    pub(crate) arns: Vec<String>,
    pub(crate) client_ids: Vec<String>,
    /// A pool (its `cognito-idp` issuer) or an exact issuer.
    pub(crate) trust: Trust,
    /// `None`: the key host of the ARNs' region.
    pub(crate) keys_url: Option<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) any_group: bool,
    pub(crate) leeway: Option<u64>,
}

impl AlbConfig {
    /// The issuer `iss` must equal: what `AlbVerifierBuilder::cognito_pool`
    /// or `issuer` makes of the option.
    fn issuer(&self) -> String {
        match &self.trust {
            Trust::Pool(pool) => {
                let region = pool.split_once('_').map_or("", |(region, _)| region);
                format!("https://cognito-idp.{region}.amazonaws.com/{pool}")
            }
            Trust::Issuer(url) => url.clone(),
        }
    }

    /// The verifier and requirement, or a message for a configuration error.
    pub(crate) fn build(&self) -> Result<(AlbVerifier, Requirement), String> {
        let mut arns = self.arns.iter();
        let first = arns.next().ok_or("--alb-arn is required")?;
        let mut builder = AlbVerifier::builder(first.as_str());
        for arn in arns {
            builder = builder.also_signer(arn.as_str());
        }
        let builder = builder.client_ids(self.client_ids.iter().map(String::as_str));
        let builder = match &self.trust {
            Trust::Pool(pool) => builder.cognito_pool(pool.as_str()),
            Trust::Issuer(url) => builder.issuer(url.as_str()),
        };
        let builder = match &self.keys_url {
            Some(url) => builder.keys_url(url.as_str()),
            None => builder,
        };
        let verifier = builder
            .leeway(Duration::from_secs(self.leeway.unwrap_or(DEFAULT_LEEWAY)))
            .build()
            .map_err(|e| e.to_string())?;
        let mut requirement = Requirement::new();
        if !self.groups.is_empty() {
            let groups = self.groups.iter().map(String::as_str);
            requirement = if self.any_group {
                requirement.any_group(groups)
            } else {
                requirement.all_groups(groups)
            }
            .map_err(|e| e.to_string())?;
        }
        Ok((verifier, requirement))
    }
}

/// Whether a structural error is about the payload's JSON, which
/// `AlbVerifier` reads only after the signature verified.
fn is_payload_json(m: &MalformedToken) -> bool {
    match m {
        MalformedToken::Json(segment) | MalformedToken::NotAnObject(segment) => {
            *segment == Segment::Payload
        }
        MalformedToken::DuplicateMember { segment, .. } => *segment == Segment::Payload,
        _ => false,
    }
}

/// The step an `AlbVerifier` error (or a group rule's) names. Two errors
/// are told apart by the token: `UntrustedIssuer` is the header's `iss`
/// (checked before any key) unless the header's is the trusted one, then
/// the payload's; a payload JSON error is the payload step when the payload
/// decodes to text, else structure (`AlbVerifier` reads only that much of
/// the payload before the signature).
fn alb_step(error: &Error, header_iss_trusted: bool, payload_text: bool) -> Option<AlbStep> {
    Some(match error {
        Error::TokenTooLarge { .. } => AlbStep::Structure,
        Error::Malformed(m) if payload_text && is_payload_json(m) => AlbStep::Payload,
        Error::Malformed(_) => AlbStep::Structure,
        Error::Header(header) => match header {
            HeaderError::AlgorithmNotAllowed { .. } | HeaderError::MissingAlgorithm => AlbStep::Alg,
            HeaderError::MissingKeyId
            | HeaderError::KeyIdNotPathSegment
            | HeaderError::InvalidKeyId { .. } => AlbStep::Kid,
            HeaderError::MissingAlbField(_) => AlbStep::Header,
            _ => AlbStep::Structure,
        },
        Error::UntrustedSigner { .. } => AlbStep::Signer,
        Error::UnknownKey { .. }
        | Error::KeyAlgorithmMismatch { .. }
        | Error::KeysUnavailable { .. } => AlbStep::Key,
        Error::InvalidSignature => AlbStep::Signature,
        Error::Claim(claim) => match claim {
            ClaimError::ClientNotAllowed { .. } => AlbStep::Client,
            ClaimError::UntrustedIssuer { .. } if !header_iss_trusted => AlbStep::Issuer,
            ClaimError::Expired { .. } | ClaimError::NotYetValid { .. } => AlbStep::Exp,
            ClaimError::Missing("sub") => AlbStep::Sub,
            _ => AlbStep::Payload,
        },
        Error::MissingGroup { .. } => AlbStep::Groups,
        _ => return None,
    })
}

/// What an ALB data token (decoded, unverified) and the configuration say
/// about a step.
fn alb_context(
    step: AlbStep,
    config: &AlbConfig,
    info: Option<&inspect::AlbInfo>,
    header: Option<&Map<String, Value>>,
    claims: Option<&Map<String, Value>>,
    now: i64,
) -> String {
    let (Some(info), Some(header)) = (info, header) else {
        return if step == AlbStep::Structure {
            String::new()
        } else {
            "(the token could not be decoded)".to_owned()
        };
    };
    let payload = |f: &dyn Fn(&Map<String, Value>) -> String| {
        claims.map_or_else(|| "(the payload could not be decoded)".to_owned(), f)
    };
    match step {
        AlbStep::Structure => format!(
            "3 segments of base64url ({}); the header a JSON object without crit or b64",
            if info.encoding == "padded" {
                "padded as a load balancer pads"
            } else {
                "unpadded"
            }
        ),
        AlbStep::Alg => format!(
            "alg {}, allowed: \"ES256\"",
            quoted(str_claim(header, "alg"))
        ),
        AlbStep::Kid => format!("kid {}", quoted(info.kid.as_deref())),
        AlbStep::Header => {
            "signer, client, iss (strings) and exp (an integer) in the header".to_owned()
        }
        AlbStep::Signer => {
            let mut detail = format!(
                "signer {}, trusted: {}",
                quoted(info.signer.as_deref()),
                list(&config.arns)
            );
            if let Some(lb) = &info.load_balancer {
                let _ = write!(detail, "; {}", inspect::load_balancer_words(Some(lb)));
            }
            detail
        }
        AlbStep::Client => format!(
            "client {}, allowed: {}",
            quoted(info.client.as_deref()),
            list(&config.client_ids)
        ),
        AlbStep::Issuer => format!(
            "iss {} (header), trusted: \"{}\"",
            quoted(str_claim(header, "iss")),
            escape(&config.issuer())
        ),
        AlbStep::Key => match (&info.key_url, &info.key_url_error) {
            (Some(url), _) => format!("kid {} from {}", quoted(info.kid.as_deref()), escape(url)),
            (None, error) => format!(
                "kid {}: {}",
                quoted(info.kid.as_deref()),
                escape(error.as_deref().unwrap_or_default())
            ),
        },
        AlbStep::Signature => "\"ES256\" signature over the segments as sent".to_owned(),
        AlbStep::Payload => payload(&|claims| {
            format!(
                "the payload a JSON object; its iss {}, absent or \"{}\"",
                quoted(str_claim(claims, "iss")),
                escape(&config.issuer())
            )
        }),
        AlbStep::Exp => {
            let mut parts = Vec::new();
            if let Some(t) = &info.exp {
                parts.push(format!(
                    "exp {} ({}) in the header",
                    t.utc.as_deref().unwrap_or("(out of range)"),
                    t.relative
                ));
            }
            if let Some(claims) = claims {
                for t in inspect::time_infos(claims, now)
                    .into_iter()
                    .filter(|t| t.claim == "exp" || t.claim == "nbf")
                {
                    parts.push(format!(
                        "{} {} ({}) in the payload",
                        t.claim,
                        t.utc.as_deref().unwrap_or("(out of range)"),
                        t.relative
                    ));
                }
            }
            parts.push(format!(
                "leeway {} s",
                config.leeway.unwrap_or(DEFAULT_LEEWAY)
            ));
            parts.join(", ")
        }
        AlbStep::Sub => payload(&|claims| format!("sub {}", quoted(str_claim(claims, "sub")))),
        AlbStep::Groups => payload(&|claims| {
            rule_context(
                "groups",
                &config.groups,
                config.any_group,
                &string_list(claims.get("cognito:groups")),
            )
        }),
    }
}

/// Verify an ALB data token against `config` and report every step.
pub(crate) async fn verify_alb(
    config: &AlbConfig,
    verifier: &AlbVerifier,
    requirement: &Requirement,
    token: &str,
) -> Verification {
    let now = crate::times::now();
    let full = decode::decode_alb(token).ok();
    let header = full
        .as_ref()
        .map(|d| d.header.clone())
        .or_else(|| decode::alb_header(token));
    let claims = full.map(|d| d.claims);
    let padded = token.contains('=');
    let info = header
        .as_ref()
        .map(|h| inspect::alb_info(h, padded, Some(verifier.keys_url()), now));
    let issuer = config.issuer();
    let header_iss_trusted = header
        .as_ref()
        .and_then(|h| str_claim(h, "iss"))
        .is_some_and(|iss| iss == issuer);
    let payload_text = decode::alb_payload_is_text(token);
    let (result, failing) = match verifier.verify(token).await {
        Ok(verified) => {
            let result = requirement.verify(&verified);
            let failing = result
                .as_ref()
                .err()
                .map(|e| alb_step(e, header_iss_trusted, payload_text));
            (result, failing)
        }
        Err(e) => {
            let failing = alb_step(&e, header_iss_trusted, payload_text);
            (Err(e), Some(failing))
        }
    };
    let steps = steps(
        &AlbStep::ALL,
        AlbStep::as_str,
        |step| {
            alb_context(
                step,
                config,
                info.as_ref(),
                header.as_ref(),
                claims.as_ref(),
                now,
            )
        },
        &result,
        failing,
    );
    let (verdict, exit_code, error, http) = answer(&result);
    Verification {
        command: "verify",
        verdict,
        exit_code,
        steps,
        error,
        http,
        header,
        claims,
        alb: Some(AlbReport {
            trusted_signers: config.arns.clone(),
            client_ids: config.client_ids.clone(),
            issuer,
            keys_url: verifier.keys_url().to_owned(),
            token: info,
        }),
    }
}

/// The reason phrase of the statuses a verdict can have.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// The human form of a verification.
pub(crate) fn render(report: &Verification) -> String {
    let mut out = String::new();
    for step in &report.steps {
        let status = match step.status {
            "ok" => "ok",
            "failed" => "FAILED",
            _ => "-",
        };
        let _ = writeln!(out, "{status:<7} {:<10} {}", step.step, step.detail);
    }
    let verdict = match report.verdict {
        "accepted" => "ACCEPTED",
        "unavailable" => "UNAVAILABLE (the keys could not be had; nothing was decided)",
        _ => "REFUSED",
    };
    let _ = writeln!(out, "verdict: {verdict}");
    if let Some(error) = &report.error {
        let _ = writeln!(
            out,
            "error:   {} ({}): {}",
            error.kind,
            error.class,
            escape(&error.message)
        );
    }
    let http = &report.http;
    let _ = writeln!(out, "http:    {} {}", http.status, reason(http.status));
    if let Some(challenge) = &http.www_authenticate {
        let _ = writeln!(out, "         WWW-Authenticate: {}", escape(challenge));
    }
    if let Some(secs) = http.retry_after {
        let _ = writeln!(out, "         Retry-After: {secs}");
    }
    if let Some(body) = &http.body {
        let _ = writeln!(out, "         {}", escape(body));
    }
    out
}

//! `cognito-jwt inspect`: what a token says, with nothing verified.
//!
//! A Cognito token (any JWS) shows its claims, times, kind and pool; an
//! ALB data token also what its header vouches for: the load balancer, its
//! app client, its issuer and the URL of its key.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::decode::{Decoded, Kind};
use crate::issuer::{self, LoadBalancer, Pool};
use crate::text::{escape, json_safe};
use crate::times;

/// The warning every inspection carries.
pub(crate) const NOT_VERIFIED: &str = "nothing was verified: not the signature, the issuer, the times or the client; `cognito-jwt verify` decides";

/// The time claims shown in human form, in this order.
const TIME_CLAIMS: [&str; 4] = ["exp", "iat", "nbf", "auth_time"];

/// Everything `inspect` shows; its JSON form is `inspect --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Inspection {
    pub(crate) command: &'static str,
    pub(crate) verified: bool,
    pub(crate) warning: &'static str,
    /// `jwt` or `alb_data_token`.
    pub(crate) kind: &'static str,
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) token_use: Option<String>,
    pub(crate) issuer: Option<IssuerInfo>,
    pub(crate) times: Vec<TimeInfo>,
    pub(crate) signature_bytes: usize,
    /// What an ALB data token's header says; `None` for other tokens.
    pub(crate) alb: Option<AlbInfo>,
}

/// What an ALB data token's header vouches for, unverified.
#[derive(Debug, Serialize)]
pub(crate) struct AlbInfo {
    /// `padded` (as a load balancer encodes) or `unpadded`.
    pub(crate) encoding: &'static str,
    /// The header's `signer`: the load balancer's ARN.
    pub(crate) signer: Option<String>,
    /// The ARN taken apart, when it is a load balancer ARN.
    pub(crate) load_balancer: Option<LoadBalancer>,
    /// The header's `client`: the app client.
    pub(crate) client: Option<String>,
    /// The header's `iss`, and the pool it names.
    pub(crate) issuer: Option<IssuerInfo>,
    /// The header's `kid`.
    pub(crate) kid: Option<String>,
    /// Where the key for `kid` is published, or `None` (see `key_url_error`).
    pub(crate) key_url: Option<String>,
    /// Why there is no `key_url`.
    pub(crate) key_url_error: Option<String>,
    /// The header's `exp`.
    pub(crate) exp: Option<TimeInfo>,
}

/// The `iss` claim and, when it names one, the Cognito pool.
#[derive(Debug, Serialize)]
pub(crate) struct IssuerInfo {
    pub(crate) iss: String,
    pub(crate) cognito: Option<Pool>,
}

/// One time claim.
#[derive(Debug, Serialize)]
pub(crate) struct TimeInfo {
    pub(crate) claim: &'static str,
    pub(crate) unix: Option<i64>,
    pub(crate) utc: Option<String>,
    pub(crate) relative: String,
}

/// The issuer of decoded claims, if `iss` is a string.
pub(crate) fn issuer_info(claims: &Map<String, Value>) -> Option<IssuerInfo> {
    let iss = claims.get("iss")?.as_str()?;
    Some(IssuerInfo {
        iss: iss.to_owned(),
        cognito: issuer::parse(iss),
    })
}

/// The time claims of decoded claims, against `now`.
pub(crate) fn time_infos(claims: &Map<String, Value>, now: i64) -> Vec<TimeInfo> {
    TIME_CLAIMS
        .iter()
        .filter_map(|&claim| {
            let value = claims.get(claim)?;
            let unix = value.as_i64();
            Some(TimeInfo {
                claim,
                unix,
                utc: unix.and_then(times::utc),
                relative: match unix {
                    Some(at) => times::relative(claim, at, now),
                    None => "not an integer number of seconds".to_owned(),
                },
            })
        })
        .collect()
}

/// The key host of a load balancer ARN's region: the URL
/// `cognito_jwt::AlbVerifier` fetches keys from when given no `keys_url`,
/// ending with `/`; or why there is none.
pub(crate) fn default_keys_url(arn: &str) -> Result<String, String> {
    // The verifier is only asked for its URL: it fetches nothing when built.
    cognito_jwt::AlbVerifier::builder(arn)
        .client_ids(["inspect"])
        .issuer("inspect")
        .build()
        .map(|verifier| verifier.keys_url().to_owned())
        .map_err(|e| e.to_string())
}

/// Whether `kid` goes into a key URL as it is: what
/// `cognito_jwt::AlbVerifier` requires of it (RFC 3986 unreserved
/// characters, at most 256 bytes, not `.` or `..`).
fn is_path_segment(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 256
        && kid != "."
        && kid != ".."
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// What an ALB data token's header says. `keys_url` is the URL keys are
/// fetched from (ending with `/`), or `None` for the ARN's default host.
pub(crate) fn alb_info(
    header: &Map<String, Value>,
    padded: bool,
    keys_url: Option<&str>,
    now: i64,
) -> AlbInfo {
    let text = |name: &str| header.get(name).and_then(Value::as_str).map(str::to_owned);
    let signer = text("signer");
    let kid = text("kid");
    let base = match (keys_url, signer.as_deref()) {
        (Some(url), _) => Ok(url.to_owned()),
        (None, Some(arn)) => default_keys_url(arn),
        (None, None) => Err("the header has no string signer".to_owned()),
    };
    let key_url = match (base, kid.as_deref()) {
        (Ok(base), Some(kid)) if is_path_segment(kid) => Ok(format!("{base}{kid}")),
        (Ok(_), Some(_)) => Err("the kid is not a safe URL path segment".to_owned()),
        (Ok(_), None) => Err("the header has no string kid".to_owned()),
        (Err(e), _) => Err(e),
    };
    let (key_url, key_url_error) = match key_url {
        Ok(url) => (Some(url), None),
        Err(e) => (None, Some(e)),
    };
    AlbInfo {
        encoding: if padded { "padded" } else { "unpadded" },
        load_balancer: signer.as_deref().and_then(issuer::parse_arn),
        signer,
        client: text("client"),
        issuer: issuer_info(header),
        kid,
        key_url,
        key_url_error,
        exp: time_infos(header, now)
            .into_iter()
            .find(|t| t.claim == "exp"),
    }
}

/// Build the inspection of a decoded token of this kind.
pub(crate) fn inspect(decoded: Decoded, kind: Kind, now: i64) -> Inspection {
    let alb = match kind {
        Kind::Jwt => None,
        Kind::Alb { padded } => Some(alb_info(&decoded.header, padded, None, now)),
    };
    Inspection {
        command: "inspect",
        verified: false,
        warning: NOT_VERIFIED,
        kind: if alb.is_some() {
            "alb_data_token"
        } else {
            "jwt"
        },
        alb,
        token_use: decoded
            .claims
            .get("token_use")
            .and_then(Value::as_str)
            .map(str::to_owned),
        issuer: issuer_info(&decoded.claims),
        times: time_infos(&decoded.claims, now),
        signature_bytes: decoded.signature_bytes,
        header: decoded.header,
        claims: decoded.claims,
    }
}

/// The kind of token `token_use` names, in words.
pub(crate) fn kind_words(token_use: Option<&str>) -> String {
    match token_use {
        Some("access") => "access token (token_use \"access\")".to_owned(),
        Some("id") => "ID token (token_use \"id\")".to_owned(),
        Some(other) => format!("unknown kind: token_use {:?}", escape(other)),
        None => "no string token_use claim: not a Cognito user pool token?".to_owned(),
    }
}

/// The pool an issuer names, in words.
pub(crate) fn issuer_words(issuer: Option<&IssuerInfo>) -> String {
    match issuer {
        None => "no string iss claim".to_owned(),
        Some(IssuerInfo { iss, cognito: None }) => {
            format!("{} (not a Cognito user pool issuer)", escape(iss))
        }
        Some(IssuerInfo {
            iss,
            cognito: Some(pool),
        }) => format!(
            "{}\n         Cognito user pool {}, region {} ({} form)",
            escape(iss),
            pool.pool_id,
            pool.region,
            pool.form
        ),
    }
}

/// Pretty JSON of an object, safe for a terminal.
pub(crate) fn pretty(map: &Map<String, Value>) -> String {
    json_safe(&serde_json::to_string_pretty(map).unwrap_or_default())
}

/// A load balancer ARN in words, on the lines after the ARN.
pub(crate) fn load_balancer_words(lb: Option<&LoadBalancer>) -> String {
    match lb {
        Some(lb) => format!(
            "load balancer {}, region {}, account {} (partition {})",
            escape(&lb.name),
            lb.region,
            lb.account,
            lb.partition
        ),
        None => "not a load balancer ARN (arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id})".to_owned(),
    }
}

fn render_alb(out: &mut String, alb: &AlbInfo) {
    let _ = writeln!(
        out,
        "kind:    alb data token (x-amzn-oidc-data; {})",
        if alb.encoding == "padded" {
            "base64url padded as a load balancer pads it"
        } else {
            "unpadded base64url"
        }
    );
    match &alb.signer {
        Some(arn) => {
            let _ = writeln!(out, "signer:  {}", escape(arn));
            let _ = writeln!(
                out,
                "         {}",
                load_balancer_words(alb.load_balancer.as_ref())
            );
        }
        None => {
            let _ = writeln!(out, "signer:  no string signer in the header");
        }
    }
    let client = alb.client.as_deref().map_or_else(
        || "no string client in the header".to_owned(),
        |c| format!("{} (app client)", escape(c)),
    );
    let _ = writeln!(out, "client:  {client}");
    let _ = writeln!(out, "issuer:  {}", issuer_words(alb.issuer.as_ref()));
    match (&alb.key_url, &alb.key_url_error) {
        (Some(url), _) => {
            let _ = writeln!(out, "key:     {}", escape(url));
        }
        (None, error) => {
            let _ = writeln!(
                out,
                "key:     no key URL: {}",
                escape(error.as_deref().unwrap_or_default())
            );
        }
    }
    match &alb.exp {
        Some(t) => {
            let utc = t.utc.as_deref().unwrap_or("(out of range)");
            let _ = writeln!(out, "expiry:  {utc:<24} {} (the header's exp)", t.relative);
        }
        None => {
            let _ = writeln!(out, "expiry:  no exp in the header");
        }
    }
}

/// The human form of an inspection.
pub(crate) fn render(report: &Inspection) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "WARNING: {NOT_VERIFIED}");
    if let Some(alb) = &report.alb {
        render_alb(&mut out, alb);
    } else {
        let _ = writeln!(out, "kind:    {}", kind_words(report.token_use.as_deref()));
        let _ = writeln!(out, "issuer:  {}", issuer_words(report.issuer.as_ref()));
    }
    if report.times.is_empty() {
        let _ = writeln!(out, "times:   none");
    }
    for (i, t) in report.times.iter().enumerate() {
        let label = if i == 0 { "times:" } else { "" };
        let utc = t.utc.as_deref().unwrap_or("(out of range)");
        let _ = writeln!(out, "{label:<8} {:<10} {utc:<24} {}", t.claim, t.relative);
    }
    let _ = writeln!(out, "header:\n{}", pretty(&report.header));
    let _ = writeln!(out, "claims:\n{}", pretty(&report.claims));
    let _ = writeln!(
        out,
        "signature: {} bytes (not shown, not checked)",
        report.signature_bytes
    );
    out
}

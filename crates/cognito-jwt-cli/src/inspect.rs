//! `cognito-jwt inspect`: what a token says, with nothing verified.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::decode::Decoded;
use crate::issuer::{self, Pool};
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
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) token_use: Option<String>,
    pub(crate) issuer: Option<IssuerInfo>,
    pub(crate) times: Vec<TimeInfo>,
    pub(crate) signature_bytes: usize,
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

/// Build the inspection of a decoded token.
pub(crate) fn inspect(decoded: Decoded, now: i64) -> Inspection {
    Inspection {
        command: "inspect",
        verified: false,
        warning: NOT_VERIFIED,
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

/// The human form of an inspection.
pub(crate) fn render(report: &Inspection) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "WARNING: {NOT_VERIFIED}");
    let _ = writeln!(out, "kind:    {}", kind_words(report.token_use.as_deref()));
    let _ = writeln!(out, "issuer:  {}", issuer_words(report.issuer.as_ref()));
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

//! The example APIs' revocation routes, shared so both answer alike:
//!
//! | route | who | body | revokes |
//! |---|---|---|---|
//! | `POST /logout` | any access token | none | the caller's session: its `origin_jti` family (what the app does after Cognito's RevokeToken), or its `jti` when it has no family |
//! | `POST /admin/revocations` | group `admin` | `{"origin_jti": "…"}` | a session (token family) |
//! | | | `{"sub": "…", "issued_until": 1767225600}` | a user's tokens up to a time (GlobalSignOut); `issued_until` defaults to now |
//! | | | `{"client_id": "…", "issued_until": …}` | an app client's tokens up to a time |
//! | | | `{"jti": "…"}` | one token |
//!
//! Each answers `200 {"revoked": <the rule as stored, with its expiry>}`,
//! `400 {"error": "invalid_request", …}` for a body that names not exactly
//! one of those, or, with `REDIS_URL`, `503 {"error":
//! "temporarily_unavailable", …}` when Redis could not be written (the rule
//! is in force on this instance and reaches Redis when it is back).

use cognito_jwt::Claims;
use cognito_jwt::revocation::Revocation;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Revoker;

/// The body of `POST /admin/revocations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminRequest {
    origin_jti: Option<String>,
    jti: Option<String>,
    sub: Option<String>,
    client_id: Option<String>,
    issued_until: Option<i64>,
}

/// The rule `POST /admin/revocations` asks for, at `now`; `Err` is the
/// `error_description` of a 400.
pub fn admin_request(body: &[u8], now: i64) -> Result<Revocation, &'static str> {
    let request: AdminRequest = serde_json::from_slice(body)
        .map_err(|_| "the body must be a JSON object naming origin_jti, sub, client_id or jti")?;
    let until = request.issued_until.unwrap_or(now);
    match request {
        AdminRequest {
            origin_jti: Some(family),
            jti: None,
            sub: None,
            client_id: None,
            issued_until: None,
        } if !family.is_empty() => Ok(Revocation::family(family)),
        AdminRequest {
            jti: Some(jti),
            origin_jti: None,
            sub: None,
            client_id: None,
            issued_until: None,
        } if !jti.is_empty() => Ok(Revocation::token(jti)),
        AdminRequest {
            sub: Some(sub),
            origin_jti: None,
            jti: None,
            client_id: None,
            ..
        } if !sub.is_empty() => Ok(Revocation::subject_until(sub, until)),
        AdminRequest {
            client_id: Some(client),
            origin_jti: None,
            jti: None,
            sub: None,
            ..
        } if !client.is_empty() => Ok(Revocation::client_until(client, until)),
        _ => Err(
            "name exactly one of origin_jti, sub, client_id or jti (issued_until only with sub or client_id)",
        ),
    }
}

/// The rule `POST /logout` adds for the caller: its session's family, or
/// the token itself when it has no `origin_jti`.
pub fn logout(claims: &Claims) -> Result<Revocation, &'static str> {
    match (claims.origin_jti(), claims.jti()) {
        (Some(family), _) => Ok(Revocation::family(family)),
        (None, Some(jti)) => Ok(Revocation::token(jti)),
        (None, None) => Err("the token names no session (no origin_jti or jti) to revoke"),
    }
}

/// The body of a 200.
#[derive(Debug, Serialize)]
pub struct Revoked {
    /// The rule as stored, with its expiry.
    pub revoked: Revocation,
}

/// The body of a 400.
#[derive(Debug, Serialize)]
pub struct Invalid {
    /// Always `invalid_request`.
    pub error: &'static str,
    /// What is wrong with the request.
    pub error_description: &'static str,
}

/// A 400's body for `description`.
pub fn invalid(description: &'static str) -> Invalid {
    Invalid {
        error: "invalid_request",
        error_description: description,
    }
}

/// A revocation route's answer: status and JSON body.
pub type Reply = (u16, Value);

/// Put `rule` in force through `revoker` and answer: the status and JSON
/// body both example APIs send.
pub async fn handle(revoker: &Revoker, rule: Result<Revocation, &'static str>) -> Reply {
    let rule = match rule {
        Ok(rule) => rule,
        Err(description) => return (400, json!(invalid(description))),
    };
    match revoker.revoke(rule).await {
        Ok(stored) => (200, json!(Revoked { revoked: stored })),
        Err(e) => {
            tracing::warn!(error = ?e, "revocation in force here, not yet in Redis");
            (
                503,
                json!({
                    "error": "temporarily_unavailable",
                    "error_description": "revoked on this instance; the shared store is unreachable and gets it when it is back",
                }),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_jwt::revocation::Rule;

    #[test]
    fn each_body_names_one_rule() {
        let now = 1_000;
        let rows: [(&str, Result<Rule, ()>); 10] = [
            (
                r#"{"origin_jti":"f"}"#,
                Ok(Rule::Family {
                    origin_jti: "f".into(),
                }),
            ),
            (r#"{"jti":"j"}"#, Ok(Rule::Token { jti: "j".into() })),
            (
                r#"{"sub":"s"}"#,
                Ok(Rule::Subject {
                    sub: "s".into(),
                    issued_until: now,
                }),
            ),
            (
                r#"{"sub":"s","issued_until":5}"#,
                Ok(Rule::Subject {
                    sub: "s".into(),
                    issued_until: 5,
                }),
            ),
            (
                r#"{"client_id":"c"}"#,
                Ok(Rule::Client {
                    client_id: "c".into(),
                    issued_until: now,
                }),
            ),
            (r#"{}"#, Err(())),
            (r#"{"origin_jti":"f","sub":"s"}"#, Err(())),
            (r#"{"origin_jti":"f","issued_until":5}"#, Err(())),
            (r#"{"sub":""}"#, Err(())),
            (r#"{"everything":true}"#, Err(())),
        ];
        for (body, expected) in rows {
            let got = admin_request(body.as_bytes(), now)
                .map(|r| r.rule().clone())
                .map_err(|_| ());
            assert_eq!(got, expected, "{body}");
        }
        assert!(admin_request(b"not json", now).is_err());
    }
}

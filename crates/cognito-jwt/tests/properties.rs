//! Properties: scope and group matching is exact set membership, and no input
//! makes the verifier panic or accept what it should not.
//!
//! One current-thread runtime and one verifier per property; the verifier uses
//! a static JWKS, so nothing here touches the network. Case counts are modest
//! (every case that needs a valid signature mints an RSA signature).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::{
    Clock, Error, ErrorClass, Issuer, ManualClock, Requirement, SystemClock, TokenUse, Verifier,
};
use cognito_jwt_testkit::{DEFAULT_CLIENT_ID, DEFAULT_POOL_ID, TestIssuer, TokenBuilder};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const ISS_NEW: &str = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";

struct Fixture {
    rt: tokio::runtime::Runtime,
    issuer: TestIssuer,
    verifier: Verifier,
    now: i64,
}

impl Fixture {
    fn new() -> Fixture {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let issuer = TestIssuer::cognito();
        let now = SystemClock.now();
        let verifier = Verifier::builder(
            Issuer::cognito(DEFAULT_POOL_ID).static_jwks(issuer.jwks().to_string()),
        )
        .client_ids([DEFAULT_CLIENT_ID])
        .any_token_use()
        .clock(ManualClock::new(now))
        .disable_token_cache()
        .build()
        .unwrap();
        Fixture {
            rt,
            issuer,
            verifier,
            now,
        }
    }

    fn verify(&self, token: &str) -> Result<cognito_jwt::Claims, Error> {
        self.rt.block_on(self.verifier.verify(token))
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The model: the `scope` claim as a list of words, split by hand on ASCII spaces only.
fn words(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in scope.chars() {
        if c == ' ' {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn model_accepts(present: &[String], required: &[String], all: bool) -> bool {
    let member = |r: &String| present.iter().any(|p| p == r);
    if all {
        required.iter().all(member)
    } else {
        required.iter().any(member)
    }
}

/// Scope-like words that differ by case, a prefix/suffix, a slash or a tab.
const SCOPE_WORDS: &[&str] = &[
    "openid",
    "email",
    "orders/read",
    "orders/readx",
    "orders/rea",
    "Orders/read",
    "ORDERS/READ",
    "orders/read/",
    "/orders/read",
    "orders/write",
    "orders\tread",
    "aws.cognito.signin.user.admin",
    "a",
    "é",
];

fn scope_claim() -> impl Strategy<Value = Option<String>> {
    let joined = (
        vec(select(SCOPE_WORDS), 0..6),
        vec(1usize..4, 6),
        any::<(bool, bool)>(),
    )
        .prop_map(|(ws, gaps, (lead, trail))| {
            let mut s = String::new();
            if lead {
                s.push(' ');
            }
            for (i, w) in ws.iter().enumerate() {
                if i > 0 {
                    s.push_str(&" ".repeat(gaps[i % gaps.len()]));
                }
                s.push_str(w);
            }
            if trail {
                s.push(' ');
            }
            s
        });
    prop_oneof![1 => Just(None), 8 => joined.prop_map(Some)]
}

/// Required scopes: drawn from the claim's own words half of the time, so
/// both outcomes are common, plus near misses the claim can never hold.
fn required_words(present: Vec<String>) -> impl Strategy<Value = Vec<String>> {
    let other = prop_oneof![
        8 => select(SCOPE_WORDS).prop_map(str::to_owned),
        1 => Just(String::new()),
        1 => Just(" orders/read".to_owned()),
        1 => Just("orders/read orders/write".to_owned()),
    ];
    let word = if present.is_empty() {
        other.boxed()
    } else {
        prop_oneof![select(present), other].boxed()
    };
    vec(word, 1..4)
}

/// RFC 6749 §3.3 scope-token: what a scope rule may name.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[test]
fn scope_requirements_are_exact_case_sensitive_membership() {
    let fx = Fixture::new();
    let strategy = scope_claim().prop_flat_map(|scope| {
        let present = words(scope.as_deref().unwrap_or_default());
        (Just(scope), required_words(present), any::<bool>())
    });
    runner(128)
        .run(&strategy, |(scope, required, all)| {
            let builder = fx.issuer.access_token().issued_at(fx.now);
            let builder = match &scope {
                Some(s) => builder.claim("scope", s.as_str()),
                None => builder.remove_claim("scope"),
            };
            let claims = fx
                .verify(&builder.build())
                .map_err(|e| TestCaseError::fail(format!("valid token refused: {e:?}")))?;
            let present = words(scope.as_deref().unwrap_or_default());
            prop_assert_eq!(
                claims.scopes().collect::<Vec<_>>(),
                present.iter().map(String::as_str).collect::<Vec<_>>()
            );
            let built = if all {
                Requirement::new().all_scopes(required.clone())
            } else {
                Requirement::new().any_scope(required.clone())
            };
            // A list with an unusable name is refused when built, never
            // left to match nothing (or everything) at request time.
            let requirement = match built {
                Ok(requirement) => requirement,
                Err(e) => {
                    prop_assert!(
                        required.iter().any(|r| !is_scope_token(r)),
                        "{e}: {required:?}"
                    );
                    return Ok(());
                }
            };
            prop_assert!(!required.iter().any(|r| !is_scope_token(r)));
            let expected = if model_accepts(&present, &required, all) {
                Ok(())
            } else {
                Err(Error::InsufficientScope {
                    required: required.clone(),
                    all,
                })
            };
            prop_assert_eq!(requirement.verify(&claims), expected);
            for r in &required {
                prop_assert_eq!(claims.has_scope(r), present.contains(r));
            }
            Ok(())
        })
        .unwrap();
}

const GROUP_WORDS: &[&str] = &[
    "admin", "Admin", "ADMIN", "admins", "admi", " admin", "admin ", "users", "a b", "",
];

#[test]
fn group_requirements_are_exact_case_sensitive_membership() {
    let fx = Fixture::new();
    let groups = prop_oneof![
        1 => Just(None),
        6 => vec(select(GROUP_WORDS).prop_map(str::to_owned), 0..5).prop_map(Some),
    ];
    let strategy = groups.prop_flat_map(|groups| {
        let other = select(GROUP_WORDS).prop_map(str::to_owned);
        let word = match &groups {
            Some(g) if !g.is_empty() => prop_oneof![select(g.clone()), other].boxed(),
            _ => other.boxed(),
        };
        (Just(groups), vec(word, 1..4), any::<bool>())
    });
    runner(128)
        .run(&strategy, |(groups, required, all)| {
            let builder = fx.issuer.access_token().issued_at(fx.now);
            let builder = match &groups {
                Some(g) => builder.claim("cognito:groups", json!(g)),
                None => builder.remove_claim("cognito:groups"),
            };
            let claims = fx
                .verify(&builder.build())
                .map_err(|e| TestCaseError::fail(format!("valid token refused: {e:?}")))?;
            let present = groups.clone().unwrap_or_default();
            prop_assert_eq!(
                claims.groups().collect::<Vec<_>>(),
                present.iter().map(String::as_str).collect::<Vec<_>>()
            );
            let built = if all {
                Requirement::new().all_groups(required.clone())
            } else {
                Requirement::new().any_group(required.clone())
            };
            // A list with an unusable name is refused when built, never
            // left to match nothing (or everything) at request time.
            let requirement = match built {
                Ok(requirement) => requirement,
                Err(e) => {
                    prop_assert!(required.iter().any(|r| r.is_empty()), "{e}: {required:?}");
                    return Ok(());
                }
            };
            prop_assert!(!required.iter().any(|r| r.is_empty()));
            let expected = if model_accepts(&present, &required, all) {
                Ok(())
            } else {
                Err(Error::MissingGroup {
                    required: required.clone(),
                    all,
                })
            };
            prop_assert_eq!(requirement.verify(&claims), expected);
            Ok(())
        })
        .unwrap();
}

fn refused(fx: &Fixture, token: &str) -> Result<(), TestCaseError> {
    match fx.verify(token) {
        Ok(claims) => Err(TestCaseError::fail(format!(
            "accepted {token:?} as {claims:?}"
        ))),
        Err(e) => {
            prop_assert_eq!(e.class(), ErrorClass::InvalidToken, "{:?}", e);
            Ok(())
        }
    }
}

#[test]
fn arbitrary_strings_are_refused_without_panicking() {
    let fx = Fixture::new();
    let strategy = prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/.-]{0,400}",
        "[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{0,60}",
        "(eyJ[A-Za-z0-9_-]{0,40}\\.){0,6}[A-Za-z0-9_-]{0,40}",
    ];
    runner(512).run(&strategy, |s| refused(&fx, &s)).unwrap();
}

#[test]
fn arbitrary_bytes_in_three_segments_are_refused_without_panicking() {
    let fx = Fixture::new();
    let valid_header = b64(br#"{"kid":"test-key-1","alg":"RS256"}"#);
    let header = prop_oneof![
        vec(any::<u8>(), 0..120).prop_map(|b| b64(&b)),
        Just(valid_header),
    ];
    let strategy = (header, vec(any::<u8>(), 0..300), vec(any::<u8>(), 0..300));
    runner(512)
        .run(&strategy, |(h, p, s)| {
            refused(&fx, &format!("{h}.{}.{}", b64(&p), b64(&s)))
        })
        .unwrap();
}

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            vec(("[a-z:_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Mostly no duplicate; otherwise one in front or at the end.
fn duplicate_at() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![6 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))]
}

/// Optionally repeat a member textually (serde_json maps cannot hold duplicates).
fn with_duplicate(json: String, duplicate: Option<bool>, name: &str, value: &str) -> String {
    match duplicate {
        _ if json == "{}" => json,
        Some(true) => format!("{},\"{name}\":{value}}}", &json[..json.len() - 1]),
        Some(false) => format!("{{\"{name}\":{value},{}", &json[1..]),
        None => json,
    }
}

/// A replacement for one member: removed (`None`), an interesting value, or anything.
fn replacement(interesting: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        3 => select(interesting).prop_map(Some),
        2 => json_value().prop_map(Some),
    ]
}

/// Apply `edits` to `base`, then render, optionally with a textual duplicate.
fn render(
    mut base: Map<String, Value>,
    edits: Vec<(&'static str, Option<Value>)>,
    duplicate: Option<bool>,
    dup_name: &str,
    dup_value: &str,
) -> String {
    for (name, value) in edits {
        match value {
            Some(v) => base.insert(name.to_owned(), v),
            None => base.remove(name),
        };
    }
    with_duplicate(
        Value::Object(base).to_string(),
        duplicate,
        dup_name,
        dup_value,
    )
}

/// A valid Cognito header with zero to two members removed or replaced.
fn header_json() -> impl Strategy<Value = String> {
    let names = select(vec![
        "alg", "kid", "typ", "cty", "crit", "b64", "jku", "jwk", "x5c", "zip",
    ]);
    let values = replacement(vec![
        json!("RS256"),
        json!("none"),
        json!("HS256"),
        json!("ES256"),
        json!("test-key-1"),
        json!("test-key-2"),
        json!(""),
        json!("JWT"),
        json!(false),
        json!(["exp"]),
    ]);
    (vec((names, values), 0..2), duplicate_at()).prop_map(|(edits, duplicate)| {
        let base = json!({"kid": "test-key-1", "alg": "RS256"});
        let base = base.as_object().unwrap().clone();
        render(base, edits, duplicate, "alg", "\"none\"")
    })
}

/// A valid access or ID token payload with zero to three claims removed or replaced.
fn payload_json(now: i64) -> impl Strategy<Value = String> {
    let names = select(vec![
        "iss",
        "sub",
        "token_use",
        "client_id",
        "aud",
        "exp",
        "iat",
        "nbf",
        "scope",
        "cognito:groups",
        "username",
    ]);
    let values = replacement(vec![
        json!(ISS),
        json!(ISS_NEW),
        json!(format!("{ISS}/")),
        json!("access"),
        json!("id"),
        json!("ID"),
        json!(DEFAULT_CLIENT_ID),
        json!([DEFAULT_CLIENT_ID]),
        json!("other-client"),
        json!(now + 3600),
        json!(now - 3600),
        json!(now as f64 + 0.5),
        json!(-1),
        json!(["admin"]),
        json!("openid orders/read"),
    ]);
    (
        any::<bool>(),
        vec((names, values), 0..3),
        vec(("[a-z:_]{1,10}", json_value()), 0..3),
        duplicate_at(),
    )
        .prop_map(move |(id, edits, extra, duplicate)| {
            let mut base = if id {
                json!({"sub": "user-1", "aud": DEFAULT_CLIENT_ID, "iss": ISS, "token_use": "id",
                       "exp": now + 3600, "iat": now, "email": "u@example.com"})
            } else {
                json!({"sub": "user-1", "iss": ISS, "client_id": DEFAULT_CLIENT_ID,
                       "token_use": "access", "scope": "openid", "exp": now + 3600, "iat": now})
            };
            let base = base.as_object_mut().unwrap();
            for (k, v) in extra {
                base.insert(k, v);
            }
            render(base.clone(), edits, duplicate, "sub", "\"attacker\"")
        })
}

/// Header and payload JSON of every shape, each token carrying a valid RS256
/// signature over its exact bytes: the claims alone decide, never a panic, and
/// an accepted token really meets every rule.
#[test]
fn validly_signed_arbitrary_json_is_decided_by_the_rules() {
    let fx = Fixture::new();
    let key = fx.issuer.current_key();
    let strategy = (header_json(), payload_json(fx.now));
    runner(192)
        .run(&strategy, |(header, payload)| {
            let token = TokenBuilder::new(&key)
                .raw_header_json(header.clone())
                .raw_payload_json(payload.clone())
                .build();
            match fx.verify(&token) {
                Err(e) => {
                    prop_assert_eq!(e.class(), ErrorClass::InvalidToken, "{:?}", e);
                }
                Ok(claims) => {
                    let h: Value = serde_json::from_str(&header).unwrap();
                    let p: Value = serde_json::from_str(&payload).unwrap();
                    prop_assert_eq!(&h["alg"], &json!("RS256"));
                    prop_assert_eq!(&h["kid"], &json!("test-key-1"));
                    prop_assert!(h.get("crit").is_none() && h.get("b64").is_none());
                    prop_assert!(
                        [ISS, ISS_NEW].contains(&p["iss"].as_str().unwrap_or_default()),
                        "iss {}",
                        p["iss"]
                    );
                    prop_assert_eq!(claims.issuer(), p["iss"].as_str().unwrap());
                    prop_assert_eq!(claims.sub(), p["sub"].as_str().unwrap());
                    let exp = p["exp"].as_f64().unwrap();
                    prop_assert!(exp + 30.0 > fx.now as f64, "exp {}", exp);
                    match p["token_use"].as_str() {
                        Some("access") => {
                            prop_assert_eq!(claims.token_use(), TokenUse::Access);
                            prop_assert_eq!(&p["client_id"], &json!(DEFAULT_CLIENT_ID));
                        }
                        Some("id") => {
                            prop_assert_eq!(claims.token_use(), TokenUse::Id);
                            let aud = &p["aud"];
                            prop_assert!(
                                aud == &json!(DEFAULT_CLIENT_ID)
                                    || aud == &json!([DEFAULT_CLIENT_ID]),
                                "aud {}",
                                aud
                            );
                        }
                        other => {
                            return Err(TestCaseError::fail(format!("token_use {other:?}")));
                        }
                    }
                    prop_assert_eq!(claims.all(), p.as_object().unwrap());
                }
            }
            Ok(())
        })
        .unwrap();
}

/// Arbitrary text as header or payload JSON, validly signed.
#[test]
fn validly_signed_arbitrary_text_never_panics() {
    let fx = Fixture::new();
    let key = fx.issuer.current_key();
    let valid_header = r#"{"kid":"test-key-1","alg":"RS256"}"#.to_owned();
    let strategy = prop_oneof![
        ("\\PC{0,80}", Just(String::new())).prop_map(|(h, _)| (h, "{}".to_owned())),
        "[{}\\[\\]\":,a-z0-9 .eE+-]{0,80}".prop_map(move |p| (valid_header.clone(), p)),
    ];
    runner(128)
        .run(&strategy, |(header, payload)| {
            let token = TokenBuilder::new(&key)
                .raw_header_json(header)
                .raw_payload_json(payload)
                .build();
            refused(&fx, &token)
        })
        .unwrap();
}

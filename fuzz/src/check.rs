//! The invariants of an accepted token, checked from the token's bytes with
//! independent code (the base64 crate, serde_json, aws-lc-rs directly), never
//! with the verifier's own parsers. Each broken invariant panics: for
//! libFuzzer, a crash.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::{Claims, TokenUse};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::keys::keys;
use crate::setup::{ISSUERS, IssuerSpec, NOW, Spec};

/// Largest NumericDate the verifier accepts (9999-12-31T23:59:59Z).
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// A JSON object's members in order, duplicates kept (serde_json's `Map`
/// would keep the last silently). Values of members `read` does not name
/// are only skipped, as a verifier that never reads them may (so `1e400`,
/// which serde_json cannot represent, is fine there); they come back `null`.
struct Members {
    members: Vec<(String, Value)>,
}

struct MembersSeed {
    read: fn(&str) -> bool,
}

impl<'de> DeserializeSeed<'de> for MembersSeed {
    type Value = Members;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed {
    type Value = Members;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if (self.read)(&key) {
                map.next_value::<Value>()?
            } else {
                map.next_value::<IgnoredAny>()?;
                Value::Null
            };
            members.push((key, value));
        }
        Ok(Members { members })
    }
}

/// The segment's JSON object, or a panic saying why the verifier should
/// not have accepted it.
fn object(what: &str, bytes: &[u8], read: fn(&str) -> bool) -> Map<String, Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = MembersSeed { read }
        .deserialize(&mut de)
        .and_then(|m| de.end().map(|()| m));
    let members = match parsed {
        Ok(m) => m.members,
        Err(e) => panic!("accepted a token whose {what} is not a JSON object ({e})"),
    };
    let mut map = Map::new();
    for (name, value) in members {
        assert!(
            !map.contains_key(&name),
            "accepted a token whose {what} has the member {name:?} twice"
        );
        map.insert(name, value);
    }
    map
}

fn string<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// A NumericDate as the verifier must read it: seconds, a fraction rounded
/// toward the stricter side (`exp` down, `nbf` and `iat` up), within what the
/// verifier accepts.
fn numeric_date(map: &Map<String, Value>, name: &str) -> Option<i64> {
    let value = map.get(name)?;
    let secs = match value.as_i64() {
        Some(i) => i,
        None => match value.as_f64() {
            Some(f) if (0.0..=MAX_NUMERIC_DATE as f64).contains(&f) => {
                if name == "exp" {
                    f.floor() as i64
                } else {
                    f.ceil() as i64
                }
            }
            _ => panic!("accepted a token whose {name} is {value}, not a NumericDate"),
        },
    };
    assert!(
        (0..=MAX_NUMERIC_DATE).contains(&secs),
        "accepted a token whose {name} is {value}, out of range"
    );
    Some(secs)
}

/// A string or an array of strings, as `aud` is; `None` when absent.
fn string_list(map: &Map<String, Value>, name: &str, allow_single: bool) -> Option<Vec<String>> {
    let value = map.get(name)?;
    let list = match value {
        Value::String(s) if allow_single => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => panic!("accepted a token whose {name} holds {other}"),
            })
            .collect(),
        other => panic!("accepted a token whose {name} is {other}"),
    };
    Some(list)
}

fn typ_matches(typ: &str, required: &str) -> bool {
    let strip = |s: &str| {
        let lower = s.to_ascii_lowercase();
        lower
            .strip_prefix("application/")
            .map_or(lower.clone(), str::to_owned)
    };
    strip(typ) == strip(required)
}

/// Every invariant of a token that `spec`'s verifier accepted with `claims`.
/// `signer` is the index of the key that signed it, when the caller knows.
///
/// # Panics
/// When one is broken.
pub fn accepted(spec: &Spec, token: &str, claims: &Claims, signer: Option<usize>) {
    let ctx = format!("[{}] token {token:?}", spec.name);
    // Structure: exactly three segments of canonical unpadded base64url.
    let segments: Vec<&str> = token.split('.').collect();
    let [h, p, s] = segments.as_slice() else {
        panic!("{ctx}: accepted with {} segments", segments.len());
    };
    let decode = |what: &str, text: &str| {
        URL_SAFE_NO_PAD
            .decode(text)
            .unwrap_or_else(|e| panic!("{ctx}: accepted with a {what} that is not base64url ({e})"))
    };
    let (header_bytes, payload_bytes, signature) = (
        decode("header", h),
        decode("payload", p),
        decode("signature", s),
    );
    assert_eq!(
        claims.payload_json().as_bytes(),
        payload_bytes.as_slice(),
        "{ctx}: payload_json is not the signed payload"
    );
    // The verifier reads these header members; it skips the others unread.
    let header = object("header", &header_bytes, |name| {
        matches!(name, "alg" | "kid" | "typ" | "cty")
    });
    let payload = object("payload", &payload_bytes, |_| true);

    // Header: no extension the verifier does not implement, an allowed alg, the kid used.
    for banned in ["crit", "b64"] {
        assert!(
            !header.contains_key(banned),
            "{ctx}: accepted with header {banned}"
        );
    }
    if let Some(cty) = header.get("cty") {
        let nested = cty.as_str().is_none_or(|c| c.eq_ignore_ascii_case("JWT"));
        assert!(!nested, "{ctx}: accepted a nested token (cty {cty})");
    }
    let alg = string(&header, "alg").unwrap_or_else(|| panic!("{ctx}: accepted without alg"));
    assert_eq!(
        alg,
        claims.algorithm().as_str(),
        "{ctx}: not the header's alg"
    );
    let kid = string(&header, "kid").unwrap_or_else(|| panic!("{ctx}: accepted without kid"));
    assert_eq!(kid, claims.key_id(), "{ctx}: not the header's kid");

    // Issuer: a trusted one, and the key is that issuer's, under that kid.
    let iss = string(&payload, "iss").unwrap_or_else(|| panic!("{ctx}: accepted without iss"));
    assert_eq!(iss, claims.issuer(), "{ctx}: claims.issuer() is not iss");
    let trusted: &IssuerSpec = ISSUERS
        .iter()
        .find(|i| i.names.contains(&iss))
        .unwrap_or_else(|| panic!("{ctx}: accepted from untrusted issuer {iss:?}"));
    assert!(
        trusted.algorithms.contains(&claims.algorithm()),
        "{ctx}: alg {alg} is not allowed for {iss}"
    );
    if let Some(required) = trusted.required_typ {
        let typ = string(&header, "typ").unwrap_or_default();
        assert!(
            typ_matches(typ, required),
            "{ctx}: typ {typ:?}, {required:?} required"
        );
    }
    let all = keys();
    let key = trusted
        .keys
        .iter()
        .filter_map(|k| all.get(*k).map(|key| (*k, key)))
        .find(|(_, key)| key.kid == kid);
    let Some((key_index, key)) = key else {
        panic!("{ctx}: accepted with kid {kid:?}, not in {iss}'s key set");
    };
    let signing_input = token.get(..h.len() + 1 + p.len()).unwrap_or_default();
    assert!(
        key.verifies(claims.algorithm(), signing_input.as_bytes(), &signature),
        "{ctx}: the signature is not {iss}'s key {kid:?} ({})",
        key.name
    );
    if let Some(signer) = signer {
        assert_eq!(
            signer, key_index,
            "{ctx}: signed by another key than {kid:?} of {iss}"
        );
    }

    // Time, with leeway 0 at NOW.
    let exp = numeric_date(&payload, "exp").unwrap_or_else(|| panic!("{ctx}: no exp"));
    assert_eq!(exp, claims.expires_at(), "{ctx}: expires_at() is not exp");
    assert!(NOW < exp, "{ctx}: accepted expired (exp {exp}, now {NOW})");
    if let Some(nbf) = numeric_date(&payload, "nbf") {
        assert!(nbf <= NOW, "{ctx}: accepted before nbf {nbf}");
    }
    let iat = numeric_date(&payload, "iat");
    if let Some(iat) = iat {
        assert!(iat <= NOW, "{ctx}: accepted with iat {iat} in the future");
    }
    assert_eq!(iat, claims.issued_at(), "{ctx}: issued_at() is not iat");

    // Subject.
    let sub = string(&payload, "sub").unwrap_or_else(|| panic!("{ctx}: accepted without sub"));
    assert_eq!(sub, claims.sub(), "{ctx}: sub() is not sub");

    // Token use: as sent, or the issuer's default; the configured one.
    let token_use = match payload.get("token_use") {
        None => trusted
            .default_token_use
            .unwrap_or_else(|| panic!("{ctx}: accepted without token_use")),
        Some(Value::String(u)) if u == "id" => TokenUse::Id,
        Some(Value::String(u)) if u == "access" => TokenUse::Access,
        Some(other) => panic!("{ctx}: accepted with token_use {other}"),
    };
    assert_eq!(
        token_use,
        claims.token_use(),
        "{ctx}: token_use() is not token_use"
    );
    if let Some(expected) = spec.token_use {
        assert_eq!(token_use, expected, "{ctx}: the wrong token use");
    }

    // Client: client_id of access tokens, one of aud of ID tokens.
    let aud = string_list(&payload, "aud", true);
    let audience: Vec<&str> = claims.audience().collect();
    assert_eq!(
        aud.as_deref().unwrap_or_default(),
        audience.as_slice(),
        "{ctx}: audience() is not aud"
    );
    let allowed = |c: &str| spec.clients.is_none_or(|ids| ids.contains(&c));
    match token_use {
        TokenUse::Access => {
            let client = string(&payload, "client_id")
                .unwrap_or_else(|| panic!("{ctx}: access token without client_id"));
            assert!(
                allowed(client),
                "{ctx}: client_id {client:?} is not allowed"
            );
            assert_eq!(Some(client), claims.client_id(), "{ctx}: client_id()");
            if let Some(required) = spec.required_audience {
                assert!(
                    audience.iter().any(|a| required.contains(a)),
                    "{ctx}: accepted without a required audience"
                );
            }
        }
        TokenUse::Id => {
            // OIDC Core 3.1.3.7: the client is azp (required with several
            // audiences, and one of them), else the one audience.
            let azp = string(&payload, "azp");
            assert!(
                audience.len() == 1 || azp.is_some(),
                "{ctx}: several audiences without azp (aud {audience:?})"
            );
            let client = azp.or_else(|| audience.first().copied());
            assert!(
                client.is_some_and(|c| allowed(c) && audience.contains(&c)),
                "{ctx}: ID token for no allowed client (aud {audience:?}, azp {azp:?})"
            );
            assert_eq!(client, claims.client_id(), "{ctx}: client_id()");
        }
    }

    // The other accessors read the same payload.
    assert_eq!(string(&payload, "scope"), claims.scope(), "{ctx}: scope()");
    let groups = string_list(&payload, "cognito:groups", false).unwrap_or_default();
    assert!(
        claims.groups().eq(groups.iter().map(String::as_str)),
        "{ctx}: groups()"
    );
    let username = match token_use {
        TokenUse::Access => string(&payload, "username"),
        TokenUse::Id => string(&payload, "cognito:username"),
    };
    assert_eq!(username, claims.username(), "{ctx}: username()");
    assert_eq!(claims.all(), &payload, "{ctx}: all() is not the payload");
    let typed = match token_use {
        TokenUse::Access => claims.access_token().is_some(),
        TokenUse::Id => claims.id_token().is_some(),
    };
    assert!(
        typed,
        "{ctx}: the typed {token_use} view does not read the payload"
    );
}

/// `Ok` for both or `Err` for both, the same error.
///
/// # Panics
/// When the answers differ.
pub fn same_answer(
    what: &str,
    a: &Result<Claims, cognito_jwt::Error>,
    b: &Result<Claims, cognito_jwt::Error>,
) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x.payload_json(), y.payload_json(), "{what}: claims differ"),
        (Err(x), Err(y)) => assert_eq!(x, y, "{what}: errors differ"),
        (x, y) => panic!("{what}: {x:?} but {y:?}"),
    }
}

/// What must hold of every rejection: it renders (its message quotes capped
/// token input, so this catches slicing inside a character), and its
/// `WWW-Authenticate` value and JSON body are well formed.
///
/// # Panics
/// When one does not.
pub fn rejected(error: &cognito_jwt::Error) {
    let message = error.to_string();
    assert!(!message.is_empty(), "{error:?}: empty message");
    let _ = (
        error.kind(),
        error.class().status(),
        error.client_description(),
    );
    let challenge = cognito_jwt::Challenge::new(error, Some("fuzz \"realm\"\r\n"));
    if let Some(value) = challenge.www_authenticate() {
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80),
            "{error:?}: WWW-Authenticate {value:?} is not a valid header value"
        );
    }
    let body: Value = serde_json::from_str(challenge.body())
        .unwrap_or_else(|e| panic!("{error:?}: body {:?} is not JSON ({e})", challenge.body()));
    assert!(
        body.get("error").is_some_and(Value::is_string)
            && body.get("error_description").is_some_and(Value::is_string),
        "{error:?}: body {body}"
    );
}

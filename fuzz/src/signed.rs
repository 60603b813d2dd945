//! The structure-aware target: header and payload JSON built from fuzzed
//! pieces, signed with a real key, verified by every configuration; every
//! accepted token must meet [`check::accepted`].
//!
//! The input is decoded with `arbitrary` into an [`Input`]: which key signs,
//! whether each object starts from a valid template, and edits (insert,
//! remove, replace, duplicate members) with names and values drawn from
//! the ones the verifier reads, near misses, escapes and odd types.

use std::fmt::Write as _;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::check;
use crate::keys::{Key, keys};
use crate::setup::{self, ISSUERS, NOW, block_on, verifiers};

/// A JSON string as written: which characters are `\u`-escaped.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Escape {
    /// Only what JSON requires.
    Plain,
    /// Every character as `\uXXXX` (surrogate pairs beyond the BMP).
    All,
    /// Every other character.
    Alternate,
    /// `/` as `\/`, the rest plain.
    Solidus,
}

/// A member name.
#[derive(Arbitrary, Debug, Clone)]
pub enum Name {
    /// One the verifier reads (header or payload), by index.
    Known(u8),
    /// Any other.
    Other(String),
}

const HEADER_NAMES: &[&str] = &[
    "alg", "kid", "typ", "cty", "crit", "b64", "jku", "jwk", "x5u", "x5c", "zip", "enc",
];
const PAYLOAD_NAMES: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "client_id",
    "token_use",
    "exp",
    "nbf",
    "iat",
    "scope",
    "cognito:groups",
    "username",
    "cognito:username",
    "auth_time",
    "jti",
    "email_verified",
    "custom:tenant",
];

/// Strings that matter somewhere: issuers and near misses, clients, token
/// uses, kids, algorithms, types.
const STRINGS: &[&str] = &[
    setup::ISS_A,
    setup::ISS_A2,
    setup::ISS_B,
    setup::ISS_C,
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FuzzPool1/",
    "https://issuer-b.example.com/",
    "https://issuer-c.example.com",
    "HTTPS://issuer-b.example.com",
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_fuzzpool1",
    "client-1",
    "client-2",
    "client-3",
    "Client-1",
    "client-1 ",
    setup::API_AUDIENCE,
    "id",
    "access",
    "ID",
    "Access",
    "refresh",
    "",
    "rsa-a",
    "ec-b",
    "ed-b",
    "shared",
    "ec-c",
    "p384-c",
    "RS256",
    "ES256",
    "EdDSA",
    "ES384",
    "PS256",
    "HS256",
    "none",
    "at+jwt",
    "application/at+jwt",
    "AT+JWT",
    "JWT",
    "jwt",
    "user-1",
    "orders/read orders/write",
    "admin",
];

/// A JSON value.
#[derive(Arbitrary, Debug, Clone)]
pub enum Val {
    /// One of [`STRINGS`].
    Known(u8, Escape),
    /// Any string.
    Str(String, Escape),
    /// [`NOW`] plus this many seconds, as an integer.
    Time(i32),
    /// [`NOW`] plus this, as a float.
    TimeFloat(f32),
    /// [`NOW`] plus this many seconds, written as a string.
    TimeString(i32),
    /// An integer.
    Int(i64),
    /// An unsigned integer (beyond `i64` too).
    Uint(u64),
    /// A float.
    Float(f64),
    /// One of a few number spellings (exponents, `-0`, huge).
    Number(u8),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An array.
    Array(Vec<Val>),
    /// An object.
    Object(Vec<(String, Val)>),
    /// Raw text, spliced in as it is (may break the JSON).
    Raw(String),
}

const NUMBERS: &[&str] = &[
    "1700003600.0",
    "1.7000036e9",
    "17000036e2",
    "1700003600.999",
    "-0",
    "-0.0",
    "0",
    "1e400",
    "253402300799",
    "253402300800",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-1",
    "1699999999.5",
    "1700000000",
];

/// One edit of a member list.
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    /// Insert a member at this position.
    Insert(u8, Name, Escape, Val),
    /// Remove the member at this position.
    Remove(u8),
    /// Give the member at this position another value.
    Replace(u8, Val),
    /// Repeat the member at this position, its name escaped as given.
    Duplicate(u8, Escape),
}

/// How an object is written.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Layout {
    /// No whitespace.
    Compact,
    /// Spaces and newlines around every token.
    Spaced,
    /// Trailing garbage after the object.
    Trailing,
}

/// One signed-token case.
#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    /// Which key signs ([`keys`] index, modulo).
    pub signer: u8,
    /// Whether the header starts as the signer's `{"kid","alg"}`.
    pub header_template: bool,
    /// Whether the payload starts as a valid token of this shape (0-3).
    pub payload_template: Option<u8>,
    /// Edits to the header members.
    pub header_edits: Vec<Edit>,
    /// Edits to the payload members.
    pub payload_edits: Vec<Edit>,
    /// How the header is written.
    pub header_layout: Layout,
    /// How the payload is written.
    pub payload_layout: Layout,
}

/// A member as it will be written: its name (escape applied at writing) and value.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    escape: Escape,
    value: Val,
}

fn member(name: &str, value: Val) -> Member {
    Member {
        name: name.to_owned(),
        escape: Escape::Plain,
        value,
    }
}

fn known(s: &str) -> Val {
    let index = STRINGS.iter().position(|k| *k == s).unwrap_or_default();
    Val::Known(u8::try_from(index).unwrap_or_default(), Escape::Plain)
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list.get(usize::from(i) % list.len().max(1))
        .copied()
        .unwrap_or_default()
}

fn write_string(out: &mut String, s: &str, escape: Escape) {
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        let force = match escape {
            Escape::Plain => false,
            Escape::All => true,
            Escape::Alternate => i % 2 == 0,
            Escape::Solidus => {
                if c == '/' {
                    out.push_str("\\/");
                    continue;
                }
                false
            }
        };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if force || c < ' ' => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, value: &Val, layout: Layout, depth: usize) {
    let space = if matches!(layout, Layout::Spaced) {
        " \n"
    } else {
        ""
    };
    match value {
        Val::Known(i, e) => write_string(out, pick(STRINGS, *i), *e),
        Val::Str(s, e) => write_string(out, s, *e),
        Val::Time(d) => {
            let _ = write!(out, "{}", NOW + i64::from(*d));
        }
        Val::TimeFloat(d) => {
            let f = NOW as f64 + f64::from(*d);
            if f.is_finite() {
                let _ = write!(out, "{f:?}");
            } else {
                out.push('0');
            }
        }
        Val::TimeString(d) => {
            let _ = write!(out, "\"{}\"", NOW + i64::from(*d));
        }
        Val::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Val::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Val::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        Val::Float(_) => out.push_str("1e999"),
        Val::Number(i) => out.push_str(pick(NUMBERS, *i)),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Null => out.push_str("null"),
        Val::Array(items) if depth < 8 => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space);
                write_value(out, item, layout, depth + 1);
            }
            out.push_str(space);
            out.push(']');
        }
        Val::Object(members) if depth < 8 => {
            out.push('{');
            for (i, (name, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name, Escape::Plain);
                out.push(':');
                write_value(out, item, layout, depth + 1);
            }
            out.push('}');
        }
        Val::Array(_) | Val::Object(_) => out.push_str("[]"),
        Val::Raw(raw) => out.push_str(raw),
    }
}

fn write_object(members: &[Member], layout: Layout) -> String {
    let space = if matches!(layout, Layout::Spaced) {
        " \n\t"
    } else {
        ""
    };
    let mut out = String::from("{");
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(space);
        write_string(&mut out, &m.name, m.escape);
        out.push_str(space);
        out.push(':');
        out.push_str(space);
        write_value(&mut out, &m.value, layout, 0);
    }
    out.push_str(space);
    out.push('}');
    if matches!(layout, Layout::Trailing) {
        out.push_str(" {}");
    }
    out
}

fn apply(members: &mut Vec<Member>, edits: &[Edit], names: &[&str]) {
    for edit in edits {
        let at = |i: u8, len: usize| usize::from(i) % len.max(1);
        match edit {
            Edit::Insert(i, name, escape, value) => {
                let name = match name {
                    Name::Known(k) => pick(names, *k).to_owned(),
                    Name::Other(s) => s.clone(),
                };
                let pos = at(*i, members.len() + 1);
                members.insert(
                    pos,
                    Member {
                        name,
                        escape: *escape,
                        value: value.clone(),
                    },
                );
            }
            Edit::Remove(i) if !members.is_empty() => {
                let pos = at(*i, members.len());
                members.remove(pos);
            }
            Edit::Replace(i, value) => {
                let pos = at(*i, members.len());
                if let Some(m) = members.get_mut(pos) {
                    m.value = value.clone();
                }
            }
            Edit::Duplicate(i, escape) => {
                if let Some(m) = members.get(at(*i, members.len())).cloned() {
                    members.push(Member {
                        escape: *escape,
                        ..m
                    });
                }
            }
            Edit::Remove(_) => {}
        }
    }
}

/// The payload template `shape` for `signer`: a token the strict
/// verifiers accept (0: access, 1: ID, 2: access with the API audience,
/// 3: access without `token_use`, for issuer C).
fn payload_template(signer: &Key, signer_index: usize, shape: u8) -> Vec<Member> {
    let issuer = ISSUERS
        .iter()
        .find(|i| i.keys.contains(&signer_index))
        .map_or(setup::ISS_B, |i| {
            i.names.first().copied().unwrap_or_default()
        });
    let _ = signer;
    let mut members = vec![
        member("iss", known(issuer)),
        member("sub", known("user-1")),
        member("exp", Val::Time(3600)),
        member("iat", Val::Time(-60)),
    ];
    match shape % 4 {
        0 => {
            members.push(member("token_use", known("access")));
            members.push(member("client_id", known("client-1")));
            members.push(member("scope", known("orders/read orders/write")));
        }
        1 => {
            members.push(member("token_use", known("id")));
            members.push(member("aud", known("client-1")));
            members.push(member("cognito:username", known("user-1")));
            members.push(member("cognito:groups", Val::Array(vec![known("admin")])));
        }
        2 => {
            members.push(member("token_use", known("access")));
            members.push(member("client_id", known("client-2")));
            members.push(member("aud", Val::Array(vec![known(setup::API_AUDIENCE)])));
        }
        _ => {
            members.push(member("client_id", known("client-1")));
        }
    }
    members
}

/// A valid access token for `iss`, any client, signed by `key`; for seeds
/// and the jwks target.
pub fn mint(key: &Key, iss: &str) -> String {
    let header = format!(r#"{{"kid":"{}","alg":"{}"}}"#, key.kid, key.alg.as_str());
    let payload = serde_json::json!({
        "iss": iss,
        "sub": "user-1",
        "token_use": "access",
        "client_id": "client-1",
        "exp": NOW + 3600,
        "iat": NOW - 60,
    })
    .to_string();
    sign(key, &header, &payload)
}

/// `base64url(header).base64url(payload).base64url(signature by key)`.
pub fn sign(key: &Key, header: &str, payload: &str) -> String {
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// The header and payload JSON an [`Input`] describes, and its signer.
pub fn render(input: &Input) -> (usize, String, String) {
    let all = keys();
    let signer_index = usize::from(input.signer) % all.len();
    let signer = all.get(signer_index).expect("a key");
    let mut header = if input.header_template {
        vec![
            member("kid", Val::Str(signer.kid.to_owned(), Escape::Plain)),
            member(
                "alg",
                Val::Str(signer.alg.as_str().to_owned(), Escape::Plain),
            ),
        ]
    } else {
        Vec::new()
    };
    apply(&mut header, &input.header_edits, HEADER_NAMES);
    let mut payload = match input.payload_template {
        Some(shape) => payload_template(signer, signer_index, shape),
        None => Vec::new(),
    };
    apply(&mut payload, &input.payload_edits, PAYLOAD_NAMES);
    (
        signer_index,
        write_object(&header, input.header_layout),
        write_object(&payload, input.payload_layout),
    )
}

/// The structure-aware target: see the module docs.
pub fn signed(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let (signer_index, header, payload) = render(&input);
    let Some(signer) = keys().get(signer_index) else {
        return;
    };
    let token = sign(signer, &header, &payload);
    for (spec, verifier) in verifiers() {
        let result = block_on(verifier.verify(&token));
        match &result {
            Ok(claims) => check::accepted(spec, &token, claims, Some(signer_index)),
            Err(e) => check::rejected(e),
        }
        if spec.name == "access" && result.is_ok() {
            crate::targets::cache_agrees(&token, &result);
        }
    }
}

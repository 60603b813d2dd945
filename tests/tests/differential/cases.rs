//! The cases of the differential test: valid Cognito ID and access tokens and
//! mutations of every claim, every header member, the encoding and the
//! signature, from a fixed seed.
//!
//! Every mutation has a class name (`area.what[/expectation]`); the known
//! differences table refers to these names, so a class must give the same
//! verdicts on every case it makes (the random parts of a case, such as
//! lifetimes, client lists, scopes and groups of the base token, never
//! decide a verdict). Times are at least 60 s from now: both sides compare
//! against the real clock with no leeway.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::TokenUse;
use cognito_jwt_testkit::{
    Alg, DEFAULT_CLIENT_ID, DEFAULT_POOL_ID, SigningKey, TestIssuer, TokenBuilder,
};
use serde_json::{Value, json};

pub const POOL_ID: &str = DEFAULT_POOL_ID;
pub const CLIENT: &str = DEFAULT_CLIENT_ID;
pub const OTHER_CLIENT: &str = "otherclient0987654321zyxwvu";
pub const REGIONAL_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
pub const GLOBAL_ISS: &str =
    "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
pub const SCOPE: &str = "orders/read";
pub const GROUP: &str = "admin";

/// Keys and JWKS shared by every case.
pub struct Fixture {
    /// Signs with `test-key-1` (RS256).
    pub issuer: TestIssuer,
    /// Published as `test-key-2` (RS256).
    pub key2: SigningKey,
    /// Published as `test-key-3` without `alg` and `use`, as moto does.
    pub key3: SigningKey,
    /// Not published, but claims `kid` `test-key-1`.
    pub foreign: SigningKey,
    pub jwks: Value,
    pub now: i64,
}

impl Fixture {
    pub fn new() -> Fixture {
        let issuer = TestIssuer::cognito();
        assert_eq!(issuer.issuer(), REGIONAL_ISS);
        let key1 = issuer.current_key();
        let key2 = SigningKey::rsa("test-key-2");
        let key3 = SigningKey::rsa("test-key-3");
        let foreign = SigningKey::rsa("test-key-1");
        let jwks = json!({ "keys": [
            key1.public_jwk(),
            key2.public_jwk(),
            key3.public_jwk_without_alg_use(),
        ]});
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs() as i64;
        Fixture {
            issuer,
            key2,
            key3,
            foreign,
            jwks,
            now,
        }
    }
}

/// One token and the expectations both verifiers are configured with.
#[derive(Debug, Clone)]
pub struct Case {
    pub class: &'static str,
    pub token_use: TokenUse,
    pub token: String,
    pub client_ids: Vec<String>,
    /// Any of these scopes is required (`None`: no scope check).
    pub scopes: Option<Vec<String>>,
    /// Any of these groups is required (`None`: no group check).
    pub groups: Option<Vec<String>>,
}

/// splitmix64: small, fixed, and enough to vary the cases reproducibly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A valid token (as a builder) and expectations it meets.
pub struct Base {
    pub kind: TokenUse,
    pub tb: TokenBuilder,
    pub client_ids: Vec<String>,
    pub scopes: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
}

/// What a mutation can run on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    Both,
    Id,
    Access,
}

type Make = fn(&mut Gen<'_>, &mut Base) -> String;

pub struct Mutation {
    pub class: &'static str,
    kinds: Kinds,
    make: Make,
}

const fn m(class: &'static str, kinds: Kinds, make: Make) -> Mutation {
    Mutation { class, kinds, make }
}

pub struct Gen<'a> {
    pub fx: &'a Fixture,
    pub rng: Rng,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` with the signature made by `key` over exactly
/// these (possibly non-canonical) segments.
fn signed(key: &SigningKey, header: &str, payload: &str) -> String {
    let signature = key.sign(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", b64(&signature))
}

/// A token from raw header and payload bytes, signed by `key`.
fn from_bytes(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
    signed(key, &b64(header), &b64(payload))
}

const PLACEHOLDER: &str = "@@raw@@";

/// The payload JSON with claim `name` written as this raw JSON text.
fn raw_claim(tb: TokenBuilder, name: &str, literal: &str) -> String {
    tb.claim(name, PLACEHOLDER)
        .payload_json()
        .replacen(&format!("\"{PLACEHOLDER}\""), literal, 1)
}

/// Claim `name` as raw JSON text, signed.
fn with_raw_claim(g: &Gen<'_>, b: &Base, name: &str, literal: &str) -> String {
    let payload = raw_claim(b.tb.clone(), name, literal);
    let header = b.tb.header_json();
    from_bytes(
        &g.fx.issuer.current_key(),
        header.as_bytes(),
        payload.as_bytes(),
    )
}

/// The header JSON with member `name` written as this raw JSON text.
fn with_raw_header(g: &Gen<'_>, b: &Base, name: &str, literal: &str) -> String {
    let header =
        b.tb.clone()
            .header(name, PLACEHOLDER)
            .header_json()
            .replacen(&format!("\"{PLACEHOLDER}\""), literal, 1);
    raw_header(g, b, header.as_bytes())
}

/// This exact header, signed.
fn raw_header(g: &Gen<'_>, b: &Base, header: &[u8]) -> String {
    from_bytes(
        &g.fx.issuer.current_key(),
        header,
        b.tb.payload_json().as_bytes(),
    )
}

/// This exact payload, signed under the base header.
fn raw_payload(g: &Gen<'_>, b: &Base, payload: &[u8]) -> String {
    from_bytes(
        &g.fx.issuer.current_key(),
        b.tb.header_json().as_bytes(),
        payload,
    )
}

/// Where [`spliced_header`] and [`spliced_payload`] put raw bytes.
const BYTES: &str = "@@bytes@@";

/// The header of `tb` with [`BYTES`] replaced by `bytes` (not UTF-8, say), signed.
fn spliced_header(g: &Gen<'_>, b: &Base, tb: TokenBuilder, bytes: &[u8]) -> String {
    raw_header(g, b, &splice(&tb.header_json(), BYTES, bytes))
}

/// The payload of `tb` with [`BYTES`] replaced by `bytes`, signed.
fn spliced_payload(g: &Gen<'_>, b: &Base, tb: TokenBuilder, bytes: &[u8]) -> String {
    raw_payload(g, b, &splice(&tb.payload_json(), BYTES, bytes))
}

/// The base header with `member` (`"name":value`) in front: a duplicate
/// when the name is already there.
fn header_led_by(g: &Gen<'_>, b: &Base, member: &str) -> String {
    raw_header(g, b, prepend_member(&b.tb.header_json(), member).as_bytes())
}

/// The base payload with `member` in front; see [`header_led_by`].
fn payload_led_by(g: &Gen<'_>, b: &Base, member: &str) -> String {
    raw_payload(
        g,
        b,
        prepend_member(&b.tb.payload_json(), member).as_bytes(),
    )
}

/// Inserts `member` (`"name":value`) right after the opening brace.
fn prepend_member(json: &str, member: &str) -> String {
    let rest = json.strip_prefix('{').expect("a JSON object");
    format!("{{{member},{rest}")
}

/// Bytes of `json` with `marker` (a JSON string's content) replaced by `bytes`.
fn splice(json: &str, marker: &str, bytes: &[u8]) -> Vec<u8> {
    let at = json.find(marker).expect("marker present");
    let mut out = json.as_bytes()[..at].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&json.as_bytes()[at + marker.len()..]);
    out
}

/// `claim` of the base, as its JSON text.
fn claim_json(b: &Base, name: &str) -> String {
    b.tb.get_claim(name).expect("claim present").to_string()
}

fn client_claim(kind: TokenUse) -> &'static str {
    match kind {
        TokenUse::Id => "aud",
        TokenUse::Access => "client_id",
    }
}

fn other_kind(kind: TokenUse) -> &'static str {
    match kind {
        TokenUse::Id => "access",
        TokenUse::Access => "id",
    }
}

/// Segments of a token.
fn parts(token: &str) -> (String, String, String) {
    let mut it = token.split('.');
    let h = it.next().unwrap_or_default().to_owned();
    let p = it.next().unwrap_or_default().to_owned();
    let s = it.next().unwrap_or_default().to_owned();
    (h, p, s)
}

/// JSON text whose length is not a multiple of 3, so its base64url has a
/// partial last group (padding and spare bits exist).
fn ragged(json: String) -> String {
    let mut json = json;
    while json.len().is_multiple_of(3) {
        json.push(' ');
    }
    json
}

/// Standard-alphabet padding for a base64url segment.
fn padding(segment: &str) -> &'static str {
    match segment.len() % 4 {
        2 => "==",
        3 => "=",
        _ => "",
    }
}

/// The same segment with a non-zero spare bit in its last character (the
/// decoded bytes are the same; RFC 4648 §3.5 canonical encoding has zeros).
fn spare_bits(segment: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(segment.len() % 4 >= 2, "segment has no spare bits");
    let last = *segment.as_bytes().last().expect("non-empty");
    let value = ALPHABET.iter().position(|c| *c == last).expect("base64url");
    let mut out = segment[..segment.len() - 1].to_owned();
    out.push(ALPHABET[value | 1] as char);
    out
}

/// The same segment in the standard alphabet (`+`, `/`), guaranteed to differ.
fn standard_alphabet(segment: &str) -> String {
    let mut out: String = segment
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    if out == segment {
        out.replace_range(0..1, "+");
    }
    out
}

/// A custom claim nested `depth` arrays deep.
fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn base(g: &mut Gen<'_>, kind: TokenUse) -> Base {
    let now = g.fx.now;
    let iat = now - g.rng.range(60, 1800);
    let exp = now + g.rng.range(600, 7200);
    let mut tb = match kind {
        TokenUse::Id => g.fx.issuer.id_token(),
        TokenUse::Access => g.fx.issuer.access_token(),
    }
    .issued_at(iat)
    .claim("exp", exp);
    const GROUPS: [&[&str]; 4] = [&[], &["admin"], &["admin", "users"], &["users", "admin"]];
    let token_groups = *g.rng.pick(&GROUPS);
    if !token_groups.is_empty() {
        tb = tb.groups(token_groups);
    }
    let mut scopes = None;
    if kind == TokenUse::Access {
        let scope = *g.rng.pick(&[
            "openid email orders/read",
            "orders/read",
            "aws.cognito.signin.user.admin orders/read orders/write",
            "orders/write orders/read",
        ]);
        tb = tb.claim("scope", scope);
        scopes = match g.rng.below(3) {
            0 => None,
            1 => Some(strings(&[SCOPE])),
            _ => Some(strings(&["orders/none", SCOPE])),
        };
    }
    let groups = match (token_groups.is_empty(), g.rng.below(3)) {
        (true, _) | (_, 0) => None,
        (_, 1) => Some(strings(&[GROUP])),
        _ => Some(strings(&["nobody", GROUP])),
    };
    let client_ids = match g.rng.below(3) {
        0 => strings(&[CLIENT]),
        1 => strings(&[CLIENT, OTHER_CLIENT]),
        _ => strings(&[OTHER_CLIENT, CLIENT]),
    };
    Base {
        kind,
        tb,
        client_ids,
        scopes,
        groups,
    }
}

/// Requires scope [`SCOPE`] (access tokens).
fn need_scope(b: &mut Base) {
    b.scopes = Some(strings(&[SCOPE]));
}

/// Requires group [`GROUP`].
fn need_group(b: &mut Base) {
    b.groups = Some(strings(&[GROUP]));
}

/// Every mutation, in a fixed order.
#[rustfmt::skip]
pub fn mutations() -> Vec<Mutation> {
    use Kinds::{Access, Both, Id};
    vec![
        // ------------------------------------------------------------ valid
        m("valid", Both, |_, b| b.tb.clone().build()),
        m("valid.issuer_global", Both, |_, b| b.tb.clone().claim("iss", GLOBAL_ISS).build()),
        m("valid.second_key", Both, |g, b| b.tb.clone().sign_with(&g.fx.key2).kid("test-key-2").build()),
        m("valid.key_without_alg", Both, |g, b| b.tb.clone().sign_with(&g.fx.key3).kid("test-key-3").build()),
        m("valid.float_times", Both, |g, b| {
            let now = g.fx.now as f64;
            b.tb.clone().claim("exp", now + 1800.5).claim("iat", now - 300.25).build()
        }),
        m("valid.exp_exponent", Both, |g, b| with_raw_claim(g, b, "exp", "2e9")),
        m("valid.nbf_past", Both, |g, b| b.tb.clone().not_before(g.fx.now - 300).build()),
        m("valid.nbf_zero", Both, |_, b| b.tb.clone().not_before(0).build()),
        m("valid.iat_zero", Both, |_, b| b.tb.clone().claim("iat", 0).build()),
        m("valid.no_iat", Both, |_, b| b.tb.clone().remove_claim("iat").build()),
        m("valid.no_jti", Both, |_, b| {
            b.tb.clone().remove_claim("jti").remove_claim("origin_jti").remove_claim("event_id").build()
        }),
        m("valid.exp_max", Both, |_, b| b.tb.clone().claim("exp", 253_402_300_799_i64).build()),
        m("valid.extra_claims", Both, |_, b| {
            b.tb.clone()
                .claim("custom:tenant", "acme")
                .claim("custom:nested", json!({"a": [1, {"b": null}], "c": true}))
                .claim("custom:unicode", "h\u{e9}llo \u{2713} \u{1f600}")
                .claim("auth_time", "yesterday")
                .build()
        }),
        m("valid.nesting_100", Both, |g, b| with_raw_claim(g, b, "custom:deep", &nested(100))),
        m("valid.surrogate_pair", Both, |g, b| with_raw_claim(g, b, "custom:emoji", r#""\ud83d\ude00""#)),
        m("valid.escaped_member_names", Both, |g, b| {
            let payload = b.tb.payload_json().replacen("\"sub\":", r#""\u0073ub":"#, 1).replacen("\"iss\":", r#""\u0069ss":"#, 1);
            raw_payload(g, b, payload.as_bytes())
        }),
        m("valid.escaped_values", Both, |g, b| {
            let iss = REGIONAL_ISS.replace('/', "\\/");
            let payload = b.tb.payload_json().replacen(&format!("\"{REGIONAL_ISS}\""), &format!("\"{iss}\""), 1);
            raw_payload(g, b, payload.as_bytes())
        }),
        m("valid.json_whitespace", Both, |g, b| {
            let value: Value = serde_json::from_str(&b.tb.payload_json()).expect("JSON");
            let pretty = serde_json::to_string_pretty(&value).expect("JSON");
            raw_payload(g, b, format!("\n{pretty}\r\n").as_bytes())
        }),
        m("valid.header_typ_jwt", Both, |_, b| b.tb.clone().header("typ", "JWT").build()),
        m("valid.header_whitespace", Both, |g, b| {
            let header = " { \"kid\" : \"test-key-1\" ,\n\t\"alg\" : \"RS256\" } ";
            raw_header(g, b, header.as_bytes())
        }),
        m("valid.header_key_urls", Both, |g, b| {
            b.tb.clone()
                .header("jku", "https://attacker.example/jwks.json")
                .header("x5u", "https://attacker.example/cert.pem")
                .header("x5c", json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]))
                .header("jwk", g.fx.foreign.public_jwk())
                .build()
        }),
        m("valid.header_extra_members", Both, |_, b| {
            b.tb.clone().header("x-custom", "h\u{e9}llo").header("zip", "DEF").header("enc", "A256GCM").build()
        }),
        m("valid.header_proto", Both, |g, b| with_raw_header(g, b, "__proto__", r#"{"alg":"none"}"#)),
        m("valid.payload_proto", Both, |g, b| with_raw_claim(g, b, "__proto__", r#"{"token_use":"x"}"#)),
        m("valid.scope_extra_spaces", Access, |_, b| {
            need_scope(b);
            b.tb.clone().claim("scope", "  openid   orders/read  ").build()
        }),
        m("valid.groups_empty/not_required", Both, |_, b| {
            b.groups = None;
            b.tb.clone().groups(&[]).build()
        }),
        m("valid.sub_empty", Both, |_, b| b.tb.clone().subject("").build()),
        m("valid.access_aud", Access, |_, b| b.tb.clone().claim("aud", "https://api.example.com").build()),
        m("valid.email_verified_string", Id, |_, b| b.tb.clone().claim("email_verified", "true").build()),
        m("valid.cty_json", Both, |_, b| b.tb.clone().header("cty", "application/json").build()),
        m("valid.header_typ_other", Both, |_, b| b.tb.clone().header("typ", "foo").build()),
        m("valid.header_typ_at_jwt", Both, |_, b| b.tb.clone().header("typ", "at+jwt").build()),
        m("valid.header_escaped_kid", Both, |g, b| with_raw_header(g, b, "kid", r#""test\u002dkey-1""#)),
        m("valid.header_escaped_alg", Both, |g, b| with_raw_header(g, b, "alg", r#""RS\u0032\u00356""#)),
        m("valid.header_trailing_whitespace", Both, |g, b| raw_header(g, b, format!("{} \n", b.tb.header_json()).as_bytes())),
        m("valid.payload_trailing_whitespace", Both, |g, b| raw_payload(g, b, format!("{}\t ", b.tb.payload_json()).as_bytes())),
        // -------------------------------------------------------------- iss
        m("iss.missing", Both, |_, b| b.tb.clone().remove_claim("iss").build()),
        m("iss.number", Both, |_, b| b.tb.clone().claim("iss", 7).build()),
        m("iss.null", Both, |_, b| b.tb.clone().claim("iss", Value::Null).build()),
        m("iss.array", Both, |_, b| b.tb.clone().claim("iss", json!([REGIONAL_ISS])).build()),
        m("iss.empty", Both, |_, b| b.tb.clone().claim("iss", "").build()),
        m("iss.trailing_slash", Both, |_, b| b.tb.clone().claim("iss", format!("{REGIONAL_ISS}/")).build()),
        m("iss.global_trailing_slash", Both, |_, b| b.tb.clone().claim("iss", format!("{GLOBAL_ISS}/")).build()),
        m("iss.global_other_region", Both, |_, b| b.tb.clone().claim("iss", GLOBAL_ISS.replace("us-east-1.", "eu-west-1.")).build()),
        m("iss.other_pool", Both, |_, b| b.tb.clone().claim("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool").build()),
        m("iss.other_region", Both, |_, b| b.tb.clone().claim("iss", "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_TestPool1").build()),
        m("iss.http", Both, |_, b| b.tb.clone().claim("iss", REGIONAL_ISS.replace("https:", "http:")).build()),
        m("iss.uppercase_host", Both, |_, b| b.tb.clone().claim("iss", "https://COGNITO-IDP.us-east-1.amazonaws.com/us-east-1_TestPool1").build()),
        m("iss.pool_case", Both, |_, b| b.tb.clone().claim("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool1").build()),
        m("iss.whitespace", Both, |_, b| b.tb.clone().claim("iss", format!(" {REGIONAL_ISS}")).build()),
        m("iss.prefix_of_other", Both, |_, b| b.tb.clone().claim("iss", format!("{REGIONAL_ISS}0")).build()),
        // -------------------------------------------------------------- sub
        m("sub.missing", Both, |_, b| b.tb.clone().remove_claim("sub").build()),
        m("sub.number", Both, |_, b| b.tb.clone().claim("sub", 42).build()),
        m("sub.null", Both, |_, b| b.tb.clone().claim("sub", Value::Null).build()),
        m("sub.array", Both, |_, b| b.tb.clone().claim("sub", json!(["a"])).build()),
        // -------------------------------------------------------- aud (ID)
        m("aud.missing", Id, |_, b| b.tb.clone().remove_claim("aud").build()),
        m("aud.other", Id, |_, b| b.tb.clone().claim("aud", OTHER_CLIENT.replace("other", "third")).build()),
        m("aud.one_element_array", Id, |_, b| b.tb.clone().claim("aud", json!([CLIENT])).build()),
        m("aud.one_element_array_other", Id, |_, b| b.tb.clone().claim("aud", json!(["thirdclient"])).build()),
        m("aud.multi_client_first", Id, |_, b| b.tb.clone().claim("aud", json!([CLIENT, "thirdclient"])).build()),
        m("aud.multi_client_last", Id, |_, b| b.tb.clone().claim("aud", json!(["thirdclient", CLIENT])).build()),
        m("aud.multi_with_azp", Id, |_, b| b.tb.clone().claim("aud", json!([CLIENT, "thirdclient"])).claim("azp", CLIENT).build()),
        m("aud.multi_with_other_azp", Id, |_, b| b.tb.clone().claim("aud", json!([CLIENT, "thirdclient"])).claim("azp", "thirdclient").build()),
        m("aud.multi_without_client", Id, |_, b| b.tb.clone().claim("aud", json!(["thirdclient", "fourthclient"])).build()),
        m("aud.azp_other", Id, |_, b| b.tb.clone().claim("azp", "thirdclient").build()),
        m("aud.empty_array", Id, |_, b| b.tb.clone().claim("aud", json!([])).build()),
        m("aud.empty_string", Id, |_, b| b.tb.clone().claim("aud", "").build()),
        m("aud.number", Id, |_, b| b.tb.clone().claim("aud", 1).build()),
        m("aud.null", Id, |_, b| b.tb.clone().claim("aud", Value::Null).build()),
        m("aud.non_string_element", Id, |_, b| b.tb.clone().claim("aud", json!([CLIENT, 5])).build()),
        m("aud.case", Id, |_, b| b.tb.clone().claim("aud", CLIENT.to_uppercase()).build()),
        m("aud.access_number", Access, |_, b| b.tb.clone().claim("aud", 1).build()),
        // -------------------------------------------------- client_id (access)
        m("client_id.missing", Access, |_, b| b.tb.clone().remove_claim("client_id").build()),
        m("client_id.other", Access, |_, b| b.tb.clone().claim("client_id", "thirdclient").build()),
        m("client_id.number", Access, |_, b| b.tb.clone().claim("client_id", 5).build()),
        m("client_id.null", Access, |_, b| b.tb.clone().claim("client_id", Value::Null).build()),
        m("client_id.array", Access, |_, b| b.tb.clone().claim("client_id", json!([CLIENT])).build()),
        m("client_id.case", Access, |_, b| b.tb.clone().claim("client_id", CLIENT.to_uppercase()).build()),
        m("client_id.empty", Access, |_, b| b.tb.clone().claim("client_id", "").build()),
        m("client_id.aud_only", Access, |_, b| b.tb.clone().remove_claim("client_id").claim("aud", CLIENT).build()),
        m("client_id.id_token_number", Id, |_, b| b.tb.clone().claim("client_id", 5).build()),
        m("client_id.id_token_other", Id, |_, b| b.tb.clone().claim("client_id", "thirdclient").build()),
        // --------------------------------------------------------- token_use
        m("token_use.missing", Both, |_, b| b.tb.clone().remove_claim("token_use").build()),
        m("token_use.other_kind", Both, |_, b| b.tb.clone().claim("token_use", other_kind(b.kind)).build()),
        m("token_use.uppercase", Both, |_, b| { let v = b.kind.as_str().to_uppercase(); b.tb.clone().claim("token_use", v).build() }),
        m("token_use.refresh", Both, |_, b| b.tb.clone().claim("token_use", "refresh").build()),
        m("token_use.number", Both, |_, b| b.tb.clone().claim("token_use", 1).build()),
        m("token_use.null", Both, |_, b| b.tb.clone().claim("token_use", Value::Null).build()),
        m("token_use.array", Both, |_, b| { let v = json!([b.kind.as_str()]); b.tb.clone().claim("token_use", v).build() }),
        m("token_use.empty", Both, |_, b| b.tb.clone().claim("token_use", "").build()),
        m("token_use.whitespace", Both, |_, b| { let v = format!("{} ", b.kind.as_str()); b.tb.clone().claim("token_use", v).build() }),
        // ------------------------------------------------------ expectations
        m("expect.wrong_token_use", Both, |_, b| {
            b.kind = match b.kind { TokenUse::Id => TokenUse::Access, TokenUse::Access => TokenUse::Id };
            b.scopes = None;
            b.tb.clone().build()
        }),
        m("expect.client_not_listed", Both, |_, b| {
            b.client_ids = strings(&[OTHER_CLIENT]);
            b.tb.clone().build()
        }),
        m("expect.client_prefix", Both, |_, b| {
            b.client_ids = vec![CLIENT[..CLIENT.len() - 1].to_owned()];
            b.tb.clone().build()
        }),
        // -------------------------------------------------------------- exp
        m("exp.missing", Both, |_, b| b.tb.clone().remove_claim("exp").build()),
        m("exp.past", Both, |g, b| { let t = g.fx.now - g.rng.range(60, 86_400); b.tb.clone().claim("exp", t).build() }),
        m("exp.past_float", Both, |g, b| b.tb.clone().claim("exp", g.fx.now as f64 - 90.75).build()),
        m("exp.future_float", Both, |g, b| b.tb.clone().claim("exp", g.fx.now as f64 + 900.999).build()),
        m("exp.string", Both, |g, b| b.tb.clone().claim("exp", (g.fx.now + 3600).to_string()).build()),
        m("exp.null", Both, |_, b| b.tb.clone().claim("exp", Value::Null).build()),
        m("exp.bool", Both, |_, b| b.tb.clone().claim("exp", true).build()),
        m("exp.array", Both, |g, b| b.tb.clone().claim("exp", json!([g.fx.now + 3600])).build()),
        m("exp.zero", Both, |_, b| b.tb.clone().claim("exp", 0).build()),
        m("exp.negative", Both, |_, b| b.tb.clone().claim("exp", -1_000).build()),
        m("exp.huge", Both, |_, b| b.tb.clone().claim("exp", 1_000_000_000_000_000_i64).build()),
        m("exp.over_max", Both, |_, b| b.tb.clone().claim("exp", 253_402_300_800_i64).build()),
        m("exp.beyond_i64", Both, |g, b| with_raw_claim(g, b, "exp", "10000000000000000000")),
        m("exp.overflow_float", Both, |g, b| with_raw_claim(g, b, "exp", "1e400")),
        m("exp.milliseconds", Both, |g, b| b.tb.clone().claim("exp", (g.fx.now + 3600) * 1000).build()),
        // -------------------------------------------------------------- nbf
        m("nbf.future", Both, |g, b| { let t = g.fx.now + g.rng.range(60, 3000); b.tb.clone().not_before(t).build() }),
        m("nbf.future_float", Both, |g, b| b.tb.clone().claim("nbf", g.fx.now as f64 + 120.5).build()),
        m("nbf.past_float", Both, |g, b| b.tb.clone().claim("nbf", g.fx.now as f64 - 120.5).build()),
        m("nbf.string", Both, |g, b| b.tb.clone().claim("nbf", (g.fx.now - 60).to_string()).build()),
        m("nbf.null", Both, |_, b| b.tb.clone().claim("nbf", Value::Null).build()),
        m("nbf.negative", Both, |_, b| b.tb.clone().claim("nbf", -100).build()),
        m("nbf.huge", Both, |_, b| b.tb.clone().claim("nbf", 1_000_000_000_000_000_i64).build()),
        // -------------------------------------------------------------- iat
        m("iat.future", Both, |g, b| { let t = g.fx.now + g.rng.range(60, 3000); b.tb.clone().claim("iat", t).build() }),
        m("iat.float", Both, |g, b| b.tb.clone().claim("iat", g.fx.now as f64 - 60.5).build()),
        m("iat.string", Both, |g, b| b.tb.clone().claim("iat", (g.fx.now - 60).to_string()).build()),
        m("iat.null", Both, |_, b| b.tb.clone().claim("iat", Value::Null).build()),
        m("iat.negative", Both, |_, b| b.tb.clone().claim("iat", -100).build()),
        m("iat.huge", Both, |_, b| b.tb.clone().claim("iat", 1_000_000_000_000_000_i64).build()),
        // ---------------------------------------------------- scope (access)
        m("scope.missing/required", Access, |_, b| { need_scope(b); b.tb.clone().remove_claim("scope").build() }),
        m("scope.other/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "openid email").build() }),
        m("scope.tab/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "openid\torders/read").build() }),
        m("scope.newline/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "openid\norders/read").build() }),
        m("scope.comma/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "openid,orders/read").build() }),
        m("scope.case/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "openid Orders/Read").build() }),
        m("scope.prefix/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "orders/readx orders/rea").build() }),
        m("scope.empty/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", "").build() }),
        m("scope.array/required", Access, |_, b| { need_scope(b); b.tb.clone().claim("scope", json!([SCOPE])).build() }),
        m("scope.number/not_required", Access, |_, b| { b.scopes = None; b.tb.clone().claim("scope", 5).build() }),
        m("scope.null/not_required", Access, |_, b| { b.scopes = None; b.tb.clone().claim("scope", Value::Null).build() }),
        m("scope.array/not_required", Access, |_, b| { b.scopes = None; b.tb.clone().claim("scope", json!([SCOPE])).build() }),
        // ------------------------------------------------------------ groups
        m("groups.missing/required", Both, |_, b| { need_group(b); b.tb.clone().remove_claim("cognito:groups").build() }),
        m("groups.other/required", Both, |_, b| { need_group(b); b.tb.clone().groups(&["users"]).build() }),
        m("groups.case/required", Both, |_, b| { need_group(b); b.tb.clone().groups(&["Admin"]).build() }),
        m("groups.empty/required", Both, |_, b| { need_group(b); b.tb.clone().groups(&[]).build() }),
        m("groups.string/required", Both, |_, b| { need_group(b); b.tb.clone().claim("cognito:groups", GROUP).build() }),
        m("groups.string/not_required", Both, |_, b| { b.groups = None; b.tb.clone().claim("cognito:groups", GROUP).build() }),
        m("groups.non_string_after/required", Both, |_, b| { need_group(b); b.tb.clone().claim("cognito:groups", json!([GROUP, 1])).build() }),
        m("groups.non_string_first/required", Both, |_, b| { need_group(b); b.tb.clone().claim("cognito:groups", json!([1, GROUP])).build() }),
        m("groups.non_string/not_required", Both, |_, b| { b.groups = None; b.tb.clone().claim("cognito:groups", json!([1])).build() }),
        m("groups.null/required", Both, |_, b| { need_group(b); b.tb.clone().claim("cognito:groups", Value::Null).build() }),
        m("groups.null/not_required", Both, |_, b| { b.groups = None; b.tb.clone().claim("cognito:groups", Value::Null).build() }),
        m("groups.nested/not_required", Both, |_, b| { b.groups = None; b.tb.clone().claim("cognito:groups", json!([[GROUP]])).build() }),
        // ------------------------------------------- string claims of Cognito
        m("jti.number", Both, |_, b| b.tb.clone().claim("jti", 12345).build()),
        m("jti.null", Both, |_, b| b.tb.clone().claim("jti", Value::Null).build()),
        m("jti.array", Both, |_, b| b.tb.clone().claim("jti", json!(["a"])).build()),
        m("jti.object", Both, |_, b| b.tb.clone().claim("jti", json!({"id": "a"})).build()),
        m("origin_jti.number", Both, |_, b| b.tb.clone().claim("origin_jti", 12345).build()),
        m("origin_jti.null", Both, |_, b| b.tb.clone().claim("origin_jti", Value::Null).build()),
        m("origin_jti.array", Both, |_, b| b.tb.clone().claim("origin_jti", json!(["a"])).build()),
        m("event_id.null", Both, |_, b| b.tb.clone().claim("event_id", Value::Null).build()),
        m("event_id.number", Both, |_, b| b.tb.clone().claim("event_id", 12345).build()),
        m("event_id.array", Both, |_, b| b.tb.clone().claim("event_id", json!(["a"])).build()),
        m("username.number", Access, |_, b| b.tb.clone().claim("username", 7).build()),
        m("cognito_username.number", Id, |_, b| b.tb.clone().claim("cognito:username", 7).build()),
        // ------------------------------------------------------------ header
        m("header.alg_none_unsigned", Both, |_, b| b.tb.clone().alg("none").unsigned().build()),
        m("header.alg_none_signed", Both, |_, b| b.tb.clone().alg("none").build()),
        m("header.alg_hs256", Both, |g, b| {
            let tb = b.tb.clone().alg("HS256");
            let (h, p) = (b64(tb.header_json().as_bytes()), b64(tb.payload_json().as_bytes()));
            let secret = g.fx.jwks["keys"][0]["n"].as_str().expect("n").to_owned();
            let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            let sig = jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &key, jsonwebtoken::Algorithm::HS256).expect("HS256");
            format!("{h}.{p}.{sig}")
        }),
        m("header.alg_rs384", Both, |g, b| { let k = g.fx.issuer.current_key().with_alg(Alg::RS384); b.tb.clone().sign_with(&k).alg("RS384").build() }),
        m("header.alg_rs512", Both, |g, b| { let k = g.fx.issuer.current_key().with_alg(Alg::RS512); b.tb.clone().sign_with(&k).alg("RS512").build() }),
        m("header.alg_ps256", Both, |g, b| { let k = g.fx.issuer.current_key().with_alg(Alg::PS256); b.tb.clone().sign_with(&k).alg("PS256").build() }),
        m("header.alg_rs384_key_without_alg", Both, |g, b| { let k = g.fx.key3.clone().with_alg(Alg::RS384); b.tb.clone().sign_with(&k).kid("test-key-3").alg("RS384").build() }),
        m("header.alg_ps256_key_without_alg", Both, |g, b| { let k = g.fx.key3.clone().with_alg(Alg::PS256); b.tb.clone().sign_with(&k).kid("test-key-3").alg("PS256").build() }),
        m("header.alg_es256", Both, |_, b| b.tb.clone().alg("ES256").build()),
        m("header.alg_lowercase", Both, |_, b| b.tb.clone().alg("rs256").build()),
        m("header.alg_missing", Both, |_, b| b.tb.clone().remove_header("alg").build()),
        m("header.alg_number", Both, |_, b| b.tb.clone().header("alg", 256).build()),
        m("header.alg_null", Both, |_, b| b.tb.clone().header("alg", Value::Null).build()),
        m("header.kid_unknown", Both, |_, b| b.tb.clone().kid("test-key-9").build()),
        m("header.kid_missing", Both, |_, b| b.tb.clone().remove_header("kid").build()),
        m("header.kid_number", Both, |_, b| b.tb.clone().header("kid", 1).build()),
        m("header.kid_null", Both, |_, b| b.tb.clone().header("kid", Value::Null).build()),
        m("header.kid_array", Both, |_, b| b.tb.clone().header("kid", json!(["test-key-1"])).build()),
        m("header.kid_empty", Both, |_, b| b.tb.clone().kid("").build()),
        m("header.kid_case", Both, |_, b| b.tb.clone().kid("TEST-KEY-1").build()),
        m("header.kid_long", Both, |_, b| b.tb.clone().kid("k".repeat(300)).build()),
        m("header.kid_other_published", Both, |_, b| b.tb.clone().kid("test-key-2").build()),
        m("header.typ_number", Both, |_, b| b.tb.clone().header("typ", 1).build()),
        m("header.crit_exp", Both, |_, b| b.tb.clone().header("crit", json!(["exp"])).build()),
        m("header.crit_empty", Both, |_, b| b.tb.clone().header("crit", json!([])).build()),
        m("header.crit_unknown", Both, |_, b| b.tb.clone().header("crit", json!(["x-ext"])).header("x-ext", 1).build()),
        m("header.b64_false", Both, |_, b| b.tb.clone().header("b64", false).header("crit", json!(["b64"])).build()),
        m("header.b64_true", Both, |_, b| b.tb.clone().header("b64", true).build()),
        m("header.cty_jwt", Both, |_, b| b.tb.clone().header("cty", "JWT").build()),
        m("header.cty_jwt_lowercase", Both, |_, b| b.tb.clone().header("cty", "jwt").build()),
        m("header.cty_number", Both, |_, b| b.tb.clone().header("cty", 1).build()),
        m("header.jwk_invalid", Both, |_, b| b.tb.clone().header("jwk", "not a key").build()),
        m("header.x5c_invalid", Both, |_, b| b.tb.clone().header("x5c", "not an array").build()),
        m("header.duplicate_alg_same", Both, |g, b| header_led_by(g, b, r#""alg":"RS256""#)),
        m("header.duplicate_alg_none_first", Both, |g, b| header_led_by(g, b, r#""alg":"none""#)),
        m("header.duplicate_alg_escaped", Both, |g, b| {
            let header = format!("{},\"\\u0061lg\":\"none\"}}", b.tb.header_json().trim_end_matches('}'));
            raw_header(g, b, header.as_bytes())
        }),
        m("header.duplicate_kid_unknown_first", Both, |g, b| header_led_by(g, b, r#""kid":"test-key-9""#)),
        m("header.duplicate_unknown", Both, |g, b| {
            let header = prepend_member(&b.tb.clone().header("x-ext", 1).header_json(), r#""x-ext":2"#);
            raw_header(g, b, header.as_bytes())
        }),
        m("header.lone_surrogate_member", Both, |g, b| with_raw_header(g, b, "x-ext", r#""\ud800""#)),
        m("header.lone_surrogate_kid", Both, |g, b| with_raw_header(g, b, "kid", r#""test-key-1\udc00""#)),
        m("header.lone_surrogate_nested", Both, |g, b| with_raw_header(g, b, "x-ext", r#"{"a":["\ud800"]}"#)),
        m("header.lone_surrogate_name", Both, |g, b| header_led_by(g, b, r#""\udc00":1"#)),
        m("header.invalid_utf8_member", Both, |g, b| spliced_header(g, b, b.tb.clone().header("x-ext", BYTES), b"\xff\xfe")),
        m("header.invalid_utf8_kid", Both, |g, b| spliced_header(g, b, b.tb.clone().kid(format!("test-key-1{BYTES}")), b"\xc0\xaf")),
        m("header.invalid_utf8_name", Both, |g, b| spliced_header(g, b, b.tb.clone().header(BYTES, 1), b"\xff")),
        m("header.control_char_member", Both, |g, b| spliced_header(g, b, b.tb.clone().header("x-ext", format!("a{BYTES}b")), b"\x01")),
        m("header.not_object", Both, |g, b| raw_header(g, b, br#"["RS256","test-key-1"]"#)),
        m("header.json_null", Both, |g, b| raw_header(g, b, b"null")),
        m("header.empty_object", Both, |g, b| raw_header(g, b, b"{}")),
        m("header.bom", Both, |g, b| { let h = format!("\u{feff}{}", b.tb.header_json()); raw_header(g, b, h.as_bytes()) }),
        m("header.trailing_garbage", Both, |g, b| { let h = format!("{}x", b.tb.header_json()); raw_header(g, b, h.as_bytes()) }),
        m("header.two_objects", Both, |g, b| { let h = format!("{0}{0}", b.tb.header_json()); raw_header(g, b, h.as_bytes()) }),
        // ----------------------------------------------------------- payload
        m("payload.duplicate_exp", Both, |g, b| payload_led_by(g, b, &format!("\"exp\":{}", g.fx.now - 3600))),
        m("payload.duplicate_exp_same", Both, |g, b| payload_led_by(g, b, &format!("\"exp\":{}", claim_json(b, "exp")))),
        m("payload.duplicate_exp_escaped", Both, |g, b| {
            let member = format!("\"\\u0065xp\":{}", g.fx.now - 3600);
            let payload = format!("{},{member}}}", b.tb.payload_json().trim_end_matches('}'));
            raw_payload(g, b, payload.as_bytes())
        }),
        m("payload.duplicate_iss", Both, |g, b| payload_led_by(g, b, r#""iss":"https://attacker.example""#)),
        m("payload.duplicate_client", Both, |g, b| payload_led_by(g, b, &format!("\"{}\":\"thirdclient\"", client_claim(b.kind)))),
        m("payload.duplicate_token_use", Both, |g, b| payload_led_by(g, b, &format!("\"token_use\":\"{}\"", other_kind(b.kind)))),
        m("payload.duplicate_sub", Both, |g, b| payload_led_by(g, b, r#""sub":"someone-else""#)),
        m("payload.duplicate_custom", Both, |g, b| {
            let payload = prepend_member(&b.tb.clone().claim("custom:role", "user").payload_json(), r#""custom:role":"admin""#);
            raw_payload(g, b, payload.as_bytes())
        }),
        m("payload.not_object", Both, |g, b| raw_payload(g, b, b"[1,2]")),
        m("payload.json_null", Both, |g, b| raw_payload(g, b, b"null")),
        m("payload.json_string", Both, |g, b| raw_payload(g, b, br#""sub""#)),
        m("payload.empty_object", Both, |g, b| raw_payload(g, b, b"{}")),
        m("payload.trailing_garbage", Both, |g, b| { let p = format!("{},", b.tb.payload_json()); raw_payload(g, b, p.as_bytes()) }),
        m("payload.bom", Both, |g, b| { let p = format!("\u{feff}{}", b.tb.payload_json()); raw_payload(g, b, p.as_bytes()) }),
        m("payload.lone_surrogate_sub", Both, |g, b| with_raw_claim(g, b, "sub", r#""user\ud800""#)),
        m("payload.lone_surrogate_custom", Both, |g, b| with_raw_claim(g, b, "custom:name", r#""\udc00x""#)),
        m("payload.lone_surrogate_name", Both, |g, b| payload_led_by(g, b, r#""\ud800x":1"#)),
        m("payload.lone_surrogate_nested", Both, |g, b| with_raw_claim(g, b, "custom:obj", r#"{"a":["\ud800"]}"#)),
        m("payload.invalid_utf8_custom", Both, |g, b| spliced_payload(g, b, b.tb.clone().claim("custom:name", BYTES), b"caf\xe9")),
        m("payload.invalid_utf8_sub", Both, |g, b| spliced_payload(g, b, b.tb.clone().subject(BYTES), b"\xed\xa0\x80")),
        m("payload.control_char", Both, |g, b| spliced_payload(g, b, b.tb.clone().claim("custom:name", format!("a{BYTES}b")), b"\n")),
        m("payload.number_out_of_range", Both, |g, b| with_raw_claim(g, b, "custom:big", "1e400")),
        m("payload.nesting_200", Both, |g, b| with_raw_claim(g, b, "custom:deep", &nested(200))),
        m("payload.oversized", Both, |_, b| b.tb.clone().claim("custom:blob", "x".repeat(13_000)).build()),
        // ---------------------------------------------------------- encoding
        m("enc.header_padding", Both, |g, b| {
            let h = b64(ragged(b.tb.header_json()).as_bytes());
            let h = format!("{h}{}", padding(&h));
            signed(&g.fx.issuer.current_key(), &h, &b64(b.tb.payload_json().as_bytes()))
        }),
        m("enc.payload_padding", Both, |g, b| {
            let p = b64(ragged(b.tb.payload_json()).as_bytes());
            let p = format!("{p}{}", padding(&p));
            signed(&g.fx.issuer.current_key(), &b64(b.tb.header_json().as_bytes()), &p)
        }),
        m("enc.signature_padding", Both, |_, b| { let t = b.tb.clone().build(); let pad = padding(&parts(&t).2); format!("{t}{pad}") }),
        m("enc.header_spare_bits", Both, |g, b| {
            let h = spare_bits(&b64(ragged(b.tb.header_json()).as_bytes()));
            signed(&g.fx.issuer.current_key(), &h, &b64(b.tb.payload_json().as_bytes()))
        }),
        m("enc.payload_spare_bits", Both, |g, b| {
            let p = spare_bits(&b64(ragged(b.tb.payload_json()).as_bytes()));
            signed(&g.fx.issuer.current_key(), &b64(b.tb.header_json().as_bytes()), &p)
        }),
        m("enc.signature_spare_bits", Both, |_, b| {
            let (h, p, s) = parts(&b.tb.clone().build());
            format!("{h}.{p}.{}", spare_bits(&s))
        }),
        m("enc.signature_standard_alphabet", Both, |_, b| {
            let (h, p, s) = parts(&b.tb.clone().build());
            format!("{h}.{p}.{}", standard_alphabet(&s))
        }),
        m("enc.payload_standard_alphabet", Both, |g, b| {
            let mut tb = b.tb.clone();
            let mut p = b64(tb.payload_json().as_bytes());
            // A claim of '>' and '?' characters puts '-' and '_' in the segment.
            if !p.contains(['-', '_']) {
                tb = tb.claim("custom:x", ">>>???");
                p = b64(tb.payload_json().as_bytes());
            }
            signed(&g.fx.issuer.current_key(), &b64(tb.header_json().as_bytes()), &standard_alphabet(&p))
        }),
        m("enc.space_inside", Both, |_, b| { let t = b.tb.clone().build(); let at = t.find('.').expect("dot") + 5; format!("{} {}", &t[..at], &t[at..]) }),
        m("enc.leading_space", Both, |_, b| format!(" {}", b.tb.clone().build())),
        m("enc.trailing_space", Both, |_, b| format!("{} ", b.tb.clone().build())),
        m("enc.trailing_newline", Both, |_, b| format!("{}\n", b.tb.clone().build())),
        m("enc.bearer_prefix", Both, |_, b| format!("Bearer {}", b.tb.clone().build())),
        m("enc.non_ascii", Both, |_, b| { let t = b.tb.clone().build(); let at = t.find('.').expect("dot") + 3; format!("{}\u{e9}{}", &t[..at], &t[at..]) }),
        m("enc.extra_segment", Both, |_, b| format!("{}.e30", b.tb.clone().build())),
        m("enc.five_segments", Both, |_, b| format!("{}.e30.e30", b.tb.clone().build())),
        m("enc.two_segments", Both, |_, b| { let (h, p, _) = parts(&b.tb.clone().build()); format!("{h}.{p}") }),
        m("enc.trailing_dot", Both, |_, b| format!("{}.", b.tb.clone().build())),
        m("enc.empty_header", Both, |_, b| { let (_, p, s) = parts(&b.tb.clone().build()); format!(".{p}.{s}") }),
        m("enc.empty_payload", Both, |_, b| { let (h, _, s) = parts(&b.tb.clone().build()); format!("{h}..{s}") }),
        m("enc.empty_signature", Both, |_, b| b.tb.clone().unsigned().build()),
        m("enc.empty_token", Both, |_, _| String::new()),
        m("enc.dots_only", Both, |_, _| "..".to_owned()),
        // --------------------------------------------------------- signature
        m("sig.bit_flip", Both, |g, b| {
            let (h, p, s) = parts(&b.tb.clone().build());
            let mut sig = URL_SAFE_NO_PAD.decode(s).expect("signature");
            let bit = g.rng.below(sig.len() * 8);
            sig[bit / 8] ^= 1 << (bit % 8);
            format!("{h}.{p}.{}", b64(&sig))
        }),
        m("sig.truncated", Both, |_, b| { let (h, p, s) = parts(&b.tb.clone().build()); let sig = URL_SAFE_NO_PAD.decode(s).expect("signature"); format!("{h}.{p}.{}", b64(&sig[..sig.len() - 1])) }),
        m("sig.extended", Both, |_, b| { let (h, p, s) = parts(&b.tb.clone().build()); let mut sig = URL_SAFE_NO_PAD.decode(s).expect("signature"); sig.push(0); format!("{h}.{p}.{}", b64(&sig)) }),
        m("sig.leading_zero", Both, |_, b| { let (h, p, s) = parts(&b.tb.clone().build()); let mut sig = URL_SAFE_NO_PAD.decode(s).expect("signature"); sig.insert(0, 0); format!("{h}.{p}.{}", b64(&sig)) }),
        m("sig.zeros", Both, |_, b| b.tb.clone().signature_bytes(vec![0; 256]).build()),
        m("sig.foreign_key", Both, |g, b| b.tb.clone().sign_with(&g.fx.foreign).build()),
        m("sig.second_key_under_first_kid", Both, |g, b| b.tb.clone().sign_with(&g.fx.key2).build()),
        m("sig.of_other_token", Both, |_, b| {
            let (h, p, _) = parts(&b.tb.clone().build());
            let (_, _, s) = parts(&b.tb.clone().claim("custom:other", 1).build());
            format!("{h}.{p}.{s}")
        }),
        m("sig.payload_tampered", Both, |_, b| b.tb.clone().tamper_payload().build()),
        m("sig.header_tampered", Both, |_, b| {
            let (_, p, s) = parts(&b.tb.clone().build());
            let h = b64(b.tb.clone().header("typ", "JWT").header_json().as_bytes());
            format!("{h}.{p}.{s}")
        }),
    ]
}

/// At least `min` cases from `seed`: every mutation in turn, on a fresh
/// base token of a kind it applies to.
pub fn generate(fx: &Fixture, seed: u64, min: usize) -> Vec<Case> {
    let mutations = mutations();
    let rounds = min.div_ceil(mutations.len());
    let mut g = Gen {
        fx,
        rng: Rng::new(seed),
    };
    let mut cases = Vec::with_capacity(rounds * mutations.len());
    for _ in 0..rounds {
        for mutation in &mutations {
            let kind = match mutation.kinds {
                Kinds::Id => TokenUse::Id,
                Kinds::Access => TokenUse::Access,
                Kinds::Both if g.rng.chance(50) => TokenUse::Id,
                Kinds::Both => TokenUse::Access,
            };
            let mut b = base(&mut g, kind);
            let token = (mutation.make)(&mut g, &mut b);
            cases.push(Case {
                class: mutation.class,
                token_use: b.kind,
                token,
                client_ids: b.client_ids,
                scopes: b.scopes,
                groups: b.groups,
            });
        }
    }
    cases
}

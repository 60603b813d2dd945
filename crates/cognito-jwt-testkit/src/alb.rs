//! An Application Load Balancer stand-in: [`AlbIssuer`] mints data tokens
//! (`x-amzn-oidc-data`) exactly as a load balancer does, and
//! [`AlbKeyServer`] serves its PEM public keys, one per `kid`, with the
//! failure modes and fetch counting of [`JwksServer`](crate::JwksServer).
//!
//! The encoding is the load balancer's, not RFC 7515's: each segment is
//! base64url **with** `=` padding, and the ES256 signature covers the padded
//! segments as sent.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::key::SigningKey;
use crate::server::{Control, Loopback, Served, answer};
use crate::token::{ordered_json, set};
use crate::util::{now, uuid_v4};
use crate::{DEFAULT_CLIENT_ID, DEFAULT_USERNAME, Mode};

/// The path keys are served under: `{base}/alb-keys/{kid}`.
const KEYS_PATH: &str = "/alb-keys/";

#[derive(Debug)]
struct Inner {
    arn: String,
    region: String,
    user_pool_id: String,
    client_id: String,
    sub: String,
    /// Every key it has signed with; the last is the current one.
    keys: Mutex<Vec<SigningKey>>,
}

/// A load balancer with a Cognito `authenticate` action, as far as its data
/// tokens and keys go. Clones share the keys, so a rotation shows up at an
/// [`AlbKeyServer`] started from any clone.
///
/// ```
/// use cognito_jwt_testkit::AlbIssuer;
///
/// let alb = AlbIssuer::new();
/// assert!(alb.arn().starts_with("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/"));
/// let token = alb.data_token().claim("email", "alice@example.com").build();
/// let segments: Vec<&str> = token.split('.').collect();
/// assert_eq!(segments.len(), 3);
/// // Padded, as a load balancer pads: every segment a multiple of 4 characters.
/// assert!(segments.iter().all(|s| s.len() % 4 == 0));
/// assert!(segments[2].ends_with("==")); // 64 signature bytes: 86 characters and `==`
/// assert!(alb.public_key_pem(alb.current_key().kid()).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
/// ```
#[derive(Debug, Clone)]
pub struct AlbIssuer(Arc<Inner>);

impl Default for AlbIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl AlbIssuer {
    /// A load balancer in `us-east-1` with a random id, logging users in
    /// to the pool and app client of [`TestIssuer::cognito`](crate::TestIssuer::cognito).
    #[must_use]
    pub fn new() -> Self {
        let id: String = uuid_v4().replace('-', "").chars().take(16).collect();
        Self::with_arn(format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/{id}"
        ))
    }

    /// A load balancer with this ARN (its region is the ARN's fourth field).
    #[must_use]
    pub fn with_arn(arn: impl Into<String>) -> Self {
        let arn = arn.into();
        let region = arn.split(':').nth(3).unwrap_or("us-east-1").to_owned();
        AlbIssuer(Arc::new(Inner {
            user_pool_id: format!("{region}_TestPool1"),
            region,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            sub: uuid_v4(),
            keys: Mutex::new(vec![SigningKey::ec_p256(uuid_v4())]),
            arn,
        }))
    }

    /// The load balancer's ARN (the tokens' `signer`).
    #[must_use]
    pub fn arn(&self) -> &str {
        &self.0.arn
    }

    /// The ARN's region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.0.region
    }

    /// The user pool it logs users in to, `{region}_TestPool1`.
    #[must_use]
    pub fn user_pool_id(&self) -> &str {
        &self.0.user_pool_id
    }

    /// The app client (the tokens' `client`).
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }

    /// The user's `sub` in its tokens (random per issuer).
    #[must_use]
    pub fn sub(&self) -> &str {
        &self.0.sub
    }

    /// The tokens' `iss`: `https://cognito-idp.{region}.amazonaws.com/{pool}`.
    #[must_use]
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.0.region, self.0.user_pool_id
        )
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, Vec<SigningKey>> {
        self.0.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key new tokens are signed with.
    ///
    /// # Panics
    /// Never: the issuer always has a key.
    #[must_use]
    pub fn current_key(&self) -> SigningKey {
        self.keys()
            .last()
            .cloned()
            .expect("cognito-jwt-testkit: an AlbIssuer always has a key")
    }

    /// Sign from now on with a new P-256 key (a new `kid`); the old keys
    /// stay published, as a load balancer's do.
    #[must_use = "the new key is returned for assertions; the issuer already uses it"]
    pub fn rotate(&self) -> SigningKey {
        let key = SigningKey::ec_p256(uuid_v4());
        self.keys().push(key.clone());
        key
    }

    /// The PEM public key (`SubjectPublicKeyInfo`) published for `kid`.
    #[must_use]
    pub fn public_key_pem(&self, kid: &str) -> Option<String> {
        self.keys()
            .iter()
            .find(|k| k.kid() == kid)
            .and_then(public_key_pem)
    }

    /// A data token for the default user, valid for 2 minutes (a load
    /// balancer's tokens are short-lived).
    #[must_use]
    pub fn data_token(&self) -> AlbTokenBuilder {
        let exp = now().saturating_add(120);
        let key = self.current_key();
        let header = vec![
            ("typ".to_owned(), Value::from("JWT")),
            ("kid".to_owned(), Value::from(key.kid())),
            ("alg".to_owned(), Value::from("ES256")),
            ("iss".to_owned(), Value::from(self.issuer())),
            ("client".to_owned(), Value::from(self.client_id())),
            ("signer".to_owned(), Value::from(self.arn())),
            ("exp".to_owned(), Value::from(exp)),
        ];
        let claims = vec![
            ("sub".to_owned(), Value::from(self.sub())),
            ("email_verified".to_owned(), Value::from("true")),
            ("email".to_owned(), Value::from("test-user@example.com")),
            ("username".to_owned(), Value::from(DEFAULT_USERNAME)),
            ("exp".to_owned(), Value::from(exp)),
            ("iss".to_owned(), Value::from(self.issuer())),
        ];
        AlbTokenBuilder {
            key,
            header,
            claims,
            padded: true,
        }
    }
}

/// The DER `SubjectPublicKeyInfo` of a P-256 key, as PEM.
fn public_key_pem(key: &SigningKey) -> Option<String> {
    const P256_SPKI_PREFIX: [u8; 27] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];
    let jwk = key.public_jwk();
    if jwk["crv"] != "P-256" {
        return None;
    }
    let coordinate = |name: &str| {
        jwk[name]
            .as_str()
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
    };
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend(coordinate("x")?);
    der.extend(coordinate("y")?);
    let base64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).ok()?);
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    Some(pem)
}

/// A data token being built: the load balancer's header and the user's
/// claims, with edits for hostile tests.
///
/// ```
/// use base64::Engine as _;
/// use cognito_jwt_testkit::AlbIssuer;
///
/// let alb = AlbIssuer::new();
/// let forged = alb.data_token().header("signer", "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/x/1").build();
/// let header = forged.split('.').next().unwrap();
/// let header = base64::engine::general_purpose::URL_SAFE.decode(header).unwrap();
/// assert!(String::from_utf8(header).unwrap().contains("999999999999"));
///
/// // As RFC 7515 would encode it, which a load balancer does not.
/// let unpadded = alb.data_token().unpadded().build();
/// assert!(!unpadded.contains('='));
/// ```
#[derive(Debug, Clone)]
pub struct AlbTokenBuilder {
    key: SigningKey,
    header: Vec<(String, Value)>,
    claims: Vec<(String, Value)>,
    padded: bool,
}

impl AlbTokenBuilder {
    /// Set a payload claim (the user's attributes).
    #[must_use]
    pub fn claim(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> Self {
        set(&mut self.claims, name.as_ref(), value.into());
        self
    }

    /// Remove a payload claim.
    #[must_use]
    pub fn remove_claim(mut self, name: impl AsRef<str>) -> Self {
        self.claims.retain(|(k, _)| k != name.as_ref());
        self
    }

    /// Set a header member (`signer`, `client`, `iss`, `alg`, `kid`, `exp`, …).
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> Self {
        set(&mut self.header, name.as_ref(), value.into());
        self
    }

    /// Remove a header member.
    #[must_use]
    pub fn remove_header(mut self, name: impl AsRef<str>) -> Self {
        self.header.retain(|(k, _)| k != name.as_ref());
        self
    }

    /// Expire `secs` from now (negative: already expired), in the header
    /// and the payload alike.
    #[must_use]
    pub fn expires_in(self, secs: i64) -> Self {
        let exp = now().saturating_add(secs);
        self.header("exp", exp).claim("exp", exp)
    }

    /// Sign with this key, keeping the header's `kid` (a token signed by
    /// one key and naming another).
    #[must_use]
    pub fn sign_with(mut self, key: &SigningKey) -> Self {
        self.key = key.clone();
        self
    }

    /// Encode without padding, as RFC 7515 would (and as AWS said in 2019
    /// load balancers would move to), signing the unpadded segments.
    #[must_use]
    pub fn unpadded(mut self) -> Self {
        self.padded = false;
        self
    }

    /// Serialize, sign and return `header.payload.signature`.
    #[must_use]
    pub fn build(self) -> String {
        let encode = |bytes: &[u8]| {
            if self.padded {
                URL_SAFE.encode(bytes)
            } else {
                URL_SAFE_NO_PAD.encode(bytes)
            }
        };
        let header = encode(ordered_json(&self.header).as_bytes());
        let payload = encode(ordered_json(&self.claims).as_bytes());
        let signing_input = format!("{header}.{payload}");
        let signature = encode(&self.key.sign(signing_input.as_bytes()));
        format!("{signing_input}.{signature}")
    }
}

#[derive(Debug)]
struct Shared {
    alb: AlbIssuer,
    base_url: String,
    control: Control,
    /// The status answered for a `kid` with no key.
    missing_status: std::sync::atomic::AtomicU16,
}

/// The load balancer key endpoint on `127.0.0.1:<random port>`: `GET
/// {url}{kid}` answers with the PEM key for `kid` (404 for a `kid` it
/// never had, or [`set_missing_status`](AlbKeyServer::set_missing_status)), in the [`Mode`]s of [`JwksServer`](crate::JwksServer), and
/// counts every key request.
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, Mode};
///
/// let alb = AlbIssuer::new();
/// let server = AlbKeyServer::start(&alb);
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// assert!(server.url().ends_with("/alb-keys/"));
/// server.set_mode(Mode::Status(503));
/// assert_eq!(server.fetch_count(), 0);
/// assert!(!server.wait_for_fetches(1, Duration::from_millis(10)));
/// ```
#[derive(Debug)]
pub struct AlbKeyServer {
    shared: Arc<Shared>,
    server: Loopback,
}

impl AlbKeyServer {
    /// Binds `127.0.0.1:0` and serves `alb`'s keys.
    ///
    /// # Panics
    /// If the loopback socket cannot be bound or the runtime/thread cannot be
    /// created (environment failures).
    #[must_use]
    pub fn start(alb: &AlbIssuer) -> Self {
        let mut shared = None;
        let server = Loopback::start("alb-key-server", |base_url| {
            let state = Arc::new(Shared {
                alb: alb.clone(),
                base_url,
                control: Control::default(),
                missing_status: std::sync::atomic::AtomicU16::new(404),
            });
            shared = Some(Arc::clone(&state));
            Router::new().fallback(handle).with_state(state)
        });
        let shared = shared.expect("cognito-jwt-testkit: the router was built");
        AlbKeyServer { shared, server }
    }

    /// The keys URL, `http://127.0.0.1:PORT/alb-keys/`: a key is at `{url}{kid}`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}{KEYS_PATH}", self.shared.base_url)
    }

    /// The bound socket address.
    #[must_use]
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Key requests received (in any mode, for any kid) since start or reset.
    #[must_use]
    pub fn fetch_count(&self) -> u64 {
        self.shared.control.fetch_count()
    }

    /// Resets [`fetch_count`](Self::fetch_count) to 0.
    pub fn reset_fetch_count(&self) {
        self.shared.control.reset();
    }

    /// Changes how the endpoint answers from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.control.set_mode(mode);
    }

    /// The status answered (in [`Mode::Normal`]) for a `kid` with no key:
    /// 404 by default; 403 is what an S3-backed key host (GovCloud's) answers
    /// when listing is not granted. Invalid codes become 500.
    ///
    /// ```
    /// use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer};
    ///
    /// let server = AlbKeyServer::start(&AlbIssuer::new());
    /// server.set_missing_status(403);
    /// assert_eq!(server.missing_status(), 403);
    /// ```
    pub fn set_missing_status(&self, status: u16) {
        self.shared
            .missing_status
            .store(status, std::sync::atomic::Ordering::Relaxed);
    }

    /// The status answered for a `kid` with no key (see
    /// [`set_missing_status`](Self::set_missing_status)).
    #[must_use]
    pub fn missing_status(&self) -> u16 {
        self.shared
            .missing_status
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Blocks (polling) until at least `n` key requests were counted or
    /// `timeout` passes; returns whether the count was reached.
    #[must_use]
    pub fn wait_for_fetches(&self, n: u64, timeout: Duration) -> bool {
        self.shared.control.wait_for(n, timeout)
    }

    /// Async version of [`wait_for_fetches`](Self::wait_for_fetches).
    pub async fn wait_for_fetches_async(&self, n: u64, timeout: Duration) -> bool {
        self.shared.control.wait_for_async(n, timeout).await
    }
}

async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(kid) = path.strip_prefix(KEYS_PATH) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mode = shared.control.fetched();
    let Some(pem) = shared.alb.public_key_pem(kid) else {
        // Whatever the mode, an unknown kid is what the key host says it is,
        // unless the host is failing.
        if matches!(mode, Mode::Normal) {
            let status = shared
                .missing_status
                .load(std::sync::atomic::Ordering::Relaxed);
            return StatusCode::from_u16(status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response();
        }
        return answer(mode, &shared.base_url, path, no_key()).await;
    };
    let served = Served {
        content_type: "application/octet-stream",
        body: pem,
        no_keys: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
    };
    answer(mode, &shared.base_url, path, served).await
}

fn no_key() -> Served {
    Served {
        content_type: "application/octet-stream",
        body: String::new(),
        no_keys: "",
    }
}

//! A stand-in for a Cognito user pool (or any issuer): keys, JWKS and token presets.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use crate::key::SigningKey;
use crate::token::{TokenBuilder, TokenKind};
use crate::util::{now, uuid_v4};

/// Default region of [`TestIssuer::cognito`].
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default user pool id of [`TestIssuer::cognito`].
pub const DEFAULT_POOL_ID: &str = "us-east-1_TestPool1";
/// Default app client id (26 lowercase alphanumerics, like Cognito's).
pub const DEFAULT_CLIENT_ID: &str = "testclient1234567890abcdef";
/// `kid` of the initial signing key.
pub const DEFAULT_KID: &str = "test-key-1";
/// Default user name in ID and access tokens.
pub const DEFAULT_USERNAME: &str = "testuser";
/// Default token lifetime in seconds (Cognito's default: one hour).
pub const DEFAULT_LIFETIME_SECS: i64 = 3600;

#[derive(Debug)]
struct State {
    issuer: String,
    region: Option<String>,
    pool_id: Option<String>,
    client_id: String,
    sub: String,
    current: SigningKey,
    published: Vec<SigningKey>,
    next_key: u32,
}

/// A Cognito user pool stand-in: issuer string, app client id, signing keys and
/// the JWKS that publishes them.
///
/// Cloning shares the same state (`Arc<Mutex<…>>`), so a [`JwksServer`](crate::JwksServer)
/// started from this issuer serves [`rotate`](Self::rotate)/[`remove_key`](Self::remove_key)
/// changes immediately.
///
/// ```
/// use cognito_jwt_testkit::TestIssuer;
///
/// let issuer = TestIssuer::cognito();
/// assert_eq!(issuer.issuer(), "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1");
/// assert_eq!(issuer.jwks()["keys"][0]["kid"], "test-key-1");
///
/// let id_token = issuer.id_token().groups(&["admin"]).build();
/// let access_token = issuer.access_token().scopes(&["orders/read"]).build();
///
/// let new_key = issuer.rotate();
/// assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 2);
/// issuer.remove_key("test-key-1");
/// assert_eq!(issuer.jwks()["keys"][0]["kid"], new_key.kid());
/// # let _ = (id_token, access_token);
/// ```
#[derive(Clone, Debug)]
pub struct TestIssuer {
    state: Arc<Mutex<State>>,
}

impl TestIssuer {
    /// A pool `us-east-1_TestPool1` in `us-east-1` with one RSA-2048 key `test-key-1`.
    #[must_use]
    pub fn cognito() -> Self {
        Self::cognito_pool(DEFAULT_REGION, DEFAULT_POOL_ID)
    }

    /// A Cognito pool with this region and pool id; issuer
    /// `https://cognito-idp.{region}.amazonaws.com/{pool_id}`.
    #[must_use]
    pub fn cognito_pool(region: impl Into<String>, pool_id: impl Into<String>) -> Self {
        let region = region.into();
        let pool_id = pool_id.into();
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}");
        Self::from_parts(issuer, Some(region), Some(pool_id))
    }

    /// A generic issuer with this exact `iss` string (not normalized).
    #[must_use]
    pub fn with_issuer_url(url: impl Into<String>) -> Self {
        Self::from_parts(url.into(), None, None)
    }

    fn from_parts(issuer: String, region: Option<String>, pool_id: Option<String>) -> Self {
        let key = SigningKey::rsa(DEFAULT_KID);
        Self {
            state: Arc::new(Mutex::new(State {
                issuer,
                region,
                pool_id,
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                sub: uuid_v4(),
                current: key.clone(),
                published: vec![key],
                next_key: 2,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces all keys with `key`, which becomes the only published key and the signer.
    #[must_use]
    pub fn with_key(self, key: SigningKey) -> Self {
        {
            let mut s = self.lock();
            s.current = key.clone();
            s.published = vec![key];
        }
        self
    }

    /// Sets the app client id used in `aud` / `client_id`.
    #[must_use]
    pub fn with_client_id(self, client_id: impl Into<String>) -> Self {
        self.lock().client_id = client_id.into();
        self
    }

    /// Changes the issuer string (e.g. to a loopback URL once a server's port is known).
    pub fn set_issuer_url(&self, url: impl Into<String>) {
        self.lock().issuer = url.into();
    }

    /// The `iss` value of minted tokens.
    #[must_use]
    pub fn issuer(&self) -> String {
        self.lock().issuer.clone()
    }

    /// The user pool id (`None` for a generic issuer).
    #[must_use]
    pub fn pool_id(&self) -> Option<String> {
        self.lock().pool_id.clone()
    }

    /// The AWS region (`None` for a generic issuer).
    #[must_use]
    pub fn region(&self) -> Option<String> {
        self.lock().region.clone()
    }

    /// The app client id.
    #[must_use]
    pub fn client_id(&self) -> String {
        self.lock().client_id.clone()
    }

    /// The `sub` of the default test user (stable for this issuer).
    #[must_use]
    pub fn user_sub(&self) -> String {
        self.lock().sub.clone()
    }

    /// The key tokens are signed with (it may have been unpublished).
    #[must_use]
    pub fn current_key(&self) -> SigningKey {
        self.lock().current.clone()
    }

    /// The published keys, in JWKS order.
    #[must_use]
    pub fn keys(&self) -> Vec<SigningKey> {
        self.lock().published.clone()
    }

    /// The published key with this kid.
    #[must_use]
    pub fn key(&self, kid: &str) -> Option<SigningKey> {
        self.lock()
            .published
            .iter()
            .find(|k| k.kid() == kid)
            .cloned()
    }

    /// The JWKS document: `{"keys":[…]}` with each key's [`SigningKey::public_jwk`].
    #[must_use]
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .lock()
            .published
            .iter()
            .map(SigningKey::public_jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Adds a fresh RSA-2048 key (kid `test-key-N`), makes it the signer and keeps
    /// the old keys published. Returns the new key.
    pub fn rotate(&self) -> SigningKey {
        // Generate outside the lock: it takes tens of milliseconds.
        let n = {
            let mut s = self.lock();
            let n = s.next_key;
            s.next_key += 1;
            n
        };
        let key = SigningKey::rsa(format!("test-key-{n}"));
        let mut s = self.lock();
        s.published.push(key.clone());
        s.current = key.clone();
        key
    }

    /// Publishes `key` (without making it the signer).
    pub fn add_key(&self, key: SigningKey) {
        self.lock().published.push(key);
    }

    /// Publishes `key` if needed and makes it the signer.
    pub fn set_current_key(&self, key: SigningKey) {
        let mut s = self.lock();
        if !s.published.iter().any(|k| k.kid() == key.kid()) {
            s.published.push(key.clone());
        }
        s.current = key;
    }

    /// Unpublishes every key with this kid; returns whether one was removed.
    /// The current signer is unchanged, so tokens can still be minted with an
    /// unpublished key.
    pub fn remove_key(&self, kid: &str) -> bool {
        let mut s = self.lock();
        let before = s.published.len();
        s.published.retain(|k| k.kid() != kid);
        s.published.len() != before
    }

    /// A Cognito-shaped ID token preset (`token_use: "id"`, `aud` = client id,
    /// `exp` = now + 1 h), in Cognito's claim order.
    pub fn id_token(&self) -> TokenBuilder {
        let s = self.lock();
        let t = now();
        let claims = vec![
            ("sub".to_owned(), Value::from(s.sub.clone())),
            ("email_verified".to_owned(), Value::from(true)),
            ("iss".to_owned(), Value::from(s.issuer.clone())),
            ("cognito:username".to_owned(), Value::from(DEFAULT_USERNAME)),
            ("origin_jti".to_owned(), Value::from(uuid_v4())),
            ("aud".to_owned(), Value::from(s.client_id.clone())),
            ("event_id".to_owned(), Value::from(uuid_v4())),
            ("token_use".to_owned(), Value::from("id")),
            ("auth_time".to_owned(), Value::from(t)),
            ("exp".to_owned(), Value::from(t + DEFAULT_LIFETIME_SECS)),
            ("iat".to_owned(), Value::from(t)),
            ("jti".to_owned(), Value::from(uuid_v4())),
            ("email".to_owned(), Value::from("testuser@example.com")),
        ];
        TokenBuilder::preset(
            &s.current,
            TokenKind::Id,
            claims,
            Some(DEFAULT_LIFETIME_SECS),
        )
    }

    /// A Cognito-shaped user access token preset (`token_use: "access"`,
    /// `client_id`, `scope: "openid email"`, `username`, no `aud`).
    pub fn access_token(&self) -> TokenBuilder {
        let s = self.lock();
        let t = now();
        let claims = vec![
            ("sub".to_owned(), Value::from(s.sub.clone())),
            ("iss".to_owned(), Value::from(s.issuer.clone())),
            ("client_id".to_owned(), Value::from(s.client_id.clone())),
            ("origin_jti".to_owned(), Value::from(uuid_v4())),
            ("event_id".to_owned(), Value::from(uuid_v4())),
            ("token_use".to_owned(), Value::from("access")),
            ("scope".to_owned(), Value::from("openid email")),
            ("auth_time".to_owned(), Value::from(t)),
            ("exp".to_owned(), Value::from(t + DEFAULT_LIFETIME_SECS)),
            ("iat".to_owned(), Value::from(t)),
            ("jti".to_owned(), Value::from(uuid_v4())),
            ("username".to_owned(), Value::from(DEFAULT_USERNAME)),
        ];
        TokenBuilder::preset(
            &s.current,
            TokenKind::Access,
            claims,
            Some(DEFAULT_LIFETIME_SECS),
        )
    }

    /// A client-credentials (machine-to-machine) access token preset:
    /// `sub` = `client_id`, custom scope `orders/read`, no `username`/groups.
    pub fn machine_token(&self) -> TokenBuilder {
        let s = self.lock();
        let t = now();
        let claims = vec![
            ("sub".to_owned(), Value::from(s.client_id.clone())),
            ("token_use".to_owned(), Value::from("access")),
            ("scope".to_owned(), Value::from("orders/read")),
            ("auth_time".to_owned(), Value::from(t)),
            ("iss".to_owned(), Value::from(s.issuer.clone())),
            ("exp".to_owned(), Value::from(t + DEFAULT_LIFETIME_SECS)),
            ("iat".to_owned(), Value::from(t)),
            ("jti".to_owned(), Value::from(uuid_v4())),
            ("client_id".to_owned(), Value::from(s.client_id.clone())),
        ];
        TokenBuilder::preset(
            &s.current,
            TokenKind::Machine,
            claims,
            Some(DEFAULT_LIFETIME_SECS),
        )
    }
}

//! What the local issuer's OAuth 2.0 endpoints know: app clients, resource
//! servers and their scopes, test users. [`OAuthConfig`] is read by
//! [`LocalIssuer::builder`](crate::LocalIssuer::builder) and, as JSON, by
//! `cognito-jwt serve --config`.
//!
//! The rules follow Cognito's app client settings (Developer Guide, "App
//! client settings" and "Scopes, M2M, and APIs with resource servers"):
//! a client that uses `client_credentials` must have a secret and may only
//! be given custom scopes (`{resource server}/{scope}`); the code grant
//! needs at least one callback URL; a client's scopes are built-in scopes or
//! scopes of a configured resource server.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::issuer::{DEFAULT_CLIENT_ID, DEFAULT_USERNAME};

/// The machine (client credentials) app client of [`OAuthConfig::cognito_default`].
pub const DEFAULT_MACHINE_CLIENT_ID: &str = "testmachine1234567890abcde";
/// The secret of [`DEFAULT_MACHINE_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "testsecret0123456789abcdefghijklmnopqrstuvwxyz";
/// The callback URL of the default app client.
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:8080/callback";
/// How long a refresh token works after the sign-in, unless the app client
/// says otherwise: 30 days, Cognito's default.
pub const DEFAULT_REFRESH_TOKEN_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest refresh token validity accepted: 10 years (3,650 days),
/// Cognito's own maximum.
pub const MAX_REFRESH_TOKEN_VALIDITY: Duration = Duration::from_secs(3650 * 24 * 3600);

/// The scopes Cognito defines itself; every other scope is a resource server's.
pub const BUILT_IN_SCOPES: [&str; 5] = [
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// An OAuth 2.0 grant an app client may use (Cognito's `AllowedOAuthFlows`;
/// `refresh_token` is Cognito's `ALLOW_REFRESH_TOKEN_AUTH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Machine to machine: `grant_type=client_credentials`.
    ClientCredentials,
    /// A user signs in through `/oauth2/authorize`, the code is exchanged at
    /// `/oauth2/token` (`grant_type=authorization_code`, PKCE S256).
    AuthorizationCode,
    /// `grant_type=refresh_token` with the refresh token of a code grant.
    RefreshToken,
}

impl Grant {
    /// The `grant_type` value, e.g. `"client_credentials"`.
    ///
    /// ```
    /// assert_eq!(cognito_jwt_testkit::Grant::RefreshToken.as_str(), "refresh_token");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
        }
    }
}

fn code_grants() -> Vec<Grant> {
    vec![Grant::AuthorizationCode, Grant::RefreshToken]
}

const fn default_refresh_validity() -> Duration {
    DEFAULT_REFRESH_TOKEN_VALIDITY
}

/// `refresh_token_validity_secs` in the JSON configuration.
fn validity_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

/// An app client: its id, optional secret, grants, scopes and callback URLs.
///
/// ```
/// use cognito_jwt_testkit::{AppClient, Grant};
///
/// let machine = AppClient::confidential("machine0123456789abcdefgh", "s3cret")
///     .grants([Grant::ClientCredentials])
///     .scopes(["orders/read"]);
/// let spa = AppClient::public("spa0123456789abcdefghijklm")
///     .grants([Grant::AuthorizationCode, Grant::RefreshToken])
///     .scopes(["openid", "email", "orders/read"])
///     .callback_urls(["http://localhost:5173/callback"]);
/// assert_eq!(machine.id(), "machine0123456789abcdefgh");
/// assert!(spa.secret().is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppClient {
    id: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default = "code_grants")]
    grants: Vec<Grant>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    callback_urls: Vec<String>,
    #[serde(default)]
    refresh_token_rotation: bool,
    #[serde(
        default = "default_refresh_validity",
        rename = "refresh_token_validity_secs",
        deserialize_with = "validity_secs"
    )]
    refresh_token_validity: Duration,
}

impl AppClient {
    /// A client without a secret (a browser or mobile app): the code grant
    /// and refresh allowed, no scopes yet.
    #[must_use]
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            grants: code_grants(),
            scopes: Vec::new(),
            callback_urls: Vec::new(),
            refresh_token_rotation: false,
            refresh_token_validity: DEFAULT_REFRESH_TOKEN_VALIDITY,
        }
    }

    /// A client with a secret: the code grant and refresh allowed, no
    /// scopes yet; `.grants([Grant::ClientCredentials])` makes it a
    /// machine client.
    #[must_use]
    pub fn confidential(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            ..Self::public(id)
        }
    }

    /// The grants this client may use (replaces the list).
    #[must_use]
    pub fn grants(mut self, grants: impl IntoIterator<Item = Grant>) -> Self {
        self.grants = grants.into_iter().collect();
        self
    }

    /// The scopes this client may ask for (replaces the list).
    #[must_use]
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The allowed `redirect_uri` values, compared exactly (replaces the
    /// list): `https://`, `http://localhost`, or an app's own scheme such as
    /// `myapp://callback`; no fragment.
    #[must_use]
    pub fn callback_urls<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.callback_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Refresh token rotation: a refresh returns a new refresh token and the
    /// old one stops working. Off by default, as in Cognito, where a refresh
    /// returns no refresh token.
    #[must_use]
    pub fn refresh_token_rotation(mut self, on: bool) -> Self {
        self.refresh_token_rotation = on;
        self
    }

    /// How long a refresh token works, counted from the sign-in (a rotated
    /// refresh token keeps its predecessor's expiry, as in Cognito): 30 days
    /// by default ([`DEFAULT_REFRESH_TOKEN_VALIDITY`]). Cognito allows 60
    /// minutes to 10 years; shorter is accepted here so that a test can see
    /// one expire. Zero, and more than 10 years
    /// ([`MAX_REFRESH_TOKEN_VALIDITY`]), are refused by
    /// [`OAuthConfig::validate`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use cognito_jwt_testkit::AppClient;
    ///
    /// let spa = AppClient::public("spa0123456789abcdefghijklm")
    ///     .refresh_token_validity(Duration::from_secs(3600));
    /// assert_eq!(spa.refresh_validity(), Duration::from_secs(3600));
    /// ```
    #[must_use]
    pub fn refresh_token_validity(mut self, validity: Duration) -> Self {
        self.refresh_token_validity = validity;
        self
    }

    /// How long its refresh tokens work after the sign-in.
    #[must_use]
    pub fn refresh_validity(&self) -> Duration {
        self.refresh_token_validity
    }

    /// The client id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret, `None` for a public client.
    #[must_use]
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// Whether the client may use this grant.
    #[must_use]
    pub fn allows(&self, grant: Grant) -> bool {
        self.grants.contains(&grant)
    }

    /// The scopes the client may ask for.
    #[must_use]
    pub fn allowed_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The grants the client may use.
    #[must_use]
    pub fn allowed_grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The callback URLs `redirect_uri` must be one of.
    #[must_use]
    pub fn allowed_callback_urls(&self) -> &[String] {
        &self.callback_urls
    }

    pub(crate) fn callback_url_allowed(&self, url: &str) -> bool {
        self.callback_urls.iter().any(|u| u == url)
    }

    pub(crate) fn rotates_refresh_tokens(&self) -> bool {
        self.refresh_token_rotation
    }
}

/// A resource server: an identifier and its scope names; the scopes clients
/// ask for are `{identifier}/{name}`.
///
/// ```
/// use cognito_jwt_testkit::ResourceServer;
///
/// let orders = ResourceServer::new("orders", ["read", "write"]);
/// assert_eq!(orders.full_scopes(), ["orders/read", "orders/write"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServer {
    identifier: String,
    #[serde(default)]
    scopes: Vec<String>,
}

impl ResourceServer {
    /// A resource server with these scope names.
    #[must_use]
    pub fn new<S: Into<String>>(
        identifier: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            identifier: identifier.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// The identifier, e.g. `orders` or `https://api.example.com`.
    #[must_use]
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// Its scopes as tokens carry them: `{identifier}/{name}`.
    #[must_use]
    pub fn full_scopes(&self) -> Vec<String> {
        self.scopes
            .iter()
            .map(|s| format!("{}/{s}", self.identifier))
            .collect()
    }
}

/// A test user that `/oauth2/authorize` signs in without a form.
///
/// ```
/// use cognito_jwt_testkit::TestUser;
///
/// let alice = TestUser::new("alice")
///     .subject("6f1c1a9e-0000-4000-8000-000000000001")
///     .groups(["admin"])
///     .attribute("email", "alice@example.com");
/// assert_eq!(alice.username(), "alice");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestUser {
    username: String,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

impl TestUser {
    /// A user with this user name, no groups, no attributes, and a random
    /// `sub` fixed when the issuer starts.
    #[must_use]
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            sub: None,
            groups: Vec::new(),
            attributes: Map::new(),
        }
    }

    /// Sets the `sub`.
    #[must_use]
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }

    /// Sets the groups (`cognito:groups`, in this order).
    #[must_use]
    pub fn groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an attribute the ID token carries, e.g. `email`,
    /// `email_verified`, `custom:tenant`.
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    /// The user name (`username` / `cognito:username` claims).
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The `sub`, once fixed.
    #[must_use]
    pub fn sub_claim(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    /// The groups, in `cognito:groups` order.
    #[must_use]
    pub fn group_names(&self) -> &[String] {
        &self.groups
    }

    pub(crate) fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }

    pub(crate) fn fix_sub(&mut self, sub: impl FnOnce() -> String) {
        if self.sub.is_none() {
            self.sub = Some(sub());
        }
    }
}

/// A configuration the local issuer refuses, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthConfigError(String);

impl fmt::Display for OAuthConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OAuthConfigError {}

/// App clients, resource servers and users of the local issuer's OAuth
/// endpoints. As JSON (`cognito-jwt serve --config FILE`):
///
/// ```
/// use cognito_jwt_testkit::OAuthConfig;
///
/// let config: OAuthConfig = serde_json::from_str(r#"{
///   "resource_servers": [{"identifier": "orders", "scopes": ["read", "write"]}],
///   "clients": [
///     {"id": "machine0123456789abcdefgh", "secret": "s3cret",
///      "grants": ["client_credentials"], "scopes": ["orders/read"]},
///     {"id": "spa0123456789abcdefghijklm", "grants": ["authorization_code", "refresh_token"],
///      "scopes": ["openid", "email", "orders/read"],
///      "callback_urls": ["http://localhost:5173/callback"]}
///   ],
///   "users": [{"username": "alice", "groups": ["admin"],
///              "attributes": {"email": "alice@example.com", "email_verified": true}}]
/// }"#).unwrap();
/// config.validate().unwrap();
/// assert_eq!(config.clients().len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    #[serde(default)]
    clients: Vec<AppClient>,
    #[serde(default)]
    resource_servers: Vec<ResourceServer>,
    #[serde(default)]
    users: Vec<TestUser>,
}

impl OAuthConfig {
    /// Nothing configured yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// What [`LocalIssuer::builder`](crate::LocalIssuer::builder) starts
    /// from: resource server `orders` (`read`, `write`); the public app
    /// client [`DEFAULT_CLIENT_ID`] for the code grant and refresh, scopes
    /// `openid email profile orders/read orders/write`, callback
    /// [`DEFAULT_CALLBACK_URL`]; the machine client
    /// [`DEFAULT_MACHINE_CLIENT_ID`] with secret [`DEFAULT_CLIENT_SECRET`]
    /// for `client_credentials`, scopes `orders/read orders/write` (Cognito
    /// refuses one client with both grants); user [`DEFAULT_USERNAME`] in
    /// group `admin` with `email` `testuser@example.com` (verified).
    #[must_use]
    pub fn cognito_default() -> Self {
        Self::new()
            .resource_server(ResourceServer::new("orders", ["read", "write"]))
            .client(
                AppClient::public(DEFAULT_CLIENT_ID)
                    .scopes(["openid", "email", "profile", "orders/read", "orders/write"])
                    .callback_urls([DEFAULT_CALLBACK_URL]),
            )
            .client(
                AppClient::confidential(DEFAULT_MACHINE_CLIENT_ID, DEFAULT_CLIENT_SECRET)
                    .grants([Grant::ClientCredentials])
                    .scopes(["orders/read", "orders/write"]),
            )
            .user(
                TestUser::new(DEFAULT_USERNAME)
                    .groups(["admin"])
                    .attribute("email_verified", true)
                    .attribute("email", "testuser@example.com"),
            )
    }

    /// Adds an app client.
    #[must_use]
    pub fn client(mut self, client: AppClient) -> Self {
        self.clients.push(client);
        self
    }

    /// Adds a resource server.
    #[must_use]
    pub fn resource_server(mut self, server: ResourceServer) -> Self {
        self.resource_servers.push(server);
        self
    }

    /// Adds a user; the first user is the one `/oauth2/authorize` signs in
    /// unless `login_hint` names another.
    #[must_use]
    pub fn user(mut self, user: TestUser) -> Self {
        self.users.push(user);
        self
    }

    /// The app clients.
    #[must_use]
    pub fn clients(&self) -> &[AppClient] {
        &self.clients
    }

    /// The resource servers.
    #[must_use]
    pub fn resource_servers(&self) -> &[ResourceServer] {
        &self.resource_servers
    }

    /// The users.
    #[must_use]
    pub fn users(&self) -> &[TestUser] {
        &self.users
    }

    /// Every custom scope: `{resource server}/{scope}`.
    #[must_use]
    pub fn custom_scopes(&self) -> BTreeSet<String> {
        self.resource_servers
            .iter()
            .flat_map(ResourceServer::full_scopes)
            .collect()
    }

    pub(crate) fn users_mut(&mut self) -> &mut [TestUser] {
        &mut self.users
    }

    /// Checks the rules Cognito applies when a client is created.
    ///
    /// # Errors
    /// The first rule broken: an empty or repeated client id or user name,
    /// `client_credentials` without a secret, with a built-in scope or with
    /// the code grant, a
    /// scope that is neither built-in nor a resource server's, the code
    /// grant without a callback URL, a callback URL that is not an
    /// absolute URL (HTTPS, `http://localhost` or a custom scheme) or has a
    /// fragment, an empty secret or one with a character other than ASCII
    /// letters, digits and `- . _ ~` (HTTP Basic credentials are
    /// form-urlencoded, RFC 6749 §2.3.1, so such a secret would not match
    /// when sent raw, as `curl -u` does), a refresh token validity of zero
    /// or of more than 10 years ([`MAX_REFRESH_TOKEN_VALIDITY`]).
    pub fn validate(&self) -> Result<(), OAuthConfigError> {
        let err = |m: String| Err(OAuthConfigError(m));
        let custom = self.custom_scopes();
        let mut ids = BTreeSet::new();
        for c in &self.clients {
            if c.id.is_empty() || !c.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return err(format!(
                    "app client id {:?} is not 1 or more ASCII letters and digits",
                    c.id
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return err(format!("app client {} is configured twice", c.id));
            }
            if c.secret.as_deref() == Some("") {
                return err(format!("app client {}: the secret is empty", c.id));
            }
            if c.secret
                .as_deref()
                .is_some_and(|s| !s.bytes().all(secret_byte_allowed))
            {
                return err(format!(
                    "app client {}: the secret may hold only ASCII letters, digits and - . _ ~ (characters HTTP Basic form-urlencoding would change are refused)",
                    c.id
                ));
            }
            for s in &c.scopes {
                if !BUILT_IN_SCOPES.contains(&s.as_str()) && !custom.contains(s) {
                    return err(format!(
                        "app client {}: scope {s:?} is neither built-in nor a configured resource server's",
                        c.id
                    ));
                }
            }
            if c.allows(Grant::ClientCredentials) {
                if c.secret.is_none() {
                    return err(format!(
                        "app client {}: client_credentials needs a client secret (as in Cognito)",
                        c.id
                    ));
                }
                if c.allows(Grant::AuthorizationCode) {
                    return err(format!(
                        "app client {}: client_credentials cannot be combined with authorization_code (as in Cognito)",
                        c.id
                    ));
                }
                if let Some(s) = c
                    .scopes
                    .iter()
                    .find(|s| BUILT_IN_SCOPES.contains(&s.as_str()))
                {
                    return err(format!(
                        "app client {}: client_credentials takes custom scopes only, not {s:?}",
                        c.id
                    ));
                }
            }
            if c.refresh_token_validity.is_zero() {
                return err(format!(
                    "app client {}: the refresh token validity is zero",
                    c.id
                ));
            }
            if c.refresh_token_validity > MAX_REFRESH_TOKEN_VALIDITY {
                return err(format!(
                    "app client {}: the refresh token validity is more than 10 years (3650 days, {} seconds, Cognito's maximum)",
                    c.id,
                    MAX_REFRESH_TOKEN_VALIDITY.as_secs()
                ));
            }
            if c.allows(Grant::AuthorizationCode) && c.callback_urls.is_empty() {
                return err(format!(
                    "app client {}: the code grant needs at least one callback URL",
                    c.id
                ));
            }
            for u in &c.callback_urls {
                if !url_acceptable(u) {
                    return err(format!(
                        "app client {}: callback URL {u:?} is not https://, http://localhost or a custom scheme without a fragment",
                        c.id
                    ));
                }
            }
        }
        let mut names = BTreeSet::new();
        for u in &self.users {
            if u.username.is_empty() {
                return err("a user has an empty user name".into());
            }
            if !names.insert(u.username.as_str()) {
                return err(format!("user {} is configured twice", u.username));
            }
        }
        Ok(())
    }
}

/// A secret's allowed bytes: RFC 3986 unreserved, which form-urlencoding
/// leaves as they are (Cognito's generated secrets are letters and digits).
fn secret_byte_allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Cognito's rule for callback URLs and for `resource`: an absolute URL,
/// no fragment, HTTPS, or HTTP on `localhost` only, or any other scheme, such
/// as an app's own `myapp://callback` (CreateUserPoolClient, `CallbackURLs`:
/// "App callback URLs such as myapp://example are also supported").
pub(crate) fn url_acceptable(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => {
            u.fragment().is_none()
                && match u.scheme() {
                    "https" => true,
                    "http" => u.host_str() == Some("localhost"),
                    _ => true,
                }
        }
        Err(_) => false,
    }
}

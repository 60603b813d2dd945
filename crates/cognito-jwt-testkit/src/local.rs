//! An issuer and its running JWKS server in one value.

use std::net::SocketAddr;
use std::time::Duration;

use crate::authorization_server::{AUTHORIZE_PATH, CODE_LIFETIME, REVOKE_PATH, TOKEN_PATH};
use crate::issuer::{DEFAULT_POOL_ID, DEFAULT_USERNAME, TestIssuer};
use crate::oauth::{AppClient, OAuthConfig, ResourceServer, TestUser};
use crate::server::JwksServer;
use crate::token::TokenBuilder;
use crate::util::uuid_v4;

/// A [`TestIssuer`] plus a running [`JwksServer`]: an embedded local issuer for
/// demo apps and end-to-end tests.
///
/// ```
/// use cognito_jwt_testkit::LocalIssuer;
///
/// let local = LocalIssuer::start();
/// // Configure the API under test with these:
/// let (issuer, jwks_url, client_id) = (local.issuer(), local.jwks_url(), local.client_id());
/// assert!(issuer.starts_with("https://cognito-idp.us-east-1.amazonaws.com/"));
/// assert!(jwks_url.starts_with("http://127.0.0.1:"));
/// let token = local.access_token().scopes(&["orders/read"]).build();
/// # let _ = (client_id, token);
/// ```
#[derive(Debug)]
pub struct LocalIssuer {
    issuer: TestIssuer,
    server: JwksServer,
    oauth: Option<OAuthConfig>,
}

impl LocalIssuer {
    /// [`TestIssuer::cognito`] (Cognito-shaped `iss`) served on loopback.
    ///
    /// Tokens carry the real-looking Cognito issuer while the JWKS lives at
    /// [`jwks_url`](Self::jwks_url), the way moto behaves: configure the
    /// verifier with an explicit JWKS URL.
    #[must_use]
    pub fn start() -> Self {
        Self::start_with(TestIssuer::cognito())
    }

    /// Serves an existing issuer.
    #[must_use]
    pub fn start_with(issuer: TestIssuer) -> Self {
        let server = JwksServer::start(&issuer);
        Self {
            issuer,
            server,
            oauth: None,
        }
    }

    /// A local issuer that also answers Cognito's OAuth 2.0 endpoints
    /// (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`), starting
    /// from [`OAuthConfig::cognito_default`].
    ///
    /// ```
    /// use cognito_jwt_testkit::{AppClient, Grant, LocalIssuer};
    ///
    /// let local = LocalIssuer::builder()
    ///     .client(
    ///         AppClient::confidential("reports0123456789abcdefgh", "s3cret")
    ///             .grants([Grant::ClientCredentials])
    ///             .scopes(["orders/read"]),
    ///     )
    ///     .start()
    ///     .unwrap();
    /// assert!(local.token_url().unwrap().ends_with("/oauth2/token"));
    /// assert!(local.client_ids().contains(&"reports0123456789abcdefgh".to_owned()));
    /// ```
    pub fn builder() -> LocalIssuerBuilder {
        LocalIssuerBuilder {
            issuer: None,
            oauth: OAuthConfig::cognito_default(),
            loopback: false,
            bind: None,
            code_lifetime: CODE_LIFETIME,
        }
    }

    /// A self-consistent loopback issuer: `iss` = `http://127.0.0.1:PORT/us-east-1_TestPool1`,
    /// so `{iss}/.well-known/jwks.json` and `{iss}/.well-known/openid-configuration`
    /// both resolve to this server (like cognito-local).
    #[must_use]
    pub fn start_loopback() -> Self {
        let local = Self::start();
        let pool = local
            .issuer
            .pool_id()
            .unwrap_or_else(|| crate::issuer::DEFAULT_POOL_ID.to_owned());
        local
            .issuer
            .set_issuer_url(format!("{}/{pool}", local.server.base_url()));
        local
    }

    /// `http://127.0.0.1:PORT` (no trailing slash): the server's base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// The discovery document's URL, under the issuer's path when the issuer
    /// is served here ([`start_loopback`](Self::start_loopback)).
    #[must_use]
    pub fn discovery_url(&self) -> String {
        let iss = self.issuer();
        if iss.starts_with(self.server.base_url()) {
            format!("{iss}/.well-known/openid-configuration")
        } else {
            self.server.discovery_url()
        }
    }

    /// `{base}/oauth2/token`, when the OAuth endpoints are served.
    #[must_use]
    pub fn token_url(&self) -> Option<String> {
        self.oauth_url(TOKEN_PATH)
    }

    /// `{base}/oauth2/authorize`, when the OAuth endpoints are served.
    #[must_use]
    pub fn authorize_url(&self) -> Option<String> {
        self.oauth_url(AUTHORIZE_PATH)
    }

    /// `{base}/oauth2/revoke`, when the OAuth endpoints are served.
    #[must_use]
    pub fn revoke_url(&self) -> Option<String> {
        self.oauth_url(REVOKE_PATH)
    }

    fn oauth_url(&self, path: &str) -> Option<String> {
        self.oauth
            .as_ref()
            .map(|_| format!("{}{path}", self.server.base_url()))
    }

    /// The OAuth configuration served (users' `sub` filled in), if any.
    #[must_use]
    pub fn oauth_config(&self) -> Option<&OAuthConfig> {
        self.oauth.as_ref()
    }

    /// Every app client id a verifier should accept: the OAuth
    /// configuration's clients, or [`client_id`](Self::client_id) alone.
    #[must_use]
    pub fn client_ids(&self) -> Vec<String> {
        match &self.oauth {
            Some(config) if !config.clients().is_empty() => {
                config.clients().iter().map(|c| c.id().to_owned()).collect()
            }
            _ => vec![self.client_id()],
        }
    }

    /// The `iss` of minted tokens.
    #[must_use]
    pub fn issuer(&self) -> String {
        self.issuer.issuer()
    }

    /// The JWKS URL to configure in the verifier.
    #[must_use]
    pub fn jwks_url(&self) -> String {
        self.server.url()
    }

    /// The app client id.
    #[must_use]
    pub fn client_id(&self) -> String {
        self.issuer.client_id()
    }

    /// The issuer, for minting tokens and rotating keys.
    #[must_use]
    pub fn test_issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// The running server (fetch counts, failure modes).
    #[must_use]
    pub fn server(&self) -> &JwksServer {
        &self.server
    }

    /// Shorthand for [`TestIssuer::id_token`].
    pub fn id_token(&self) -> TokenBuilder {
        self.issuer.id_token()
    }

    /// Shorthand for [`TestIssuer::access_token`].
    pub fn access_token(&self) -> TokenBuilder {
        self.issuer.access_token()
    }

    /// Shorthand for [`TestIssuer::machine_token`].
    pub fn machine_token(&self) -> TokenBuilder {
        self.issuer.machine_token()
    }
}

/// Configures a [`LocalIssuer`] with OAuth endpoints; from
/// [`LocalIssuer::builder`].
#[derive(Debug)]
#[must_use = "a LocalIssuerBuilder does nothing until .start()"]
pub struct LocalIssuerBuilder {
    issuer: Option<TestIssuer>,
    oauth: OAuthConfig,
    loopback: bool,
    bind: Option<SocketAddr>,
    code_lifetime: Duration,
}

impl LocalIssuerBuilder {
    /// How long an authorization code can be exchanged: 5 minutes, as in
    /// Cognito, unless a test wants to see one expire.
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// Serves this issuer (default [`TestIssuer::cognito`]).
    pub fn issuer(mut self, issuer: TestIssuer) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// Replaces the whole OAuth configuration (the default is
    /// [`OAuthConfig::cognito_default`]); `OAuthConfig::new()` starts empty.
    pub fn oauth(mut self, config: OAuthConfig) -> Self {
        self.oauth = config;
        self
    }

    /// Adds an app client.
    pub fn client(mut self, client: AppClient) -> Self {
        self.oauth = self.oauth.client(client);
        self
    }

    /// Adds a resource server.
    pub fn resource_server(mut self, server: ResourceServer) -> Self {
        self.oauth = self.oauth.resource_server(server);
        self
    }

    /// Adds a test user.
    pub fn user(mut self, user: TestUser) -> Self {
        self.oauth = self.oauth.user(user);
        self
    }

    /// `iss` = `http://ADDR/{pool}`, so the discovery document and JWKS
    /// resolve from the issuer itself (as [`LocalIssuer::start_loopback`]).
    pub fn loopback_issuer(mut self, on: bool) -> Self {
        self.loopback = on;
        self
    }

    /// Listens here instead of `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Validates the configuration, binds and starts serving.
    ///
    /// # Errors
    /// `InvalidInput` for a configuration [`OAuthConfig::validate`] refuses;
    /// the bind error if the address cannot be bound.
    pub fn start(self) -> std::io::Result<LocalIssuer> {
        let mut oauth = self.oauth;
        oauth
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let issuer = self.issuer.unwrap_or_else(TestIssuer::cognito);
        let default_sub = issuer.user_sub();
        for user in oauth.users_mut() {
            let default = user.username() == DEFAULT_USERNAME;
            user.fix_sub(|| {
                if default {
                    default_sub.clone()
                } else {
                    uuid_v4()
                }
            });
        }
        let listener = std::net::TcpListener::bind(
            self.bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        )?;
        let served = oauth.clone();
        let loopback = self.loopback;
        let code_lifetime = self.code_lifetime;
        let server = JwksServer::serve(&issuer, listener, |base| {
            if loopback {
                let pool = issuer
                    .pool_id()
                    .unwrap_or_else(|| DEFAULT_POOL_ID.to_owned());
                issuer.set_issuer_url(format!("{base}/{pool}"));
            }
            Some((served, code_lifetime))
        })?;
        Ok(LocalIssuer {
            issuer,
            server,
            oauth: Some(oauth),
        })
    }
}

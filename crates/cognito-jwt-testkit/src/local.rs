//! An issuer and its running JWKS server in one value.

use std::net::SocketAddr;
use std::time::Duration;

use crate::authorization_server::{
    AUTHORIZE_PATH, CODE_LIFETIME, MAX_SESSIONS, OAuthSettings, REVOKE_PATH, TOKEN_PATH,
    USERINFO_PATH,
};
use crate::issuer::{DEFAULT_POOL_ID, DEFAULT_USERNAME, TestIssuer};
use crate::oauth::{AppClient, OAuthConfig, ResourceServer, TestUser};
use crate::server::JwksServer;
use crate::token::TokenBuilder;
use crate::util::uuid_v4;

/// The longest [`LocalIssuerBuilder::code_lifetime`] accepted: 10 minutes
/// (Cognito's codes live 5), so that a code's expiry is always a valid
/// instant and a forgotten code does not linger.
pub const MAX_CODE_LIFETIME: Duration = Duration::from_secs(600);

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
    /// (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`,
    /// `/oauth2/userInfo`), starting
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
            allow_non_loopback: false,
            public_url: None,
            code_lifetime: CODE_LIFETIME,
            max_sessions: MAX_SESSIONS,
            #[cfg(feature = "revocations")]
            revocations: None,
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

    /// `http://127.0.0.1:PORT` (no trailing slash): the server's base URL,
    /// or the [`public_url`](LocalIssuerBuilder::public_url) it advertises.
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

    /// `{base}/oauth2/userInfo`, when the OAuth endpoints are served: `GET`
    /// or `POST` with `Authorization: Bearer <access token>` (a user's,
    /// with `openid`) for the user's attributes, as Cognito's user
    /// attributes endpoint answers.
    #[must_use]
    pub fn userinfo_url(&self) -> Option<String> {
        self.oauth_url(USERINFO_PATH)
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
    allow_non_loopback: bool,
    public_url: Option<String>,
    code_lifetime: Duration,
    max_sessions: usize,
    #[cfg(feature = "revocations")]
    revocations: Option<cognito_jwt::revocation::Revocations>,
}

impl LocalIssuerBuilder {
    /// Tells a resource server about the local sign-outs: when
    /// `/oauth2/revoke` revokes a refresh token, the issuer also adds
    /// [`Revocation::family`](cognito_jwt::revocation::Revocation::family)
    /// of its `origin_jti` to `revocations`, so a
    /// [`Verifier`](cognito_jwt::Verifier) built with the same set refuses
    /// that session's access and ID tokens ([`Error::Revoked`](cognito_jwt::Error::Revoked),
    /// rule `family`) while other sessions' tokens still verify.
    ///
    /// Cognito's RevokeToken ends the same family, but a resource server
    /// only learns of it through its own denylist; this stands in for the
    /// application code that would add the rule. Needs the crate feature
    /// `revocations` (which makes this crate depend on `cognito-jwt`).
    ///
    /// ```
    /// use cognito_jwt::revocation::Revocations;
    /// use cognito_jwt::{Error, Issuer, TokenUse, Verifier};
    /// use cognito_jwt_testkit::{DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_ID, DEFAULT_POOL_ID, LocalIssuer};
    /// use serde_json::Value;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let revocations = Revocations::new();
    /// let local = LocalIssuer::builder()
    ///     .revocations(revocations.clone())
    ///     .start()
    ///     .unwrap();
    /// let verifier = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(local.jwks_url()))
    ///     .client_ids(local.client_ids())
    ///     .token_use(TokenUse::Access)
    ///     .revocations(revocations)
    ///     .build()
    ///     .unwrap();
    ///
    /// // Sign in (the code grant, as a browser and an app do it).
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()
    ///     .unwrap();
    /// let form = |pairs: &[(&str, &str)]| {
    ///     url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    /// };
    /// let post = |url: String, body: String| {
    ///     http.post(url)
    ///         .header("content-type", "application/x-www-form-urlencoded")
    ///         .body(body)
    ///         .send()
    /// };
    /// let sign_in = || async {
    ///     let authorize = url::Url::parse_with_params(
    ///         &local.authorize_url().unwrap(),
    ///         [
    ///             ("response_type", "code"),
    ///             ("client_id", DEFAULT_CLIENT_ID),
    ///             ("redirect_uri", DEFAULT_CALLBACK_URL),
    ///             ("scope", "openid orders/read"),
    ///         ],
    ///     )
    ///     .unwrap();
    ///     let answer = http.get(authorize).send().await.unwrap();
    ///     let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    ///     let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    ///     let body = form(&[
    ///         ("grant_type", "authorization_code"),
    ///         ("client_id", DEFAULT_CLIENT_ID),
    ///         ("redirect_uri", DEFAULT_CALLBACK_URL),
    ///         ("code", &code),
    ///     ]);
    ///     let tokens: Value = post(local.token_url().unwrap(), body).await.unwrap().json().await.unwrap();
    ///     let token = |name: &str| tokens[name].as_str().unwrap().to_owned();
    ///     (token("access_token"), token("refresh_token"))
    /// };
    /// let (access, refresh) = sign_in().await;
    /// let (other_access, _) = sign_in().await;
    /// assert!(verifier.verify(&access).await.is_ok());
    ///
    /// // Sign out: the app revokes its refresh token.
    /// let body = form(&[("token", &refresh), ("client_id", DEFAULT_CLIENT_ID)]);
    /// assert_eq!(post(local.revoke_url().unwrap(), body).await.unwrap().status(), 200);
    ///
    /// // The same access token is now refused; another session's is not.
    /// let refused = verifier.verify(&access).await.unwrap_err();
    /// assert!(matches!(refused, Error::Revoked { rule: "family" }));
    /// assert!(verifier.verify(&other_access).await.is_ok());
    /// # }
    /// ```
    #[cfg(feature = "revocations")]
    pub fn revocations(mut self, revocations: cognito_jwt::revocation::Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// How long an authorization code can be exchanged: 5 minutes, as in
    /// Cognito, unless a test wants to see one expire. More than
    /// [`MAX_CODE_LIFETIME`] (10 minutes) is refused by
    /// [`start`](Self::start).
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// Most authorization codes waiting, and most live refresh sessions
    /// (not expired, revoked or rotated away): 10,000 each unless a test
    /// wants to reach the limit. Beyond, `/oauth2/authorize` is answered
    /// `temporarily_unavailable` (503) until codes are exchanged or expire;
    /// a code exchange at the session limit evicts the refresh session that
    /// expires soonest (its refresh token then gets `invalid_grant`), so
    /// sign-ins keep working; a rotating refresh replaces its own session.
    /// Zero is refused by [`start`](Self::start).
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = max;
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

    /// Listens here instead of `127.0.0.1:0`. A loopback address only,
    /// unless [`allow_non_loopback`](Self::allow_non_loopback): whoever
    /// reaches the issuer gets tokens the APIs under test accept.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Lets [`bind`](Self::bind) take an address that is not loopback
    /// (`0.0.0.0` in a container, say).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use cognito_jwt_testkit::LocalIssuer;
    ///
    /// let anywhere = SocketAddr::from(([0, 0, 0, 0], 8420));
    /// let refused = LocalIssuer::builder().bind(anywhere).start().unwrap_err();
    /// assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    /// // In a container: LocalIssuer::builder().bind(anywhere).allow_non_loopback()
    /// //     .public_url("http://cognito:8420").start()
    ///
    /// // Reached by another name: the URLs it hands out use that name.
    /// let local = LocalIssuer::builder()
    ///     .public_url("http://cognito.test:8420")
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(local.token_url().unwrap(), "http://cognito.test:8420/oauth2/token");
    /// ```
    pub fn allow_non_loopback(mut self) -> Self {
        self.allow_non_loopback = true;
        self
    }

    /// The base URL the issuer advertises instead of `http://ADDR`: in the
    /// discovery document, in `iss` with
    /// [`loopback_issuer`](Self::loopback_issuer), and in
    /// [`LocalIssuer`]'s URLs. For an issuer reached by another name (a
    /// container's host name, a port mapping, a proxy). `http` or `https`,
    /// a host, no path, query or fragment; [`start`](Self::start) refuses
    /// anything else.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Validates the configuration, binds and starts serving.
    ///
    /// # Errors
    /// `InvalidInput` for a configuration [`OAuthConfig::validate`] refuses,
    /// a non-loopback [`bind`](Self::bind) address without
    /// [`allow_non_loopback`](Self::allow_non_loopback), a
    /// [`public_url`](Self::public_url) that is not a base URL, a zero
    /// [`max_sessions`](Self::max_sessions), or a
    /// [`code_lifetime`](Self::code_lifetime) over [`MAX_CODE_LIFETIME`];
    /// the bind error if the address
    /// cannot be bound.
    pub fn start(self) -> std::io::Result<LocalIssuer> {
        let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        let mut oauth = self.oauth;
        oauth.validate().map_err(|e| invalid(e.to_string()))?;
        if let Some(addr) = self.bind
            && !addr.ip().is_loopback()
            && !self.allow_non_loopback
        {
            return Err(invalid(format!(
                "{addr} is not a loopback address: anyone who reaches it can get tokens; call allow_non_loopback() to mean it"
            )));
        }
        let public_url = match &self.public_url {
            Some(url) => Some(base_url(url).map_err(invalid)?),
            None => None,
        };
        if self.max_sessions == 0 {
            return Err(invalid("max_sessions must be at least 1".into()));
        }
        if self.code_lifetime > MAX_CODE_LIFETIME {
            return Err(invalid(format!(
                "code_lifetime {:?} is more than {} seconds (10 minutes; Cognito's codes live 5)",
                self.code_lifetime,
                MAX_CODE_LIFETIME.as_secs()
            )));
        }
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
        let loopback = self.loopback;
        let settings = OAuthSettings {
            config: oauth.clone(),
            code_lifetime: self.code_lifetime,
            max_sessions: self.max_sessions,
            #[cfg(feature = "revocations")]
            revocations: self.revocations,
        };
        let server = JwksServer::serve(&issuer, listener, public_url, |base| {
            if loopback {
                let pool = issuer
                    .pool_id()
                    .unwrap_or_else(|| DEFAULT_POOL_ID.to_owned());
                issuer.set_issuer_url(format!("{base}/{pool}"));
            }
            Some(settings)
        })?;
        Ok(LocalIssuer {
            issuer,
            server,
            oauth: Some(oauth),
        })
    }
}

/// A public base URL, checked and without its trailing slash.
fn base_url(url: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "public URL {:?} is not http(s)://HOST[:PORT] without a path, query or fragment",
            url.escape_debug().to_string()
        )
    };
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.path() == "/"
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if ok {
        Ok(parsed.as_str().trim_end_matches('/').to_owned())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::base_url;

    #[test]
    fn public_urls_are_base_urls() {
        for (url, expected) in [
            ("http://issuer.test:8420", Some("http://issuer.test:8420")),
            (
                "https://cognito.example.com/",
                Some("https://cognito.example.com"),
            ),
            ("http://10.0.0.5:8420", Some("http://10.0.0.5:8420")),
            ("http://issuer.test/pool", None),
            ("http://issuer.test/?x=1", None),
            ("http://issuer.test/#top", None),
            ("ftp://issuer.test", None),
            ("http://user:pw@issuer.test", None),
            ("issuer.test:8420", None),
            ("", None),
        ] {
            assert_eq!(base_url(url).ok().as_deref(), expected, "{url}");
        }
    }
}

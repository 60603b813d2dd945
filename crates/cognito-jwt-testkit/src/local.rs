//! An issuer and its running JWKS server in one value.

use crate::issuer::TestIssuer;
use crate::server::JwksServer;
use crate::token::TokenBuilder;

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
        Self { issuer, server }
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

//! RFC 9728 OAuth 2.0 Protected Resource Metadata: the document a resource
//! server publishes so that clients (MCP clients, for one) find the
//! authorization server, here the Cognito user pool, from a 401.
//!
//! How it is served (path, methods, headers) is decided here once; the
//! adapters' `ResourceMetadata` services only translate it.

use serde::Serialize;

use crate::error::BuildError;
use crate::secure_url::is_secure;
use crate::verifier::Verifier;

/// The Protected Resource Metadata document of one resource (RFC 9728 §2),
/// and where it is published (§3.1).
///
/// ```
/// use cognito_jwt::ProtectedResourceMetadata;
///
/// let metadata = ProtectedResourceMetadata::new("https://api.example.com/mcp")?
///     .authorization_server("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123")
///     .scopes_supported(["mcp/tools.read", "mcp/tools.call"]);
///
/// // Published at the well-known path, with the resource's path as a suffix:
/// assert_eq!(metadata.well_known_path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     metadata.url(),
///     "https://api.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// let json: serde_json::Value = serde_json::from_str(&metadata.to_json())?;
/// assert_eq!(json["resource"], "https://api.example.com/mcp");
/// assert_eq!(json["bearer_methods_supported"], serde_json::json!(["header"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectedResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip)]
    origin: String,
    #[serde(skip)]
    path: String,
}

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

impl ProtectedResourceMetadata {
    /// The document of `resource`, the resource's identifier: an absolute
    /// `https` URL (`http` on loopback, for local development) without a
    /// query or fragment (RFC 9728 §1.2). Tokens for it should name it in
    /// `aud` (RFC 8707): require it with
    /// [`VerifierBuilder::required_audience`](crate::VerifierBuilder::required_audience).
    pub fn new(resource: impl Into<String>) -> Result<Self, BuildError> {
        let resource = resource.into();
        let invalid = |reason| BuildError::InvalidUrl {
            url: resource.clone(),
            reason,
        };
        let url = url::Url::parse(&resource).map_err(|_| invalid("not an absolute URL"))?;
        if !is_secure(&url) {
            return Err(invalid(
                "a resource is an https URL (http on loopback only)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a resource has no query or fragment"));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/').to_owned();
        Ok(ProtectedResourceMetadata {
            resource,
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header"],
            resource_name: None,
            origin,
            path,
        })
    }

    /// An authorization server whose tokens the resource accepts: for a
    /// Cognito pool, its issuer (`https://cognito-idp.{region}.amazonaws.com/{pool}`).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes the resource's routes ask for, added to those already
    /// given. Each is listed once, in the order first given: several routes
    /// (or tools) asking for one scope need not de-duplicate it themselves.
    pub fn scopes_supported<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        for scope in scopes {
            let scope = scope.into();
            if !self.scopes_supported.contains(&scope) {
                self.scopes_supported.push(scope);
            }
        }
        self
    }

    /// The document of the resource `verifier` was built for: `resource`
    /// is the one audience it requires
    /// ([`VerifierBuilder::for_resource`](crate::VerifierBuilder::for_resource)),
    /// and `authorization_servers` its issuers (for a Cognito pool, the
    /// `https://cognito-idp.{region}.amazonaws.com/{pool}` form). Add the
    /// scopes the routes ask for with [`scopes_supported`](Self::scopes_supported).
    ///
    /// A verifier that requires no audience, or several, names no single
    /// resource: [`BuildError::InvalidOption`] (`resource`).
    ///
    /// ```
    /// use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
    ///
    /// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
    ///     .client_ids(["1example23456789"])
    ///     .token_use(TokenUse::Access)
    ///     .for_resource("https://mcp.example.com/mcp")
    ///     .build()?;
    /// let metadata = ProtectedResourceMetadata::for_verifier(&verifier)?.scopes_supported(["mcp/read"]);
    /// let json: serde_json::Value = serde_json::from_str(&metadata.to_json())?;
    /// assert_eq!(json["resource"], "https://mcp.example.com/mcp");
    /// assert_eq!(
    ///     json["authorization_servers"],
    ///     serde_json::json!(["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"])
    /// );
    /// assert_eq!(metadata.well_known_path(), "/.well-known/oauth-protected-resource/mcp");
    ///
    /// // Without `for_resource`, there is no resource to describe.
    /// let unbound = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
    ///     .client_ids(["1example23456789"])
    ///     .token_use(TokenUse::Access)
    ///     .build()?;
    /// assert!(ProtectedResourceMetadata::for_verifier(&unbound).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_verifier(verifier: &Verifier) -> Result<Self, BuildError> {
        let state = &verifier.0;
        let resource = match state.required_audience.as_deref() {
            Some([resource]) => resource.clone(),
            _ => {
                return Err(BuildError::InvalidOption {
                    option: "resource",
                    reason: "the verifier requires no single audience: build it with VerifierBuilder::for_resource",
                });
            }
        };
        let mut metadata = ProtectedResourceMetadata::new(resource)?;
        // Each configured issuer once: its first `iss` string (the pool's
        // `cognito-idp` form), not the alternative forms sharing its keys.
        let mut seen = Vec::new();
        for issuer in &state.issuers {
            if !seen.contains(&issuer.key_cache) {
                seen.push(issuer.key_cache);
                metadata = metadata.authorization_server(&*issuer.iss);
            }
        }
        Ok(metadata)
    }

    /// A human-readable name of the resource.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// The path to publish the document at (RFC 9728 §3.1): the well-known
    /// path, followed by the resource's own path when it has one.
    pub fn well_known_path(&self) -> String {
        format!("{WELL_KNOWN}{}", self.path)
    }

    /// The document's absolute URL: what challenges name as
    /// `resource_metadata` ([`Gate::resource_metadata`](crate::adapter::Gate::resource_metadata)).
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.well_known_path())
    }

    /// The document, as served (`application/json`).
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether a request for `path` (without its query) asks for this
    /// document: exactly the [well-known path](Self::well_known_path).
    pub fn is_requested(&self, path: &str) -> bool {
        path.strip_prefix(WELL_KNOWN) == Some(self.path.as_str())
    }

    /// Whether `method` gets the document: `GET` and `HEAD` (without the
    /// body) do; any other method is answered 405 with [`ALLOW`](Self::ALLOW).
    pub fn is_served_to(method: &str) -> bool {
        matches!(method, "GET" | "HEAD")
    }

    /// The document's content type.
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// The `Cache-Control` it is served with: shared caches and clients may
    /// keep it an hour. It changes only with the deployment (resource,
    /// pool, scopes), and a client that meets a challenge it cannot meet
    /// fetches it again.
    pub const CACHE_CONTROL: &'static str = "public, max-age=3600";

    /// The `Allow` header of the 405 answered to other methods.
    pub const ALLOW: &'static str = "GET, HEAD";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Issuer, TokenUse};

    #[test]
    fn a_verifier_names_its_resource_and_each_issuer_once() {
        let builder = || {
            Verifier::builder(Issuer::cognito("eu-west-1_AbCdEf123"))
                .issuer(Issuer::url("https://login.example.com"))
                .client_ids(["client"])
                .token_use(TokenUse::Access)
        };
        let verifier = builder()
            .for_resource("https://mcp.example.com/mcp")
            .build()
            .unwrap();
        let metadata = ProtectedResourceMetadata::for_verifier(&verifier).unwrap();
        assert_eq!(metadata.resource, "https://mcp.example.com/mcp");
        assert_eq!(
            metadata.authorization_servers,
            [
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
                "https://login.example.com",
            ]
        );
        // No single resource: none, or several audiences.
        let none = builder().build().unwrap();
        let several = builder()
            .required_audience(["https://a.example.com", "https://b.example.com"])
            .build()
            .unwrap();
        for verifier in [none, several] {
            assert!(matches!(
                ProtectedResourceMetadata::for_verifier(&verifier),
                Err(BuildError::InvalidOption {
                    option: "resource",
                    ..
                })
            ));
        }
        // An audience that is no acceptable resource URL is refused too.
        let plain = builder().for_resource("orders-api").build().unwrap();
        assert!(matches!(
            ProtectedResourceMetadata::for_verifier(&plain),
            Err(BuildError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn each_scope_is_listed_once_in_first_seen_order() {
        let metadata = ProtectedResourceMetadata::new("https://api.example.com/mcp")
            .unwrap()
            .scopes_supported(["mcp/read", "mcp/write", "mcp/read"])
            .scopes_supported(["mcp/admin", "mcp/write"]);
        assert_eq!(
            metadata.scopes_supported,
            ["mcp/read", "mcp/write", "mcp/admin"]
        );
        let json: serde_json::Value = serde_json::from_str(&metadata.to_json()).unwrap();
        assert_eq!(
            json["scopes_supported"],
            serde_json::json!(["mcp/read", "mcp/write", "mcp/admin"])
        );
    }

    #[test]
    fn paths_and_refusals() {
        let root = ProtectedResourceMetadata::new("https://api.example.com").unwrap();
        assert_eq!(
            root.well_known_path(),
            "/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            root.url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
        let local = ProtectedResourceMetadata::new("http://127.0.0.1:3000/").unwrap();
        assert_eq!(
            local.url(),
            "http://127.0.0.1:3000/.well-known/oauth-protected-resource"
        );
        assert!(root.is_requested("/.well-known/oauth-protected-resource"));
        let at_path = ProtectedResourceMetadata::new("https://api.example.com/mcp/").unwrap();
        assert!(at_path.is_requested("/.well-known/oauth-protected-resource/mcp"));
        for other in [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/",
            "/.well-known/oauth-protected-resource/mcp/",
            "/.well-known/oauth-protected-resource/mcpx",
            "/mcp/.well-known/oauth-protected-resource",
            "",
        ] {
            assert!(!at_path.is_requested(other), "{other}");
        }
        for bad in [
            "http://api.example.com",
            "https://api.example.com/?a=1",
            "https://api.example.com/#x",
            "api.example.com",
        ] {
            assert!(ProtectedResourceMetadata::new(bad).is_err(), "{bad}");
        }
    }
}

//! RFC 9728 OAuth 2.0 Protected Resource Metadata: the document a resource
//! server publishes so that clients (MCP clients, for one) find the
//! authorization server, here the Cognito user pool, from a 401.

use serde::Serialize;

use crate::error::BuildError;
use crate::secure_url::is_secure;

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

    /// The scopes the resource's routes ask for.
    pub fn scopes_supported<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.scopes_supported
            .extend(scopes.into_iter().map(Into::into));
        self
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

    /// The document's content type.
    pub const CONTENT_TYPE: &'static str = "application/json";
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! The RFC 6750 answer to a rejected request, independent of any HTTP framework.
//!
//! Every adapter renders a [`Challenge`] the same way, so axum, tonic and
//! actix-web services answer the same request identically.

use crate::error::{Error, ErrorClass};

/// Status, `WWW-Authenticate`, `Retry-After` and JSON body for one rejection.
///
/// ```
/// use cognito_jwt::{Challenge, Error};
/// let c = Challenge::new(&Error::InvalidSignature, Some("orders"));
/// assert_eq!(c.status(), 401);
/// assert_eq!(
///     c.www_authenticate(),
///     Some(r#"Bearer realm="orders", error="invalid_token", error_description="the token signature is invalid""#)
/// );
/// assert_eq!(c.body(), r#"{"error":"invalid_token","error_description":"the token signature is invalid"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<u64>,
    body: String,
}

/// Quote a value for an auth-param (RFC 9110 quoted-string). Only printable
/// ASCII is kept, so the header is a valid value in every HTTP library: the
/// [`Gate`](crate::adapter::Gate) refuses any other realm at build time and
/// scope rules refuse any other scope, so in an adapter nothing is dropped.
fn quote(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

/// Whether `realm` can be named in a challenge as it is: printable ASCII
/// (`%x20-7E`), not empty.
pub(crate) fn is_realm(realm: &str) -> bool {
    !realm.is_empty() && realm.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn json_string(out: &mut String, value: &str) {
    // serde_json escapes correctly; a &str always serializes.
    out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned()));
}

impl Challenge {
    /// The answer to `error`, with an optional `realm` in the challenge.
    pub fn new(error: &Error, realm: Option<&str>) -> Challenge {
        Challenge::for_resource(error, realm, None)
    }

    /// [`Challenge::new`], also naming the resource's RFC 9728 Protected
    /// Resource Metadata document (`resource_metadata="…"`, §5.1), so that
    /// a client (an MCP client, for one) can discover the authorization
    /// server from a 401 or 403.
    ///
    /// ```
    /// use cognito_jwt::{Challenge, Error};
    /// let c = Challenge::for_resource(
    ///     &Error::MissingToken,
    ///     None,
    ///     Some("https://api.example.com/.well-known/oauth-protected-resource"),
    /// );
    /// assert_eq!(
    ///     c.www_authenticate(),
    ///     Some(r#"Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#)
    /// );
    /// ```
    pub fn for_resource(
        error: &Error,
        realm: Option<&str>,
        resource_metadata: Option<&str>,
    ) -> Challenge {
        let class = error.class();
        let description = error.client_description();
        let code = class.error_code();
        // A 503 or 500 is no challenge: the client's credentials are not at fault.
        let challenges = !matches!(class, ErrorClass::Unavailable | ErrorClass::Misconfigured);
        let www_authenticate = challenges.then(|| {
            let mut h = String::from("Bearer");
            let mut params: Vec<(&str, String)> = Vec::new();
            if let Some(realm) = realm {
                params.push(("realm", realm.to_owned()));
            }
            if let Some(url) = resource_metadata {
                params.push(("resource_metadata", url.to_owned()));
            }
            if let Some(code) = code {
                params.push(("error", code.to_owned()));
                params.push(("error_description", description.to_owned()));
            }
            if let Some(scopes) = error.required_scopes() {
                params.push(("scope", scopes.join(" ")));
            }
            for (i, (name, value)) in params.iter().enumerate() {
                h.push_str(if i == 0 { " " } else { ", " });
                h.push_str(name);
                h.push('=');
                quote(&mut h, value);
            }
            h
        });
        let body_code = code.unwrap_or(match class {
            ErrorClass::Unavailable => "temporarily_unavailable",
            ErrorClass::Misconfigured => "server_error",
            _ => "unauthorized",
        });
        let mut body = String::from("{\"error\":");
        json_string(&mut body, body_code);
        body.push_str(",\"error_description\":");
        json_string(&mut body, description);
        body.push('}');
        Challenge {
            status: class.status(),
            www_authenticate,
            retry_after: error.retry_after().map(|d| d.as_secs().max(1)),
            body,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `WWW-Authenticate` header value (absent on 503).
    pub fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }

    /// The `Retry-After` header value in seconds (only on 503).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The JSON body: `{"error": "…", "error_description": "…"}`.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body's content type.
    pub const CONTENT_TYPE: &'static str = "application/json";
}

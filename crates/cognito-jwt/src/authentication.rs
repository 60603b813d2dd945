//! Authenticating a request: find its token, and decide what can be decided
//! without I/O. The [`Gate`](crate::adapter::Gate) calls
//! [`Verifier::authenticate`] on every request and only awaits a
//! verification for [`Authentication::Verify`].

use crate::claims::Claims;
use crate::error::Error;
use crate::token_source::{HeaderSource, TokenSource};
use crate::verifier::Verifier;

/// What [`Verifier::authenticate`] made of a request's credentials.
#[derive(Debug)]
pub enum Authentication<'h> {
    /// The request carries no credentials.
    Anonymous,
    /// Answered without I/O: a token verified before (its time and signing key
    /// checked again now), or credentials refused as they stand (malformed,
    /// two at once, expired).
    Answered(Result<Claims, Error>),
    /// A well-formed token the verified-token cache cannot answer for: pass
    /// it to [`Verifier::verify`].
    Verify(&'h str),
}

impl Verifier {
    /// Find the request's token with `source`, and answer from the
    /// verified-token cache when it can.
    ///
    /// This is [`TokenSource::extract`] followed by
    /// [`Verifier::verify_cached`], in an order that is cheaper for the
    /// common request: the token this thread saw verified a moment ago is
    /// recognised, byte for byte, before its syntax is checked (a token that
    /// was verified has valid syntax). Only on a miss is the syntax checked,
    /// so every answer is the same as the two calls would give.
    ///
    /// ```
    /// use cognito_jwt::adapter::{Authentication, HeaderSource};
    /// use cognito_jwt::{Issuer, TokenSource, Verifier};
    /// use cognito_jwt_testkit::TestIssuer;
    ///
    /// struct Bearer(String);
    /// impl HeaderSource for Bearer {
    ///     fn each_value<'a>(&'a self, name: &str, f: &mut dyn FnMut(&'a [u8])) {
    ///         if name == "authorization" {
    ///             f(self.0.as_bytes());
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let issuer = TestIssuer::cognito();
    /// let verifier = Verifier::builder(
    ///     Issuer::cognito("us-east-1_TestPool1").static_jwks(issuer.jwks().to_string()),
    /// )
    /// .client_ids([issuer.client_id()])
    /// .any_token_use()
    /// .build()
    /// .unwrap();
    /// let source = TokenSource::default();
    /// let request = Bearer(format!("Bearer {}", issuer.access_token().build()));
    ///
    /// // First time: the token must be verified (which may fetch keys).
    /// let Authentication::Verify(token) = verifier.authenticate(&source, &request) else {
    ///     panic!("a new token is verified");
    /// };
    /// let claims = verifier.verify(token).await.unwrap();
    ///
    /// // Next time: answered at once from the verified-token cache.
    /// let Authentication::Answered(Ok(again)) = verifier.authenticate(&source, &request) else {
    ///     panic!("a verified token is cached");
    /// };
    /// assert_eq!(again.sub(), claims.sub());
    /// # }
    /// ```
    pub fn authenticate<'h>(
        &self,
        source: &TokenSource,
        headers: &'h dyn HeaderSource,
    ) -> Authentication<'h> {
        let credential = match source.find_credential(headers) {
            Ok(Some(credential)) => credential,
            Ok(None) => return Authentication::Anonymous,
            Err(e) => return Authentication::Answered(Err(e)),
        };
        if let Some(answer) = self.answer_from_near_tier(credential.bytes()) {
            return Authentication::Answered(answer);
        }
        let token = match credential.token() {
            Ok(token) => token,
            Err(e) => return Authentication::Answered(Err(e)),
        };
        match self.answer_from_shared_tier(token) {
            Some(answer) => Authentication::Answered(answer),
            None => Authentication::Verify(token),
        }
    }
}

//! The body of the middleware's responses: the inner service's own body type.
//!
//! [`CognitoAuthService`](crate::CognitoAuthService) and
//! [`RequireService`](crate::RequireService) answer with the body type of the
//! service they wrap, so a request they let through comes back exactly as the
//! inner service made it: nothing is wrapped, and axum does not box the body
//! a second time (`axum::body::Body::new` boxes any body that is not already a
//! `Body`: about 0.15 µs a request under load, as much as the verified-token
//! cache hit itself; see `BENCHMARKS.md`).
//!
//! To answer a refusal in that type, the body type implements
//! [`RejectionBody`]. It is implemented for the bodies tower stacks use:
//!
//! | body | where |
//! |---|---|
//! | `axum::body::Body` | axum (feature `axum`, on by default) |
//! | `tonic::body::Body` | tonic servers (feature `tonic`) |
//! | `http_body_util::Full<Bytes>` | `hyper`/`tower` services answering whole bodies |
//! | `http_body_util::combinators::BoxBody<Bytes, E>`, `UnsyncBoxBody<Bytes, E>` | boxed bodies, any error type |
//! | `String` | small services and tests |
//! | [`ResponseBody<B>`] | anything else, by wrapping the inner body |
//!
//! For any other body `B`, map the inner service's responses into
//! [`ResponseBody::inner`] first (for example with tower's
//! `ServiceBuilder::map_response(|r: http::Response<B>| r.map(ResponseBody::inner))`
//! below the layer); the layer then answers `ResponseBody<B>`.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use cognito_jwt::{Issuer, Verifier};
//! use cognito_jwt_tower::CognitoAuth;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
//!     .client_ids(["1example23456789"])
//!     .any_token_use()
//!     .build()?;
//!
//! // A plain tower service answering `String` bodies: so does the layer.
//! let service = ServiceBuilder::new()
//!     .layer(CognitoAuth::new(verifier))
//!     .service(service_fn(|_: http::Request<String>| async {
//!         Ok::<_, Infallible>(http::Response::new(String::from("hello")))
//!     }));
//!
//! let response: http::Response<String> = service
//!     .oneshot(http::Request::new(String::new()))
//!     .await?;
//! assert_eq!(response.status(), 401);
//! assert!(response.body().contains("\"error\""));
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{BodyExt, Full};
use pin_project_lite::pin_project;

/// A response body type this crate's services can write a refusal into (see
/// the [module docs](self) for the implementations and what to do with
/// another body type).
#[diagnostic::on_unimplemented(
    message = "cognito-jwt-tower cannot write a refusal into a `{Self}` response body",
    note = "for tonic services enable the `tonic` feature of cognito-jwt-tower",
    note = "for another body type, map the inner service's responses with `cognito_jwt_tower::body::ResponseBody::inner` (see the `body` module docs)"
)]
pub trait RejectionBody: Sized {
    /// A body holding `bytes`: a refusal's JSON, or nothing (a gRPC
    /// refusal is trailers-only).
    fn from_rejection(bytes: Bytes) -> Self;
}

#[cfg(feature = "axum")]
impl RejectionBody for axum::body::Body {
    fn from_rejection(bytes: Bytes) -> Self {
        axum::body::Body::from(bytes)
    }
}

#[cfg(feature = "tonic")]
impl RejectionBody for tonic::body::Body {
    fn from_rejection(bytes: Bytes) -> Self {
        tonic::body::Body::new(Full::new(bytes))
    }
}

impl RejectionBody for Full<Bytes> {
    fn from_rejection(bytes: Bytes) -> Self {
        Full::new(bytes)
    }
}

/// The error of a body that cannot fail, as any error type.
fn never<E>(never: Infallible) -> E {
    match never {}
}

impl<E: 'static> RejectionBody for BoxBody<Bytes, E> {
    fn from_rejection(bytes: Bytes) -> Self {
        Full::new(bytes).map_err(never).boxed()
    }
}

impl<E: 'static> RejectionBody for UnsyncBoxBody<Bytes, E> {
    fn from_rejection(bytes: Bytes) -> Self {
        Full::new(bytes).map_err(never).boxed_unsync()
    }
}

impl RejectionBody for String {
    fn from_rejection(bytes: Bytes) -> Self {
        // Refusal bodies are JSON, so UTF-8; a custom renderer's bytes might
        // not be, and are then written lossily rather than dropped.
        String::from_utf8(bytes.into())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

impl<B> RejectionBody for ResponseBody<B> {
    fn from_rejection(bytes: Bytes) -> Self {
        ResponseBody::full(bytes)
    }
}

/// A refused future's answer in the inner service's body type: its rendered
/// refusal, taken once; polled again after that, 500 rather than a panic.
pub(crate) fn refusal<B: RejectionBody>(response: Option<Response<Bytes>>) -> Response<B> {
    response
        .unwrap_or_else(|| {
            let mut r = Response::new(Bytes::new());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
        .map(B::from_rejection)
}

pin_project! {
    /// A body that is either an inner service's body or the bytes of a
    /// refusal: the [`RejectionBody`] for body types that cannot hold bytes
    /// themselves.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use cognito_jwt_tower::body::ResponseBody;
    /// use http_body::Body as _;
    ///
    /// let refusal = ResponseBody::<http_body_util::Empty<Bytes>>::full(Bytes::from_static(b"{}"));
    /// assert_eq!(refusal.size_hint().exact(), Some(2));
    /// let passed = ResponseBody::inner(http_body_util::Empty::<Bytes>::new());
    /// assert!(passed.is_end_stream());
    /// ```
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    /// Wrap the inner service's body.
    pub fn inner(body: B) -> Self {
        ResponseBody {
            kind: Kind::Inner { body },
        }
    }

    /// A complete body of these bytes.
    pub fn full(data: Bytes) -> Self {
        ResponseBody {
            kind: Kind::Full {
                data: (!data.is_empty()).then_some(data),
            },
        }
    }
}

impl<B> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("ResponseBody::Inner"),
            Kind::Full { data } => f
                .debug_struct("ResponseBody::Full")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data } => SizeHint::with_exact(data.as_ref().map_or(0, Bytes::len) as u64),
        }
    }
}

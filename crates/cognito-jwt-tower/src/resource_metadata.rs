//! Serving a resource's RFC 9728 Protected Resource Metadata document:
//! [`ResourceMetadata`], a layer that answers on the document's well-known
//! path ahead of the inner service, and [`CognitoAuth::publish`], which
//! also makes every challenge name it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use cognito_jwt::{BuildError, ProtectedResourceMetadata};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::CognitoAuth;
use crate::body::RejectionBody;

/// The document, serialized once, and where it is served.
#[derive(Debug)]
struct Served {
    metadata: ProtectedResourceMetadata,
    json: Bytes,
}

impl Served {
    /// The answer to `method` on the document's path: the core decides
    /// which methods get it, and with which headers.
    fn answer(&self, method: &Method) -> Response<Bytes> {
        if !ProtectedResourceMetadata::is_served_to(method.as_str()) {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static(ProtectedResourceMetadata::ALLOW),
            );
            return response;
        }
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            self.json.clone()
        };
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(ProtectedResourceMetadata::CONTENT_TYPE),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(ProtectedResourceMetadata::CACHE_CONTROL),
        );
        response
    }
}

/// A [`tower`](https://docs.rs/tower) layer that serves a resource's RFC
/// 9728 Protected Resource Metadata document on its well-known path
/// ([`ProtectedResourceMetadata::well_known_path`]:
/// `/.well-known/oauth-protected-resource`, followed by the resource's own
/// path when it has one), and passes every other request to the inner
/// service.
///
/// `GET` gets the document (`application/json`, `Cache-Control: public,
/// max-age=3600`), `HEAD` the same headers without the body, any other
/// method 405 with `Allow: GET, HEAD`. No token is asked for: put this
/// layer outside [`CognitoAuth`] (in axum, `.layer(metadata)` after
/// `.layer(auth)`, or on the router while `CognitoAuth` wraps the
/// protected routes). [`CognitoAuth::publish`] makes both at once.
///
/// The well-known path is at the root of the resource's origin (RFC 9728
/// §3.1), even for a resource at a path (`https://api.example.com/v1/mcp`
/// publishes at `/.well-known/oauth-protected-resource/v1/mcp`), and the
/// layer matches the path it is given. So it belongs on the outermost
/// router, which sees every request's whole path: a router nested with
/// axum's `Router::nest("/v1", …)` sees paths with `/v1` removed and never
/// gets the request for the document. (actix-web's `ResourceMetadata`,
/// likewise, goes on the `App`, not inside a `web::scope`.)
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
/// use cognito_jwt_tower::{CognitoAuth, ResourceMetadata};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
///     .client_ids(["1example23456789"])
///     .token_use(TokenUse::Access)
///     .for_resource("https://api.example.com/mcp")
///     .build()?;
/// let document = ProtectedResourceMetadata::for_verifier(&verifier)?.scopes_supported(["mcp/read"]);
/// let app = Router::new()
///     .route("/mcp", get(|| async { "tools" }))
///     .layer(CognitoAuth::new(verifier))
///     .layer(ResourceMetadata::new(document));
///
/// let request = http::Request::get("/.well-known/oauth-protected-resource/mcp")
///     .body(axum::body::Body::empty())?;
/// let response = app.clone().oneshot(request).await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// let body = axum::body::to_bytes(response.into_body(), 4096).await?;
/// let json: serde_json::Value = serde_json::from_slice(&body)?;
/// assert_eq!(json["resource"], "https://api.example.com/mcp");
/// assert_eq!(json["scopes_supported"], serde_json::json!(["mcp/read"]));
///
/// let request = http::Request::post("/.well-known/oauth-protected-resource/mcp")
///     .body(axum::body::Body::empty())?;
/// assert_eq!(app.clone().oneshot(request).await?.status(), 405);
///
/// // Everything else is the inner service's, behind CognitoAuth.
/// let request = http::Request::get("/mcp").body(axum::body::Body::empty())?;
/// assert_eq!(app.oneshot(request).await?.status(), 401);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ResourceMetadata {
    served: Arc<Served>,
}

impl ResourceMetadata {
    /// Serve `metadata`, serialized once here.
    pub fn new(metadata: ProtectedResourceMetadata) -> Self {
        let json = Bytes::from(metadata.to_json());
        ResourceMetadata {
            served: Arc::new(Served { metadata, json }),
        }
    }

    /// The document served.
    pub fn metadata(&self) -> &ProtectedResourceMetadata {
        &self.served.metadata
    }
}

impl CognitoAuth {
    /// Publish this resource's RFC 9728 document: the returned middleware
    /// names its URL ([`ProtectedResourceMetadata::url`]) in every 401 and
    /// 403 challenge (`resource_metadata="…"`, RFC 9728 §5.1), and the
    /// returned [`ResourceMetadata`] layer serves it. What an MCP server
    /// needs, in one call:
    ///
    /// ```
    /// use axum::{Router, routing::post};
    /// use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
    /// use cognito_jwt_tower::CognitoAuth;
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
    ///     .client_ids(["1example23456789"])
    ///     .token_use(TokenUse::Access)
    ///     .for_resource("https://mcp.example.com/mcp")
    ///     .build()?;
    /// let document = ProtectedResourceMetadata::for_verifier(&verifier)?;
    /// let (auth, metadata) = CognitoAuth::new(verifier).publish(document)?;
    /// let app = Router::new()
    ///     .route("/mcp", post(|| async { "{}" }))
    ///     .layer(auth)
    ///     .layer(metadata);
    ///
    /// let request = http::Request::post("/mcp").body(axum::body::Body::empty())?;
    /// let response = app.oneshot(request).await?;
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(
    ///     response.headers()["www-authenticate"],
    ///     r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp""#
    /// );
    /// # Ok(()) }
    /// ```
    pub fn publish(
        self,
        metadata: ProtectedResourceMetadata,
    ) -> Result<(CognitoAuth, ResourceMetadata), BuildError> {
        let auth = self.resource_metadata(metadata.url())?;
        Ok((auth, ResourceMetadata::new(metadata)))
    }
}

impl<S> Layer<S> for ResourceMetadata {
    type Service = ResourceMetadataService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ResourceMetadataService {
            inner,
            served: Arc::clone(&self.served),
        }
    }
}

/// The service made by [`ResourceMetadata`].
#[derive(Clone)]
pub struct ResourceMetadataService<S> {
    inner: S,
    served: Arc<Served>,
}

impl<S: fmt::Debug> fmt::Debug for ResourceMetadataService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceMetadataService")
            .field("inner", &self.inner)
            .field("path", &self.served.metadata.well_known_path())
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ResourceMetadataService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResourceMetadataFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if self.served.metadata.is_requested(request.uri().path()) {
            let answer = self.served.answer(request.method());
            ResourceMetadataFuture {
                state: State::Answered {
                    response: Some(answer.map(ResBody::from_rejection)),
                },
            }
        } else {
            ResourceMetadataFuture {
                state: State::Inner {
                    future: self.inner.call(request),
                },
            }
        }
    }
}

pin_project! {
    /// The future of [`ResourceMetadataService`]: the document's answer,
    /// or the inner service's.
    pub struct ResourceMetadataFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = Projected]
    enum State<F, B> {
        // The document (or 405), ready.
        Answered { response: Option<Response<B>> },
        // The inner service's answer.
        Inner { #[pin] future: F },
    }
}

impl<F, B> fmt::Debug for ResourceMetadataFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.state {
            State::Answered { .. } => "ResourceMetadataFuture::Answered",
            State::Inner { .. } => "ResourceMetadataFuture::Inner",
        })
    }
}

impl<F, B, E> Future for ResourceMetadataFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: RejectionBody,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            Projected::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled again after completion: a caller's bug, answered
                // with an empty 500 rather than a panic.
                None => {
                    let mut r = Response::new(B::from_rejection(Bytes::new()));
                    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    Poll::Ready(Ok(r))
                }
            },
            Projected::Inner { future } => future.poll(cx),
        }
    }
}

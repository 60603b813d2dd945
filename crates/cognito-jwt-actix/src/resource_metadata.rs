//! Serving a resource's RFC 9728 Protected Resource Metadata document:
//! [`ResourceMetadata`], a service for `App::service` on the document's
//! well-known path, and [`CognitoAuth::publish`], which also makes every
//! challenge name it.

use std::sync::Arc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::guard;
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use cognito_jwt::{BuildError, ProtectedResourceMetadata};

use crate::CognitoAuth;

/// The document, serialized once, and where it is served.
#[derive(Debug)]
struct Served {
    metadata: ProtectedResourceMetadata,
    json: Bytes,
}

impl Served {
    /// The answer to `method` on the document's path: the core decides
    /// which methods get it, and with which headers.
    fn answer(&self, method: &Method) -> HttpResponse {
        if !ProtectedResourceMetadata::is_served_to(method.as_str()) {
            return HttpResponse::MethodNotAllowed()
                .insert_header((ALLOW, ProtectedResourceMetadata::ALLOW))
                .finish();
        }
        let mut response = HttpResponse::Ok();
        response
            .insert_header((CONTENT_TYPE, ProtectedResourceMetadata::CONTENT_TYPE))
            .insert_header((CACHE_CONTROL, ProtectedResourceMetadata::CACHE_CONTROL));
        if method == Method::HEAD {
            response.finish()
        } else {
            response.body(self.json.clone())
        }
    }
}

/// An actix-web service, for [`App::service`](actix_web::App::service),
/// that serves a resource's RFC 9728 Protected Resource Metadata document
/// on its well-known path ([`ProtectedResourceMetadata::well_known_path`]:
/// `/.well-known/oauth-protected-resource`, followed by the resource's own
/// path when it has one).
///
/// `GET` gets the document (`application/json`, `Cache-Control: public,
/// max-age=3600`), `HEAD` the same headers without the body, any other
/// method 405 with `Allow: GET, HEAD`. No token is asked for: register it
/// outside [`CognitoAuth`], which then wraps the protected routes or
/// scopes rather than the whole `App` (an `App`-wide `wrap` covers this
/// service too). [`CognitoAuth::publish`] makes both at once.
///
/// ```
/// use actix_web::{App, HttpResponse, test, web};
/// use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
/// use cognito_jwt_actix::{CognitoAuth, ResourceMetadata};
///
/// # #[actix_web::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
///     .client_ids(["1example23456789"])
///     .token_use(TokenUse::Access)
///     .for_resource("https://api.example.com/mcp")
///     .build()?;
/// let document = ProtectedResourceMetadata::for_verifier(&verifier)?.scopes_supported(["mcp/read"]);
/// let app = test::init_service(
///     App::new()
///         .service(ResourceMetadata::new(document))
///         .service(web::scope("/mcp").wrap(CognitoAuth::new(verifier)).route("", web::get().to(HttpResponse::Ok))),
/// )
/// .await;
///
/// let request = test::TestRequest::get().uri("/.well-known/oauth-protected-resource/mcp");
/// let response = test::call_service(&app, request.to_request()).await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers().get("content-type").unwrap(), "application/json");
/// let json: serde_json::Value = test::read_body_json(response).await;
/// assert_eq!(json["resource"], "https://api.example.com/mcp");
/// assert_eq!(json["scopes_supported"], serde_json::json!(["mcp/read"]));
///
/// let request = test::TestRequest::post().uri("/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(test::call_service(&app, request.to_request()).await.status(), 405);
///
/// // Everything else is the routes', behind CognitoAuth.
/// let request = test::TestRequest::get().uri("/mcp");
/// assert_eq!(test::call_service(&app, request.to_request()).await.status(), 401);
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

impl HttpServiceFactory for ResourceMetadata {
    fn register(self, config: &mut AppService) {
        let served = self.served;
        let asked = Arc::clone(&served);
        // The core decides which paths ask for the document, on the raw
        // request path, as the tower adapter does: actix's router matches a
        // path it has re-quoted (`%6Dcp` read as `mcp`), so the resource
        // matches every path and the guard alone decides; any other path
        // falls through to the app's other services.
        let resource = web::resource(ANY_PATH)
            .guard(guard::fn_guard(move |context| {
                asked.metadata.is_requested(context.head().uri.path())
            }))
            // Every method reaches the one handler, which answers 405
            // itself for those the core does not serve.
            .default_service(web::to(move |request: HttpRequest| {
                let answer = served.answer(request.method());
                async move { answer }
            }));
        HttpServiceFactory::register(resource, config);
    }
}

/// The pattern the document's resource is registered on: any path, for the
/// guard to decide.
const ANY_PATH: &str = "/{path:.*}";

impl CognitoAuth {
    /// Publish this resource's RFC 9728 document: the returned middleware
    /// names its URL ([`ProtectedResourceMetadata::url`]) in every 401 and
    /// 403 challenge (`resource_metadata="…"`, RFC 9728 §5.1), and the
    /// returned [`ResourceMetadata`] serves it. What an MCP server needs,
    /// in one call:
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, test, web};
    /// use cognito_jwt::{Issuer, ProtectedResourceMetadata, TokenUse, Verifier};
    /// use cognito_jwt_actix::CognitoAuth;
    ///
    /// # #[actix_web::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = Verifier::builder(Issuer::cognito("us-east-1_AbCdEf123"))
    ///     .client_ids(["1example23456789"])
    ///     .token_use(TokenUse::Access)
    ///     .for_resource("https://mcp.example.com/mcp")
    ///     .build()?;
    /// let document = ProtectedResourceMetadata::for_verifier(&verifier)?;
    /// let (auth, metadata) = CognitoAuth::new(verifier).publish(document)?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(metadata)
    ///         .service(web::resource("/mcp").wrap(auth).route(web::post().to(HttpResponse::Ok))),
    /// )
    /// .await;
    ///
    /// let response = test::call_service(&app, test::TestRequest::post().uri("/mcp").to_request()).await;
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(
    ///     response.headers().get("www-authenticate").unwrap(),
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

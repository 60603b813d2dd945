//! A small gRPC service (`orders.Orders`) behind `cognito-jwt-tower`'s
//! [`CognitoAuth`], without protoc: the prost messages and the tonic
//! server/client glue are written by hand.
//!
//! - `orders.Orders/WhoAmI`: any access token.
//! - `orders.Orders/ListOrders`: an access token with scope `orders/read`
//!   (a [`Require`] on that method).
//!
//! Refusals arrive at tonic clients as proper statuses (`Unauthenticated`,
//! `PermissionDenied`, `InvalidArgument`, `Unavailable`): the middleware is
//! built with [`CognitoAuth::grpc`].
//!
//! `cognito-jwt-tower` is used with its `tonic` feature, which lets the
//! layers answer in tonic's own response body type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use cognito_jwt::{BuildError, Claims, Verifier};
use cognito_jwt_tower::{CognitoAuth, Require};
use http::uri::PathAndQuery;
use tonic::body::Body;
use tonic::metadata::MetadataValue;
use tonic::server::NamedService;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::{Layer, Service, ServiceExt, service_fn};

/// The protobuf messages of `orders.proto`, hand-written.
///
/// ```proto
/// package orders;
/// service Orders {
///   rpc WhoAmI(WhoAmIRequest) returns (WhoAmIReply);
///   rpc ListOrders(ListOrdersRequest) returns (ListOrdersReply);
/// }
/// ```
pub mod proto {
    /// `message WhoAmIRequest {}`
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WhoAmIRequest {}

    /// `message WhoAmIReply { string sub = 1; string username = 2; repeated string scopes = 3; }`
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WhoAmIReply {
        /// The token's subject.
        #[prost(string, tag = "1")]
        pub sub: String,
        /// The user name (empty for machine tokens).
        #[prost(string, tag = "2")]
        pub username: String,
        /// The token's scopes.
        #[prost(string, repeated, tag = "3")]
        pub scopes: Vec<String>,
    }

    /// `message ListOrdersRequest {}`
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListOrdersRequest {}

    /// `message Order { string id = 1; string item = 2; uint32 quantity = 3; }`
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Order {
        /// Order id.
        #[prost(string, tag = "1")]
        pub id: String,
        /// What was ordered.
        #[prost(string, tag = "2")]
        pub item: String,
        /// How many.
        #[prost(uint32, tag = "3")]
        pub quantity: u32,
    }

    /// `message ListOrdersReply { repeated Order orders = 1; string requested_by = 2; }`
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListOrdersReply {
        /// The orders.
        #[prost(message, repeated, tag = "1")]
        pub orders: Vec<Order>,
        /// Who asked (`sub`).
        #[prost(string, tag = "2")]
        pub requested_by: String,
    }
}

use proto::{ListOrdersReply, ListOrdersRequest, Order, WhoAmIReply, WhoAmIRequest};

const WHO_AM_I: &str = "/orders.Orders/WhoAmI";
const LIST_ORDERS: &str = "/orders.Orders/ListOrders";

/// The verified claims the [`CognitoAuth`] put into the request.
fn claims<T>(request: &Request<T>) -> Result<Claims, Status> {
    request
        .extensions()
        .get::<Claims>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("authentication required"))
}

async fn who_am_i(request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIReply>, Status> {
    let claims = claims(&request)?;
    Ok(Response::new(WhoAmIReply {
        sub: claims.sub().to_owned(),
        username: claims.username().unwrap_or_default().to_owned(),
        scopes: claims.scopes().map(str::to_owned).collect(),
    }))
}

async fn list_orders(
    request: Request<ListOrdersRequest>,
) -> Result<Response<ListOrdersReply>, Status> {
    let claims = claims(&request)?;
    Ok(Response::new(ListOrdersReply {
        orders: vec![
            Order {
                id: "1001".into(),
                item: "coffee beans".into(),
                quantity: 2,
            },
            Order {
                id: "1002".into(),
                item: "filter papers".into(),
                quantity: 1,
            },
        ],
        requested_by: claims.sub().to_owned(),
    }))
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The `orders.Orders` service: what `tonic-build` would generate, by hand.
#[derive(Clone, Debug)]
pub struct OrdersServer {
    /// `ListOrders`'s rule: the same `Require` as for an axum route.
    list_orders: Require,
}

impl OrdersServer {
    /// The service.
    pub fn new() -> Result<Self, BuildError> {
        Ok(OrdersServer {
            list_orders: Require::new(demo_support::rules::orders_read()?),
        })
    }
}

impl NamedService for OrdersServer {
    const NAME: &'static str = "orders.Orders";
}

impl Service<http::Request<Body>> for OrdersServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match request.uri().path() {
            WHO_AM_I => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                Ok(grpc.unary(service_fn(who_am_i), request).await)
            }),
            LIST_ORDERS => {
                // A per-method rule: the same Require as for an axum route.
                let method =
                    self.list_orders
                        .layer(service_fn(|request: http::Request<Body>| async move {
                            let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                            Ok::<_, Infallible>(grpc.unary(service_fn(list_orders), request).await)
                        }));
                Box::pin(async move {
                    let response = method.oneshot(request).await?;
                    Ok(response.map(Body::new))
                })
            }
            _ => Box::pin(async move { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// Serve `orders.Orders` on `listener`, every call verified by `verifier`
/// (access tokens only).
pub async fn serve(
    listener: tokio::net::TcpListener,
    verifier: Verifier,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tonic::transport::Server::builder()
        .layer(
            CognitoAuth::new(verifier)
                .require(demo_support::rules::me())
                .grpc(),
        )
        .add_service(OrdersServer::new()?)
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
        .await?;
    Ok(())
}

/// A client for `orders.Orders`, sending a bearer token with every call.
#[derive(Clone, Debug)]
pub struct OrdersClient {
    grpc: tonic::client::Grpc<tonic::transport::Channel>,
    token: Option<String>,
}

impl OrdersClient {
    /// Connect to `http://addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Self, tonic::transport::Error> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        Ok(OrdersClient {
            grpc: tonic::client::Grpc::new(channel),
            token: None,
        })
    }

    /// Send `Authorization: Bearer <token>` from now on.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// A request carrying the bearer token, if any.
    fn request<T>(&self, message: T) -> Result<Request<T>, Status> {
        let mut request = Request::new(message);
        if let Some(token) = &self.token {
            let value: MetadataValue<_> = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::invalid_argument("token is not a valid header value"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }

    async fn unary<M1, M2>(&mut self, message: M1, path: &'static str) -> Result<M2, Status>
    where
        M1: prost::Message + Send + Sync + 'static,
        M2: prost::Message + Default + Send + Sync + 'static,
    {
        let request = self.request(message)?;
        self.grpc
            .ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let response = self
            .grpc
            .unary(
                request,
                PathAndQuery::from_static(path),
                ProstCodec::<M1, M2>::default(),
            )
            .await?;
        Ok(response.into_inner())
    }

    /// `orders.Orders/WhoAmI`.
    pub async fn who_am_i(&mut self) -> Result<WhoAmIReply, Status> {
        self.unary(WhoAmIRequest {}, WHO_AM_I).await
    }

    /// `orders.Orders/ListOrders`.
    pub async fn list_orders(&mut self) -> Result<ListOrdersReply, Status> {
        self.unary(ListOrdersRequest {}, LIST_ORDERS).await
    }
}

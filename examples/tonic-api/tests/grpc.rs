//! A tonic client against the service behind CognitoAuth: refusals arrive
//! as proper gRPC statuses.

use std::net::SocketAddr;

use cognito_jwt::Verifier;
use cognito_jwt_testkit::{DEFAULT_POOL_ID, JwksServer, TestIssuer};
use tonic::Code;
use tonic_api::OrdersClient;

struct Fixture {
    issuer: TestIssuer,
    _jwks: JwksServer,
    addr: SocketAddr,
}

async fn start() -> Fixture {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let verifier =
        Verifier::builder(cognito_jwt::Issuer::cognito(DEFAULT_POOL_ID).jwks_url(jwks.url()))
            .client_ids([issuer.client_id()])
            .any_token_use()
            .build()
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tonic_api::serve(listener, verifier));
    Fixture {
        issuer,
        _jwks: jwks,
        addr,
    }
}

async fn client(f: &Fixture, token: Option<String>) -> OrdersClient {
    let c = OrdersClient::connect(f.addr).await.unwrap();
    match token {
        Some(t) => c.with_token(t),
        None => c,
    }
}

#[tokio::test]
async fn statuses_reach_the_tonic_client() {
    let f = start().await;

    // No token: Unauthenticated.
    let status = client(&f, None).await.who_am_i().await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "authentication required");

    // Expired, bad signature, ID token: Unauthenticated with the reason.
    for (token, message) in [
        (
            f.issuer.access_token().expires_in(-60).build(),
            "the token has expired",
        ),
        (
            f.issuer.access_token().tamper_payload().build(),
            "the token signature is invalid",
        ),
        (
            f.issuer.id_token().build(),
            "the token is not of the kind this resource accepts",
        ),
    ] {
        let status = client(&f, Some(token)).await.who_am_i().await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), message);
    }

    // Valid token without orders/read: WhoAmI works, ListOrders is PermissionDenied.
    let token = f.issuer.access_token().scopes(&["openid"]).build();
    let mut c = client(&f, Some(token)).await;
    let me = c.who_am_i().await.unwrap();
    assert_eq!(me.sub, f.issuer.user_sub());
    assert_eq!(me.scopes, ["openid"]);
    let status = c.list_orders().await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "the token lacks the required scope");

    // With the scope: the call goes through.
    let token = f.issuer.access_token().scopes(&["orders/read"]).build();
    let orders = client(&f, Some(token)).await.list_orders().await.unwrap();
    assert_eq!(orders.orders.len(), 2);
    assert_eq!(orders.requested_by, f.issuer.user_sub());
}

#[tokio::test]
async fn malformed_credentials_are_invalid_argument() {
    let f = start().await;
    let status = client(&f, Some("a b".into()))
        .await
        .who_am_i()
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "malformed Authorization header");
}

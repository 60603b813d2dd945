//! The local issuer's OAuth 2.0 grants, driven by the `oauth2` crate as a
//! user's own client code drives Cognito, and each flow's tokens through a
//! `cognito_jwt::Verifier`, the axum adapter (`cognito-jwt-tower`) and the
//! actix-web adapter (`cognito-jwt-actix`). The error answers are tables
//! naming the OAuth `error` each request gets.

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::{App as ActixApp, HttpResponse, test as actix_test, web};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_jwt::{Issuer, TokenUse, Verifier};
use cognito_jwt_testkit::{
    AppClient, DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_MACHINE_CLIENT_ID, DEFAULT_POOL_ID, DEFAULT_REFRESH_TOKEN_VALIDITY, Grant, LocalIssuer,
    MAX_CODE_LIFETIME, MAX_REFRESH_TOKEN_VALIDITY, OAuthConfig, ResourceServer, TestUser,
};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower::ServiceExt as _;

// ----- an oauth2 client on the workspace's reqwest -------------------------

/// Cognito's token answer also carries `id_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}
impl oauth2::ExtraTokenFields for IdTokenField {}

type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
type CognitoClient = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// oauth2's HTTP calls, through reqwest 0.13 (oauth2's own `reqwest`
/// feature is for reqwest 0.12).
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let response = no_redirects()
        .execute(reqwest::Request::try_from(request)?)
        .await?;
    let mut out = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        out = out.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(out.body(body).unwrap())
}

fn client(local: &LocalIssuer, id: &str, secret: Option<&str>) -> CognitoClient {
    let c = oauth2::Client::new(ClientId::new(id.to_owned()))
        .set_auth_uri(AuthUrl::new(local.authorize_url().unwrap()).unwrap())
        .set_token_uri(TokenUrl::new(local.token_url().unwrap()).unwrap())
        .set_redirect_uri(RedirectUrl::new(DEFAULT_CALLBACK_URL.to_owned()).unwrap());
    match secret {
        Some(s) => c.set_client_secret(ClientSecret::new(s.to_owned())),
        None => c,
    }
}

fn machine(local: &LocalIssuer) -> CognitoClient {
    client(
        local,
        DEFAULT_MACHINE_CLIENT_ID,
        Some(DEFAULT_CLIENT_SECRET),
    )
}

fn spa(local: &LocalIssuer) -> CognitoClient {
    client(local, DEFAULT_CLIENT_ID, None)
}

/// `/oauth2/authorize` as a browser follows it: the `Location` answer.
async fn sign_in(url: &str) -> reqwest::Response {
    no_redirects().get(url).send().await.unwrap()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The code grant with PKCE, through the oauth2 crate: authorize, follow
/// the redirect's code, exchange it. Returns the token answer.
async fn code_grant(local: &LocalIssuer, scopes: &[&str], extra: &[(&str, &str)]) -> Tokens {
    let client = spa(local);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        request = request.add_scope(Scope::new((*s).to_owned()));
    }
    for (k, v) in extra {
        request = request.add_extra_param(*k, *v);
    }
    let (url, state) = request.url();
    let answer = sign_in(url.as_str()).await;
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(DEFAULT_CALLBACK_URL), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = query_param(&location, "code").expect("a code");
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&send)
        .await
        .unwrap()
}

fn claims(token: &str) -> serde_json::Map<String, Value> {
    let payload = token.split('.').nth(1).unwrap();
    match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap() {
        Value::Object(map) => map,
        other => panic!("payload is not an object: {other}"),
    }
}

fn names(token: &str) -> BTreeSet<String> {
    claims(token).keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Cognito's access token of `client_credentials` ("Understanding the
/// access token": no `username`, no groups, `sub` is the client id).
const MACHINE_ACCESS_CLAIMS: [&str; 10] = [
    "sub",
    "token_use",
    "scope",
    "auth_time",
    "iss",
    "exp",
    "iat",
    "version",
    "jti",
    "client_id",
];
/// Cognito's access token of the code grant.
const USER_ACCESS_CLAIMS: [&str; 14] = [
    "sub",
    "cognito:groups",
    "iss",
    "version",
    "client_id",
    "origin_jti",
    "event_id",
    "token_use",
    "scope",
    "auth_time",
    "exp",
    "iat",
    "jti",
    "username",
];
/// Cognito's ID token for a user with `email` and `email_verified`.
const ID_CLAIMS: [&str; 15] = [
    "at_hash",
    "sub",
    "cognito:groups",
    "email_verified",
    "iss",
    "cognito:username",
    "origin_jti",
    "aud",
    "event_id",
    "token_use",
    "auth_time",
    "exp",
    "iat",
    "jti",
    "email",
];

fn verifier(local: &LocalIssuer) -> Verifier {
    Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(local.jwks_url()))
        .client_ids(local.client_ids())
        .any_token_use()
        .build()
        .unwrap()
}

// ----- the adapters ---------------------------------------------------------

fn axum_app(verifier: Verifier) -> Router {
    use cognito_jwt_tower::{CognitoAuth, Require};
    let ok = || async { "ok" };
    Router::new()
        .route(
            "/orders",
            get(ok).route_layer(Require::access_token().any_scope(["orders/read"]).unwrap()),
        )
        .route(
            "/orders/write",
            get(ok).route_layer(Require::access_token().any_scope(["orders/write"]).unwrap()),
        )
        .route(
            "/admin",
            get(ok).route_layer(Require::access_token().any_group(["admin"]).unwrap()),
        )
        .route("/profile", get(ok).route_layer(Require::id_token()))
        .layer(CognitoAuth::new(verifier))
}

async fn axum_status(app: &Router, path: &str, token: &str) -> u16 {
    let request = http::Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.clone()
        .oneshot(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `(path, token, status)` through both adapters, which must agree.
async fn through_adapters(verifier: &Verifier, rows: &[(&str, &str, u16)]) {
    use cognito_jwt_actix::{CognitoAuth, Require};
    let axum = axum_app(verifier.clone());
    let actix = actix_test::init_service(
        ActixApp::new()
            .wrap(CognitoAuth::new(verifier.clone()))
            .service(
                web::resource("/orders")
                    .wrap(Require::access_token().any_scope(["orders/read"]).unwrap())
                    .to(HttpResponse::Ok),
            )
            .service(
                web::resource("/orders/write")
                    .wrap(Require::access_token().any_scope(["orders/write"]).unwrap())
                    .to(HttpResponse::Ok),
            )
            .service(
                web::resource("/admin")
                    .wrap(Require::access_token().any_group(["admin"]).unwrap())
                    .to(HttpResponse::Ok),
            )
            .service(
                web::resource("/profile")
                    .wrap(Require::id_token())
                    .to(HttpResponse::Ok),
            ),
    )
    .await;
    for (path, token, status) in rows {
        assert_eq!(
            axum_status(&axum, path, token).await,
            *status,
            "axum {path}"
        );
        let request = actix_test::TestRequest::get()
            .uri(path)
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request();
        let answer = actix_test::call_service(&actix, request).await;
        assert_eq!(answer.status().as_u16(), *status, "actix {path}");
    }
}

// ----- the grants -------------------------------------------------------------

#[actix_web::test]
async fn client_credentials_with_basic_and_with_the_form() {
    let local = LocalIssuer::builder().start().unwrap();
    let verifier = verifier(&local);
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let answer = machine(&local)
            .set_auth_type(auth.clone())
            .exchange_client_credentials()
            .add_scope(Scope::new("orders/read".into()))
            .request_async(&send)
            .await
            .unwrap();
        assert!(answer.refresh_token().is_none(), "{auth:?}");
        assert!(answer.extra_fields().id_token.is_none(), "{auth:?}");
        assert_eq!(answer.token_type(), &BasicTokenType::Bearer);
        let token = answer.access_token().secret();
        assert_eq!(names(token), set(&MACHINE_ACCESS_CLAIMS), "{auth:?}");
        let c = claims(token);
        assert_eq!(c["sub"], DEFAULT_MACHINE_CLIENT_ID);
        assert_eq!(c["client_id"], DEFAULT_MACHINE_CLIENT_ID);
        assert_eq!(c["scope"], "orders/read");
        assert_eq!(c["version"], 2);

        let verified = verifier.verify(token).await.unwrap();
        assert_eq!(verified.token_use(), TokenUse::Access);
        assert_eq!(verified.username(), None);
        assert_eq!(verified.groups().count(), 0);
        through_adapters(
            &verifier,
            &[
                ("/orders", token, 200),
                ("/orders/write", token, 403),
                ("/admin", token, 403),
                ("/profile", token, 401),
            ],
        )
        .await;
    }

    // No scope asked: every custom scope of the client (token endpoint doc).
    let all = machine(&local)
        .exchange_client_credentials()
        .request_async(&send)
        .await
        .unwrap();
    assert_eq!(
        claims(all.access_token().secret())["scope"],
        "orders/read orders/write"
    );
}

#[actix_web::test]
async fn code_grant_with_pkce_then_refresh_then_revoke() {
    let local = LocalIssuer::builder().start().unwrap();
    let verifier = verifier(&local);
    let answer = code_grant(
        &local,
        &["openid", "email", "orders/read"],
        &[("nonce", "n-0S6_WzA2Mj")],
    )
    .await;
    let access = answer.access_token().secret().clone();
    let id = answer.extra_fields().id_token.clone().expect("an ID token");
    let refresh = answer.refresh_token().expect("a refresh token").clone();

    assert_eq!(names(&access), set(&USER_ACCESS_CLAIMS));
    let a = claims(&access);
    assert_eq!(a["username"], "testuser");
    assert_eq!(a["sub"], local.test_issuer().user_sub());
    assert_eq!(a["cognito:groups"], serde_json::json!(["admin"]));
    assert_eq!(a["scope"], "openid email orders/read");
    assert_eq!(a["client_id"], DEFAULT_CLIENT_ID);

    let mut id_names = set(&ID_CLAIMS);
    id_names.insert("nonce".into());
    assert_eq!(names(&id), id_names);
    let i = claims(&id);
    assert_eq!(i["aud"], DEFAULT_CLIENT_ID);
    assert_eq!(i["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(i["origin_jti"], a["origin_jti"]);
    assert_eq!(i["event_id"], a["event_id"]);
    let digest = sha256_of(access.as_bytes());
    assert_eq!(i["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));

    assert_eq!(
        verifier.verify(&id).await.unwrap().token_use(),
        TokenUse::Id
    );
    through_adapters(
        &verifier,
        &[
            ("/orders", &access, 200),
            ("/orders/write", &access, 403),
            ("/admin", &access, 200),
            ("/profile", &id, 200),
            ("/profile", &access, 401),
        ],
    )
    .await;

    // Refresh: new tokens, same origin_jti, new jti, no refresh token.
    let renewed = spa(&local)
        .exchange_refresh_token(&refresh)
        .request_async(&send)
        .await
        .unwrap();
    assert!(renewed.refresh_token().is_none());
    let again = claims(renewed.access_token().secret());
    assert_eq!(again["origin_jti"], a["origin_jti"]);
    assert_ne!(again["jti"], a["jti"]);
    assert_eq!(again["auth_time"], a["auth_time"]);
    assert!(renewed.extra_fields().id_token.is_some());
    through_adapters(
        &verifier,
        &[("/admin", renewed.access_token().secret(), 200)],
    )
    .await;

    // Revoke, then the refresh token is refused with invalid_grant. (The
    // oauth2 crate revokes over HTTPS only, as RFC 7009 asks, so this is the
    // plain form POST a script would send.)
    let revoked = post(
        &local.revoke_url().unwrap(),
        None,
        FORM,
        format!(
            "token={}&client_id={DEFAULT_CLIENT_ID}",
            urlencode(refresh.secret())
        ),
    )
    .await;
    assert_eq!(revoked, (200, String::new()));
    let refused = spa(&local)
        .exchange_refresh_token(&refresh)
        .request_async(&send)
        .await
        .unwrap_err();
    assert_eq!(token_error(refused), "invalid_grant");
}

#[actix_web::test]
async fn without_openid_there_is_no_id_token_and_a_groupless_user_has_no_groups_claim() {
    let local = LocalIssuer::builder()
        .user(TestUser::new("nogroups"))
        .start()
        .unwrap();
    let answer = code_grant(&local, &["orders/read"], &[("login_hint", "nogroups")]).await;
    assert!(answer.extra_fields().id_token.is_none());
    let a = claims(answer.access_token().secret());
    assert_eq!(a["username"], "nogroups");
    assert!(!a.contains_key("cognito:groups"));
}

#[actix_web::test]
async fn resource_binding_sets_aud() {
    let local = LocalIssuer::builder().start().unwrap();
    let resource = "https://orders.example.com";
    let bound = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(local.jwks_url()))
        .client_ids(local.client_ids())
        .token_use(TokenUse::Access)
        .for_resource(resource)
        .build()
        .unwrap();
    let machine_token = machine(&local)
        .exchange_client_credentials()
        .add_extra_param("resource", resource)
        .request_async(&send)
        .await
        .unwrap();
    let user_token = code_grant(&local, &["orders/read"], &[("resource", resource)]).await;
    for token in [machine_token.access_token(), user_token.access_token()] {
        assert_eq!(claims(token.secret())["aud"], resource);
        assert!(bound.verify(token.secret()).await.is_ok());
    }
    // The token request may repeat the authorized resource; absent, it stands.
    let verifier = "r".repeat(43);
    let cb = urlencode(DEFAULT_CALLBACK_URL);
    for repeat in [true, false] {
        let extra = format!("{}&resource={}", pkce(&verifier), urlencode(resource));
        let code = code_for(&local, DEFAULT_CLIENT_ID, &extra).await;
        let again = if repeat {
            format!("&resource={}", urlencode(resource))
        } else {
            String::new()
        };
        let (status, body) = post_raw(
            &local.token_url().unwrap(),
            format!(
                "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={code}&redirect_uri={cb}&code_verifier={verifier}{again}"
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            claims(body["access_token"].as_str().unwrap())["aud"],
            resource
        );
    }
    let unbound = machine(&local)
        .exchange_client_credentials()
        .request_async(&send)
        .await
        .unwrap();
    assert_eq!(
        bound
            .verify(unbound.access_token().secret())
            .await
            .unwrap_err()
            .kind(),
        "audience_mismatch"
    );
}

#[actix_web::test]
async fn rotation_returns_a_new_refresh_token_and_retires_the_old_one() {
    let local = LocalIssuer::builder()
        .oauth(
            OAuthConfig::new()
                .client(
                    AppClient::public("rotating0123456789abcdefg")
                        .scopes(["openid"])
                        .callback_urls([DEFAULT_CALLBACK_URL])
                        .refresh_token_rotation(true),
                )
                .user(TestUser::new("alice")),
        )
        .start()
        .unwrap();
    let c = client(&local, "rotating0123456789abcdefg", None);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = c
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let location = sign_in(url.as_str()).await.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let first = c
        .exchange_code(AuthorizationCode::new(
            query_param(&location, "code").unwrap(),
        ))
        .set_pkce_verifier(verifier)
        .request_async(&send)
        .await
        .unwrap();
    let old = first.refresh_token().unwrap().clone();
    let second = c
        .exchange_refresh_token(&old)
        .request_async(&send)
        .await
        .unwrap();
    let new = second
        .refresh_token()
        .expect("rotation returns one")
        .clone();
    assert_ne!(new.secret(), old.secret());
    let refused = c
        .exchange_refresh_token(&old)
        .request_async(&send)
        .await
        .unwrap_err();
    assert_eq!(token_error(refused), "invalid_grant");
    assert!(
        c.exchange_refresh_token(&new)
            .request_async(&send)
            .await
            .is_ok()
    );
}

#[actix_web::test]
async fn the_discovery_document_the_jwks_and_the_tokens_agree() {
    let local = LocalIssuer::builder()
        .loopback_issuer(true)
        .start()
        .unwrap();
    let doc: Value = reqwest::get(local.discovery_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], local.issuer());
    assert_eq!(doc["token_endpoint"], local.token_url().unwrap());
    assert_eq!(
        doc["authorization_endpoint"],
        local.authorize_url().unwrap()
    );
    assert_eq!(doc["revocation_endpoint"], local.revoke_url().unwrap());
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    // A public client authenticates with its client_id alone.
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    // The verifier finds the keys from the issuer alone.
    let verifier = Verifier::builder(Issuer::url(local.issuer()))
        .client_ids(local.client_ids())
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let token = machine(&local)
        .exchange_client_credentials()
        .request_async(&send)
        .await
        .unwrap();
    assert_eq!(claims(token.access_token().secret())["iss"], local.issuer());
    assert!(verifier.verify(token.access_token().secret()).await.is_ok());
}

// ----- error answers ------------------------------------------------------------

fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, BasicErrorResponse>,
) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => r.error().to_string(),
        other => panic!("not an OAuth error answer: {other:?}"),
    }
}

fn sha256_of(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// A raw form POST: `(status, error)`.
async fn post(
    url: &str,
    basic: Option<(&str, &str)>,
    content_type: &str,
    body: String,
) -> (u16, String) {
    let mut request = no_redirects()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some((id, secret)) = basic {
        request = request.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
        );
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or(text);
    (status, error)
}

const FORM: &str = "application/x-www-form-urlencoded";

/// `(name, Basic credentials, Content-Type, body, status, error)`.
type Row<'a> = (
    &'a str,
    Option<(&'a str, &'a str)>,
    &'a str,
    String,
    u16,
    &'a str,
);

/// A fresh code for the default public client with this PKCE verifier.
async fn fresh_code(local: &LocalIssuer, verifier: &str) -> String {
    code_for(local, DEFAULT_CLIENT_ID, &pkce(verifier)).await
}

/// `&code_challenge_method=S256&code_challenge=…` for this verifier.
fn pkce(verifier: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(sha256_of(verifier.as_bytes()));
    format!("&code_challenge_method=S256&code_challenge={challenge}")
}

/// A fresh code for `client_id` (callback [`DEFAULT_CALLBACK_URL`]), with
/// `extra` appended to the authorize query.
async fn code_for(local: &LocalIssuer, client_id: &str, extra: &str) -> String {
    let url = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={}{extra}",
        local.authorize_url().unwrap(),
        urlencode(DEFAULT_CALLBACK_URL),
    );
    let location = sign_in(&url).await.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    query_param(&location, "code").unwrap()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn token_endpoint_errors() {
    let local = LocalIssuer::builder()
        .client(
            AppClient::confidential("codeconfidential0123456789", "other-secret")
                .scopes(["openid"])
                .callback_urls([DEFAULT_CALLBACK_URL]),
        )
        .start()
        .unwrap();
    let token_url = local.token_url().unwrap();
    let verifier = "a".repeat(43);
    let m = Some((DEFAULT_MACHINE_CLIENT_ID, DEFAULT_CLIENT_SECRET));
    let cb = urlencode(DEFAULT_CALLBACK_URL);

    let used = fresh_code(&local, &verifier).await;
    let ok_body = format!(
        "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={used}&redirect_uri={cb}&code_verifier={verifier}"
    );
    assert_eq!(post(&token_url, None, FORM, ok_body.clone()).await.0, 200);

    let mut rows: Vec<Row> = vec![
        (
            "grant_type password",
            m,
            FORM,
            "grant_type=password&username=a&password=b".into(),
            400,
            "unsupported_grant_type",
        ),
        (
            "no grant_type",
            m,
            FORM,
            "scope=orders%2Fread".into(),
            400,
            "invalid_request",
        ),
        (
            "wrong secret",
            Some((DEFAULT_MACHINE_CLIENT_ID, "nope")),
            FORM,
            "grant_type=client_credentials".into(),
            400,
            "invalid_client",
        ),
        (
            "unknown client",
            Some(("unknown0123456789abcdefghi", "x")),
            FORM,
            "grant_type=client_credentials".into(),
            400,
            "invalid_client",
        ),
        (
            "secret missing",
            None,
            FORM,
            format!("grant_type=client_credentials&client_id={DEFAULT_MACHINE_CLIENT_ID}"),
            400,
            "invalid_client",
        ),
        (
            "no client at all",
            None,
            FORM,
            "grant_type=client_credentials".into(),
            400,
            "invalid_request",
        ),
        (
            "secret for a public client",
            None,
            FORM,
            format!(
                "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&client_secret=x&code=c&redirect_uri={cb}"
            ),
            400,
            "invalid_client",
        ),
        (
            "Basic and client_secret",
            m,
            FORM,
            "grant_type=client_credentials&client_secret=x".into(),
            400,
            "invalid_request",
        ),
        (
            "Basic not base64",
            None,
            FORM,
            "grant_type=client_credentials".into(),
            400,
            "invalid_client",
        ),
        (
            "built-in scope with client_credentials",
            m,
            FORM,
            "grant_type=client_credentials&scope=openid".into(),
            400,
            "invalid_scope",
        ),
        (
            "unknown custom scope",
            m,
            FORM,
            "grant_type=client_credentials&scope=orders%2Fdelete".into(),
            400,
            "invalid_scope",
        ),
        (
            "public client, client_credentials",
            None,
            FORM,
            format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}"),
            400,
            "unauthorized_client",
        ),
        (
            "machine client, code grant",
            m,
            FORM,
            format!("grant_type=authorization_code&code=c&redirect_uri={cb}"),
            400,
            "unauthorized_client",
        ),
        ("code used twice", None, FORM, ok_body, 400, "invalid_grant"),
        (
            "unknown code",
            None,
            FORM,
            format!(
                "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code=nope&redirect_uri={cb}&code_verifier={verifier}"
            ),
            400,
            "invalid_grant",
        ),
        (
            "no code",
            None,
            FORM,
            format!(
                "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&redirect_uri={cb}"
            ),
            400,
            "invalid_request",
        ),
        (
            "unknown refresh token",
            None,
            FORM,
            format!("grant_type=refresh_token&client_id={DEFAULT_CLIENT_ID}&refresh_token=nope"),
            400,
            "invalid_grant",
        ),
        (
            "repeated parameter",
            m,
            FORM,
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            400,
            "invalid_request",
        ),
        (
            "JSON body",
            m,
            "application/json",
            r#"{"grant_type":"client_credentials"}"#.into(),
            400,
            "invalid_request",
        ),
        (
            "17 KiB body",
            m,
            FORM,
            format!(
                "grant_type=client_credentials&pad={}",
                "a".repeat(17 * 1024)
            ),
            400,
            "invalid_request",
        ),
        (
            "bytes that are not UTF-8",
            m,
            FORM,
            "grant_type=client_credentials&scope=%FF%FE".into(),
            400,
            "invalid_scope",
        ),
    ];
    // Codes bound to what they were issued for.
    for (name, body) in [
        (
            "wrong code_verifier",
            format!("code_verifier={}", "b".repeat(43)),
        ),
        ("no code_verifier", String::new()),
        ("other redirect_uri", format!("code_verifier={verifier}")),
    ] {
        let code = fresh_code(&local, &verifier).await;
        let redirect = if name == "other redirect_uri" {
            urlencode("http://localhost:8080/other")
        } else {
            cb.clone()
        };
        rows.push((
            name,
            None,
            FORM,
            format!("grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={code}&redirect_uri={redirect}&{body}"),
            400,
            "invalid_grant",
        ));
    }
    let plain = code_for(&local, DEFAULT_CLIENT_ID, "").await;
    rows.push((
        "code_verifier for a code requested without PKCE",
        None,
        FORM,
        format!(
            "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={plain}&redirect_uri={cb}&code_verifier={verifier}"
        ),
        400,
        "invalid_grant",
    ));
    let orders = urlencode("https://orders.example.com");
    let other = urlencode("https://other.example.com");
    for (name, authorized, sent) in [
        (
            "resource other than the authorized one",
            Some(&orders),
            &other,
        ),
        ("resource where none was authorized", None, &orders),
    ] {
        let extra = match authorized {
            Some(r) => format!("{}&resource={r}", pkce(&verifier)),
            None => pkce(&verifier),
        };
        let code = code_for(&local, DEFAULT_CLIENT_ID, &extra).await;
        rows.push((
            name,
            None,
            FORM,
            format!(
                "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={code}&redirect_uri={cb}&code_verifier={verifier}&resource={sent}"
            ),
            400,
            "invalid_grant",
        ));
    }
    // Any attempt spends the code, also one refused before its checks.
    let spent = fresh_code(&local, &verifier).await;
    let spent_ok = format!(
        "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={spent}&redirect_uri={cb}&code_verifier={verifier}"
    );
    rows.push((
        "no redirect_uri",
        None,
        FORM,
        format!(
            "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={spent}&code_verifier={verifier}"
        ),
        400,
        "invalid_request",
    ));
    rows.push((
        "the code a missing redirect_uri spent",
        None,
        FORM,
        spent_ok,
        400,
        "invalid_grant",
    ));
    let stolen = fresh_code(&local, &verifier).await;
    rows.push((
        "code of another client",
        Some(("codeconfidential0123456789", "other-secret")),
        FORM,
        format!(
            "grant_type=authorization_code&code={stolen}&redirect_uri={cb}&code_verifier={verifier}"
        ),
        400,
        "invalid_grant",
    ));

    for (name, basic, content_type, body, status, error) in rows {
        let got = if name == "Basic not base64" {
            let answer = no_redirects()
                .post(&token_url)
                .header("content-type", FORM)
                .header("authorization", "Basic ***not base64***")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let v: Value = answer.json().await.unwrap();
            (status, v["error"].as_str().unwrap().to_owned())
        } else {
            post(&token_url, basic, content_type, body).await
        };
        assert_eq!(got, (status, error.to_owned()), "{name}");
    }

    let get = no_redirects().get(&token_url).send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let local = LocalIssuer::builder()
        .code_lifetime(std::time::Duration::from_millis(1))
        .start()
        .unwrap();
    let verifier = "c".repeat(43);
    let code = fresh_code(&local, &verifier).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cb = urlencode(DEFAULT_CALLBACK_URL);
    let (status, body) = post_raw(
        &local.token_url().unwrap(),
        format!(
            "grant_type=authorization_code&client_id={DEFAULT_CLIENT_ID}&code={code}&redirect_uri={cb}&code_verifier={verifier}"
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "the code has expired");
}

/// A form POST without client authentication: `(status, JSON body)`.
async fn post_raw(url: &str, body: String) -> (u16, Value) {
    let answer = no_redirects()
        .post(url)
        .header("content-type", FORM)
        .body(body)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn revoke_endpoint_errors() {
    let local = LocalIssuer::builder().start().unwrap();
    let url = local.revoke_url().unwrap();
    let m = Some((DEFAULT_MACHINE_CLIENT_ID, DEFAULT_CLIENT_SECRET));
    let access = local.access_token().build();
    for (name, basic, body, status, error) in [
        (
            "no token",
            m,
            "client_id=x".to_owned(),
            400,
            "invalid_request",
        ),
        (
            "an access token",
            m,
            format!("token={access}"),
            400,
            "unsupported_token_type",
        ),
        (
            "wrong secret",
            Some((DEFAULT_MACHINE_CLIENT_ID, "nope")),
            "token=abc".to_owned(),
            401,
            "invalid_client",
        ),
        (
            "unknown client",
            None,
            "token=abc&client_id=nobody".to_owned(),
            401,
            "invalid_client",
        ),
    ] {
        assert_eq!(
            post(&url, basic, FORM, body).await,
            (status, error.to_owned()),
            "{name}"
        );
    }
    // A token it does not know: 200, empty body (revoke endpoint doc).
    assert_eq!(
        post(
            &url,
            None,
            FORM,
            format!("token=unknown&client_id={DEFAULT_CLIENT_ID}")
        )
        .await,
        (200, String::new())
    );
}

#[tokio::test]
async fn authorize_endpoint_errors() {
    let local = LocalIssuer::builder().start().unwrap();
    let base = local.authorize_url().unwrap();
    let cb = urlencode(DEFAULT_CALLBACK_URL);
    let ok =
        format!("response_type=code&client_id={DEFAULT_CLIENT_ID}&redirect_uri={cb}&state=xyz");
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    // Before the client and redirect_uri are known: an error page, no redirect.
    for (name, query, error) in [
        (
            "unknown client",
            format!("response_type=code&client_id=nobody&redirect_uri={cb}"),
            "redirect_mismatch",
        ),
        (
            "unregistered redirect_uri",
            format!(
                "response_type=code&client_id={DEFAULT_CLIENT_ID}&redirect_uri={}",
                urlencode("https://evil.example/cb")
            ),
            "redirect_mismatch",
        ),
        (
            "no client_id",
            format!("response_type=code&redirect_uri={cb}"),
            "invalid_request",
        ),
        (
            "repeated client_id",
            format!("{ok}&client_id={DEFAULT_CLIENT_ID}"),
            "invalid_request",
        ),
        (
            "a 17 KiB query string",
            format!("{ok}&pad={}", "a".repeat(17 * 1024)),
            "invalid_request",
        ),
        (
            "a 3 KiB state",
            format!(
                "response_type=code&client_id={DEFAULT_CLIENT_ID}&redirect_uri={cb}&state={}",
                "s".repeat(3 * 1024)
            ),
            "invalid_request",
        ),
    ] {
        let answer = sign_in(&format!("{base}?{query}")).await;
        assert_eq!(answer.status(), 400, "{name}");
        let v: Value = answer.json().await.unwrap();
        assert_eq!(v["error"], error, "{name}");
    }
    // After: a redirect to the callback with error and state.
    for (name, extra, error) in [
        (
            "plain PKCE",
            format!("&code_challenge_method=plain&code_challenge={challenge}"),
            "invalid_request",
        ),
        (
            "challenge without method",
            format!("&code_challenge={challenge}"),
            "invalid_request",
        ),
        (
            "short challenge",
            "&code_challenge_method=S256&code_challenge=abc".to_owned(),
            "invalid_request",
        ),
        (
            "scope not allowed",
            "&scope=aws.cognito.signin.user.admin".to_owned(),
            "invalid_scope",
        ),
        (
            "unknown user",
            "&login_hint=mallory".to_owned(),
            "access_denied",
        ),
        (
            "http resource",
            "&resource=http%3A%2F%2Fapi.example.com".to_owned(),
            "invalid_request",
        ),
    ] {
        let answer = sign_in(&format!("{base}?{ok}{extra}")).await;
        assert_eq!(answer.status(), 302, "{name}");
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(DEFAULT_CALLBACK_URL), "{name}");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some(error),
            "{name}"
        );
        assert_eq!(
            query_param(&location, "state").as_deref(),
            Some("xyz"),
            "{name}"
        );
        assert_eq!(query_param(&location, "code"), None, "{name}");
    }
    let implicit = sign_in(&format!(
        "{base}?response_type=token&client_id={DEFAULT_CLIENT_ID}&redirect_uri={cb}"
    ))
    .await;
    let location = implicit.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );
    let post = no_redirects().post(&base).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[test]
fn configurations_cognito_refuses_are_refused() {
    let orders = ResourceServer::new("orders", ["read"]);
    let cases: Vec<(&str, OAuthConfig, &str)> = vec![
        (
            "client_credentials without a secret",
            OAuthConfig::new().resource_server(orders.clone()).client(
                AppClient::public("m0123456789")
                    .grants([Grant::ClientCredentials])
                    .scopes(["orders/read"]),
            ),
            "needs a client secret",
        ),
        (
            "client_credentials with the code grant",
            OAuthConfig::new().resource_server(orders.clone()).client(
                AppClient::confidential("m0123456789", "s")
                    .grants([Grant::ClientCredentials, Grant::AuthorizationCode])
                    .scopes(["orders/read"])
                    .callback_urls([DEFAULT_CALLBACK_URL]),
            ),
            "cannot be combined",
        ),
        (
            "client_credentials with openid",
            OAuthConfig::new().resource_server(orders.clone()).client(
                AppClient::confidential("m0123456789", "s")
                    .grants([Grant::ClientCredentials])
                    .scopes(["openid"]),
            ),
            "custom scopes only",
        ),
        (
            "a scope no resource server has",
            OAuthConfig::new().client(
                AppClient::public("p0123456789")
                    .scopes(["orders/read"])
                    .callback_urls([DEFAULT_CALLBACK_URL]),
            ),
            "neither built-in nor",
        ),
        (
            "code grant without callback",
            OAuthConfig::new().client(AppClient::public("p0123456789").scopes(["openid"])),
            "at least one callback URL",
        ),
        (
            "http callback off localhost",
            OAuthConfig::new().client(
                AppClient::public("p0123456789").callback_urls(["http://app.example.com/cb"]),
            ),
            "is not https://, http://localhost or a custom scheme",
        ),
        (
            "custom-scheme callback with a fragment",
            OAuthConfig::new()
                .client(AppClient::public("p0123456789").callback_urls(["myapp://callback#x"])),
            "without a fragment",
        ),
        (
            "relative callback URL",
            OAuthConfig::new()
                .client(AppClient::public("p0123456789").callback_urls(["/callback"])),
            "is not https://, http://localhost or a custom scheme",
        ),
        (
            "zero refresh token validity",
            OAuthConfig::new().client(
                AppClient::public("p0123456789")
                    .callback_urls([DEFAULT_CALLBACK_URL])
                    .refresh_token_validity(Duration::ZERO),
            ),
            "refresh token validity is zero",
        ),
        (
            "the same client twice",
            OAuthConfig::new()
                .client(AppClient::public("p0123456789").callback_urls([DEFAULT_CALLBACK_URL]))
                .client(AppClient::public("p0123456789").callback_urls([DEFAULT_CALLBACK_URL])),
            "configured twice",
        ),
        (
            "a secret form-urlencoding would change",
            OAuthConfig::new().resource_server(orders.clone()).client(
                AppClient::confidential("m0123456789", "s3cr+t")
                    .grants([Grant::ClientCredentials])
                    .scopes(["orders/read"]),
            ),
            "app client m0123456789: the secret may hold only ASCII letters, digits and - . _ ~",
        ),
        (
            "a refresh token validity over 10 years",
            OAuthConfig::new().client(
                AppClient::public("p0123456789")
                    .callback_urls([DEFAULT_CALLBACK_URL])
                    .refresh_token_validity(MAX_REFRESH_TOKEN_VALIDITY + Duration::from_secs(1)),
            ),
            "the refresh token validity is more than 10 years",
        ),
        (
            "the largest refresh token validity",
            OAuthConfig::new().client(
                AppClient::public("p0123456789")
                    .callback_urls([DEFAULT_CALLBACK_URL])
                    .refresh_token_validity(Duration::MAX),
            ),
            "the refresh token validity is more than 10 years",
        ),
        (
            "a client id with a slash",
            OAuthConfig::new()
                .client(AppClient::public("a/b").callback_urls([DEFAULT_CALLBACK_URL])),
            "ASCII letters and digits",
        ),
    ];
    for (name, config, message) in cases {
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains(message), "{name}: {error}");
        let start = LocalIssuer::builder().oauth(config).start().unwrap_err();
        assert_eq!(start.kind(), std::io::ErrorKind::InvalidInput, "{name}");
    }
    assert!(OAuthConfig::cognito_default().validate().is_ok());
    let at_most = OAuthConfig::new().client(
        AppClient::public("p0123456789")
            .callback_urls([DEFAULT_CALLBACK_URL])
            .refresh_token_validity(MAX_REFRESH_TOKEN_VALIDITY),
    );
    assert!(at_most.validate().is_ok());
    // A code lifetime that would overflow the clock is refused, not a panic.
    for lifetime in [Duration::MAX, MAX_CODE_LIFETIME + Duration::from_secs(1)] {
        let start = LocalIssuer::builder()
            .code_lifetime(lifetime)
            .start()
            .unwrap_err();
        assert_eq!(start.kind(), std::io::ErrorKind::InvalidInput);
        assert!(
            start.to_string().contains("is more than 600 seconds"),
            "{start}"
        );
    }
    assert!(
        LocalIssuer::builder()
            .code_lifetime(MAX_CODE_LIFETIME)
            .start()
            .is_ok()
    );
}

#[tokio::test]
async fn hostile_token_requests_get_an_oauth_error_never_a_crash() {
    let local = LocalIssuer::builder().start().unwrap();
    let url = local.token_url().unwrap();
    let mut invalid_utf8 = b"grant_type=client_credentials&scope=".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0x00]);
    let bodies: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a lone percent", b"%".to_vec(), "invalid_request"),
        (
            "bad escapes",
            b"grant_type=%ZZ%".to_vec(),
            "unsupported_grant_type",
        ),
        ("only separators", b"&&&==&".to_vec(), "invalid_request"),
        (
            "a NUL grant_type",
            b"grant_type=%00".to_vec(),
            "unsupported_grant_type",
        ),
        // Decoded lossily; then no client is named.
        (
            "raw bytes that are not UTF-8",
            invalid_utf8,
            "invalid_request",
        ),
        ("empty", Vec::new(), "invalid_request"),
    ];
    for (name, body, error) in bodies {
        let answer = no_redirects()
            .post(&url)
            .header("content-type", FORM)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{name}");
        let v: Value = answer.json().await.unwrap();
        assert_eq!(v["error"], error, "{name}");
    }
    for (name, authorization) in [
        ("Basic without credentials", "Basic"),
        ("another scheme", "Bearer abc"),
        (
            "no colon",
            &*format!("Basic {}", STANDARD.encode("justanid")),
        ),
        (
            "not UTF-8",
            &*format!("Basic {}", STANDARD.encode([0xff, 0x3a, 0xfe])),
        ),
    ] {
        let answer = no_redirects()
            .post(&url)
            .header("content-type", FORM)
            .header("authorization", authorization)
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{name}");
        let v: Value = answer.json().await.unwrap();
        assert_eq!(v["error"], "invalid_client", "{name}");
    }
}

// ----- sessions, callbacks, binding -------------------------------------------

/// The code grant without PKCE for `client_id`, by hand: `(status, body)`.
async fn login(local: &LocalIssuer, client_id: &str) -> (u16, Value) {
    let code = code_for(local, client_id, "").await;
    post_raw(
        &local.token_url().unwrap(),
        format!(
            "grant_type=authorization_code&client_id={client_id}&code={code}&redirect_uri={}",
            urlencode(DEFAULT_CALLBACK_URL)
        ),
    )
    .await
}

/// `grant_type=refresh_token` for a public client: `(status, body)`.
async fn refresh(local: &LocalIssuer, client_id: &str, token: &str) -> (u16, Value) {
    post_raw(
        &local.token_url().unwrap(),
        format!(
            "grant_type=refresh_token&client_id={client_id}&refresh_token={}",
            urlencode(token)
        ),
    )
    .await
}

fn refresh_token_of(answer: &(u16, Value)) -> String {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["refresh_token"].as_str().unwrap().to_owned()
}

fn code_client(id: &str) -> AppClient {
    AppClient::public(id)
        .scopes(["openid"])
        .callback_urls([DEFAULT_CALLBACK_URL])
}

const ROTATING: &str = "rotating0123456789abcdefg";
const KEEPING: &str = "keeping01234567890abcdefg";

#[tokio::test]
async fn the_session_cap_counts_live_sessions_only() {
    let local = LocalIssuer::builder()
        .oauth(
            OAuthConfig::new()
                .client(code_client(ROTATING).refresh_token_rotation(true))
                .user(TestUser::new("alice")),
        )
        .max_sessions(2)
        .start()
        .unwrap();
    // Rotations replace their session: many more than the cap all work.
    let mut token = refresh_token_of(&login(&local, ROTATING).await);
    for _ in 0..5 {
        let next = refresh_token_of(&refresh(&local, ROTATING, &token).await);
        assert_eq!(
            refresh(&local, ROTATING, &token).await.1["error"],
            "invalid_grant"
        );
        token = next;
    }
    let other = refresh_token_of(&login(&local, ROTATING).await);
    // At the cap, a rotating refresh still succeeds, and only then retires
    // the old token; it evicts nothing.
    let rotated = refresh_token_of(&refresh(&local, ROTATING, &other).await);
    assert_eq!(
        refresh(&local, ROTATING, &other).await.1["error"],
        "invalid_grant"
    );
    token = refresh_token_of(&refresh(&local, ROTATING, &token).await);
    // A revoked session frees its place.
    let answer = no_redirects()
        .post(local.revoke_url().unwrap())
        .header("content-type", FORM)
        .body(format!("token={}&client_id={ROTATING}", urlencode(&token)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        refresh(&local, ROTATING, &token).await.1["error"],
        "invalid_grant"
    );
    refresh_token_of(&login(&local, ROTATING).await);
    refresh_token_of(&refresh(&local, ROTATING, &rotated).await);
}

#[tokio::test]
async fn a_full_session_map_evicts_the_session_expiring_soonest_and_sign_ins_keep_working() {
    let short = "short0123456789abcdefghij";
    let local = LocalIssuer::builder()
        .oauth(
            OAuthConfig::new()
                .client(code_client(KEEPING))
                .client(code_client(short).refresh_token_validity(Duration::from_secs(3600)))
                .user(TestUser::new("alice")),
        )
        .max_sessions(2)
        .start()
        .unwrap();
    let first = refresh_token_of(&login(&local, KEEPING).await);
    let second = refresh_token_of(&login(&local, KEEPING).await);
    // Full: each further sign-in is answered, never 503, and evicts the
    // session that expires soonest (here the oldest sign-in).
    for _ in 0..3 {
        let answer = login(&local, KEEPING).await;
        assert_eq!(answer.0, 200, "{}", answer.1);
        assert!(answer.1["refresh_token"].is_string(), "{}", answer.1);
    }
    for evicted in [&first, &second] {
        let (status, body) = refresh(&local, KEEPING, evicted).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    // A session of a client with a shorter validity goes before an older
    // one that lasts longer.
    let newest = refresh_token_of(&login(&local, KEEPING).await);
    let brief = refresh_token_of(&login(&local, short).await);
    let latest = refresh_token_of(&login(&local, KEEPING).await);
    assert_eq!(
        refresh(&local, short, &brief).await.1["error"],
        "invalid_grant"
    );
    assert_eq!(refresh(&local, KEEPING, &newest).await.0, 200);
    assert_eq!(refresh(&local, KEEPING, &latest).await.0, 200);
}

#[tokio::test]
async fn basic_credentials_are_one_form_urlencoded_value() {
    let secret = "s3cr-e.t_~x";
    let id = "tilde0123456789abcdefghij";
    let local = LocalIssuer::builder()
        .client(
            AppClient::confidential(id, secret)
                .grants([Grant::ClientCredentials])
                .scopes(["orders/read"]),
        )
        .start()
        .unwrap();
    let url = local.token_url().unwrap();
    let body = || "grant_type=client_credentials".to_owned();
    let tail = format!("{DEFAULT_CLIENT_SECRET}&anything");
    let split = format!("{DEFAULT_CLIENT_SECRET}=x");
    let rows: [(&str, &str, &str, u16, &str); 6] = [
        // Nothing after `&` or `=` is dropped: the whole value is the secret.
        (
            "a secret with & and more",
            DEFAULT_MACHINE_CLIENT_ID,
            &tail,
            400,
            "invalid_client",
        ),
        (
            "a secret with = and more",
            DEFAULT_MACHINE_CLIENT_ID,
            &split,
            400,
            "invalid_client",
        ),
        (
            "the secret",
            DEFAULT_MACHINE_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            200,
            "",
        ),
        // Sent raw (curl -u) and form-urlencoded (RFC 6749 §2.3.1) alike.
        ("unreserved characters, raw", id, secret, 200, ""),
        (
            "unreserved characters, encoded",
            id,
            "s3cr%2De.t_%7Ex",
            200,
            "",
        ),
        ("a space for +", id, "s3cr-e.t_+x", 400, "invalid_client"),
    ];
    for (name, id, secret, status, error) in rows {
        let (got, answer) = post(&url, Some((id, secret)), FORM, body()).await;
        assert_eq!(got, status, "{name}: {answer}");
        if !error.is_empty() {
            assert_eq!(answer, error, "{name}");
        }
    }
}

#[tokio::test]
async fn refresh_tokens_expire_from_the_sign_in_and_expired_ones_are_dropped() {
    let validity = Duration::from_secs(2);
    let local = LocalIssuer::builder()
        .oauth(
            OAuthConfig::new()
                .client(
                    code_client(ROTATING)
                        .refresh_token_rotation(true)
                        .refresh_token_validity(validity),
                )
                .client(code_client(KEEPING))
                .user(TestUser::new("alice")),
        )
        .max_sessions(2)
        .start()
        .unwrap();
    let keeping = &local.oauth_config().unwrap().clients()[1];
    assert_eq!(keeping.refresh_validity(), DEFAULT_REFRESH_TOKEN_VALIDITY);
    let other = LocalIssuer::builder()
        .oauth(
            OAuthConfig::new()
                .client(code_client(KEEPING).refresh_token_validity(validity))
                .user(TestUser::new("bob")),
        )
        .start()
        .unwrap();
    let first = refresh_token_of(&login(&local, ROTATING).await);
    let kept = refresh_token_of(&login(&local, KEEPING).await);
    let lapsing = refresh_token_of(&login(&other, KEEPING).await);
    let rotated = refresh_token_of(&refresh(&local, ROTATING, &first).await);

    tokio::time::sleep(validity + Duration::from_millis(300)).await;
    let (status, body) = refresh(&other, KEEPING, &lapsing).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "the refresh token has expired");
    // The rotated token kept the sign-in's expiry; expired, it no longer
    // counts against the cap.
    refresh_token_of(&login(&local, ROTATING).await);
    assert_eq!(
        refresh(&local, ROTATING, &rotated).await.1["error"],
        "invalid_grant"
    );
    assert_eq!(refresh(&local, KEEPING, &kept).await.0, 200);
}

#[tokio::test]
async fn a_custom_scheme_callback_gets_the_code() {
    let app = "mobile0123456789abcdefghi";
    let callback = "myapp://auth/callback";
    let local = LocalIssuer::builder()
        .client(
            AppClient::public(app)
                .scopes(["openid"])
                .callback_urls([callback]),
        )
        .start()
        .unwrap();
    let verifier = "m".repeat(43);
    let url = format!(
        "{}?response_type=code&client_id={app}&redirect_uri={}&state=s1{}",
        local.authorize_url().unwrap(),
        urlencode(callback),
        pkce(&verifier)
    );
    let answer = sign_in(&url).await;
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("myapp://auth/callback?code="),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
    let code = query_param(&location, "code").unwrap();
    let (status, body) = post_raw(
        &local.token_url().unwrap(),
        format!(
            "grant_type=authorization_code&client_id={app}&code={code}&redirect_uri={}&code_verifier={verifier}",
            urlencode(callback)
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["id_token"].as_str().unwrap())["aud"], app);
}

#[tokio::test]
async fn binding_beyond_loopback_needs_consent_and_a_public_url_is_advertised() {
    use std::io::ErrorKind;
    use std::net::SocketAddr;
    // Refused before anything is bound.
    for (name, builder) in [
        (
            "any address",
            LocalIssuer::builder().bind(SocketAddr::from(([0, 0, 0, 0], 0))),
        ),
        (
            "a LAN address",
            LocalIssuer::builder().bind(SocketAddr::from(([192, 0, 2, 1], 8420))),
        ),
        (
            "a public URL with a path",
            LocalIssuer::builder().public_url("http://issuer.test/pool"),
        ),
        (
            "no room for a session",
            LocalIssuer::builder().max_sessions(0),
        ),
    ] {
        assert_eq!(
            builder.start().unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{name}"
        );
    }
    // With consent the guard lets it through: TEST-NET-1 cannot be bound here.
    let beyond = LocalIssuer::builder()
        .bind(SocketAddr::from(([192, 0, 2, 1], 8420)))
        .allow_non_loopback()
        .start()
        .unwrap_err();
    assert_ne!(beyond.kind(), ErrorKind::InvalidInput, "{beyond}");

    let public = "http://cognito.test:8420";
    let local = LocalIssuer::builder()
        .public_url(format!("{public}/"))
        .loopback_issuer(true)
        .start()
        .unwrap();
    let pool_iss = format!("{public}/{DEFAULT_POOL_ID}");
    assert_eq!(local.issuer(), pool_iss);
    assert_eq!(local.token_url().unwrap(), format!("{public}/oauth2/token"));
    assert_eq!(
        local.discovery_url(),
        format!("{pool_iss}/.well-known/openid-configuration")
    );
    let bound = format!("http://{}", local.server().addr());
    let doc: Value = reqwest::get(format!(
        "{bound}/{DEFAULT_POOL_ID}/.well-known/openid-configuration"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(doc["issuer"], pool_iss);
    assert_eq!(doc["jwks_uri"], format!("{pool_iss}/.well-known/jwks.json"));
    assert_eq!(doc["token_endpoint"], format!("{public}/oauth2/token"));
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{public}/oauth2/authorize")
    );
}

// ----- /oauth2/userInfo ---------------------------------------------------------

/// `(status, WWW-Authenticate, body)` of a userInfo request with these
/// headers.
async fn userinfo_with(
    local: &LocalIssuer,
    method: reqwest::Method,
    headers: &[(&str, http::HeaderValue)],
) -> (u16, String, Value) {
    let mut request = no_redirects().request(method, local.userinfo_url().unwrap());
    for (name, value) in headers {
        request = request.header(*name, value.clone());
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let challenge = answer
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = answer.text().await.unwrap();
    (
        status,
        challenge,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn bearer(token: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap()
}

/// userInfo with `Authorization: Bearer token`, by GET.
async fn userinfo(local: &LocalIssuer, token: &str) -> (u16, String, Value) {
    userinfo_with(
        local,
        reqwest::Method::GET,
        &[("authorization", bearer(token))],
    )
    .await
}

/// The refusal Cognito documents for a token it does not accept.
fn invalid_token(answer: &(u16, String, Value), why: &str) {
    assert_eq!(answer.0, 401, "{why}: {answer:?}");
    assert!(
        answer.1.starts_with(r#"Bearer error="invalid_token""#),
        "{why}: {answer:?}"
    );
    assert_eq!(answer.2["error"], "invalid_token", "{why}");
    assert!(answer.2["error_description"].is_string(), "{why}");
}

fn alice() -> TestUser {
    TestUser::new("alice")
        .subject("6f1c1a9e-0000-4000-8000-000000000001")
        .attribute("email", "alice@example.com")
        .attribute("email_verified", true)
        .attribute("phone_number", "+12065551212")
        .attribute("given_name", "Alice")
        .attribute("custom:tenant", "acme")
}

#[tokio::test]
async fn userinfo_answers_the_attributes_the_scopes_release() {
    let local = LocalIssuer::builder().user(alice()).start().unwrap();
    let hint = [("login_hint", "alice")];
    let sub = "6f1c1a9e-0000-4000-8000-000000000001";

    // openid email: sub, email, email_verified (a string, as Cognito's),
    // username; no profile or phone attribute. By GET and by POST.
    let tokens = code_grant(&local, &["openid", "email"], &hint).await;
    let access = tokens.access_token().secret();
    let expected = serde_json::json!({
        "sub": sub,
        "email": "alice@example.com",
        "email_verified": "true",
        "username": "alice",
    });
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let answer =
            userinfo_with(&local, method.clone(), &[("authorization", bearer(access))]).await;
        assert_eq!((answer.0, &answer.2), (200, &expected), "{method}");
    }

    // openid profile: the profile attributes and the custom ones, no email.
    let tokens = code_grant(&local, &["openid", "profile"], &hint).await;
    let (status, _, body) = userinfo(&local, tokens.access_token().secret()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({
            "sub": sub,
            "given_name": "Alice",
            "custom:tenant": "acme",
            "username": "alice",
        })
    );
    assert!(body.get("email").is_none());

    // openid alone: every attribute ("all user attributes that the app
    // client can read"); the custom scope changes nothing.
    let tokens = code_grant(&local, &["openid", "orders/read"], &hint).await;
    let (status, _, body) = userinfo(&local, tokens.access_token().secret()).await;
    assert_eq!(status, 200);
    let names: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        names,
        set(&[
            "sub",
            "email",
            "email_verified",
            "phone_number",
            "given_name",
            "custom:tenant",
            "username"
        ])
    );

    // The discovery document names the endpoint.
    let doc: Value = reqwest::get(local.discovery_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["userinfo_endpoint"], local.userinfo_url().unwrap());
    assert!(local.userinfo_url().unwrap().ends_with("/oauth2/userInfo"));
}

#[tokio::test]
async fn userinfo_refuses_tokens_cognito_refuses() {
    let local = LocalIssuer::builder().start().unwrap();

    // A client credentials token has no user (and no openid).
    let machine_token = machine(&local)
        .exchange_client_credentials()
        .request_async(&send)
        .await
        .unwrap();
    invalid_token(
        &userinfo(&local, machine_token.access_token().secret()).await,
        "client credentials",
    );

    // A user's token without openid.
    let no_openid = code_grant(&local, &["email", "orders/read"], &[]).await;
    invalid_token(
        &userinfo(&local, no_openid.access_token().secret()).await,
        "no openid",
    );

    // A revoked session: 200 before the refresh token is revoked, 401
    // after, for its access token and for the one a refresh minted.
    let session = code_grant(&local, &["openid", "email"], &[]).await;
    let access = session.access_token().secret().clone();
    let refresh = session.refresh_token().unwrap().clone();
    let renewed = spa(&local)
        .exchange_refresh_token(&refresh)
        .request_async(&send)
        .await
        .unwrap();
    let other = code_grant(&local, &["openid"], &[]).await;
    assert_eq!(userinfo(&local, &access).await.0, 200);
    let revoked = post(
        &local.revoke_url().unwrap(),
        None,
        FORM,
        format!(
            "token={}&client_id={DEFAULT_CLIENT_ID}",
            urlencode(refresh.secret())
        ),
    )
    .await;
    assert_eq!(revoked, (200, String::new()));
    invalid_token(&userinfo(&local, &access).await, "revoked");
    invalid_token(
        &userinfo(&local, renewed.access_token().secret()).await,
        "revoked, refreshed",
    );
    assert_eq!(
        userinfo(&local, other.access_token().secret()).await.0,
        200,
        "another session"
    );

    // Expired: the same preset token is accepted unexpired.
    let fresh = local.access_token().scopes(&["openid"]).build();
    assert_eq!(userinfo(&local, &fresh).await.0, 200);
    let expired = local
        .access_token()
        .scopes(&["openid"])
        .expires_in(-60)
        .build();
    invalid_token(&userinfo(&local, &expired).await, "expired");

    // Another pool with the same iss and kid, but its own key.
    let stranger = cognito_jwt_testkit::TestIssuer::cognito()
        .access_token()
        .scopes(&["openid"])
        .build();
    invalid_token(&userinfo(&local, &stranger).await, "another issuer");

    // Other methods: 405 naming the two allowed.
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let answer = no_redirects()
            .request(method.clone(), local.userinfo_url().unwrap())
            .header("authorization", format!("Bearer {fresh}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 405, "{method}");
        assert_eq!(answer.headers()["allow"], "GET, POST", "{method}");
    }
}

/// `(name, request headers, status, error)`.
type HeaderRow<'a> = (&'a str, Vec<(&'a str, http::HeaderValue)>, u16, &'a str);

#[tokio::test]
async fn userinfo_answers_hostile_authorization_headers() {
    let local = LocalIssuer::builder().start().unwrap();
    let session = code_grant(&local, &["openid", "email"], &[]).await;
    let access = session.access_token().secret().clone();
    let id = session.extra_fields().id_token.clone().unwrap();
    let issuer = local.test_issuer();
    let openid = || issuer.access_token().scopes(&["openid"]);
    let value = |s: &str| http::HeaderValue::from_str(s).unwrap();
    let long = format!("Bearer {}", "a".repeat(20_000));
    let rows: Vec<HeaderRow> = vec![
        (
            "the token",
            vec![("authorization", bearer(&access))],
            200,
            "",
        ),
        (
            "lower-case scheme",
            vec![("authorization", value(&format!("bearer {access}")))],
            200,
            "",
        ),
        ("no header", vec![], 401, "invalid_token"),
        (
            "Basic",
            vec![("authorization", value("Basic dXNlcjpwdw=="))],
            401,
            "invalid_token",
        ),
        (
            "Bearer alone",
            vec![("authorization", value("Bearer"))],
            400,
            "invalid_request",
        ),
        (
            "two tokens",
            vec![("authorization", value(&format!("Bearer {access} {access}")))],
            400,
            "invalid_request",
        ),
        (
            "two spaces",
            vec![("authorization", value(&format!("Bearer  {access}")))],
            400,
            "invalid_request",
        ),
        (
            "two headers",
            vec![
                ("authorization", bearer(&access)),
                ("authorization", bearer(&access)),
            ],
            400,
            "invalid_request",
        ),
        (
            "not visible ASCII",
            vec![(
                "authorization",
                http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
            )],
            400,
            "invalid_request",
        ),
        (
            "not a JWT",
            vec![("authorization", bearer("not-a-jwt"))],
            401,
            "invalid_token",
        ),
        (
            "three garbage parts",
            vec![("authorization", bearer("a.b.c"))],
            401,
            "invalid_token",
        ),
        (
            "four parts",
            vec![("authorization", bearer(&format!("{access}.x")))],
            401,
            "invalid_token",
        ),
        (
            "unsigned",
            vec![("authorization", bearer(&openid().unsigned().build()))],
            401,
            "invalid_token",
        ),
        (
            "alg none",
            vec![(
                "authorization",
                bearer(&openid().alg("none").unsigned().build()),
            )],
            401,
            "invalid_token",
        ),
        (
            "alg HS256",
            vec![("authorization", bearer(&openid().alg("HS256").build()))],
            401,
            "invalid_token",
        ),
        (
            "unknown kid",
            vec![("authorization", bearer(&openid().kid("nope").build()))],
            401,
            "invalid_token",
        ),
        (
            "tampered payload",
            vec![("authorization", bearer(&openid().tamper_payload().build()))],
            401,
            "invalid_token",
        ),
        (
            "scope tampered in",
            vec![(
                "authorization",
                bearer(
                    &issuer
                        .access_token()
                        .scopes(&["orders/read"])
                        .tamper_claim("scope", "openid")
                        .build(),
                ),
            )],
            401,
            "invalid_token",
        ),
        (
            "an ID token",
            vec![("authorization", bearer(&id))],
            401,
            "invalid_token",
        ),
        (
            "another iss",
            vec![(
                "authorization",
                bearer(&openid().claim("iss", "https://evil.example.com").build()),
            )],
            401,
            "invalid_token",
        ),
        (
            "unknown app client",
            vec![(
                "authorization",
                bearer(&openid().client_id("nobody").build()),
            )],
            401,
            "invalid_token",
        ),
        (
            "unknown user",
            vec![(
                "authorization",
                bearer(&openid().username("mallory").build()),
            )],
            401,
            "invalid_token",
        ),
        (
            "exp a string",
            vec![(
                "authorization",
                bearer(&openid().claim("exp", "never").build()),
            )],
            401,
            "invalid_token",
        ),
        (
            "20 kB",
            vec![("authorization", value(&long))],
            401,
            "invalid_token",
        ),
    ];
    for (name, headers, status, error) in rows {
        let answer = userinfo_with(&local, reqwest::Method::GET, &headers).await;
        assert_eq!(answer.0, status, "{name}: {answer:?}");
        if status == 200 {
            assert_eq!(answer.2["username"], "testuser", "{name}");
        } else {
            assert_eq!(answer.2["error"], error, "{name}");
            assert!(
                answer
                    .1
                    .starts_with(&format!(r#"Bearer error="{error}", error_description=""#)),
                "{name}: {answer:?}"
            );
        }
    }
}

// ----- revocations shared with a resource server -------------------------------

#[actix_web::test]
async fn a_revoked_refresh_token_revokes_its_family_at_the_resource_server() {
    use cognito_jwt::Error;
    use cognito_jwt::revocation::Revocations;
    let revocations = Revocations::new();
    let local = LocalIssuer::builder()
        .revocations(revocations.clone())
        .start()
        .unwrap();
    let verifier = Verifier::builder(Issuer::cognito(DEFAULT_POOL_ID).jwks_url(local.jwks_url()))
        .client_ids(local.client_ids())
        .any_token_use()
        .revocations(revocations.clone())
        .build()
        .unwrap();
    let session = code_grant(&local, &["openid", "orders/read"], &[]).await;
    let access = session.access_token().secret().clone();
    let id = session.extra_fields().id_token.clone().unwrap();
    let refresh = session.refresh_token().unwrap().clone();
    let other = code_grant(&local, &["openid", "orders/read"], &[]).await;
    let other_access = other.access_token().secret().clone();
    assert!(verifier.verify(&access).await.is_ok());
    assert!(verifier.verify(&id).await.is_ok());
    assert!(revocations.is_empty());

    // A refresh token it does not know, or another client's attempt,
    // revokes nothing.
    let foreign = post(
        &local.revoke_url().unwrap(),
        Some((DEFAULT_MACHINE_CLIENT_ID, DEFAULT_CLIENT_SECRET)),
        FORM,
        format!("token={}", urlencode(refresh.secret())),
    )
    .await;
    assert_eq!(foreign, (200, String::new()));
    assert!(revocations.is_empty());
    assert!(verifier.verify(&access).await.is_ok());

    let revoked = post(
        &local.revoke_url().unwrap(),
        None,
        FORM,
        format!(
            "token={}&client_id={DEFAULT_CLIENT_ID}",
            urlencode(refresh.secret())
        ),
    )
    .await;
    assert_eq!(revoked, (200, String::new()));
    assert_eq!(revocations.len(), 1);
    for token in [&access, &id] {
        let refused = verifier.verify(token).await.unwrap_err();
        assert!(
            matches!(refused, Error::Revoked { rule: "family" }),
            "{refused:?}"
        );
    }
    assert!(verifier.verify(&other_access).await.is_ok());
    through_adapters(
        &verifier,
        &[("/orders", &access, 401), ("/orders", &other_access, 200)],
    )
    .await;
}

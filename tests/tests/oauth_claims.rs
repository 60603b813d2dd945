//! The local issuer's grants against issuers nobody here wrote: the claim
//! sets of its tokens compared with moto's (InitiateAuth: ID and access
//! tokens for a user) and oidc-provider's (client credentials with a
//! resource), each difference named with its reason.

use std::collections::BTreeSet;

use cognito_jwt_e2e::{Moto, OidcProvider, TokenRequest, decode_payload, http_client};
use cognito_jwt_testkit::{
    DEFAULT_CALLBACK_URL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MACHINE_CLIENT_ID,
    LocalIssuer, OAuthConfig, TestUser,
};
use serde_json::Value;

fn names(token: &str) -> BTreeSet<String> {
    match decode_payload(token) {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("payload is not an object: {other}"),
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn difference(a: &BTreeSet<String>, b: &BTreeSet<String>) -> BTreeSet<String> {
    a.difference(b).cloned().collect()
}

fn url_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A").replace('/', "%2F")))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends a token request; the JSON answer.
async fn token_answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The code grant without PKCE over plain HTTP: `(access, id)`.
async fn code_grant(local: &LocalIssuer, scope: &str, user: &str) -> (String, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let query: String = url_form(&[
        ("response_type", "code"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", DEFAULT_CALLBACK_URL),
        ("scope", scope),
        ("login_hint", user),
    ]);
    let answer = client
        .get(format!("{}?{query}", local.authorize_url().unwrap()))
        .send()
        .await
        .unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let code = location.split("code=").nth(1).unwrap().to_owned();
    let tokens = http_client().post(local.token_url().unwrap()).form(&[
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("code", &code),
        ("redirect_uri", DEFAULT_CALLBACK_URL),
    ]);
    let tokens = token_answer(tokens).await;
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["id_token"].as_str().map(str::to_owned),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn user_tokens_have_moto_s_claims_plus_what_moto_leaves_out() {
    let moto = Moto::shared();
    let alice = &moto.seed.tokens.alice;
    // A user like moto's alice: group admin, an email.
    let mut config = OAuthConfig::cognito_default();
    config = config.user(
        TestUser::new("alice")
            .groups(["admin"])
            .attribute("email_verified", true)
            .attribute("email", "alice@example.com"),
    );
    let local = LocalIssuer::builder().oauth(config).start().unwrap();
    let (access, id) = code_grant(&local, "openid", "alice").await;
    let id = id.expect("openid asked: an ID token");

    // Access token. moto leaves out `version` and `event_id` (moto.rs: "no
    // event_id/version"); Cognito puts both in every user access token.
    let (ours, theirs) = (names(&access), names(&alice.access));
    assert_eq!(difference(&ours, &theirs), set(&["event_id", "version"]));
    assert_eq!(difference(&theirs, &ours), BTreeSet::new());

    // ID token. `event_id`: as above. `at_hash`: an ID token from the token
    // endpoint binds the access token issued with it (OpenID Connect); moto's
    // come from InitiateAuth, where Cognito has no at_hash either.
    let (ours, theirs) = (names(&id), names(&alice.id));
    assert_eq!(difference(&ours, &theirs), set(&["at_hash", "event_id"]));
    assert_eq!(difference(&theirs, &ours), BTreeSet::new());

    // Same values where both are defined by Cognito's rules.
    let (a, m) = (decode_payload(&access), decode_payload(&alice.access));
    assert_eq!(a["token_use"], m["token_use"]);
    assert_eq!(a["cognito:groups"], m["cognito:groups"]);
    let (i, mi) = (decode_payload(&id), decode_payload(&alice.id));
    assert_eq!(i["cognito:username"], mi["cognito:username"]);
    assert_eq!(i["token_use"], "id");
    assert_eq!(i["aud"], DEFAULT_CLIENT_ID);
    // Known value differences: moto's `email_verified` is the string "true"
    // (moto.rs), Cognito's a boolean; moto's access scope is always
    // aws.cognito.signin.user.admin, ours is what was asked.
    assert_eq!(mi["email_verified"], "true");
    assert_eq!(i["email_verified"], true);
    assert_eq!(a["scope"], "openid");
}

#[tokio::test(flavor = "current_thread")]
async fn client_credentials_tokens_match_oidc_provider_s_but_for_cognito_s_extras() {
    let oidc = OidcProvider::shared();
    let resource = cognito_jwt_e2e::oidc::RESOURCE;
    let theirs = oidc
        .request_token(&TokenRequest {
            client_id: cognito_jwt_e2e::oidc::M2M_CLIENT,
            client_secret: cognito_jwt_e2e::oidc::M2M_SECRET,
            scopes: &["orders/read"],
            resource: Some(resource),
            ..TokenRequest::default()
        })
        .await
        .unwrap()
        .access_token;
    let local = LocalIssuer::builder().start().unwrap();
    let ours = http_client()
        .post(local.token_url().unwrap())
        .basic_auth(DEFAULT_MACHINE_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders/read"),
            ("resource", resource),
        ]);
    let ours = token_answer(ours).await;
    let ours = ours["access_token"].as_str().unwrap();
    let (o, t) = (names(ours), names(&theirs));
    // Cognito adds `auth_time` and `version` to machine tokens;
    // oidc-provider has neither.
    assert_eq!(difference(&o, &t), set(&["auth_time", "version"]));
    assert_eq!(difference(&t, &o), BTreeSet::new());
    let (ours, theirs) = (decode_payload(ours), decode_payload(&theirs));
    for claim in ["aud", "scope", "token_use"] {
        assert_eq!(ours[claim], theirs[claim], "{claim}");
    }
    // Both: sub is the client id.
    assert_eq!(ours["sub"], ours["client_id"]);
    assert_eq!(theirs["sub"], theirs["client_id"]);
}

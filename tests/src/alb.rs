//! An example binary behind an Application Load Balancer, over real HTTP:
//! started with `COGNITO_ALB_ARN` and `COGNITO_ALB_KEYS_URL` pointing at a
//! testkit key server, it authenticates requests carrying
//! `x-amzn-oidc-data` from that data token, and `/me` answers the user as
//! for an access token of that user; an admin's revocation of the user
//! refuses the user's data tokens too.

use std::path::Path;

use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, JwksServer, TestIssuer};
use serde_json::{Value, json};

use crate::contract::spawn_example_with;

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, Value) {
    let mut request = crate::http_client().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let www = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, www, body)
}

/// Start `binary` behind a stand-in load balancer and walk what it answers.
pub fn me_answers_the_load_balancers_user(binary: &Path) {
    let pool = TestIssuer::cognito();
    let jwks = JwksServer::start(&pool);
    let alb = AlbIssuer::new();
    let keys = AlbKeyServer::start(&alb);
    let pool_id = pool.pool_id().expect("a pool");
    assert_eq!(
        alb.user_pool_id(),
        pool_id,
        "the load balancer logs users in to the pool"
    );
    // `{kid}` is appended to the URL, with or without its trailing slash.
    let keys_url = keys.url().trim_end_matches('/').to_owned();
    let (name, service) = spawn_example_with(
        binary,
        &pool_id,
        &pool.client_id(),
        &jwks,
        &[
            ("COGNITO_ALB_ARN", alb.arn()),
            ("COGNITO_ALB_KEYS_URL", &keys_url),
        ],
    );
    let base = format!("http://{}", service.ready_line());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let data = alb.data_token().build();
        let me = get(&format!("{base}/me"), &[("x-amzn-oidc-data", &data)]).await;
        assert_eq!(me.0, 200, "{name}: {me:?}");
        // The same user's access token (without scopes) gets the same answer.
        let access = pool
            .access_token()
            .subject(alb.sub())
            .remove_claim("scope")
            .build();
        let as_access = get(
            &format!("{base}/me"),
            &[("authorization", &format!("Bearer {access}"))],
        )
        .await;
        assert_eq!(as_access.0, 200, "{name}: {as_access:?}");
        assert_eq!(me.2, as_access.2, "{name}");
        assert_eq!(
            me.2,
            json!({
                "sub": alb.sub(),
                "username": "testuser",
                "client_id": pool.client_id(),
                "scopes": [],
                "groups": [],
            }),
            "{name}"
        );

        // A route that needs a scope: the load balancer grants none.
        let orders = get(&format!("{base}/orders"), &[("x-amzn-oidc-data", &data)]).await;
        assert_eq!(orders.0, 403, "{name}: {orders:?}");
        // Not an ID token.
        let profile = get(&format!("{base}/profile"), &[("x-amzn-oidc-data", &data)]).await;
        assert_eq!(profile.0, 401, "{name}: {profile:?}");

        // Another load balancer's token, and a token that names it but is
        // signed by a stranger.
        let other = AlbIssuer::new().data_token().build();
        let refused = get(&format!("{base}/me"), &[("x-amzn-oidc-data", &other)]).await;
        assert_eq!(
            (refused.0, refused.2["error"].as_str()),
            (401, Some("invalid_token")),
            "{name}: {refused:?}"
        );
        assert_eq!(
            refused.2["error_description"],
            "the token was signed by a load balancer that is not trusted",
            "{name}"
        );
        let forged = alb
            .data_token()
            .sign_with(&cognito_jwt_testkit::SigningKey::ec_p256("stranger"))
            .build();
        let refused = get(&format!("{base}/me"), &[("x-amzn-oidc-data", &forged)]).await;
        assert_eq!(refused.0, 401, "{name}: {refused:?}");
        assert_eq!(
            refused.2["error_description"], "the token signature is invalid",
            "{name}"
        );

        // Both credentials at once: which user is it? 400.
        let both = get(
            &format!("{base}/me"),
            &[
                ("x-amzn-oidc-data", &data),
                ("authorization", &format!("Bearer {access}")),
            ],
        )
        .await;
        assert_eq!(both.0, 400, "{name}: {both:?}");

        // Without the header, the bearer token is used as before.
        let bare = get(&format!("{base}/me"), &[]).await;
        assert_eq!((bare.0, bare.1.as_deref()), (401, Some("Bearer")), "{name}");

        // An admin revokes the user (GlobalSignOut): the load balancer's
        // session still forwards fresh data tokens, and each is refused.
        let admin = pool.access_token().groups(&["admin"]).build();
        let revoked = crate::http_client()
            .post(format!("{base}/admin/revocations"))
            .bearer_auth(&admin)
            .json(&json!({"sub": alb.sub()}))
            .send()
            .await
            .expect("request");
        assert_eq!(revoked.status().as_u16(), 200, "{name}");
        let fresh = alb.data_token().build();
        let me = get(&format!("{base}/me"), &[("x-amzn-oidc-data", &fresh)]).await;
        assert_eq!(
            (me.0, &me.2),
            (
                401,
                &json!({"error": "invalid_token", "error_description": "the token has been revoked"})
            ),
            "{name}: a revoked user's data token"
        );
    });
    // One key, fetched once, for every request that needed it.
    assert_eq!(keys.fetch_count(), 1, "{name}");
    drop(service);
}

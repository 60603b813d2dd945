//! RFC 9728 over real HTTP through an example binary: the Protected
//! Resource Metadata document is published, and with `COGNITO_RESOURCE`
//! every challenge names it (`resource_metadata="…"`), as an MCP client's
//! discovery expects.

use std::path::Path;

use cognito_jwt_testkit::{JwksServer, TestIssuer};
use serde_json::{Value, json};

use crate::contract::spawn_example_with;

async fn get(url: &str) -> (u16, Option<String>, Value) {
    let response = crate::http_client().get(url).send().await.expect("request");
    let status = response.status().as_u16();
    let www = crate::www_authenticate(&response);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, www, body)
}

/// Walk both configurations of `binary`.
pub fn metadata_is_published(binary: &Path) {
    let issuer = TestIssuer::cognito();
    let jwks = JwksServer::start(&issuer);
    let pool = issuer.pool_id().expect("a pool");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Default: the document names this server; challenges do not name it.
    let (name, service) = spawn_example_with(binary, &pool, &issuer.client_id(), &jwks, &[]);
    let base = format!("http://{}", service.ready_line());
    runtime.block_on(async {
        let (status, www, body) =
            get(&format!("{base}/.well-known/oauth-protected-resource")).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(www, None, "{name}");
        assert_eq!(
            body,
            json!({
                "resource": base,
                "authorization_servers": [issuer.issuer()],
                "scopes_supported": ["orders/read", "orders/write"],
                "bearer_methods_supported": ["header"],
                "resource_name": "cognito-jwt example orders API",
            }),
            "{name}"
        );
        let (status, www, _) = get(&format!("{base}/me")).await;
        assert_eq!((status, www.as_deref()), (401, Some("Bearer")), "{name}");
    });
    drop(service);

    // COGNITO_RESOURCE: a resource at a path, named in every challenge.
    let resource = "https://api.example.com/orders";
    let env = [("COGNITO_RESOURCE", resource)];
    let (name, service) = spawn_example_with(binary, &pool, &issuer.client_id(), &jwks, &env);
    let base = format!("http://{}", service.ready_line());
    runtime.block_on(async {
        let metadata = "https://api.example.com/.well-known/oauth-protected-resource/orders";
        let (status, _, body) = get(&format!(
            "{base}/.well-known/oauth-protected-resource/orders"
        ))
        .await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(body["resource"], resource, "{name}");
        let (status, www, _) = get(&format!("{base}/me")).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(
            www,
            Some(format!(r#"Bearer resource_metadata="{metadata}""#)),
            "{name}"
        );
        let expired = issuer.access_token().expires_in(-3600).build();
        let response = crate::http_client()
            .get(format!("{base}/me"))
            .header("authorization", format!("Bearer {expired}"))
            .send()
            .await
            .expect("request");
        let www = crate::www_authenticate(&response).unwrap_or_default();
        assert!(
            www.starts_with(&format!(
                r#"Bearer resource_metadata="{metadata}", error="invalid_token""#
            )),
            "{name}: {www}"
        );
    });
}

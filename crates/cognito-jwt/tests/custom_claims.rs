//! Claims a pre-token-generation Lambda adds (V2 events may add arrays and
//! JSON objects to access tokens, not only strings): they verify, read back
//! exactly through `Claims::get`, and deserialize into your own type, while
//! the standard claims keep their strict types.

use cognito_jwt::{ClaimError, Error, Issuer, TokenUse, Verifier};
use cognito_jwt_testkit::TestIssuer;
use serde::Deserialize;
use serde_json::json;

fn verifier(pool: &TestIssuer) -> Verifier {
    Verifier::builder(Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()))
        .client_ids([pool.client_id()])
        .any_token_use()
        .build()
        .unwrap()
}

/// What such a Lambda adds, as an application declares it.
#[derive(Debug, Deserialize, PartialEq)]
struct Added {
    sub: String,
    #[serde(rename = "custom:roles")]
    roles: Vec<String>,
    tenant: Tenant,
    entitlements: Vec<Entitlement>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Tenant {
    id: String,
    plan: Plan,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Plan {
    tier: u8,
    trial: bool,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Entitlement {
    name: String,
    limits: Vec<u32>,
}

#[tokio::test]
async fn arrays_and_objects_added_to_access_tokens_read_back_exactly() {
    let pool = TestIssuer::cognito();
    let token = pool
        .access_token()
        .subject("alice")
        .claim("custom:roles", json!(["reader", "approver"]))
        .claim(
            "tenant",
            json!({"id": "acme", "plan": {"tier": 3, "trial": false}}),
        )
        .claim(
            "entitlements",
            json!([{"name": "exports", "limits": [10, 100]}, {"name": "api", "limits": []}]),
        )
        .claim("empty", json!({}))
        .claim("nothing", json!(null))
        .build();
    let claims = verifier(&pool).verify(&token).await.unwrap();
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(
        claims.get("custom:roles"),
        Some(&json!(["reader", "approver"]))
    );
    assert_eq!(claims.get("tenant").unwrap()["plan"]["tier"], json!(3));
    assert_eq!(claims.get("empty"), Some(&json!({})));
    assert_eq!(claims.get("nothing"), Some(&json!(null)));

    let added: Added = claims.deserialize().unwrap();
    assert_eq!(
        added,
        Added {
            sub: "alice".into(),
            roles: vec!["reader".into(), "approver".into()],
            tenant: Tenant {
                id: "acme".into(),
                plan: Plan {
                    tier: 3,
                    trial: false
                }
            },
            entitlements: vec![
                Entitlement {
                    name: "exports".into(),
                    limits: vec![10, 100]
                },
                Entitlement {
                    name: "api".into(),
                    limits: vec![]
                },
            ],
        }
    );
    // The typed view still reads the standard claims.
    let typed = claims.access_token().expect("an access token's typed view");
    assert_eq!(typed.sub, "alice");
    // And `verify_as` gives both at once.
    let (_, again) = verifier(&pool).verify_as::<Added>(&token).await.unwrap();
    assert_eq!(again.tenant.plan.tier, 3);
}

#[tokio::test]
async fn a_type_that_does_not_fit_is_a_claim_error_and_standard_claims_stay_strict() {
    let pool = TestIssuer::cognito();
    let v = verifier(&pool);
    // `tenant` is a string where the type wants an object.
    let token = pool.access_token().claim("tenant", "acme").build();
    let refused = v.verify_as::<Added>(&token).await.unwrap_err();
    assert!(
        matches!(refused, Error::Claim(ClaimError::Invalid { .. })),
        "{refused:?}"
    );
    assert_eq!(refused.kind(), "bad_claim");

    // A Lambda cannot turn a standard claim into an object.
    for (claim, value) in [
        ("client_id", json!({"id": "x"})),
        ("token_use", json!(["access"])),
        ("jti", json!(["a"])),
        ("origin_jti", json!({"a": 1})),
    ] {
        let token = pool.access_token().claim(claim, value.clone()).build();
        let refused = v.verify(&token).await.unwrap_err();
        assert_eq!(refused.class().status(), 401, "{claim}: {value}");
        assert!(matches!(refused, Error::Claim(_)), "{claim}: {refused:?}");
    }
    // Deeply nested added claims are read past like any other value.
    let deep = (0..64).fold(json!("leaf"), |inner, _| json!({"n": inner}));
    let token = pool.access_token().claim("deep", deep).build();
    assert!(v.verify(&token).await.is_ok());
}

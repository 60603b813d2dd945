//! End-to-end against moto's Cognito emulator: real user-pool tokens (ID,
//! access, refresh; two app clients; groups) checked over HTTP by both example
//! APIs, and by the core `Verifier` where moto cannot produce the case
//! (expired tokens: moto always issues 3600 s tokens, so the clock moves).

use cognito_jwt::Clock as _;
use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{ClaimError, Error, Issuer, ManualClock, SystemClock, TokenUse, Verifier};
use cognito_jwt_e2e::apps::{Answer, EXAMPLE_APPS, RunningApp, start_example};
use cognito_jwt_e2e::{Moto, MotoSeed};
use serde_json::json;

fn start_against_moto(name: &str, seed: &MotoSeed) -> RunningApp {
    start_example(
        name,
        &[
            ("COGNITO_USER_POOL_ID", &seed.user_pool_id),
            ("COGNITO_JWKS_URI", &seed.jwks_uri),
            ("COGNITO_CLIENT_IDS", &seed.client_id),
        ],
    )
}

/// Walks every moto check against example binary `name`; collects all
/// mismatches and panics once with them and the app's log tail.
async fn walk(name: &str) {
    let moto = Moto::shared();
    let seed = &moto.seed;
    let app = start_against_moto(name, seed);
    let alice = &seed.tokens.alice;
    let bob = &seed.tokens.bob;
    let alice_user = &seed.users["alice"];
    let mut failures: Vec<String> = Vec::new();
    let mut check = |what: &str, ok: bool, detail: String| {
        if !ok {
            failures.push(format!("{what}: {detail}"));
        }
    };
    let invalid_token = |a: &Answer| {
        a.status == 401
            && a.www
                .as_deref()
                .is_some_and(|w| w.starts_with("Bearer ") && w.contains(r#"error="invalid_token""#))
            && a.body["error"] == "invalid_token"
    };
    let show = |a: &Answer| format!("status {} www {:?} body {}", a.status, a.www, a.body);

    // Health, and no token at all: a bare challenge.
    let a = app.call("GET", "/health", None).await;
    check("GET /health", a.status == 200, show(&a));
    let a = app.call("GET", "/me", None).await;
    check(
        "no token → 401 bare Bearer",
        a.status == 401 && a.www.as_deref() == Some("Bearer"),
        show(&a),
    );

    // alice's access token on /me.
    let a = app.call("GET", "/me", Some(&alice.access)).await;
    check(
        "alice access → /me 200",
        a.status == 200
            && a.body["sub"] == json!(alice_user.sub)
            && a.body["username"] == "alice"
            && a.body["client_id"] == json!(seed.client_id)
            && a.body["groups"]
                .as_array()
                .is_some_and(|g| g.contains(&json!("admin")))
            && a.body["scopes"] == json!(["aws.cognito.signin.user.admin"]),
        show(&a),
    );

    // alice's ID token: /profile yes, /me no.
    let a = app.call("GET", "/profile", Some(&alice.id)).await;
    check(
        "alice ID → /profile 200",
        a.status == 200
            && a.body["sub"] == json!(alice_user.sub)
            && a.body["username"] == "alice"
            && a.body["email"] == json!(alice_user.email),
        show(&a),
    );
    let a = app.call("GET", "/me", Some(&alice.id)).await;
    check(
        "alice ID → /me 401 invalid_token",
        invalid_token(&a),
        show(&a),
    );
    let a = app.call("GET", "/profile", Some(&alice.access)).await;
    check(
        "alice access → /profile 401 invalid_token",
        invalid_token(&a),
        show(&a),
    );

    // Groups: alice is in admin, bob is not.
    let a = app.call("GET", "/admin", Some(&alice.access)).await;
    check(
        "alice → /admin 200",
        a.status == 200 && a.body["admin"] == true && a.body["sub"] == json!(alice_user.sub),
        show(&a),
    );
    let a = app.call("GET", "/admin", Some(&bob.access)).await;
    check(
        "bob → /admin 403 insufficient_scope",
        a.status == 403
            && a.www
                .as_deref()
                .is_some_and(|w| w.contains(r#"error="insufficient_scope""#))
            && a.body["error"] == "insufficient_scope",
        show(&a),
    );
    let a = app.call("GET", "/me", Some(&bob.access)).await;
    check(
        "bob → /me 200 (groups users)",
        a.status == 200 && a.body["username"] == "bob" && a.body["groups"] == json!(["users"]),
        show(&a),
    );

    // The second app client's tokens are refused: only client 1 is allowed.
    let other = &seed.tokens.alice_client2;
    for (what, path, token) in [
        ("alice_client2 access → /me 401", "/me", &other.access),
        ("alice_client2 ID → /profile 401", "/profile", &other.id),
    ] {
        let a = app.call("GET", path, Some(token)).await;
        check(
            what,
            invalid_token(&a)
                && a.body["error_description"]
                    == "the token was issued to a client that is not allowed",
            show(&a),
        );
    }

    // Refresh tokens are not bearer credentials here.
    for path in ["/me", "/profile"] {
        let a = app.call("GET", path, Some(&alice.refresh)).await;
        check(
            &format!("refresh token → {path} 401 invalid_token"),
            invalid_token(&a),
            show(&a),
        );
    }

    if !failures.is_empty() {
        panic!(
            "{name} against moto: {} check(s) failed:\n{}\n--- {} (tail) ---\n{}",
            failures.len(),
            failures.join("\n"),
            app.service.log_path().display(),
            app.service.log_tail(3000)
        );
    }
}

#[tokio::test]
async fn axum_api_against_moto() {
    assert_eq!(EXAMPLE_APPS[0], "axum-api");
    walk("axum-api").await;
}

#[tokio::test]
async fn actix_api_against_moto() {
    assert_eq!(EXAMPLE_APPS[1], "actix-api");
    walk("actix-api").await;
}

fn verifier(seed: &MotoSeed, token_use: TokenUse, clock: Option<ManualClock>) -> Verifier {
    let builder = Verifier::builder(Issuer::cognito(&seed.user_pool_id).jwks_url(&seed.jwks_uri))
        .client_ids([seed.client_id.clone()])
        .token_use(token_use);
    match clock {
        Some(clock) => builder.clock(clock).build(),
        None => builder.build(),
    }
    .expect("build verifier")
}

#[tokio::test]
async fn moto_tokens_verify_with_the_right_token_use() {
    let seed = &Moto::shared().seed;
    let alice = &seed.tokens.alice;
    let alice_user = &seed.users["alice"];

    let access = verifier(seed, TokenUse::Access, None);
    let claims = access
        .verify(&alice.access)
        .await
        .expect("alice access token");
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(claims.sub(), alice_user.sub);
    assert_eq!(claims.client_id(), Some(seed.client_id.as_str()));
    assert!(claims.in_group("admin"));
    let e = access
        .verify(&alice.id)
        .await
        .expect_err("ID token as access");
    assert!(matches!(e, Error::Claim(_)), "{e:?}");

    let id = verifier(seed, TokenUse::Id, None);
    let claims = id.verify(&alice.id).await.expect("alice ID token");
    assert_eq!(claims.token_use(), TokenUse::Id);
    let id_claims = claims.id_token().expect("typed ID token view");
    // moto sends `"email_verified": "true"` (a string), as Cognito does.
    assert_eq!(
        cognito_jwt_e2e::decode_payload(&alice.id)["email_verified"],
        json!("true")
    );
    assert_eq!(id_claims.email_verified, Some(true));
    assert_eq!(id_claims.email.as_deref(), Some(alice_user.email.as_str()));
    assert!(
        id.verify(&alice.access).await.is_err(),
        "access token as ID"
    );
}

#[tokio::test]
async fn moto_access_token_expires_under_a_moved_clock() {
    let seed = &Moto::shared().seed;
    let token = &seed.tokens.alice.access;
    let now = SystemClock.now();
    let later = verifier(
        seed,
        TokenUse::Access,
        Some(ManualClock::new(now + 3600 + 3600)),
    );
    match later.verify(token).await {
        Err(Error::Claim(ClaimError::Expired { exp, now: at })) => {
            assert_eq!(exp, cognito_jwt_e2e::decode_payload(token)["exp"]);
            assert_eq!(at, now + 7200);
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    // The same configuration with the real clock accepts it.
    let real = verifier(seed, TokenUse::Access, None);
    real.verify(token).await.expect("fresh moto access token");
}

/// Sessions ended as Cognito ends them: RevokeToken (moto lacks it, so the
/// application records the family it would revoke) and GlobalSignOut (moto
/// has it: the user's refresh tokens stop working there, and the
/// application records the sign-out time). The access and ID tokens of the
/// ended sessions are refused, also from the verified-token cache; tokens
/// of other sessions, and of a sign-in after the sign-out, still pass.
#[tokio::test]
async fn sessions_ended_as_cognito_ends_them_are_refused() {
    let moto = Moto::shared();
    // A pool of its own: GlobalSignOut must not end other tests' sessions.
    let seed = moto.seed_new_pool();
    let revocations = Revocations::new();
    let verifier = |token_use| {
        Verifier::builder(Issuer::cognito(&seed.user_pool_id).jwks_url(&seed.jwks_uri))
            .client_ids([seed.client_id.clone(), seed.client2_id.clone()])
            .token_use(token_use)
            .revocations(revocations.clone())
            .build()
            .expect("build verifier")
    };
    let (access, id) = (verifier(TokenUse::Access), verifier(TokenUse::Id));
    let t = &seed.tokens;
    // (what, token, its kind)
    let alice_session = [
        ("alice's access token", &t.alice.access, &access),
        ("alice's ID token", &t.alice.id, &id),
        (
            "alice's renewed access token",
            &t.alice_refreshed.access,
            &access,
        ),
        ("alice's renewed ID token", &t.alice_refreshed.id, &id),
    ];
    let alice_other = [
        (
            "alice's other session (client 2), access",
            &t.alice_client2.access,
            &access,
        ),
        (
            "alice's other session (client 2), ID",
            &t.alice_client2.id,
            &id,
        ),
    ];
    let bob_session = [
        ("bob's access token", &t.bob.access, &access),
        ("bob's ID token", &t.bob.id, &id),
    ];
    let all = || alice_session.iter().chain(&alice_other).chain(&bob_session);
    for (what, token, v) in all() {
        // Twice: the second answer is the verified-token cache's.
        for _ in 0..2 {
            v.verify(token)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    }

    // alice signs out of her client-1 session: the application revokes the
    // family of the session's tokens (the `origin_jti` both tokens carry).
    let family = access
        .verify(&t.alice.access)
        .await
        .unwrap()
        .origin_jti()
        .expect("moto access tokens carry origin_jti")
        .to_owned();
    let alice_id_family = id.verify(&t.alice.id).await.unwrap();
    assert_eq!(alice_id_family.origin_jti(), Some(family.as_str()));
    revocations.revoke(Revocation::family(family));

    // bob signs out everywhere: GlobalSignOut on moto, whose refresh then
    // fails, and the application records the time.
    moto.refresh(&seed.client_id, &t.bob.refresh)
        .await
        .expect("bob's refresh token works before the sign-out");
    moto.cognito("GlobalSignOut", json!({ "AccessToken": t.bob.access }))
        .await
        .expect("GlobalSignOut");
    assert_eq!(
        moto.refresh(&seed.client_id, &t.bob.refresh).await,
        Err("NotAuthorizedException".to_owned()),
        "moto ended bob's sessions"
    );
    let bob_sub = &seed.users["bob"].sub;
    revocations.revoke(Revocation::subject_until(bob_sub, SystemClock.now()));

    for (what, token, v) in alice_session {
        assert_eq!(
            v.verify(token).await.map(|_| ()),
            Err(Error::Revoked { rule: "family" }),
            "{what}"
        );
    }
    for (what, token, v) in bob_session {
        assert_eq!(
            v.verify(token).await.map(|_| ()),
            Err(Error::Revoked { rule: "subject" }),
            "{what}"
        );
    }
    for (what, token, v) in alice_other {
        v.verify(token)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }

    // bob signs in again, in a later second than the sign-out (a token of
    // the same second counts as issued before it): the new tokens pass.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = moto
        .sign_in(&seed.client_id, "bob", &seed.users["bob"].password)
        .await;
    access
        .verify(&again.access)
        .await
        .expect("bob's new access token");
    id.verify(&again.id).await.expect("bob's new ID token");
}

/// The same sessions ended through the example APIs' own routes: alice
/// signs out (`POST /logout` with her access token), bob is signed out
/// everywhere on moto (GlobalSignOut) and by an admin through `POST
/// /admin/revocations`; each API then refuses those sessions' tokens
/// while a new session passes.
#[tokio::test]
async fn sessions_ended_through_the_example_apis_are_refused() {
    let moto = Moto::shared();
    for name in EXAMPLE_APPS {
        let seed = moto.seed_new_pool();
        let app = start_against_moto(name, &seed);
        let t = &seed.tokens;
        let status = |a: Answer| a.status;
        assert_eq!(
            status(app.call("GET", "/me", Some(&t.alice.access)).await),
            200,
            "{name}"
        );
        assert_eq!(
            status(app.call("GET", "/profile", Some(&t.alice.id)).await),
            200,
            "{name}"
        );
        assert_eq!(
            status(app.call("GET", "/me", Some(&t.bob.access)).await),
            200,
            "{name}"
        );

        // alice signs out of this session.
        let out = app.call("POST", "/logout", Some(&t.alice.access)).await;
        assert_eq!(out.status, 200, "{name}: {:?}", out.body);
        assert_eq!(out.body["revoked"]["rule"], "family", "{name}");
        for (what, path, token) in [
            ("access", "/me", &t.alice.access),
            ("ID", "/profile", &t.alice.id),
            ("renewed access", "/me", &t.alice_refreshed.access),
        ] {
            let refused = app.call("GET", path, Some(token)).await;
            assert_eq!(refused.status, 401, "{name}: alice's {what} token");
            assert_eq!(
                refused.body["error_description"], "the token has been revoked",
                "{name}: alice's {what} token"
            );
        }

        // bob is signed out everywhere: on moto, then by an admin (alice,
        // signed in again: a new session of group admin).
        moto.cognito("GlobalSignOut", json!({ "AccessToken": t.bob.access }))
            .await
            .expect("GlobalSignOut");
        let admin = moto
            .sign_in(&seed.client_id, "alice", &seed.users["alice"].password)
            .await;
        let response = cognito_jwt_e2e::http_client()
            .post(app.url("/admin/revocations"))
            .header("authorization", format!("Bearer {}", admin.access))
            .header("content-type", "application/json")
            .body(json!({ "sub": seed.users["bob"].sub }).to_string())
            .send()
            .await
            .expect("admin revocation");
        assert_eq!(response.status().as_u16(), 200, "{name}");
        assert_eq!(
            status(app.call("GET", "/me", Some(&t.bob.access)).await),
            401,
            "{name}"
        );
        assert_eq!(
            status(app.call("GET", "/profile", Some(&t.bob.id)).await),
            401,
            "{name}"
        );
        // alice's new session passes.
        assert_eq!(
            status(app.call("GET", "/me", Some(&admin.access)).await),
            200,
            "{name}"
        );
    }
}

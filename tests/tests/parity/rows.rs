//! The table of [`super`]: every request, with the answer every adapter
//! must give it. Append a row to add a case; it runs through each adapter.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_jwt::{ClaimError, Error, MalformedToken, Segment};
use cognito_jwt_testkit::SigningKey;

use super::App::{
    KeysDown, NoMiddleware, Optional, Realm, Required, ResourceMetadata, RevocationsStale, Revoking,
};
use super::Route::{
    Admin, Admins, Any, Custom, Maybe, MaybeAny, MaybeOption, Me, Orders, OrdersAll, Policy,
    Profile, Tenant, Write,
};
use super::{App, Expect, Kit, Route, Row};
use super::{REVOKED_FAMILY, SIGNED_OUT};

type Headers = Vec<(&'static str, String)>;

fn row(what: &'static str, app: App, route: Route, headers: Headers, expect: Expect) -> Row {
    Row {
        what,
        app,
        route,
        headers,
        expect,
    }
}

/// 200 from the handler, with this body.
fn ok(body: &'static str) -> Expect {
    Expect::Ok(body)
}

/// `status`, with the core's challenge for `error`.
fn refused(status: u16, error: impl Into<Error>) -> Expect {
    Expect::Refused(status, error.into())
}

/// `Authorization: <value>`, as sent.
fn authorization(value: impl Into<String>) -> Headers {
    vec![("authorization", value.into())]
}

/// `Authorization: Bearer <token>`.
fn bearer(token: &str) -> Headers {
    authorization(format!("Bearer {token}"))
}

fn none() -> Headers {
    Vec::new()
}

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(secs).expect("in range")
}

// The errors of the table. Only their class, fixed description, named
// scopes and retry delay reach a response; the values they carry for logs
// do not, so those are placeholders here.

fn malformed_credentials() -> Error {
    Error::MalformedCredentials("(any syntax error of the Authorization header)")
}

fn wrong_token_use(expected: &'static str, actual: &str) -> Error {
    ClaimError::WrongTokenUse {
        expected,
        actual: actual.to_owned(),
    }
    .into()
}

fn insufficient_scope(required: &[&str], all: bool) -> Error {
    Error::InsufficientScope {
        required: required.iter().map(|s| (*s).to_owned()).collect(),
        all,
    }
}

fn missing_group(required: &[&str]) -> Error {
    Error::MissingGroup {
        required: required.iter().map(|s| (*s).to_owned()).collect(),
        all: false,
    }
}

/// What `ClaimsAs<T>` answers for claims that do not fit `T`.
fn claims_do_not_fit() -> Error {
    ClaimError::Invalid {
        claim: "(custom claims type)",
        expected: "claims matching the requested type",
    }
    .into()
}

fn expired() -> Error {
    ClaimError::Expired { exp: 0, now: 0 }.into()
}

fn not_configured() -> Error {
    Error::Misconfigured("no authentication middleware before this route")
}

/// Every request of the parity test.
pub fn table(kit: &Kit) -> Vec<Row> {
    let issuer = &kit.issuer;
    let access = || issuer.access_token();
    let id = || issuer.id_token();
    let good = access().build();
    let id_token = id().build();
    let id_admin = id().groups(&["admin"]).build();
    let read = access().scopes(&["openid", "orders/read"]).build();
    let expired_token = access().expires_in(-3600).build();
    let foreign_key = SigningKey::rsa(cognito_jwt_testkit::DEFAULT_KID);
    let tenant = |name: &str| access().claim("custom:tenant", name).build();

    vec![
        // The Authorization header.
        row(
            "no Authorization header",
            Required,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        row(
            "a valid access token",
            Required,
            Me,
            bearer(&good),
            ok("me"),
        ),
        row(
            "lowercase scheme `bearer`: schemes are case-insensitive (RFC 9110 §11.1)",
            Required,
            Me,
            authorization(format!("bearer {good}")),
            ok("me"),
        ),
        row(
            "uppercase scheme `BEARER`",
            Required,
            Me,
            authorization(format!("BEARER {good}")),
            ok("me"),
        ),
        row(
            "`Bearer` with no token",
            Required,
            Me,
            authorization("Bearer"),
            refused(400, malformed_credentials()),
        ),
        row(
            "two Authorization headers",
            Required,
            Me,
            [bearer(&good), bearer(&good)].concat(),
            refused(400, Error::MultipleCredentials),
        ),
        row(
            "`Bearer a b`: a space inside the token",
            Required,
            Me,
            authorization("Bearer a b"),
            refused(400, malformed_credentials()),
        ),
        row(
            "`Bearer\\t<token>`: a tab is not the separator",
            Required,
            Me,
            authorization(format!("Bearer\t{good}")),
            refused(400, malformed_credentials()),
        ),
        row(
            "`Bearer  <token>`: two spaces",
            Required,
            Me,
            authorization(format!("Bearer  {good}")),
            refused(400, malformed_credentials()),
        ),
        row(
            "`Bearer \"<token>\"`: a quote is not a b64token character",
            Required,
            Me,
            authorization(format!("Bearer \"{good}\"")),
            refused(400, malformed_credentials()),
        ),
        row(
            "`Basic …`: another scheme carries no bearer token",
            Required,
            Me,
            authorization("Basic dXNlcjpwYXNz"),
            refused(401, Error::MissingToken),
        ),
        row(
            "an empty Authorization header",
            Required,
            Me,
            authorization(""),
            refused(401, Error::MissingToken),
        ),
        row(
            "`Bearer:<token>`: a colon is not the separator",
            Required,
            Me,
            authorization(format!("Bearer:{good}")),
            refused(400, malformed_credentials()),
        ),
        row(
            "a Bearer and a Basic Authorization header",
            Required,
            Me,
            [bearer(&good), authorization("Basic dXNlcjpwYXNz")].concat(),
            refused(400, Error::MultipleCredentials),
        ),
        row(
            "two tokens in one header, comma-separated",
            Required,
            Me,
            authorization(format!("Bearer {good}, Bearer {good}")),
            refused(400, malformed_credentials()),
        ),
        // The token.
        row(
            "a token of one segment",
            Required,
            Me,
            bearer("abc"),
            refused(401, MalformedToken::SegmentCount { found: 1 }),
        ),
        row(
            "a token whose segments are not base64url JSON",
            Required,
            Me,
            bearer("a.b.c"),
            refused(401, MalformedToken::Base64(Segment::Header)),
        ),
        row(
            "an expired token",
            Required,
            Me,
            bearer(&expired_token),
            refused(401, expired()),
        ),
        row(
            "a token not yet valid (`nbf` in an hour)",
            Required,
            Me,
            bearer(&access().not_before(now() + 3600).build()),
            refused(401, ClaimError::NotYetValid { nbf: 0, now: 0 }),
        ),
        row(
            "a token of an app client not allowed",
            Required,
            Me,
            bearer(&access().client_id("someotherclient0000000000").build()),
            refused(
                401,
                ClaimError::ClientNotAllowed {
                    client_id: String::new(),
                },
            ),
        ),
        row(
            "a token of an untrusted issuer",
            Required,
            Me,
            bearer(
                &access()
                    .claim(
                        "iss",
                        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Elsewhere",
                    )
                    .build(),
            ),
            refused(401, ClaimError::UntrustedIssuer { iss: String::new() }),
        ),
        row(
            "a token whose payload was changed after signing",
            Required,
            Me,
            bearer(&access().tamper_payload().build()),
            refused(401, Error::InvalidSignature),
        ),
        row(
            "a token signed by another key under the published kid",
            Required,
            Me,
            bearer(&access().sign_with(&foreign_key).build()),
            refused(401, Error::InvalidSignature),
        ),
        row(
            "a token of an unknown kid",
            Required,
            Me,
            bearer(&access().kid("no-such-key").build()),
            refused(401, Error::UnknownKey { kid: String::new() }),
        ),
        // Token use.
        row(
            "an ID token on an access-token route (`AccessToken`)",
            Required,
            Me,
            bearer(&id_token),
            refused(401, wrong_token_use("access", "id")),
        ),
        row(
            "an access token on an ID-token route (`IdToken`)",
            Required,
            Profile,
            bearer(&good),
            refused(401, wrong_token_use("id", "access")),
        ),
        row(
            "an ID token on an ID-token route",
            Required,
            Profile,
            bearer(&id_token),
            ok("profile"),
        ),
        row(
            "an ID token on `Authenticated`",
            Required,
            Any,
            bearer(&id_token),
            ok("any"),
        ),
        row(
            "an access token on `Authenticated`",
            Required,
            Any,
            bearer(&good),
            ok("any"),
        ),
        // Scopes (`Require` layers).
        row(
            "the scope a `Require` asks for",
            Required,
            Orders,
            bearer(&read),
            ok("orders"),
        ),
        row(
            "a missing scope: 403 naming it",
            Required,
            Orders,
            bearer(&good),
            refused(403, insufficient_scope(&["orders/read"], false)),
        ),
        row(
            "an ID token on a scope route",
            Required,
            Orders,
            bearer(&id_token),
            refused(401, wrong_token_use("access", "id")),
        ),
        row(
            "all of the scopes `all_scopes` asks for",
            Required,
            OrdersAll,
            bearer(&access().scopes(&["orders/read", "orders/write"]).build()),
            ok("orders-all"),
        ),
        row(
            "one of two `all_scopes` missing: 403 naming both",
            Required,
            OrdersAll,
            bearer(&read),
            refused(
                403,
                insufficient_scope(&["orders/read", "orders/write"], true),
            ),
        ),
        // Groups.
        row(
            "the group a `Require` asks for",
            Required,
            Admins,
            bearer(&access().groups(&["admin"]).build()),
            ok("admins"),
        ),
        row(
            "a missing group (`Require`)",
            Required,
            Admins,
            bearer(&access().groups(&["users"]).build()),
            refused(403, missing_group(&["admin"])),
        ),
        row(
            "`RequireGroup<Admins>` met by an ID token",
            Required,
            Admin,
            bearer(&id_admin),
            ok("admin"),
        ),
        row(
            "`RequireGroup<Admins>` without the group",
            Required,
            Admin,
            bearer(&good),
            refused(403, missing_group(&["admin"])),
        ),
        // `RequireScope<S>`.
        row(
            "`RequireScope<OrdersWrite>` met",
            Required,
            Write,
            bearer(&access().scopes(&["orders/write"]).build()),
            ok("write"),
        ),
        row(
            "`RequireScope<OrdersWrite>` without the scope",
            Required,
            Write,
            bearer(&read),
            refused(403, insufficient_scope(&["orders/write"], false)),
        ),
        row(
            "`RequireScope<OrdersWrite>` with an ID token",
            Required,
            Write,
            bearer(&id_admin),
            refused(401, wrong_token_use("access", "id")),
        ),
        // `Authorized<P>`.
        row(
            "`Authorized<Editors>` met",
            Required,
            Policy,
            bearer(
                &access()
                    .scopes(&["orders/write"])
                    .groups(&["editors"])
                    .build(),
            ),
            ok("policy"),
        ),
        row(
            "`Authorized<Editors>` with the scope, not the group",
            Required,
            Policy,
            bearer(&access().scopes(&["orders/write"]).build()),
            refused(403, missing_group(&["editors"])),
        ),
        row(
            "`Authorized<Editors>` without the scope",
            Required,
            Policy,
            bearer(&access().groups(&["editors"]).build()),
            refused(403, insufficient_scope(&["orders/write"], false)),
        ),
        row(
            "`Authorized<Editors>` with an ID token",
            Required,
            Policy,
            bearer(&id().groups(&["editors"]).build()),
            refused(401, wrong_token_use("access", "id")),
        ),
        // Custom requirement.
        row(
            "`.check(…)` passes",
            Required,
            Custom,
            bearer(&tenant("acme")),
            ok("custom"),
        ),
        row(
            "`.check(…)` fails: 403, its reason only logged",
            Required,
            Custom,
            bearer(&tenant("globex")),
            refused(403, Error::Forbidden(String::new())),
        ),
        // `ClaimsAs<T>`.
        row(
            "`ClaimsAs<Tenant>` fits",
            Required,
            Tenant,
            bearer(&tenant("acme")),
            ok("tenant-acme"),
        ),
        row(
            "`ClaimsAs<Tenant>` with an array and an object a pre-token Lambda added",
            Required,
            Tenant,
            bearer(
                &access()
                    .claim("custom:tenant", "acme")
                    .claim("roles", serde_json::json!(["reader", "approver"]))
                    .claim("plan", serde_json::json!({"tier": 3, "trial": false}))
                    .build(),
            ),
            ok("tenant-acme roles=reader,approver tier=3 trial=false"),
        ),
        row(
            "`ClaimsAs<Tenant>` with an object where the array belongs",
            Required,
            Tenant,
            bearer(
                &access()
                    .claim("custom:tenant", "acme")
                    .claim("roles", serde_json::json!({"reader": true}))
                    .build(),
            ),
            refused(401, claims_do_not_fit()),
        ),
        row(
            "`ClaimsAs<Tenant>` without the claim",
            Required,
            Tenant,
            bearer(&good),
            refused(401, claims_do_not_fit()),
        ),
        row(
            "`ClaimsAs<Tenant>` with a number for a string",
            Required,
            Tenant,
            bearer(&access().claim("custom:tenant", 42).build()),
            refused(401, claims_do_not_fit()),
        ),
        // gRPC answers are opt-in (`CognitoAuth::grpc`).
        row(
            "`content-type: application/grpc` on a REST route: the HTTP answer",
            Required,
            Me,
            [
                vec![("content-type", "application/grpc".to_owned())],
                none(),
            ]
            .concat(),
            refused(401, Error::MissingToken),
        ),
        row(
            "`content-type: application/grpc` and a token short of the scope on a REST route",
            Required,
            Orders,
            [
                vec![("content-type", "application/grpc".to_owned())],
                bearer(&good),
            ]
            .concat(),
            refused(403, insufficient_scope(&["orders/read"], false)),
        ),
        row(
            "`content-type: application/grpc+proto` on a REST route: the HTTP answer",
            Required,
            Any,
            [
                vec![("content-type", "application/grpc+proto".to_owned())],
                none(),
            ]
            .concat(),
            refused(401, Error::MissingToken),
        ),
        // Optional mode.
        row(
            "optional, no token: the handler runs",
            Optional,
            Maybe,
            none(),
            ok("anonymous"),
        ),
        row(
            "optional, a good token",
            Optional,
            Maybe,
            bearer(&good),
            ok("maybe-me"),
        ),
        row(
            "optional, an expired token",
            Optional,
            Maybe,
            bearer(&expired_token),
            refused(401, expired()),
        ),
        row(
            "optional, an ID token on `Optional<AccessToken>`",
            Optional,
            Maybe,
            bearer(&id_token),
            refused(401, wrong_token_use("access", "id")),
        ),
        row(
            "optional, an ID token on axum's `Option<AccessToken>`",
            Optional,
            MaybeOption,
            bearer(&id_token),
            refused(401, wrong_token_use("access", "id")),
        ),
        row(
            "optional, no token on axum's `Option<AccessToken>`",
            Optional,
            MaybeOption,
            none(),
            ok("anonymous"),
        ),
        row(
            "optional, no token on `Optional<Authenticated>`",
            Optional,
            MaybeAny,
            none(),
            ok("anonymous"),
        ),
        row(
            "optional, an ID token on `Optional<Authenticated>`",
            Optional,
            MaybeAny,
            bearer(&id_token),
            ok("maybe-any"),
        ),
        row(
            "optional, `Basic …` is no bearer token: anonymous",
            Optional,
            Maybe,
            authorization("Basic dXNlcjpwYXNz"),
            ok("anonymous"),
        ),
        row(
            "optional, a malformed header is refused, not anonymous",
            Optional,
            Maybe,
            authorization("Bearer a b"),
            refused(400, malformed_credentials()),
        ),
        row(
            "optional, no token on a plain `AccessToken`",
            Optional,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        row(
            "optional, no token on a `Require` route",
            Optional,
            Orders,
            none(),
            refused(401, Error::MissingToken),
        ),
        row(
            "optional, a good token on a `Require` route",
            Optional,
            Orders,
            bearer(&read),
            ok("orders"),
        ),
        // A realm.
        row(
            "realm, no token",
            Realm,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        row(
            "realm, an expired token",
            Realm,
            Me,
            bearer(&expired_token),
            refused(401, expired()),
        ),
        row(
            "realm, a missing scope",
            Realm,
            Orders,
            bearer(&good),
            refused(403, insufficient_scope(&["orders/read"], false)),
        ),
        row(
            "realm, a malformed header",
            Realm,
            Me,
            authorization("Bearer a b"),
            refused(400, malformed_credentials()),
        ),
        row("realm, a valid token", Realm, Me, bearer(&good), ok("me")),
        // Keys unavailable: 503 with Retry-After, no challenge.
        row(
            "keys unavailable, a token of an unknown kid",
            KeysDown,
            Me,
            bearer(&access().kid("rotated-key-2").build()),
            refused(
                503,
                Error::KeysUnavailable {
                    issuer: String::new(),
                    reason: String::new(),
                    retry_after: Duration::from_secs(1),
                },
            ),
        ),
        row(
            "keys unavailable, no token: 401 all the same",
            KeysDown,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        // RFC 9728: challenges name the resource's metadata document.
        row(
            "resource metadata, no token",
            ResourceMetadata,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        row(
            "resource metadata, an expired token",
            ResourceMetadata,
            Me,
            bearer(&access().expires_in(-3600).build()),
            refused(401, ClaimError::Expired { exp: 0, now: 0 }),
        ),
        row(
            "resource metadata, a missing scope",
            ResourceMetadata,
            Orders,
            bearer(&good),
            refused(
                403,
                Error::InsufficientScope {
                    required: vec!["orders/read".into()],
                    all: false,
                },
            ),
        ),
        row(
            "resource metadata, a valid token",
            ResourceMetadata,
            Me,
            bearer(&good),
            ok("me"),
        ),
        // Revocation: a revoked token is 401 invalid_token, from the
        // verifier and from its cache alike (each row is sent twice).
        row(
            "revoked family, its access token",
            Revoking,
            Me,
            bearer(&access().claim("origin_jti", REVOKED_FAMILY).build()),
            refused(401, Error::Revoked { rule: "family" }),
        ),
        row(
            "revoked family, its ID token",
            Revoking,
            Profile,
            bearer(&id().claim("origin_jti", REVOKED_FAMILY).build()),
            refused(401, Error::Revoked { rule: "family" }),
        ),
        row(
            "revoked family, a route with a scope rule",
            Revoking,
            Orders,
            bearer(
                &access()
                    .claim("origin_jti", REVOKED_FAMILY)
                    .scopes(&["orders/read"])
                    .build(),
            ),
            refused(401, Error::Revoked { rule: "family" }),
        ),
        row(
            "signed-out user, a token issued before",
            Revoking,
            Me,
            bearer(&access().subject(SIGNED_OUT).build()),
            refused(401, Error::Revoked { rule: "subject" }),
        ),
        row(
            "revocations in force, another session",
            Revoking,
            Me,
            bearer(&access().claim("origin_jti", "another-family").build()),
            ok("me"),
        ),
        // A store-kept revocation list that is out of date: 503, as when
        // keys are unavailable (the token may be good).
        row(
            "revocation list out of date, a valid token",
            RevocationsStale,
            Me,
            bearer(&good),
            refused(
                503,
                Error::RevocationsUnavailable {
                    age: None,
                    retry_after: Duration::from_secs(5),
                },
            ),
        ),
        row(
            "revocation list out of date, no token: 401 all the same",
            RevocationsStale,
            Me,
            none(),
            refused(401, Error::MissingToken),
        ),
        // No middleware: a server bug, 500, never the handler.
        row(
            "no middleware, an extractor, no token",
            NoMiddleware,
            Me,
            none(),
            refused(500, not_configured()),
        ),
        row(
            "no middleware, an extractor, a valid token",
            NoMiddleware,
            Me,
            bearer(&good),
            refused(500, not_configured()),
        ),
        row(
            "no middleware, `Require`, a valid token",
            NoMiddleware,
            Orders,
            bearer(&read),
            refused(500, not_configured()),
        ),
        row(
            "no middleware, `Optional<AccessToken>`",
            NoMiddleware,
            Maybe,
            none(),
            refused(500, not_configured()),
        ),
        // gRPC answers are opt-in (`CognitoAuth::grpc`): with no middleware
        // nobody opted in, so a gRPC content type gets the HTTP 500 too.
        row(
            "no middleware, `content-type: application/grpc` on a REST extractor route",
            NoMiddleware,
            Me,
            vec![("content-type", "application/grpc".to_owned())],
            refused(500, not_configured()),
        ),
        row(
            "no middleware, `content-type: application/grpc` on a `Require` REST route",
            NoMiddleware,
            Orders,
            vec![("content-type", "application/grpc".to_owned())],
            refused(500, not_configured()),
        ),
    ]
}

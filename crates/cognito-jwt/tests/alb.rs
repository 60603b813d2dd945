//! The ALB data token verifier against hostile tokens and a misbehaving key
//! server: each row names the exact error a user (and a log) sees.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use cognito_jwt::{
    AlbKeyOptions, AlbVerifier, ClaimError, Error, ErrorClass, HeaderError, Issuer, MalformedToken,
    Segment, TokenUse, Verifier,
};
use cognito_jwt_testkit::{AlbIssuer, AlbKeyServer, Mode, SigningKey, TestIssuer};

const OTHER_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef";

fn verifier(alb: &AlbIssuer, server: &AlbKeyServer, options: AlbKeyOptions) -> AlbVerifier {
    AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(server.url())
        .key_options(options)
        .build()
        .expect("a valid configuration")
}

/// Replace segment `i` of a token.
fn with_segment(token: &str, i: usize, segment: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[i] = segment.to_owned();
    parts.join(".")
}

#[tokio::test]
async fn hostile_data_tokens_get_their_exact_error() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let before_rotation = alb.data_token();
    let new_key = alb.rotate();
    let valid = alb.data_token().build();

    // A token whose payload was swapped for another (signed) one's.
    let tampered = with_segment(
        &valid,
        1,
        valid_payload_of(&alb.data_token().claim("username", "admin").build()),
    );
    let rfc7515 = alb.data_token().unpadded().build();
    // A 64-byte signature needs `==`: one `=` is neither encoding.
    let signature = valid.split('.').nth(2).unwrap_or_default();
    assert!(signature.ends_with("=="));
    // Signed segments of our own making, for what the builder cannot write.
    let signed = |header: &str, payload: &str| {
        let input = format!("{}.{}", URL_SAFE.encode(header), URL_SAFE.encode(payload));
        let signature = URL_SAFE.encode(alb.current_key().sign(input.as_bytes()));
        format!("{input}.{signature}")
    };
    let header_json = format!(
        r#"{{"alg":"ES256","kid":"{}","signer":"{}","client":"{}","iss":"{}","exp":{}}}"#,
        new_key.kid(),
        alb.arn(),
        alb.client_id(),
        alb.issuer(),
        i64::MAX / 2,
    );
    let duplicate_alg = header_json.replacen('{', r#"{"alg":"ES256","#, 1);
    let nbf = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        + 3600;
    let half_padded = with_segment(&valid, 2, signature.trim_end_matches('=')) + "=";

    let rows: Vec<(&str, String, Error)> = vec![
        (
            "wrong signer",
            alb.data_token().header("signer", OTHER_ARN).build(),
            Error::UntrustedSigner {
                signer: OTHER_ARN.into(),
            },
        ),
        (
            "wrong client",
            alb.data_token().header("client", "someoneelse").build(),
            ClaimError::ClientNotAllowed {
                client_id: "someoneelse".into(),
            }
            .into(),
        ),
        (
            "wrong issuer in the header",
            alb.data_token()
                .header("iss", "https://evil.example.com")
                .build(),
            ClaimError::UntrustedIssuer {
                iss: "https://evil.example.com".into(),
            }
            .into(),
        ),
        (
            "wrong issuer in the payload",
            alb.data_token()
                .claim("iss", "https://evil.example.com")
                .build(),
            ClaimError::UntrustedIssuer {
                iss: "https://evil.example.com".into(),
            }
            .into(),
        ),
        (
            "signed by the key of another kid",
            before_rotation.clone().sign_with(&new_key).build(),
            Error::InvalidSignature,
        ),
        (
            "signed by a key the load balancer never had",
            alb.data_token()
                .sign_with(&SigningKey::ec_p256("stranger"))
                .build(),
            Error::InvalidSignature,
        ),
        ("payload swapped", tampered, Error::InvalidSignature),
        (
            "alg RS256",
            alb.data_token().header("alg", "RS256").build(),
            HeaderError::AlgorithmNotAllowed {
                alg: "RS256".into(),
            }
            .into(),
        ),
        (
            "alg none",
            alb.data_token().header("alg", "none").build(),
            HeaderError::AlgorithmNotAllowed { alg: "none".into() }.into(),
        ),
        (
            "alg ES384",
            alb.data_token().header("alg", "ES384").build(),
            HeaderError::AlgorithmNotAllowed {
                alg: "ES384".into(),
            }
            .into(),
        ),
        (
            "alg HS256",
            alb.data_token().header("alg", "HS256").build(),
            HeaderError::AlgorithmNotAllowed {
                alg: "HS256".into(),
            }
            .into(),
        ),
        (
            "no alg",
            alb.data_token().remove_header("alg").build(),
            HeaderError::MissingAlgorithm.into(),
        ),
        (
            "expired an hour ago",
            alb.data_token().expires_in(-3600).build(),
            // The exact times are checked below.
            ClaimError::Expired { exp: 0, now: 0 }.into(),
        ),
        (
            "header valid, payload expired",
            alb.data_token().claim("exp", 1_000_000_000).build(),
            // The earlier exp, the payload's, is the one named.
            ClaimError::Expired {
                exp: 1_000_000_000,
                now: 0,
            }
            .into(),
        ),
        (
            "nbf an hour ahead",
            alb.data_token().claim("nbf", nbf).build(),
            ClaimError::NotYetValid { nbf, now: 0 }.into(),
        ),
        (
            "a duplicate header member",
            with_segment(&valid, 0, &URL_SAFE.encode(&duplicate_alg)),
            MalformedToken::DuplicateMember {
                segment: Segment::Header,
                name: "alg".into(),
            }
            .into(),
        ),
        (
            "crit in the header",
            alb.data_token().header("crit", vec!["exp"]).build(),
            HeaderError::CriticalExtension.into(),
        ),
        (
            "kid over 256 bytes",
            alb.data_token().header("kid", "a".repeat(257)).build(),
            HeaderError::KeyIdNotPathSegment.into(),
        ),
        (
            "kid `...` (not a dot segment: fetched, and unknown)",
            alb.data_token().header("kid", "...").build(),
            Error::UnknownKey { kid: "...".into() },
        ),
        (
            "longer than max_token_bytes",
            "a".repeat(16 * 1024 + 1),
            Error::TokenTooLarge {
                size: 16 * 1024 + 1,
                max: 16 * 1024,
            },
        ),
        (
            "an empty payload segment",
            with_segment(&valid, 1, ""),
            MalformedToken::EmptySegment(Segment::Payload).into(),
        ),
        (
            "four segments",
            format!("{valid}.AAAA"),
            MalformedToken::SegmentCount { found: 4 }.into(),
        ),
        (
            "no client",
            alb.data_token().remove_header("client").build(),
            HeaderError::MissingAlbField("client").into(),
        ),
        (
            "no iss in the header",
            alb.data_token().remove_header("iss").build(),
            HeaderError::MissingAlbField("iss").into(),
        ),
        (
            "a float exp",
            alb.data_token().header("exp", 1.9e9).build(),
            HeaderError::MissingAlbField("exp").into(),
        ),
        (
            "a payload that is not an object",
            signed(&header_json, "[1]"),
            MalformedToken::NotAnObject(Segment::Payload).into(),
        ),
        (
            "half the padding on the signature",
            half_padded,
            MalformedToken::AlbBase64(Segment::Signature).into(),
        ),
        (
            "unpadded, with `=` inside",
            with_segment(
                &rfc7515,
                2,
                &format!("A={}", &rfc7515.split('.').nth(2).unwrap_or_default()[2..]),
            ),
            MalformedToken::AlbBase64(Segment::Signature).into(),
        ),
        (
            "a third `=` on the signature",
            format!("{valid}="),
            MalformedToken::AlbBase64(Segment::Signature).into(),
        ),
        (
            "padding where none is needed",
            with_segment(
                &valid,
                0,
                &format!("{}====", valid.split('.').next().unwrap_or_default()),
            ),
            MalformedToken::AlbBase64(Segment::Header).into(),
        ),
        (
            "standard base64 alphabet",
            with_segment(&valid, 2, "+/+/"),
            MalformedToken::AlbBase64(Segment::Signature).into(),
        ),
        (
            "kid climbs out of the key path",
            alb.data_token().header("kid", "../../etc/passwd").build(),
            HeaderError::KeyIdNotPathSegment.into(),
        ),
        (
            "kid with an escaped slash",
            alb.data_token().header("kid", "a%2Fb").build(),
            HeaderError::KeyIdNotPathSegment.into(),
        ),
        (
            "kid with a query",
            alb.data_token().header("kid", "k?x=1").build(),
            HeaderError::KeyIdNotPathSegment.into(),
        ),
        (
            "no signer",
            alb.data_token().remove_header("signer").build(),
            HeaderError::MissingAlbField("signer").into(),
        ),
        (
            "exp not a number",
            alb.data_token().header("exp", "tomorrow").build(),
            HeaderError::MissingAlbField("exp").into(),
        ),
        (
            "no sub",
            alb.data_token().remove_claim("sub").build(),
            ClaimError::Missing("sub").into(),
        ),
        (
            "five segments",
            format!("{valid}.a.b"),
            MalformedToken::Encrypted.into(),
        ),
    ];

    let verifier = verifier(&alb, &server, AlbKeyOptions::default());
    assert!(verifier.verify(&valid).await.is_ok(), "the valid token");
    // Unpadded, as RFC 7515 encodes and as AWS said it would move to.
    assert!(rfc7515.split('.').any(|s| s.len() % 4 != 0));
    assert!(verifier.verify(&rfc7515).await.is_ok(), "unpadded segments");
    for (name, token, expected) in rows {
        let got = verifier.verify(&token).await.expect_err(name);
        match (&got, &expected) {
            (
                Error::Claim(ClaimError::Expired { exp, now }),
                Error::Claim(ClaimError::Expired { exp: expected, .. }),
            ) => {
                assert!(exp < now, "{name}: {got}");
                if *expected != 0 {
                    assert_eq!(exp, expected, "{name}");
                }
            }
            (
                Error::Claim(ClaimError::NotYetValid { nbf, now }),
                Error::Claim(ClaimError::NotYetValid { nbf: expected, .. }),
            ) => {
                assert_eq!(nbf, expected, "{name}");
                assert!(now < nbf, "{name}: {got}");
            }
            _ => assert_eq!(got, expected, "{name}"),
        }
        assert_eq!(got.class(), ErrorClass::InvalidToken, "{name}");
        assert_eq!(got.class().status(), 401, "{name}");
    }
    // Each kid's key fetched once: the new one, the old one (for the token
    // naming it) and `...`. Tokens refused before the key is needed (signer,
    // client, issuer, alg, kid, encoding) cost no fetch.
    assert_eq!(server.fetch_count(), 3, "three kids, three fetches");
}

fn valid_payload_of(token: &str) -> &str {
    token.split('.').nth(1).unwrap_or_default()
}

#[tokio::test]
async fn the_claims_are_an_access_token_of_the_user_with_no_scopes() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let token = alb
        .data_token()
        .claim("email", "alice@example.com")
        .claim("scope", "orders/write")
        .build();
    let claims = verifier(&alb, &server, AlbKeyOptions::default())
        .verify(&token)
        .await
        .expect("a valid data token");
    assert_eq!(claims.token_use(), TokenUse::Access);
    assert_eq!(claims.sub(), alb.sub());
    assert_eq!(claims.username(), Some("testuser"));
    assert_eq!(claims.client_id(), Some(alb.client_id()));
    assert_eq!(claims.issuer(), alb.issuer());
    assert_eq!(claims.alb_signer(), Some(alb.arn()));
    assert_eq!(
        claims.get("email"),
        Some(&serde_json::Value::from("alice@example.com"))
    );
    // What `ClaimsAs<T>` reads: the user's attributes, as signed.
    #[derive(serde::Deserialize)]
    struct User {
        email: String,
        email_verified: String,
    }
    let user: User = claims.deserialize().expect("the attributes fit");
    assert_eq!(
        (user.email.as_str(), user.email_verified.as_str()),
        ("alice@example.com", "true")
    );
    // A scope claim in the user's attributes grants nothing.
    assert!(!claims.has_scope("orders/write"));
    assert_eq!(claims.scopes().count(), 0);
    assert_eq!(claims.scope(), None);
    // Nor does a typed view present the user's attributes as an access
    // token's claims.
    assert!(claims.access_token().is_none());
    assert!(claims.id_token().is_none());
    // A payload without `iss`: the issuer is the verified header's.
    let no_payload_iss = alb.data_token().remove_claim("iss").build();
    let claims = verifier(&alb, &server, AlbKeyOptions::default())
        .verify(&no_payload_iss)
        .await
        .expect("a valid data token without a payload iss");
    assert_eq!(claims.issuer(), alb.issuer());
}

#[tokio::test]
async fn the_cognito_parser_still_refuses_padding() {
    let pool = TestIssuer::cognito();
    let cognito = Verifier::builder(
        Issuer::cognito("us-east-1_TestPool1").static_jwks(pool.jwks().to_string()),
    )
    .client_ids([pool.client_id()])
    .any_token_use()
    .build()
    .expect("a valid configuration");
    let token = pool.access_token().build();
    assert!(cognito.verify(&token).await.is_ok());
    // The same token, each segment padded as a load balancer pads it.
    let padded: Vec<String> = token
        .split('.')
        .map(|s| {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .expect("the testkit encodes base64url");
            URL_SAFE.encode(bytes)
        })
        .collect();
    let first_padded = padded
        .iter()
        .position(|s| s.ends_with('='))
        .expect("an RSA-2048 signature needs padding");
    let segment = [Segment::Header, Segment::Payload, Segment::Signature][first_padded];
    assert_eq!(
        cognito.verify(&padded.join(".")).await.unwrap_err(),
        MalformedToken::Base64(segment).into()
    );
    // And an ALB data token is no Cognito token either.
    let alb = AlbIssuer::new();
    let refused = cognito.verify(&alb.data_token().build()).await;
    assert!(
        matches!(refused, Err(Error::Malformed(MalformedToken::Base64(_)))),
        "{refused:?}"
    );
}

/// Most fetches a budget allows in `elapsed`: the burst, one per interval,
/// and the one in flight.
fn fetch_bound(options: &AlbKeyOptions, elapsed: Duration) -> u64 {
    let per_interval = elapsed.as_nanos() / options.fetch_interval.as_nanos();
    u64::from(options.fetch_burst) + u64::try_from(per_interval).unwrap_or(u64::MAX) + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_costs_the_fetch_budget_only() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions::default();
    let verifier = verifier(&alb, &server, options.clone());
    let valid = alb.data_token().build();
    assert!(verifier.verify(&valid).await.is_ok());
    server.reset_fetch_count();

    let started = std::time::Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..300 {
        let token = alb
            .data_token()
            .header("kid", format!("0000{i:04}-flood-kid"))
            .build();
        let verifier = verifier.clone();
        flood.spawn(async move { verifier.verify(&token).await });
    }
    let (mut unknown, mut not_yet) = (0, 0);
    while let Some(outcome) = flood.join_next().await {
        match outcome.expect("the task ran") {
            // Fetched: the host has no such key.
            Err(Error::UnknownKey { .. }) => unknown += 1,
            // Not fetched (yet): the budget was spent or went elsewhere.
            Err(e @ Error::KeysUnavailable { .. }) if e.retry_after().is_some() => not_yet += 1,
            other => panic!("a flood kid got {other:?}"),
        }
    }
    assert_eq!(unknown + not_yet, 300);
    let fetches = server.fetch_count();
    assert!(
        unknown <= fetches,
        "{unknown} unknown after {fetches} fetches"
    );
    assert!(
        fetches >= 1 && fetches <= fetch_bound(&options, started.elapsed()),
        "{fetches} fetches for 300 unknown kids in {:?}",
        started.elapsed()
    );
    // The known kid is never held up by the flood.
    assert!(verifier.verify(&valid).await.is_ok());
    assert_eq!(server.fetch_count(), fetches);

    // A kid the key host has no key for is negatively cached: repeating it
    // costs no fetch once it was fetched (a verifier of its own, so that no
    // flood kid competes for the fetch).
    let verifier = self::verifier(&alb, &server, options);
    server.reset_fetch_count();
    let fake = alb.data_token().header("kid", "repeated-fake-kid").build();
    for _ in 0..20 {
        assert!(matches!(
            verifier.verify(&fake).await,
            Err(Error::UnknownKey { .. })
        ));
    }
    assert_eq!(server.fetch_count(), 1, "one fetch for a repeated fake kid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_kid_verifies_during_a_flood_of_random_kids() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions::default();
    let verifier = verifier(&alb, &server, options.clone());
    assert!(verifier.verify(&alb.data_token().build()).await.is_ok());

    // A background flood of random kids, as fast as the machine allows.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flood = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let (alb, verifier, stop) = (alb.clone(), verifier.clone(), stop.clone());
        flood.spawn(async move {
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let token = alb
                    .data_token()
                    .header("kid", format!("flood-{worker}-{sent}"))
                    .build();
                let refused = verifier.verify(&token).await;
                assert!(
                    matches!(
                        refused,
                        Err(Error::UnknownKey { .. } | Error::KeysUnavailable { .. })
                    ),
                    "{refused:?}"
                );
                sent += 1;
                tokio::task::yield_now().await;
            }
            sent
        });
    }
    // Let the flood spend the budget and fill the pending table first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.reset_fetch_count();
    let started = std::time::Instant::now();

    // The load balancer rotates: legitimate traffic now names the new kid.
    let _ = alb.rotate();
    let rotated = alb.data_token().build();
    // The next budget fetch goes to it: about one interval, with room for a
    // loaded machine.
    let bound = options.fetch_interval * 5;
    let verified_after = loop {
        match verifier.verify(&rotated).await {
            Ok(claims) => {
                assert_eq!(claims.sub(), alb.sub());
                break started.elapsed();
            }
            // Not fetched yet: 503, retry later.
            Err(Error::KeysUnavailable { .. }) => {}
            Err(other) => panic!("the rotated kid got {other:?}"),
        }
        assert!(
            started.elapsed() < bound,
            "the rotated kid was still refused after {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut sent = 0;
    while let Some(n) = flood.join_next().await {
        sent += n.expect("a flood worker ran");
    }
    assert!(sent > 100, "the flood ran ({sent} requests)");
    let fetches = server.fetch_count();
    assert!(
        fetches <= fetch_bound(&options, elapsed),
        "{fetches} fetches in {elapsed:?} during a flood of {sent}"
    );
    // Once verified, the new key is cached: no fetch, whatever the flood did.
    let before = server.fetch_count();
    assert!(verifier.verify(&alb.data_token().build()).await.is_ok());
    assert_eq!(server.fetch_count(), before);
    eprintln!("rotated kid verified after {verified_after:?}; {fetches} fetches; flood of {sent}");
}

#[tokio::test]
async fn a_missing_key_is_an_unknown_kid_whatever_status_the_host_uses() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    for status in [404, 403, 410] {
        server.set_missing_status(status);
        server.reset_fetch_count();
        let verifier = verifier(&alb, &server, AlbKeyOptions::default());
        let token = alb.data_token().header("kid", "no-such-kid").build();
        let refused = verifier.verify(&token).await.expect_err("no key");
        assert_eq!(
            refused,
            Error::UnknownKey {
                kid: "no-such-kid".into()
            },
            "{status}"
        );
        assert_eq!(refused.class().status(), 401, "{status}");
        // The host is up: a known kid is fetched at once, no backoff.
        assert!(
            verifier.verify(&alb.data_token().build()).await.is_ok(),
            "{status}"
        );
        assert_eq!(server.fetch_count(), 2, "{status}");
    }
}

#[tokio::test]
async fn only_keys_that_verified_a_token_are_cached() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions {
        max_keys: 2,
        fetch_burst: 20,
        ..AlbKeyOptions::default()
    };
    let verifier = verifier(&alb, &server, options);
    let first = alb.current_key();
    let legitimate = alb.data_token().build();
    assert!(verifier.verify(&legitimate).await.is_ok());
    // Real kids the key host serves (another load balancer's, in the same
    // region), named by tokens their keys did not sign.
    for _ in 0..8 {
        let _ = alb.rotate();
        let forged = alb.data_token().sign_with(&first).build();
        assert_eq!(
            verifier.verify(&forged).await.err(),
            Some(Error::InvalidSignature)
        );
    }
    server.reset_fetch_count();
    // The pinned signer's key is still cached.
    assert!(verifier.verify(&legitimate).await.is_ok());
    assert_eq!(server.fetch_count(), 0, "no refetch of the verified key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_a_new_kid_share_one_fetch() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    server.set_mode(Mode::Delay(Duration::from_millis(200)));
    let verifier = verifier(&alb, &server, AlbKeyOptions::default());
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let token = alb.data_token().build();
        let verifier = verifier.clone();
        requests.spawn(async move { verifier.verify(&token).await.map(|c| c.sub().to_owned()) });
    }
    while let Some(outcome) = requests.join_next().await {
        assert_eq!(outcome.expect("the task ran").as_deref(), Ok(alb.sub()));
    }
    assert_eq!(server.fetch_count(), 1, "single flight");
}

#[tokio::test]
async fn a_key_server_outage_is_503_and_backs_off() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    // A backoff long enough that a stalled machine cannot end it between
    // the first refusal and the second.
    let options = AlbKeyOptions {
        min_backoff: Duration::from_secs(2),
        fetch_timeout: Duration::from_millis(300),
        ..AlbKeyOptions::default()
    };
    let token = alb.data_token().build();
    for (mode, reason) in [
        (Mode::Status(503), "HTTP status 503"),
        (Mode::Status(429), "HTTP status 429"),
        (Mode::Redirect, "HTTP status 302"),
        (Mode::Delay(Duration::from_secs(2)), "timed out"),
    ] {
        let verifier = verifier(&alb, &server, options.clone());
        server.set_mode(mode.clone());
        server.reset_fetch_count();
        let refused = verifier.verify(&token).await.expect_err("no key");
        assert_eq!(refused.class(), ErrorClass::Unavailable, "{mode:?}");
        assert_eq!(refused.class().status(), 503, "{mode:?}");
        assert!(refused.retry_after().is_some(), "{mode:?}");
        let Error::KeysUnavailable { reason: got, .. } = &refused else {
            panic!("{mode:?}: {refused:?}");
        };
        assert!(got.contains(reason), "{mode:?}: {got}");
        // During the backoff: 503 at once, no fetch.
        let again = verifier
            .verify(&token)
            .await
            .expect_err("still backing off");
        assert_eq!(again.kind(), "keys_unavailable", "{mode:?}");
        assert_eq!(server.fetch_count(), 1, "{mode:?}");
        // The server recovers: after the backoff, the key is fetched.
        server.set_mode(Mode::Normal);
        tokio::time::sleep(options.min_backoff + Duration::from_millis(50)).await;
        assert!(verifier.verify(&token).await.is_ok(), "{mode:?} recovered");
    }
}

#[test]
fn the_builder_refuses_what_it_cannot_pin() {
    let arn =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    let pool = "us-east-1_AbCdEf123";
    let refused = |b: cognito_jwt::AlbVerifierBuilder| b.build().map(|_| ()).unwrap_err();
    assert_eq!(
        refused(
            AlbVerifier::builder("not-an-arn")
                .client_ids(["c"])
                .cognito_pool(pool)
        ),
        cognito_jwt::BuildError::InvalidAlbArn("not-an-arn".into())
    );
    assert_eq!(
        refused(AlbVerifier::builder(arn).cognito_pool(pool)),
        cognito_jwt::BuildError::NoClientIds
    );
    assert!(matches!(
        refused(AlbVerifier::builder(arn).client_ids(["c"])),
        cognito_jwt::BuildError::InvalidOption {
            option: "issuer",
            ..
        }
    ));
    assert!(matches!(
        refused(
            AlbVerifier::builder(arn)
                .client_ids(["c"])
                .cognito_pool(pool)
                .keys_url("http://keys.example.com/")
        ),
        cognito_jwt::BuildError::InvalidUrl { .. }
    ));
    assert!(matches!(
        refused(
            AlbVerifier::builder(arn)
                .also_signer("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188")
                .client_ids(["c"])
                .cognito_pool(pool)
        ),
        cognito_jwt::BuildError::InvalidOption { option: "also_signer", .. }
    ));
    // Even with keys_url set: such a signer could never verify.
    assert!(matches!(
        refused(
            AlbVerifier::builder(arn)
                .also_signer("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188")
                .client_ids(["c"])
                .cognito_pool(pool)
                .keys_url("https://keys.example.com/")
        ),
        cognito_jwt::BuildError::InvalidOption { option: "also_signer", .. }
    ));
    assert!(matches!(
        refused(
            AlbVerifier::builder(arn)
                .client_ids(["c"])
                .cognito_pool(pool)
                .max_token_bytes(0)
        ),
        cognito_jwt::BuildError::InvalidOption {
            option: "max_token_bytes",
            ..
        }
    ));
    // A second signer in the same region shares the key host.
    assert!(
        AlbVerifier::builder(arn)
            .also_signer("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/0123456789abcdef")
            .client_ids(["c"])
            .cognito_pool(pool)
            .build()
            .is_ok()
    );
    let gov = AlbVerifier::builder(
        "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
    )
    .client_ids(["c"])
    .cognito_pool("us-gov-west-1_AbCdEf123")
    .build()
    .expect("GovCloud has a known key host");
    assert_eq!(
        gov.keys_url(),
        "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/"
    );
}

#[tokio::test]
async fn a_rotated_kid_is_cached_even_when_the_cache_is_full_of_hot_keys() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions {
        max_keys: 2,
        ..AlbKeyOptions::default()
    };
    let verifier = verifier(&alb, &server, options.clone());
    let a = alb.data_token().build();
    let _ = alb.rotate();
    let b = alb.data_token().build();
    // Two hot keys fill the cache.
    for _ in 0..50 {
        assert!(verifier.verify(&a).await.is_ok());
        assert!(verifier.verify(&b).await.is_ok());
    }
    tokio::time::sleep(options.fetch_interval).await;
    let _ = alb.rotate();
    let c = alb.data_token().build();
    server.reset_fetch_count();
    for _ in 0..5 {
        assert!(verifier.verify(&c).await.is_ok());
    }
    assert_eq!(server.fetch_count(), 1, "the new key was admitted (LRU)");
}

/// The flood the fetch budget must survive: each fetch interval the attacker
/// (who holds the public ARN, client and issuer) names one fresh kid more
/// than twice as often as legitimate clients name the rotated one, and
/// times its requests so that its own request finds the budget refilled.
/// The most-requested turn goes to the fresh kid each time; the
/// longest-waiting turn goes to the rotated kid.
#[tokio::test]
async fn a_focused_flood_does_not_lock_a_rotated_kid_out() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    // Wide enough that the 13 requests of one interval, which must all find
    // the budget spent, fit in it even on a stalled machine.
    let options = AlbKeyOptions {
        fetch_interval: Duration::from_secs(1),
        fetch_burst: 1,
        ..AlbKeyOptions::default()
    };
    let verifier = verifier(&alb, &server, options.clone());
    assert!(verifier.verify(&alb.data_token().build()).await.is_ok());
    server.reset_fetch_count();
    let _ = alb.rotate();
    let rotated = alb.data_token().build();
    let fake = |t: usize| alb.data_token().header("kid", format!("fresh-{t}")).build();

    let mut verified_after = None;
    'flood: for t in 0..8 {
        // While the budget is spent: 10 requests for this interval's fresh
        // kid, 3 legitimate ones for the rotated kid.
        for _ in 0..10 {
            let refused = verifier.verify(&fake(t)).await;
            assert!(
                matches!(refused, Err(Error::KeysUnavailable { .. })),
                "{refused:?}"
            );
        }
        for _ in 0..3 {
            match verifier.verify(&rotated).await {
                Ok(_) => {
                    verified_after = Some(server.fetch_count());
                    break 'flood;
                }
                Err(Error::KeysUnavailable { .. }) => {}
                Err(other) => panic!("the rotated kid got {other:?}"),
            }
        }
        // The budget refills; the attacker's request is the one that finds it.
        tokio::time::sleep(options.fetch_interval + Duration::from_millis(50)).await;
        let _ = verifier.verify(&fake(t)).await;
    }
    // Fetches: the first fresh kid (named before the rotated one), the
    // next fresh kid (most requests), then the rotated kid (waited longest).
    let fetches = verified_after.expect("the rotated kid verified during the flood");
    assert!(
        fetches <= 3,
        "the rotated kid verified after {fetches} fetches"
    );
}

/// A kid's own answer (a body that is not its key, too large, a 4xx other
/// than 429) says nothing about other kids: that kid is negatively cached,
/// and the next kid is fetched at once, with no backoff.
#[tokio::test]
async fn a_bad_answer_for_one_kid_holds_up_no_other_kid() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions {
        min_backoff: Duration::from_secs(10),
        ..AlbKeyOptions::default()
    };
    for mode in [
        Mode::Garbage,
        Mode::EmptyBody,
        Mode::EmptyKeys,
        Mode::Huge(64 * 1024),
        Mode::Status(400),
        Mode::Status(401),
    ] {
        let verifier = verifier(&alb, &server, options.clone());
        let _ = alb.rotate();
        let bad = alb.data_token().build();
        server.set_mode(mode.clone());
        server.reset_fetch_count();
        let refused = verifier.verify(&bad).await.expect_err("no usable key");
        assert!(
            matches!(refused, Error::UnknownKey { .. }),
            "{mode:?}: {refused:?}"
        );
        assert_eq!(refused.class().status(), 401, "{mode:?}");
        // Negatively cached: no second fetch.
        let again = verifier.verify(&bad).await.expect_err("negatively cached");
        assert!(matches!(again, Error::UnknownKey { .. }), "{mode:?}");
        assert_eq!(server.fetch_count(), 1, "{mode:?}");
        // Another kid is fetched at once: the host is not backing off.
        server.set_mode(Mode::Normal);
        let _ = alb.rotate();
        let good = alb.data_token().build();
        assert!(
            verifier.verify(&good).await.is_ok(),
            "{mode:?}: another kid is held up"
        );
        assert_eq!(server.fetch_count(), 2, "{mode:?}");
    }
}

/// A bad answer for a real, current kid (a passing fault of the host or a
/// cache in front of it) shuts that kid out only for the shorter wait
/// (`max_backoff`), not the 5 minutes a kid the host has no key for waits.
#[tokio::test]
async fn a_real_key_answered_badly_once_is_fetched_again_soon() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions {
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(1500),
        ..AlbKeyOptions::default()
    };
    let verifier = verifier(&alb, &server, options.clone());
    let token = alb.data_token().build();
    server.set_mode(Mode::Garbage);
    let refused = verifier.verify(&token).await.expect_err("not a key");
    assert!(matches!(refused, Error::UnknownKey { .. }), "{refused:?}");
    server.set_mode(Mode::Normal);
    assert!(
        matches!(verifier.verify(&token).await, Err(Error::UnknownKey { .. })),
        "still waiting"
    );
    assert_eq!(server.fetch_count(), 1);
    tokio::time::sleep(options.max_backoff + Duration::from_millis(300)).await;
    assert!(verifier.verify(&token).await.is_ok(), "fetched again");
    assert_eq!(server.fetch_count(), 2);
}

/// A correctly signed token whose kid was not fetched yet, because the
/// budget is spent or went to another kid, is 503 with the budget's refill
/// time, not 401: the kid is not known to be missing. A kid the host said
/// it has no key for stays 401.
#[tokio::test]
async fn a_kid_not_fetched_yet_is_503_with_the_refill_time() {
    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let options = AlbKeyOptions {
        fetch_interval: Duration::from_secs(10),
        fetch_burst: 1,
        ..AlbKeyOptions::default()
    };
    let verifier = verifier(&alb, &server, options.clone());
    let missing = alb.data_token().header("kid", "no-such-kid").build();
    assert!(matches!(
        verifier.verify(&missing).await,
        Err(Error::UnknownKey { .. })
    ));
    // The budget is spent: the real kid is 503, retry when it refills.
    let valid = alb.data_token().build();
    let refused = verifier.verify(&valid).await.expect_err("budget spent");
    assert_eq!(refused.kind(), "keys_unavailable", "{refused:?}");
    assert_eq!(refused.class().status(), 503);
    let retry = refused.retry_after().expect("a Retry-After");
    assert!(
        retry > Duration::from_secs(5) && retry <= options.fetch_interval,
        "{retry:?}"
    );
    // The kid the host has no key for is still 401, with no fetch.
    assert!(matches!(
        verifier.verify(&missing).await,
        Err(Error::UnknownKey { .. })
    ));
    assert_eq!(server.fetch_count(), 1);

    // The fetch goes to another kid: the asking one is 503 too.
    let options = AlbKeyOptions {
        fetch_interval: Duration::from_secs(1),
        fetch_burst: 1,
        ..AlbKeyOptions::default()
    };
    let verifier = self::verifier(&alb, &server, options.clone());
    assert!(matches!(
        verifier.verify(&missing).await,
        Err(Error::UnknownKey { .. })
    ));
    for _ in 0..3 {
        assert!(verifier.verify(&valid).await.is_err(), "budget spent");
    }
    tokio::time::sleep(options.fetch_interval + Duration::from_millis(50)).await;
    let other = alb.data_token().header("kid", "asked-once").build();
    let refused = verifier.verify(&other).await.expect_err("went elsewhere");
    assert_eq!(refused.kind(), "keys_unavailable", "{refused:?}");
    assert!(refused.retry_after().is_some());
    // It went to the kid that waited longer, which now verifies.
    assert!(verifier.verify(&valid).await.is_ok());
}

fn with_revocations(
    alb: &AlbIssuer,
    server: &AlbKeyServer,
    revocations: &cognito_jwt::revocation::Revocations,
) -> AlbVerifier {
    AlbVerifier::builder(alb.arn())
        .client_ids([alb.client_id()])
        .cognito_pool(alb.user_pool_id())
        .keys_url(server.url())
        .revocations(revocations.clone())
        .build()
        .expect("a valid configuration")
}

/// Revocation rules apply to data tokens: a load balancer keeps re-signing
/// them for its whole session, whatever happened in the user pool.
#[tokio::test]
async fn revocation_rules_refuse_data_tokens() {
    use cognito_jwt::revocation::{Revocation, Revocations};

    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let revocations = Revocations::new();
    let verifier = with_revocations(&alb, &server, &revocations);
    let user = alb.data_token().build();
    let other_user = alb.data_token().claim("sub", "another-user").build();
    assert!(verifier.verify(&user).await.is_ok());

    // GlobalSignOut for the user, cut off at a second long past: a data
    // token has no iat, so it counts as issued at the epoch.
    revocations.revoke(Revocation::subject_until(alb.sub(), 1_000_000_000));
    let refused = verifier.verify(&user).await.expect_err("revoked");
    assert_eq!(refused, Error::Revoked { rule: "subject" });
    assert_eq!(refused.class().status(), 401);
    // A fresh data token of the same session: refused too.
    assert_eq!(
        verifier.verify(&alb.data_token().build()).await.err(),
        Some(Error::Revoked { rule: "subject" })
    );
    let other = verifier.verify(&other_user).await.expect("another user");
    assert_eq!(other.sub(), "another-user");

    // The load balancer's app client is cut off: every data token of it.
    revocations.revoke(Revocation::client_until(alb.client_id(), 1_000_000_000));
    assert_eq!(
        verifier.verify(&other_user).await.err(),
        Some(Error::Revoked { rule: "client" })
    );
}

/// A set that fails closed and is out of date is 503 on load balancer
/// routes too, until its store syncs it.
#[tokio::test]
async fn stale_fail_closed_revocations_are_503_for_data_tokens() {
    use cognito_jwt::revocation::Revocations;

    let alb = AlbIssuer::new();
    let server = AlbKeyServer::start(&alb);
    let revocations = Revocations::builder()
        .fail_closed_after(Duration::from_secs(30))
        .build();
    let verifier = with_revocations(&alb, &server, &revocations);
    let token = alb.data_token().build();
    let refused = verifier.verify(&token).await.expect_err("never synced");
    assert_eq!(refused.kind(), "revocations_unavailable", "{refused:?}");
    assert_eq!(refused.class().status(), 503);
    assert!(refused.retry_after().is_some());
    revocations.mark_synced();
    assert!(verifier.verify(&token).await.is_ok());
}

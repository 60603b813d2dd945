//! A fleet sharing revocations through a real `redis-server` on loopback
//! (one per test, without persistence): what each instance's verifier
//! answers when a rule is revoked elsewhere, when Redis restarts empty or
//! an instance is cut off, when Redis stays away, when rules expire, and
//! when Redis holds garbage.

mod support;

use std::time::{Duration, Instant};

use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{Clock, Error, SystemClock};
use cognito_jwt_redis::{RedisOptions, RedisRevocations, StartError};
use cognito_jwt_testkit::TestIssuer;
use support::{Instance, Proxy, RedisServer, capture_logs, fast, free_port, logs, until};

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p).div_ceil(100).saturating_sub(1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_through_one_instance_is_refused_by_another_within_a_second() {
    const N: usize = 200;
    let redis = RedisServer::start();
    let pool = TestIssuer::cognito();
    let a = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    let b = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    let tokens: Vec<(String, String)> = (0..N)
        .map(|i| {
            let jti = format!("jti-{i}");
            (jti.clone(), pool.access_token().claim("jti", jti).build())
        })
        .collect();
    for (_, token) in &tokens {
        // Verified, and so cached, on both.
        a.verify(token).await.unwrap();
        b.verify(token).await.unwrap();
    }

    let mut from_return = Vec::with_capacity(N);
    let mut from_call = Vec::with_capacity(N);
    for (jti, token) in &tokens {
        let called = Instant::now();
        let stored = a
            .redis
            .revoke(Revocation::token(jti.clone()))
            .await
            .unwrap();
        let returned = Instant::now();
        assert!(stored.expiry().is_some());
        assert!(a.refuses(token).await, "A itself refuses {jti} at once");
        loop {
            match b.verify(token).await {
                Err(Error::Revoked { rule: "token" }) => break,
                Ok(()) => {}
                other => panic!("B answered {other:?} for {jti}"),
            }
            assert!(
                returned.elapsed() < Duration::from_secs(5),
                "B still accepts {jti} after 5 s"
            );
            tokio::task::yield_now().await;
        }
        let refused = Instant::now();
        from_return.push(refused - returned);
        from_call.push(refused - called);
    }
    from_return.sort();
    from_call.sort();
    for (what, d) in [
        ("from A's revoke returning", &from_return),
        ("from A's revoke call", &from_call),
    ] {
        eprintln!(
            "propagation A -> B over {N} revocations, {what}: p50 {:?}, p99 {:?}, max {:?}",
            percentile(d, 50),
            percentile(d, 99),
            d[N - 1]
        );
    }
    assert!(
        percentile(&from_return, 99) < Duration::from_secs(1),
        "{from_return:?}"
    );
    assert_eq!(redis.members().len(), N);
    assert_eq!(b.redis.status().rules, N);
    assert_eq!(b.redis.status().reconnects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_a_lost_message_nor_a_redis_restart_loses_a_revocation() {
    let mut redis = RedisServer::start();
    let proxy = Proxy::start(redis.port()).await;
    let pool = TestIssuer::cognito();
    let family = |f: &str| pool.access_token().claim("origin_jti", f).build();
    let (t1, t2, t3) = (family("f1"), family("f2"), family("f3"));
    let a = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    // B reaches Redis through a proxy the test can cut.
    let b = Instance::start(&proxy.url(), &pool, Revocations::new()).await;
    for token in [&t1, &t2, &t3] {
        a.verify(token).await.unwrap();
        b.verify(token).await.unwrap();
    }
    let bound = Duration::from_secs(5);

    // Revoked through A, refused by B.
    a.redis.revoke(Revocation::family("f1")).await.unwrap();
    until(bound, "B refuses f1", async || b.refuses(&t1).await).await;

    // B is cut off: it misses the message of f2, and its resync brings it.
    proxy.cut();
    until(bound, "B notices it is cut off", async || {
        !b.redis.status().connected
    })
    .await;
    a.redis.revoke(Revocation::family("f2")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.verify(&t2).await, Ok(()), "B cannot know of f2 yet");
    proxy.heal();
    until(bound, "B refuses f2 after its resync", async || {
        b.refuses(&t2).await
    })
    .await;
    assert!(b.redis.status().connected);
    assert_eq!(b.redis.status().reconnects, 1);

    // Redis restarts empty. f3 is revoked through A while Redis is down:
    // A refuses it at once and writes it back once Redis is there again.
    redis.stop();
    until(bound, "A and B notice Redis is gone", async || {
        !a.redis.status().connected && !b.redis.status().connected
    })
    .await;
    let not_written = a.redis.revoke(Revocation::family("f3")).await.unwrap_err();
    assert!(
        matches!(not_written, cognito_jwt_redis::Error::NotConnected),
        "{not_written:?}"
    );
    assert!(a.refuses(&t3).await);
    redis.start_again();
    assert!(redis.members().is_empty(), "Redis came back empty");
    until(bound, "A and B reconnect", async || {
        let (sa, sb) = (a.redis.status(), b.redis.status());
        sa.connected && sb.connected && sa.reconnects == 1 && sb.reconnects == 2
    })
    .await;
    until(bound, "Redis is repaired by write-back", async || {
        redis.members().len() == 3
    })
    .await;
    until(
        bound,
        "B refuses f3, revoked through A while Redis was down",
        async || b.refuses(&t3).await,
    )
    .await;
    for (who, instance) in [("A", &a), ("B", &b)] {
        for token in [&t1, &t2, &t3] {
            assert!(
                instance.refuses(token).await,
                "{who} accepts a revoked token"
            );
        }
    }
    // Each missing rule was written back once, whichever instance did it.
    assert_eq!(
        a.redis.status().written_back + b.redis.status().written_back,
        3
    );

    // A third instance, started after the restart, loads all three.
    let c = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    for token in [&t1, &t2, &t3] {
        assert!(c.refuses(token).await, "C accepts a revoked token");
    }
    assert_eq!(c.redis.status().written_back, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_bound_redis_gone_too_long_is_503_and_without_one_the_mirror_answers() {
    let mut redis = RedisServer::start();
    let pool = TestIssuer::cognito();
    let token = pool.access_token().claim("origin_jti", "live").build();
    let revoked = pool.access_token().claim("origin_jti", "gone").build();
    let bounded = Revocations::builder()
        .fail_closed_after(Duration::from_secs(1))
        .build();
    let b = Instance::start(&redis.url(), &pool, bounded).await;
    let d = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    d.redis.revoke(Revocation::family("gone")).await.unwrap();
    let bound = Duration::from_secs(5);
    until(bound, "B refuses the revoked token", async || {
        b.refuses(&revoked).await
    })
    .await;
    assert_eq!(b.verify(&token).await, Ok(()));

    redis.stop();
    let stopped = Instant::now();
    until(bound, "B answers 503", async || {
        matches!(
            b.verify(&token).await,
            Err(Error::RevocationsUnavailable { .. })
        )
    })
    .await;
    let took = stopped.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "503 after {took:?}, before the 1 s bound"
    );
    let refused = b.verify(&token).await.unwrap_err();
    assert_eq!(refused.class().status(), 503);
    eprintln!("Redis stopped: B (fail_closed_after 1 s) answers 503 after {took:?}");

    // D, without a bound, answers from its mirror and says how old it is.
    assert_eq!(d.verify(&token).await, Ok(()));
    assert!(d.refuses(&revoked).await);
    let status = d.redis.status();
    assert!(!status.connected);
    assert!(
        status.sync_age.unwrap() >= Duration::from_millis(800),
        "{status:?}"
    );
    assert_eq!(status.rules, 1);

    redis.start_again();
    until(bound, "B answers again once Redis is back", async || {
        b.verify(&token).await.is_ok()
    })
    .await;
    assert!(b.refuses(&revoked).await);
    until(bound, "D reconnects", async || d.redis.status().connected).await;
    assert!(d.redis.status().sync_age.unwrap() < Duration::from_secs(1));
    // The restart lost the rule; the instances put it back.
    until(bound, "Redis holds the rule again", async || {
        redis.members().len() == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_expire_in_redis_and_in_every_mirror() {
    let redis = RedisServer::start();
    let pool = TestIssuer::cognito();
    let short_lived = Revocations::builder()
        .max_token_lifetime(Duration::from_secs(2))
        .build();
    let options = fast().sweep_every(Duration::from_millis(200));
    let a = Instance::start_with(&redis.url(), &pool, short_lived, options).await;
    let now = SystemClock.now();
    // Already expired: nothing to store (and the script copes with an empty key).
    a.redis
        .revoke(Revocation::token("past").expires_at(now - 10))
        .await
        .unwrap();
    assert!(redis.members().is_empty());
    let short = a.redis.revoke(Revocation::token("short")).await.unwrap();
    assert!(
        (now + 2..=now + 3).contains(&short.expiry().unwrap()),
        "{short:?}"
    );
    let long = a
        .redis
        .revoke(Revocation::family("long").expires_at(now + 3600))
        .await
        .unwrap();
    assert_eq!(redis.members().len(), 2);
    let key = RedisOptions::default().rules_key();
    let ttl: i64 = redis.cmd(&[b"TTL", key.as_bytes()]);
    assert!(
        (3500..=3602).contains(&ttl),
        "the key itself expires after its last rule: {ttl}"
    );

    until(
        Duration::from_secs(5),
        "the short rule leaves Redis",
        async || redis.members().len() == 1,
    )
    .await;
    assert_eq!(
        redis.members(),
        [r#"{"rule":"family","origin_jti":"long"}"#]
    );
    until(Duration::from_secs(2), "and A's mirror", async || {
        a.redis.status().rules == 1
    })
    .await;

    let fresh = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    assert_eq!(fresh.redis.revocations().entries(), [long]);
    let token = pool.access_token().claim("jti", "short").build();
    assert_eq!(fresh.verify(&token).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_entries_and_messages_are_skipped_and_logged() {
    capture_logs();
    let redis = RedisServer::start();
    let pool = TestIssuer::cognito();
    let key = RedisOptions::default().rules_key();
    let channel = RedisOptions::default().channel();
    let far = b"9999999999";
    for (score, member) in [
        (&far[..], &b"not json marker-1"[..]),
        (far, br#"{"rule":"nope","marker":"marker-2"}"#),
        (b"+inf", br#"{"rule":"token","jti":"marker-3"}"#),
        (far, b"\xff\xfe marker-4"),
        (far, br#"{"rule":"token","jti":"good"}"#),
    ] {
        let _: i64 = redis.cmd(&[b"ZADD", key.as_bytes(), score, member]);
    }

    let a = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    assert_eq!(a.redis.status().skipped, 4);
    assert_eq!(
        a.redis.revocations().entries(),
        [Revocation::token("good").expires_at(9_999_999_999)]
    );
    assert!(
        a.refuses(&pool.access_token().claim("jti", "good").build())
            .await
    );

    // Not JSON: a raw control character in a string; and long.
    let long = format!(
        "{{\"rule\":\"token\",\"jti\":\"marker-6\u{1b}[31m{}\"}}",
        "x".repeat(10_000)
    );
    for garbage in [&b"{ marker-5"[..], long.as_bytes()] {
        let _: i64 = redis.cmd(&[b"PUBLISH", channel.as_bytes(), garbage]);
    }
    // A is still subscribed: a rule revoked elsewhere afterwards reaches it.
    let b = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    b.redis.revoke(Revocation::token("after")).await.unwrap();
    let after = pool.access_token().claim("jti", "after").build();
    until(
        Duration::from_secs(5),
        "A refuses a rule published after the garbage",
        async || a.refuses(&after).await,
    )
    .await;
    let status = a.redis.status();
    assert_eq!(
        (status.skipped, status.connected, status.reconnects),
        (6, true, 0),
        "{status:?}"
    );

    let logs = logs();
    for marker in [
        "marker-1", "marker-2", "marker-3", "marker-4", "marker-5", "marker-6",
    ] {
        let line = logs
            .lines()
            .find(|l| l.contains(marker))
            .unwrap_or_else(|| {
                panic!("no log line names {marker}:\n{logs}");
            });
        assert!(
            line.contains("WARN") && line.contains("skipped a malformed revocation"),
            "{line}"
        );
        assert!(
            line.len() < 600,
            "store-supplied text is cut: {} bytes",
            line.len()
        );
        assert!(
            !line.contains('\u{1b}'),
            "control characters are escaped: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_down_at_start_is_an_error_unless_asked_to_start_anyway() {
    let pool = TestIssuer::cognito();
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let bound = Duration::from_secs(5);

    assert!(matches!(
        RedisRevocations::connect("http://not-redis", Revocations::new(), fast()).await,
        Err(StartError::InvalidUrl(_))
    ));
    let started = Instant::now();
    let refused = RedisRevocations::connect(&url, Revocations::new(), fast())
        .await
        .unwrap_err();
    assert!(matches!(refused, StartError::Unavailable(_)), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // Started anyway: not current (503) until it has synced once.
    let set = Revocations::builder()
        .fail_closed_after(Duration::from_secs(30))
        .build();
    let b = Instance::start_with(&url, &pool, set, fast().start_unavailable(true)).await;
    let token = pool.access_token().build();
    let revoked = pool.access_token().claim("jti", "while-down").build();
    let unsynced = b.verify(&token).await.unwrap_err();
    assert!(
        matches!(unsynced, Error::RevocationsUnavailable { .. }),
        "{unsynced:?}"
    );
    assert_eq!(unsynced.class().status(), 503);
    assert!(
        b.redis
            .revoke(Revocation::token("while-down"))
            .await
            .is_err()
    );
    assert_eq!(b.redis.status().sync_age, None);

    let redis = RedisServer::start_on(port);
    until(bound, "B connects in the background", async || {
        b.redis.status().connected
    })
    .await;
    assert_eq!(b.verify(&token).await, Ok(()));
    assert!(b.refuses(&revoked).await);
    assert_eq!(
        redis.members(),
        [r#"{"rule":"token","jti":"while-down"}"#],
        "written back"
    );
    assert_eq!(
        b.redis.status().reconnects,
        0,
        "a first connection is no reconnect"
    );

    // Dropping the last handle stops an instance; shutdown does and waits.
    let clients = || redis.cmd::<String>(&[b"CLIENT", b"LIST"]).lines().count();
    until(
        bound,
        "B's command and pub/sub connections, and this one",
        async || clients() == 3,
    )
    .await;
    let c = Instance::start(&redis.url(), &pool, Revocations::new()).await;
    let c_clone = c.redis.clone();
    until(bound, "C's connections too", async || clients() == 5).await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(clients(), 5, "a clone keeps C running");
    drop(c_clone);
    until(
        bound,
        "C's connections close once its last handle is dropped",
        async || clients() == 3,
    )
    .await;
    b.redis.shutdown().await;
    until(bound, "its connections close", async || clients() == 1).await;
    assert!(!b.redis.status().connected);
    assert!(matches!(
        b.redis.revoke(Revocation::token("late")).await,
        Err(cognito_jwt_redis::Error::NotConnected)
    ));
}

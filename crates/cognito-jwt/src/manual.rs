//! # Manual: defaults and security choices
//!
//! This module has no code. It says what the verifier does by default, and why.
//!
//! ## Choices you must make
//!
//! | choice | how | why it is not defaulted |
//! |---|---|---|
//! | the issuer | [`Verifier::builder`](crate::Verifier::builder)`(`[`Issuer`](crate::Issuer)`)` | trusting "any issuer" is never right |
//! | the app clients | `client_ids([..])` or, explicitly, `any_client()` | a token of another app of the same pool would otherwise pass |
//! | the token kind | `token_use(TokenUse::Access)` / `Id`, or explicitly `any_token_use()` | ID tokens are not authorization; routes must not take one for the other |
//!
//! `build()` does not exist until the last two are chosen: forgetting one does not compile.
//!
//! Lists are never empty: `client_ids([])`, `required_audience([])` and the
//! [`Requirement`](crate::Requirement) list rules (`any_scope`, `all_scopes`,
//! `any_group`, `all_groups`, in every adapter) refuse an empty list or an
//! empty name with a [`BuildError`](crate::BuildError), and a scope that is
//! not an RFC 6749 scope token too. An empty list read from an unset
//! environment variable would otherwise open a route (`all_*` of nothing)
//! or close it (`any_*` of nothing) without a word. In axum, `ScopeSet` and
//! `GroupSet` with an empty list do not compile.
//!
//! ## ID tokens and authorization
//!
//! ID tokens say who the user is; access tokens say what a client may do.
//! So:
//!
//! - **Scopes are for access tokens only.** A scope rule
//!   (`Requirement::any_scope`, `RequireScope`, `Require::any_scope`) answers
//!   an ID token with 401 `invalid_token` (wrong token use), and
//!   `Claims::has_scope` / `Claims::scopes` see no scope in an ID token even
//!   if it carries a `scope` claim.
//! - **Groups are read from either kind.** Both carry `cognito:groups`, and
//!   API Gateway's Cognito authorizer accepts ID tokens on routes without
//!   scopes; a group rule alone therefore accepts an ID token whose user is
//!   in the group. Add `token_use(TokenUse::Access)` to the rule, or build
//!   the verifier with `token_use(TokenUse::Access)`, to insist on access tokens.
//! - **The verifier's token kind comes first.** A verifier built with
//!   `token_use(TokenUse::Access)` never lets an ID token reach any rule.
//! - **One app client per ID token.** A Cognito ID token names exactly one
//!   app client in `aud` (a one-element array is read as that string, as RFC
//!   7519 allows); several audiences are refused, as aws-jwt-verify refuses
//!   them. For other issuers an ID token with several audiences must carry
//!   `azp`, one of them and an allowed client (OpenID Connect Core
//!   3.1.3.7). `Claims::client_id` names that client.
//!
//! ## Defaults
//!
//! | setting | default | change with |
//! |---|---|---|
//! | algorithms, Cognito pool | RS256 only, pinned | cannot be changed: `Issuer<CognitoPool>` has no `algorithms()` |
//! | algorithms, other issuers | RS256 | [`Issuer::algorithms`](crate::Issuer::algorithms) |
//! | issuer strings of a pool | both `https://cognito-idp.{region}.amazonaws.com/{pool}` and `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}`, exact match | — |
//! | JWKS URL | `{issuer}/.well-known/jwks.json`; for a pool, of the `cognito-idp` form only (the `issuer-cognito-idp` JWKS answers 403 for pools without multi-Region replication, so it is never fetched); https, or http on loopback only | [`Issuer::jwks_url`](crate::Issuer::jwks_url), [`Issuer::static_jwks`](crate::Issuer::static_jwks) |
//! | leeway on `exp`, `nbf`, `iat` | 30 s; whole seconds, more than 300 s is a `BuildError` (never clamped) | `VerifierBuilder::leeway` |
//! | token size cap | 16 KiB, before any parsing | `VerifierBuilder::max_token_bytes` |
//! | `aud` of access tokens | ignored (Cognito sets none) | `VerifierBuilder::required_audience`, or for one resource (an MCP server) `VerifierBuilder::for_resource` (RFC 8707; see [MCP servers](#mcp-servers-rfc-9728-and-rfc-8707)) |
//! | verified-token cache | 10,000 tokens and 32 MiB shared, plus each thread's last 16 hits (see below) | `token_cache_capacity`, `token_cache_max_bytes`, `disable_token_cache` (both tiers) |
//! | JWKS refresh | every 10 min, in the background (zero intervals, or `min_backoff` above `max_backoff`, are a `BuildError`) | [`JwksOptions`](crate::JwksOptions) |
//! | stale keys while the endpoint fails | up to 24 h past the refresh | `JwksOptions::max_stale` |
//! | unknown `kid` cooldown | 10 s | `JwksOptions::unknown_kid_cooldown` |
//! | fetch timeout | 5 s in total | `JwksOptions::fetch_timeout` |
//! | JWKS size cap | 256 KiB, 50 keys | `JwksOptions::max_response_bytes`, `max_keys` |
//! | retry backoff | 1 s doubling to 30 s | `JwksOptions::min_backoff`, `max_backoff` |
//! | HTTP client | reqwest, rustls, redirects not followed | `VerifierBuilder::http_client`; whatever client is given, a response that did not come from the configured URL itself (a followed redirect) is refused |
//! | fractional `exp` / `nbf` / `iat` | rounded toward the stricter side: `exp` down, `nbf` and `iat` up | — |
//! | adapter mode | required: no credentials is 401 | `CognitoAuth::optional` |
//! | adapter realm | none | `CognitoAuth::realm`: printable ASCII, not empty, else a `BuildError` |
//! | RFC 9728 `resource_metadata` in challenges | none | `CognitoAuth::resource_metadata`: an https URL (http on loopback); `CognitoAuth::publish` names and serves the document |
//! | RFC 9728 document, as served | `GET` and `HEAD` on its well-known path only, `application/json`, `Cache-Control: public, max-age=3600`; other methods 405 with `Allow: GET, HEAD` | `ResourceMetadata` (both adapters), rules in [`ProtectedResourceMetadata`](crate::ProtectedResourceMetadata) |
//! | gRPC answers (tower) | off: every refusal is an HTTP answer | `CognitoAuth::grpc`, for tonic servers |
//! | test clock | not compiled | feature `test-util` (`ManualClock`) |
//! | metrics | not compiled: no cost | feature `metrics` (see [Metrics](#metrics)) |
//! | start-up prefetch | none: keys are fetched on first use | `Verifier::prefetch_within(timeout)` (see [Readiness](#readiness)) |
//!
//! ## What is never trusted
//!
//! - **Key material or key URLs in the token**: `jwk`, `jku`, `x5u`, `x5c` headers are read past and never used.
//! - **The algorithm the token names**, beyond the issuer's allowlist; `none` and HMAC are not even representable.
//! - **Keys across issuers**: the unverified `iss` only picks which issuer's key set to look in; a key of pool A never verifies a token naming pool B.
//! - **Unusable JWKs**: `oct` keys, `use` other than `sig`, `key_ops` without `verify`, a JWK `alg` that differs from the header, RSA under 2048 bits. Each is skipped on its own; the rest of the set stays usable.
//! - **Ambiguous JSON**: duplicate member names in the header or the claims are refused; so are non-canonical base64url, padding, JWE (five segments), nested tokens (`cty: JWT`), `crit`, and `b64: false`.
//! - **Claim types**: `exp` is required; `exp`, `nbf`, `iat` must be numbers between 0 and year 9999; `iss`, `sub`, `token_use`, `client_id`, `azp`, and when present `jti`, `origin_jti` and `event_id`, must be strings (a denylist compares identifiers: a number or an array must not slip past it).
//! - **Malformed JSON where nobody looks**: the header must be UTF-8 and valid JSON in every member, read or not (RFC 7515 §5.2), as the claims must.
//! - **Logs**: every value taken from a token or a JWKS (`kid`, issuer, client, member names, fetch errors) is logged escaped (`Debug`) and capped, so a `kid` holding a newline cannot forge a log line. No token is ever logged.
//!
//! ## The verified-token cache
//!
//! Bounded by count (10,000) and by bytes (32 MiB, counting each token plus
//! four times its claims): large tokens with big custom claims are evicted
//! before they take more memory.
//!
//! A token that passed every check is not verified again while it is cached;
//! the cache key is the whole token, compared byte for byte (never a hash
//! alone). Every hit still checks `exp`/`nbf` against the clock, and that the
//! key that verified it is still in its issuer's current key set: a key that
//! leaves the set at a refresh stops every token it signed at once. Scopes,
//! groups and token use per route are never cached; they are checked on every
//! request.
//!
//! Two tiers: a shared one (moka, bounded, TinyLFU), and per thread the last
//! 16 tokens that hit in it twice in quick succession. The per-thread tier
//! exists because a shared hit writes memory every core shares; it checks the
//! key through the key set's generation number and sends the token back to
//! the shared tier when the set changed or its refresh is due, so it keeps
//! every guarantee above. It holds at most 16 tokens and their claims per
//! thread (about 50 KB with Cognito-sized tokens), for the thread's lifetime.
//!
//! ## Metrics
//!
//! With the feature `metrics`, the crate counts through the
//! [`metrics`](https://docs.rs/metrics) facade (0.24) into whatever
//! recorder the application installs (for Prometheus,
//! `metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()`,
//! then render its handle at `GET /metrics`; the example APIs do this with
//! `EXPOSE_METRICS=1`). Without the feature every call compiles away.
//! `describe_metrics()` (feature `metrics`) gives each metric its help text.
//!
//! | metric | type | labels | what it counts |
//! |---|---|---|---|
//! | `cognito_jwt_verifications_total` | counter | `outcome="accepted"`; or `outcome="rejected"`, `reason` | every token verification decision, once, whoever asked (`Verifier::verify`, `AlbVerifier::verify`, the adapters' `Gate`), the verified-token cache's answers included |
//! | `cognito_jwt_refusals_total` | counter | `reason` | every request an adapter (its `Gate`) refused: no token, a malformed header, a rejected token, a route's scope, group, token-use or policy rule, no middleware in front |
//! | `cognito_jwt_token_cache_total` | counter | `tier="near"` or `"shared"`, `result="hit"`; `tier="shared"`, `result="miss"` | each token the verified-token cache answered for (by the tier that did), or sent on to verification |
//! | `cognito_jwt_jwks_fetches_total` | counter | `issuer`, `result="ok"`, `"http_<status>"`, `"timeout"`, `"too_large"`, `"parse_error"` (not a usable JWKS), `"error"` (connection, redirect, content type) | each JWKS fetch: first use, refresh, unknown `kid`, prefetch, probe |
//! | `cognito_jwt_unknown_kid_total` | counter | `issuer`, `result="refetch"` (started a fetch), `"joined"` (waited for one in flight), `"cooldown"` (refused at once) | each token whose `kid` is not in its issuer's fetched key set (static key sets: not counted) |
//! | `cognito_jwt_jwks_age_seconds` | gauge | `issuer` | the key set's age: 0 at each successful fetch, updated at every fetch attempt and every [status read](#readiness) |
//! | `cognito_jwt_jwks_keys` | gauge | `issuer` | usable keys in the set, at each successful fetch |
//! | `cognito_jwt_revocations_total` | counter | `rule` (`token`, `family`, `subject`, `client`) | each token refused as revoked, by the kind of rule that matched |
//! | `cognito_jwt_revocation_rules` | gauge | — | revocation rules held, after the last change |
//! | `cognito_jwt_revocations_synced_timestamp_seconds` | gauge | — | when a store (`cognito-jwt-redis`) last confirmed the rules; the mirror's lag is `time() - cognito_jwt_revocations_synced_timestamp_seconds` |
//!
//! A request refused because its token was rejected counts twice, in two
//! views: one rejected verification (what tokens clients send) and one
//! refusal (what requests were answered how). A route-level refusal (403, a
//! token of the wrong kind at a route) is a refusal of a token whose
//! verification was accepted. `Verifier::verify` alone counts no refusal.
//!
//! **Labels cannot be chosen by a request.** `issuer` is the issuer as
//! configured (for a Cognito pool, its `https://cognito-idp.…` form, never
//! the token's `iss`); every other label value is one of the fixed strings
//! above, so the number of series is bounded by the configuration.
//!
//! **`reason` values are stable**: they are the
//! [`Error::kind`](crate::Error::kind) strings, each with one HTTP status.
//!
//! | `reason` | HTTP | | `reason` | HTTP |
//! |---|---|---|---|---|
//! | `missing_token` | 401 | | `not_yet_valid` | 401 |
//! | `malformed_credentials` | 400 | | `issued_in_future` | 401 |
//! | `multiple_credentials` | 400 | | `untrusted_issuer` | 401 |
//! | `token_too_large` | 401 | | `wrong_token_use` | 401 |
//! | `malformed_token` | 401 | | `client_not_allowed` | 401 |
//! | `algorithm_not_allowed` | 401 | | `audience_mismatch` | 401 |
//! | `bad_header` | 401 | | `bad_claim` | 401 |
//! | `unknown_key` | 401 | | `insufficient_scope` | 403 |
//! | `key_algorithm_mismatch` | 401 | | `missing_group` | 403 |
//! | `invalid_signature` | 401 | | `forbidden` | 403 |
//! | `expired` | 401 | | `keys_unavailable` | 503 |
//! | `revoked` | 401 | | `revocations_unavailable` | 503 |
//! | | | | `misconfigured` | 500 |
//!
//! **Cost.** The counters of the request path (accepted, cache hits and
//! misses) are registered once per thread and recorder, so a cache hit
//! adds two atomic increments to the recorder's counters (about 25 ns with
//! Prometheus's; `BENCHMARKS.md`, session 7). Threads that count on the
//! same counters share their cache lines, which the verified-token cache's
//! near tier otherwise avoids.
//!
//! ## Readiness
//!
//! [`Verifier::key_status`](crate::Verifier::key_status) says, per issuer,
//! whether its keys are loaded, how old they are, how long they are still
//! used without a successful fetch, and why the last fetch failed (capped,
//! control characters escaped, never token data);
//! [`Verifier::is_ready`](crate::Verifier::is_ready) whether every issuer's
//! keys can verify tokens now. The states
//! ([`KeySetState`](crate::KeySetState)):
//!
//! | state | ready | when |
//! |---|---|---|
//! | `static` | yes | keys given at build time (`Issuer::static_jwks`) |
//! | `fresh` | yes | fetched less than `refresh_interval` ago |
//! | `stale` | yes | older than that: a refresh is due or failing, and the keys are still used |
//! | `expired` | no | older than `refresh_interval + max_stale`: requests get 503 |
//! | `not_loaded` | no | no fetch has succeeded yet: requests get 503 |
//!
//! Reading the status starts, in the background, the fetch each set needs
//! (missing, expired or due a refresh), as the backoff allows: a readiness
//! probe alone loads the keys once the endpoint answers, and keeps an idle
//! service's keys fresh. So a probe is all it takes for a service that
//! started during an outage to become ready.
//!
//! [`Verifier::prefetch_within`](crate::Verifier::prefetch_within) fetches
//! every issuer's keys at once and waits at most its timeout; the fetches go
//! on in the background after that. Its error is never fatal unless you
//! return it: starting without keys and answering `/ready` with 503 lets an
//! orchestrator wait for the pool, where a crashing start-up would loop.
//! Keep liveness (`/health`, always 200) apart from readiness: a pool
//! outage must not get every replica restarted.
//!
//! ## Revocation
//!
//! A revoked Cognito token (RevokeToken, GlobalSignOut, a disabled app
//! client) still passes every offline check until it expires, and Cognito
//! has no introspection endpoint. Give the verifier a
//! [`Revocations`](crate::revocation::Revocations) set
//! ([`VerifierBuilder::revocations`](crate::VerifierBuilder::revocations))
//! and add [`Revocation`](crate::revocation::Revocation) rules from your
//! application:
//!
//! | after | rule | refuses |
//! |---|---|---|
//! | RevokeToken (a user signs out of one session) | `Revocation::family(origin_jti)` | the access and ID tokens of that refresh token |
//! | GlobalSignOut, password reset, a disabled user | `Revocation::subject_until(sub, t)` | the user's tokens issued at or before second `t` |
//! | a disabled or rotated machine client | `Revocation::client_until(client_id, t)` | the client's tokens issued at or before `t` |
//! | a leaked token | `Revocation::token(jti)` | that token |
//!
//! - **Checked on every verified token and every verified-token cache hit**:
//!   a cached token stops passing the moment its rule is added. A refusal is
//!   401 `invalid_token`, [`Error::Revoked`](crate::Error::Revoked)
//!   (`kind()` `"revoked"`).
//! - **No I/O on the request path.** The rules are in memory; each thread
//!   reads its own snapshot, found with one atomic load while nothing
//!   changed (BENCHMARKS.md: a cache hit with 10,000 rules stays 112x
//!   faster than a cold verification).
//! - **Bounded.** Each rule is forgotten once no token it can match is
//!   valid: the maximum token lifetime (a day, Cognito's longest; set your
//!   app clients' with `Revocations::builder().max_token_lifetime(..)`)
//!   after it was added or after its cut-off.
//! - **Cut-offs are inclusive**: a token issued in the second of a sign-out
//!   may be from before it, so it is refused; sign in again a second later.
//! - **A token without `iat`** counts as issued at the epoch: a user or
//!   client cut-off refuses it.
//! - **ALB data tokens** are checked too when the `AlbVerifier` has the
//!   set ([`AlbVerifierBuilder::revocations`](crate::AlbVerifierBuilder::revocations);
//!   the gate does not pass the bearer verifier's set on). They have no
//!   `iat`, so a subject rule refuses **all** of that user's data tokens,
//!   from new load balancer sessions too, until the rule expires (no call
//!   removes one: give it an `expires_at` to choose when), and the load
//!   balancer keeps signing fresh ones for its whole session (`SessionTimeout`,
//!   7 days by default), longer than the default day a rule lives; see
//!   [Behind an Application Load Balancer](#behind-an-application-load-balancer).
//! - **A fleet** shares the rules through a store that keeps each
//!   instance's set current (`cognito-jwt-redis`). While the store is
//!   unreachable, an instance answers from the rules it has and reports
//!   their age; build the set with
//!   `Revocations::builder().fail_closed_after(bound)` to answer 503
//!   ([`Error::RevocationsUnavailable`](crate::Error::RevocationsUnavailable),
//!   with `Retry-After`) instead, until the first sync and whenever the
//!   store has not confirmed the set within `bound`.
//!
//! ## MCP servers (RFC 9728 and RFC 8707)
//!
//! The MCP authorization spec makes an MCP server an OAuth resource server:
//! it publishes RFC 9728 Protected Resource Metadata, names it in its 401s
//! and 403s, and accepts only tokens issued for itself. Three calls:
//!
//! - **Only this resource's tokens.**
//!   [`VerifierBuilder::for_resource(uri)`](crate::VerifierBuilder::for_resource)
//!   with `token_use(TokenUse::Access)`: `aud` must name `uri`. Cognito
//!   sets it with resource binding (Essentials or Plus plan, managed login,
//!   the client sending `resource=uri` on `/oauth2/authorize` and
//!   `/oauth2/token`); a token without `aud`, or for another resource, is
//!   401 `invalid_token`. Without this, a token the pool issued for any
//!   other API of the pool would be accepted (the confused deputy RFC 8707
//!   is about).
//! - **The document, from the verifier.**
//!   [`ProtectedResourceMetadata::for_verifier`](crate::ProtectedResourceMetadata::for_verifier):
//!   `resource` is the verifier's one required audience, and
//!   `authorization_servers` its issuers (a pool's `cognito-idp` form);
//!   add the scopes the tools ask for. A verifier without `for_resource`
//!   has no resource to describe: a `BuildError`.
//! - **Served and named.** `CognitoAuth::publish(document)` (both
//!   adapters) returns the middleware, whose challenges carry
//!   `resource_metadata="…"`, and a `ResourceMetadata` service that answers
//!   on the document's well-known path without a token (the path-suffix
//!   form for a resource at a path: `/.well-known/oauth-protected-resource/mcp`
//!   for `https://host/mcp`). Mount the service outside the middleware,
//!   where it sees the whole path: the well-known path is at the origin's
//!   root even for a resource at a path, so in axum it goes on the
//!   outermost router, not inside a `Router::nest` (which removes the
//!   prefix), and in actix-web on the `App`, not inside a `web::scope`.
//!   It is cached for an hour: it changes only with the deployment. Which
//!   paths ask for it is one rule, [`ProtectedResourceMetadata::is_requested`](crate::ProtectedResourceMetadata::is_requested),
//!   on the path as sent: both adapters apply it (actix-web's router, which
//!   reads `%6Dcp` as `mcp`, does not decide), so a percent-encoded, doubled
//!   or trailing slash variant is the app's other routes' in both.
//!   `scopes_supported` lists each scope once, in the order first given.
//!
//! Per-tool scopes: every tool is called on the same URL, so the scope is
//! not a route's. `examples/mcp-server` reads the JSON-RPC `tools/call`
//! name from the body (capped at 256 KiB, 413 beyond; a batch, a key given
//! twice or a missing name is 400, so that no second reader can see another
//! tool) and hands the request to a `Require` for that tool's scope, whose
//! refusal is the MCP scope challenge: 403 `insufficient_scope` with
//! `scope="…"` and `resource_metadata="…"`. A body that fails while read
//! (not over the cap) is 400, not 413.
//!
//! Sessions: rmcp's `LocalSessionManager` knows a session by its
//! `Mcp-Session-Id` alone, so any valid token for the resource could use
//! another caller's session (its calls, its `GET` event stream). The example
//! binds each session to the `sub` and `client_id` of the token whose
//! `initialize` opened it, and answers 404 (as for an unknown session) to
//! any other token naming it. Clients seldom close sessions, so the record
//! forgets one when its opener's `DELETE` succeeds, when rmcp answers 404
//! for it (rmcp ended it), or once no request named it for rmcp's
//! keep-alive (5 minutes, `SessionConfig::DEFAULT_KEEP_ALIVE`, which the
//! example gives rmcp explicitly), checked before an `initialize` is
//! refused for room; at most 10,000 sessions are recorded (503 for a new
//! one beyond) and 100 per caller (429 for that caller's next one, naming
//! the cause, rather than dropping its oldest, so that one token cannot
//! fill rmcp either). A server on its own stack must do the same: a session
//! id is not a credential.
//!
//! Local development: Cognito accepts an `http` `resource` only on
//! `localhost`, so a local resource is `http://localhost:PORT/mcp`, not
//! `127.0.0.1`. The example's embedded issuer has a loopback `iss` (its own
//! URL), so `authorization_servers` leads a client to its discovery
//! document and `/oauth2/token`, as a pool's does.
//!
//! ## Errors and HTTP answers
//!
//! An unknown `kid` while the JWKS endpoint fails is 503 with `Retry-After`,
//! not 401: it may be the pool's new key, and the client's token may be
//! good. Only a `kid` that a successful fetch did not contain is 401
//! (`UnknownKey`). A fetch runs in a task of its own, so requests that are
//! cancelled while they wait for it neither stop it nor start another: a
//! flood of unknown `kid`s costs at most one fetch per cooldown, whatever
//! the callers do.
//!
//! Every [`Error`](crate::Error) variant maps to one [`ErrorClass`](crate::ErrorClass):
//! 400 `invalid_request`, 401 `invalid_token`, 401 with no error code when no
//! token was sent, 403 `insufficient_scope`, 503 when keys cannot be had (a
//! Cognito outage is not the client's fault), or 500 when the server itself
//! is misconfigured (below). Clients see only the fixed text of
//! [`Error::client_description`](crate::Error::client_description); the
//! detailed message (which may quote claim values, never the token) is for logs.
//!
//! ## Behind an Application Load Balancer
//!
//! An ALB with an `authenticate-cognito` (or `authenticate-oidc`) action
//! forwards `x-amzn-oidc-data`, a JWT it signs, and
//! [`AlbVerifier`](crate::AlbVerifier) verifies it. The choices:
//!
//! - **The network rule is yours; the `signer` pin is ours.** The header
//!   proves the user only if every request reaches the server through the
//!   load balancer (only its security group may reach the targets): anyone
//!   who reaches the target directly can send the header. The library
//!   cannot see how a request arrived. It pins the load balancer's ARN
//!   (`signer`, required at build), so a token signed by any other load
//!   balancer, yours or another account's, is
//!   [`Error::UntrustedSigner`](crate::Error::UntrustedSigner) (401).
//! - **Which credential.** [`Trust`](crate::Trust) on the gate: `Bearer` (the
//!   default; the header is ignored), `AlbData` (only the header; the
//!   `Authorization` header is ignored), or `Either` (the header when
//!   present, else the bearer token). A request with both under `Either` is
//!   400 `MultipleCredentials`: it cannot be told which user it is, and
//!   guessing would let one credential shadow the other. Two data headers
//!   are 400 too.
//! - **What the claims are.** A verified data token becomes
//!   [`Claims`](crate::Claims) of an **access token** of the user the load
//!   balancer logged in: `token_use` is `access` (so `AccessToken` and
//!   `Authenticated` admit it, `IdToken` refuses it), `client_id()` is the
//!   header's `client`, `sub`, `username` and every other claim are the
//!   payload's, and [`Claims::alb_signer`](crate::Claims::alb_signer) names
//!   the load balancer. The typed views (`access_token()`, `id_token()`)
//!   are `None`: the payload is the user's attributes, read with `get`,
//!   `deserialize` or `ClaimsAs<T>`. It has **no scopes**, whatever its payload says:
//!   scopes say what a client may do, and the load balancer grants nothing,
//!   so a route that needs a scope answers 403. Groups are the payload's
//!   `cognito:groups`, which a load balancer's userinfo claims do not carry.
//!   The verified-token cache is for bearer tokens only: each data token
//!   is verified.
//! - **Revocation.** The load balancer keeps signing fresh, short-lived
//!   data tokens for as long as its session cookie lasts (the listener rule's
//!   `SessionTimeout`, 7 days by default), whatever happened in the user
//!   pool: after GlobalSignOut the user's data tokens keep coming. Give the
//!   `AlbVerifier` the same [`Revocations`](crate::revocation::Revocations)
//!   set as the bearer verifier
//!   ([`AlbVerifierBuilder::revocations`](crate::AlbVerifierBuilder::revocations));
//!   it runs the same check after a data token verified. Subject rules match
//!   the payload's `sub`, client rules the header's `client`. A data token
//!   has no `iat`, and a token without `iat` counts as issued at the epoch,
//!   so a `subject_until` rule shuts the user out of load balancer routes,
//!   new sessions included, **for as long as the rule lives**, whatever its
//!   cut-off; a `client_until` rule shuts out every data token of that
//!   client. There is no call that removes a rule: the user is let back in
//!   when it expires, the set's maximum token lifetime (a day by default)
//!   after its cut-off, or at the `expires_at` given when it was added. A
//!   load balancer session that outlives the rule is admitted again; to
//!   cover it, add the rule with `.expires_at(cut_off + SessionTimeout)`. A
//!   set that fails closed and is out of date answers 503 on these routes
//!   too.
//! - **The encoding.** Load balancers encode each segment as base64url with
//!   `=` padding and sign the padded text; AWS said in 2019 it would drop
//!   the padding. A parser of its own accepts either, per segment: exactly
//!   the padding an encoder writes, or none, with canonical bits and the URL
//!   alphabet, and nothing looser. The signature covers the segments as
//!   sent, so accepting both lets nothing new through. The Cognito parser
//!   still refuses every padded token. ES256 only; `signer`, `client`,
//!   `iss` and `exp` must be in the header. A payload `iss`, when present,
//!   must equal the header's, and `Claims::issuer()` is the header's when
//!   the payload has none. A payload `exp`, when present, does not have to
//!   equal the header's: the earlier of the two is the token's expiry
//!   (`Claims::expires_at`, and what `ClaimError::Expired` names). `crit`
//!   and `b64` are refused; `cty`, `typ` and every other header member are
//!   read and ignored (a load balancer's payload is always the JSON claims,
//!   never a nested token).
//! - **Keys.** One PEM key per `kid` at `{keys URL}/{kid}`: the ARN's
//!   region's `https://public-keys.auth.elb.{region}.amazonaws.com` by
//!   default, `https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}`
//!   in GovCloud, and no default for other partitions (set `keys_url`). A
//!   `kid` that is not a plain URL path segment (RFC 3986 unreserved
//!   characters, not `.` or `..`) is refused before any URL is built. A
//!   fetch brings back one `kid`'s key, not a key set, so the JWKS cache's
//!   global cooldown would let a flood of random kids lock a rotated `kid`
//!   out for as long as the flood lasts; the policy is per `kid` instead
//!   (`AlbKeyOptions`):
//!   - a `kid` the key host has no key for (404, and 403 or 410: the hosts
//!     are S3-backed, and S3 answers 403 for a missing object when listing
//!     is not granted), or answers for with something that is not its key
//!     (a 200 whose body is not one P-256 PEM key, more than 4 KiB, another
//!     4xx but 429), is 401 `UnknownKey` at once for 5 minutes
//!     (`unknown_kid_ttl`; 4096 kids remembered; an answer that is not a
//!     key, which may be a passing fault of a real key's, waits only
//!     `max_backoff`, 30 s), and holds up no other `kid`: the host
//!     answered, so it is not backed off;
//!   - fetches come from a budget of one per second with a burst of 3
//!     (`fetch_interval`, `fetch_burst`), one at a time, joined by every
//!     request for its `kid`. When the budget is spent (or the fetch went
//!     to another `kid`), an uncached `kid` is 503 `KeysUnavailable` at
//!     once with a `Retry-After` of the budget's refill time (it is not
//!     known to be missing, only not fetched yet), and its requests are
//!     counted in fixed memory (a count-min sketch of 4 × 4096 counters and
//!     the 16 most requested kids by name, each with when it was first
//!     counted; counts halve at each fetch). The fetches go turn about to
//!     the `kid` with the most requests and to the tracked `kid` that has
//!     waited longest among those asked for since the fetch before last.
//!     After a rotation all legitimate traffic names the new `kid`: it wins
//!     the most-requests turn over random kids (one request each), and the
//!     longest-waiting turn over a flood that names one fresh `kid` at a
//!     time however many requests each has (each fresh one is younger). So
//!     under a flood a rotated `kid` is fetched within three fetches of its
//!     first request (about three seconds). What delays it further is an
//!     attacker keeping kids of its own asked for from before the rotation:
//!     two seconds for each, 15 at most (30 s); and one that keeps all 16
//!     tracked places filled with kids each asked for more often than the
//!     new one (some 16 times the legitimate rate, sustained) holds it off
//!     while that lasts. A flood costs at most the budget in fetches;
//!   - a fetched key is cached (64 at most, least recently used out first,
//!     so a rotated key is always admitted) only after a token naming a
//!     pinned signer verified with it; until then it is one of 16
//!     candidates. The regional host also serves other load balancers'
//!     keys, and whoever holds the ARN and client id can name those kids:
//!     they cost fetches from the budget but never push a verified key out.
//!
//!   An outage (no answer, a timeout, a 5xx, 429, a redirect, any status
//!   but 200 that is not a 4xx) is 503 with `Retry-After`, with backoff, during which
//!   every uncached `kid` is 503 at once.
//! - **Checked before any fetch:** encoding, `alg`, `kid`, `signer`,
//!   `client`, `iss`, so a token that does not name the pinned load
//!   balancer and app client costs no request to the key host.
//! - **Metrics.** Key fetches count in `cognito_jwt_jwks_fetches_total`
//!   and `cognito_jwt_unknown_kid_total` with `issuer` set to the keys URL
//!   (configured, never taken from a token); each `AlbVerifier::verify` is
//!   one decision in `cognito_jwt_verifications_total`.
//!
//! ## One decision in every adapter
//!
//! The adapters (`cognito-jwt-tower` for axum, tonic and any tower stack;
//! `cognito-jwt-actix`) only translate their framework's types. Every
//! decision is made by the core's [`Gate`](crate::adapter::Gate): whether a
//! request without credentials may proceed, the token use, scope, group and
//! policy rules of extractors and route layers, the answer to each refusal
//! and its one log line. So each request gets the same answer in every
//! adapter, and the same concepts have the same names:
//!
//! | concept | name in both adapters |
//! |---|---|
//! | the middleware (its service, its future) | `CognitoAuth` (`CognitoAuthService`, `CognitoAuthFuture`) |
//! | a route's requirement (middleware; in actix also a guard) | `Require` (`RequireService`, `RequireFuture`) |
//! | extractors | `Authenticated`, `AccessToken`, `IdToken`, `ClaimsAs<T>`, `RequireScope<S>`, `RequireGroup<G>`, `Authorized<P>` |
//! | an optional extractor | `Optional<T>` (axum's own `Option<T>` works the same) |
//! | an extractor's refusal | `AuthRejection` (one variant per class), holding a `Refused` |
//! | your own rendering | `CognitoAuth::render_rejection`, given a `Rejection` |
//! | the standard answer | `render_challenge` |
//! | owned claims out of an extractor | `into_claims()` (`into_inner()` for `ClaimsAs` and `Optional`) |
//!
//! What the adapters agree on, where frameworks would otherwise differ:
//!
//! - **An optional extractor never turns a bad token into an anonymous
//!   request.** Without credentials it is `None`; with a token, the token
//!   must be valid and meet the extractor's need, or the request is refused
//!   as the plain extractor would refuse it. actix-web's own `Option<T>`
//!   turns every extractor error into `None`, so in actix use `Optional<T>`.
//! - **No middleware in front is 500**, for an extractor, a `Require` or an
//!   invalid `Policy`: a server bug, logged as an error, never the handler
//!   and never a 401 that would send the client looking for credentials.
//! - **gRPC answers are opt-in.** With `CognitoAuth::grpc` (tower), a
//!   refused call with `content-type: application/grpc` gets a
//!   trailers-only gRPC status; without it, every refusal is HTTP.
//! - **Every challenge is a valid header value**: realms are printable
//!   ASCII (checked when set) and scopes RFC 6749 scope tokens (checked when
//!   a rule is built).
//! - **Policies are built once per thread**, not on every request
//!   ([`Policy`](crate::Policy), [`ScopeSet`](crate::ScopeSet),
//!   [`GroupSet`](crate::GroupSet)).
//!
//! Each refusal is logged once, by the core: `debug` for the client's
//! mistakes (`outcome="rejected"`, or `"forbidden"` for a 403), `warn` when
//! keys are unavailable, `error` when the server is misconfigured; an
//! accepted token is logged at `debug` (`outcome="accepted"`, `kid`,
//! `issuer`, `token_use`).
//!
//! ## Behind API Gateway and ALB (AWS Lambda)
//!
//! A Lambda function behind API Gateway or an ALB gets each request as an
//! event; `lambda_http` turns it into an `http::Request` for a tower service,
//! so `CognitoAuth` decides exactly as it does over TCP
//! (`examples/lambda-api`, tested in `tests/tests/lambda.rs` with AWS's
//! sample events). What to know there:
//!
//! - **An API Gateway authorizer is not the whole check.** A REST API's
//!   Cognito user pool authorizer accepts ID tokens on methods without OAuth
//!   scopes and knows no app client; an HTTP API's JWT authorizer matches its
//!   audience list against `aud` **or** `client_id`, so an ID token passes it
//!   too. `token_use`, the app client per token kind, scopes per route,
//!   groups and revocation are the function's to check: keep the verifier in
//!   the function even behind an authorizer.
//! - **Load the keys in the init phase.** Call
//!   [`Verifier::prefetch_within`](crate::Verifier::prefetch_within) in
//!   `main`, before the runtime loop: one fetch per execution environment,
//!   and the first request does not wait for it. A failed prefetch is not
//!   fatal: requests get 503 with `Retry-After` (never 401) until the keys
//!   can be had, and the same environment recovers without a restart.
//! - **Two `Authorization` headers may reach the function as one.** An HTTP
//!   API joins a repeated header with commas (the layer answers 400, a
//!   malformed header); a REST API's `headers` and an ALB without
//!   multi-value headers keep the last value, which `lambda_http` passes on
//!   alone, so the function judges that credential and cannot know there
//!   was another. An ALB with multi-value headers passes both (400, more
//!   than one credential).
//!
//! ## The local issuer's grants (testkit, `cognito-jwt serve`)
//!
//! `cognito_jwt_testkit::LocalIssuer::builder()` and `cognito-jwt serve`
//! answer Cognito's OAuth 2.0 endpoints for tests. They are not an
//! authorization server to deploy, and they choose accordingly:
//!
//! - **Loopback only, unless you insist.** The testkit binds `127.0.0.1`;
//!   `LocalIssuerBuilder::bind` refuses any other address without
//!   `allow_non_loopback()`, and `serve --bind` without
//!   `--allow-non-loopback`, since whoever reaches it gets tokens the APIs
//!   under test accept. An issuer reached by another name (a container's
//!   host name, a port mapping) advertises `public_url(URL)` /
//!   `--public-url URL` instead of the bound address, in the discovery
//!   document, its URLs and, with the loopback issuer, `iss`: a base URL,
//!   `http(s)://HOST[:PORT]`, nothing else.
//! - **No sign-in form.** `/oauth2/authorize` signs in the first configured
//!   test user, or the one `login_hint` names, and redirects with a code.
//! - **Cognito's rules, not looser ones.** `client_credentials` needs a
//!   client secret, grants custom scopes of configured resource servers only
//!   (`invalid_scope` otherwise), and cannot share a client with the code
//!   grant; PKCE is `S256` only; `redirect_uri` must be one of the client's
//!   callback URLs exactly (an error page, never a redirect, otherwise);
//!   callback URLs and `resource` (RFC 8707) follow one rule: an absolute
//!   URL without a fragment, `https://`, `http://localhost`, or an app's own
//!   scheme such as `myapp://callback` (Cognito: "App callback URLs such as
//!   myapp://example are also supported"); `resource` becomes `aud`.
//! - **Codes**: random 256-bit, single use (any exchange attempt for a known
//!   code spends it, right or wrong, even one missing `redirect_uri`), bound
//!   to the client, the `redirect_uri`, the PKCE challenge and the
//!   `resource`, valid 5 minutes. A `code_verifier` sent for a code
//!   requested without a challenge is `invalid_grant` (a PKCE downgrade,
//!   RFC 9700 §2.1.1). `resource` on the token request may repeat the
//!   authorize request's; any other value is `invalid_grant`; absent, the
//!   authorize request's resource stands.
//! - **Refresh tokens** are random 256-bit strings that work for the app
//!   client's refresh token validity, 30 days by default as in Cognito
//!   (`AppClient::refresh_token_validity`, `refresh_token_validity_secs` in
//!   JSON), counted from the sign-in: a rotated token keeps its
//!   predecessor's expiry. Revoking one, or rotating it away, removes it, so
//!   later refreshes with it are `invalid_grant`; a rotation stores the new
//!   token before it retires the old one, under one lock, so a refused
//!   refresh leaves the caller's token working.
//! - **Revoking a session reaches the resource server only through a
//!   revocation set**, as with Cognito's RevokeToken: the access and ID
//!   tokens minted from a refresh token (its `origin_jti`) still verify
//!   offline. `LocalIssuerBuilder::revocations(set)` (testkit feature
//!   `revocations`) makes `/oauth2/revoke` also add
//!   `Revocation::family(origin_jti)` to a `revocation::Revocations`, before
//!   it answers 200; a `Verifier` built with the same set then refuses that
//!   session's tokens (`Error::Revoked`, rule `family`) and keeps accepting
//!   other sessions'. A revoke by another client, or of a token it does not
//!   know, adds nothing.
//! - **`/oauth2/userInfo`** (Cognito's user attributes endpoint), `GET` or
//!   `POST`, reads `Authorization: Bearer <access token>` (the scheme in any
//!   case, one header, one RFC 6750 `b64token`; the body is never read). It
//!   accepts an unexpired access token signed by one of the issuer's
//!   published keys (2048 bits or more for RSA) with that key's `alg`, this
//!   `iss`, a configured app client, a configured user (`username` and
//!   `sub`), the `openid` scope, and a session not revoked at
//!   `/oauth2/revoke`. It answers 200 `sub`, the released attributes and
//!   `username`, each value a string as Cognito's are (`"email_verified":
//!   "true"`): with `openid` alone every attribute; otherwise `profile`
//!   releases the OIDC profile attributes and `custom:*`, `email` releases
//!   `email` and `email_verified`, `phone` releases `phone_number` and
//!   `phone_number_verified` (`aws.cognito.signin.user.admin` changes
//!   nothing). Refusals are the two Cognito documents, with
//!   `WWW-Authenticate: Bearer error="…", error_description="…"` and a JSON
//!   body: 400 `invalid_request` for a malformed header (two
//!   `Authorization` headers, `Bearer` without exactly one token, bytes
//!   that are not visible ASCII), 401 `invalid_token` for no bearer token
//!   and for every token it does not accept (a client-credentials token, a
//!   token without `openid`, expired, revoked, another issuer's, tampered,
//!   an ID token). Other methods are 405 (`Allow: GET, POST`).
//! - **Hostile requests**: bodies and query strings over 16 KiB, more than
//!   32 parameters, a repeated parameter, a body that is not
//!   `application/x-www-form-urlencoded`, or two client authentication
//!   methods at once are `invalid_request`; secrets are compared in constant
//!   time; at most 10,000 waiting codes and 10,000 *live* refresh sessions
//!   (not expired, revoked or rotated away) are held
//!   (`LocalIssuerBuilder::max_sessions`). Beyond 10,000 codes,
//!   `/oauth2/authorize` is 503 `temporarily_unavailable` until codes are
//!   exchanged or expire (5 minutes); a sign-in that finds the refresh
//!   sessions full evicts the one that expires soonest (its refresh token
//!   then gets `invalid_grant`) and succeeds; expired entries are dropped
//!   whenever one is added, and a rotating refresh, which replaces its
//!   session, evicts nothing. A long-running `serve` stays usable.
//! - **Client secrets and durations**: HTTP Basic credentials are decoded
//!   as RFC 6749 §2.3.1 says (each of id and secret form-urlencoded, `+` a
//!   space, `%XX` a byte, nothing split at `&` or `=`). So that a secret
//!   sent raw (`curl -u`, `reqwest`'s `basic_auth`) still matches, a
//!   configured secret may hold only ASCII letters, digits and `- . _ ~`
//!   (Cognito's generated secrets are letters and digits); anything else
//!   is refused by `OAuthConfig::validate` and by `serve`. A refresh token
//!   validity is at most 10 years (3,650 days, Cognito's maximum) and a
//!   `code_lifetime` at most 10 minutes (`MAX_CODE_LIFETIME`); more is
//!   refused when the issuer starts.
//! - **Error answers** are Cognito's: HTTP 400 with `invalid_request`,
//!   `invalid_client`, `invalid_grant`, `unauthorized_client`,
//!   `unsupported_grant_type` or `invalid_scope` from `/oauth2/token`; 401
//!   `invalid_client` and 400 `unsupported_token_type` from
//!   `/oauth2/revoke`, which answers 200 for a token it does not know;
//!   400 `invalid_request` and 401 `invalid_token` from `/oauth2/userInfo`.
//!
//! The tokens carry the claims Cognito puts in each: a client-credentials
//! access token has `sub` = `client_id`, `scope`, `version`, no `username`,
//! no groups, no `origin_jti`; a code-grant access token has `username`,
//! `cognito:groups` (when the user has groups), `origin_jti`, `event_id`,
//! `version`; an ID token (only when `openid` was granted) has `at_hash`,
//! `aud` = the client, `cognito:username`, `nonce` when one was sent, and
//! the user's attributes. A refresh keeps `origin_jti`, `event_id` and
//! `auth_time` and returns no refresh token unless the client rotates them.

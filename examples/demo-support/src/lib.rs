//! What the example APIs (`axum-api`, `actix-api`) share, so they answer the
//! same request identically: configuration from the environment, the
//! verifier, an embedded local issuer with ready-to-paste `curl` commands, the
//! per-route [`rules`] and the JSON [`responses`].
//!
//! Environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `COGNITO_USER_POOL_ID` | a user pool id such as `us-east-1_AbCdEf123` |
//! | `COGNITO_ISSUER` | or an explicit issuer URL (emulators, other providers) |
//! | `COGNITO_JWKS_URI` | optional; default `<issuer>/.well-known/jwks.json` |
//! | `COGNITO_CLIENT_IDS` | comma-separated app client ids; required with a pool or issuer |
//! | `BIND_ADDR` | default `127.0.0.1:3000` |
//! | `EXPOSE_METRICS` | `1` serves `GET /metrics` (Prometheus text); unset or `0`, that path is 404 |
//! | `COGNITO_RESOURCE` | this API's resource identifier (RFC 9728; default `http://{bind address}`); when set, every 401 and 403 challenge names the metadata document. `mcp-server`: default `http://localhost:{port}/mcp`, always named, and access tokens must carry it in `aud` ([`Demo::resource_verifier`]) |
//! | `REDIS_URL` | share revocations with every instance through this Redis (`cognito-jwt-redis`); unset, they are kept in this process |
//! | `COGNITO_ALB_ARN` | behind an Application Load Balancer with a Cognito `authenticate` action: its ARN. Requests carrying `x-amzn-oidc-data` are then authenticated from that data token (signed by this load balancer, for an app client of `COGNITO_CLIENT_IDS`, issued by the pool; keys from the ARN's region), the others from their bearer token; both at once is 400. `/me` answers the data token's user as for an access token |
//! | `COGNITO_ALB_CLIENT_IDS` | optional, with `COGNITO_ALB_ARN`: the load balancer's own app clients (comma-separated; the ALB's `authenticate` action uses a confidential client that bearer clients should not share); default `COGNITO_CLIENT_IDS` |
//! | `COGNITO_ALB_KEYS_URL` | optional, with `COGNITO_ALB_ARN`: where the load balancer's keys are fetched (`{kid}` is appended); default the region's `https://public-keys.auth.elb.{region}.amazonaws.com` |
//!
//! With neither a pool nor an issuer, an embedded [`LocalIssuer`] is started
//! with Cognito's OAuth 2.0 grants, and [`Demo::print_ready`] prints short
//! `curl` commands that get tokens from it (client credentials with `curl
//! -u`, the code grant with PKCE) and call the API with them.
//!
//! Routes (the contract both examples implement):
//!
//! | route | needs | answer |
//! |---|---|---|
//! | `GET /health` | nothing | 200 [`responses::health`] |
//! | `GET /me` | an access token ([`rules::me`]) | 200 [`responses::me`] |
//! | `GET /profile` | an ID token ([`rules::profile`]) | 200 [`responses::profile`] |
//! | `GET /orders` | access token, scope `orders/read` ([`rules::orders_read`]) | 200 [`responses::orders`] |
//! | `POST /orders` | access token, scope `orders/write` ([`rules::orders_write`]) | 201 [`responses::order_created`] |
//! | `GET /admin` | access token, group `admin` ([`rules::admin`]) | 200 [`responses::admin`] |
//! | `GET /ready` | nothing | 200 when every issuer's keys are usable, else 503 ([`responses::readiness`]) |
//! | `GET /metrics` | nothing; only with `EXPOSE_METRICS=1` | 200, Prometheus text ([`MetricsExporter`]) |
//! | `GET /.well-known/oauth-protected-resource[/path]` | nothing | 200, the RFC 9728 Protected Resource Metadata ([`Demo::resource_metadata`]), served by the adapters' `ResourceMetadata` |
//! | `POST /logout` | an access token | 200: its session (token family) is revoked ([`revoke`]) |
//! | `POST /admin/revocations` | access token, group `admin` | 200: the rule in the JSON body is revoked ([`revoke`]) |
//!
//! `/health` is a liveness probe: 200 whatever the keys. `/ready` is the
//! readiness probe: 503 until the issuer's keys are loaded (the start-up
//! prefetch waits [`PREFETCH_TIMEOUT`] at most and is not fatal), 200 while
//! they can verify tokens (through a JWKS outage, until `max_stale` has
//! passed), and each probe starts the fetches that are due.
//!
//! Routing comes before authentication: an unknown path is 404 and an
//! unknown method 405 with `Allow`, with or without a token; `HEAD` is
//! answered like `GET`, without the body.
//!
//! ```
//! let demo = demo_support::Demo::from_vars(|_| None).unwrap(); // embedded issuer
//! assert!(demo.local.is_some());
//! assert_eq!(demo.bind_addr.to_string(), "127.0.0.1:3000");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use cognito_jwt::revocation::{Revocation, Revocations};
use cognito_jwt::{
    AlbVerifier, Claims, Issuer, ProtectedResourceMetadata, TokenUse, Trust, Verifier,
};
use cognito_jwt_redis::{RedisOptions, RedisRevocations};
pub use cognito_jwt_testkit::{LocalIssuer, LocalIssuerBuilder};

/// The scope `GET /orders` needs.
pub const ORDERS_READ: &str = "orders/read";
/// The scope `POST /orders` needs.
pub const ORDERS_WRITE: &str = "orders/write";
/// The group `GET /admin` needs.
pub const ADMIN_GROUP: &str = "admin";
/// Where the examples listen unless `BIND_ADDR` says otherwise.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";
/// The prefix of the line printed once the server listens; tests wait for it.
pub const LISTENING_PREFIX: &str = "listening on http://";
/// How long start-up waits for the issuers' keys before it goes on without
/// them (`GET /ready` says 503 until they come).
pub const PREFETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// A configuration the examples cannot start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Everything an example API needs to start.
#[derive(Debug)]
pub struct Demo {
    /// The verifier: `any_token_use()`, since each route decides the token kind.
    pub verifier: Verifier,
    /// Where to listen (`BIND_ADDR`).
    pub bind_addr: SocketAddr,
    /// The embedded issuer, when no pool or issuer was configured. Keep it
    /// alive as long as the server: it serves the JWKS.
    pub local: Option<LocalIssuer>,
    /// `GET /metrics`, when `EXPOSE_METRICS=1`.
    pub metrics: Option<MetricsExporter>,
    /// Where revocations go: this process's set, shared through Redis when
    /// `REDIS_URL` is set ([`Demo::connect_revocations`]).
    pub revoker: Revoker,
    redis_url: Option<String>,
    /// The issuer clients get tokens from (RFC 9728 `authorization_servers`).
    authorization_server: String,
    /// `COGNITO_RESOURCE`: this API's resource identifier, when set.
    resource: Option<String>,
    /// The configured issuer and app clients, for a verifier bound to a
    /// resource ([`Demo::resource_verifier`]).
    issuer: Issuer,
    clients: Vec<String>,
    /// `COGNITO_ALB_ARN`: the load balancer whose data tokens are trusted.
    pub alb: Option<AlbVerifier>,
}

/// Who the load balancer's data tokens must be issued by.
enum AlbPin {
    Pool(String),
    Issuer(String),
}

/// The verifier of `COGNITO_ALB_ARN`'s data tokens: the app clients of
/// `COGNITO_ALB_CLIENT_IDS` (default `COGNITO_CLIENT_IDS`), the pool or issuer of the bearer tokens (the
/// embedded issuer's pool without one), keys from `COGNITO_ALB_KEYS_URL` or
/// the ARN's region.
fn alb_verifier(
    arn: String,
    keys_url: Option<String>,
    clients: &[String],
    pin: Option<AlbPin>,
    local: Option<&LocalIssuer>,
    revocations: &Revocations,
) -> Result<AlbVerifier, ConfigError> {
    let builder = AlbVerifier::builder(arn)
        .client_ids(clients.iter().cloned())
        .revocations(revocations.clone());
    let builder = match (pin, local.and_then(|l| l.test_issuer().pool_id())) {
        (Some(AlbPin::Pool(pool)), _) => builder.cognito_pool(pool),
        (Some(AlbPin::Issuer(url)), _) => builder.issuer(url),
        (None, Some(pool)) => builder.cognito_pool(pool),
        (None, None) => builder,
    };
    let builder = match keys_url {
        Some(url) => builder.keys_url(url),
        None => builder,
    };
    builder
        .build()
        .map_err(|e| ConfigError(format!("COGNITO_ALB_ARN: {e}")))
}

/// Adds revocation rules for the routes of [`revoke`]: to this process's
/// set, which the verifier checks, and, once connected, to Redis for every
/// instance. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Revoker {
    revocations: Revocations,
    fleet: Option<RedisRevocations>,
}

impl Revoker {
    /// Put `revocation` in force here at once, and on every instance when
    /// Redis is configured. `Err` when Redis could not be written: the rule
    /// is in force here and is written there once Redis is back.
    pub async fn revoke(&self, revocation: Revocation) -> Result<Revocation, String> {
        match &self.fleet {
            Some(fleet) => fleet.revoke(revocation).await.map_err(|e| e.to_string()),
            None => Ok(self.revocations.revoke(revocation)),
        }
    }

    /// The set the verifier checks.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// For the overhead examples (`scripts/layer-overhead.sh --features
    /// metrics`): with `OVERHEAD_REVOCATION_RULES=N`, hold `N` rules that
    /// match no token (a quarter of each kind), so every request pays the
    /// revocation check of a set that size. Returns `N`.
    pub fn load_overhead_rules_from_env(&self) -> usize {
        let n: usize = std::env::var("OVERHEAD_REVOCATION_RULES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let until = cognito_jwt::Clock::now(&cognito_jwt::SystemClock);
        self.revocations.revoke_all((0..n).map(|i| match i % 4 {
            0 => Revocation::token(format!("overhead-jti-{i}")),
            1 => Revocation::family(format!("overhead-family-{i}")),
            2 => Revocation::subject_until(format!("overhead-user-{i}"), until),
            _ => Revocation::client_until(format!("overhead-client-{i}"), until),
        }));
        n
    }
}

/// `GET /metrics`: the Prometheus recorder that `EXPOSE_METRICS=1`
/// installs at start-up, rendering cognito-jwt's metrics (the manual's
/// Metrics table) in the Prometheus text format.
#[derive(Clone)]
pub struct MetricsExporter {
    #[cfg(feature = "metrics")]
    handle: metrics_exporter_prometheus::PrometheusHandle,
}

impl fmt::Debug for MetricsExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsExporter")
    }
}

impl MetricsExporter {
    /// The `Content-Type` of `GET /metrics`.
    pub const CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";

    /// Install the recorder if `EXPOSE_METRICS` (read through `var`) is `1`
    /// or `true`; `None` when it is unset, empty, `0` or `false`. Anything
    /// else, or a build without the `metrics` feature, is an error.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        match non_empty(var("EXPOSE_METRICS")).as_deref() {
            None | Some("0" | "false") => Ok(None),
            Some("1" | "true") => MetricsExporter::install().map(Some),
            Some(other) => Err(ConfigError(format!(
                "EXPOSE_METRICS {other:?} is not 1, true, 0 or false"
            ))),
        }
    }

    /// [`MetricsExporter::from_vars`] over the process environment.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        MetricsExporter::from_vars(|name| std::env::var(name).ok())
    }

    #[cfg(feature = "metrics")]
    fn install() -> Result<MetricsExporter, ConfigError> {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .map_err(|e| ConfigError(format!("cannot install the metrics recorder: {e}")))?;
        cognito_jwt::describe_metrics();
        Ok(MetricsExporter { handle })
    }

    #[cfg(not(feature = "metrics"))]
    fn install() -> Result<MetricsExporter, ConfigError> {
        Err(ConfigError(
            "EXPOSE_METRICS needs demo-support's `metrics` feature".into(),
        ))
    }

    /// Every metric recorded so far, in the Prometheus text format.
    pub fn render(&self) -> String {
        #[cfg(feature = "metrics")]
        return self.handle.render();
        #[cfg(not(feature = "metrics"))]
        String::new()
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Demo {
    /// Read the process environment (see the crate docs).
    pub fn from_env() -> Result<Demo, ConfigError> {
        Demo::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Demo::from_env`], reading variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Demo, ConfigError> {
        Demo::from_vars_embedding(var, LocalIssuer::builder())
    }

    /// Like [`Demo::from_env`], with `embedded` as the embedded issuer when
    /// no pool or issuer is configured: `mcp-server`'s has its own scopes
    /// and clients, and a loopback `iss`
    /// ([`LocalIssuerBuilder::loopback_issuer`]) so that its RFC 9728
    /// `authorization_servers` names this issuer, whose discovery document
    /// lists its token endpoint.
    pub fn from_env_embedding(embedded: LocalIssuerBuilder) -> Result<Demo, ConfigError> {
        Demo::from_vars_embedding(|name| std::env::var(name).ok(), embedded)
    }

    /// Like [`Demo::from_env_embedding`], reading variables through `var`.
    pub fn from_vars_embedding(
        var: impl Fn(&str) -> Option<String>,
        embedded: LocalIssuerBuilder,
    ) -> Result<Demo, ConfigError> {
        let bind = non_empty(var("BIND_ADDR")).unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned());
        let bind_addr = bind
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| ConfigError(format!("BIND_ADDR {bind:?} is not a socket address")))?;

        let pool = non_empty(var("COGNITO_USER_POOL_ID"));
        let issuer_url = non_empty(var("COGNITO_ISSUER"));
        let jwks = non_empty(var("COGNITO_JWKS_URI"));
        let list = |s: String| -> Vec<String> {
            s.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        };
        let clients: Vec<String> = non_empty(var("COGNITO_CLIENT_IDS"))
            .map(list)
            .unwrap_or_default();
        let alb_clients: Option<Vec<String>> = non_empty(var("COGNITO_ALB_CLIENT_IDS")).map(list);

        let alb_arn = non_empty(var("COGNITO_ALB_ARN"));
        let alb_keys = non_empty(var("COGNITO_ALB_KEYS_URL"));
        if alb_keys.is_some() && alb_arn.is_none() {
            return Err(ConfigError(
                "COGNITO_ALB_KEYS_URL needs COGNITO_ALB_ARN".into(),
            ));
        }
        if alb_clients.is_some() && alb_arn.is_none() {
            return Err(ConfigError(
                "COGNITO_ALB_CLIENT_IDS needs COGNITO_ALB_ARN".into(),
            ));
        }
        if alb_clients.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError(
                "COGNITO_ALB_CLIENT_IDS names no app client".into(),
            ));
        }
        let alb_issuer = pool
            .clone()
            .map(AlbPin::Pool)
            .or(issuer_url.clone().map(AlbPin::Issuer));

        let authorization_server: String;
        let (issuer, clients, local) = match (pool, issuer_url) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "set COGNITO_USER_POOL_ID or COGNITO_ISSUER, not both".into(),
                ));
            }
            (None, None) => {
                if jwks.is_some() || !clients.is_empty() {
                    return Err(ConfigError(
                        "COGNITO_JWKS_URI and COGNITO_CLIENT_IDS need COGNITO_USER_POOL_ID or COGNITO_ISSUER".into(),
                    ));
                }
                // With Cognito's grants: the printed commands get tokens
                // from its /oauth2/token as client code gets them from Cognito.
                let local = embedded
                    .start()
                    .map_err(|e| ConfigError(format!("cannot start the local issuer: {e}")))?;
                authorization_server = local.issuer();
                // A loopback `iss` is the issuer's own URL, not a pool's
                // `cognito-idp` form.
                let loopback = local.issuer().starts_with(local.base_url());
                let issuer = match local.test_issuer().pool_id() {
                    Some(pool) if !loopback => Issuer::cognito(pool).into_any(),
                    _ => Issuer::url(local.issuer()).into_any(),
                }
                .jwks_url(local.jwks_url());
                (issuer, local.client_ids(), Some(local))
            }
            (pool, url) => {
                if clients.is_empty() {
                    return Err(ConfigError(
                        "COGNITO_CLIENT_IDS is required (comma-separated app client ids)".into(),
                    ));
                }
                let issuer = match (pool, url) {
                    (Some(pool), _) => {
                        let region = pool.split('_').next().unwrap_or_default();
                        authorization_server =
                            format!("https://cognito-idp.{region}.amazonaws.com/{pool}");
                        Issuer::cognito(pool).into_any()
                    }
                    (None, Some(url)) => {
                        authorization_server = url.clone();
                        Issuer::url(url).into_any()
                    }
                    (None, None) => unreachable!("handled above"),
                };
                let issuer = match jwks {
                    Some(jwks) => issuer.jwks_url(jwks),
                    None => issuer,
                };
                (issuer, clients, None)
            }
        };
        let revocations = Revocations::new();
        let alb = match alb_arn {
            None => None,
            Some(arn) => Some(alb_verifier(
                arn,
                alb_keys,
                alb_clients.as_deref().unwrap_or(&clients),
                alb_issuer,
                local.as_ref(),
                &revocations,
            )?),
        };
        let verifier = Verifier::builder(issuer.clone())
            .client_ids(clients.clone())
            .any_token_use()
            .revocations(revocations.clone())
            .build()
            .map_err(|e| ConfigError(e.to_string()))?;
        let metrics = MetricsExporter::from_vars(&var)?;
        Ok(Demo {
            verifier,
            bind_addr,
            local,
            metrics,
            revoker: Revoker {
                revocations,
                fleet: None,
            },
            redis_url: non_empty(var("REDIS_URL")),
            authorization_server,
            resource: non_empty(var("COGNITO_RESOURCE")),
            issuer,
            clients,
            alb,
        })
    }

    /// With `COGNITO_ALB_ARN`, the load balancer's verifier and the trust the
    /// examples give it: the data token when a request carries one, else the
    /// bearer token ([`Trust::Either`]).
    pub fn alb_data(&self) -> Option<(AlbVerifier, Trust)> {
        self.alb.clone().map(|alb| (alb, Trust::Either))
    }

    /// A freshly minted access token with every scope and group the routes
    /// ask for (what the benches and overhead examples send). `None`
    /// without the embedded issuer.
    pub fn full_access_token(&self) -> Option<String> {
        let local = self.local.as_ref()?;
        Some(
            local
                .access_token()
                .scopes(&["openid", ORDERS_READ, ORDERS_WRITE])
                .groups(&[ADMIN_GROUP])
                .build(),
        )
    }

    /// The demo on its embedded issuer (no environment read), with
    /// [`Demo::full_access_token`] and the claims its verifier finds in it:
    /// what the benches and overhead examples send and serve. The issuer
    /// serves its JWKS while the returned demo lives.
    pub async fn embedded_full_access() -> Result<(Demo, String, Claims), Box<dyn std::error::Error>>
    {
        let demo = Demo::from_vars(|_| None)?;
        let token = demo.full_access_token().ok_or("no embedded issuer")?;
        let claims = demo.verifier.verify(&token).await?;
        Ok((demo, token, claims))
    }

    /// Shell commands, one block per step, that get tokens from the
    /// embedded issuer's `/oauth2/token` and call the API at `base` (for
    /// example `http://127.0.0.1:3000`) with them: a client-credentials
    /// token (`curl -u`), then the code grant with PKCE for the test user
    /// (group `admin`), whose access and ID tokens reach every route, and a
    /// sign-out. They need `curl`, `sed` and `openssl`. Empty without the
    /// embedded issuer.
    pub fn curl_commands(&self, base: &str) -> Vec<String> {
        let Some(local) = &self.local else {
            return Vec::new();
        };
        let (Some(token_url), Some(authorize_url)) = (local.token_url(), local.authorize_url())
        else {
            return Vec::new();
        };
        let field = |name: &str| format!(r#"sed -E 's/.*"{name}":"([^"]+)".*/\1/'"#);
        let machine = cognito_jwt_testkit::DEFAULT_MACHINE_CLIENT_ID;
        let secret = cognito_jwt_testkit::DEFAULT_CLIENT_SECRET;
        let spa = cognito_jwt_testkit::DEFAULT_CLIENT_ID;
        let callback = cognito_jwt_testkit::DEFAULT_CALLBACK_URL;
        vec![
            format!("# public; no token: 401\ncurl -i {base}/health\ncurl -i {base}/me"),
            format!(
                "# client credentials (machine client, scope {ORDERS_READ}): GET /orders 200, POST /orders 403\n\
                 TOKEN=$(curl -s -u {machine}:{secret} {token_url} -d grant_type=client_credentials -d scope={ORDERS_READ} | {})\n\
                 curl -i -H \"Authorization: Bearer $TOKEN\" {base}/orders\n\
                 curl -i -X POST -H \"Authorization: Bearer $TOKEN\" {base}/orders",
                field("access_token")
            ),
            format!(
                "# code grant with PKCE: user {user} (group {ADMIN_GROUP}) signs in without a form\n\
                 VERIFIER=$(openssl rand -hex 32)\n\
                 CHALLENGE=$(printf %s \"$VERIFIER\" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d =)\n\
                 CODE=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"{authorize_url}?response_type=code&client_id={spa}&redirect_uri={callback}&scope=openid+{ORDERS_READ}+{ORDERS_WRITE}&code_challenge_method=S256&code_challenge=$CHALLENGE\" | sed -E 's/.*[?&]code=([^&]+).*/\\1/')\n\
                 TOKENS=$(curl -s {token_url} -d grant_type=authorization_code -d client_id={spa} -d \"code=$CODE\" -d redirect_uri={callback} -d \"code_verifier=$VERIFIER\")\n\
                 ACCESS=$(printf %s \"$TOKENS\" | {}); ID=$(printf %s \"$TOKENS\" | {})",
                field("access_token"),
                field("id_token"),
                user = cognito_jwt_testkit::DEFAULT_USERNAME,
            ),
            format!(
                "# its tokens: /admin 200, POST /orders 201, /profile with the ID token 200, with the access token 401\n\
                 curl -i -H \"Authorization: Bearer $ACCESS\" {base}/admin\n\
                 curl -i -X POST -H \"Authorization: Bearer $ACCESS\" {base}/orders\n\
                 curl -i -H \"Authorization: Bearer $ID\" {base}/profile\n\
                 curl -i -H \"Authorization: Bearer $ACCESS\" {base}/profile"
            ),
            format!(
                "# sign out: the token's session is revoked, then /me is 401\n\
                 curl -i -X POST -H \"Authorization: Bearer $ACCESS\" {base}/logout\n\
                 curl -i -H \"Authorization: Bearer $ACCESS\" {base}/me"
            ),
        ]
    }

    /// This API's resource identifier: `COGNITO_RESOURCE`, or by default
    /// `http://{addr}{path}` (this server's URL, with `path` for a resource
    /// served at a path, such as an MCP endpoint).
    pub fn resource(&self, addr: SocketAddr, path: &str) -> String {
        self.resource
            .clone()
            .unwrap_or_else(|| format!("http://{addr}{path}"))
    }

    /// `COGNITO_RESOURCE`, when set: this API's resource identifier.
    pub fn configured_resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// A verifier for the resource `resource` alone: the configured issuer
    /// and app clients, access tokens only, which must name `resource` in
    /// `aud` ([`VerifierBuilder::for_resource`](cognito_jwt::VerifierBuilder::for_resource)),
    /// with the demo's revocations. What an MCP server needs.
    pub fn resource_verifier(&self, resource: &str) -> Result<Verifier, ConfigError> {
        Verifier::builder(self.issuer.clone())
            .client_ids(self.clients.clone())
            .token_use(TokenUse::Access)
            .for_resource(resource)
            .revocations(self.revoker.revocations.clone())
            .build()
            .map_err(|e| ConfigError(e.to_string()))
    }

    /// This API's RFC 9728 Protected Resource Metadata: `resource` from
    /// `COGNITO_RESOURCE` (default: `http://{addr}`), the pool's issuer as
    /// authorization server, and the scopes the routes ask for.
    pub fn resource_metadata(
        &self,
        addr: SocketAddr,
    ) -> Result<ProtectedResourceMetadata, ConfigError> {
        ProtectedResourceMetadata::new(self.resource(addr, ""))
            .map(|m| {
                m.authorization_server(self.authorization_server.clone())
                    .scopes_supported([ORDERS_READ, ORDERS_WRITE])
                    .resource_name("cognito-jwt example orders API")
            })
            .map_err(|e| ConfigError(format!("COGNITO_RESOURCE: {e}")))
    }

    /// Whether challenges should name the metadata (`COGNITO_RESOURCE` set).
    pub fn names_resource_metadata(&self) -> bool {
        self.resource.is_some()
    }

    /// With `REDIS_URL`, share the revocation rules through that Redis:
    /// load them now and follow every instance's. A Redis that cannot be
    /// reached at start is not fatal: the instance keeps trying and serves
    /// from its own rules meanwhile (logged).
    pub async fn connect_revocations(&mut self) -> Result<(), ConfigError> {
        let Some(url) = &self.redis_url else {
            return Ok(());
        };
        let options = RedisOptions::default().start_unavailable(true);
        let fleet = RedisRevocations::connect(url, self.revoker.revocations.clone(), options)
            .await
            .map_err(|e| ConfigError(format!("REDIS_URL: {e}")))?;
        if !fleet.status().connected {
            tracing::warn!("Redis is unreachable; revocations are kept here until it answers");
        }
        self.revoker.fleet = Some(fleet);
        Ok(())
    }

    /// Fetch the issuers' keys, waiting [`PREFETCH_TIMEOUT`] at most. Not
    /// fatal: the failure is logged, the keys are fetched again on first use
    /// or by the next `GET /ready`, which answers 503 until then.
    pub async fn prefetch(&self) {
        if let Err(e) = self.verifier.prefetch_within(PREFETCH_TIMEOUT).await {
            tracing::warn!(error = %e, "starting without the issuer's keys; /ready answers 503 until they are fetched");
        }
    }

    /// Print the `curl` commands (embedded issuer only), then the line
    /// `listening on http://<addr>` that tests wait for.
    pub fn print_ready(&self, addr: SocketAddr) {
        let base = format!("http://{addr}");
        if let Some(local) = &self.local {
            println!(
                "embedded local issuer {} (JWKS {}, token endpoint {}), app clients {}; try:\n",
                local.issuer(),
                local.jwks_url(),
                local.token_url().unwrap_or_default(),
                local.client_ids().join(", ")
            );
            for c in self.curl_commands(&base) {
                println!("{c}\n");
            }
        }
        println!("{LISTENING_PREFIX}{addr}");
    }
}

/// Start-up shared by the tokio-based examples: tracing, the configuration
/// from the environment, the listener, and [`Demo::prefetch`]. Failures are printed
/// with `program`'s name, and the `Err` is the exit code to return (2 for a
/// bad configuration).
pub async fn start(
    program: &str,
) -> Result<(Demo, tokio::net::TcpListener, SocketAddr), std::process::ExitCode> {
    init_tracing();
    let mut demo = Demo::from_env().map_err(|e| {
        eprintln!("{program}: {e}");
        std::process::ExitCode::from(2)
    })?;
    demo.connect_revocations().await.map_err(|e| {
        eprintln!("{program}: {e}");
        std::process::ExitCode::from(2)
    })?;
    let listener = tokio::net::TcpListener::bind(demo.bind_addr)
        .await
        .map_err(|e| {
            eprintln!("{program}: cannot listen on {}: {e}", demo.bind_addr);
            std::process::ExitCode::FAILURE
        })?;
    let addr = listener.local_addr().unwrap_or(demo.bind_addr);
    demo.prefetch().await;
    Ok((demo, listener, addr))
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub mod revoke;

/// What each route requires of a verified token. An ID token on an access
/// route (or the reverse) fails the token-use rule first: 401 `invalid_token`.
pub mod rules {
    use cognito_jwt::{BuildError, Requirement, TokenUse};

    use super::{ADMIN_GROUP, ORDERS_READ, ORDERS_WRITE};

    /// `GET /me`: any access token.
    pub fn me() -> Requirement {
        Requirement::new().token_use(TokenUse::Access)
    }

    /// `GET /profile`: an ID token.
    pub fn profile() -> Requirement {
        Requirement::new().token_use(TokenUse::Id)
    }

    /// `GET /orders`: an access token with scope `orders/read`.
    pub fn orders_read() -> Result<Requirement, BuildError> {
        me().any_scope([ORDERS_READ])
    }

    /// `POST /orders`: an access token with scope `orders/write`.
    pub fn orders_write() -> Result<Requirement, BuildError> {
        me().any_scope([ORDERS_WRITE])
    }

    /// `GET /admin`: an access token whose `cognito:groups` contains `admin`.
    pub fn admin() -> Result<Requirement, BuildError> {
        me().any_group([ADMIN_GROUP])
    }
}

/// The JSON bodies of successful answers, built from verified claims.
///
/// Each body is a small type that serializes straight from the [`Claims`]
/// (an `Arc` clone): no intermediate `serde_json::Value` tree, no copies of
/// the claim strings. Return them from a handler with `Json(...)` (axum) or
/// `HttpResponse::Ok().json(...)` (actix-web).
///
/// [`Claims`]: cognito_jwt::Claims
pub mod responses {
    use cognito_jwt::{Claims, KeySetStatus, Verifier};
    use serde::ser::{Serialize, SerializeStruct, Serializer};

    /// A claim that holds a list (`scope`, `cognito:groups`), as a JSON array
    /// written straight from the claims' iterator.
    struct List<F>(F);

    impl<'a, F, I> Serialize for List<F>
    where
        F: Fn() -> I,
        I: Iterator<Item = &'a str>,
    {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq((self.0)())
        }
    }

    /// A reply body as JSON, written into a `Vec` with room for any of this
    /// module's bodies (`/me`'s, the largest, is 177 bytes for the demo's
    /// tokens), so it never regrows. Both example APIs answer through it:
    /// `axum::Json` and actix-web's `json()` start smaller (128 bytes) and
    /// `axum::Json` writes through a `BytesMut` writer, 2.4 times as slow
    /// for `/me` (`cargo bench -p demo-support --bench replies`).
    pub fn to_json<T: Serialize>(body: &T) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        serde_json::to_writer(&mut out, body)?;
        Ok(out)
    }

    /// `GET /health` (200): `{"status":"ok"}`.
    #[derive(Debug, Clone, Copy)]
    pub struct Health;

    impl Serialize for Health {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut body = serializer.serialize_struct("Health", 1)?;
            body.serialize_field("status", "ok")?;
            body.end()
        }
    }

    /// `GET /health` (200).
    pub fn health() -> Health {
        Health
    }

    /// `GET /ready`: [`Readiness::status`] 200 when every issuer's keys can
    /// verify tokens, else 503. The body names each issuer, the state of
    /// its key set and, when a fetch failed, why; never token data:
    ///
    /// ```json
    /// {"status":"not_ready","issuers":[{"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
    ///   "ready":false,"state":"not_loaded","keys":0,"age_seconds":null,"failures":1,"last_error":"HTTP status 503"}]}
    /// ```
    #[derive(Debug, Clone)]
    pub struct Readiness(Vec<KeySetStatus>);

    impl Readiness {
        /// Whether every issuer is ready.
        pub fn is_ready(&self) -> bool {
            self.0.iter().all(KeySetStatus::is_ready)
        }

        /// The HTTP status: 200 ready, 503 not.
        pub fn status(&self) -> u16 {
            if self.is_ready() { 200 } else { 503 }
        }
    }

    /// One issuer of [`Readiness`].
    struct Issuer<'a>(&'a KeySetStatus);

    impl Serialize for Issuer<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let status = self.0;
            let mut body = serializer.serialize_struct("Issuer", 7)?;
            body.serialize_field("issuer", &status.issuer)?;
            body.serialize_field("ready", &status.is_ready())?;
            body.serialize_field("state", status.state.as_str())?;
            body.serialize_field("keys", &status.keys)?;
            body.serialize_field("age_seconds", &status.age.map(|a| a.as_secs()))?;
            body.serialize_field("failures", &status.failures)?;
            body.serialize_field("last_error", &status.last_error)?;
            body.end()
        }
    }

    impl Serialize for Readiness {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut body = serializer.serialize_struct("Readiness", 2)?;
            let status = if self.is_ready() {
                "ready"
            } else {
                "not_ready"
            };
            body.serialize_field("status", status)?;
            body.serialize_field("issuers", &self.0.iter().map(Issuer).collect::<Vec<_>>())?;
            body.end()
        }
    }

    /// `GET /ready`, reading (and so refreshing where due) the verifier's key sets.
    pub fn readiness(verifier: &Verifier) -> Readiness {
        Readiness(verifier.key_status())
    }

    /// `GET /me` (200): `sub`, `username`, `client_id`, `scopes`, `groups`.
    #[derive(Debug, Clone)]
    pub struct Me(Claims);

    impl Serialize for Me {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let claims = &self.0;
            let mut body = serializer.serialize_struct("Me", 5)?;
            body.serialize_field("sub", claims.sub())?;
            body.serialize_field("username", &claims.username())?;
            body.serialize_field("client_id", &claims.client_id())?;
            body.serialize_field("scopes", &List(|| claims.scopes()))?;
            body.serialize_field("groups", &List(|| claims.groups()))?;
            body.end()
        }
    }

    /// `GET /me` (200).
    pub fn me(claims: &Claims) -> Me {
        Me(claims.clone())
    }

    /// `GET /profile` (200): `sub`, `username`, `email` (null when absent).
    #[derive(Debug, Clone)]
    pub struct Profile(Claims);

    impl Serialize for Profile {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let claims = &self.0;
            let mut body = serializer.serialize_struct("Profile", 3)?;
            body.serialize_field("sub", claims.sub())?;
            body.serialize_field("username", &claims.username())?;
            body.serialize_field("email", &claims.id_token().and_then(|t| t.email.as_deref()))?;
            body.end()
        }
    }

    /// `GET /profile` (200).
    pub fn profile(claims: &Claims) -> Profile {
        Profile(claims.clone())
    }

    /// One order of the fixed demo list.
    #[derive(Debug, Clone, Copy, serde::Serialize)]
    pub struct Order {
        /// Order number.
        pub id: &'static str,
        /// What was ordered.
        pub item: &'static str,
        /// How many.
        pub quantity: u32,
    }

    /// The demo's orders.
    pub const ORDERS: [Order; 2] = [
        Order {
            id: "1001",
            item: "coffee beans",
            quantity: 2,
        },
        Order {
            id: "1002",
            item: "filter papers",
            quantity: 1,
        },
    ];

    /// `GET /orders` (200): the fixed list of [`ORDERS`] and who asked.
    #[derive(Debug, Clone)]
    pub struct Orders(Claims);

    impl Serialize for Orders {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut body = serializer.serialize_struct("Orders", 2)?;
            body.serialize_field("orders", &ORDERS)?;
            body.serialize_field("requested_by", self.0.sub())?;
            body.end()
        }
    }

    /// `GET /orders` (200).
    pub fn orders(claims: &Claims) -> Orders {
        Orders(claims.clone())
    }

    /// `POST /orders` (201): the created order and who created it.
    #[derive(Debug, Clone)]
    pub struct OrderCreated(Claims);

    impl Serialize for OrderCreated {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut body = serializer.serialize_struct("OrderCreated", 3)?;
            body.serialize_field("id", "1003")?;
            body.serialize_field("status", "created")?;
            body.serialize_field("created_by", self.0.sub())?;
            body.end()
        }
    }

    /// `POST /orders` (201).
    pub fn order_created(claims: &Claims) -> OrderCreated {
        OrderCreated(claims.clone())
    }

    /// `GET /admin` (200): a greeting for an administrator.
    #[derive(Debug, Clone)]
    pub struct Admin(Claims);

    impl Serialize for Admin {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let claims = &self.0;
            let mut body = serializer.serialize_struct("Admin", 3)?;
            body.serialize_field("admin", &true)?;
            body.serialize_field("sub", claims.sub())?;
            body.serialize_field("username", &claims.username())?;
            body.end()
        }
    }

    /// `GET /admin` (200).
    pub fn admin(claims: &Claims) -> Admin {
        Admin(claims.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn configured_pool() {
        let demo = Demo::from_vars(vars(&[
            ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
            ("COGNITO_CLIENT_IDS", "a, b"),
            ("BIND_ADDR", "127.0.0.1:0"),
        ]))
        .unwrap();
        assert!(demo.local.is_none());
        assert_eq!(demo.bind_addr.port(), 0);
        assert!(demo.curl_commands("http://x").is_empty());
    }

    #[test]
    fn refuses_incomplete_configuration() {
        for pairs in [
            &[("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123")][..],
            &[
                ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123"),
                ("COGNITO_ISSUER", "https://x"),
                ("COGNITO_CLIENT_IDS", "a"),
            ],
            &[("COGNITO_CLIENT_IDS", "a")],
            &[
                ("COGNITO_USER_POOL_ID", "not a pool"),
                ("COGNITO_CLIENT_IDS", "a"),
            ],
            &[("BIND_ADDR", "nowhere")],
            &[("COGNITO_ALB_CLIENT_IDS", "albclient")],
            &[
                ("COGNITO_ALB_ARN", ALB_ARN),
                ("COGNITO_ALB_CLIENT_IDS", " , "),
            ],
            &[("EXPOSE_METRICS", "maybe")],
        ] {
            assert!(Demo::from_vars(vars(pairs)).is_err(), "{pairs:?}");
        }
    }

    const ALB_ARN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";

    /// The load balancer's app client is its own: with
    /// `COGNITO_ALB_CLIENT_IDS` its data tokens are accepted and the bearer
    /// clients' are not (and the other way round for bearer tokens).
    #[tokio::test(flavor = "current_thread")]
    async fn the_load_balancer_has_its_own_app_clients() {
        let alb = cognito_jwt_testkit::AlbIssuer::with_arn(ALB_ARN);
        let keys = cognito_jwt_testkit::AlbKeyServer::start(&alb);
        let keys_url = keys.url();
        let pool = alb.user_pool_id().to_owned();
        let bearer_client = alb.client_id().to_owned();
        let env = |alb_clients: Option<&'static str>| {
            let mut pairs: Vec<(&str, String)> = vec![
                ("COGNITO_USER_POOL_ID", pool.clone()),
                ("COGNITO_CLIENT_IDS", bearer_client.clone()),
                ("COGNITO_ALB_ARN", ALB_ARN.to_owned()),
                ("COGNITO_ALB_KEYS_URL", keys_url.clone()),
            ];
            if let Some(ids) = alb_clients {
                pairs.push(("COGNITO_ALB_CLIENT_IDS", ids.to_owned()));
            }
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            }
        };
        let token_for = |client: &str| alb.data_token().header("client", client).build();

        // Default: the bearer clients.
        let demo = Demo::from_vars(env(None)).unwrap();
        let (verifier, _) = demo.alb_data().unwrap();
        assert!(verifier.verify(&token_for(&bearer_client)).await.is_ok());

        // Its own: the ALB's client only.
        let demo = Demo::from_vars(env(Some("albclient1234567890"))).unwrap();
        let (verifier, _) = demo.alb_data().unwrap();
        assert!(
            verifier
                .verify(&token_for("albclient1234567890"))
                .await
                .is_ok()
        );
        assert!(matches!(
            verifier.verify(&token_for(&bearer_client)).await,
            Err(cognito_jwt::Error::Claim(
                cognito_jwt::ClaimError::ClientNotAllowed { .. }
            ))
        ));
    }

    #[test]
    fn embedded_issuer_prints_grant_commands() {
        let demo = Demo::from_vars(|_| None).unwrap();
        let local = demo.local.as_ref().unwrap();
        let cmds = demo.curl_commands("http://127.0.0.1:3000");
        assert_eq!(cmds.len(), 5);
        let token_url = local.token_url().unwrap();
        assert!(cmds[1].contains(&format!(
            "curl -s -u {}:{} {token_url} -d grant_type=client_credentials",
            cognito_jwt_testkit::DEFAULT_MACHINE_CLIENT_ID,
            cognito_jwt_testkit::DEFAULT_CLIENT_SECRET
        )));
        assert!(cmds[2].contains("code_challenge_method=S256"));
        assert!(cmds[2].contains("grant_type=authorization_code"));
        assert!(cmds.iter().all(|c| !c.contains("Bearer eyJ")));
        assert!(
            cmds.iter()
                .any(|c| c.contains("-X POST") && c.contains("/logout"))
        );
        // Both app clients are trusted by the verifier.
        assert_eq!(local.client_ids().len(), 2);
    }
}

//! `cognito-jwt serve`: the testkit's local issuer, with Cognito's OAuth 2.0
//! endpoints, on a port, for services that need a local Cognito.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Args;
use cognito_jwt_testkit::{
    AppClient, DEFAULT_POOL_ID, Grant, LocalIssuer, OAuthConfig, ResourceServer, TestIssuer,
    TestUser,
};
use serde::Serialize;
use serde_json::{Value, json};

/// The port `serve` listens on unless `--port` says otherwise.
pub(crate) const DEFAULT_PORT: u16 = 8420;
/// Largest configuration file read.
const MAX_CONFIG: u64 = 1024 * 1024;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The address to listen on; anything but loopback needs --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Listen on a non-loopback address although anyone who reaches it gets tokens.
    #[arg(long)]
    allow_non_loopback: bool,
    /// The base URL to advertise instead of http://ADDR:PORT (discovery, the
    /// printed URLs, `iss` with --loopback-issuer): the name clients reach
    /// this server by, e.g. http://cognito:8420 in a compose network.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The user pool id in `iss`.
    #[arg(long, value_name = "ID", default_value = DEFAULT_POOL_ID)]
    pool: String,
    /// `iss` = http://ADDR/POOL, so {iss}/.well-known/* resolve here (default:
    /// the Cognito form https://cognito-idp.REGION.amazonaws.com/POOL, keys here).
    #[arg(long)]
    loopback_issuer: bool,
    /// A JSON file of clients, resource_servers and users (replaces the defaults).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Add a resource server: IDENTIFIER=SCOPE,SCOPE (e.g. orders=read,write).
    #[arg(long = "resource-server", value_name = "ID=SCOPES")]
    resource_servers: Vec<String>,
    /// Add a client_credentials client: ID:SECRET=SCOPE,SCOPE.
    #[arg(long = "machine-client", value_name = "ID:SECRET=SCOPES")]
    machine_clients: Vec<String>,
    /// Add a public code-grant client: ID=CALLBACK_URL (scopes: every scope).
    #[arg(long = "client", value_name = "ID=CALLBACK")]
    clients: Vec<String>,
    /// Add a user: NAME or NAME=GROUP,GROUP.
    #[arg(long = "user", value_name = "NAME=GROUPS")]
    users: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

impl ServeArgs {
    /// Whether `--json` was given.
    pub(crate) fn json(&self) -> bool {
        self.json
    }
}

/// What `serve --json` prints once it listens.
#[derive(Serialize)]
struct Ready {
    command: &'static str,
    listen: String,
    issuer: String,
    jwks_uri: String,
    discovery: String,
    token_endpoint: String,
    authorization_endpoint: String,
    revocation_endpoint: String,
    userinfo_endpoint: String,
    clients: Vec<Value>,
    users: Vec<Value>,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The configuration: the file's (or the defaults), plus the flags'.
fn configuration(args: &ServeArgs) -> Result<OAuthConfig, String> {
    let mut config = match &args.config {
        Some(path) => {
            let text = read_config(path)?;
            serde_json::from_str::<OAuthConfig>(&text)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => OAuthConfig::cognito_default(),
    };
    for r in &args.resource_servers {
        let (id, scopes) = r
            .split_once('=')
            .ok_or_else(|| format!("--resource-server {r:?} is not IDENTIFIER=SCOPE,SCOPE"))?;
        config = config.resource_server(ResourceServer::new(id, split_list(scopes)));
    }
    for m in &args.machine_clients {
        let (credentials, scopes) = m
            .split_once('=')
            .ok_or_else(|| format!("--machine-client {m:?} is not ID:SECRET=SCOPE,SCOPE"))?;
        let (id, secret) = credentials
            .split_once(':')
            .ok_or_else(|| format!("--machine-client {m:?} is not ID:SECRET=SCOPE,SCOPE"))?;
        config = config.client(
            AppClient::confidential(id, secret)
                .grants([Grant::ClientCredentials])
                .scopes(split_list(scopes)),
        );
    }
    let every_scope: Vec<String> = ["openid", "email", "profile"]
        .into_iter()
        .map(str::to_owned)
        .chain(config.custom_scopes())
        .collect();
    for c in &args.clients {
        let (id, callback) = c
            .split_once('=')
            .ok_or_else(|| format!("--client {c:?} is not ID=CALLBACK_URL"))?;
        config = config.client(
            AppClient::public(id)
                .scopes(every_scope.clone())
                .callback_urls([callback]),
        );
    }
    for u in &args.users {
        let (name, groups) = u.split_once('=').unwrap_or((u.as_str(), ""));
        config = config.user(TestUser::new(name).groups(split_list(groups)));
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

fn read_config(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_CONFIG.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_CONFIG {
        return Err(format!("{}: larger than 1 MiB", path.display()));
    }
    Ok(text)
}

/// Starts the issuer; `Err` is an input error (bad options, address in use).
pub(crate) fn start(args: &ServeArgs) -> Result<(LocalIssuer, String), String> {
    if !args.bind.is_loopback() && !args.allow_non_loopback {
        return Err(format!(
            "--bind {} is not a loopback address: anyone who reaches it can get tokens; add --allow-non-loopback to mean it",
            args.bind
        ));
    }
    let config = configuration(args)?;
    let region = args
        .pool
        .split_once('_')
        .map(|(region, _)| region.to_owned())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| format!("--pool {:?} is not REGION_ID", args.pool))?;
    let mut builder = LocalIssuer::builder()
        .issuer(TestIssuer::cognito_pool(region, args.pool.clone()))
        .oauth(config)
        .loopback_issuer(args.loopback_issuer)
        .bind(SocketAddr::new(args.bind, args.port));
    if args.allow_non_loopback {
        builder = builder.allow_non_loopback();
    }
    if let Some(url) = &args.public_url {
        builder = builder.public_url(url.clone());
    }
    let local = builder
        .start()
        .map_err(|e| format!("cannot start on {}:{}: {e}", args.bind, args.port))?;
    let ready = ready(&local);
    // Names and URLs come from the configuration: escaped like token text.
    let printed = if args.json {
        let json = serde_json::to_string(&ready).unwrap_or_default();
        format!("{}\n", crate::text::json_safe(&json))
    } else {
        render(&ready)
            .lines()
            .map(|line| format!("{}\n", crate::text::escape(line)))
            .collect()
    };
    Ok((local, printed))
}

fn ready(local: &LocalIssuer) -> Ready {
    let empty = OAuthConfig::new();
    let config = local.oauth_config().unwrap_or(&empty);
    Ready {
        command: "serve",
        listen: local.server().addr().to_string(),
        issuer: local.issuer(),
        jwks_uri: local.jwks_url(),
        discovery: local.discovery_url(),
        token_endpoint: local.token_url().unwrap_or_default(),
        authorization_endpoint: local.authorize_url().unwrap_or_default(),
        revocation_endpoint: local.revoke_url().unwrap_or_default(),
        userinfo_endpoint: local.userinfo_url().unwrap_or_default(),
        clients: config
            .clients()
            .iter()
            .map(|c| {
                json!({
                    "id": c.id(),
                    "secret": c.secret(),
                    "grants": c.allowed_grants().iter().map(|g| g.as_str()).collect::<Vec<_>>(),
                    "scopes": c.allowed_scopes(),
                    "callback_urls": c.allowed_callback_urls(),
                })
            })
            .collect(),
        users: config
            .users()
            .iter()
            .map(|u| json!({"username": u.username(), "sub": u.sub_claim(), "groups": u.group_names()}))
            .collect(),
    }
}

fn render(r: &Ready) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "local Cognito issuer (tokens are for tests only)");
    let _ = writeln!(out, "  listening  {}", r.listen);
    let _ = writeln!(out, "  issuer     {}", r.issuer);
    let _ = writeln!(out, "  jwks       {}", r.jwks_uri);
    let _ = writeln!(out, "  discovery  {}", r.discovery);
    let _ = writeln!(out, "  token      {}", r.token_endpoint);
    let _ = writeln!(out, "  authorize  {}", r.authorization_endpoint);
    let _ = writeln!(out, "  revoke     {}", r.revocation_endpoint);
    let _ = writeln!(out, "  userinfo   {}", r.userinfo_endpoint);
    for c in &r.clients {
        let field = |name: &str| match &c[name] {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            Value::String(s) => s.clone(),
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "  client     {} secret {} grants {} scopes {}",
            field("id"),
            field("secret"),
            field("grants"),
            field("scopes")
        );
    }
    for u in &r.users {
        let _ = writeln!(
            out,
            "  user       {} sub {}",
            u["username"].as_str().unwrap_or_default(),
            u["sub"].as_str().unwrap_or_default()
        );
    }
    if let Some(machine) = r.clients.iter().find(|c| {
        c["grants"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x == "client_credentials"))
    }) {
        let _ = writeln!(
            out,
            "\ntry:\n  curl -s -u '{}:{}' {} -d grant_type=client_credentials",
            machine["id"].as_str().unwrap_or_default(),
            machine["secret"].as_str().unwrap_or_default(),
            r.token_endpoint
        );
    }
    out
}

/// `serve`: print the URLs, then serve until the process is stopped.
pub(crate) fn run(args: &ServeArgs) -> Result<std::convert::Infallible, String> {
    let (local, printed) = start(args)?;
    crate::out(&printed);
    // The server runs on its own thread; keep it (and this process) alive
    // until Ctrl-C or a signal ends the process.
    loop {
        std::thread::park();
        let _ = &local;
    }
}

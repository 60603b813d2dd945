//! A loopback HTTP server publishing a [`TestIssuer`]'s JWKS, with failure modes.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::authorization_server::AuthorizationServer;
use crate::issuer::TestIssuer;
use crate::oauth::OAuthConfig;

const JWKS_SUFFIX: &str = "/.well-known/jwks.json";
const DISCOVERY_SUFFIX: &str = "/.well-known/openid-configuration";
/// How long a dropped server waits for in-flight requests before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How the JWKS endpoint answers. Fetches are counted in every mode.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// 200 with the issuer's JWKS (or the override), `application/json`.
    #[default]
    Normal,
    /// This HTTP status with a small JSON error body (invalid codes become 500).
    Status(u16),
    /// Sleep this long, then answer as [`Mode::Normal`].
    Delay(Duration),
    /// 200 `application/json` whose body is not JSON.
    Garbage,
    /// 200 `application/json` with an empty body.
    EmptyBody,
    /// 200 `{"keys":[]}`.
    EmptyKeys,
    /// 200 `application/json` with a JSON-looking body of exactly this many bytes.
    Huge(usize),
    /// 200 with the normal JWKS but `Content-Type: text/html`.
    WrongContentType,
    /// 302 redirect to the same URL (a redirect loop).
    Redirect,
    /// 301 redirect to this URL (for example another server's JWKS, to test
    /// that a verifier does not follow the fetch elsewhere).
    RedirectTo(String),
    /// 200 `application/json` with this exact body.
    Custom(String),
}

#[derive(Debug)]
struct Shared {
    issuer: TestIssuer,
    base_url: String,
    fetches: AtomicU64,
    discovery_fetches: AtomicU64,
    mode: Mutex<Mode>,
    jwks_override: Mutex<Option<Value>>,
    /// The OAuth endpoints, when the server was started with a configuration.
    oauth: Option<AuthorizationServer>,
}

/// An HTTP server on `127.0.0.1:<random port>` serving a [`TestIssuer`]'s JWKS.
///
/// It runs on its own thread with its own Tokio runtime, so it works from a plain
/// `#[test]`, any `#[tokio::test]` flavour or actix-rt. It serves
/// `GET /.well-known/jwks.json`, `GET /{any/prefix}/.well-known/jwks.json` and the
/// matching `/.well-known/openid-configuration` (`{"issuer","jwks_uri"}`).
/// Because the issuer is shared, key rotation shows up on the next fetch.
/// Started through [`LocalIssuer::builder`](crate::LocalIssuer::builder), it
/// also answers Cognito's OAuth 2.0 endpoints, and the discovery document
/// names them.
/// Dropping the server shuts it down and joins its thread.
///
/// ```
/// use std::time::Duration;
/// use cognito_jwt_testkit::{JwksServer, Mode, TestIssuer};
///
/// let issuer = TestIssuer::cognito();
/// let server = JwksServer::start(&issuer);
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// assert!(server.url().ends_with("/.well-known/jwks.json"));
///
/// server.set_mode(Mode::Status(503));
/// // ... exercise the verifier against server.url() ...
/// server.set_mode(Mode::Normal);
/// assert_eq!(server.fetch_count(), 0);
/// assert!(!server.wait_for_fetches(1, Duration::from_millis(10)));
/// ```
#[derive(Debug)]
pub struct JwksServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl JwksServer {
    /// Binds `127.0.0.1:0`, starts serving, and returns once the socket is listening.
    ///
    /// # Panics
    /// If the loopback socket cannot be bound or the runtime/thread cannot be
    /// created (environment failures).
    #[must_use]
    pub fn start(issuer: &TestIssuer) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("cognito-jwt-testkit: cannot bind 127.0.0.1:0");
        Self::serve(issuer, std_listener, |_| None)
            .expect("cognito-jwt-testkit: cannot start the JWKS server")
    }

    /// Serves on `std_listener`; `oauth` gets the base URL and says whether
    /// (and how) the OAuth endpoints are mounted.
    pub(crate) fn serve(
        issuer: &TestIssuer,
        std_listener: std::net::TcpListener,
        oauth: impl FnOnce(&str) -> Option<(OAuthConfig, Duration)>,
    ) -> std::io::Result<Self> {
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let oauth = oauth(&base_url).map(|(config, code_lifetime)| {
            AuthorizationServer::new(config, issuer.clone(), base_url.clone(), code_lifetime)
        });
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            base_url,
            fetches: AtomicU64::new(0),
            discovery_fetches: AtomicU64::new(0),
            mode: Mutex::new(Mode::Normal),
            jwks_override: Mutex::new(None),
            oauth,
        });
        let (shutdown, rx) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("jwks-server-{}", addr.port()))
            .spawn(move || runtime.block_on(run(std_listener, app, rx)))?;
        tracing::debug!(%addr, "JWKS test server listening");
        Ok(Self {
            shared,
            addr,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The full JWKS URL, `http://127.0.0.1:PORT/.well-known/jwks.json`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}{JWKS_SUFFIX}", self.shared.base_url)
    }

    /// The JWKS URL under a path prefix, e.g. `jwks_url_for("us-east-1_TestPool1")`
    /// → `http://127.0.0.1:PORT/us-east-1_TestPool1/.well-known/jwks.json` (moto's layout).
    #[must_use]
    pub fn jwks_url_for(&self, prefix: &str) -> String {
        format!(
            "{}/{}{JWKS_SUFFIX}",
            self.shared.base_url,
            prefix.trim_matches('/')
        )
    }

    /// The discovery URL, `http://127.0.0.1:PORT/.well-known/openid-configuration`.
    #[must_use]
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_SUFFIX}", self.shared.base_url)
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The bound socket address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer whose keys are served.
    #[must_use]
    pub fn issuer(&self) -> &TestIssuer {
        &self.shared.issuer
    }

    /// Number of JWKS requests received (in any mode) since start or the last reset.
    #[must_use]
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// Number of discovery-document requests received.
    #[must_use]
    pub fn discovery_fetch_count(&self) -> u64 {
        self.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Resets [`fetch_count`](Self::fetch_count) (and the discovery count) to 0.
    pub fn reset_fetch_count(&self) {
        self.shared.fetches.store(0, Ordering::SeqCst);
        self.shared.discovery_fetches.store(0, Ordering::SeqCst);
    }

    /// Changes how the JWKS endpoint answers from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        *self
            .shared
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = mode;
    }

    /// The current [`Mode`].
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.shared
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves this JSON instead of the issuer's JWKS (`None` restores the issuer's).
    pub fn set_jwks_override(&self, jwks: Option<Value>) {
        *self
            .shared
            .jwks_override
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = jwks;
    }

    /// Blocks (polling) until at least `n` JWKS fetches were counted or `timeout`
    /// passes; returns whether the count was reached.
    ///
    /// This blocks the calling thread: inside a current-thread async runtime
    /// where the fetch itself must make progress, use
    /// [`wait_for_fetches_async`](Self::wait_for_fetches_async).
    #[must_use]
    pub fn wait_for_fetches(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.fetch_count() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Async version of [`wait_for_fetches`](Self::wait_for_fetches); needs a
    /// Tokio runtime with the time driver (as `#[tokio::test]` and actix-rt have).
    pub async fn wait_for_fetches_async(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.fetch_count() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        // Ignore the error: it only means the server task already ended.
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been reported; do not
            // double-panic in Drop.
            let _ = thread.join();
        }
        tracing::debug!(addr = %self.addr, "JWKS test server stopped");
    }
}

async fn run(std_listener: std::net::TcpListener, app: Router, rx: watch::Receiver<bool>) {
    let listener = match tokio::net::TcpListener::from_std(std_listener) {
        Ok(l) => l,
        Err(error) => {
            tracing::error!(%error, "JWKS test server cannot register its listener");
            return;
        }
    };
    let mut graceful_rx = rx.clone();
    let mut force_rx = rx;
    let serve = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = graceful_rx.wait_for(|stop| *stop).await;
        })
        .into_future();
    let force = async move {
        let _ = force_rx.wait_for(|stop| *stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serve => {
            if let Err(error) = result {
                tracing::error!(%error, "JWKS test server failed");
            }
        }
        () = force => {}
    }
}

fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response()
}

fn lock_clone<T: Clone>(m: &Mutex<T>) -> T {
    m.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri) = (parts.method, parts.uri);
    let path = uri.path();
    if let Some(oauth) = &shared.oauth
        && AuthorizationServer::serves(path)
    {
        return oauth.handle(&method, &uri, &parts.headers, body).await;
    }
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if path == DISCOVERY_SUFFIX
        || (path.ends_with(DISCOVERY_SUFFIX) && path.starts_with('/') && path.len() > 1)
    {
        shared.discovery_fetches.fetch_add(1, Ordering::SeqCst);
        let prefix = &path[..path.len() - DISCOVERY_SUFFIX.len()];
        let mut body = json!({
            "issuer": shared.issuer.issuer(),
            "jwks_uri": format!("{}{prefix}{JWKS_SUFFIX}", shared.base_url),
        });
        if let (Some(oauth), Value::Object(doc)) = (&shared.oauth, &mut body) {
            doc.extend(oauth.discovery_fields());
        }
        return json_response(StatusCode::OK, "application/json", body.to_string());
    }
    if !path.ends_with(JWKS_SUFFIX) {
        return StatusCode::NOT_FOUND.into_response();
    }
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    let mode = lock_clone(&shared.mode);
    let jwks = || {
        lock_clone(&shared.jwks_override)
            .unwrap_or_else(|| shared.issuer.jwks())
            .to_string()
    };
    match mode {
        Mode::Normal => json_response(StatusCode::OK, "application/json", jwks()),
        Mode::Delay(d) => {
            tokio::time::sleep(d).await;
            json_response(StatusCode::OK, "application/json", jwks())
        }
        Mode::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            json_response(
                status,
                "application/json",
                json!({ "error": format!("test status {code}") }).to_string(),
            )
        }
        Mode::Garbage => json_response(
            StatusCode::OK,
            "application/json",
            "<html>this is not JSON {\"keys\": [",
        ),
        Mode::EmptyBody => json_response(StatusCode::OK, "application/json", Body::empty()),
        Mode::EmptyKeys => json_response(StatusCode::OK, "application/json", r#"{"keys":[]}"#),
        Mode::Huge(len) => json_response(StatusCode::OK, "application/json", huge_body(len)),
        Mode::WrongContentType => json_response(StatusCode::OK, "text/html", jwks()),
        Mode::Redirect => {
            let location = HeaderValue::from_str(&format!("{}{path}", shared.base_url))
                .unwrap_or_else(|_| HeaderValue::from_static(JWKS_SUFFIX));
            (StatusCode::FOUND, [(LOCATION, location)]).into_response()
        }
        Mode::RedirectTo(url) => match HeaderValue::from_str(&url) {
            Ok(location) => (StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Mode::Custom(body) => json_response(StatusCode::OK, "application/json", body),
    }
}

/// `{"keys":[],"padding":"aaaa…"}` of exactly `len` bytes (truncated if `len` is tiny).
fn huge_body(len: usize) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"keys":[],"padding":""#;
    const TAIL: &[u8] = br#""}"#;
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(HEAD);
    if len > HEAD.len() + TAIL.len() {
        body.resize(len - TAIL.len(), b'a');
        body.extend_from_slice(TAIL);
    }
    body.truncate(len);
    body
}

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

use crate::authorization_server::{AuthorizationServer, OAuthSettings};
use crate::issuer::TestIssuer;

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
    control: Control,
    discovery_fetches: AtomicU64,
    jwks_override: Mutex<Option<Value>>,
    /// The OAuth endpoints, when the server was started with a configuration.
    oauth: Option<AuthorizationServer>,
}

/// A test key server's fetch counter and [`Mode`], shared by the server
/// thread and the test.
#[derive(Debug, Default)]
pub(crate) struct Control {
    fetches: AtomicU64,
    mode: Mutex<Mode>,
}

impl Control {
    /// Count one key request and say how to answer it.
    pub(crate) fn fetched(&self) -> Mode {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.mode()
    }

    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    pub(crate) fn reset(&self) {
        self.fetches.store(0, Ordering::SeqCst);
    }

    pub(crate) fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = mode;
    }

    pub(crate) fn mode(&self) -> Mode {
        lock_clone(&self.mode)
    }

    pub(crate) fn wait_for(&self, n: u64, timeout: Duration) -> bool {
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

    pub(crate) async fn wait_for_async(&self, n: u64, timeout: Duration) -> bool {
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

/// A server on `127.0.0.1:<random port>` running on a thread of its own
/// with its own Tokio runtime; dropping it shuts it down and joins the thread.
#[derive(Debug)]
pub(crate) struct Loopback {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Loopback {
    /// Bind, then serve the router `app` builds from the base URL.
    ///
    /// # Panics
    /// If the loopback socket cannot be bound or the runtime/thread cannot be
    /// created (environment failures).
    pub(crate) fn start(name: &str, app: impl FnOnce(String) -> Router) -> Loopback {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("cognito-jwt-testkit: cannot bind 127.0.0.1:0");
        Loopback::serve(name, std_listener, app)
            .expect("cognito-jwt-testkit: cannot start the test server")
    }

    /// Serve the router `app` builds from the base URL on `std_listener`
    /// (bound by the caller, for example on a fixed port).
    pub(crate) fn serve(
        name: &str,
        std_listener: std::net::TcpListener,
        app: impl FnOnce(String) -> Router,
    ) -> std::io::Result<Loopback> {
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let app = app(format!("http://{addr}"));
        let (shutdown, rx) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || runtime.block_on(run(std_listener, app, rx)))?;
        tracing::debug!(%addr, name, "test server listening");
        Ok(Loopback {
            addr,
            shutdown,
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        // Ignore the error: it only means the server task already ended.
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been reported; do not
            // double-panic in Drop.
            let _ = thread.join();
        }
        tracing::debug!(addr = %self.addr, "test server stopped");
    }
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
    server: Loopback,
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
        Self::serve(issuer, std_listener, None, |_| None)
            .expect("cognito-jwt-testkit: cannot start the JWKS server")
    }

    /// Serves on `std_listener`, advertising `public_url` (no trailing
    /// slash) instead of `http://ADDR` when given; `oauth` gets the base URL
    /// and says whether (and how) the OAuth endpoints are mounted.
    pub(crate) fn serve(
        issuer: &TestIssuer,
        std_listener: std::net::TcpListener,
        public_url: Option<String>,
        oauth: impl FnOnce(&str) -> Option<OAuthSettings>,
    ) -> std::io::Result<Self> {
        let mut shared = None;
        let server = Loopback::serve("jwks-server", std_listener, |bound_url| {
            let base_url = public_url.unwrap_or(bound_url);
            let oauth = oauth(&base_url).map(|settings| {
                AuthorizationServer::new(settings, issuer.clone(), base_url.clone())
            });
            let state = Arc::new(Shared {
                issuer: issuer.clone(),
                base_url,
                control: Control::default(),
                discovery_fetches: AtomicU64::new(0),
                jwks_override: Mutex::new(None),
                oauth,
            });
            shared = Some(Arc::clone(&state));
            Router::new().fallback(handle).with_state(state)
        })?;
        let shared = shared.ok_or_else(|| std::io::Error::other("the router was not built"))?;
        Ok(Self { shared, server })
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
        self.server.addr()
    }

    /// The issuer whose keys are served.
    #[must_use]
    pub fn issuer(&self) -> &TestIssuer {
        &self.shared.issuer
    }

    /// Number of JWKS requests received (in any mode) since start or the last reset.
    #[must_use]
    pub fn fetch_count(&self) -> u64 {
        self.shared.control.fetch_count()
    }

    /// Number of discovery-document requests received.
    #[must_use]
    pub fn discovery_fetch_count(&self) -> u64 {
        self.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Resets [`fetch_count`](Self::fetch_count) (and the discovery count) to 0.
    pub fn reset_fetch_count(&self) {
        self.shared.control.reset();
        self.shared.discovery_fetches.store(0, Ordering::SeqCst);
    }

    /// Changes how the JWKS endpoint answers from the next request on.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.control.set_mode(mode);
    }

    /// The current [`Mode`].
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.shared.control.mode()
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
        self.shared.control.wait_for(n, timeout)
    }

    /// Async version of [`wait_for_fetches`](Self::wait_for_fetches); needs a
    /// Tokio runtime with the time driver (as `#[tokio::test]` and actix-rt have).
    pub async fn wait_for_fetches_async(&self, n: u64, timeout: Duration) -> bool {
        self.shared.control.wait_for_async(n, timeout).await
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

pub(crate) fn json_response(
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

pub(crate) fn lock_clone<T: Clone>(m: &Mutex<T>) -> T {
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
    let mode = shared.control.fetched();
    let jwks = lock_clone(&shared.jwks_override)
        .unwrap_or_else(|| shared.issuer.jwks())
        .to_string();
    let served = Served {
        content_type: "application/json",
        body: jwks,
        no_keys: r#"{"keys":[]}"#,
    };
    answer(mode, &shared.base_url, path, served).await
}

/// What a key endpoint serves in [`Mode::Normal`], and in [`Mode::EmptyKeys`].
pub(crate) struct Served {
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
    pub(crate) no_keys: &'static str,
}

/// A key endpoint's answer in `mode` (every mode but [`Mode::Normal`] and
/// [`Mode::EmptyKeys`] misbehaves the same way whatever the keys' format).
pub(crate) async fn answer(mode: Mode, base_url: &str, path: &str, served: Served) -> Response {
    let Served {
        content_type,
        body,
        no_keys,
    } = served;
    match mode {
        Mode::Normal => json_response(StatusCode::OK, content_type, body),
        Mode::Delay(d) => {
            tokio::time::sleep(d).await;
            json_response(StatusCode::OK, content_type, body)
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
            content_type,
            "<html>this is not JSON {\"keys\": [",
        ),
        Mode::EmptyBody => json_response(StatusCode::OK, content_type, Body::empty()),
        Mode::EmptyKeys => json_response(StatusCode::OK, content_type, no_keys),
        Mode::Huge(len) => json_response(StatusCode::OK, content_type, huge_body(len)),
        Mode::WrongContentType => json_response(StatusCode::OK, "text/html", body),
        Mode::Redirect => {
            let location = HeaderValue::from_str(&format!("{base_url}{path}"))
                .unwrap_or_else(|_| HeaderValue::from_static(JWKS_SUFFIX));
            (StatusCode::FOUND, [(LOCATION, location)]).into_response()
        }
        Mode::RedirectTo(url) => match HeaderValue::from_str(&url) {
            Ok(location) => (StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Mode::Custom(body) => json_response(StatusCode::OK, content_type, body),
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

//! A Lambda function run as AWS Lambda runs it: the real binary, started
//! with the environment Lambda sets, polling a loopback Runtime API.
//!
//! [`RuntimeApi`] answers the calls of the Lambda runtime interface, as
//! `lambda_runtime` (aws-lambda-rust-runtime) makes them:
//!
//! | call | answer |
//! |---|---|
//! | `GET /2018-06-01/runtime/invocation/next` | waits for an event, then 200 with the event as the body and `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`, `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` |
//! | `POST /2018-06-01/runtime/invocation/{id}/response` | 202; the body is the function's answer to event `id` |
//! | `POST /2018-06-01/runtime/invocation/{id}/error` | 202; the function reported an error (`Lambda-Runtime-Function-Error-Type`) |
//! | `POST /2018-06-01/runtime/init/error` | 202; the function failed to start |
//!
//! One more route is the harness's own, not the Runtime API's: `GET
//! /harness/polling` is 200 once the function has asked for its first
//! event, which is when its init phase is over (the start-up
//! [`Ready`] condition of [`Function::start`]).
//!
//! [`Function::invoke`] hands one event to the function and blocks until it
//! answers, as the Lambda service does for a synchronous invocation.
//!
//! ```no_run
//! use cognito_jwt_e2e::lambda_runtime::{Function, Outcome};
//! let binary = cognito_jwt_e2e::contract::example_binary("lambda-api");
//! let function = Function::start(&binary, &[("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123")]);
//! let event = serde_json::json!({"version": "2.0", "rawPath": "/health"});
//! match function.invoke(&event) {
//!     Outcome::Response(response) => assert_eq!(response["statusCode"], 200),
//!     Outcome::Error { error_type, body } => panic!("{error_type:?}: {body}"),
//! }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::process::{Ready, Service};

/// How long [`Function::invoke`] waits for the function's answer.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The time a function has for one event (`Lambda-Runtime-Deadline-Ms` is
/// this far from the moment the event is handed over).
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The function's name (`AWS_LAMBDA_FUNCTION_NAME`) and ARN.
pub const FUNCTION_NAME: &str = "lambda-api";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:lambda-api";

/// What the function answered to one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST …/{id}/response`: the function's answer, as JSON.
    Response(Value),
    /// `POST …/{id}/error`: the error it reported.
    Error {
        /// `Lambda-Runtime-Function-Error-Type`.
        error_type: Option<String>,
        /// The error document (`errorType`, `errorMessage`).
        body: Value,
    },
}

/// An event waiting for the function's next poll.
struct Pending {
    id: String,
    event: Vec<u8>,
}

struct Shared {
    /// Events handed over by [`RuntimeApi::invoke`], taken by the polls.
    events: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    /// Where each invocation's outcome goes, by request id.
    waiting: Mutex<HashMap<String, std_mpsc::Sender<Outcome>>>,
    /// `GET …/invocation/next` calls so far.
    polls: AtomicU64,
    /// What `POST /runtime/init/error` reported, if anything.
    init_error: Mutex<Option<Value>>,
}

/// A loopback Lambda Runtime API (see the module docs), served on its own
/// thread until dropped.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    events: mpsc::Sender<Pending>,
    invocations: AtomicU64,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RuntimeApi {
    /// Serve on a free loopback port.
    pub fn start() -> RuntimeApi {
        let (events, receiver) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            events: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            polls: AtomicU64::new(0),
            init_error: Mutex::new(None),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local_addr");
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .route("/harness/polling", get(polling))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                // Dropping the runtime afterwards ends the poll that is
                // still waiting for an event.
                tokio::select! {
                    served = axum::serve(listener, app) => {
                        if let Err(e) = served {
                            eprintln!("runtime API: {e}");
                        }
                    }
                    _ = stopped => {}
                }
            });
        });
        RuntimeApi {
            addr,
            shared,
            events,
            invocations: AtomicU64::new(0),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// How many times the function has asked for an event.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::SeqCst)
    }

    /// What the function reported through `/runtime/init/error`.
    pub fn init_error(&self) -> Option<Value> {
        self.shared.init_error.lock().expect("lock").clone()
    }

    /// Hand `event` to the function's next poll and wait for its outcome,
    /// at most [`INVOKE_TIMEOUT`] (then `Err`).
    pub fn invoke(&self, event: &Value) -> Result<Outcome, String> {
        let n = self.invocations.fetch_add(1, Ordering::SeqCst);
        let id = format!("8476a536-e9f4-11e8-9739-{n:012x}");
        let (tx, rx) = std_mpsc::channel();
        self.shared
            .waiting
            .lock()
            .expect("lock")
            .insert(id.clone(), tx);
        let event = serde_json::to_vec(event).expect("serialize the event");
        self.events
            .blocking_send(Pending {
                id: id.clone(),
                event,
            })
            .map_err(|_| "the runtime API has stopped".to_owned())?;
        let outcome = rx.recv_timeout(INVOKE_TIMEOUT).map_err(|_| {
            format!(
                "no answer to invocation {id} within {}s",
                INVOKE_TIMEOUT.as_secs()
            )
        });
        self.shared.waiting.lock().expect("lock").remove(&id);
        outcome
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn header(value: String) -> HeaderValue {
    HeaderValue::try_from(value).expect("a header value")
}

/// `GET /2018-06-01/runtime/invocation/next`: the next event, when there is one.
async fn next(State(shared): State<Arc<Shared>>) -> Response {
    shared.polls.fetch_add(1, Ordering::SeqCst);
    let pending = shared.events.lock().await.recv().await;
    let Some(Pending { id, event }) = pending else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .saturating_add(FUNCTION_TIMEOUT)
        .as_millis();
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("lambda-runtime-aws-request-id", header(id));
    headers.insert("lambda-runtime-deadline-ms", header(deadline.to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static(FUNCTION_ARN),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
        ),
    );
    (StatusCode::OK, headers, event).into_response()
}

/// Hand `outcome` to whoever waits for invocation `id`; 400 for an id that
/// was never handed out (or already answered).
fn deliver(shared: &Shared, id: &str, outcome: Outcome) -> Response {
    match shared.waiting.lock().expect("lock").remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
        )
            .into_response(),
    }
}

fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// `POST /2018-06-01/runtime/invocation/{id}/response`.
async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    deliver(&shared, &id, Outcome::Response(json_or_text(&body)))
}

/// `POST /2018-06-01/runtime/invocation/{id}/error`.
async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    deliver(
        &shared,
        &id,
        Outcome::Error {
            error_type,
            body: json_or_text(&body),
        },
    )
}

/// `POST /2018-06-01/runtime/init/error`.
async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().expect("lock") = Some(json_or_text(&body));
    StatusCode::ACCEPTED
}

/// `GET /harness/polling`: 200 once the function has asked for an event.
async fn polling(State(shared): State<Arc<Shared>>) -> StatusCode {
    if shared.polls.load(Ordering::SeqCst) > 0 {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// A function binary running against its own [`RuntimeApi`].
pub struct Function {
    // Declared first, dropped first: the process goes before its Runtime API.
    service: Service,
    /// The Runtime API it polls.
    pub runtime: RuntimeApi,
}

impl Function {
    /// The environment Lambda sets for a function (`provided.al2023`
    /// runtime, 128 MB), for a Runtime API at `runtime_api`.
    pub fn lambda_env(runtime_api: &str) -> Vec<(&'static str, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", runtime_api),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/lambda-api"),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/12/02/[$LATEST]6f9f4ad33e0d4b3a9e4c1d2b7a8e9f01",
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("LAMBDA_TASK_ROOT", "/var/task"),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
            ("_HANDLER", "bootstrap"),
            ("TZ", ":UTC"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect()
    }

    /// Start `binary` with [`Function::lambda_env`], `RUST_LOG=debug` and
    /// `env` (which may override them), and wait until it polls for its
    /// first event. Panics, showing its log, if it exits or does not poll
    /// within [`crate::process::STARTUP_TIMEOUT`].
    pub fn start(binary: &Path, env: &[(&str, &str)]) -> Function {
        let runtime = RuntimeApi::start();
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(Function::lambda_env(&runtime.host_port()))
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied());
        let polling = format!("http://{}/harness/polling", runtime.host_port());
        let service = Service::spawn(FUNCTION_NAME, cmd, Ready::Http(&polling));
        Function { service, runtime }
    }

    /// Invoke the function with `event` ([`RuntimeApi::invoke`]); panics
    /// with the function's log if it does not answer.
    pub fn invoke(&self, event: &Value) -> Outcome {
        self.runtime
            .invoke(event)
            .unwrap_or_else(|e| panic!("{e}\n--- log (tail) ---\n{}", self.log_tail()))
    }

    /// The end of the function's log (stdout and stderr).
    pub fn log_tail(&self) -> String {
        self.service.log_tail(4000)
    }
}

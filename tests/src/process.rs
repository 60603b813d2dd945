//! Child-process guards: spawn a service, wait until it is ready, kill it on
//! drop.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a service may take to become ready.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Panics with a pointer to the setup script when `path` does not exist.
pub(crate) fn require_installed(path: &Path, what: &str) -> PathBuf {
    if !path.exists() {
        panic!(
            "e2e prerequisite missing: {what} ({} not found).\n\
             Run `scripts/setup-e2e.sh` from the repository root first \
             (it installs moto into .e2e/venv and oidc-provider into \
             tests/fixtures/oidc/node_modules).",
            path.display()
        );
    }
    path.to_path_buf()
}

/// A port on 127.0.0.1 that was free a moment ago. Prefer letting a server
/// bind port 0 and report its port; use this only for programs that cannot.
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// When a spawned service counts as ready.
#[derive(Debug, Clone, Copy)]
pub enum Ready<'a> {
    /// It printed a stdout line starting with this prefix; the rest of the
    /// line is kept, see [`Service::ready_line`].
    Line(&'a str),
    /// `GET url` answered HTTP 200.
    Http(&'a str),
}

/// A running child process, killed (and reaped) when dropped.
///
/// Its stdin is a pipe held by the guard, so services started with an
/// "exit on stdin EOF" option also stop when the test process dies. Stdout
/// and stderr go to a log file whose tail is shown when start-up fails.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    log_path: PathBuf,
    ready_line: String,
}

static SERVICE_COUNTER: AtomicUsize = AtomicUsize::new(0);

fn log_file_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("cognito-jwt-e2e");
    std::fs::create_dir_all(&dir).expect("create log dir");
    let n = SERVICE_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{name}-{}-{n}.log", std::process::id()))
}

impl Service {
    /// Spawns `cmd` and blocks until it is [`Ready`], at most
    /// [`STARTUP_TIMEOUT`]. Panics (after killing the child) on failure.
    pub fn spawn(name: &str, mut cmd: Command, ready: Ready<'_>) -> Service {
        let log_path = log_file_path(name);
        // Append mode for both writers (stderr here, the stdout copier
        // below): with a plain handle each writes at its own offset and
        // stderr overwrites the stdout lines already copied.
        File::create(&log_path).expect("create service log");
        let log = OpenOptions::new()
            .append(true)
            .open(&log_path)
            .expect("open service log");
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().expect("clone log handle")));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot spawn {cmd:?}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");

        // Copy stdout into the log, reporting the ready line once. The
        // thread keeps draining so the child never blocks on a full pipe.
        let (tx, rx) = mpsc::channel::<String>();
        let prefix = match ready {
            Ready::Line(p) => Some(p.to_owned()),
            Ready::Http(_) => None,
        };
        let mut log_out = OpenOptions::new()
            .append(true)
            .open(&log_path)
            .expect("open service log");
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log_out, "{line}");
                if let (Some(p), Some(_)) = (&prefix, &tx)
                    && let Some(rest) = line.strip_prefix(p.as_str())
                {
                    let _ = tx.take().expect("checked").send(rest.trim().to_owned());
                }
            }
        });

        let mut service = Service {
            name: name.to_owned(),
            child,
            stdin,
            log_path,
            ready_line: String::new(),
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = service.child.try_wait().expect("try_wait") {
                service.fail(&format!("exited during start-up with {status}"));
            }
            if Instant::now() >= deadline {
                service.fail(&format!("not ready after {}s", STARTUP_TIMEOUT.as_secs()));
            }
            match ready {
                Ready::Line(_) => match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(rest) => {
                        service.ready_line = rest;
                        break;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        // stdout closed without the line: the child is
                        // exiting; the next try_wait reports it.
                        std::thread::sleep(Duration::from_millis(100));
                    }
                },
                Ready::Http(url) => {
                    if matches!(http_get(url), Ok((200, _))) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        service
    }

    /// Blocks until `GET url` answers HTTP 200, at most [`STARTUP_TIMEOUT`].
    pub fn wait_http_ok(&mut self, url: &str) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            match http_get(url) {
                Ok((200, _)) => return,
                other => {
                    if let Some(status) = self.child.try_wait().expect("try_wait") {
                        self.fail(&format!("exited with {status} while waiting for {url}"));
                    }
                    if Instant::now() >= deadline {
                        self.fail(&format!("GET {url} not 200 in time (last: {other:?})"));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What followed the ready prefix on the ready line (empty for
    /// [`Ready::Http`]).
    pub fn ready_line(&self) -> &str {
        &self.ready_line
    }

    /// The file holding the service's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last `max` bytes of the service log.
    pub fn log_tail(&self, max: usize) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log_path) {
            let _ = f.read_to_string(&mut s);
        }
        let start = s.len().saturating_sub(max);
        let start = (start..s.len())
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(s.len());
        s[start..].to_owned()
    }

    fn fail(&mut self, why: &str) -> ! {
        self.shutdown();
        panic!(
            "{}: {why}\n--- {} (tail) ---\n{}",
            self.name,
            self.log_path.display(),
            self.log_tail(4000)
        );
    }

    fn shutdown(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shutdown();
        // Keep the log when a test is failing; it names the file.
        if std::thread::panicking() {
            eprintln!("{} log kept: {}", self.name, self.log_path.display());
        } else {
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

/// Minimal blocking `GET` for readiness probes: `http://host:port/path`
/// only. Returns the status code and body.
pub fn http_get(url: &str) -> std::io::Result<(u16, String)> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: */*\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no HTTP status line"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

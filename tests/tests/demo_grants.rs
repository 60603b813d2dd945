//! The demo's printed commands, run as a user pastes them: both example
//! APIs on their embedded issuer print shell commands that get tokens
//! through Cognito's grants (client credentials with `curl -u`, the code
//! grant with PKCE) and call the API; run in `bash`, each call gets the
//! status its comment promises.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use cognito_jwt_e2e::apps::EXAMPLE_APPS;
use cognito_jwt_e2e::contract::example_binary;

/// The statuses of the `curl -i` calls, in the printed order.
const EXPECTED: [u16; 10] = [200, 401, 200, 403, 200, 201, 200, 401, 200, 401];

/// The example, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts example `name` as `cargo run -p name` would, with no pool
/// configured, and returns it with what it printed before it listened.
fn start(name: &str) -> (Running, String) {
    let child = Command::new(example_binary(name))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = BufReader::new(running.0.stdout.take().unwrap());
    let mut printed = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.starts_with("listening on ") {
            return (running, printed);
        }
        printed.push_str(&line);
        printed.push('\n');
    }
    panic!("{name} ended before it listened; it printed:\n{printed}");
}

/// The commands: comment, `curl` and `NAME=$(…)` lines.
fn printed_commands(printed: &str) -> String {
    assert!(printed.starts_with("embedded local issuer"), "{printed}");
    printed
        .lines()
        .filter(|l| {
            l.starts_with("# ")
                || l.starts_with("curl ")
                || l.split_once("=$(").is_some_and(|(name, _)| {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase())
                })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_printed_grant_commands_work_against_both_examples() {
    for tool in ["curl", "openssl", "sed", "bash"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .status()
                .is_ok_and(|s| s.success()),
            "the demo's commands need {tool} on PATH"
        );
    }
    for name in EXAMPLE_APPS {
        let (_app, printed) = start(name);
        let script = printed_commands(&printed);
        assert!(script.contains("curl -s -u "), "{name}: {script}");
        assert!(script.contains("code_challenge_method=S256"), "{name}");
        assert!(
            !script.contains("Bearer eyJ"),
            "{name}: no pre-minted tokens"
        );
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        // Bodies end without a newline: the next status line follows on the same line.
        let statuses: Vec<u16> = stdout
            .split("HTTP/1.1 ")
            .skip(1)
            .filter_map(|l| l.get(..3)?.parse().ok())
            .collect();
        assert_eq!(statuses, EXPECTED, "{name}:\n{script}\n{stdout}");
    }
}

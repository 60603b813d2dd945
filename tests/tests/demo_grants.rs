//! The demo's printed commands, run as a user pastes them: both example
//! APIs on their embedded issuer print shell commands that get tokens
//! through Cognito's grants (client credentials with `curl -u`, the code
//! grant with PKCE) and call the API; run in `bash`, each call gets the
//! status its comment promises.

use std::process::Command;

use cognito_jwt_e2e::apps::{EXAMPLE_APPS, start_example};

/// The statuses of the `curl -i` calls, in the printed order.
const EXPECTED: [u16; 10] = [200, 401, 200, 403, 200, 201, 200, 401, 200, 401];

/// The printed commands, from the service log (stdout and stderr share it:
/// keep only comment, `curl` and `NAME=$(…)` lines).
fn printed_commands(log: &str) -> String {
    let start = log
        .find("embedded local issuer")
        .expect("the embedded-issuer banner");
    log[start..]
        .lines()
        .take_while(|l| !l.starts_with("listening on "))
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
        let app = start_example(name, &[]);
        let log = std::fs::read_to_string(app.service.log_path()).unwrap();
        let script = printed_commands(&log);
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

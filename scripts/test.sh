#!/usr/bin/env bash
# Runs every test of the workspace, installing first what the tests need:
#   * the Cognito emulator (moto) in a Python venv at .e2e/venv,
#   * the OpenID provider (oidc-provider) in tests/fixtures/oidc/node_modules,
#   * AWS's verifier (aws-jwt-verify), the reference of the differential test,
#     in tests/fixtures/aws-jwt-verify/node_modules,
# all ignored by git. Unit, integration, doc, adapter, contract and
# end-to-end tests then run with `cargo test`.
#
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/setup-e2e.sh
# The contract and end-to-end tests start the example binaries.
cargo build --workspace --bins
cargo test --workspace "$@"

#!/usr/bin/env bash
# Load test of an example API on loopback: /health (unprotected) vs /me with
# one reused valid token and with distinct valid tokens, same server, same run.
#
#   scripts/load-test.sh axum-api            # or actix-api
#   scripts/load-test.sh axum-api --seconds 2 --rounds 5 --connections 32 --tokens 10000
#
# Builds the binary and the load generator in release mode, then runs
# crates/cognito-jwt-tower/examples/loadgen.rs, which starts a testkit JWKS
# server, starts the binary against it on 127.0.0.1:0, and prints a Markdown
# table with req/s and ratios. Bounded: rounds x seconds per timed scenario,
# plus one pass over the distinct tokens. Loopback only.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 <example binary name> [loadgen options]" >&2
    exit 2
fi
bin=$1
shift
cd "$(dirname "$0")/.."

cargo build --release --quiet -p "$bin"
cargo build --release --quiet -p cognito-jwt-tower --example loadgen
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
echo "load test of $bin ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$target_dir/release/examples/loadgen" "$target_dir/release/$bin" "$@"

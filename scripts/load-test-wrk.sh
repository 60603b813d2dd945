#!/usr/bin/env bash
# Cross-check of scripts/load-test.sh with wrk (Debian: `apt-get install wrk`),
# the standard load generator: /health vs /me with one reused token, same
# server, same run, on loopback.
#
#   scripts/load-test-wrk.sh axum-api            # or actix-api
#   scripts/load-test-wrk.sh axum-api --seconds 3 --rounds 5 --connections 16
#   scripts/load-test-wrk.sh axum-api --pin      # server and wrk on their own CPUs
#
# Starts the release binary with its embedded local issuer (no COGNITO_*
# variables), takes the access token it prints for `GET /me`, then alternates
# three wrk runs per round (so other load on the machine hits them alike):
# `/health`, `/health` carrying the same Authorization header (not checked),
# and `/me`. Prints each scenario's median req/s and its ratio to /health.
# Any non-2xx answer fails the run.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 <example binary name> [--seconds N] [--rounds N] [--connections N] [--pin]" >&2
    exit 2
fi
bin=$1
shift
seconds=3 rounds=5 connections=16
source "$(dirname "$0")/lib/wrk.sh"
parse_wrk_options "$@"
cd "$(dirname "$0")/.."

cargo build --release --quiet -p "$bin"
start_server env BIND_ADDR=127.0.0.1:0 RUST_LOG=warn "$(cargo_target_dir)/release/$bin"
wait_for_line "^# access token: 200" || true
token=$(grep -A1 "^# access token: 200" "$log" | grep -o "Bearer [^']*" | head -1)
base=$(grep "^curl -i http" "$log" | grep -o "http://127.0.0.1:[0-9]*" | head -1)
if [[ -z $token || -z $base ]]; then
    echo "$bin did not print its URL and access token:" >&2
    cat "$log" >&2
    exit 1
fi

declare -a health=() header=() me=()
for round in $(seq "$rounds"); do
    health+=("$(wrk_run "$base/health")")
    header+=("$(wrk_run -H "Authorization: $token" "$base/health")")
    me+=("$(wrk_run -H "Authorization: $token" "$base/me")")
    echo "round $round: /health ${health[-1]}  /health+header ${header[-1]}  /me ${me[-1]}" >&2
done

ratio_table "wrk load test of $bin" /health \
    "GET /health (unprotected)" "$(median "${health[@]}")" \
    "GET /health with the token header (unchecked)" "$(median "${header[@]}")" \
    "GET /me, one reused token" "$(median "${me[@]}")"

#!/usr/bin/env bash
# Cross-check of scripts/load-test.sh with wrk (Debian: `apt-get install wrk`),
# the standard load generator: /health vs /me with one reused token, same
# server, same run, on loopback.
#
#   scripts/load-test-wrk.sh axum-api            # or actix-api
#   scripts/load-test-wrk.sh axum-api --seconds 3 --rounds 5 --connections 16
#
# Starts the release binary with its embedded local issuer (no COGNITO_*
# variables), takes the access token it prints for `GET /me`, then alternates
# three wrk runs per round (so other load on the machine hits them alike):
# `/health`, `/health` carrying the same Authorization header (not checked),
# and `/me`. Prints each scenario's median req/s and its ratio to /health.
# Any non-2xx answer fails the run.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 <example binary name> [--seconds N] [--rounds N] [--connections N]" >&2
    exit 2
fi
bin=$1
shift
seconds=3 rounds=5 connections=16
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        *) echo "unexpected argument $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }
cd "$(dirname "$0")/.."

cargo build --release --quiet -p "$bin"
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
log=$(mktemp)
BIND_ADDR=127.0.0.1:0 RUST_LOG=warn "$target_dir/release/$bin" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT

for _ in $(seq 100); do
    grep -q "^# access token: 200" "$log" && break
    sleep 0.1
done
token=$(grep -A1 "^# access token: 200" "$log" | grep -o "Bearer [^']*" | head -1)
base=$(grep "^curl -i http" "$log" | grep -o "http://127.0.0.1:[0-9]*" | head -1)
if [[ -z $token || -z $base ]]; then
    echo "$bin did not print its URL and access token:" >&2
    cat "$log" >&2
    exit 1
fi

# One wrk run; prints req/s. Fails on any non-2xx answer or socket error.
run() {
    local out
    out=$(wrk -t1 -c"$connections" -d"${seconds}s" "$@")
    if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
        echo "wrk reported errors for $*:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

declare -a health=() header=() me=()
for round in $(seq "$rounds"); do
    health+=("$(run "$base/health")")
    header+=("$(run -H "Authorization: $token" "$base/health")")
    me+=("$(run -H "Authorization: $token" "$base/me")")
    echo "round $round: /health ${health[-1]}  /health+header ${header[-1]}  /me ${me[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
h=$(median "${health[@]}")
hh=$(median "${header[@]}")
m=$(median "${me[@]}")
echo "wrk load test of $bin ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)); wrk -t1 -c$connections, $rounds rounds of ${seconds}s, medians"
echo "| scenario | req/s | vs /health |"
echo "|---|---:|---:|"
awk -v h="$h" -v hh="$hh" -v m="$m" 'BEGIN {
    printf "| GET /health (unprotected) | %.0f | 1.00x |\n", h
    printf "| GET /health with the token header (unchecked) | %.0f | %.2fx |\n", hh, hh / h
    printf "| GET /me, one reused token | %.0f | %.2fx |\n", m, m / h
}'

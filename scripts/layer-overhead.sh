#!/usr/bin/env bash
# What an adapter's middleware alone costs per request, over loopback HTTP
# with wrk (Debian: `apt-get install wrk`).
#
#   scripts/layer-overhead.sh [tower|actix] [--seconds 3] [--rounds 5] [--connections 16] [--pin]
#
# Runs the adapter's overhead example (tower: examples/layer_overhead.rs,
# axum and CognitoAuth; actix: examples/middleware_overhead.rs, CognitoAuth):
# the same handler (the /me body) behind the middleware with one reused
# token (/protected) and behind one that only inserts the same pre-verified
# claims (/unprotected); both requests carry the same Authorization header.
# The rounds alternate (and which route goes first); prints median req/s and
# the ratio. Any non-2xx fails.
set -euo pipefail

seconds=3 rounds=5 connections=16
adapter=tower
case ${1:-} in
    tower | actix) adapter=$1; shift ;;
esac
case $adapter in
    tower) crate=cognito-jwt-tower example=layer_overhead middleware=CognitoAuth ;;
    actix) crate=cognito-jwt-actix example=middleware_overhead middleware=CognitoAuth ;;
esac
source "$(dirname "$0")/lib/wrk.sh"
parse_wrk_options "$@"
cd "$(dirname "$0")/.."

cargo build --release --quiet -p "$crate" --example "$example"
start_server "$(cargo_target_dir)/release/examples/$example"
wait_for_line "^token=" || true
base=$(sed -n 's/^url=//p' "$log")
token=$(sed -n 's/^token=//p' "$log")
if [[ -z $token || -z $base ]]; then
    echo "$example did not print its URL and token:" >&2
    cat "$log" >&2
    exit 1
fi

declare -a open=() protected=()
for round in $(seq "$rounds"); do
    # Alternate which goes first, so a drift in machine load hits both alike.
    if ((round % 2)); then
        open+=("$(wrk_run -H "Authorization: Bearer $token" "$base/unprotected")")
        protected+=("$(wrk_run -H "Authorization: Bearer $token" "$base/protected")")
    else
        protected+=("$(wrk_run -H "Authorization: Bearer $token" "$base/protected")")
        open+=("$(wrk_run -H "Authorization: Bearer $token" "$base/unprotected")")
    fi
    echo "round $round: /unprotected ${open[-1]}  /protected ${protected[-1]}" >&2
done

ratio_table "$middleware overhead" unprotected \
    "same handler, claims inserted, no verification" "$(median "${open[@]}")" \
    "same handler behind $middleware, one reused token" "$(median "${protected[@]}")"

#!/usr/bin/env bash
# What an adapter's middleware alone costs per request, over loopback HTTP
# with wrk (Debian: `apt-get install wrk`).
#
#   scripts/layer-overhead.sh [tower|actix] [--seconds 3] [--rounds 5] [--connections 16] [--pin]
#                             [--features metrics]
#
# Runs the adapter's overhead example (tower: examples/layer_overhead.rs,
# axum and CognitoAuth; actix: examples/middleware_overhead.rs, CognitoAuth):
# the same handler (the /me body) behind the middleware with one reused
# token (/protected) and behind one that only inserts the same pre-verified
# claims (/unprotected); both requests carry the same Authorization header.
# The rounds alternate (and which route goes first); prints median req/s and
# the ratio. Any non-2xx fails.
#
# --features metrics also builds the example with cognito-jwt's metrics
# (through demo-support's `metrics` feature) and runs it with
# EXPOSE_METRICS=1, which installs the Prometheus recorder, and with 10,000
# revocation rules in force (OVERHEAD_REVOCATION_RULES, none matching the
# token): each round then adds that server's /protected, and the table its
# ratio to the floor and to /protected without either, all measured in the
# same run.
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
features="" args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --features)
            [[ ${2:-} == metrics ]] || { echo "--features takes: metrics" >&2; exit 2; }
            features=$2
            shift 2
            ;;
        *) args+=("$1"); shift ;;
    esac
done
source "$(dirname "$0")/lib/wrk.sh"
parse_wrk_options ${args[@]+"${args[@]}"}
cd "$(dirname "$0")/.."

# One build per feature set, each copied out: cargo puts both at one path.
binaries=$(mktemp -d)
build() { # build <name> [cargo args...]
    local name=$1
    shift
    cargo build --release --quiet -p "$crate" --example "$example" "$@"
    cp "$(cargo_target_dir)/release/examples/$example" "$binaries/$name"
}
build base
[[ -n $features ]] && build featured --features demo-support/metrics

# Start the example; sets $base and $token.
serve() { # serve <binary> [env...]
    start_server env "${@:2}" "$1"
    wait_for_line "^token=" || true
    base=$(sed -n 's/^url=//p' "$log")
    token=$(sed -n 's/^token=//p' "$log")
    if [[ -z $token || -z $base ]]; then
        echo "$example did not print its URL and token:" >&2
        cat "$log" >&2
        exit 1
    fi
}
serve "$binaries/base"
base_url=$base base_token=$token
if [[ -n $features ]]; then
    serve "$binaries/featured" EXPOSE_METRICS=1 OVERHEAD_REVOCATION_RULES=10000
    grep -q "^metrics=prometheus" "$log" || { echo "no recorder installed:" >&2; cat "$log" >&2; exit 1; }
    featured_url=$base featured_token=$token
fi

declare -a open=() protected=() featured=()
run_open() { open+=("$(wrk_run -H "Authorization: Bearer $base_token" "$base_url/unprotected")"); }
run_protected() { protected+=("$(wrk_run -H "Authorization: Bearer $base_token" "$base_url/protected")"); }
run_featured() { featured+=("$(wrk_run -H "Authorization: Bearer $featured_token" "$featured_url/protected")"); }
for round in $(seq "$rounds"); do
    # Alternate the order, so a drift in machine load hits every route alike.
    order=(run_open run_protected)
    [[ -n $features ]] && order+=(run_featured)
    if ((round % 2 == 0)); then
        order=($(printf '%s\n' "${order[@]}" | tac))
    fi
    for run in "${order[@]}"; do
        $run
    done
    line="round $round: /unprotected ${open[-1]}  /protected ${protected[-1]}"
    [[ -n $features ]] && line+="  /protected with $features+rules ${featured[-1]}"
    echo "$line" >&2
done

rows=("same handler, claims inserted, no verification" "$(median "${open[@]}")"
    "same handler behind $middleware, one reused token" "$(median "${protected[@]}")")
if [[ -n $features ]]; then
    rows+=("the same with $features on (Prometheus recorder) and 10,000 revocation rules" "$(median "${featured[@]}")")
fi
ratio_table "$middleware overhead" unprotected "${rows[@]}"
if [[ -n $features ]]; then
    # Each round's two /protected runs are back to back: the median of
    # their ratios moves less with the machine's load than the medians do.
    per_round=()
    for i in "${!featured[@]}"; do
        per_round+=("$(awk -v a="${featured[$i]}" -v b="${protected[$i]}" 'BEGIN { printf "%.3f", a / b }')")
    done
    awk -v with="$(median "${featured[@]}")" -v without="$(median "${protected[@]}")" \
        -v rounds="$(median "${per_round[@]}")" -v list="${per_round[*]}" -v f="$features" \
        'BEGIN { printf "/protected with %s vs without: %.2fx (medians); %.2fx (median of the rounds: %s)\n", f, with / without, rounds, list }'
fi

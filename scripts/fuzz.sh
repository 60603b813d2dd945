#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ on nightly, one after the other.
#
# Usage: scripts/fuzz.sh [seconds] [target...]
#   seconds  how long each target runs (default 60)
#   target   token, jwks, header, signed (default: all, in that order)
# Environment:
#   FUZZ_MERGE=1  afterwards, add to fuzz/seeds/<target> the inputs of the
#                 working corpus that cover something the seeds do not
#                 (libFuzzer -set_cover_merge); review and commit them.
#   FUZZ_ARGS     extra libFuzzer flags, e.g. "-max_len=4096".
#
# Each target starts from its committed seeds (fuzz/seeds/<target>) and the
# working corpus of earlier runs (fuzz/corpus/<target>, git-ignored), in one
# process (no -jobs/-workers). Crashes are written to
# fuzz/artifacts/<target>/: commit the reproducer with its fix; the stable
# replay test (cargo test -p cognito-jwt-fuzz) then runs it forever.
# Logs go to fuzz/logs/<target>.log; the last lines of each are summarised
# (runs, exec/s, cov, ft) at the end. The script stops at the first crash.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(token jwks header signed)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

# Release with debug assertions and overflow checks; no sanitizer: the
# crates fuzzed forbid unsafe code, and ASan halves the executions.
build=(-O -a -s none --target-dir fuzz/target)
cargo +nightly fuzz build "${build[@]}"

mkdir -p fuzz/logs
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/logs/$t.log"
    echo "== $t: ${seconds}s"
    status=0
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    cargo +nightly fuzz run "${build[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9/]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    summary+=("$(printf '%-7s %10s runs %8s exec/s  cov %6s  ft %7s  corpus %s' \
        "$t" "${runs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
    if [[ $status -ne 0 ]]; then
        tail -40 "$log"
        if grep -q 'libFuzzer: run interrupted' "$log"; then
            echo "!! $t was interrupted (exit $status), not a crash" >&2
        else
            echo "!! $t crashed (exit $status): see $log and fuzz/artifacts/$t/" >&2
        fi
        printf '%s\n' "${summary[@]}"
        exit "$status"
    fi
    if [[ "${FUZZ_MERGE:-0}" == 1 ]]; then
        echo "== $t: merging new coverage into fuzz/seeds/$t"
        cargo +nightly fuzz run "${build[@]}" "$t" "fuzz/seeds/$t" "fuzz/corpus/$t" -- \
            -set_cover_merge=1 >>"$log" 2>&1
    fi
done
echo "== summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"

#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ on nightly, one after the other.
#
# Usage: scripts/fuzz.sh [seconds] [target...]
#   seconds  how long each target runs (default 60)
#   target   token, jwks, header, signed (default: all, in that order)
# Environment:
#   FUZZ_SEEDS=N  afterwards, refresh the finds in fuzz/seeds/<target>: keep
#                 the hand-made seeds (named; see fuzz/examples/make_seeds.rs)
#                 and add, greedily, the inputs of seeds and working corpus
#                 that cover the most edges the others miss, up to N files in
#                 all (libFuzzer -set_cover_merge control file; needs python3).
#                 Review and commit them.
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

# refresh_seeds TARGET N: the hand-made seeds plus the finds that add most
# edge coverage, N files in all.
refresh_seeds() {
    local t="$1" cap="$2" work
    work="$(mktemp -d)"
    mkdir -p "$work/out"
    "fuzz/target/x86_64-unknown-linux-gnu/release/$t" -set_cover_merge=1 -use_counters=0 \
        -merge_control_file="$work/control" "$work/out" "fuzz/seeds/$t" "fuzz/corpus/$t" \
        >"$work/log" 2>&1
    python3 - "$t" "$cap" "$work/control" <<'PY'
import os, re, shutil, sys
target, cap, control = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(control).read().split("\n")
n = int(lines[0])
files = lines[2:2 + n]
features = {}
for line in lines[2 + n:]:
    if line.startswith("FT "):
        parts = line.split()
        features[int(parts[1])] = set(map(int, parts[2:]))
seeds = f"fuzz/seeds/{target}/"
def found(path):  # a find is named by its SHA-1, as libFuzzer names it
    return re.fullmatch(r"[0-9a-f]{40}", os.path.basename(path)) is not None
hand = [i for i, f in enumerate(files) if f.startswith(seeds) and not found(f)]
have = set().union(set(), *(features.get(i, set()) for i in hand))
candidates = {i for i, f in enumerate(files) if i not in hand}
chosen = {}
while len(hand) + len(chosen) < cap and candidates:
    best = max(candidates, key=lambda i: (len(features.get(i, set()) - have), -os.path.getsize(files[i])))
    if not features.get(best, set()) - have:
        break
    have |= features[best]
    candidates.discard(best)
    chosen[os.path.basename(files[best])] = open(files[best], "rb").read()
for name in os.listdir(seeds):
    if found(name) and name not in chosen:
        os.remove(seeds + name)
for name, data in chosen.items():
    open(seeds + name, "wb").write(data)
every = set().union(set(), *features.values())
print(f"== {target}: seeds {len(hand)} hand-made + {len(chosen)} finds, "
      f"covering {len(have)} of the {len(every)} edges of seeds and corpus")
PY
    rm -rf "$work"
}

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
    if [[ -n "${FUZZ_SEEDS:-}" ]]; then
        refresh_seeds "$t" "$FUZZ_SEEDS" | tee -a "$log"
    fi
done
echo "== summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"

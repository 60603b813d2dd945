# Helpers shared by the wrk load-test scripts; source it after setting
# $connections and $seconds.

# One wrk run; prints req/s. Fails on any non-2xx answer or socket error.
wrk_run() {
    local out
    out=$(wrk -t1 -c"$connections" -d"${seconds}s" "$@")
    if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
        echo "wrk reported errors for $*:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

# The median of its arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

# Options common to the scripts: --seconds, --rounds, --connections.
parse_wrk_options() {
    while [[ $# -gt 0 ]]; do
        case $1 in
            --seconds) seconds=$2; shift 2 ;;
            --rounds) rounds=$2; shift 2 ;;
            --connections) connections=$2; shift 2 ;;
            *) echo "unexpected argument $1" >&2; exit 2 ;;
        esac
    done
    command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }
}

# The workspace's target directory.
cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# Start "$@" in the background, its output in $log; killed when the script exits.
start_server() {
    log=$(mktemp)
    "$@" >"$log" 2>&1 &
    server_pid=$!
    trap 'kill $server_pid 2>/dev/null; rm -f "$log"' EXIT
}

# Wait up to 10 s for a line of $log matching the regex $1.
wait_for_line() {
    for _ in $(seq 100); do
        grep -q "$1" "$log" && return 0
        sleep 0.1
    done
    return 1
}

# The results table: ratio_table <subject> <baseline name> <label> <req/s> [<label> <req/s>]...
# The first row is the baseline every ratio is against.
ratio_table() {
    local subject=$1 against=$2 base=$4
    shift 2
    echo "$subject ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)); wrk -t1 -c$connections, $rounds rounds of ${seconds}s, medians"
    echo "| scenario | req/s | vs $against |"
    echo "|---|---:|---:|"
    while [[ $# -ge 2 ]]; do
        awk -v label="$1" -v v="$2" -v base="$base" \
            'BEGIN { printf "| %s | %.0f | %.2fx |\n", label, v, v / base }'
        shift 2
    done
}

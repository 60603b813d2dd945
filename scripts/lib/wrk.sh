# Helpers shared by the wrk load-test scripts; source it after setting
# $connections and $seconds.

# With --pin, the server runs on every CPU but the last and wrk on the last
# (taskset), so the two never take each other's CPU: the server is then
# saturated on its own CPUs, and the ratio of two routes' req/s is the
# inverse ratio of their server CPU per request, repeatable to about 1%
# here, where unpinned runs move by 5%. Unset: no pinning.
server_cpus="" client_cpus=""

# One wrk run; prints req/s. Fails on any non-2xx answer or socket error.
wrk_run() {
    local out
    out=$(${client_cpus:+taskset -c "$client_cpus"} wrk -t1 -c"$connections" -d"${seconds}s" "$@")
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
            --pin) pin_cpus; shift ;;
            *) echo "unexpected argument $1" >&2; exit 2 ;;
        esac
    done
    command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }
}

# --pin: the server on CPUs 0..n-2, wrk on CPU n-1.
pin_cpus() {
    local last=$(($(nproc) - 1))
    if [[ $last -lt 1 ]]; then
        echo "--pin needs at least two CPUs" >&2
        exit 2
    fi
    command -v taskset >/dev/null || { echo "taskset not found (util-linux)" >&2; exit 2; }
    server_cpus=0 client_cpus=$last
    if [[ $last -gt 1 ]]; then
        server_cpus=0-$((last - 1))
    fi
}

# The workspace's target directory.
cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# Start "$@" in the background, its output in $log; every server started
# is killed when the script exits.
server_pids=() server_logs=()
start_server() {
    log=$(mktemp)
    ${server_cpus:+taskset -c "$server_cpus"} "$@" >"$log" 2>&1 &
    server_pids+=($!)
    server_logs+=("$log")
    trap 'kill "${server_pids[@]}" 2>/dev/null; rm -f "${server_logs[@]}"' EXIT
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
    local pinned=""
    [[ -n $server_cpus ]] && pinned="; pinned: server on CPUs $server_cpus, wrk on CPU $client_cpus"
    echo "$subject ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)); wrk -t1 -c$connections, $rounds rounds of ${seconds}s, medians$pinned"
    echo "| scenario | req/s | vs $against |"
    echo "|---|---:|---:|"
    while [[ $# -ge 2 ]]; do
        awk -v label="$1" -v v="$2" -v base="$base" \
            'BEGIN { printf "| %s | %.0f | %.2fx |\n", label, v, v / base }'
        shift 2
    done
}

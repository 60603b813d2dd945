#!/usr/bin/env bash
# Installs the local identity providers used by the end-to-end tests
# (crate `cognito-jwt-e2e`, folder tests/):
#   * moto (Cognito user-pool emulator) in a Python venv at .e2e/venv
#   * oidc-provider (npm) in tests/fixtures/oidc/node_modules
#   * aws-jwt-verify (npm), the reference of the differential test, in
#     tests/fixtures/aws-jwt-verify/node_modules
#   * redis-server (Debian package), which the tests of crates/cognito-jwt-redis
#     start on loopback ports of their own
#   * curl and openssl (Debian packages), which the demo's printed commands use
# Versions are pinned in tests/fixtures/moto/requirements.txt and the
# package-lock.json of each npm fixture. Idempotent: a stamp file holding a
# hash of those pins skips work that is already done.
#
# Usage: scripts/setup-e2e.sh [--force]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="$ROOT/.e2e"
VENV="$E2E_DIR/venv"
REQS="$ROOT/tests/fixtures/moto/requirements.txt"
OIDC_DIR="$ROOT/tests/fixtures/oidc"
PY_STAMP="$E2E_DIR/moto.stamp"
NODE_STAMP="$E2E_DIR/oidc.stamp"
AWS_DIR="$ROOT/tests/fixtures/aws-jwt-verify"
AWS_STAMP="$E2E_DIR/aws-jwt-verify.stamp"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

log() { printf '[setup-e2e] %s\n' "$*"; }
die() { printf '[setup-e2e] error: %s\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"; fi
}

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get to install it"
    if [[ $apt_updated -eq 0 ]]; then
        log "apt-get update"
        as_root apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

mkdir -p "$E2E_DIR"
start=$SECONDS

# ------------------------------------------------------------- redis-server
if command -v redis-server >/dev/null 2>&1; then
    log "redis-server present ($(redis-server --version | cut -d' ' -f3))"
else
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server missing after apt-get install"
    # Only the binary is needed: the tests start their own servers on free
    # loopback ports, without persistence, and never use a system-wide one.
    log "redis-server installed ($(redis-server --version | cut -d' ' -f3))"
fi

# ------------------------------------------------------------- curl, openssl
# tests/tests/demo_grants.rs runs the commands the demo prints, as a user
# would paste them: curl for the OAuth grants, openssl for the PKCE pair.
missing=()
for tool in curl openssl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
fi
log "curl and openssl present"

# ---------------------------------------------------------------- moto (Python)
command -v python3 >/dev/null 2>&1 || apt_install python3
py_ver="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
py_hash="$(hash_of "$REQS" <(echo "python $py_ver"))"

if [[ $FORCE -eq 0 && -f "$PY_STAMP" && "$(cat "$PY_STAMP")" == "$py_hash" \
      && -x "$VENV/bin/python" && -x "$VENV/bin/moto_server" ]]; then
    log "moto venv up to date ($VENV)"
else
    # `python3 -m venv` needs ensurepip, which Debian ships separately.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        apt_install "python${py_ver}-venv" || apt_install python3-venv
    fi
    if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "creating venv $VENV (python $py_ver)"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    log "installing $(grep -v '^#' "$REQS" | xargs)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    "$VENV/bin/python" - "$REQS" <<'EOF'
import sys, re
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", line).groups()
    got = version(name)
    if got != want:
        sys.exit(f"{name}: installed {got}, pinned {want}")
EOF
    [[ -x "$VENV/bin/moto_server" ]] || die "moto_server missing from $VENV/bin"
    echo "$py_hash" > "$PY_STAMP"
    log "moto venv ready"
fi

# ------------------------------------------------------------- npm fixtures
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 20 ]] || die "node >= 20 required (found $(node --version))"

# npm_fixture DIR PACKAGE STAMP: `npm ci` in DIR unless STAMP holds the hash
# of its pins, then check that PACKAGE is installed at the pinned version.
npm_fixture() {
    local dir=$1 package=$2 stamp=$3 hash want got
    hash="$(hash_of "$dir/package.json" "$dir/package-lock.json" <(echo "node $node_major"))"
    if [[ $FORCE -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$hash" \
          && -f "$dir/node_modules/$package/package.json" ]]; then
        log "$package up to date ($dir/node_modules)"
        return
    fi
    want="$(node -p 'require(process.argv[1]).dependencies[process.argv[2]]' "$dir/package.json" "$package")"
    log "npm ci $package@$want"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    got="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/$package/package.json")"
    [[ "$got" == "$want" ]] || die "$package: installed $got, pinned $want"
    echo "$hash" > "$stamp"
    log "$package ready"
}

npm_fixture "$OIDC_DIR" oidc-provider "$NODE_STAMP"
npm_fixture "$AWS_DIR" aws-jwt-verify "$AWS_STAMP"

log "done in $((SECONDS - start))s; run: cargo test -p cognito-jwt-e2e"

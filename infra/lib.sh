# shellcheck shell=bash
# Shared helpers for infra/run and infra/test: check the tools, install what is missing
# on Debian/Ubuntu, and make sure local PostgreSQL and RabbitMQ answer.
#
# Sourced, never run. Everything targets the local servers the services default to:
# PostgreSQL on 127.0.0.1:5432 (user postgres, no password) and RabbitMQ on
# 127.0.0.1:5672 (guest/guest) with its management API on 127.0.0.1:15672.

set -euo pipefail

readonly PG_HOST=127.0.0.1
readonly PG_PORT=5432
readonly PG_URL="postgres://postgres@${PG_HOST}:${PG_PORT}"
readonly RABBIT_HOST=127.0.0.1
readonly RABBIT_PORT=5672
readonly RABBIT_API="http://${RABBIT_HOST}:15672"
readonly RABBIT_USER=guest
readonly RABBIT_PASSWORD=guest

# The repository root, whichever directory the script was started from.
# shellcheck disable=SC2034 # used by the scripts that source this file
GUICHET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Set when this run installed PostgreSQL, so a fresh cluster may be opened to local
# passwordless logins (see ensure_postgres_login).
installed_postgres=false

# --- output ----------------------------------------------------------------------------

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _bold=$'\e[1m' _green=$'\e[32m' _yellow=$'\e[33m' _red=$'\e[31m' _reset=$'\e[0m'
else
  _bold='' _green='' _yellow='' _red='' _reset=''
fi

step() { printf '%s==>%s %s\n' "$_bold" "$_reset" "$*"; }
ok() { printf '  %sok%s  %s\n' "$_green" "$_reset" "$*"; }
warn() { printf '  %s!!%s  %s\n' "$_yellow" "$_reset" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$_red" "$_reset" "$1" >&2
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line" >&2; done
  exit 1
}

# --- small utilities -------------------------------------------------------------------

have() { command -v "$1" >/dev/null 2>&1; }

# True when something accepts TCP connections on host:port.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# Runs "$@" with root rights: directly as root, else through passwordless sudo.
# as_root_possible says whether that can work at all.
as_root_possible() { [[ $EUID -eq 0 ]] || { have sudo && sudo -n true 2>/dev/null; }; }
as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# Polls "$@" every second until it succeeds or $1 seconds pass.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# The RabbitMQ management API as guest: rabbit_api METHOD PATH [JSON BODY].
rabbit_api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sf -u "$RABBIT_USER:$RABBIT_PASSWORD" -X "$method" "$RABBIT_API/api/$path")
  [[ -n "$body" ]] && args+=(-H 'content-type: application/json' -d "$body")
  curl "${args[@]}"
}

rabbit_api_answers() { rabbit_api GET overview >/dev/null 2>&1; }

# psql against the local server's maintenance database, quiet and unaligned.
pg() { psql "$PG_URL/postgres" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# --- (a) tools -------------------------------------------------------------------------

# Checks every tool the scripts use; installs the missing Debian packages when allowed,
# otherwise prints the commands to run and stops.
ensure_tools() {
  step "Checking tools"
  if ! have cargo; then
    die "cargo (Rust) is not installed." \
      "Install it with rustup, then open a new shell:" \
      "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" \
      "(or see https://rustup.rs)"
  fi

  local packages=()
  have curl || packages+=(curl)
  # The server tools are only needed when the server does not already answer
  # (a PostgreSQL or RabbitMQ in a container is fine as is).
  if ! have psql || ! have pg_isready; then
    packages+=(postgresql-client)
  fi
  if ! port_open "$PG_HOST" "$PG_PORT" && ! have pg_ctlcluster; then
    packages+=(postgresql)
  fi
  if ! port_open "$RABBIT_HOST" "$RABBIT_PORT" || ! port_open "$RABBIT_HOST" 15672; then
    if ! have rabbitmq-server || ! have rabbitmqctl || ! have rabbitmq-plugins; then
      packages+=(rabbitmq-server)
    fi
  fi

  if ((${#packages[@]} == 0)); then
    ok "cargo $(cargo --version | cut -d' ' -f2), psql, curl, rabbitmq tools"
    return
  fi

  install_packages "${packages[@]}"
  [[ " ${packages[*]} " == *" postgresql "* ]] && installed_postgres=true
  return 0
}

# install_packages PACKAGE...: installs Debian packages, saying so first, when this user
# may (root or passwordless sudo); otherwise prints the commands to run and stops.
install_packages() {
  if ! have apt-get || ! as_root_possible; then
    local sudo=''
    [[ $EUID -eq 0 ]] || sudo='sudo '
    die "missing Debian packages: $*" \
      "Install them, then run this script again:" \
      "  ${sudo}apt-get update" \
      "  ${sudo}apt-get install -y $*"
  fi
  step "Installing missing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  ok "installed $*"
}

# --- (a') Node.js packages ----------------------------------------------------------------

# The identity tests run a local OpenID Connect provider standing in for FranceConnect
# (infra/oidc, Node.js). Installs Debian's nodejs and npm when missing and allowed,
# otherwise prints the commands to run and stops; then installs the provider's locked
# packages when node_modules is missing or older than package-lock.json.
ensure_node_packages() {
  step "Node.js packages of the test OpenID Connect provider (infra/oidc)"
  local packages=()
  have node || packages+=(nodejs)
  have npm || packages+=(npm)
  if ((${#packages[@]} > 0)); then
    install_packages "${packages[@]}"
  fi
  # oidc-provider 9 needs crypto.hash (Node.js 20.12 and later); Debian 12 ships 18.
  node -e 'const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 20 || (major === 20 && minor >= 12) ? 0 : 1)' ||
    die "Node.js $(node --version) is too old for infra/oidc: it needs 20.12 or later." \
      "Install Node.js 20 or 22 (Debian 13's nodejs, or your vendor's package), then run this script again."

  local dir="$GUICHET_ROOT/infra/oidc"
  # npm rewrites node_modules/.package-lock.json on every install: its age is the tree's.
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "  npm ci --prefix infra/oidc"
    npm ci --prefix "$dir" --no-audit --no-fund ||
      die "npm ci failed in infra/oidc." "Run it by hand to see why:  npm ci --prefix infra/oidc --no-audit --no-fund"
  fi
  ok "node $(node --version), infra/oidc packages installed"
}

# --- (a'') The residents' screens ----------------------------------------------------------

# Builds the front end the gateway serves (gateway/web, docs/frontend.md): its locked
# packages (no browser download), the OpenAPI document its client types are generated
# from (printed by the gateway binary, so build the binaries first), then
# `npm run build` (types, accessibility checks as errors, bundle, size budget).
build_front_end() {
  step "The residents' screens (gateway/web: npm ci, OpenAPI types, npm run build)"
  local dir="$GUICHET_ROOT/gateway/web"
  # While a screen is being changed, the platform can still start on the last build.
  if [[ "${GUICHET_SKIP_FRONT_END:-}" == 1 && -f "$dir/dist/index.html" ]]; then
    warn "GUICHET_SKIP_FRONT_END=1: serving the last build of gateway/web/dist as it is"
    return 0
  fi
  # Vite 8 needs Node.js 20.19 or later.
  node -e 'const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)' ||
    die "Node.js $(node --version) is too old for gateway/web: it needs 20.19 or later." \
      "Install Node.js 20 or 22 (Debian 13's nodejs, or your vendor's package), then run this script again."
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "  npm ci --prefix gateway/web"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$dir" --no-audit --no-fund ||
      die "npm ci failed in gateway/web." "Run it by hand to see why:  npm ci --prefix gateway/web --no-audit --no-fund"
  fi
  "$GUICHET_ROOT/target/debug/guichet-gateway" openapi >"$dir/openapi.json" ||
    die "the gateway could not print its OpenAPI document." "Build it first: cargo build --bins"
  npm run --prefix "$dir" --silent build ||
    die "the front end does not build (a type error against the API, or an accessibility warning)." \
      "Run it by hand to see why:  npm run --prefix gateway/web build"
  ok "front end built in gateway/web/dist"
}

# The browser tests drive Debian's Chromium (never a downloaded build).
ensure_chromium() {
  step "Chromium for the browser tests"
  have chromium || install_packages chromium
  ok "$(chromium --version 2>/dev/null | head -1)"
}

# --- (a''') Python packages ---------------------------------------------------------------

# The local mail and SMS outbox of infra/run and of the notifications tests
# (infra/smtp/outbox.py) is a real SMTP server, aiosmtpd from PyPI, in a virtual
# environment under infra/smtp/.venv. Installs Debian's python3 and python3-venv when
# missing and allowed; reinstalls the packages when requirements.txt is newer.
# A virtual environment in infra/<dir>/.venv with infra/<dir>/requirements.txt, installed
# again whenever the requirements change.
ensure_venv() {
  local name=$1
  local dir="$GUICHET_ROOT/infra/$name"
  local venv="$dir/.venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "  python3 -m venv infra/$name/.venv"
    python3 -m venv "$venv" || die "could not create infra/$name/.venv." \
      "Run it by hand to see why:  python3 -m venv infra/$name/.venv"
  fi
  if [[ ! -f "$venv/.installed" || "$dir/requirements.txt" -nt "$venv/.installed" ]]; then
    echo "  pip install -r infra/$name/requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$dir/requirements.txt" ||
      die "pip install failed in infra/$name." \
        "Run it by hand to see why:  infra/$name/.venv/bin/pip install -r infra/$name/requirements.txt"
    touch "$venv/.installed"
  fi
}

ensure_python() {
  local packages=()
  have python3 || packages+=(python3)
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    packages+=(python3-venv)
  fi
  if ((${#packages[@]} > 0)); then
    install_packages "${packages[@]}"
  fi
}

ensure_python_packages() {
  step "Python packages of the local mail outbox (infra/smtp)"
  ensure_python
  ensure_venv smtp
  local python="$GUICHET_ROOT/infra/smtp/.venv/bin/python"
  ok "$("$python" --version), aiosmtpd $("$python" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
}

# The third-party judges of the public contract (tests/tests/contract.rs):
# openapi-spec-validator and schemathesis, from PyPI.
ensure_contract_tools() {
  step "Python packages of the contract tests (infra/contract)"
  ensure_python
  ensure_venv contract
  local venv="$GUICHET_ROOT/infra/contract/.venv"
  ok "openapi-spec-validator $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))'), $("$venv/bin/schemathesis" --version)"
}

# --- (b) PostgreSQL --------------------------------------------------------------------

# The dependency audit's tool, pinned so every machine judges alike. Built from
# crates.io by cargo itself (a few minutes, once per machine).
readonly CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
  if have cargo-deny && [[ "$(cargo deny --version 2>/dev/null)" == *"$CARGO_DENY_VERSION"* ]]; then
    ok "cargo-deny $CARGO_DENY_VERSION"
    return
  fi
  step "Installing cargo-deny $CARGO_DENY_VERSION with cargo (once per machine)"
  cargo install --locked --quiet "cargo-deny@$CARGO_DENY_VERSION" ||
    die "could not install cargo-deny." "Run: cargo install --locked cargo-deny@$CARGO_DENY_VERSION"
  ok "cargo-deny $CARGO_DENY_VERSION installed"
}

# Licences, sources and bans always; RustSec advisories when their database (on GitHub)
# can be fetched, saying so plainly when it cannot.
audit_dependencies() {
  step "Auditing dependencies (cargo deny, deny.toml)"
  cargo deny --log-level error check --hide-inclusion-graph bans licenses sources ||
    die "the dependency audit failed (see above; exceptions go in deny.toml with their reason)."
  ok "licences, sources and bans"
  if cargo deny --log-level error fetch >/dev/null 2>&1; then
    cargo deny --log-level error check --hide-inclusion-graph --disable-fetch advisories ||
      die "a dependency has a security advisory (see above)."
    ok "no RustSec advisory"
  else
    warn "the RustSec advisory database (github.com) cannot be reached: advisories not checked"
  fi
}

pg_answers() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

# The Debian cluster ("15 main") that owns port 5432, if any.
pg_local_cluster() {
  have pg_lsclusters || return 0
  pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; exit }'
}

ensure_postgres() {
  step "PostgreSQL on $PG_HOST:$PG_PORT"
  if ! pg_answers; then
    local cluster
    cluster=$(pg_local_cluster)
    [[ -n "$cluster" ]] || die "PostgreSQL does not answer and no local cluster uses port $PG_PORT." \
      "Create one with:  pg_createcluster --start <version> main   (see pg_lsclusters)"
    as_root_possible || die "PostgreSQL cluster $cluster is stopped and this user cannot start it." \
      "Start it with:  sudo pg_ctlcluster --skip-systemctl-redirect $cluster start"
    echo "  starting cluster $cluster"
    # shellcheck disable=SC2086 # $cluster is "<version> <name>", two words on purpose
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start ||
      warn "pg_ctlcluster failed; waiting anyway in case it is starting"
    wait_for 30 pg_answers || die "PostgreSQL did not answer within 30 s." \
      "Look at /var/log/postgresql/postgresql-${cluster// /-}.log"
  fi
  ensure_postgres_login
  ok "PostgreSQL $(pg -c 'show server_version' | cut -d' ' -f1) answers"
}

# The services log in as postgres over TCP with no password. A fresh Debian cluster asks
# for one, so a cluster this run just installed is opened to local logins; an existing
# one is left alone and the fix is printed instead.
ensure_postgres_login() {
  pg -c 'select 1' >/dev/null 2>&1 && return
  local cluster hba
  cluster=$(pg_local_cluster)
  hba="/etc/postgresql/${cluster/ //}/pg_hba.conf"
  if $installed_postgres && [[ -n "$cluster" && -f "$hba" ]]; then
    echo "  allowing passwordless local TCP logins for postgres in $hba (new dev cluster)"
    as_root sed -i -e '1i host all postgres 127.0.0.1/32 trust' -e '1i host all postgres ::1/128 trust' "$hba"
    # shellcheck disable=SC2086 # two words on purpose
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster reload
    wait_for 10 pg -c 'select 1' && return
  fi
  die "PostgreSQL refuses '$PG_URL' (user postgres, no password, over TCP)." \
    "On a development machine, put these lines first in pg_hba.conf, then reload:" \
    "  host all postgres 127.0.0.1/32 trust" \
    "  host all postgres ::1/128 trust" \
    "or point the services elsewhere with GUICHET__DATABASE__URL (docs/operations.md)."
}

# --- (c) RabbitMQ ----------------------------------------------------------------------

rabbit_answers() { port_open "$RABBIT_HOST" "$RABBIT_PORT"; }

# Descriptors the broker must have. RabbitMQ 3.x gives each connection and each vhost's
# message store a handle from a pool sized by its limit at boot; Debian starts it with
# 1024, and once the pool is spent, deleting a vhost blocks for good and every vhost
# creation after it waits 60 s (what the test suite's parallel platforms hit).
readonly RABBIT_MIN_FILES=16384

# The process listening on the broker's port (empty if unknown, e.g. not root).
rabbit_pid() {
  ss -Hltnp "sport = :$RABBIT_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2
}

# The running broker's descriptor limit (0 if unknown).
rabbit_file_limit() {
  local pid
  pid=$(rabbit_pid)
  [[ -n "$pid" ]] || { echo 0; return; }
  awk '/Max open files/ { print $4 }' "/proc/$pid/limits" 2>/dev/null || echo 0
}

# Starts the broker as its user with as many descriptors as the system allows (Debian's
# wrapper goes through su, which leaves 1024).
start_rabbitmq() {
  as_root runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq sh -c \
    "ulimit -n $RABBIT_MIN_FILES 2>/dev/null || ulimit -n \$(ulimit -Hn); exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached" ||
    warn "rabbitmq-server -detached failed; waiting anyway"
}

# Whether the broker's supervisor of at-least-once dead-letter workers runs: RabbitMQ
# 3.10's workers crash when their quorum queue vanishes as they start (a vhost deleted
# while its queues are created), and a few crashes stop the supervisor for good; every
# retry queue declared after that fails with INTERNAL_ERROR. Empty when unknown.
rabbit_dead_lettering() {
  as_root_possible || return 0
  timeout 20 rabbitmqctl eval 'is_pid(whereis(rabbit_fifo_dlx_sup)).' 2>/dev/null | tail -n 1
}

# Stops the broker (killing it if it does not stop) and starts it again; $1 says why,
# $2 is what to run by hand where this user may not.
restart_rabbitmq() {
  if ! as_root_possible; then
    warn "$1." "Do it with:  $2"
    return
  fi
  echo "  $1"
  local pid
  pid=$(rabbit_pid)
  timeout 60 rabbitmqctl stop >/dev/null 2>&1 || as_root kill -9 "$pid" || true
  wait_for 30 bash -c "! kill -0 $pid 2>/dev/null" || true
  start_rabbitmq
  wait_for 90 rabbit_answers || die "RabbitMQ did not come back on port $RABBIT_PORT within 90 s." \
    "Look at /var/log/rabbitmq/ (and: rabbitmqctl status)"
}

ensure_rabbitmq() {
  step "RabbitMQ on $RABBIT_HOST:$RABBIT_PORT"
  if ! rabbit_answers; then
    as_root_possible || die "RabbitMQ is stopped and this user cannot start it." \
      "Start it with:  sudo rabbitmq-server -detached"
    echo "  starting rabbitmq-server (detached, $RABBIT_MIN_FILES file descriptors)"
    start_rabbitmq
    wait_for 90 rabbit_answers || die "RabbitMQ did not open port $RABBIT_PORT within 90 s." \
      "Look at /var/log/rabbitmq/ (and: rabbitmqctl status)"
  fi
  local files
  files=$(rabbit_file_limit)
  if ((files > 0 && files < RABBIT_MIN_FILES)); then
    restart_rabbitmq "RabbitMQ runs with $files file descriptors; restarting it with $RABBIT_MIN_FILES" \
      "sudo sh -c 'ulimit -n $RABBIT_MIN_FILES; rabbitmq-server -detached'"
  elif [[ "$(rabbit_dead_lettering)" == false ]]; then
    restart_rabbitmq "RabbitMQ's dead-letter supervisor has stopped (a 3.10 bug); restarting RabbitMQ" \
      "sudo rabbitmqctl stop; sudo rabbitmq-server -detached"
  fi
  ok "RabbitMQ answers"
  ensure_rabbitmq_management
}

# The management API creates vhosts here and in the tests.
ensure_rabbitmq_management() {
  if ! rabbit_api_answers; then
    echo "  enabling the rabbitmq_management plugin"
    as_root rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null ||
      die "could not enable rabbitmq_management." "Run:  sudo rabbitmq-plugins enable rabbitmq_management"
    wait_for 60 rabbit_api_answers || die "the RabbitMQ management API did not answer on $RABBIT_API within 60 s." \
      "Check it with:  curl -u guest:guest $RABBIT_API/api/overview"
  fi
  ok "management API on $RABBIT_API"
}

# --- (d) vhosts ------------------------------------------------------------------------

# Percent-encodes a vhost name for a management API path.
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# Creates vhost $1 and gives guest every right on it; harmless when it already exists.
ensure_vhost() {
  local vhost
  vhost=$(urlencode "$1")
  rabbit_api PUT "vhosts/$vhost" >/dev/null || die "could not create RabbitMQ vhost '$1'."
  rabbit_api PUT "permissions/$vhost/$RABBIT_USER" '{"configure":".*","write":".*","read":".*"}' >/dev/null ||
    die "could not grant $RABBIT_USER access to vhost '$1'."
  ok "vhost '$1' (guest has full access)"
}

# Every vhost name whose name starts with $1, one per line.
vhosts_starting_with() {
  rabbit_api GET 'vhosts?columns=name' | grep -o '"name":"[^"]*"' | cut -d'"' -f4 | grep "^$1" || true
}

delete_vhost() { rabbit_api DELETE "vhosts/$(urlencode "$1")" >/dev/null; }

# --- (e) Kubernetes manifests and images -----------------------------------------------

# The judges of k8s/ (tests/tests/k8s.rs): kubectl renders the overlays (kustomize), and
# kubernetes-validate, jsonschema and checkov from PyPI judge them, in infra/k8s/.venv.
ensure_k8s_tools() {
  step "Kubernetes manifest tools (kubectl; infra/k8s: kubernetes-validate, jsonschema, checkov)"
  have kubectl || die "kubectl is not installed: the Kubernetes tests render k8s/ with it." \
    "Install it from your distribution or https://kubernetes.io/docs/tasks/tools/ , then run this script again."
  ensure_python
  ensure_venv k8s
  local venv="$GUICHET_ROOT/infra/k8s/.venv"
  ok "kubectl $(kubectl version --client 2>/dev/null | head -n 1 | cut -d' ' -f3), checkov $("$venv/bin/checkov" --version), kubernetes-validate $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))')"
}

# The first working image builder: docker or podman whose engine answers, or buildah.
image_builder() {
  if have docker && timeout 10 docker info >/dev/null 2>&1; then
    echo docker
  elif have podman && timeout 10 podman info >/dev/null 2>&1; then
    echo podman
  elif have buildah && timeout 10 buildah info >/dev/null 2>&1; then
    echo buildah
  fi
}

# Builds infra/Containerfile for every binary, tagged as k8s/base expects, where a
# builder works; otherwise says so and goes on (no engine is started here).
check_images() {
  step "Container images (infra/Containerfile, one per binary)"
  local builder
  builder=$(image_builder)
  if [[ -z "$builder" ]]; then
    warn "no working image builder (docker or podman engine not answering, no buildah): images not built"
    return 0
  fi
  local tag name
  tag=$(awk '/newTag:/ { gsub(/"/, "", $2); print $2; exit }' "$GUICHET_ROOT/k8s/base/kustomization.yaml")
  for name in identity teleservices complaints rapo notifications gateway; do
    echo "  $builder build --build-arg SERVICE=guichet-$name -t ghcr.io/guichet/$name:$tag"
    # docker, podman and buildah take the same arguments.
    "$builder" build --quiet -f "$GUICHET_ROOT/infra/Containerfile" --build-arg "SERVICE=guichet-$name" \
      -t "ghcr.io/guichet/$name:$tag" "$GUICHET_ROOT" >/dev/null ||
      die "the image of guichet-$name does not build." \
      "Run it by hand to see why:  $builder build -f infra/Containerfile --build-arg SERVICE=guichet-$name ."
  done
  ok "6 images built with $builder (ghcr.io/guichet/<name>:$tag)"
}

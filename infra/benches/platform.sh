# The platform for the benches, from `infra/lib.sh`'s helpers: release binaries (or
# `GUICHET_BENCH_PROFILE=debug`) as separate processes, as operators run them, on fresh
# databases guichet_bench_* of the machine's PostgreSQL and the vhost guichet_bench of
# its RabbitMQ. `start_platform` leaves, for the caller: gateway_url, pid_of[name],
# services, admin_password, log_dir, bin_dir; every process stops when the caller exits.
#
# Environment:
#   GUICHET_BENCH_PROFILE    cargo profile of the binaries: release (default) or debug
#   GUICHET_BENCH_PORT       gateway port (18080); the services use the next five

start_platform() {
  profile=${GUICHET_BENCH_PROFILE:-release}
  http_port=${GUICHET_BENCH_PORT:-18080}
  services=(identity teleservices complaints rapo notifications)
  declare -gA grpc_port
  i=1
  for name in "${services[@]}"; do
    grpc_port[$name]=$((http_port + i))
    i=$((i + 1))
  done
  vhost=guichet_bench
  amqp_url="amqp://$RABBIT_USER:$RABBIT_PASSWORD@$RABBIT_HOST:$RABBIT_PORT/$vhost"
  admin_password=guichet-bench-admin
  bin_dir="${CARGO_TARGET_DIR:-target}/$profile"
  log_dir=.guichet/bench
  pids=()

  stop_all() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    exit "$status"
  }
  trap stop_all EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  ensure_tools
  ensure_postgres
  ensure_rabbitmq
  step "RabbitMQ vhost '$vhost'"
  ensure_vhost "$vhost"

  step "Building ($profile binaries)"
  if [[ "$profile" == release ]]; then
    # The bench profile (release settings): the bench driver shares its build.
    cargo build --profile bench --bins
  else
    cargo build --bins
  fi

  # The processes run with the allocator settings of the images (infra/Containerfile):
  # glibc then hands large buffers back to the system once freed.
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"

  step "Fresh databases guichet_bench_*"
  for name in "${services[@]}"; do
    pg -c "DROP DATABASE IF EXISTS guichet_bench_$name WITH (FORCE)" >/dev/null
  done
  ok "dropped; each service creates and migrates its own"

  mkdir -p "$log_dir"
  step "Starting the services and the gateway"
  declare -gA pid_of
  for name in "${services[@]}"; do
    env GUICHET__GRPC__HOST=127.0.0.1 \
      GUICHET__GRPC__PORT="${grpc_port[$name]}" \
      GUICHET__DATABASE__NAME="guichet_bench_$name" \
      GUICHET__AMQP__URL="$amqp_url" \
      GUICHET__AUTH__IDENTITY_URL="http://127.0.0.1:${grpc_port[identity]}" \
      GUICHET__PUBLIC_URL="http://127.0.0.1:$http_port" \
      GUICHET__BOOTSTRAP__ADMIN_PASSWORD="$admin_password" \
      RUST_LOG="${GUICHET_BENCH_LOG:-warn}" \
      "$bin_dir/guichet-$name" >"$log_dir/$name.log" 2>&1 &
    pids+=("$!")
    pid_of[$name]=$!
  done
  # The bench sends more than one address may in an hour: limits out of the way.
  env GUICHET__HTTP__HOST=127.0.0.1 \
    GUICHET__HTTP__PORT="$http_port" \
    GUICHET__LIMITS__WRITES__FILINGS_PER_HOUR=100000 \
    GUICHET__LIMITS__WRITES__UPLOADS_PER_HOUR=100000 \
    GUICHET__LIMITS__WRITES__DRAFTS_PER_HOUR=100000 \
    GUICHET__LIMITS__LOOKUPS_PER_MINUTE=100000 \
    GUICHET__SERVICES__IDENTITY="http://127.0.0.1:${grpc_port[identity]}" \
    GUICHET__SERVICES__TELESERVICES="http://127.0.0.1:${grpc_port[teleservices]}" \
    GUICHET__SERVICES__COMPLAINTS="http://127.0.0.1:${grpc_port[complaints]}" \
    GUICHET__SERVICES__RAPO="http://127.0.0.1:${grpc_port[rapo]}" \
    GUICHET__SERVICES__NOTIFICATIONS="http://127.0.0.1:${grpc_port[notifications]}" \
    RUST_LOG="${GUICHET_BENCH_LOG:-warn}" \
    "$bin_dir/guichet-gateway" >"$log_dir/gateway.log" 2>&1 &
  pids+=("$!")
  pid_of[gateway]=$!

  gateway_url="http://127.0.0.1:$http_port"
  ready() { [[ $(curl -s --max-time 2 "$gateway_url/readyz") == *'"status":"ready"'* ]]; }
  wait_for 120 ready || die "the platform is not ready after 120 s" "Look at $log_dir/*.log"
  for name in "${services[@]}"; do
    wait_for 60 port_open 127.0.0.1 "${grpc_port[$name]}" || die "$name does not listen" "Look at $log_dir/$name.log"
  done
  categories() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$gateway_url/api/v1/complaints/categories") == 200 ]]; }
  wait_for 60 categories || die "the complaints service does not answer" "Look at $log_dir/*.log"
  sleep 2
  for name in "${!pid_of[@]}"; do
    kill -0 "${pid_of[$name]}" 2>/dev/null || die "$name exited" "Look at $log_dir/$name.log"
  done
  ok "ready on $gateway_url"
}

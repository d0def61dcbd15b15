# Shared by scripts/run, scripts/test (and later scripts): installing what BigGoal needs and
# starting private Redis and RabbitMQ servers under a folder of our own.
# Source it; every function prints what it does on stderr.

BIGGOAL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '\033[1m[biggoal]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

# install_packages PKG... — installs the Debian packages that are missing, with one
# apt-get update first.
install_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them with"
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  # The rabbitmq-server package starts a system node when it can; ours run privately, so
  # keep Debian's from starting (policy-rc.d answers 101: "action not allowed").
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod +x "$policy" && created_policy=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_policy" -eq 1 ] && as_root rm -f "$policy"
  return 0
}

# ensure_swift — the Swift toolchain must already be there (swift.org's install guide).
ensure_swift() {
  if ! command -v swift >/dev/null; then
    [ -x /opt/swift/usr/bin/swift ] && export PATH=/opt/swift/usr/bin:$PATH
  fi
  command -v swift >/dev/null || die "Swift 6.2 or newer is needed: see https://www.swift.org/install/linux/"
}

# release_build — builds the release binaries scripts/run starts, as the container image
# builds them: the Swift runtime linked in (a quarter less resident memory and a third less
# start-up than with the runtime's shared libraries, as scripts/bench measures), in a build
# folder of its own so that it never forces `swift build` and `swift test` to rebuild. Prints
# the folder the binaries are in.
release_build() {
  # The physical path, as SwiftPM sees the package: a build reached through a symbolic link
  # would otherwise not find the modules it cached under the real one.
  local build=(swift build -c release --static-swift-stdlib --scratch-path "$(realpath "$BIGGOAL_ROOT")/.build-static")
  "${build[@]}" >&2 || return 1
  "${build[@]}" --show-bin-path
}

# port_is_open PORT — true when something accepts TCP connections on 127.0.0.1:PORT.
# install_python_modules MODULE... — PyPI packages the Python parts of the scripts import,
# installed for this user when missing (Debian's Python wants --break-system-packages).
install_python_modules() {
  local module
  for module in "$@"; do
    python3 -c "import $module" 2>/dev/null && continue
    # The import name and the PyPI name differ only by _ and - here.
    python3 -m pip install --quiet "${module//_/-}" 2>/dev/null \
      || python3 -m pip install --quiet --break-system-packages "${module//_/-}"
  done
}

port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port — an unused TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# free_dist_port — an unused port for Erlang distribution, low enough that RabbitMQ's CLI
# tools (which use the range 10000 above it) stay under 65536.
free_dist_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(25000, 45000)
    ok = True
    for p in (port, port + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(port)
        break
PY
}

# wait_for_port PORT SECONDS WHAT [PID] — gives up early when PID has died.
wait_for_port() {
  local deadline=$((SECONDS + $2))
  until port_is_open "$1"; do
    [ $SECONDS -ge $deadline ] && die "$3 did not open port $1 within $2 s"
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then die "$3 exited before opening port $1"; fi
    sleep 0.2
  done
}

# start_redis DIR PORT [extra redis-server args...] — a private Redis in DIR; sets REDIS_PID.
start_redis() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  # Its output goes to the log file, not to the caller's (a pipe would stay open for good).
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
    --logfile "$dir/redis.log" "$@" </dev/null >/dev/null 2>&1 &
  REDIS_PID=$!
  wait_for_port "$port" 10 "redis-server (see $dir/redis.log)" "$REDIS_PID"
  log "Redis on 127.0.0.1:$port (pid $REDIS_PID, data in $dir)"
}

# private_data_dir NAME — where this checkout keeps the data of its private servers: .run/NAME
# when the rabbitmq user (which the Debian wrapper switches to) can reach the checkout; else,
# for a clone in /root or under any other folder closed to other users,
# /var/tmp/biggoal-<hash of the checkout's path>/NAME. The servers log where their data is.
private_data_dir() {
  local name=$1
  if ! id rabbitmq >/dev/null 2>&1 || as_root runuser -u rabbitmq -- test -x "$BIGGOAL_ROOT" 2>/dev/null; then
    echo "$BIGGOAL_ROOT/.run/$name"
    return
  fi
  local home
  home="/var/tmp/biggoal-$(printf '%s' "$BIGGOAL_ROOT" | sha1sum | cut -c1-12)"
  mkdir -p "$home"
  chmod 755 "$home"
  echo "$home/$name"
}

# rabbitmq_env DIR PORT — the environment of a private RabbitMQ node kept in DIR; its
# distribution port is chosen once and kept in DIR/dist_port.
rabbitmq_env() {
  local dir=$1 port=$2
  [ -s "$dir/dist_port" ] || free_dist_port > "$dir/dist_port"
  echo RABBITMQ_NODENAME="biggoal-$port@localhost" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$port" \
    RABBITMQ_DIST_PORT="$(cat "$dir/dist_port")" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
}

# rabbitmqctl_for DIR PORT ARGS... — rabbitmqctl against the private node.
rabbitmqctl_for() {
  local dir=$1 port=$2; shift 2
  env $(rabbitmq_env "$dir" "$port") rabbitmqctl -n "biggoal-$port@localhost" "$@"
}

# make_test_certificates DIR [NAME...] — a throw-away certificate authority and, signed by
# it, a server certificate for the host NAMEs (default localhost only: connecting to
# 127.0.0.1 is then a host-name mismatch), a client certificate and a server certificate that
# expired in 2025; plus a second authority that signed none of them: ca.pem,
# server.{pem,key}, client.{pem,key}, expired.{pem,key}, other-ca.pem.
make_test_certificates() {
  local dir=$1; shift
  local names=("${@:-localhost}") alt="" name
  for name in "${names[@]}"; do alt="${alt:+$alt,}DNS:$name"; done
  mkdir -p "$dir"
  (
    cd "$dir"
    for authority in ca other-ca; do
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=BigGoal test $authority" \
        -keyout "$authority.key" -out "$authority.pem" 2>/dev/null
    done
    printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$alt" > server.ext
    printf 'extendedKeyUsage = clientAuth\n' > client.ext
    for side in server client; do
      local subject=/CN=localhost
      [ "$side" = client ] && subject=/CN=biggoal-test-client
      openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$side.key" -out "$side.csr" 2>/dev/null
      openssl x509 -req -in "$side.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$side.ext" -out "$side.pem" 2>/dev/null
    done
    # A server certificate for localhost from the same authority, out of date since 2025.
    printf '[ca]\ndefault_ca=test\n[test]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=any\ncopy_extensions=copy\n[any]\ncommonName=supplied\n' > ca.cnf
    : > index.txt && echo 01 > serial
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
      -keyout expired.key -out expired.csr 2>/dev/null
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -startdate 20250101000000Z -enddate 20250102000000Z \
      -in expired.csr -out expired.pem >/dev/null 2>&1
    rm -f ./*.csr ./*.ext ca.srl other-ca.key ca.cnf index.txt* serial* 01.pem
  ) || die "openssl could not make the test certificates"
  # The broker and Redis run as other users and must read their certificate and key.
  chmod 755 "$dir" && chmod 644 "$dir"/*
  log "test certificates in $dir"
}

# start_rabbitmq DIR PORT [TLS_PORT CERT_DIR] — a private RabbitMQ node in DIR; sets
# RABBITMQ_PID. With TLS_PORT, it also listens for TLS there with CERT_DIR's server
# certificate, and asks every TLS client for a certificate from CERT_DIR's authority. The
# Debian wrapper switches to the rabbitmq user, so the folder belongs to that user.
start_rabbitmq() {
  local dir=$1 port=$2 tls_port=${3:-} cert_dir=${4:-}
  mkdir -p "$dir/mnesia" "$dir/log"
  rabbitmq_env "$dir" "$port" >/dev/null
  [ -f "$dir/enabled_plugins" ] || echo "[]." > "$dir/enabled_plugins"
  # Keep the node small: no disk-space alarm on a nearly full disk, and a short
  # memory watermark does not matter for a development node. Written at every start: a
  # folder used again gets this start's TLS port, not the one of the start before.
  printf 'disk_free_limit.absolute = 50MB\nloopback_users = none\n' > "$dir/rabbitmq.conf"
  if [ -n "$tls_port" ]; then
    cat >> "$dir/rabbitmq.conf" <<TLS
listeners.ssl.default = 127.0.0.1:$tls_port
ssl_options.cacertfile = $cert_dir/ca.pem
ssl_options.certfile = $cert_dir/server.pem
ssl_options.keyfile = $cert_dir/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
TLS
  fi
  if id rabbitmq >/dev/null 2>&1; then
    as_root chown -R rabbitmq:rabbitmq "$dir"
    # The node runs as the rabbitmq user, which must be able to reach its folder.
    as_root chmod a+x "$(dirname "$dir")"
  fi
  # From inside $dir, so that a crash dump lands there and not in the caller's folder.
  # Idle Erlang schedulers spin before sleeping; on a small machine that spinning takes the
  # CPU the services and clients next to the broker need, so it is turned off.
  (cd "$dir" && export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none" &&
    exec env $(rabbitmq_env "$dir" "$port") rabbitmq-server > "$dir/server.out" 2>&1) &
  RABBITMQ_PID=$!
  wait_for_port "$port" 60 "rabbitmq-server (see $dir/server.out)" "$RABBITMQ_PID"
  rabbitmqctl_for "$dir" "$port" await_startup >/dev/null 2>&1 || true
  [ -z "$tls_port" ] || wait_for_port "$tls_port" 30 "rabbitmq-server's TLS listener (see $dir/log)" "$RABBITMQ_PID"
  log "RabbitMQ on 127.0.0.1:$port${tls_port:+, TLS on $tls_port} (pid $RABBITMQ_PID, data in $dir)"
}

# stop_pid PID — TERM, then KILL after a while, including the process's children.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  return 0
}

# stop_rabbitmq DIR PORT — a clean stop through rabbitmqctl, then the process.
stop_rabbitmq() {
  rabbitmqctl_for "$1" "$2" stop >/dev/null 2>&1 || true
  stop_pid "$RABBITMQ_PID"
}

# start_rabbitmq_cluster DIR PORT... — one private node per PORT under DIR/rabbit-PORT,
# started one after another (a small machine cannot start three at once), the second and
# later joined to the first. The nodes share the rabbitmq user's Erlang cookie.
start_rabbitmq_cluster() {
  local dir=$1; shift
  local first=$1 port
  for port in "$@"; do
    start_rabbitmq "$dir/rabbit-$port" "$port"
    echo "$RABBITMQ_PID" > "$dir/rabbit-$port.pid"
    if [ "$port" != "$first" ]; then
      rabbitmqctl_for "$dir/rabbit-$port" "$port" stop_app >/dev/null
      rabbitmqctl_for "$dir/rabbit-$port" "$port" join_cluster "biggoal-$first@localhost" >/dev/null \
        || die "node biggoal-$port could not join biggoal-$first"
      rabbitmqctl_for "$dir/rabbit-$port" "$port" start_app >/dev/null
      log "biggoal-$port@localhost joined biggoal-$first@localhost"
    fi
  done
}

# start_redis_sentinels DIR MASTER_PORT REPLICA_PORT SENTINEL_PORT... — a Redis master with
# append-only persistence, one replica of it and a Sentinel per SENTINEL_PORT watching them
# as "mymaster" (quorum 2, down after 1 s), all on loopback under DIR.
start_redis_sentinels() {
  local dir=$1 master=$2 replica=$3; shift 3
  start_redis "$dir/redis-$master" "$master" --appendonly yes
  echo "$REDIS_PID" > "$dir/redis-$master.pid"
  start_redis "$dir/redis-$replica" "$replica" --appendonly yes --replicaof 127.0.0.1 "$master"
  echo "$REDIS_PID" > "$dir/redis-$replica.pid"
  local port
  for port in "$@"; do
    mkdir -p "$dir/sentinel-$port"
    # Sentinel rewrites its configuration file as it learns the set, so each has its own.
    cat > "$dir/sentinel-$port/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
dir $dir/sentinel-$port
logfile $dir/sentinel-$port/sentinel.log
sentinel monitor mymaster 127.0.0.1 $master 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
sentinel parallel-syncs mymaster 1
CONF
    redis-server "$dir/sentinel-$port/sentinel.conf" --sentinel </dev/null >/dev/null 2>&1 &
    echo "$!" > "$dir/sentinel-$port.pid"
    wait_for_port "$port" 10 "redis-sentinel (see $dir/sentinel-$port/sentinel.log)" "$!"
  done
  log "Redis master on 127.0.0.1:$master, replica on $replica, sentinels on $*"
}


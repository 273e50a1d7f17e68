#!/usr/bin/env bash
# A resp-elect cluster of real "hosts" on one Linux machine, for real network
# partitions: every node (redis-server + sidecar) runs in its own network
# namespace with its own address, all joined by a bridge that lives in one
# more namespace. Nothing is configured in the root namespace, and all traffic
# stays on a private subnet that exists only inside these namespaces.
#
#   scripts/netns-cluster.sh up [--nodes 3] [--down-after-ms 1000]
#   scripts/netns-cluster.sh status             # role of every redis and sidecar
#   scripts/netns-cluster.sh partition n1       # isolate n1 from everyone
#   scripts/netns-cluster.sh partition n1 n2    # cut the link between n1 and n2
#   scripts/netns-cluster.sh partition n1 n2 --oneway   # drop packets from n1 to n2 only
#   scripts/netns-cluster.sh heal               # remove every partition
#   scripts/netns-cluster.sh exec n1 redis-cli -h 10.231.0.11 info replication
#   scripts/netns-cluster.sh down               # remove everything; safe to run twice
#
# Needs root, iproute2 (`ip netns`), nftables (installed with apt-get when
# missing and run as root), redis-server, node, and a build (npm run build).
# Environment: RESP_ELECT_NETNS_PREFIX (default "re-": namespaces re-br,
# re-n1, ...), RESP_ELECT_NETNS_SUBNET (default 10.231.0: node i is .1i),
# RESP_ELECT_NETNS_DIR (state, logs, pids; default /tmp/resp-elect-netns-<prefix>).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${RESP_ELECT_NETNS_PREFIX:-re-}
SUBNET=${RESP_ELECT_NETNS_SUBNET:-10.231.0}
STATE=${RESP_ELECT_NETNS_DIR:-/tmp/resp-elect-netns-${PREFIX%-}}
BRNS="${PREFIX}br"
REDIS_PORT=6379
SIDECAR_PORT=26379
TABLE=resp_elect_partition
MAIN_JS="$ROOT/dist/src/cli/main.js"

die() { echo "netns-cluster: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

need_root() {
  [ "$(id -u)" = 0 ] || die "needs root: network namespaces, veth pairs and nftables rules can only be created by root (try: sudo $0 $*)"
  command -v ip >/dev/null 2>&1 || die "needs iproute2 (the ip command)"
  ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (no network namespace support?)"
}

need_nft() {
  command -v nft >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    echo "netns-cluster: installing nftables with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >&2 || die "could not install nftables"
  fi
  command -v nft >/dev/null 2>&1 || die "needs nftables (the nft command): apt-get install -y nftables"
}

ns_of() { echo "${PREFIX}$1"; }
addr_of() { echo "$SUBNET.$((10 + ${1#n}))"; }
nodes() { cat "$STATE/nodes" 2>/dev/null || true; }
is_up() { [ -f "$STATE/nodes" ]; }
valid_node() { nodes | grep -qx "$1" || die "no node $1 (nodes: $(nodes | tr '\n' ' '))"; }

# Namespaces this script created: the ones recorded in the state dir, plus any left with our exact names.
our_namespaces() {
  { cat "$STATE/namespaces" 2>/dev/null || true
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}(br|n[0-9]+)\$" || true
  } | sort -u
}

# The server binary (RESP_ELECT_REDIS_SERVER: a name or a path, default redis-server) and the
# -cli beside it, as lab/proc/server-binaries.ts maps them.
REDIS_SERVER=${RESP_ELECT_REDIS_SERVER:-redis-server}
case "$(basename "$REDIS_SERVER")" in
  redis-server|valkey-server) ;;
  *) echo "netns-cluster: RESP_ELECT_REDIS_SERVER=$REDIS_SERVER: expected redis-server or valkey-server" >&2; exit 1 ;;
esac
REDIS_CLI=${REDIS_SERVER%-server}-cli

cmd_up() {
  local n=3 down=1000
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) n=$2; shift 2 ;;
      --down-after-ms) down=$2; shift 2 ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "up: --nodes must be 1 to 9"
  need_root up; need_nft
  command -v "$REDIS_SERVER" >/dev/null 2>&1 || die "needs $REDIS_SERVER (RESP_ELECT_REDIS_SERVER; scripts/setup.sh installs it)"
  [ -f "$MAIN_JS" ] || die "$MAIN_JS is missing: run npm run build first"
  is_up && die "already up ($STATE); run: $0 down"
  for ns in $(our_namespaces); do die "namespace $ns already exists; run: $0 down"; done

  mkdir -p "$STATE"
  : > "$STATE/namespaces"
  # Whatever stops `up` half-way (a failed command, die), remove what it created.
  trap 'echo "netns-cluster: up failed; removing what it created" >&2; cmd_down >/dev/null 2>&1 || true' EXIT
  node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" > "$STATE/secret"
  chmod 600 "$STATE/secret"

  ip netns add "$BRNS"; echo "$BRNS" >> "$STATE/namespaces"
  ip -n "$BRNS" link set lo up
  ip -n "$BRNS" link add br0 type bridge
  ip -n "$BRNS" link set br0 up

  local i id ns addr members=()
  for i in $(seq 1 "$n"); do
    id="n$i"; ns=$(ns_of "$id"); addr=$(addr_of "$id")
    members+=(--member "$id=$addr:$SIDECAR_PORT,redis=$addr:$REDIS_PORT")
    ip netns add "$ns"; echo "$ns" >> "$STATE/namespaces"
    # Both ends are created directly inside their namespaces: no interface ever appears in the root namespace.
    ip link add eth0 netns "$ns" type veth peer name "v$id" netns "$BRNS"
    ip -n "$BRNS" link set "v$id" master br0
    ip -n "$BRNS" link set "v$id" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    echo "$id" >> "$STATE/nodes"
  done

  for i in $(seq 1 "$n"); do
    id="n$i"; ns=$(ns_of "$id"); addr=$(addr_of "$id")
    mkdir -p "$STATE/$id/data"
    # Bound to the node's address first, so replication connects from it; no persistence.
    ip netns exec "$ns" "$REDIS_SERVER" --bind "$addr" 127.0.0.1 --port "$REDIS_PORT" --protected-mode no \
      --save '' --appendonly no --repl-diskless-sync yes --repl-diskless-sync-delay 0 --shutdown-timeout 0 \
      --daemonize yes --dir "$STATE/$id" --logfile "$STATE/$id/redis.log" --pidfile "$STATE/$id/redis.pid"
  done
  for i in $(seq 1 "$n"); do
    id="n$i"; ns=$(ns_of "$id"); addr=$(addr_of "$id")
    local tries=0
    until ip netns exec "$ns" "$REDIS_CLI" -h "$addr" -p "$REDIS_PORT" ping >/dev/null 2>&1; do
      tries=$((tries + 1)); [ $tries -lt 100 ] || die "redis-server of $id did not start; see $STATE/$id/redis.log"
      sleep 0.05
    done
    ip netns exec "$ns" setsid node "$MAIN_JS" run --id "$id" --listen "$addr:$SIDECAR_PORT" "${members[@]}" \
      --secret-file "$STATE/secret" --data-dir "$STATE/$id/data" --bootstrap-primary n1 \
      --down-after-ms "$down" --log-format json </dev/null >"$STATE/$id/sidecar.log" 2>&1 &
    echo $! > "$STATE/$id/sidecar.pid"
  done
  trap - EXIT
  say "up: $n nodes on $SUBNET.0/24 (namespaces ${PREFIX}n1..${PREFIX}n$n, bridge in $BRNS), state in $STATE"
  for i in $(seq 1 "$n"); do
    id="n$i"; addr=$(addr_of "$id")
    say "  $id  redis $addr:$REDIS_PORT  sidecar $addr:$SIDECAR_PORT  log $STATE/$id/sidecar.log"
  done
  say "try: $0 status; $0 partition n1; $0 heal; $0 down"
}

cmd_down() {
  need_root down
  local ns pids
  for ns in $(our_namespaces); do
    # Every process inside one of our namespaces was started by this script.
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
  done
  for ns in $(our_namespaces); do
    local tries=0
    while [ -n "$(ip netns pids "$ns" 2>/dev/null || true)" ] && [ $tries -lt 50 ]; do sleep 0.05; tries=$((tries + 1)); done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$STATE"
  say "down: nothing left (namespaces, bridge, processes, $STATE)"
}

nft_in() { ip netns exec "$(ns_of "$1")" nft "${@:2}"; }

ensure_table() { # ensure_table <node>
  nft_in "$1" list table inet "$TABLE" >/dev/null 2>&1 && return 0
  nft_in "$1" add table inet "$TABLE"
  nft_in "$1" "add chain inet $TABLE input { type filter hook input priority -10 ; policy accept ; }"
  nft_in "$1" "add chain inet $TABLE output { type filter hook output priority -10 ; policy accept ; }"
}

cmd_partition() {
  need_root partition; need_nft
  is_up || die "not up; run: $0 up"
  local a="" b="" oneway=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --oneway) oneway=1; shift ;;
      n[0-9]*) if [ -z "$a" ]; then a=$1; elif [ -z "$b" ]; then b=$1; else die "partition: at most two nodes"; fi; shift ;;
      *) die "partition: unknown argument $1" ;;
    esac
  done
  [ -n "$a" ] || die "partition: name a node (partition n1) or a link (partition n1 n2 [--oneway])"
  valid_node "$a"
  if [ -z "$b" ]; then
    [ "$oneway" = 0 ] || die "partition: --oneway needs two nodes"
    ensure_table "$a"
    # Only the link to the bridge: its own redis and sidecar still talk over loopback.
    nft_in "$a" add rule inet "$TABLE" input iifname eth0 drop
    nft_in "$a" add rule inet "$TABLE" output oifname eth0 drop
    say "partition: $a isolated (every packet on its eth0 dropped)"
    return
  fi
  valid_node "$b"
  [ "$a" != "$b" ] || die "partition: two different nodes"
  local aa ba
  aa=$(addr_of "$a"); ba=$(addr_of "$b")
  ensure_table "$a"; ensure_table "$b"
  nft_in "$a" add rule inet "$TABLE" output ip daddr "$ba" drop
  nft_in "$b" add rule inet "$TABLE" input ip saddr "$aa" drop
  if [ "$oneway" = 1 ]; then
    say "partition: packets from $a to $b dropped (one way; $b -> $a still delivered)"
  else
    nft_in "$b" add rule inet "$TABLE" output ip daddr "$aa" drop
    nft_in "$a" add rule inet "$TABLE" input ip saddr "$ba" drop
    say "partition: link $a <-> $b cut"
  fi
}

cmd_heal() {
  need_root heal
  is_up || die "not up; run: $0 up"
  local id
  for id in $(nodes); do
    nft_in "$id" delete table inet "$TABLE" 2>/dev/null || true
  done
  say "heal: every partition removed"
}

# The last value of "field" in the node's JSON log lines matching msg pattern.
last_msg() { grep -o "\"msg\":\"$2\"" "$STATE/$1/sidecar.log" 2>/dev/null | tail -1 | sed 's/^"msg":"//; s/"$//' || true; }

cmd_status() {
  need_root status
  is_up || die "not up; run: $0 up"
  local id ns addr info role link repl sidecar epoch lease net
  for id in $(nodes); do
    ns=$(ns_of "$id"); addr=$(addr_of "$id")
    info=$(ip netns exec "$ns" timeout 2 "$REDIS_CLI" -h "$addr" -p "$REDIS_PORT" INFO replication 2>/dev/null | tr -d '\r' || true)
    role=$(printf '%s\n' "$info" | sed -n 's/^role://p')
    [ -n "$role" ] || role=unreachable
    link=$(printf '%s\n' "$info" | sed -n 's/^master_link_status://p')
    repl=$(printf '%s\n' "$info" | sed -n 's/^connected_slaves://p')
    sidecar=$(last_msg "$id" 'role [a-z]* -> [a-z]*' | sed 's/.* -> //')
    [ -n "$sidecar" ] || sidecar=replica
    local pid; pid=$(cat "$STATE/$id/sidecar.pid" 2>/dev/null || echo 0)
    kill -0 "$pid" 2>/dev/null || sidecar=stopped
    epoch=$(grep -o '"msg":"epoch [0-9]* -> [0-9]*"' "$STATE/$id/sidecar.log" 2>/dev/null | tail -1 | sed 's/.* -> //; s/"$//' || true)
    lease=$(last_msg "$id" 'lease [a-z]*' | sed 's/^lease //; s/^acquired$/held/')
    [ "$sidecar" = primary ] || lease=-
    [ -n "$lease" ] || lease=none
    net=connected
    if nft_in "$id" list table inet "$TABLE" >/dev/null 2>&1; then
      if nft_in "$id" list table inet "$TABLE" | grep -q 'iifname "eth0" drop'; then net=isolated; else net=partial; fi
    fi
    local detail
    if [ "$role" = slave ]; then detail="link=${link:-?}"; else detail="replicas=${repl:-0}"; fi
    printf '%-4s %-13s redis=%-11s %-11s sidecar=%-9s epoch=%-3s lease=%-4s net=%s\n' "$id" "$addr" "$role" "$detail" "$sidecar" "${epoch:-0}" "$lease" "$net"
  done
}

cmd_exec() {
  need_root exec
  is_up || die "not up; run: $0 up"
  local id=${1:-}; [ -n "$id" ] || die "exec: name a node"
  valid_node "$id"; shift
  exec ip netns exec "$(ns_of "$id")" "$@"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down ;;
  partition) shift; cmd_partition "$@" ;;
  heal) shift; cmd_heal ;;
  status) shift; cmd_status ;;
  exec) shift; cmd_exec "$@" ;;
  ''|-h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac

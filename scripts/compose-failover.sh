#!/usr/bin/env bash
# Failover demo on docker-compose.yml: bring the stack up, find the primary,
# kill its redis and sidecar containers, print the failover timeline from the
# sidecars' and the writer's logs (the same timeline `npm run demo` prints),
# bring the killed node back as a replica, then stop the writer, which reads
# every acknowledged key back from the new primary.
#
#   scripts/compose-failover.sh [--down]     # --down: docker compose down -v at the end
#
# Needs a Docker engine and the compose plugin (`docker compose`).
set -euo pipefail
cd "$(dirname "$0")/.."

DOWN=0
for arg in "$@"; do
  case "$arg" in
    --down) DOWN=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "compose-failover: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  echo "compose-failover: needs Docker with the compose plugin ('docker compose'), which is not installed here." >&2
  echo "  Install Docker Engine and docker-compose-plugin, or run the same demo without Docker: npm run demo" >&2
  exit 3
fi
if ! docker info >/dev/null 2>&1; then
  echo "compose-failover: 'docker compose' is installed but no Docker engine answers (is dockerd running? permission on /var/run/docker.sock?)." >&2
  echo "  Without Docker, run the same demo on loopback ports: npm run demo" >&2
  exit 3
fi

say() { printf '%s\n' "$*"; }
now_ms() { date +%s%3N; }
dc() { docker compose "$@"; }

# The primary's host as the sidecars announce it (redis1, redis2 or redis3), asked of any
# live sidecar but node $1 (when given).
primary_host() {
  local skip=${1:-0} n out
  for n in 1 2 3; do
    [ "$n" = "$skip" ] && continue
    out=$(dc exec -T "redis$n" redis-cli -p 26379 SENTINEL get-master-addr-by-name mymaster 2>/dev/null | head -1 || true)
    if [[ "$out" =~ ^redis[0-9]+$ ]]; then echo "$out"; return 0; fi
  done
  return 1
}

wait_for() { # wait_for <seconds> <description> <command...>
  local secs=$1 what=$2; shift 2
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= end )); then echo "compose-failover: timed out after ${secs}s waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

in_sync_replica() { # redisN is a replica with its link up
  dc exec -T "$1" redis-cli -p 6379 INFO replication | tr -d '\r' | grep -q '^master_link_status:up'
}

say "1. docker compose up -d --build"
dc up -d --build
wait_for 60 "a primary" primary_host
PRIMARY=$(primary_host)
N=${PRIMARY#redis}
say "   primary: $PRIMARY (node n$N)"
for i in 1 2 3; do
  [ "$i" = "$N" ] && continue
  wait_for 60 "redis$i to replicate from $PRIMARY" in_sync_replica "redis$i"
done
say "   replicas in sync; letting the writer run for 2 s"
sleep 2

say ""
say "2. Fault: docker compose kill $PRIMARY sidecar$N"
FAULT_AT=$(now_ms)
dc kill "sidecar$N" "$PRIMARY"
is_new_primary() { local h; h=$(primary_host "$N") && [ "$h" != "$PRIMARY" ]; }
wait_for 30 "a new primary" is_new_primary
sleep 2

say ""
dc logs --no-log-prefix --no-color --since 5m sidecar1 sidecar2 sidecar3 writer \
  | dc run --rm -T --no-deps --entrypoint node writer dist/lab/demo/replay.js \
      --fault-at "$FAULT_AT" --old-primary "n$N" --fault "docker compose kill $PRIMARY sidecar$N"

say ""
say "3. Bring n$N back: docker compose start $PRIMARY, then recreate sidecar$N in its new network namespace"
REJOIN_AT=$(now_ms)
dc start "$PRIMARY"
dc up -d --no-deps --force-recreate "sidecar$N"
wait_for 60 "$PRIMARY to rejoin as a replica" in_sync_replica "$PRIMARY"
say "   $PRIMARY is a replica again, link up, $(( $(now_ms) - REJOIN_AT )) ms after the restart"

say ""
say "4. Stop the writer (it reads every acknowledged key back from the primary)"
dc stop writer >/dev/null
RESULT=0
dc logs --no-log-prefix --no-color writer | grep '"summary"' | tail -1 \
  | dc run --rm -T --no-deps --entrypoint node writer -e '
      let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
        const { summary: x } = JSON.parse(s);
        console.log(`   writes acknowledged: ${x.acked} (${x.unacked} not acknowledged by WAIT, ${x.errors} failed)`);
        console.log(`   writes lost: ${x.lost ?? "unknown"} (read back from ${x.primary ?? "?"})`);
        process.exit(x.lost === 0 ? 0 : 1);
      });' || RESULT=1

if [ "$DOWN" = 1 ]; then dc down -v; else say ""; say "The stack keeps running; remove it with: docker compose down -v"; fi
exit $RESULT

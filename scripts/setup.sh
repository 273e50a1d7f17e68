#!/usr/bin/env bash
# One-time set-up shared by the README's two commands: npm dependencies and redis-server (Valkey
# when RESP_ELECT_REDIS_SERVER=valkey-server or --valkey); with --tests (npm test) also what the
# client and proxy tests drive: Debian's python3-redis, ruby-redis, php-redis and haproxy.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_need WHAT WHY PACKAGES [APT-GET OPTIONS]: install PACKAGES with apt-get when we are root on
# Debian; otherwise say what is missing, what needs it, and the one line to run, and stop.
apt_need() {
  local what=$1 why=$2 packages=$3
  shift 3
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "resp-elect: installing $packages with apt-get" >&2
    # shellcheck disable=SC2086 # the package list is meant to split
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" $packages) >&2
  else
    echo "resp-elect: $what is missing ($why); install it first: sudo apt-get install -y $* $packages" >&2
    exit 1
  fi
}

tests=no
want_valkey=no
for arg in "$@"; do
  case "$arg" in
    --tests) tests=yes ;;
    --valkey) want_valkey=yes ;;
  esac
done
case "${RESP_ELECT_REDIS_SERVER:-}" in *valkey-server) want_valkey=yes ;; esac

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "resp-elect: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-sentinel >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_need redis-server "the demo and the tests run it" "redis-server redis-sentinel"
fi

# Valkey: Debian ships it only in bookworm-backports. That suite is added by reusing the mirror
# this machine's apt already uses, so no host name lives in this repository.
if [ "$want_valkey" = yes ] && { ! command -v valkey-server >/dev/null 2>&1 || ! command -v valkey-sentinel >/dev/null 2>&1 || ! command -v valkey-cli >/dev/null 2>&1; }; then
  if [ "$(id -u)" = "0" ]; then "$(dirname "$0")/add-backports.sh" >&2; fi
  apt_need valkey-server "RESP_ELECT_REDIS_SERVER asks for it; from bookworm-backports" "valkey-server valkey-sentinel valkey-tools" -t bookworm-backports
fi

if [ "$tests" = yes ]; then
  if ! /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; then
    apt_need redis-py "test/admin/redis-py.test.ts" python3-redis
  fi
  if ! /usr/bin/ruby -e 'require "redis"' >/dev/null 2>&1 || ! /usr/bin/php -r 'exit(class_exists("RedisSentinel") ? 0 : 1);' >/dev/null 2>&1; then
    apt_need "redis-rb or phpredis" "test/admin/redis-rb.test.ts, phpredis.test.ts" "ruby-redis php-cli php-redis"
  fi
  if ! command -v haproxy >/dev/null 2>&1; then
    apt_need haproxy "test/deploy/haproxy.test.ts: HAProxy routing by /primary and /replica" haproxy
  fi
fi

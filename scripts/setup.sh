#!/usr/bin/env bash
# One-time set-up shared by the README's two commands: npm dependencies and redis-server; with
# --tests (npm test) also Debian's python3-redis (redis-py, for the test of its Sentinel client).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "resp-elect: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-sentinel >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "resp-elect: installing redis-server with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel) >&2
  else
    echo "resp-elect: redis-server is missing; install it first: sudo apt-get install -y redis-server redis-sentinel" >&2
    exit 1
  fi
fi

# Valkey, when asked for (RESP_ELECT_REDIS_SERVER=valkey-server or --valkey): Debian ships it only in
# bookworm-backports. That suite is added by reusing the mirror this machine's apt already uses, so
# no host name lives in this repository.
want_valkey=no
case "${RESP_ELECT_REDIS_SERVER:-}" in *valkey-server) want_valkey=yes ;; esac
for arg in "$@"; do [ "$arg" = "--valkey" ] && want_valkey=yes; done
if [ "$want_valkey" = yes ] && { ! command -v valkey-server >/dev/null 2>&1 || ! command -v valkey-sentinel >/dev/null 2>&1 || ! command -v valkey-cli >/dev/null 2>&1; }; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    "$(dirname "$0")/add-backports.sh" >&2
    echo "resp-elect: installing valkey-server valkey-sentinel valkey-tools from bookworm-backports" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports valkey-server valkey-sentinel valkey-tools) >&2
  else
    echo "resp-elect: valkey-server is missing (RESP_ELECT_REDIS_SERVER asks for it); install valkey-server valkey-sentinel valkey-tools from bookworm-backports first" >&2
    exit 1
  fi
fi

if [ "${1:-}" = "--tests" ] && ! /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "resp-elect: installing python3-redis (redis-py) with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-redis) >&2
  else
    echo "resp-elect: redis-py is missing (test/admin/redis-py.test.ts needs it); install it first: sudo apt-get install -y python3-redis" >&2
    exit 1
  fi
fi

# --tests: Debian's haproxy, for test/deploy/haproxy.test.ts (HAProxy routing by /primary and /replica).
if [ "${1:-}" = "--tests" ] && ! command -v haproxy >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "resp-elect: installing haproxy with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >&2
  else
    echo "resp-elect: haproxy is missing (test/deploy/haproxy.test.ts needs it); install it first: sudo apt-get install -y haproxy" >&2
    exit 1
  fi
fi
# redis-rb and phpredis, for the tests of their Sentinel use (test/admin/redis-rb.test.ts, phpredis.test.ts).
if [ "${1:-}" = "--tests" ] && { ! /usr/bin/ruby -e 'require "redis"' >/dev/null 2>&1 || ! /usr/bin/php -r 'exit(class_exists("RedisSentinel") ? 0 : 1);' >/dev/null 2>&1; }; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "resp-elect: installing ruby-redis, php-cli and php-redis with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby-redis php-cli php-redis) >&2
  else
    echo "resp-elect: redis-rb or phpredis is missing (test/admin/redis-rb.test.ts, phpredis.test.ts need them); install them first: sudo apt-get install -y ruby-redis php-cli php-redis" >&2
    exit 1
  fi
fi

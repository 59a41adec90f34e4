#!/usr/bin/env bash
# CI needs PostgreSQL and Redis on 127.0.0.1. Start them if this machine has them installed but
# stopped; the tests themselves fail (not skip) under CI=true when they are still unreachable.
set -uo pipefail

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi
pg_isready -h 127.0.0.1 -p 5432 2>/dev/null || echo "PostgreSQL: not reachable"
redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || echo "Redis: not reachable"
exit 0

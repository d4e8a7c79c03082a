#!/usr/bin/env bash
# Stops the redis-server started by `make run`, found by its pidfile in .run/. With
# --quiet, says nothing when no server is running.
set -euo pipefail
cd "$(dirname "$0")/.."
pidfile=".run/redis.pid"
quiet="${1:-}"

say() { [ "$quiet" = "--quiet" ] || echo "$@"; }

if [ ! -s "$pidfile" ]; then
    say "stop: no server running (no $pidfile)"
    exit 0
fi
pid="$(cat "$pidfile")"
# A stale pidfile may name a pid reused by another program: only stop a redis-server.
if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q redis-server; then
    say "stop: no redis-server with pid $pid; removing stale $pidfile"
    rm -f "$pidfile"
    exit 0
fi

kill -TERM "$pid"
for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        echo "stopped redis-server (pid $pid)"
        exit 0
    fi
    sleep 0.1
done
echo "stop: redis-server (pid $pid) did not exit within 15 s after SIGTERM" >&2
exit 1

#!/usr/bin/env bash
# Builds the module in release and (re)starts a local daemonized redis-server with it, on
# 127.0.0.1:$PORT (default 6379). Pidfile, log and data live in .run/ in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
port="${PORT:-6379}"
run_dir="$root/.run"
pidfile="$run_dir/redis.pid"
logfile="$run_dir/redis.log"
module="$root/target/release/libredis_wtopk.so"

bash scripts/install-deps.sh
# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -p redis-wtopk

mkdir -p "$run_dir/data"
bash scripts/stop-server.sh --quiet

if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    echo "run: another server already answers on 127.0.0.1:$port (not started by make run)." >&2
    echo "run: stop it (e.g. 'systemctl stop redis-server') or pick a port: make run PORT=6380" >&2
    exit 1
fi

redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$pidfile" --logfile "$logfile" --dir "$run_dir/data" \
    --enable-debug-command local --enable-module-command yes \
    --loadmodule "$module"

for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        echo "redis-server with redis-wtopk is running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
        echo "  module: $module"
        echo "  log:    $logfile"
        echo "  try:    redis-cli -p $port TOPK.ADD demo a b a && redis-cli -p $port TOPK.QUERY demo 5m"
        echo "  stop:   make stop"
        exit 0
    fi
    sleep 0.1
done

echo "run: redis-server did not answer PING within 10 s; end of $logfile:" >&2
tail -n 30 "$logfile" >&2 || true
echo "run: if it failed to load .run/data/dump.rdb written by an older build, remove that file" >&2
exit 1

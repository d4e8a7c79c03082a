#!/usr/bin/env bash
# Shared by `make bench` and `make accuracy`: builds the module and the bench crate in
# release, then runs one of its binaries with a fresh temporary directory, in which the
# binary starts its own redis-server (free 127.0.0.1 port) and writes its pidfile. At the
# end, or if the binary dies first, the trap stops that redis-server by the pid in its own
# pidfile and removes the directory.
# Usage: run-bench-binary.sh NAME BINARY ENV_PREFIX (passes ENV_PREFIX_DIR and
# ENV_PREFIX_MODULE to the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1" binary="$2" prefix="$3"

bash scripts/install-deps.sh
# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -p redis-wtopk -p wtopk-bench

dir="$(mktemp -d "${TMPDIR:-/tmp}/wtopk-$name.XXXXXX")"
cleanup() {
    local pidfile="$dir/redis.pid"
    if [ -s "$pidfile" ]; then
        local pid
        pid="$(cat "$pidfile")"
        # Only this run's redis-server, found by its own pidfile.
        if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q redis-server; then
            echo "$name: stopping redis-server (pid $pid)" >&2
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 150); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env "${prefix}_DIR=$dir" "${prefix}_MODULE=$PWD/target/release/libredis_wtopk.so" \
    "./target/release/$binary"

#!/usr/bin/env bash
# `make accuracy`: builds the module and the accuracy benchmark in release, then runs
# wtopk-accuracy (bench/src/bin/accuracy/), which starts its own redis-server with the module
# on a free 127.0.0.1 port in a temporary directory, streams Zipf events into an EXACT and an
# APPROX tracker side by side and prints recall, errors, bounds, memory and ingest rates
# against the targets. The server is stopped by its own pid at the end; if the benchmark dies
# first, the trap below stops it by the pid it wrote in the temporary directory.
# ACCURACY_QUICK=1 for a smoke run (under a minute), ACCURACY_EXPONENTS=1.0,1.2 for some
# exponents only, ACCURACY_CAPACITY=m to pass CAPACITY m to the APPROX trackers.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -p redis-wtopk -p wtopk-bench

dir="$(mktemp -d "${TMPDIR:-/tmp}/wtopk-accuracy.XXXXXX")"
cleanup() {
    local pidfile="$dir/redis.pid"
    if [ -s "$pidfile" ]; then
        local pid
        pid="$(cat "$pidfile")"
        # Only this run's redis-server, found by its own pidfile.
        if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q redis-server; then
            echo "accuracy: stopping redis-server (pid $pid)" >&2
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

ACCURACY_DIR="$dir" ACCURACY_MODULE="$PWD/target/release/libredis_wtopk.so" \
    ./target/release/wtopk-accuracy

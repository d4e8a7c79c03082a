#!/usr/bin/env bash
# `make bench`: builds the module and the load generator in release, then runs bench/
# (wtopk-bench), which starts its own redis-server with the module on a free 127.0.0.1 port
# in a temporary directory, measures it against Redis' own commands and prints one table.
# The server is stopped by its own pid at the end; if the benchmark dies first, the trap
# in scripts/run-bench-binary.sh stops it by the pid it wrote there. BENCH_QUICK=1 for a short
# smoke run, BENCH_MIXED_SECONDS for the length of the mixed load (default 60).
#
# Before the server starts, the core's criterion benchmark measures updates/s on its own
# (`cargo bench -p wtopk-core --bench tracker -- updates_zipf`); its throughput estimate goes
# to the table's part 6 through BENCH_CORE_THROUGHPUT. Then the core's longest write under
# part 5's load, and its longest query, replayed in-process (`cargo bench -p wtopk-core --bench
# worst_command`), go there through BENCH_CORE_WORST_WRITE and BENCH_CORE_WORST_QUERY. A quick
# run skips both.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${BENCH_QUICK:-}" ] || [ "${BENCH_QUICK}" = 0 ]; then
    bash scripts/install-deps.sh
    # shellcheck source=/dev/null
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    echo "bench: part 6, the core alone (criterion, about a minute)" >&2
    core_log="$(mktemp "${TMPDIR:-/tmp}/wtopk-core-bench.XXXXXX")"
    cargo bench -p wtopk-core --bench tracker -- updates_zipf 2>&1 | tee "$core_log" >&2
    # criterion prints `thrpt:  [low unit mid unit high unit]`; the middle one is its estimate.
    BENCH_CORE_THROUGHPUT="$(awk '/thrpt:/ { gsub(/\[/, ""); print $4, $5; exit }' "$core_log")"
    echo "bench: part 6, the core's longest write (part 5's load replayed three times, about a minute)" >&2
    cargo bench -p wtopk-core --bench worst_command 2>&1 | tee "$core_log" >&2
    BENCH_CORE_WORST_WRITE="$(sed -n 's/^worst write: //p' "$core_log")"
    BENCH_CORE_WORST_QUERY="$(sed -n 's/^worst query: //p' "$core_log")"
    export BENCH_CORE_THROUGHPUT BENCH_CORE_WORST_WRITE BENCH_CORE_WORST_QUERY
    rm -f "$core_log"
fi
exec bash scripts/run-bench-binary.sh bench wtopk-bench BENCH

#!/usr/bin/env bash
# `make bench`: builds the module and the load generator in release, then runs bench/
# (wtopk-bench), which starts its own redis-server with the module on a free 127.0.0.1 port
# in a temporary directory, measures it against Redis' own commands and prints one table.
# The server is stopped by its own pid at the end; if the benchmark dies first, the trap
# in scripts/run-bench-binary.sh stops it by the pid it wrote there. BENCH_QUICK=1 for a short
# smoke run, BENCH_MIXED_SECONDS for the length of the mixed load (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/run-bench-binary.sh bench wtopk-bench BENCH

#!/usr/bin/env bash
# `make accuracy`: builds the module and the accuracy benchmark in release, then runs
# wtopk-accuracy (bench/src/bin/accuracy/), which starts its own redis-server with the module
# on a free 127.0.0.1 port in a temporary directory, streams Zipf events into an EXACT and an
# APPROX tracker side by side and prints recall, errors, bounds, memory and ingest rates
# against the targets. The server is stopped by its own pid at the end; if the benchmark dies
# first, the trap in scripts/run-bench-binary.sh stops it by the pid it wrote there.
# ACCURACY_QUICK=1 for a smoke run (under a minute), ACCURACY_EXPONENTS=1.0,1.2 for some
# exponents only, ACCURACY_CAPACITY=m to pass CAPACITY m to the APPROX trackers.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/run-bench-binary.sh accuracy wtopk-accuracy ACCURACY

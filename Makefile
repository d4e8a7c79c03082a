# redis-wtopk: `make run` starts a local redis-server with the module, `make test` runs the
# whole suite (what CI runs). Both install missing system packages first.
SHELL := /bin/bash
PORT ?= 6379

.PHONY: help deps build run stop test fuzz bench accuracy

help:
	@echo "make run    build the module (release) and (re)start redis-server on 127.0.0.1:$(PORT) with it"
	@echo "make stop   stop that server"
	@echo "make test   fmt check, clippy, release build, unit and integration tests"
	@echo "make build  release build of the module only"
	@echo "make deps   install missing system packages and Rust components"
	@echo "make fuzz   run each cargo-fuzz target for FUZZ_SECONDS (default 600) and report findings"
	@echo "make bench  the module vs Redis' own commands in one table (BENCH_QUICK=1: short run)"
	@echo "make accuracy  EXACT vs APPROX trackers on Zipf streams: recall, error, bounds, memory (ACCURACY_QUICK=1: short run)"

deps:
	@bash scripts/install-deps.sh

build: deps
	@cargo build --release -p redis-wtopk

run:
	@PORT=$(PORT) bash scripts/run-server.sh

stop:
	@bash scripts/stop-server.sh

test:
	@bash scripts/test.sh

fuzz:
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600) bash scripts/fuzz.sh

bench:
	@bash scripts/bench.sh

accuracy:
	@bash scripts/accuracy.sh

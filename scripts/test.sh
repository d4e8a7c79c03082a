#!/usr/bin/env bash
# The whole suite, as CI runs it: format, lints, release build of the module, then the unit
# tests of wtopk-core and the integration tests (real redis-server processes) in tests/, and
# a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all -- --check"
cargo fmt --all -- --check
step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo build --release -p redis-wtopk"
cargo build --release -p redis-wtopk
step "cargo test --workspace --profile release-tests --no-fail-fast (module: target/release)"
WTOPK_MODULE="$PWD/target/release/libredis_wtopk.so" \
    cargo test --workspace --profile release-tests --no-fail-fast
step "fuzz crate: fmt, clippy, then each target for 20 s (scripts/fuzz.sh)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
FUZZ_SECONDS=20 bash scripts/fuzz.sh
step "all checks passed"

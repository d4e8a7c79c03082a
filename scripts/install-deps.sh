#!/usr/bin/env bash
# Installs what building and testing redis-wtopk needs and is missing: redis-server (with
# redis-cli), libclang-dev (for bindgen), the kill(1) binary, and the rustfmt and clippy
# components; with --for-tests also libfaketime (a replica test runs a server with its clock
# two days ahead). Calls apt-get only when a package is missing; uses sudo only when not root.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "install-deps: need root or sudo to run: $*" >&2
        exit 1
    fi
}

have_package() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
type -P redis-server >/dev/null || missing+=(redis-server)
type -P redis-cli >/dev/null || missing+=(redis-tools)
type -P kill >/dev/null || missing+=(procps)
have_package libclang-dev || missing+=(libclang-dev)
if [ "${1:-}" = "--for-tests" ]; then
    have_package faketime || missing+=(faketime)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    # Debian starts the packaged redis-server service on 127.0.0.1:6379 at install, which
    # would take the port `make run` uses: the service we just installed is stopped and
    # disabled (a redis-server that was already installed is left alone).
    if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1 \
        && systemctl is-enabled redis-server >/dev/null 2>&1; then
        echo "install-deps: stopping and disabling Debian's redis-server service (port 6379)"
        as_root systemctl disable --now redis-server || true
    fi
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "install-deps: cargo not found; install Rust from https://rustup.rs" >&2
    exit 1
fi

components=()
cargo fmt --version >/dev/null 2>&1 || components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || components+=(clippy)
if [ "${#components[@]}" -gt 0 ]; then
    if ! command -v rustup >/dev/null 2>&1; then
        echo "install-deps: missing ${components[*]} and no rustup to add them" >&2
        exit 1
    fi
    echo "install-deps: adding Rust components ${components[*]}"
    rustup component add "${components[@]}"
fi

#!/usr/bin/env bash
# Installs what building and testing redis-wtopk needs and is missing: redis-server (with
# redis-cli), libclang-dev (for bindgen), a C toolchain, the kill(1) binary, Rust through
# rustup when cargo is missing, and the rustfmt and clippy components. Calls apt-get only when
# a package is missing; uses sudo only when not root. Callers source ~/.cargo/env afterwards
# so that a freshly installed cargo is on their PATH.
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
type -P cc >/dev/null || missing+=(build-essential)
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
    type -P curl >/dev/null || missing+=(curl ca-certificates)
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

if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
    echo "install-deps: installing Rust (stable) with rustup into ~/.cargo"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
        | sh -s -- -y --profile minimal --component rustfmt,clippy
fi
# shellcheck source=/dev/null
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

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

#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ (or those named in FUZZ_TARGETS) one after the other,
# each for FUZZ_SECONDS (default 600), and prints per target the time it ran, the inputs it
# executed, the corpus size and whether it found anything; exits non-zero if any target
# crashed, hung (FUZZ_TIMEOUT seconds for one input, default 10) or allocated past
# FUZZ_MALLOC_MB (default 512) in one go. Installs cargo-fuzz when missing. cargo-fuzz needs
# nightly-only flags (-Zsanitizer): RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# The sanitizer is AddressSanitizer unless FUZZ_SANITIZER says otherwise (none, leak, ...).
# Corpora live in fuzz/corpus/<target> (kept between runs, gitignored), seeded from
# fuzz/seeds/<target>; crash inputs land in fuzz/artifacts/<target>, each run's libFuzzer output
# in fuzz/logs/<target>.log, builds in fuzz/target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-600}"
timeout_s="${FUZZ_TIMEOUT:-10}"
malloc_mb="${FUZZ_MALLOC_MB:-512}"
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    started=$SECONDS
    cargo install cargo-fuzz --locked
    echo "fuzz: cargo-fuzz installed in $((SECONDS - started)) s"
fi

fuzz=(cargo fuzz)
flags=(--fuzz-dir fuzz -O --debug-assertions --sanitizer "$sanitizer")
read -r -a targets <<<"${FUZZ_TARGETS:-$("${fuzz[@]}" list --fuzz-dir fuzz | tr '\n' ' ')}"

started=$SECONDS
"${fuzz[@]}" build "${flags[@]}"
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - started)) s (sanitizer: $sanitizer)"

mkdir -p fuzz/logs
summary=()
failed=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    if [ -d "fuzz/seeds/$target" ]; then
        cp "fuzz/seeds/$target"/* "$corpus"/
    fi
    log="fuzz/logs/$target.log"
    echo "fuzz: $target for ${seconds} s (log: $log)"
    started=$SECONDS
    status=0
    "${fuzz[@]}" run "${flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout="$timeout_s" -malloc_limit_mb="$malloc_mb" \
        -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - started))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    files=$(find "$corpus" -type f | wc -l)
    if [ "$status" -eq 0 ]; then
        verdict="nothing found"
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
        verdict="FOUND A PROBLEM (exit $status): ${artifact:-see the log}"
        grep -m 1 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|==ERROR" "$log" || true
    fi
    summary+=("$(printf '%-26s %5d s %12s runs %6d corpus files  %s' \
        "$target" "$elapsed" "${runs:-?}" "$files" "$verdict")")
done

printf '\nfuzz summary (%s s per target):\n' "$seconds"
printf '  %s\n' "${summary[@]}"
exit "$failed"

#!/usr/bin/env bash
# Build every cargo-fuzz target (AddressSanitizer, libFuzzer) and run each one briefly on its
# seeds in fuzz/seeds/<target>/. A crash fails the run. Longer runs: KC_FUZZ_SECONDS=600.
#
# cargo-fuzz wants nightly-only flags (-Zsanitizer); the machine has a stable toolchain only, so
# RUSTC_BOOTSTRAP=1 lets stable rustc accept them. This is for fuzzing builds only.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${KC_FUZZ_SECONDS:-8}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list); do
    corpus="$work/$target"
    mkdir -p "$corpus"
    if [ -d "seeds/$target" ]; then cp -r "seeds/$target/." "$corpus/"; fi
    printf '%-36s ' "$target"
    if ! cargo fuzz run -O "$target" "$corpus" -- -max_total_time="$seconds" > "$work/$target.log" 2>&1; then
        echo "CRASH"
        tail -n 40 "$work/$target.log"
        exit 1
    fi
    grep -Eo 'Done [0-9]+ runs' "$work/$target.log" | tail -n 1
done

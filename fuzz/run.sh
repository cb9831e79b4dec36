#!/usr/bin/env bash
# Builds the fuzz targets (cargo fuzz, libFuzzer) and runs each for a bounded time over the
# corpus kept in fuzz/corpus (copied: the repository is not changed). Fails on any crash, and
# prints each target's executions.
#
#   bash fuzz/run.sh            # 30 s per target (what CI runs)
#   FUZZ_SECONDS=600 bash fuzz/run.sh
#
# cargo-fuzz drives a nightly-only flag set; RUSTC_BOOTSTRAP=1 lets the stable toolchain (the
# only one here) accept it. No sanitizer: the targets are safe Rust, and the point is panics,
# unbounded memory and hangs.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/debrief-fuzz-target}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked --version 0.13.2
cargo fuzz build --sanitizer none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in $(cargo fuzz list); do
    mkdir -p "$work/$target"
    cp -r "corpus/$target/." "$work/$target/"
    log="$work/$target.log"
    if cargo fuzz run --sanitizer none "$target" "$work/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/$target-" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $target: $runs executions in ${seconds} s, no crash"
    else
        echo "FAIL: fuzz $target found a crash:" >&2
        tail -40 "$log" >&2
        ls "$work"/"$target"-* 2>/dev/null >&2 || true
        status=1
    fi
done
exit $status

#!/bin/sh
# Runs each libFuzzer target in $1 for $2 seconds (default 60) on its seed corpus in
# tests/fuzz/corpus/<target>. Inputs the fuzzer finds go to a scratch directory, not into the
# repository; a crash prints the fuzzer's report, leaves its input in the current directory
# (crash-<sha1>) and fails the script.
set -eu
fuzz_dir="$1"
seconds="${2:-60}"
corpus_root="$(cd "$(dirname "$0")" && pwd)/corpus"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
# Readable stack traces in a report, when a symbolizer is installed (llvm-16 or llvm).
for symbolizer in /usr/lib/llvm-16/bin/llvm-symbolizer "$(command -v llvm-symbolizer || true)"; do
    if [ -x "$symbolizer" ]; then
        export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$symbolizer}"
        break
    fi
done
for target in config_fuzz cron_fuzz control_fuzz; do
    echo "== $target: ${seconds} s from $(ls "$corpus_root/$target" | wc -l) seeds"
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    status=0
    "$fuzz_dir/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$scratch/$target" "$corpus_root/$target" >"$log" 2>&1 || status=$?
    grep -E '^(stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 80 "$log"
        echo "$target: failed (exit $status)"
        failed=1
    fi
done
exit "$failed"

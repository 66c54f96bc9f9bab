#!/bin/sh
# The report's layout from a real (very short) run: the landlock and
# emulate groups get sections of their own in benchmarks.md and members of
# benchmarks.json, and their rows are not also in the general tables.
# Usage: test_report.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
bench=$build/bench/unotify-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A kernel without Landlock cannot run the landlock group at all.
if ! "$bench" --quick --rounds 1 --only landlock-kernel >/dev/null 2>&1; then
        echo "SKIP: the landlock-kernel configuration does not run here (no Landlock?)"
        exit 77
fi
only=nofilter,unotifyd-continue,refsync-continue,landlock-none,landlock-kernel
only=$only,sysinfo-native,unotifyd-sysinfo-continue
"$bench" --quick --rounds 1 --only "$only" --out "$out" >"$out/stdout" 2>"$out/stderr" || {
        cat "$out/stderr"
        echo "FAIL: unotify-bench failed"
        exit 1
}
exec python3 "$src/bench/test_report.py" "$out/benchmarks.md" "$out/benchmarks.json"

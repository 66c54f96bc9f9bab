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

# A kernel without Landlock enabled cannot run the landlock group at all
# (asked of the kernel, not of the bench: a broken bench must fail).
# landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) is the
# ABI version, or -1 without Landlock (x86-64's syscall number 444).
if [ "$(uname -m)" != x86_64 ] || [ "$(python3 -c 'import ctypes
print(ctypes.CDLL(None).syscall(444, None, 0, 1))')" -lt 1 ]; then
        echo "SKIP: no Landlock here (landlock_create_ruleset failed), or not x86-64"
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

#!/usr/bin/env bash
# The demo behind README's first command: start unotifyd on a temporary
# socket with the bundled policies, sandbox two commands, show what the
# daemon decided, stop it. Needs root (or CAP_SYS_ADMIN-free seccomp with
# no_new_privs, which unotify-run sets) and a built tree.
#   contrib/demo.sh [BUILD_DIR]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
tmp=$(mktemp -d /tmp/unotify-demo.XXXXXX)
sock=$tmp/handoff.sock
daemon_pid=

cleanup() {
        if [ -n "$daemon_pid" ]; then
                kill -TERM "$daemon_pid" 2>/dev/null || true
                wait "$daemon_pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }

say "\$ unotifyd --socket $sock --policy-dir policy/examples -v &"
"$build/daemon/unotifyd" --socket "$sock" --policy-dir "$src/policy/examples" -v 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do
        [ -S "$sock" ] && break
        kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log"; exit 1; }
        sleep 0.05
done
cat "$tmp/daemon.log"

run() {
        say "\$ unotify-run --socket $sock --policy $*"
        local policy=$1
        shift 2 # the policy name and "--"
        "$build/client/unotify-run" --socket "$sock" --policy "$policy" -- "$@" || echo "(exit status $?)"
}

run deny-mkdir -- mkdir "$tmp/x"
run demo -- mkdir "$tmp/x"
run demo -- uname -sr
run emulate -- head -c 64 /etc/os-release
run nonexistent -- true

say "What the daemon decided (its log):"
sleep 0.2
grep -E 'listener|refused' "$tmp/daemon.log" | grep -v 'UNOTIFY_ACT_EMULATE open' || true
say "... and $(grep -c 'UNOTIFY_ACT_EMULATE open' "$tmp/daemon.log") opens (the loader's and head's) done by the daemon, the fds handed over, e.g.:"
grep -m 3 'UNOTIFY_ACT_EMULATE open' "$tmp/daemon.log" || true
[ ! -e "$tmp/x" ] && say "OK: mkdir was denied by the daemon, uname was allowed through it, head read a file the daemon opened."

#!/bin/sh
# systemd-analyze verify on the units, built-tree copy: ExecStart= must
# name executables that exist, so bin-links/ points at the built ones.
# Any output at all (systemd-analyze prints warnings and still exits 0) is
# a failure. A fifth argument --user verifies per-user units as the user
# manager reads them (%t, %E); where no user manager can be reached (CI
# runs as root without a session) it falls back to the system mode, which
# checks the same keys, and says so.
set -eu
units=$1 links=$2 daemon=$3 ctl=$4 mode=${5:-}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 1; }
if [ "$mode" != --user-now ]; then
        mkdir -p "$links"
        ln -sf "$daemon" "$links/unotifyd"
        ln -sf "$ctl" "$links/unotifyctl"
fi
verify() {
        extra=
        [ -f "$units/unotifyd-metrics.socket" ] && extra=./unotifyd-metrics.socket
        (cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze "$@" verify --man=no \
                ./unotifyd.service ./unotifyd.socket ./unotifyd-control.socket $extra 2>&1)
}
# As root (CI), the user mode runs as nobody with a runtime directory of
# its own: root has no user manager to ask.
as_user() {
        if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
                rt=$(mktemp -d) && chown nobody "$rt"
                setpriv --reuid=nobody --regid=nogroup --clear-groups \
                        env XDG_RUNTIME_DIR="$rt" HOME="$rt" "$0" "$units" "$links" "$daemon" "$ctl" --user-now
                r=$?; rm -rf "$rt"; return $r
        fi
        "$0" "$units" "$links" "$daemon" "$ctl" --user-now
}
how=system
if [ "$mode" = --user ]; then
        as_user; exit $?
elif [ "$mode" = --user-now ]; then
        if out=$(verify --user); then
                how=user
        else
                echo "systemd-analyze --user verify could not run here:"; echo "$out"
                echo "verifying in system mode instead"
                out=$(verify) || { echo "$out"; exit 1; }
        fi
else
        out=$(verify) || { echo "$out"; exit 1; }
fi
if [ -n "$out" ]; then
        echo "systemd-analyze verify warned:"; echo "$out"; exit 1
fi
echo "units verified ($how mode): $(ls "$units")"

#!/bin/sh
# systemd-analyze verify on the units, built-tree copy: ExecStart= must
# name executables that exist, so bin-links/ points at the built ones.
# Any output at all (systemd-analyze prints warnings and still exits 0) is
# a failure.
set -eu
units=$1 links=$2 daemon=$3 ctl=$4
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 1; }
mkdir -p "$links"
ln -sf "$daemon" "$links/unotifyd"
ln -sf "$ctl" "$links/unotifyctl"
out=$(cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
        ./unotifyd.service ./unotifyd.socket ./unotifyd-control.socket 2>&1) || {
        echo "$out"; exit 1; }
if [ -n "$out" ]; then
        echo "systemd-analyze verify warned:"; echo "$out"; exit 1
fi
echo "units verified: $(ls "$units")"

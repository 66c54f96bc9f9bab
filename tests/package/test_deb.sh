#!/bin/sh
# Build the Debian packages from the tree, install them with dpkg on this
# machine, check what they hold, check the installed examples with the
# installed daemon, and remove them cleanly. Needs root (dpkg -i).
# Usage: test_deb.sh SOURCE_DIR
set -eu
src=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/unotifyd-deb.XXXXXX)
installed=
cleanup() {
        [ -z "$installed" ] || dpkg -P libunotify-dev unotifyd libunotify0 >/dev/null 2>&1 || true
        rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }

for t in dpkg-buildpackage dh lintian; do
        command -v $t >/dev/null || { echo "SKIP: $t missing (apt-get install dpkg-dev debhelper lintian)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: dpkg -i needs root"; exit 77; }
if dpkg -s unotifyd >/dev/null 2>&1; then
        fail "unotifyd is already installed as a package; this test would replace it"
fi

step "build (a copy of the tree without build directories)"
mkdir "$work/unotifyd"
tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work/unotifyd" -xf -
(cd "$work/unotifyd" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
        { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
ls "$work"/*.deb

step "lintian"
lintian --tag-display-limit 0 --info "$work"/*.changes 2>&1 | grep -v "running with root" || true

step "install"
installed=yes
dpkg -i "$work"/unotifyd_*.deb "$work"/libunotify0_*.deb "$work"/libunotify-dev_*.deb

step "contents"
for f in /usr/bin/unotifyd /usr/bin/unotifyctl /usr/bin/unotify-run \
         /lib/systemd/system/unotifyd.service /lib/systemd/system/unotifyd.socket \
         /lib/systemd/system/unotifyd-control.socket /lib/systemd/system/unotifyd-metrics.socket \
         /etc/unotifyd/policies/default.json \
         /usr/share/doc/unotifyd/examples/demo.json /usr/share/man/man8/unotifyd.8.gz \
         /usr/share/man/man5/unotifyd.policy.5.gz /usr/share/man/man1/unotify-run.1.gz \
         /usr/share/man/man8/unotifyctl.8.gz; do
        dpkg -L unotifyd | grep -qx "$f" || fail "unotifyd lacks $f"
done
dpkg -L libunotify0 | grep -q '/libunotify\.so\.0$' || fail "libunotify0 lacks libunotify.so.0"
for f in /usr/include/unotify/unotify.h /usr/share/man/man3/libunotify.3.gz; do
        dpkg -L libunotify-dev | grep -qx "$f" || fail "libunotify-dev lacks $f"
done
dpkg -L libunotify-dev | grep -q '/pkgconfig/unotify\.pc$' || fail "libunotify-dev lacks unotify.pc"
# The maintainer scripts (dh_installsystemd's) enable the sockets.
for u in sockets.target.wants/unotifyd.socket sockets.target.wants/unotifyd-control.socket; do
        [ -L /etc/systemd/system/$u ] || fail "$u is not enabled"
done
# ... but not the metrics endpoint, a TCP port: the admin enables it.
[ ! -e /etc/systemd/system/sockets.target.wants/unotifyd-metrics.socket ] ||
        fail "unotifyd-metrics.socket was enabled on install"
# ... nor the per-user units for every user's session: a user enables them.
dpkg -L unotifyd | grep -q '/systemd/user/unotifyd\.socket$' || fail "unotifyd lacks the per-user socket unit"
if ls /etc/systemd/user/*/unotifyd* >/dev/null 2>&1; then
        fail "per-user units were enabled for every user: $(ls /etc/systemd/user/*/unotifyd*)"
fi

step "the installed daemon checks the installed examples and the shipped policy"
/usr/bin/unotifyd -t -p /usr/share/doc/unotifyd/examples
/usr/bin/unotifyd -t -p /etc/unotifyd/policies
/usr/bin/unotifyctl --version
pkg-config --exists unotify || fail "pkg-config does not find unotify"

step "remove and purge"
dpkg -P libunotify-dev unotifyd libunotify0
installed=
for f in /usr/bin/unotifyd /etc/unotifyd/policies/default.json /lib/systemd/system/unotifyd.service \
         /usr/include/unotify/unotify.h; do
        [ ! -e "$f" ] || fail "$f is still there after purge"
done
[ ! -e /etc/systemd/system/sockets.target.wants/unotifyd.socket ] || fail "unotifyd.socket still enabled"
[ ! -e /etc/unotifyd ] || fail "/etc/unotifyd is still there after purge"
echo "OK"

#!/bin/sh
# libunotify as an installed library: install the build into a temporary
# prefix, validate unotify.pc, build docs/examples/handoff.c against the
# installed header and library through pkg-config only, and run it against
# the installed unotifyd with the installed example policies.
#
# usage: test_install.sh BUILD_DIR SOURCE_DIR VERSION [EXTRA_CFLAGS]
set -eu
build=$1 src=$2 version=$3 extra=${4:-}

prefix=$(mktemp -d /tmp/unotify-install.XXXXXX)
daemon=
cleanup() {
        [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
        rm -rf "$prefix"
}
trap cleanup EXIT
fail() { echo "test_install: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name unotify.pc)
[ -n "$pc" ] || fail "unotify.pc is not installed"
export PKG_CONFIG_PATH="${pc%/unotify.pc}"
pkg-config --validate unotify || fail "pkg-config --validate unotify failed"
[ "$(pkg-config --modversion unotify)" = "$version" ] || fail "unotify.pc says version $(pkg-config --modversion unotify), not $version"
libdir=$(pkg-config --variable=libdir unotify)
[ -f "$libdir/libunotify.so.0" ] || fail "no libunotify.so.0 in $libdir"
[ -f "$(pkg-config --variable=includedir unotify)/unotify/unotify.h" ] || fail "unotify.h is not installed"

# shellcheck disable=SC2046,SC2086 # word splitting of the flags is wanted
cc -Wall -Wextra -Werror $extra -o "$prefix/handoff" "$src/docs/examples/handoff.c" \
        $(pkg-config --cflags --libs unotify libseccomp) || fail "the example does not build"
readelf -d "$prefix/handoff" | grep -q 'NEEDED.*\[libunotify\.so\.0\]' || fail "the example is not linked to libunotify.so.0"

"$prefix/bin/unotifyd" -q --socket "$prefix/handoff.sock" \
        --policy-dir "$prefix/share/unotifyd/policies" 2>"$prefix/daemon.log" &
daemon=$!
i=0
while [ ! -S "$prefix/handoff.sock" ]; do
        kill -0 "$daemon" 2>/dev/null || fail "unotifyd exited: $(cat "$prefix/daemon.log")"
        i=$((i + 1))
        [ $i -lt 200 ] || fail "unotifyd made no socket in 20 s"
        sleep 0.1
done

out=$(LD_LIBRARY_PATH="$libdir" "$prefix/handoff" "$prefix/handoff.sock" deny-mkdir \
        /bin/mkdir "$prefix/made" 2>&1) && fail "mkdir was not denied: $out"
case $out in
*"Operation not permitted"*) ;;
*) fail "unexpected output: $out" ;;
esac
[ ! -e "$prefix/made" ] || fail "the directory was made"
LD_LIBRARY_PATH="$libdir" "$prefix/handoff" "$prefix/handoff.sock" deny-mkdir /bin/true ||
        fail "a command the policy allows failed"
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/handoff" "$prefix/handoff.sock" nope /bin/true 2>&1) &&
        fail "an unknown policy was accepted"
case $out in
*"unknown policy \"nope\""*) ;;
*) fail "unexpected refusal: $out" ;;
esac
echo "test_install: ok ($pc)"

#!/bin/sh
# The man pages render without a warning from man/groff, and every option
# a tool's --help lists appears in that tool's page.
# Usage: test_man.sh BUILD_DIR
set -eu
build=$1
man_dir=$build/man
fail=0

for t in man col; do
        command -v $t >/dev/null || { echo "SKIP: $t is not installed (apt-get install man-db bsdextrautils)"; exit 77; }
done

for page in "$man_dir"/*.[0-9]; do
        warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null || echo "man failed")
        if [ -n "$warnings" ]; then
                echo "FAIL: $page: $warnings"
                fail=1
        fi
done

# TOOL PAGE HELP-ARGS...: each -x and --long of the help in the page.
check_options() {
        tool=$1 page=$2
        shift 2
        text=$(MANWIDTH=200 man -E ascii -l "$man_dir/$page" 2>/dev/null | col -b)
        # Options are what option lines define ("  -s, --socket PATH") and
        # what synopses put in brackets ("[--json]"), not prose mentions.
        opts=$({ "$tool" "$@" | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' | tr ',' '\n' |
                 sed -E 's/^ *//; s/[ =].*//'
                 "$tool" "$@" | grep -oE '\[--?[a-zA-Z][a-zA-Z-]*' | tr -d '['; } | grep -E '^-' | sort -u)
        [ -n "$opts" ] || { echo "FAIL: $tool $*: no options found in the help"; fail=1; }
        for o in $opts; do
                if ! printf '%s\n' "$text" | grep -qe "$o\\b"; then
                        echo "FAIL: $page lacks $o (from $(basename "$tool") $*)"
                        fail=1
                fi
        done
        echo "$page: $(printf '%s\n' "$opts" | wc -l) options of $(basename "$tool") $* found"
}

check_options "$build/daemon/unotifyd" unotifyd.8 --help
check_options "$build/client/unotify-run" unotify-run.1 --help
check_options "$build/client/unotifyctl" unotifyctl.8 --help
check_options "$build/client/unotifyctl" unotifyctl.8 export-oci --help
check_options "$build/client/unotifyctl" unotifyctl.8 learn --help
exit $fail

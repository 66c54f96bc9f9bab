#!/usr/bin/env bash
# The units under a real systemd as PID 1: the build is installed with
# `cmake --install` (DESTDIR) and laid over the host's /usr in a
# `systemd-nspawn --boot` container whose /etc is a copy of the host's.
# Inside: socket activation by a handoff, `systemctl restart` with a
# listener alive (fd store), `systemctl reload`, the watchdog killing a
# frozen loop (the "freeze" test hook) and `systemctl stop`, each as
# docs/systemd.md describes it.
#
# usage: test_pid1.sh BUILD_DIR SOURCE_DIR
# Exits 77 (skipped) where no container can be booted.
set -euo pipefail
build=$1 src=$2

skip() { echo "test_pid1: SKIP: $*"; exit 77; }
fail() {
        echo "test_pid1: FAIL: $*" >&2
        if [ -n "${leader:-}" ]; then
                echo "--- journal of unotifyd in the container:" >&2
                inside journalctl -u unotifyd -u unotifyd.socket --no-pager 2>&1 | tail -40 >&2 || true
        fi
        [ -f "${work:-/nonexistent}/io/out" ] && { echo "--- the sandbox said:" >&2; cat "$work/io/out" >&2; }
        exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn)"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (apt-get install systemd-container)"
command -v nsenter >/dev/null || skip "no nsenter (util-linux)"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd to boot (apt-get install systemd)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || skip "the kernel has no overlayfs (the container's /usr is an overlay)"

work=$(mktemp -d /tmp/unotify-pid1.XXXXXX)
nspawn= leader= sandbox=
cleanup() {
        exec 3>&- 2>/dev/null || true
        [ -n "$sandbox" ] && kill "$sandbox" 2>/dev/null
        if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
                kill -TERM "$nspawn" 2>/dev/null # nspawn: an orderly poweroff
                for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$nspawn" 2>/dev/null || true
                wait "$nspawn" 2>/dev/null || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT

# The install, with / laid out as on a merged-/usr system so that every
# file lands under usr/ (the units in lib/systemd/system too).
stage=$work/stage
mkdir -p "$stage"/usr/{lib,bin,sbin}
for d in lib bin sbin; do ln -s usr/$d "$stage/$d"; done
DESTDIR=$stage cmake --install "$build" >"$work/install.log" || fail "cmake --install: $(tail -5 "$work/install.log")"
unit=$(find "$stage/usr" -path '*/systemd/system/unotifyd.service' | head -1)
[ -n "$unit" ] || fail "cmake --install put no unotifyd.service under $stage/usr"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
daemon_bin=${exec_start%% *}
bindir=${daemon_bin%/unotifyd}
policydir=$(sed -n 's/.* -p \([^ ]*\) .*/\1/p' <<<"$exec_start")
case $bindir in
/usr/*) ;;
*) skip "the build installs to $bindir, not under /usr: only /usr is laid into the container" ;;
esac
# The example policies the test uses (Debian's package ships default.json
# there; demo makes the daemon itself answer mkdir).
mkdir -p "$stage$policydir"
cp "$src"/policy/examples/{default,deny-mkdir,demo}.json "$stage$policydir/"

# The container's root: /usr from the host plus the install (overlay),
# a copy of the host's /etc without its services, a new machine id.
tree=$work/tree
mkdir -p "$tree"/{usr/lib,var,tmp,root,proc,sys,dev,run,home,opt,io}
for d in bin lib lib64 lib32 sbin; do ln -s usr/$d "$tree/$d"; done
cp -a /etc "$tree/etc"
cp /usr/lib/os-release "$tree/usr/lib/" # nspawn looks for it before /usr is mounted
rm -rf "$tree"/etc/systemd/system/*.wants "$tree/etc/machine-id"
ln -s /dev/null "$tree/etc/systemd/system/systemd-firstboot.service"
# The test's changes to the installed unit: a 2 s watchdog, the freeze
# hook, no core file from the watchdog's SIGABRT; in a sanitizer build no
# leak check at exit (LeakSanitizer cannot run under the unit's syscall
# filter; other builds ignore the variable).
mkdir -p "$tree/etc/systemd/system/unotifyd.service.d"
cat >"$tree/etc/systemd/system/unotifyd.service.d/test.conf" <<EOF
[Service]
WatchdogSec=2s
Environment=UNOTIFYD_TEST_HOOKS=freeze
Environment=ASAN_OPTIONS=detect_leaks=0
LimitCORE=0
EOF

io=$work/io
mkdir -p "$io"
systemd-nspawn --quiet -D "$tree" --overlay-ro="/usr:$stage/usr:/usr" --machine="unotify-pid1-$$" \
        --boot --register=no --keep-unit --link-journal=no --console=pipe --bind="$io:/io" \
        -- systemd.unit=basic.target >"$work/nspawn.log" 2>&1 </dev/null &
nspawn=$!
inside() { nsenter -t "$leader" -a "$@"; }
# The container's init is nspawn's child once it has exec'ed systemd
# (before that the child is nspawn's own, an intermediate process).
state=
for _ in $(seq 200); do
        kill -0 "$nspawn" 2>/dev/null || skip "systemd-nspawn could not boot: $(tail -3 "$work/nspawn.log")"
        leader=$(awk '{print $1}' "/proc/$nspawn/task/$nspawn/children" 2>/dev/null) || true
        if [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]; then
                state=$(inside systemctl is-system-running 2>/dev/null) || true
                case $state in running | degraded) break ;; esac
        fi
        sleep 0.1
done
case $state in running | degraded) ;; *) leader= && skip "the container did not finish booting in 20 s (state: ${state:-none})" ;; esac
echo "test_pid1: booted systemd $(inside systemctl --version | awk 'NR == 1' | awk '{print $2}') as PID 1 ($state)"

ctl() { inside "$bindir/unotifyctl" "$@"; }
stat_of() { ctl stats | awk -v k="$1" '$1 == k {print $2}'; }
# Not `journalctl | grep -q`: grep's early exit fails the pipe (pipefail).
journal_has() {
        local pattern=$1 text
        shift
        text=$(inside journalctl -u unotifyd.service --no-pager "$@")
        grep -qF "$pattern" <<<"$text"
}
main_pid() { inside systemctl show -P MainPID unotifyd.service; }
wait_active() {
        for _ in $(seq 150); do
                [ "$(inside systemctl is-active unotifyd.service)" = active ] && ctl status >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        fail "unotifyd.service is not active after 15 s ($1)"
}

# 1. Socket activation: the sockets listen, the service starts at the
#    first handoff, and the daemon answers the sandboxed mkdir.
inside systemctl start unotifyd.socket unotifyd-control.socket
[ "$(inside systemctl is-active unotifyd.service)" != active ] || fail "unotifyd.service runs before anything connected"
out=$(inside "$bindir/unotify-run" -p demo -- mkdir /io/one 2>&1) && fail "mkdir was not denied: $out"
case $out in *"Operation not permitted"*) ;; *) fail "unexpected answer to mkdir: $out" ;; esac
[ ! -e "$io/one" ] || fail "the directory was made"
wait_active "after the first handoff"
[ "$(stat_of notifications_answered)" -ge 1 ] || fail "the daemon answered nothing: $(ctl stats)"
echo "test_pid1: socket activation: the first handoff started unotifyd, mkdir got EPERM from it"

# A sandbox that lives on: one mkdir per line written to it.
mkfifo "$io/cmd"
inside "$bindir/unotify-run" -p demo -- sh -c \
        'while read -r n; do mkdir "/io/d$n" 2>&1 && echo "made $n"; echo "done $n"; done' \
        <"$io/cmd" >"$io/out" 2>&1 &
sandbox=$!
exec 3>"$io/cmd"
ask() {
        echo "$1" >&3
        for _ in $(seq 100); do
                grep -q "^done $1\$" "$io/out" && break
                sleep 0.1
        done
        grep -q "^done $1\$" "$io/out" || fail "the sandbox did not answer request $1 in 10 s"
        [ ! -e "$io/d$1" ] || fail "request $1: the directory was made"
        grep -B1 "^done $1\$" "$io/out" | sed -n 1p
}
expect_denied() {
        local said
        said=$(ask "$1")
        case $said in *"Operation not permitted"*) ;; *) fail "$2: mkdir said \"$said\", not EPERM" ;; esac
}
expect_denied 1 "a live listener"

# 2. systemctl restart: a new process takes the listener back from the fd
#    store and answers it.
pid=$(main_pid)
inside systemctl restart unotifyd.service
wait_active "after systemctl restart"
[ "$(main_pid)" != "$pid" ] || fail "systemctl restart left the same main pid $pid"
[ "$(stat_of listeners)" = 1 ] || fail "the restarted daemon does not hold the sandbox's listener: $(ctl stats)"
expect_denied 2 "after systemctl restart"
echo "test_pid1: systemctl restart: pid $pid -> $(main_pid), the sandbox's listener came back from the fd store and is answered"

# 3. systemctl reload: the new policy file is loaded, the old ones serve on.
before=$(stat_of policies)
sed 's/"name": "deny-mkdir"/"name": "extra"/' "$src/policy/examples/deny-mkdir.json" >"$stage$policydir/extra.json"
inside systemctl reload unotifyd.service
[ "$(stat_of reloads)" = 1 ] || fail "systemctl reload did not reload: $(ctl stats)"
[ "$(stat_of policies)" = $((before + 1)) ] || fail "after reload $(stat_of policies) policies, not $((before + 1))"
expect_denied 3 "after systemctl reload"
echo "test_pid1: systemctl reload: $before -> $(stat_of policies) policies"

# 4. The watchdog: a loop that stops sending WATCHDOG=1 is killed and
#    restarted (Restart=on-failure), and the listener survives that too.
pid=$(main_pid)
restarts=$(inside systemctl show -P NRestarts unotifyd.service)
inside kill -s RTMIN+1 "$pid"
for _ in $(seq 150); do
        now=$(main_pid)
        [ "$now" != "$pid" ] && [ "$now" != 0 ] && break
        sleep 0.1
done
[ "$(main_pid)" != "$pid" ] || fail "the frozen daemon (pid $pid) was not killed in 15 s"
wait_active "after the watchdog"
for _ in $(seq 50); do # the journal may lag behind the manager
        journal_has "Watchdog timeout" && break
        sleep 0.1
done
journal_has "Watchdog timeout" ||
        fail "the journal does not say the watchdog fired"
[ "$(inside systemctl show -P NRestarts unotifyd.service)" = $((restarts + 1)) ] || fail "NRestarts did not grow by one"
expect_denied 4 "after the watchdog's restart"
echo "test_pid1: watchdog: frozen pid $pid killed by the manager, restarted as $(main_pid), the listener answered"

# 5. systemctl stop: STOPPING=1, a clean exit, the sockets stay; the fd
#    store goes with the stopped unit, so the old sandbox's notified calls
#    fail with ENOSYS (no listener any more); the next handoff starts a new
#    daemon.
pid=$(main_pid)
inside systemctl stop unotifyd.service
[ "$(inside systemctl is-active unotifyd.service)" = inactive ] || fail "unotifyd.service is not inactive after stop"
[ "$(inside systemctl show -P Result unotifyd.service)" = success ] || fail "stop did not end in success"
for _ in $(seq 50); do
        journal_has "Terminated received; exiting" _PID="$pid" && break
        sleep 0.1
done
journal_has "Terminated received; exiting" _PID="$pid" ||
        fail "the daemon did not log its SIGTERM exit"
[ "$(inside systemctl is-active unotifyd.socket)" = active ] || fail "unotifyd.socket stopped with the service"
said=$(ask 5)
case $said in *"Function not implemented"*) ;; *) fail "after stop the old sandbox's mkdir said \"$said\", not ENOSYS" ;; esac
out=$(inside "$bindir/unotify-run" -p demo -- mkdir /io/two 2>&1) && fail "mkdir was not denied after stop: $out"
case $out in *"Operation not permitted"*) ;; *) fail "unexpected answer after stop: $out" ;; esac
wait_active "after a handoff to the stopped service"
[ "$(stat_of listeners_added)" = 1 ] || fail "the re-activated daemon is not a fresh one: $(ctl stats)"
echo "test_pid1: systemctl stop: clean exit, sockets kept, the old listener is gone (ENOSYS), the next handoff re-activated it"
echo "test_pid1: PASS"

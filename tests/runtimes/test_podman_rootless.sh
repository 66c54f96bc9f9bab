#!/usr/bin/env bash
# Rootless podman (crun and runc) handing its containers' listeners to the
# per-user unotifyd of the same user: no root process serves them.
#   test_podman_rootless.sh UNOTIFYD UNOTIFYCTL POLICY_JSON
# Exits 77 (skipped) when podman, newuidmap or busybox-static is missing.
set -uo pipefail

unotifyd=$1 unotifyctl=$2 policy=$3
user=unotify-podman
fail=0

skip() { echo "SKIP: $*"; exit 77; }
check() { # check WHAT EXPECTED ACTUAL
        if [ "$2" = "$3" ]; then
                echo "ok: $1"
        else
                echo "FAIL: $1: expected [$2], got [$3]"
                fail=1
        fi
}

[ "$(id -u)" = 0 ] || skip "making a user with subordinate ids needs root"
command -v podman >/dev/null || skip "no podman (Debian package podman)"
command -v newuidmap >/dev/null || skip "no newuidmap (Debian package uidmap): rootless podman needs it"
[ -x /bin/busybox ] || skip "no /bin/busybox (Debian package busybox-static)"

if ! id "$user" >/dev/null 2>&1; then
        useradd --no-create-home --shell /usr/sbin/nologin "$user" || skip "useradd $user failed"
fi
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
        usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$user"
fi
uid=$(id -u "$user")
pkill -u "$user" 2>/dev/null # a pause process of an earlier run holds old namespaces
for bin in "$unotifyd" "$unotifyctl"; do
        setpriv --reuid="$uid" --regid="$(id -g "$user")" --clear-groups test -x "$bin" ||
                skip "$user cannot run $bin (a build under a directory only root may enter)"
done

dir=$(mktemp -d /tmp/unotify-podman-rootless.XXXXXX)
run_dir=/run/user/$uid
trap 'pkill -u "$user"; rm -rf "$dir"' EXIT
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/policies" "$dir/home" "$run_dir"
chown "$user" "$run_dir" && chmod 700 "$run_dir"
cp /bin/busybox "$dir/rootfs/bin/"
for a in sh mkdir uname cat; do ln -s busybox "$dir/rootfs/bin/$a"; done
tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
cp "$policy" "$dir/policies/"
name=$(sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p' "$policy" | head -1)
chown -R "$user" "$dir"

# As the user: the daemon, the profile it exports, podman under each runtime.
cat >"$dir/as-user.sh" <<EOF
set -u
export HOME=$dir/home XDG_RUNTIME_DIR=$run_dir
cd $dir
"$unotifyd" --nice 0 -p $dir/policies 2>$dir/daemon.log &
daemon=\$!
for i in \$(seq 100); do [ -S $run_dir/unotifyd/handoff.sock ] && break; sleep 0.1; done
"$unotifyctl" export-oci -p $dir/policies -s $run_dir/unotifyd/handoff.sock $name >$dir/profile.json
pm() { podman --root=$dir/pm-root --runroot=$run_dir/pm-run --tmpdir=$dir/pm-tmp \
        --storage-driver=vfs --cgroup-manager=cgroupfs --events-backend=none "\$@"; }
pm import $dir/rootfs.tar localhost/unotify-busybox:rootless >/dev/null
for rt in crun runc; do
        pm --runtime=\$rt run --rm --network=none --security-opt seccomp=$dir/profile.json \
                --security-opt=no-new-privileges localhost/unotify-busybox:rootless \
                sh -c 'mkdir /tmp/x 2>&1; echo mkdir=\$?; uname -s' >$dir/out-\$rt 2>$dir/err-\$rt
        echo \$? >$dir/rc-\$rt
done
"$unotifyctl" stats >$dir/stats
kill \$daemon
wait \$daemon
EOF

# crun refuses a hybrid cgroup layout as a user (cgroup2 beside v1
# controllers): give podman a mount namespace without the cgroup2 mount.
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
        unshare -m --propagation private sh -c "umount -l /sys/fs/cgroup/unified &&
                setpriv --reuid=$uid --regid=$(id -g "$user") --clear-groups bash $dir/as-user.sh"
else
        setpriv --reuid="$uid" --regid="$(id -g "$user")" --clear-groups bash "$dir/as-user.sh"
fi

for rt in crun runc; do
        rc=$(cat "$dir/rc-$rt" 2>/dev/null)
        check "podman --runtime=$rt (rootless) ran" 0 "$rc"
        [ "$rc" = 0 ] || { echo "stderr:"; cat "$dir/err-$rt"; }
        check "$rt: mkdir denied by the user's daemon, uname answered" "$(printf "mkdir: can't create directory '/tmp/x': Operation not permitted\nmkdir=1\nLinux")" \
                "$(cat "$dir/out-$rt" 2>/dev/null)"
done
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$dir/stats"; }
check "listeners handed over by the two containers" 2 "$(stat_of listeners_added)"
check "notifications answered (a mkdir and a uname each)" 4 "$(stat_of notifications_answered)"
check "handoffs refused" 0 "$(stat_of handoffs_refused)"
if ! grep -q "from pid [0-9]* uid $uid" "$dir/daemon.log"; then
        echo "FAIL: the daemon's log does not show a handoff from uid $uid"
        fail=1
fi
[ "$fail" = 0 ] || { echo "daemon log:"; cat "$dir/daemon.log"; }
exit "$fail"

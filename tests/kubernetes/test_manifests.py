"""contrib/kubernetes/ checked as far as this machine allows (no cluster):
the YAML parses into the objects docs/kubernetes.md describes; the
DaemonSet's paths agree with each other, with the profile's listenerPath
and with the pod's localhostProfile; the daemon accepts its arguments and
the policies of the ConfigMap as the kubelet lays them out (symlinks into
..data); the seccomp profile is valid against the runtime-spec schema and
is exactly what `unotifyctl export-oci` makes of those policies today; and
the liveness probe's command succeeds against a real daemon started with
the DaemonSet's arguments, and fails once it is gone.

Usage: test_manifests.py BUILD_DIR SOURCE_DIR. Exit 0, 1 (a check failed)
or 77 (a tool is missing).
"""
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import yaml

BUILD, SOURCE = sys.argv[1], sys.argv[2]
UNOTIFYD = os.path.join(BUILD, "daemon", "unotifyd")
UNOTIFYCTL = os.path.join(BUILD, "client", "unotifyctl")
MANIFESTS = os.path.join(SOURCE, "contrib", "kubernetes")
SCHEMA = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema/config-linux.json"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def load(name):
    with open(os.path.join(MANIFESTS, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name):
    hits = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    check(len(hits) == 1, f"one {kind} {name}")
    return hits[0] if hits else {}


def options(args):
    """--key=value arguments as a dict."""
    out = {}
    for a in args:
        key, _, value = a.partition("=")
        out[key] = value
    return out


def volume(spec, name):
    return next((v for v in spec["volumes"] if v["name"] == name), {})


def mount_of(container, path):
    """The volume mounted at path in container, or None."""
    return next((m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == path), None)


def configmap_dir(data, root):
    """Lay data out as the kubelet does: NAME -> ..data/NAME, ..data -> ..TIMESTAMP."""
    stamp = os.path.join(root, "..2026_12_07_00_00_00.000000001")
    os.makedirs(stamp)
    for key, text in data.items():
        with open(os.path.join(stamp, key), "w") as f:
            f.write(text)
    os.symlink(os.path.basename(stamp), os.path.join(root, "..data"))
    for key in data:
        os.symlink(os.path.join("..data", key), os.path.join(root, key))
    return root


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)


def check_profile_schema(profile, name):
    try:
        import jsonschema
    except ImportError:
        print(f"skip {name}: python3-jsonschema is not installed")
        return
    if not os.path.exists(SCHEMA):
        print(f"skip {name}: {SCHEMA} is not there (golang-github-opencontainers-specs-dev)")
        return
    base = "file://" + os.path.dirname(SCHEMA) + "/"
    schema = {"$ref": base + "config-linux.json#/linux/properties/seccomp"}
    with open(SCHEMA) as f:
        store = {base + "config-linux.json": json.load(f)}
    for extra in ("defs.json", "defs-linux.json"):
        with open(os.path.join(os.path.dirname(SCHEMA), extra)) as f:
            store[base + extra] = json.load(f)
    resolver = jsonschema.RefResolver(base, schema, store=store)
    try:
        jsonschema.Draft4Validator(schema, resolver=resolver).validate(profile)
        check(True, f"{name} is a valid linux.seccomp (runtime-spec schema)")
    except jsonschema.ValidationError as e:
        check(False, f"{name} is a valid linux.seccomp: {e.message}")


def main():
    docs = load("unotifyd.yaml")
    pods = load("pod.yaml")
    ns = find(docs, "Namespace", "unotifyd")
    check(ns.get("metadata", {}).get("labels", {}).get("pod-security.kubernetes.io/enforce") == "privileged",
          "the namespace admits hostPID and hostPath (Pod Security: privileged)")
    policies = find(docs, "ConfigMap", "unotifyd-policies")
    profiles = find(docs, "ConfigMap", "unotifyd-seccomp-profiles")
    ds = find(docs, "DaemonSet", "unotifyd")
    pod = find(pods, "Pod", "web-1")
    spec = ds["spec"]["template"]["spec"]
    check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
          "the DaemonSet's selector matches its pods")
    check(spec.get("hostPID") is True, "hostPID (notifications carry the daemon's pid namespace's pids)")
    daemon = next(c for c in spec["containers"] if c["name"] == "unotifyd")
    opts = options(daemon["args"])
    sock, control, policy_dir = opts["--socket"], opts["--control-socket"], opts["--policy-dir"]
    run_dir = os.path.dirname(sock)
    check(os.path.dirname(control) == run_dir, "control socket next to the handoff socket")
    run_vol = volume(spec, mount_of(daemon, run_dir))
    check(run_vol.get("hostPath", {}).get("path") == run_dir,
          f"{run_dir} is the host's (hostPath), where runtimes find the socket")
    check(volume(spec, mount_of(daemon, policy_dir)).get("configMap", {}).get("name") == "unotifyd-policies",
          f"{policy_dir} is the policies ConfigMap")
    caps = daemon["securityContext"]["capabilities"]
    check(caps["drop"] == ["ALL"] and sorted(caps["add"]) == ["KILL", "SYS_PTRACE"],
          "capabilities: SYS_PTRACE and KILL only")
    port = int(opts["--metrics-listen"].rsplit(":", 1)[1])
    check(any(p["containerPort"] == port for p in daemon["ports"]), "the metrics port is declared")
    probe = daemon["livenessProbe"]["exec"]["command"]
    check("unotifyctl" in probe[0] and "status" in probe and control in probe,
          "liveness: unotifyctl status on the control socket")

    # The pod's profile is one the init container installs.
    init = spec["initContainers"][0]
    seccomp_root = volume(spec, "kubelet-seccomp")["hostPath"]["path"]
    check(seccomp_root == "/var/lib/kubelet/seccomp", "profiles go to the kubelet's seccomp root")
    host_mount = next(m["mountPath"] for m in init["volumeMounts"] if m["name"] == "kubelet-seccomp")
    local = pod["spec"]["containers"][0]["securityContext"]["seccompProfile"]
    check(local["type"] == "Localhost", "the pod's profile is a Localhost one")
    subdir, key = os.path.split(local["localhostProfile"])
    check(key in profiles["data"], f"{local['localhostProfile']}: {key} is in the profiles ConfigMap")
    check(f"{host_mount}/{subdir}" in init["command"][-1], f"the init container copies into {subdir}/")

    with tempfile.TemporaryDirectory() as tmp:
        pdir = configmap_dir(policies["data"], os.path.join(tmp, "policies"))
        os.makedirs(pdir, exist_ok=True)
        r = run([UNOTIFYD, "-t", "-p", pdir, "--strict"])
        check(r.returncode == 0, f"unotifyd -t --strict on the ConfigMap's policies: {r.stdout.strip()} {r.stderr.strip()}")

        for key, text in profiles["data"].items():
            profile = json.loads(text)
            name = f"profile {key}"
            check_profile_schema(profile, name)
            check(profile.get("listenerPath") == sock, f"{name}: listenerPath is the DaemonSet's socket")
            meta = dict(l.split("=", 1) for l in profile.get("listenerMetadata", "").splitlines())
            r = run([UNOTIFYCTL, "export-oci", "-p", pdir, "-s", sock, meta.get("policy", "?")])
            check(r.returncode == 0, f"{name}: export-oci {meta.get('policy')}: {r.stderr.strip()}")
            exported = json.loads(r.stdout) if r.returncode == 0 else {}
            if platform.machine() != "x86_64":
                exported.pop("architectures", None)
                profile.pop("architectures", None)
            check(exported == profile, f"{name} is what export-oci makes of the policies now (digest included)")

        # The daemon with the DaemonSet's own arguments, paths moved to tmp.
        moved = {sock: os.path.join(tmp, "run", "handoff.sock"), control: os.path.join(tmp, "run", "control.sock"),
                 policy_dir: pdir, opts["--metrics-listen"]: "127.0.0.1:0"}
        args = [a.split("=", 1)[0] + "=" + moved.get(a.split("=", 1)[1], a.split("=", 1)[1]) for a in daemon["args"]]
        r = run([UNOTIFYD, "-t"] + args)
        check(r.returncode == 0, f"unotifyd takes the DaemonSet's arguments: {shlex.join(args)} {r.stderr.strip()}")
        log = open(os.path.join(tmp, "daemon.log"), "w")
        d = subprocess.Popen([UNOTIFYD] + args, stderr=log, env=dict(os.environ, NOTIFY_SOCKET=""))
        probe_cmd = [UNOTIFYCTL if "unotifyctl" in probe[0] else probe[0]] + \
            [moved.get(a, a) for a in probe[1:]]
        ok = False
        for _ in range(100):
            if run(probe_cmd).returncode == 0:
                ok = True
                break
            time.sleep(0.05)
        check(ok, "the liveness command succeeds against the running daemon")
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=10)
        r = run(probe_cmd)
        check(r.returncode != 0, f"the liveness command fails once the daemon is gone ({r.returncode})")

    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

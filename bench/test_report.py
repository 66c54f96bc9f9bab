"""Checks a benchmarks.md and benchmarks.json written by test_report.sh's run."""
import json
import re
import sys


def sections(md):
    """{heading: body} of the markdown's ## sections."""
    parts = re.split(r"^## (.*)$", md, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def main(md_path, json_path):
    md = open(md_path, encoding="utf-8").read()
    js = json.load(open(json_path, encoding="utf-8"))
    s = sections(md)
    landlock = s["Landlock: a path deny in the kernel vs through the daemon"]
    emulate = s["Handlers for unprivileged containers: sysinfo, sched, mount, xattr"]
    general_ratios, general = s["Ratios"], s["All configurations"]

    # Each section: what is measured, its ratio (both sides ran), its configurations.
    assert landlock.lstrip().startswith("One thread calls `openat(2)`"), landlock
    assert "| openat denied by Landlock / a failed openat, unsandboxed |" in landlock
    assert "unotifyd / Landlock" not in md  # its daemon side did not run
    assert "| openat of a missing file, unsandboxed (ENOENT) |" in landlock
    assert "| openat denied by Landlock (EACCES), no daemon, no filter |" in landlock
    assert emulate.lstrip().startswith("One thread calls, in a loop: `sysinfo(2)`"), emulate
    assert "| sysinfo, no filter |" in emulate and "| sysinfo, unotifyd, CONTINUE |" in emulate
    assert "| comparison |" not in emulate  # no ratio of the group had both sides

    # The general tables hold the rest, and only the rest.
    assert "| 1 target, CONTINUE: unotifyd / reference + SYNC_WAKE_UP |" in general_ratios
    assert "Landlock" not in general_ratios
    assert "| no filter |" in general and "| unotifyd, CONTINUE |" in general
    assert "openat of a missing file" not in general and "sysinfo" not in general

    # JSON: a member per section, with its ratios; all configurations in "configs".
    assert [r["name"] for r in js["landlock"]["ratios"]] == [
        "openat denied by Landlock / a failed openat, unsandboxed"
    ], js["landlock"]
    assert js["landlock"]["ratios"][0]["value"] > 0
    assert js["emulate"] == {"ratios": []}, js["emulate"]
    assert [r["name"] for r in js["ratios"]] == [
        "1 target, CONTINUE: unotifyd / reference + SYNC_WAKE_UP"
    ], js["ratios"]
    keys = {c["key"] for c in js["configs"]}
    assert {"landlock-none", "landlock-kernel", "sysinfo-native", "nofilter"} <= keys, keys
    print("ok: sections", ", ".join(s))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

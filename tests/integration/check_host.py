#!/usr/bin/env python3
"""Runs the built gopreflight-check on this host and compares each reading it reports with an
independent read: `sysctl -n`, files read here, /proc/meminfo, adjtimex(2) through ctypes, and
resource.getrlimit() in a child started with the same limits as the binary.

Usage: check_host.py PATH/TO/gopreflight-check
"""
import ctypes
import ctypes.util
import json
import os
import re
import resource
import subprocess
import sys

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/cmd/gopreflight-check"
failures = []
compared = 0


def expect(cond, what):
    global compared
    compared += 1
    if not cond:
        failures.append(what)
        print("MISMATCH:", what)


def run_check(preexec=None, extra=()):
    p = subprocess.run([BIN, "--output", "json", "--termination-log", "/dev/null", *extra],
                       capture_output=True, text=True, timeout=60, preexec_fn=preexec)
    if p.returncode not in (0, 1):
        sys.exit(f"gopreflight-check exited {p.returncode}: {p.stderr.strip()}")
    doc = json.loads(p.stdout)
    by_id = {c["id"]: c for c in doc["checks"]}
    return p.returncode, doc, by_id


def raw_of(observed):
    """The raw value in front of " (path)"."""
    return re.sub(r" \((/[^)]*)\)$", "", observed)


def sysctl_n(name):
    p = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True)
    return p.returncode, " ".join(p.stdout.split())


def read(path):
    with open(path) as f:
        return f.read().strip()


# ---- 1. a run with this process's own limits --------------------------------------------------
rc, doc, checks = run_check()
statuses = {"pass", "warn", "fail", "skip", "error"}
for c in doc["checks"]:
    for k in ("id", "status", "severity", "observed", "expected", "message", "remediation"):
        expect(k in c, f"{c.get('id')}: key {k} missing")
    expect(c["status"] in statuses, f"{c['id']}: status {c['status']}")
    if c["status"] in ("warn", "fail"):
        expect(c["remediation"] != "", f"{c['id']}: {c['status']} without remediation")
for s in statuses:
    n = sum(1 for c in doc["checks"] if c["status"] == s)
    expect(doc["summary"].get(s) == n, f"summary.{s} = {doc['summary'].get(s)}, counted {n}")
expect(rc == (1 if any(c["status"] == "fail" for c in doc["checks"]) else 0),
       f"exit code {rc} does not match the fail results")

# sysctl.* and kernel.* against `sysctl -n`
names = [c["id"][len("sysctl."):] for c in doc["checks"] if c["id"].startswith("sysctl.")]
expect(len(names) == 13, f"13 sysctl.* checks expected, got {len(names)}")
for name in names:
    c = checks["sysctl." + name]
    code, value = sysctl_n(name)
    if c["status"] == "skip":
        expect(code != 0, f"{name}: skipped but `sysctl -n` reads {value!r}")
        continue
    expect(code == 0, f"{name}: `sysctl -n` failed but the check says {c['status']}")
    expect(raw_of(c["observed"]) == value, f"{name}: observed {c['observed']!r}, sysctl -n {value!r}")
    expect(c["observed"].endswith("(/proc/sys/" + name.replace(".", "/") + ")"),
           f"{name}: observed does not name its file: {c['observed']!r}")
for cid, name in (("kernel.pid_max", "kernel.pid_max"), ("kernel.threads_max", "kernel.threads-max")):
    expect(raw_of(checks[cid]["observed"]) == sysctl_n(name)[1],
           f"{cid}: observed {checks[cid]['observed']!r}, sysctl -n {sysctl_n(name)[1]!r}")

# conntrack.usage: the max half of "count (path) / max (path)"
ct = checks["conntrack.usage"]
if ct["status"] != "skip":
    m = re.search(r"/ (\d+) \(", ct["observed"])
    expect(m and m.group(1) == sysctl_n("net.netfilter.nf_conntrack_max")[1],
           f"conntrack.usage: observed {ct['observed']!r}")

# THP and clocksource files read directly
thp = "/sys/kernel/mm/transparent_hugepage/"
if os.path.exists(thp + "enabled"):
    for cid, f in (("thp.enabled", "enabled"), ("thp.defrag", "defrag"),
                   ("thp.max_ptes_none", "khugepaged/max_ptes_none")):
        if checks[cid]["status"] == "skip":
            expect(f != "enabled" and "[never]" in read(thp + "enabled"), f"{cid}: skipped with THP on")
            continue
        expect(raw_of(checks[cid]["observed"]) == read(thp + f),
               f"{cid}: observed {checks[cid]['observed']!r}, file {read(thp + f)!r}")
    mode = re.search(r"\[(\w+)\]", read(thp + "enabled")).group(1)
    expect((checks["thp.enabled"]["status"] == "pass") == (mode in ("madvise", "never")),
           f"thp.enabled is {checks['thp.enabled']['status']} with mode {mode}")
else:
    expect(checks["thp.enabled"]["status"] == "skip", "thp.enabled: no THP files but not skipped")
cs = read("/sys/devices/system/clocksource/clocksource0/current_clocksource")
expect(checks["clock.source"]["observed"].startswith(cs + " ("),
       f"clock.source: observed {checks['clock.source']['observed']!r}, file {cs!r}")

# swap: no swap areas <=> SwapTotal 0 in /proc/meminfo
swap_total = int(re.search(r"SwapTotal:\s+(\d+)", read("/proc/meminfo")).group(1))
expect((checks["swap"]["status"] == "pass") == (swap_total == 0),
       f"swap: {checks['swap']['status']} with SwapTotal {swap_total} kB")


# clock.sync against adjtimex(2) with modes = 0 through ctypes
class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long),
                ("tolerance", ctypes.c_long), ("time_sec", ctypes.c_long),
                ("time_usec", ctypes.c_long), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("pad", ctypes.c_int * 11)]


libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
tx = Timex()
state = libc.adjtimex(ctypes.byref(tx))
synced = state != 5 and tx.maxerror < 16000000
names_state = {0: "TIME_OK", 1: "TIME_INS", 2: "TIME_DEL", 3: "TIME_OOP", 4: "TIME_WAIT", 5: "TIME_ERROR"}
cs_obs = checks["clock.sync"]["observed"]
expect(f"state={names_state.get(state, state)} " in cs_obs, f"clock.sync: observed {cs_obs!r}, state {state}")
expect((checks["clock.sync"]["status"] == "pass") == synced,
       f"clock.sync: {checks['clock.sync']['status']} but adjtimex says synced={synced}")


# ---- 2. runs with limits set for the child ----------------------------------------------------
def limits_of(row, observed):
    m = re.match(r"soft (\S+), hard (\S+) \(/proc/self/limits \"" + row + "\"\\)$", observed)
    return (m.group(1), m.group(2)) if m else None


def fmt(v):
    return "unlimited" if v == resource.RLIM_INFINITY else str(v)


def clamp(v, hard):
    return v if hard == resource.RLIM_INFINITY else min(v, hard)


_, nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_, nproc_hard = resource.getrlimit(resource.RLIMIT_NPROC)
_, as_hard = resource.getrlimit(resource.RLIMIT_AS)
want = {
    resource.RLIMIT_NOFILE: (clamp(1000, nofile_hard), clamp(2000, nofile_hard)),
    resource.RLIMIT_NPROC: (clamp(500, nproc_hard), nproc_hard),
    resource.RLIMIT_AS: (clamp(64 << 30, as_hard), as_hard),
}


def set_limits():
    for res, (soft, hard) in want.items():
        resource.setrlimit(res, (soft, hard))


# What python's resource module sees in a child started exactly like the binary.
probe = subprocess.run([sys.executable, "-c",
                        "import resource as r\n"
                        "for n in ('RLIMIT_NOFILE','RLIMIT_NPROC','RLIMIT_AS'):\n"
                        "  print(*r.getrlimit(getattr(r,n)))"],
                       capture_output=True, text=True, preexec_fn=set_limits, check=True)
seen = [tuple(int(x) for x in line.split()) for line in probe.stdout.splitlines()]
rc2, _, limited = run_check(preexec=set_limits)
for (cid, row), got in zip((("rlimit.nofile", "Max open files"), ("rlimit.nproc", "Max processes"),
                            ("rlimit.as", "Max address space")), seen):
    obs = limits_of(row, limited[cid]["observed"])
    expect(obs == (fmt(got[0]), fmt(got[1])),
           f"{cid}: observed {limited[cid]['observed']!r}, resource.getrlimit in the child {got}")
expect(limited["rlimit.nofile"]["status"] == "fail", "rlimit.nofile: hard 2000 must fail")
expect(limited["rlimit.nproc"]["status"] == ("warn" if want[resource.RLIMIT_NPROC][0] < 10000 else "pass"),
       f"rlimit.nproc: {limited['rlimit.nproc']['status']}")
expect(limited["rlimit.as"]["status"] == "fail", "rlimit.as: a finite RLIMIT_AS must fail")
expect(rc2 == 1, f"exit code {rc2} with failing rlimits, expected 1")

# The default run read the same limits as this process (the child inherits them).
for cid, res in (("rlimit.nofile", resource.RLIMIT_NOFILE), ("rlimit.nproc", resource.RLIMIT_NPROC),
                 ("rlimit.as", resource.RLIMIT_AS)):
    soft, hard = resource.getrlimit(res)
    row = {"rlimit.nofile": "Max open files", "rlimit.nproc": "Max processes",
           "rlimit.as": "Max address space"}[cid]
    expect(limits_of(row, checks[cid]["observed"]) == (fmt(soft), fmt(hard)),
           f"{cid}: observed {checks[cid]['observed']!r}, getrlimit {soft, hard}")

# ---- 3. the same binary on fixture trees: flags, config and exit codes reach the checks ---------
import tempfile  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def run_fixture(procfs, sysfs, only, *extra):
    p = subprocess.run([BIN, "--path.procfs", os.path.join(FIX, procfs), "--path.sysfs",
                        os.path.join(FIX, sysfs), "--only", only, "--output", "json",
                        "--termination-log", "/dev/null", *extra],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, {c["id"]: c for c in json.loads(p.stdout)["checks"]} if p.stdout else {}


sysctl_ids = ",".join("sysctl." + n for n in names)
code, got = run_fixture("sysctl/tuned/proc", "thp/madvise/sys", sysctl_ids + ",swap,thp.enabled")
expect(code == 0 and all(c["status"] == "pass" for c in got.values()) and len(got) == 15,
       f"tuned fixtures: exit {code}, {[(k, c['status']) for k, c in got.items() if c['status'] != 'pass']}")
code, got = run_fixture("sysctl/defaults/proc", "thp/always/sys", "sysctl.vm.swappiness,thp.enabled")
expect(code == 0 and got["sysctl.vm.swappiness"]["status"] == "warn"
       and got["thp.enabled"]["status"] == "warn", f"defaults fixtures: exit {code}")
code, _ = run_fixture("sysctl/defaults/proc", "thp/always/sys", "sysctl.vm.swappiness", "--strict")
expect(code == 1, f"--strict with a warning: exit {code}, expected 1")
code, got = run_fixture("sysctl/defaults/proc", "thp/always/sys", "conntrack.usage")
expect(code == 1 and got["conntrack.usage"]["status"] == "fail", f"conntrack 95%: exit {code}")
with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
    cfg.write("checks:\n  sysctl.vm.swappiness: {severity: critical}\n"
              "  sysctl.net.core.somaxconn: {min: 4096}\n")
    cfg.flush()
    code, got = run_fixture("sysctl/defaults/proc", "thp/always/sys",
                            "sysctl.vm.swappiness,sysctl.net.core.somaxconn", "--config", cfg.name)
    expect(code == 1 and got["sysctl.vm.swappiness"]["status"] == "fail"
           and got["sysctl.net.core.somaxconn"]["status"] == "pass",
           f"config severity/threshold: exit {code}, {[(k, c['status']) for k, c in got.items()]}")
code, got = run_fixture("sysctl/garbage/proc", "thp/garbage/sys", "sysctl.vm.swappiness,thp.enabled")
expect(code == 0 and all(c["status"] == "error" for c in got.values()),
       f"garbage fixtures must be errors: exit {code}, {[(k, c['status']) for k, c in got.items()]}")

print(f"check_host: {compared} comparisons, {len(failures)} mismatches "
      f"({len(doc['checks'])} checks, exit code {rc})")
sys.exit(1 if failures else 0)

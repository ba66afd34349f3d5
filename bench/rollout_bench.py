#!/usr/bin/env python3
"""Rollout benchmarks (issue 4), printed as medians over several rounds.

1. The pilot lab: `pilot apply` (diff, push, verify) of each stage in the order an engineer takes them,
   ipv4 -> dual-stack -> ipv6-mostly -> ipv6-only -> rollback to dual-stack, each measured from the
   command's start to its exit, verification pack included. Target: 20 s or less each.
2. A generated lab of 50 FRR routers (a tree below `core`, two operators, two segments per router, the
   data-centre services) brought up as a real lab: `pilot diff` and `pilot apply` of dual-stack from
   the routers' empty configuration, with 20 workers, verification included. Target: the apply in 60 s
   or less. Peak memory is the largest resident set among pilot and the processes it waited for
   (ansible-playbook's workers included).

Each part runs its own lab (`bench-pilot`, `bench-gen50`) with its own inventory and journal under a
temporary directory, so a lab you are using is not touched.

Run as root from the repository: .venv/bin/python bench/rollout_bench.py [--rounds 3] [--part pilot|generated]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The pilot beside the Python running the bench (.venv/bin/python: .venv/bin/pilot), so a git worktree run
# with the shared venv and PYTHONPATH=src benchmarks its own sources.
PILOT = str(Path(sys.executable).parent / "pilot")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from province import generate  # noqa: E402

PROGRESSION = [
    ("apply", "ipv4"),
    ("apply", "dual-stack"),
    ("apply", "ipv6-mostly"),
    ("apply", "ipv6-only"),
    ("rollback", "dual-stack"),
]


def pilot(*args: str, env: dict[str, str] | None = None, check: bool = True) -> tuple[float, int, str]:
    """Run pilot; (wall seconds, peak RSS in MB of pilot or any process it waited for, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen([PILOT, *args], cwd=ROOT, stdout=out, stderr=err, text=True, env=env)
        # wait4's ru_maxrss: the largest resident set of the child or of any descendant it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if check and proc.returncode != 0:
        sys.exit(f"bench: pilot {' '.join(args)} failed (exit {proc.returncode}): {(stderr or stdout).strip()[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, stdout


def lab_up(topology: Path, name: str) -> None:
    pilot("lab", "down", "--name", name, "--force", check=False)
    pilot("lab", "up", "-t", str(topology), "--name", name)


def pilot_part(rounds: int, work: Path) -> None:
    lab = "bench-pilot"
    inventory = work / "pilot-inventory"
    env = {**os.environ, "PILOT_JOURNAL": str(work / "pilot-journal.sqlite")}
    print(f"pilot lab: {rounds} rounds of {' -> '.join(f'{c} {s}' for c, s in PROGRESSION)}", flush=True)
    lab_up(ROOT / "containerlab.yml", lab)
    try:
        pilot("lab", "inventory", "--name", lab, "--out", str(inventory))
        times: dict[str, list[float]] = {f"{c} {s}": [] for c, s in PROGRESSION}
        engine: dict[str, list[float]] = {k: [] for k in times}
        for n in range(rounds):
            for command, stage in PROGRESSION:
                flag = "--to" if command == "rollback" else "--stage"
                seconds, _, out = pilot(command, flag, stage, "--yes", "--json", "-I", str(inventory), env=env)
                report = json.loads(out)
                checks = report["checks"]
                passed = sum(1 for c in checks if c["passed"])
                key = f"{command} {stage}"
                times[key].append(seconds)
                engine[key].append(report["seconds"])
                print(
                    f"  round {n + 1}: {key:22} {seconds:5.1f} s  ({report['state']}, "
                    f"{sum(1 for d in report['devices'] if d['push'] == 'pushed')} devices changed, "
                    f"{passed}/{len(checks)} checks passed)",
                    flush=True,
                )
        print("\npilot lab, apply + verify per stage (median; target 20 s or less)")
        print(f"  {'stage':22} {'median':>8} {'min':>6} {'max':>6}   (pilot's own count, median)")
        for key, values in times.items():
            print(
                f"  {key:22} {statistics.median(values):6.1f} s {min(values):5.1f} {max(values):5.1f}   "
                f"({statistics.median(engine[key]):.1f} s)"
            )
    finally:
        pilot("lab", "down", "--name", lab, "--force", check=False)


def phases(journal: Path, run_id: int) -> list[str]:
    """Where the run spent its time: the phases and per-transport timings pilot logged for it."""
    from pilot.journal import Journal

    with Journal.open(journal) as j:
        return [text.strip() for _, text in j.events(run_id) if "(at " in text or "by transport" in text]


def generated_part(rounds: int, work: Path, routers: int, workers: int) -> None:
    lab = "bench-gen50"
    out = work / "generated"
    # `routers` FRR routers in all: core and the tree below it, plus the two operators.
    topology, intent = generate(out, routers=routers - 2, segments=2 * (routers - 2), fast_ospf=True)
    record = out / "addresses.yml"
    inventory = work / "generated-inventory"
    env = {**os.environ, "PILOT_JOURNAL": str(work / "generated-journal.sqlite")}
    pilot("addresses", "-t", str(topology), "-i", str(intent), "-r", str(record), "--json")
    frr = routers
    print(f"\ngenerated lab: {frr} FRR routers, {workers} workers, {rounds} rounds", flush=True)
    diffs, applies, peaks = [], [], []
    for n in range(rounds):
        start = time.monotonic()
        lab_up(topology, lab)
        up = time.monotonic() - start
        try:
            pilot(
                "lab", "inventory", "--name", lab, "--out", str(inventory), "-t", str(topology),
                "-i", str(intent), "-r", str(record),
            )  # fmt: skip
            common = ["--stage", "dual-stack", "-I", str(inventory), "--workers", str(workers), "--json"]
            d_seconds, d_peak, d_out = pilot("diff", *common, env=env)
            a_seconds, a_peak, a_out = pilot("apply", *common, "--yes", env=env)
        finally:
            pilot("lab", "down", "--name", lab, "--force", check=False)
        diff, apply = json.loads(d_out), json.loads(a_out)
        checks = apply["checks"]
        passed = sum(1 for c in checks if c["passed"])
        changed = sum(1 for d in apply["devices"] if d["push"] == "pushed")
        print(
            f"  round {n + 1}: lab up {up:4.1f} s; diff {d_seconds:5.1f} s ({len(diff['devices'])} devices); "
            f"apply {a_seconds:5.1f} s ({apply['state']}, {changed} devices changed, {passed}/{len(checks)} checks "
            f"passed); peak RSS {max(d_peak, a_peak)} MB",
            flush=True,
        )
        for line in phases(work / "generated-journal.sqlite", apply["run_id"]):
            print(f"      {line}")
        diffs.append(d_seconds)
        applies.append(a_seconds)
        peaks.append(max(d_peak, a_peak))
    print(f"\ngenerated lab of {frr} FRR routers, {workers} workers (median of {rounds})")
    print(f"  diff  dual-stack   {statistics.median(diffs):6.1f} s")
    print(f"  apply dual-stack   {statistics.median(applies):6.1f} s   (target 60 s or less; verification included)")
    print(f"  peak memory        {max(peaks):6d} MB  (largest resident set: pilot or a process it ran)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part", choices=["pilot", "generated", "both"], default="both")
    parser.add_argument("--routers", type=int, default=50, help="FRR routers in the generated lab")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (the labs are real namespaces)")
    with tempfile.TemporaryDirectory(prefix="pilot-rollout-bench-") as tmp:
        work = Path(tmp)
        if args.part in ("pilot", "both"):
            pilot_part(args.rounds, work)
        if args.part in ("generated", "both"):
            generated_part(args.rounds, work, args.routers, args.workers)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Render benchmarks (issue 3): `pilot render` of all four stages, end to end (a fresh `pilot` process
each time: start-up, reading the inputs, planning, rendering, writing), median of several runs, with
the process's peak memory (max RSS).

- the pilot (containerlab.yml + inventory/), with the tools' validators (as root) and without;
- a generated province of 1,000 routers and 5,000 segments (bench/province.py), without validators
  (running vtysh -C a thousand times measures vtysh, not pilot). Target: 10 s or less per stage.

Run from the repository: .venv/bin/python bench/render_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from province import generate

ROOT = Path(__file__).resolve().parent.parent
PILOT = str(ROOT / ".venv" / "bin" / "pilot")
STAGES = ["ipv4", "dual-stack", "ipv6-mostly", "ipv6-only"]


def timed(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one run of `argv`."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a full pipe would stall the child
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.exit(f"bench: {' '.join(argv)} failed: {errors.read().decode().strip()}")
    return elapsed, usage.ru_maxrss / 1024


def series(label: str, argv_for: dict[str, list[str]], runs: int) -> None:
    for stage, argv in argv_for.items():
        results = [timed(argv) for _ in range(runs)]
        seconds = statistics.median(r[0] for r in results)
        peak = max(r[1] for r in results)
        print(
            f"  {label:34} {stage:12} median {seconds:6.2f} s  (min {min(r[0] for r in results):.2f})  peak RSS {peak:6.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--segments", type=int, default=5000)
    args = parser.parse_args()
    print(f"pilot render, {os.cpu_count()} CPUs, median of {args.runs} runs per line")
    with tempfile.TemporaryDirectory(prefix="pilot-bench-") as tmp:
        out = Path(tmp) / "out"
        print("the pilot (18 devices):")
        series(
            "without validators",
            {s: [PILOT, "render", "-s", s, "-o", str(out), "--no-validate"] for s in STAGES},
            args.runs,
        )
        if os.geteuid() == 0:
            series(
                "with the tools' validators", {s: [PILOT, "render", "-s", s, "-o", str(out)] for s in STAGES}, args.runs
            )
        else:
            print("  (validators skipped: they need root)")
        topo, intent = generate(Path(tmp) / "province", args.routers, args.segments)
        record = Path(tmp) / "province" / "addresses.yml"
        subprocess.run(
            [PILOT, "addresses", "-t", str(topo), "-i", str(intent), "-r", str(record), "--json"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        common = ["-t", str(topo), "-i", str(intent), "-r", str(record), "--no-validate"]
        print(f"a generated province ({args.routers} routers, {args.segments} segments); target <= 10 s per stage:")
        series(
            "without validators",
            {s: [PILOT, "render", "-s", s, "-o", str(out / "province"), *common] for s in STAGES},
            args.runs,
        )
        files = sum(1 for p in (out / "province").rglob("*") if p.is_file())
        print(f"  ({files} files written per stage)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Lab benchmarks for the pilot topology (issue 2), printed as medians over several runs.

- `pilot lab up` until every node's sshd answers (the command returns only then; each sshd is also
  checked again afterwards, outside the timing). Target: 3 s or less.
- `pilot lab down`. Target: 2 s or less.
- Memory of 10 pilot labs side by side: the lab's own overhead per node beside its daemons (sshd, FRR).
  Target: 2 MB or less per node. Two figures: the PSS of the lab's own processes (the node holders), and
  the whole machine's used-memory growth minus the daemons' PSS (kernel namespaces, veths, mounts, files).

Run as root from the repository: .venv/bin/python bench/lab_bench.py [--runs 5] [--labs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PILOT = [str(ROOT / ".venv" / "bin" / "pilot")]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*PILOT, *args], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"bench: pilot {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def status(lab: str) -> dict:
    return json.loads(run("lab", "status", "--name", lab, "--json").stdout)[0]


def sshd_answers(address: str) -> bool:
    with socket.create_connection((address, 22), timeout=2) as sock:
        return sock.recv(8).startswith(b"SSH-")


def meminfo() -> dict[str, int]:
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":")
        out[key] = int(value.split()[0])
    return out


def used_kb() -> int:
    info = meminfo()
    return info["MemTotal"] - info["MemAvailable"]


def process_kb(pid: int) -> tuple[int, int]:
    """(PSS, kernel memory of the process: page tables and 16 KB of kernel stack per thread) in KB."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return (0, 0)
    pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    fields = {line.split(":")[0]: [*line.split(), "0"][1] for line in status.splitlines() if ":" in line}
    kernel = int(fields.get("VmPTE", "0")) + 16 * int(fields.get("Threads", "1"))
    return pss, kernel


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def drop_caches() -> None:
    subprocess.run(["sync"], check=False)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def timing(runs: int) -> tuple[list[float], list[float]]:
    ups, downs = [], []
    for i in range(runs):
        lab = f"bench{i}"
        t0 = time.monotonic()
        run("lab", "up", "--name", lab)
        ups.append(time.monotonic() - t0)
        data = status(lab)
        assert all(sshd_answers(n["mgmt_ipv6"]) for n in data["nodes"]), "an sshd did not answer"
        t0 = time.monotonic()
        run("lab", "down", "--name", lab)
        downs.append(time.monotonic() - t0)
        print(f"  run {i + 1}: up {ups[-1]:.2f} s, down {downs[-1]:.2f} s", flush=True)
    return ups, downs


def memory(labs: int) -> None:
    drop_caches()
    before = used_kb()
    names = [f"mem{i}" for i in range(labs)]
    try:
        for name in names:
            run("lab", "up", "--name", name)
        drop_caches()
        after = used_kb()
        holders = daemons = nodes = 0
        for name in names:
            for node in status(name)["nodes"]:
                nodes += 1
                own = [node["pid"], *[c for c in children(node["pid"]) if _comm(c) == "sleep"]]
                holders += sum(sum(process_kb(pid)) for pid in own)
                daemons += sum(sum(process_kb(d["pid"])) for d in node["daemons"])
        grown = after - before
        kernel = grown - holders - daemons  # namespaces, veths, bridges, mounts, sysfs, slab
        print(
            f"memory, {labs} pilot labs side by side ({nodes} nodes), machine's used memory grew {grown / 1024:.0f} MB:"
        )
        print(
            f"  daemons (sshd everywhere, FRR on routers), PSS + page tables + kernel stacks: "
            f"{daemons / nodes / 1024:.2f} MB per node"
        )
        print(f"  lab's own processes (holder, its sleep), likewise: {holders / nodes / 1024:.2f} MB per node")
        print(
            f"  kernel objects of the lab (namespaces, veths, bridges, mounts): {kernel / nodes / 1024:.2f} MB per node"
        )
        print(
            f"  lab's own overhead beside its daemons: {(holders + kernel) / nodes / 1024:.2f} MB per node"
            " (target <= 2 MB)"
        )
    finally:
        for name in names:
            subprocess.run([*PILOT, "lab", "down", "--name", name, "--force"], capture_output=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--labs", type=int, default=10)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root")
    print(f"pilot topology (containerlab.yml), {os.cpu_count()} CPUs, {args.runs} runs")
    ups, downs = timing(args.runs)
    print(
        f"lab up until every sshd answers: median {statistics.median(ups):.2f} s "
        f"(min {min(ups):.2f}, max {max(ups):.2f}); target <= 3 s"
    )
    print(
        f"lab down: median {statistics.median(downs):.2f} s (min {min(downs):.2f}, max {max(downs):.2f}); target <= 2 s"
    )
    memory(args.labs)


if __name__ == "__main__":
    main()

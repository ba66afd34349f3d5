#!/usr/bin/env python3
"""Site-by-site benchmark (the stage map's issue), printed as medians over several rounds.

A generated lab of 50 FRR routers (`core`, a tree of 47 routers below it, the two operators) and 100
sites, each of one or two user segments hanging off one router of the tree (bench/province.py with
`sites=`), is brought up as a real lab and the whole province applied at dual-stack (timed on its own).
Then, each round, ten sites move to ipv6-only and back:

1. `pilot diff --stage ipv6-only --site ...` compares every device of the inventory; the bench checks
   that the only devices that differ are the routers serving the ten sites and the shared ones (`core`
   and the province's services: NAT64/DNS64 come with the first site at ipv6-mostly or later, and DHCP
   drops the sites' DHCPv4), and that every other device shows no change.
2. `pilot apply --stage ipv6-only --site ... --yes` (push and verification of every site) is timed from
   the command's start to its exit: target 60 s or less. It must end `applied`.
3. `pilot rollback --to dual-stack --site ... --yes` puts the ten sites back (timed on its own), so each
   round starts from the same state.

The lab (`bench-sites50`) has its own inventory and journal under a temporary directory, so a lab you
are using is not touched; it is taken down at the end whatever happens.

Run as root from the repository: .venv/bin/python bench/sites_bench.py [--rounds 3] [--move 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Collection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from province import generate, serving_router
from rollout_bench import lab_up, phases, pilot

LAB = "bench-sites50"
TARGET = 60.0


def check_diff(report: dict, moved: list[str], routers: dict[str, str], shared: set[str]) -> tuple[bool, str]:
    """Whether only the moved sites' routers and the shared devices differ; a one-line account."""
    compared = [d["name"] for d in report["devices"]]
    differ = {d["name"] for d in report["devices"] if d["diff"]}
    serving = {routers[s] for s in moved}
    stray = sorted(differ - serving - shared)
    unchanged_serving = sorted(serving - differ)
    ok = not stray and not unchanged_serving
    text = (
        f"{len(compared)} devices compared, {len(differ)} differ: {len(differ & serving)} of the {len(serving)} "
        f"routers serving the moved sites, shared: {', '.join(sorted(differ & shared)) or 'none'}; "
        f"{len(compared) - len(differ)} show no change"
    )
    if stray:
        text += f"; FAIL: differ though they serve no moved site: {', '.join(stray)}"
    if unchanged_serving:
        text += f"; FAIL: serve a moved site yet show no change: {', '.join(unchanged_serving)}"
    return ok, text


def summary(report: dict, serving: Collection[str] = ()) -> str:
    """State, devices (those besides `serving` named, unchanged ones marked) and checks of a run."""
    checks = report["checks"]
    passed = sum(1 for c in checks if c["passed"])
    pushed = sum(1 for d in report["devices"] if d["push"] == "pushed")
    others = [d["name"] + ("" if d["push"] == "pushed" else f" ({d['push']})") for d in report["devices"]]
    others = [o for o in others if o.split(" ")[0] not in serving]
    named = f" ({len(serving)} serving the sites; {', '.join(others)})" if serving else ""
    return (
        f"{report['state']}, {len(report['devices'])} devices in the run{named}, {pushed} pushed, "
        f"{passed}/{len(checks)} checks passed"
    )


def run(rounds: int, work: Path, routers: int, sites: int, move: int, workers: int) -> bool:
    out = work / "generated"
    # `routers` FRR routers in all: core and the tree below it, plus the two operators.
    topology, intent = generate(out, routers=routers - 2, sites=sites, fast_ospf=True)
    record, inventory = out / "addresses.yml", work / "inventory"
    journal = work / "journal.sqlite"
    env = {**os.environ, "PILOT_JOURNAL": str(journal)}
    pilot("addresses", "-t", str(topology), "-i", str(intent), "-r", str(record), "--json")
    routers_of = serving_router(intent)
    moved = list(routers_of)[:move]  # agency00's sites: they still have IPv4, so the move changes them
    services = {"dns64", "nat64", "dhcp", "portal"}
    shared = services | {"core"}  # the services and the data centre's gateway: province-wide parts
    serving = {routers_of[s] for s in moved}
    site_args = [a for s in moved for a in ("--site", s)]
    common = ["-I", str(inventory), "--workers", str(workers), "--json"]
    print(
        f"generated lab: {routers} FRR routers, {len(routers_of)} sites; moving {len(moved)} of them "
        f"({', '.join(moved)}) to ipv6-only and back, {rounds} rounds, {workers} workers",
        flush=True,
    )
    ok = True
    start = time.monotonic()
    lab_up(topology, LAB)
    print(f"  lab up {time.monotonic() - start:.1f} s", flush=True)
    try:
        pilot(
            "lab", "inventory", "--name", LAB, "--out", str(inventory), "-t", str(topology),
            "-i", str(intent), "-r", str(record),
        )  # fmt: skip
        seconds, _, text = pilot("apply", "--stage", "dual-stack", "--yes", *common, env=env)
        report = json.loads(text)
        print(f"  apply dual-stack, the whole province: {seconds:.1f} s ({summary(report)})", flush=True)
        if report["state"] != "applied":
            print("bench: the province did not reach dual-stack", file=sys.stderr)
            return False
        diffs: list[float] = []
        applies: list[float] = []
        engine: list[float] = []
        rollbacks: list[float] = []
        for n in range(rounds):
            d_seconds, _, text = pilot("diff", "--stage", "ipv6-only", *site_args, *common, env=env)
            diff_ok, account = check_diff(json.loads(text), moved, routers_of, shared)
            ok &= diff_ok
            print(f"  round {n + 1}: diff {d_seconds:5.1f} s: {account}", flush=True)
            a_seconds, _, text = pilot(
                "apply", "--stage", "ipv6-only", *site_args, "--yes", *common, env=env, check=False
            )
            report = json.loads(text)
            ok &= report["state"] == "applied"
            print(f"  round {n + 1}: apply + verify {a_seconds:5.1f} s ({summary(report, serving)})", flush=True)
            for line in phases(journal, report["run_id"]):  # the verify line names every site: cut it short
                print(f"      {line if len(line) <= 110 else line[:80] + ' ... ' + line[line.rfind('(at ') :]}")
            r_seconds, _, text = pilot("rollback", "--to", "dual-stack", *site_args, "--yes", *common, env=env)
            back = json.loads(text)
            ok &= back["state"] == "applied"
            print(f"  round {n + 1}: rollback {r_seconds:5.1f} s ({summary(back, serving)})", flush=True)
            diffs.append(d_seconds)
            applies.append(a_seconds)
            engine.append(report["seconds"])
            rollbacks.append(r_seconds)
    finally:
        pilot("lab", "down", "--name", LAB, "--force", check=False)
    apply_median = statistics.median(applies)
    print(f"\n{len(moved)} of {len(routers_of)} sites, {routers} FRR routers (median of {rounds})")
    print(f"  diff     ipv6-only --site x{len(moved)}   {statistics.median(diffs):6.1f} s")
    print(
        f"  apply    ipv6-only --site x{len(moved)}   {apply_median:6.1f} s   (pilot's own count "
        f"{statistics.median(engine):.1f} s; verification included; target {TARGET:.0f} s or less: "
        f"{'met' if apply_median <= TARGET else 'MISSED'})"
    )
    print(f"  rollback dual-stack --site x{len(moved)}  {statistics.median(rollbacks):6.1f} s")
    print(f"  diff check: {'only the moved sites and the shared devices differ' if ok else 'FAILED (see above)'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--routers", type=int, default=50, help="FRR routers in the generated lab")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--move", type=int, default=10, help="sites moved to ipv6-only each round")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (the lab is real namespaces)")
    with tempfile.TemporaryDirectory(prefix="pilot-sites-bench-") as tmp:
        if not run(args.rounds, Path(tmp), args.routers, args.sites, args.move, args.workers):
            sys.exit(1)


if __name__ == "__main__":
    main()

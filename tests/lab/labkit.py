"""Helpers for the lab tests: run the real command line, poll, and inspect what a lab left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pilot.lab import procs
from pilot.lab.paths import LabPaths

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGIES = Path(__file__).resolve().parent / "topologies"


def pilot(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "pilot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def lab_exec(lab: str, node: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return pilot("lab", "exec", "--name", lab, node, "--", *argv)


def status(lab: str) -> dict[str, Any]:
    result = pilot("lab", "status", "--name", lab, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)[0]
    return data


def eventually(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Bounded retries for convergence (link-local DAD, carrier): never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.1)


def footprint(lab: str) -> dict[str, Any]:
    """Everything of a lab visible from the root namespace: used to prove `down` leaves nothing."""
    paths = LabPaths(lab)
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    mounts = []
    for pid in procs.all_pids():
        try:
            text = Path(f"/proc/{pid}/mountinfo").read_text()
        except OSError:
            continue
        if str(paths.root) in text or f"/run/netns/{paths.bridge_netns}" in text:
            mounts.append(pid)
    return {
        "holders": procs.holders_of(lab),
        "marked": [p for p in procs.all_pids() if procs.alive(p) and procs.environ(p).get(procs.LAB_MARKER) == lab],
        "netns": (Path("/run/netns") / paths.bridge_netns).exists(),
        "root_link": f" {paths.root_ifname}:" in links or f" {paths.root_ifname}@" in links,
        "files": paths.root.exists(),
        "mounts": mounts,
    }


@contextmanager
def pilot_lab(work: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    """The pilot lab up under a unique name, with its inventory written to work/inventory: (name,
    inventory). Taken down afterwards, and checked to leave nothing behind."""
    name = unique(prefix)
    up = pilot("lab", "up", "--name", name)
    assert up.returncode == 0, up.stderr
    try:
        inventory = work / "inventory"
        written = pilot("lab", "inventory", "--name", name, "--out", str(inventory))
        assert written.returncode == 0, written.stderr
        yield name, inventory
    finally:
        down = pilot("lab", "down", "--name", name, "--force")
        assert down.returncode == 0, down.stderr
        assert_nothing_left(name)


def assert_nothing_left(lab: str) -> None:
    left = footprint(lab)
    assert left == {"holders": {}, "marked": [], "netns": False, "root_link": False, "files": False, "mounts": []}


def why(stdout: str) -> Any:
    """A failed run's report, reduced to what explains it: its state and detail, the failed checks and
    the devices that did not end well."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return stdout[-3000:]
    return {
        "state": report.get("state"),
        "detail": report.get("detail"),
        "failed": {
            c["name"]: c["observed"]
            for c in report.get("checks", []) + report.get("after_rollback", [])
            if not c["passed"]
        },
        "devices": {d["name"]: (d["push"], d["error"]) for d in report.get("devices", []) if d["error"]},
    }

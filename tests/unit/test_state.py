"""The lab record: atomic round trip, and stale detection that survives PID reuse."""

import os
import subprocess
import time
from pathlib import Path

from pilot.lab import procs
from pilot.lab.state import CREATING, RUNNING, LabState, NodeState, known_labs


def record(phase: str, owner: int, started: int | None, nodes: dict[str, NodeState] | None = None) -> LabState:
    return LabState("lab1", "namespace", "containerlab.yml", phase, owner, started, time.time(), nodes=nodes or {})


def test_round_trip_keeps_node_order(state_dir: Path) -> None:
    nodes = {n: NodeState(n, "client", "linux", "linux", f"clab-lab1-{n}") for n in ("zeta", "alpha", "mid")}
    record(RUNNING, os.getpid(), procs.start_time(os.getpid()), nodes).save()
    loaded = LabState.load("lab1")
    assert loaded is not None and list(loaded.nodes) == ["zeta", "alpha", "mid"]
    assert known_labs() == ["lab1"]
    assert not list((state_dir / "labs" / "lab1").glob("*.tmp"))


def test_creating_with_a_live_owner_is_not_stale(state_dir: Path) -> None:
    assert record(CREATING, os.getpid(), procs.start_time(os.getpid())).stale_reason() is None


def test_creating_with_a_dead_owner_is_stale(state_dir: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    reason = record(CREATING, dead.pid, None).stale_reason()
    assert reason is not None and "'lab up'" in reason


def test_a_reused_pid_is_not_our_holder(state_dir: Path) -> None:
    me = os.getpid()
    wrong_start = (procs.start_time(me) or 0) + 1  # same PID, another process's start time
    node = NodeState("pc1", "client", "linux", "linux", "x", pid=me, started=wrong_start)
    reason = record(RUNNING, me, procs.start_time(me), {"pc1": node}).stale_reason()
    assert reason is not None and "'pc1'" in reason
    assert procs.alive(me) and not procs.alive(me, wrong_start)

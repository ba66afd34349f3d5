"""Naming a lab on a real machine: `lab ssh` keeps a command's words, several labs up are never guessed
between, and `lab down` refuses while a run holds the lab's inventory (--force names the run it breaks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from labkit import TOPOLOGIES, assert_nothing_left, pilot, status, unique

from pilot.journal import RunLock

SMALL = str(TOPOLOGIES / "small.yml")


@pytest.fixture(scope="module")
def small_lab() -> Iterator[str]:
    name = unique("tn")
    up = pilot("lab", "up", "-t", SMALL, "--name", name)
    assert up.returncode == 0, up.stderr
    try:
        yield name
    finally:
        pilot("lab", "down", "--name", name, "--force")
        assert_nothing_left(name)


def test_lab_ssh_passes_the_same_arguments_as_lab_exec(small_lab: str) -> None:
    command = ["printf", "%s|", "a b", "c'd", "$HOME", "*", "", 'e"f']
    via_exec = pilot("lab", "exec", "--name", small_lab, "h1", "--", *command)
    via_ssh = pilot("lab", "ssh", "--name", small_lab, "h1", "--", *command)
    assert via_exec.returncode == 0 and via_ssh.returncode == 0, via_exec.stderr + via_ssh.stderr
    assert via_exec.stdout == "a b|c'd|$HOME|*||e\"f|"
    assert via_ssh.stdout == via_exec.stdout


def test_with_several_labs_up_nothing_is_guessed(small_lab: str) -> None:
    other = unique("tn")
    try:
        assert pilot("lab", "up", "-t", SMALL, "--name", other).returncode == 0
        for argv in (["lab", "exec", "h1", "--", "hostname"], ["lab", "ssh", "h1", "--", "hostname"], ["lab", "down"]):
            result = pilot(*argv)
            assert result.returncode == 2 and result.stdout == "", argv
            listed = result.stderr.split("several labs are up (")[1].split(")")[0].split(", ")
            assert {small_lab, other} <= set(listed), result.stderr
            assert "--name NAME" in result.stderr
        assert status(other)["state"] == "running" and status(small_lab)["state"] == "running"
    finally:
        down = pilot("lab", "down", "--name", other)
        assert down.returncode == 0, down.stderr
    assert_nothing_left(other)


def test_lab_names_the_inventory_from_any_directory(small_lab: str, tmp_path: Path) -> None:
    written = pilot("lab", "inventory", "--name", small_lab, "--json")  # at its default place in the checkout
    assert written.returncode == 0, written.stderr
    directory = Path(json.loads(written.stdout)["files"][0]).parent.resolve()
    try:
        env = {k: v for k, v in os.environ.items() if k != "PILOT_INVENTORY"}
        result = subprocess.run(
            [sys.executable, "-m", "pilot", "status", "--lab", small_lab, "--no-ask", "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["inventory"] == str(directory)
        assert sorted(d["device"] for d in json.loads(result.stdout)["devices"]) == ["h1", "r1", "r2"]
    finally:
        shutil.rmtree(directory)


def test_lab_down_refuses_while_a_run_holds_its_inventory(tmp_path: Path) -> None:
    name = unique("tn")
    inventory = tmp_path / "anywhere"
    try:
        assert pilot("lab", "up", "-t", SMALL, "--name", name).returncode == 0
        written = pilot("lab", "inventory", "--name", name, "--out", str(inventory))
        assert written.returncode == 0, written.stderr
        lock = RunLock(inventory, "apply", run_id=42).acquire()
        try:
            refused = pilot("lab", "down", "--name", name)
            assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
            assert f"lab '{name}' is in use: run 42 (apply)" in refused.stderr and str(inventory) in refused.stderr
            assert "--force" in refused.stderr
            assert status(name)["state"] == "running"  # nothing was taken down
            forced = pilot("lab", "down", "--name", name, "--force", "--json")
            assert forced.returncode == 0, forced.stderr
            assert f"lab '{name}': breaking run 42 (apply)" in forced.stderr
            assert json.loads(forced.stdout)[0]["broke"][0].startswith("run 42 (apply)")
        finally:
            lock.release()
        assert_nothing_left(name)
    finally:
        pilot("lab", "down", "--name", name, "--force")

"""A lab taken down under a running apply (issue 7, item 7): `lab down` refuses while the run holds the
lab's inventory, names the run it breaks with --force, and afterwards `status` marks every device the
run may have left mid-change as unknown, instead of trusting the journal's older stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from labkit import ROOT, assert_nothing_left, eventually, pilot, unique

from pilot.journal import Journal


def test_a_lab_taken_down_under_a_running_apply(tmp_path: Path) -> None:
    name = unique("tk")
    assert pilot("lab", "up", "--name", name).returncode == 0
    inventory = tmp_path / "inventory"
    env = {"PILOT_JOURNAL": str(tmp_path / "journal.sqlite"), "PILOT_CREDENTIALS": str(tmp_path / "none.yml")}
    apply: subprocess.Popen[str] | None = None
    try:
        written = pilot("lab", "inventory", "--name", name, "--out", str(inventory))
        assert written.returncode == 0, written.stderr
        apply = subprocess.Popen(
            [sys.executable, "-m", "pilot", "apply", "--stage", "dual-stack", "--yes", "--json", "-I", str(inventory)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def pushing() -> int | None:
            if not (tmp_path / "journal.sqlite").exists():
                return None
            with Journal.open(tmp_path / "journal.sqlite", read_only=True) as journal:
                runs = journal.runs(limit=1)
                if runs and runs[0].state == "running" and any(d.push == "pushed" for d in journal.devices(runs[0].id)):
                    return runs[0].id
            return None

        run = eventually(pushing, timeout=120, what="the apply pushing")
        refused = pilot("lab", "down", "--name", name)
        assert refused.returncode == 2, refused.stderr
        assert f"lab '{name}' is in use: run {run} (apply)" in refused.stderr and "--force" in refused.stderr
        forced = pilot("lab", "down", "--name", name, "--force")
        assert forced.returncode == 0, forced.stderr
        assert f"breaking run {run} (apply)" in forced.stderr
        out, err = apply.communicate(timeout=400)
        assert apply.returncode != 0
        report = json.loads(out) if out.strip().startswith("{") else None
        ended = report["state"] if report else err.strip().splitlines()[-1]
        assert report is None or report["state"] in ("rollback-failed", "interrupted"), ended
    finally:
        if apply is not None and apply.poll() is None:
            apply.kill()
        pilot("lab", "down", "--name", name, "--force")
        assert_nothing_left(name)
    status = pilot("status", "--no-ask", "--json", "-I", str(inventory), env=env)
    assert status.returncode == 0, status.stderr
    devices = {d["device"]: d["stage"] for d in json.loads(status.stdout)["devices"]}
    unknown = {n for n, stage in devices.items() if stage.startswith(f"unknown: run {run}")}
    # Every device the run pushed or was about to push is unknown; none is reported at a stage it never
    # reached.
    assert unknown and not [n for n, stage in devices.items() if stage == "dual-stack"], devices
    with Journal.open(tmp_path / "journal.sqlite", read_only=True) as journal:
        assert journal.get_run(run).state in ("rollback-failed", "interrupted")

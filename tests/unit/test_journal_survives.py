"""The journal survives what an operator's machine does to it (issue 7, item 6): a damaged page is found
before a run writes into it and refused in one line naming the copy to recover from; a copy is kept
before each changing run; the commands that only read work on a journal they cannot write; what cannot
be written is refused before anything is pushed; no command shows a traceback.

As root, "cannot write" is played by running pilot without the capabilities that let root ignore file
permissions (setpriv), so these tests mean the same as root and as an ordinary user.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockinv import passing_check, write_inventory
from pilot.drivers.mock import MockDriver
from pilot.errors import PilotError
from pilot.journal import Journal
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage
from testroot import PILOT_NODES, ROOT

NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "no-credentials.yml"))
    monkeypatch.delenv("PILOT_JOURNAL", raising=False)
    MockDriver.devices.clear()
    yield write_inventory(tmp_path / "inventory")
    for path in tmp_path.rglob("*"):  # give pytest back what the tests made read-only
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def apply(inventory: Path, stage: str = "ipv4") -> str:
    options = Options(yes=True, validate=False, checker=passing_check)
    return Rollout(load_inventory(inventory), options).apply(get_stage(stage)).state


def pushes() -> int:
    return sum(MockDriver.devices[n].pushes for n in PILOT_NODES if n in MockDriver.devices)


def pilot(*args: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    """`pilot ARGS` in a process of its own; `unprivileged`: one that file permissions apply to."""
    command = [sys.executable, "-m", "pilot", *args]
    if unprivileged and os.geteuid() == 0:
        command = [*NO_DAC, *command]
    import pilot as package

    source = Path(package.__file__).resolve().parents[1]  # the pilot under test, wherever it was imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("pilot: error: ") and "; fix: " in lines[0], lines[0]
    return lines[0]


def damage(journal: Path, table: str = "run_devices") -> None:
    """Overwrite half of a table's first page with garbage, as a failing disk (or the issue's reporter,
    with dd) would."""
    db = sqlite3.connect(journal)
    page = int(db.execute("PRAGMA page_size").fetchone()[0])
    root = int(db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0])
    db.close()
    with open(journal, "r+b") as f:
        f.seek((root - 1) * page + page // 2)
        f.write(b"\xff" * (page // 2 - 8))


# -- damage ---------------------------------------------------------------------------------------------
def test_a_damaged_journal_is_refused_before_any_push_naming_the_copy(inventory: Path) -> None:
    from pilot.journal.health import copies

    journal = inventory / "journal.sqlite"
    assert apply(inventory, "ipv4") == "applied"
    assert apply(inventory, "dual-stack") == "applied"  # its copy holds run 1
    before = pushes()
    damage(journal)
    with pytest.raises(PilotError) as info:
        apply(inventory, "ipv6-mostly")
    text = str(info.value)
    assert pushes() == before, "nothing may be pushed with a damaged journal"
    assert text.startswith(f"{journal}: the journal is damaged: ") and "\n" not in text
    newest = copies(journal)[0]
    assert f"cp {newest} {journal}" in text and "up to run 1" in text and f"mv {journal} {journal}.damaged" in text

    # The way out the line gives works: the copy is a sound journal holding the earlier runs.
    shutil.move(journal, f"{journal}.damaged")
    for suffix in ("-wal", "-shm"):
        Path(f"{journal}{suffix}").unlink(missing_ok=True)
    shutil.copy(newest, journal)
    with Journal.open(journal) as restored:
        assert [r.id for r in restored.runs()] == [1]
    assert apply(inventory, "dual-stack") == "applied"


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`pilot ARGV` in this process: (exit status, stderr)."""
    from pilot.cli import main

    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_show_on_a_damaged_journal_is_one_line(
    inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert apply(inventory) == "applied"
    damage(inventory / "journal.sqlite")
    code, err = run_main(monkeypatch, capsys, "show", "1", "--backups", "-I", str(inventory))
    assert code == 2 and err.count("\n") == 1 and err.startswith("pilot: error: "), err
    assert "the journal is damaged" in err and "database disk image is malformed" in err and "; fix: " in err


def test_a_copy_is_kept_before_each_changing_run_and_only_the_newest(inventory: Path) -> None:
    from pilot.journal.health import COPIES_KEPT, copies, copies_dir

    journal = inventory / "journal.sqlite"
    for stage in ("ipv4", "dual-stack", "ipv6-mostly", "ipv6-only", "ipv6-mostly", "dual-stack", "ipv4"):
        assert apply(inventory, stage) == "applied"
    kept = copies(journal)
    assert len(kept) == COPIES_KEPT and kept[0].parent == copies_dir(journal)
    assert [p.name for p in kept] == [f"upto-run-{n:06d}.sqlite" for n in (6, 5, 4, 3, 2)]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in kept)
    with Journal.open(kept[0], read_only=True) as copy:
        assert [r.id for r in copy.runs()] == [6, 5, 4, 3, 2, 1]


def test_a_copy_that_cannot_be_written_refuses_the_run(inventory: Path) -> None:
    from pilot.journal.health import copies_dir

    copies_dir(inventory / "journal.sqlite").write_text("a file where the copies go\n")
    with pytest.raises(PilotError, match=r"cannot keep a copy of the journal before the run: .*nothing was changed"):
        apply(inventory)
    assert pushes() == 0


# -- a journal pilot cannot write -------------------------------------------------------------------------
def leave_a_wal(journal: Path) -> None:
    """A writer killed before it could checkpoint: its last commit lives in the -wal file only."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        db = sqlite3.connect(journal, isolation_level=None)
        db.execute("UPDATE runs SET detail = 'only in the WAL' WHERE id = 1")
        os._exit(0)
    os.waitpid(child, 0)
    assert Path(f"{journal}-wal").stat().st_size > 0


def make_read_only(inventory: Path, how: str) -> None:
    journal = inventory / "journal.sqlite"
    if how == "file 0444":
        journal.chmod(0o444)
    elif how == "directory read-only":
        journal.parent.chmod(0o555)
    elif how == "directory read-only, WAL left by a crash":
        leave_a_wal(journal)
        journal.parent.chmod(0o555)
    elif how == "-wal and -shm of another user":
        # Left by someone else's pilot (root's `pilot status`, say), with modes that keep us out.
        leave_a_wal(journal)
        for suffix in ("-wal", "-shm"):
            Path(f"{journal}{suffix}").chmod(0o444)


READ_ONLY = ["file 0444", "directory read-only", "directory read-only, WAL left by a crash"]


@pytest.mark.parametrize("how", READ_ONLY)
def test_the_reading_commands_work_on_a_journal_they_cannot_write(inventory: Path, how: str) -> None:
    assert apply(inventory) == "applied"
    make_read_only(inventory, how)
    listing = os.listdir(inventory)
    history = pilot("history", "-I", str(inventory), "--json", unprivileged=True)
    assert history.returncode == 0, history.stderr
    (run,) = json.loads(history.stdout)
    assert (run["id"], run["state"]) == (1, "applied")
    if "WAL" in how:
        assert run["detail"] == "only in the WAL"  # read through the WAL, not only the main file
    show = pilot("show", "1", "--backups", "-I", str(inventory), unprivileged=True)
    assert show.returncode == 0 and "== core" in show.stdout, show.stderr
    status = pilot("status", "--no-ask", "-I", str(inventory), "--json", unprivileged=True)
    assert status.returncode == 0, status.stderr
    assert {d["stage"] for d in json.loads(status.stdout)["devices"]} == {"ipv4"}
    # Nothing created, but the index SQLite needs to read a WAL journal (it makes it where it can).
    assert set(os.listdir(inventory)) - set(listing) <= {"journal.sqlite-wal", "journal.sqlite-shm"}


@pytest.mark.parametrize("how", [*READ_ONLY[:2], "-wal and -shm of another user"])
def test_a_changing_run_on_a_journal_it_cannot_write_is_refused_before_anything(inventory: Path, how: str) -> None:
    assert apply(inventory) == "applied"
    journal = inventory / "journal.sqlite"
    if how == "directory read-only":
        # The inventory's lock lives beside the journal: keep the journal alone read-only.
        moved = inventory.parent / "journals" / "journal.sqlite"
        moved.parent.mkdir()
        Journal.open(journal).close()  # the last connection closing checkpoints: no WAL left
        shutil.move(journal, moved)
        journal = moved
        os.environ["PILOT_JOURNAL"] = str(journal)
        journal.parent.chmod(0o555)
    else:
        make_read_only(inventory, how)
    try:
        line = one_line(pilot("apply", "--stage", "dual-stack", "--yes", "-I", str(inventory), unprivileged=True))
    finally:
        os.environ.pop("PILOT_JOURNAL", None)
    assert str(journal) in line and ("cannot write the journal" in line or "cannot be written" in line), line
    journal.parent.chmod(0o755)
    with Journal.open(journal, read_only=True) as j:
        assert [r.id for r in j.runs()] == [1]  # the refused run left no record


def test_a_journal_path_that_is_a_directory_is_one_line(
    inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-directory").mkdir()
    monkeypatch.setenv("PILOT_JOURNAL", str(tmp_path / "a-directory"))
    for args in (["history"], ["status", "--no-ask"], ["show", "1"], ["apply", "--stage", "ipv4", "--yes"]):
        code, err = run_main(monkeypatch, capsys, *args, "-I", str(inventory))
        assert code == 2 and err.count("\n") == 1 and str(tmp_path / "a-directory") in err, (args, err)


# -- the runs directory -------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_the_way", [".pilot", ".pilot/runs"])
def test_a_runs_directory_that_cannot_be_written_is_refused_before_anything(inventory: Path, in_the_way: str) -> None:
    blocker = inventory / in_the_way
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory\n")
    with pytest.raises(PilotError) as info:
        apply(inventory)
    text = str(info.value)
    assert text.startswith(f"{inventory / '.pilot' / 'runs'}: cannot write the run's working files")
    assert f"({blocker} is not a directory)" in text and "nothing was changed" in text
    assert pushes() == 0
    with Journal.open(inventory / "journal.sqlite", read_only=True) as journal:
        assert journal.runs() == []  # refused before the run began


def test_a_run_directory_in_the_way_is_one_line(inventory: Path) -> None:
    from pilot.rollout.workdir import run_workdir

    (inventory / ".pilot" / "runs").mkdir(parents=True)
    (inventory / ".pilot" / "runs" / "7").write_text("a file where run 7's directory goes\n")
    with pytest.raises(PilotError, match=r"runs/7: cannot write the run's working files: File exists"):
        run_workdir(inventory, 7)
    assert run_workdir(inventory, 8).is_dir() and (inventory / ".pilot/runs/8").stat().st_mode & 0o777 == 0o700


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """The last resort: a bug still reaches the user as one line (PILOT_DEBUG=1 shows the traceback)."""
    import pilot.cli.rollout
    from pilot.cli import main

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.delenv("PILOT_DEBUG", raising=False)
    monkeypatch.setattr(pilot.cli.rollout, "_inventory", broken)
    monkeypatch.setattr("sys.argv", ["pilot", "history"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pilot: internal error: RuntimeError: a bug; fix: ")

"""Shared test setup. Tests under tests/lab/ are marked `lab`: run them alone with `pytest -m lab`."""

from __future__ import annotations

from pathlib import Path

import pytest

from testroot import ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lab_dir = Path(__file__).resolve().parent / "lab"
    for item in items:
        if lab_dir in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.lab)


@pytest.fixture
def pilot_topology() -> Path:
    return ROOT / "containerlab.yml"


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state directory, so unit tests never see (or touch) a real lab's records."""
    monkeypatch.setenv("PILOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"

"""Fixtures of the unit tests: the device agent on a temporary root (see agent_kit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_kit import Device, InProcess


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    """A device for the agent: a temporary root, fake programs first on PATH."""
    dev = Device(tmp_path / "device")
    yield dev
    dev.stop_daemons()


@pytest.fixture
def agent_here(device: Device, monkeypatch: pytest.MonkeyPatch) -> InProcess:
    """The device agent's script executed in this process on `device`."""
    return InProcess(device, monkeypatch)

"""Lab tests: real namespaces, veths, sshd and FRR. They need root and the Debian packages; when those
are missing the tests fail with the reason, they never skip."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from labkit import assert_nothing_left, pilot, unique

from pilot.lab.roles import binaries_for
from pilot.topology.model import Role


@pytest.fixture(scope="session", autouse=True)
def lab_host() -> None:
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root (run scripts/test.sh as root); they do not skip", pytrace=False)
    missing = [b for b in binaries_for(set(Role)) if not os.access(b, os.X_OK)]
    if missing:
        pytest.fail(f"the lab tests need {missing}: run scripts/setup.sh", pytrace=False)


@pytest.fixture(scope="session")
def pilot_lab() -> Iterator[str]:
    """The pilot topology, up once for the read-only tests of a session."""
    name = unique("tp")
    result = pilot("lab", "up", "--name", name)
    assert result.returncode == 0, result.stderr
    try:
        yield name
    finally:
        down = pilot("lab", "down", "--name", name, "--force")
        assert down.returncode == 0, down.stderr
        assert_nothing_left(name)

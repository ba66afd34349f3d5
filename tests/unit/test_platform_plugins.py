"""Platforms are plugins registered under the `pilot.platforms` entry point group."""

from __future__ import annotations

import tomllib

import pytest

from pilot.errors import PilotError
from pilot.platforms import BUILTIN, PlatformPlugin, get_platform, registered
from testroot import ROOT


def test_the_builtin_table_is_the_entry_points_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pilot.platforms"] == BUILTIN


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_registered_platform_loads_and_has_its_templates(name: str) -> None:
    plugin = get_platform(name)
    assert isinstance(plugin, PlatformPlugin)
    assert plugin.name == name
    assert (plugin.template_dir(ROOT / "templates") / "platform.yml").is_file()


def test_an_unknown_platform_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(PilotError) as err:
        get_platform("cisco_nxos")
    assert "unknown platform 'cisco_nxos'" in err.value.message
    assert all(name in str(err.value.fix) for name in registered())

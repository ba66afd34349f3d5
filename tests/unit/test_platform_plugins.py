"""Platforms are plugins registered under the `pilot.platforms` entry point group."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from pilot.errors import PilotError
from pilot.platforms import BUILTIN, PlatformPlugin, find_validator, get_platform, registered
from pilot.render.platforms import load_platform
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


def _frr_descriptor_with(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copytree(ROOT / "templates" / "frr", tmp_path / "frr")
    descriptor = tmp_path / "frr" / "platform.yml"
    assert descriptor.read_text().count(old) == 1, old
    descriptor.write_text(descriptor.read_text().replace(old, new))
    return tmp_path


def test_a_hook_the_platform_has_not_got_is_refused_at_load(tmp_path: Path) -> None:
    """Hooks are the platform plugin's (its transport runs them), not a list in generic code."""
    templates = _frr_descriptor_with(tmp_path, "    hook: frr-reload", "    hook: nft")
    with pytest.raises(PilotError, match=r"platform.yml:\d+:\d+: artifacts\[0\].hook: platform frr has no hook 'nft'"):
        load_platform(templates, "frr")


def test_a_validator_no_platform_gives_is_refused_at_load(tmp_path: Path) -> None:
    templates = _frr_descriptor_with(tmp_path, "    validate: frr", "    validate: kea-dhcp4")
    with pytest.raises(PilotError, match=r"artifacts\[0\].validate: platform frr has no validator 'kea-dhcp4'"):
        load_platform(templates, "frr")


def test_validators_come_from_the_plugins() -> None:
    frr = find_validator("frr")
    assert frr is not None and frr.binary == "vtysh" and frr.file_only
    kea = find_validator("kea-dhcp4")
    assert kea is not None and not kea.file_only  # Kea wants its interfaces: the sandbox
    assert find_validator("no-such-validator") is None


def test_pilot_platforms_lists_every_plugin_with_its_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pilot.cli import app

    result = CliRunner().invoke(app, ["platforms", "--json", "--templates", str(ROOT / "templates")])
    assert result.exit_code == 0, result.output
    import json

    rows = {r["platform"]: r for r in json.loads(result.output)["platforms"]}
    assert set(rows) == set(registered())
    assert rows["frr"]["features"]["pref64"]["by"] == "radvd"  # a companion gives it
    assert rows["vrp"]["features"]["pref64"]["fallback"]  # hosts learn it through DNS64
    assert "cisco_c8000v" in rows["iosxe"]["containerlab_kinds"]
    assert rows["iosxe"]["transport"] == "cli" and rows["frr"]["transport"] == "napalm"


def test_the_readme_table_is_the_one_pilot_prints() -> None:
    """README.md's table of platforms x features is `pilot platforms --markdown`, not a copy that drifts."""
    from pilot.render.capabilities import capability_table, markdown_table

    assert markdown_table(capability_table(ROOT / "templates")) in (ROOT / "README.md").read_text()


def test_a_plugin_lacking_what_the_interface_asks_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from pilot.platforms import _load

    module = types.ModuleType("pilot_test_half_plugin")

    class Half:
        name = "half"
        description = "a plugin with a name and nothing else"

    module.Half = Half  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pilot_test_half_plugin", module)
    with pytest.raises(PilotError) as refused:
        _load("half", "pilot_test_half_plugin:Half")
    assert "platform plugin 'half' (pilot_test_half_plugin:Half) lacks containerlab_kinds," in refused.value.message
    assert "transport" in refused.value.message and "last_applied" in refused.value.message

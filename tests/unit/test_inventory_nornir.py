"""pilot reads an inventory exactly as Nornir resolves it (nested groups, connection options overridden
in part), and keeps its own checks: secrets, unknown platforms, missing hostnames, unknown groups."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from nornir import InitNornir

from pilot.errors import PilotError
from pilot.rollout.inventory import load_inventory
from testroot import ROOT

PILOT = {
    "topology": str(ROOT / "containerlab.yml"),
    "intent": str(ROOT / "inventory/intent.yml"),
    "record": str(ROOT / "inventory/addresses.yml"),
}


@pytest.fixture(autouse=True)
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "no-credentials.yml"))
    for name in ("PILOT_SSH_USERNAME", "PILOT_SSH_KEY", "PILOT_SSH_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def write(directory: Path, hosts: dict[str, Any], groups: dict[str, Any], defaults: dict[str, Any]) -> Path:
    directory.mkdir(exist_ok=True)
    defaults = {**defaults, "data": {**defaults.get("data", {}), "pilot": PILOT}}
    for name, data in (("hosts.yaml", hosts), ("groups.yaml", groups), ("defaults.yaml", defaults)):
        (directory / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return directory


def nornir_hosts(directory: Path) -> Any:
    nr = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {f"{kind}_file": str(directory / f"{kind}s.yaml") for kind in ("host", "group")}
            | {"defaults_file": str(directory / "defaults.yaml")},
        },
        logging={"enabled": False},
    )
    return nr.inventory.hosts


def as_nornir_sees_it(host: Any) -> dict[str, Any]:
    ssh = host.get_connection_parameters("netmiko")
    extras = ssh.extras or {}
    return {
        "platform": host.platform,
        "host": ssh.hostname,
        "port": ssh.port or 22,  # netmiko connects to 22 when nothing says otherwise
        "username": ssh.username,
        "key_file": extras.get("key_file"),
        "known_hosts": extras.get("alt_key_file"),
        "role": host.get("role") or "",
        "napalm": host.get_connection_parameters("napalm").platform,
    }


def as_pilot_sees_it(host: Any) -> dict[str, Any]:
    t = host.target
    return {
        "platform": host.platform,
        "host": t.host,
        "port": t.port,
        "username": t.username,
        "key_file": t.key_file,
        "known_hosts": t.known_hosts,
        "role": host.role,
        "napalm": host.napalm_driver,
    }


NESTED_HOSTS = {
    "r1": {"hostname": "3fff:0:1000:ffff::2", "groups": ["edge"]},
    "s1": {"hostname": "3fff:0:1000:ffff::3", "groups": ["dns", "dc"]},
}
NESTED_GROUPS = {
    "edge": {"groups": ["routers"], "port": 2201},
    "routers": {
        "platform": "frr",
        "username": "netops",
        "data": {"role": "router"},
        "connection_options": {"napalm": {"platform": "pilot_mock"}},
    },
    "dns": {"groups": ["services"], "data": {"role": "service"}},
    "dc": {"port": 2203, "username": "dcops"},
    "services": {"groups": ["linuxes"], "port": 2202, "data": {"role": "should-not-win"}},
    "linuxes": {"platform": "linux"},
}


def test_nested_groups_resolve_as_in_nornir(tmp_path: Path) -> None:
    directory = write(tmp_path / "inv", NESTED_HOSTS, NESTED_GROUPS, {"username": "root"})
    inv = load_inventory(directory)
    nornir = nornir_hosts(directory)
    for name in NESTED_HOSTS:
        assert as_pilot_sees_it(inv.hosts[name]) == as_nornir_sees_it(nornir[name]), name
    # And what that is, spelled out: a parent group's platform, the nearest group's port, the group
    # order of the host (dns and its parents before dc).
    r1, s1 = inv.hosts["r1"], inv.hosts["s1"]
    assert (r1.platform, r1.transport, r1.target.port, r1.target.username, r1.role) == (
        "frr", "napalm", 2201, "netops", "router"
    )  # fmt: skip
    assert r1.napalm_driver == "pilot_mock"
    assert (s1.platform, s1.transport, s1.target.port, s1.target.username, s1.role) == (
        "linux", "ansible", 2202, "dcops", "service"
    )  # fmt: skip


PARTLY_DEFAULTS = {
    "username": "root",
    "connection_options": {
        "netmiko": {
            "platform": "linux",
            "extras": {"key_file": "/keys/lab", "alt_key_file": "/keys/known_hosts", "ssh_strict": True},
        },
        "napalm": {"platform": "pilot_mock"},
    },
}


def test_connection_options_overridden_in_part_resolve_as_in_nornir(tmp_path: Path) -> None:
    """A host that only changes the netmiko port keeps the key and known_hosts of the defaults; one that
    only changes the napalm port keeps the driver."""
    hosts = {
        "r1": {
            "hostname": "3fff:0:1000:ffff::2",
            "platform": "frr",
            "connection_options": {"netmiko": {"port": 2222}, "napalm": {"port": 2222}},
        },
        "r2": {"hostname": "3fff:0:1000:ffff::3", "groups": ["jump"]},
        "h1": {"hostname": "3fff:0:1000:ffff::4", "platform": "linux", "port": 2200},
    }
    groups = {
        "jump": {
            "platform": "frr",
            "connection_options": {"netmiko": {"hostname": "3fff:0:1000:ffff::99", "extras": {"key_file": "/k2"}}},
        }
    }
    directory = write(tmp_path / "inv", hosts, groups, PARTLY_DEFAULTS)
    inv = load_inventory(directory)
    nornir = nornir_hosts(directory)
    for name in hosts:
        assert as_pilot_sees_it(inv.hosts[name]) == as_nornir_sees_it(nornir[name]), name
    r1, r2, h1 = inv.hosts["r1"].target, inv.hosts["r2"].target, inv.hosts["h1"].target
    assert (r1.port, r1.key_file, r1.known_hosts) == (2222, "/keys/lab", "/keys/known_hosts")
    assert inv.hosts["r1"].napalm_driver == "pilot_mock"
    # extras are replaced as a whole, not merged (Nornir's rule): the group's extras hide the defaults'.
    assert (r2.host, r2.key_file, r2.known_hosts) == ("3fff:0:1000:ffff::99", "/k2", None)
    assert (h1.port, h1.key_file) == (2200, "/keys/lab")


def test_the_lab_inventory_has_no_napalm_platform_of_its_own_for_linux(tmp_path: Path) -> None:
    """Without connection_options.napalm, an frr host gets pilot's FRR driver (Nornir would hand NAPALM
    the platform name 'frr', which is no NAPALM driver)."""
    directory = write(tmp_path / "inv", {"r1": {"hostname": "3fff::2", "platform": "frr"}}, {}, {})
    assert load_inventory(directory).hosts["r1"].napalm_driver == "pilot_frr"


def one_line_error(directory: Path) -> str:
    with pytest.raises(PilotError) as info:
        load_inventory(directory)
    text = str(info.value)
    assert "\n" not in text and "fix:" in text
    return text


def test_an_unknown_group_is_refused_at_its_line(tmp_path: Path) -> None:
    directory = write(tmp_path / "inv", {"r1": {"hostname": "3fff::2", "groups": ["routers", "routres"]}},
                      {"routers": {"platform": "frr"}}, {})  # fmt: skip
    text = one_line_error(directory)
    assert re.search(r"hosts\.yaml:\d+:\d+: r1\.groups\[1\]: 'r1' is in group 'routres'", text), text
    assert "use one of: routers" in text


def test_a_group_cycle_is_refused(tmp_path: Path) -> None:
    groups = {"a": {"groups": ["b"]}, "b": {"groups": ["a"], "platform": "frr"}}
    directory = write(tmp_path / "inv", {"r1": {"hostname": "3fff::2", "groups": ["a"]}}, groups, {})
    assert "groups form a cycle: a -> b -> a" in one_line_error(directory)


def test_an_unknown_platform_from_a_parent_group_names_the_group_file(tmp_path: Path) -> None:
    groups = {"edge": {"groups": ["vendor"]}, "vendor": {"platform": "ios"}}
    directory = write(tmp_path / "inv", {"r1": {"hostname": "3fff::2", "groups": ["edge"]}}, groups, {})
    text = one_line_error(directory)
    assert re.search(r"groups\.yaml:\d+:\d+: vendor\.platform: host 'r1' has platform 'ios'", text), text


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ({"r1": {"platform": "frr"}}, r"hosts\.yaml:1:1: r1: host 'r1' has no hostname"),
        ({"r1": {"hostname": "3fff::2"}}, r"hosts\.yaml:1:1: r1: host 'r1' has no platform"),
        ({"r1": {"hostnmae": "3fff::2", "platform": "frr"}}, r"hosts\.yaml:2:3: r1\.hostnmae: unknown key"),
        ({"r1": None}, r"hosts\.yaml:1:1: r1: input should be a valid dictionary"),
        ({"r1": {"hostname": "3fff::2", "platform": "frr", "port": "ssh"}}, r"r1\.port: input should be a valid"),
    ],
)
def test_bad_hosts_are_one_line_errors(tmp_path: Path, hosts: dict[str, Any], expected: str) -> None:
    text = one_line_error(write(tmp_path / "inv", hosts, {}, {}))
    assert re.search(expected, text), text


@pytest.mark.parametrize("where", ["hosts", "groups", "defaults"])
def test_a_secret_anywhere_is_refused_with_its_line(tmp_path: Path, where: str) -> None:
    hosts: dict[str, Any] = {"r1": {"hostname": "3fff::2", "platform": "frr", "groups": ["g"]}}
    groups: dict[str, Any] = {"g": {}}
    defaults: dict[str, Any] = {}
    secret = {"connection_options": {"netmiko": {"extras": {"secret": "enable-me"}}}}
    {"hosts": hosts["r1"], "groups": groups["g"], "defaults": defaults}[where].update(secret)
    text = one_line_error(write(tmp_path / "inv", hosts, groups, defaults))
    assert re.search(rf"{where}\.yaml:\d+:\d+: .*extras\.secret: 'secret' in the inventory", text), text
    assert "enable-me" not in text


def test_credentials_come_from_outside_the_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_SSH_USERNAME", "netops")
    monkeypatch.setenv("PILOT_SSH_PASSWORD", "from-the-environment")
    directory = write(tmp_path / "inv", {"r1": {"hostname": "3fff::2", "platform": "frr"}}, {}, PARTLY_DEFAULTS)
    target = load_inventory(directory).hosts["r1"].target
    assert (target.username, target.password) == ("netops", "from-the-environment")
    assert "from-the-environment" not in repr(target)

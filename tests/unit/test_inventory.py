"""The Nornir SimpleInventory written for a lab loads in Nornir and carries the SSH settings, no secrets."""

from pathlib import Path

import pytest
from nornir import InitNornir

from pilot.lab.backend import LabStatus, NodeStatus
from pilot.lab.inventory import write_inventory


def status() -> LabStatus:
    nodes = [
        NodeStatus("core", "router", "linux", "frr", "running", "3fff:0:1000:1::2", container="clab-lab-core"),
        NodeStatus("dost-sw", "switch", "linux", "linux", "running", "3fff:0:1000:1::3"),
        NodeStatus("dns64", "service", "linux", "linux", "running", "3fff:0:1000:1::4"),
        NodeStatus("pc1", "client", "linux", "linux", "running", "3fff:0:1000:1::5"),
    ]
    return LabStatus(
        name="lab",
        backend="namespace",
        state="running",
        topology="containerlab.yml",
        nodes=nodes,
        ssh_config="/run/pilot/labs/lab/ssh/config",
        known_hosts="/run/pilot/labs/lab/ssh/known_hosts",
        user_key="/run/pilot/labs/lab/ssh/id_ed25519",
    )


def test_inventory_loads_in_nornir(tmp_path: Path) -> None:
    files = write_inventory(status(), tmp_path)
    assert [f.name for f in files] == ["hosts.yaml", "groups.yaml", "defaults.yaml"]
    nr = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(tmp_path / "hosts.yaml"),
                "group_file": str(tmp_path / "groups.yaml"),
                "defaults_file": str(tmp_path / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    core = nr.inventory.hosts["core"]
    assert (core.hostname, core.platform, core.username) == ("3fff:0:1000:1::2", "frr", "root")
    assert [g.name for g in core.groups] == ["routers", "frr"]
    assert core["role"] == "router" and core["lab"] == "lab"
    netmiko = core.get_connection_parameters("netmiko")
    assert netmiko.platform == "linux"
    assert netmiko.extras["ssh_strict"] is True and netmiko.extras["system_host_keys"] is False
    assert netmiko.extras["alt_key_file"] == "/run/pilot/labs/lab/ssh/known_hosts"
    routers = nr.filter(filter_func=lambda h: h.has_parent_group("routers"))
    assert list(routers.inventory.hosts) == ["core"]
    assert set(nr.filter(platform="linux").inventory.hosts) == {"dost-sw", "dns64", "pc1"}


def test_inventory_holds_paths_not_secrets(tmp_path: Path) -> None:
    write_inventory(status(), tmp_path)
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "PRIVATE KEY" not in text and "password" not in text


def test_pilot_reads_the_lab_inventory_as_nornir_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilot.rollout.inventory import load_inventory

    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "none.yml"))
    for name in ("PILOT_SSH_USERNAME", "PILOT_SSH_KEY", "PILOT_SSH_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    write_inventory(status(), tmp_path / "inv")
    inv = load_inventory(tmp_path / "inv")
    seen = {n: (h.platform, h.transport, h.role, h.napalm_driver, h.target) for n, h in inv.hosts.items()}
    core, pc1 = seen["core"], seen["pc1"]
    assert core[:4] == ("frr", "napalm", "router", "pilot_frr")
    assert pc1[:4] == ("linux", "ansible", "client", "linux")  # pushed with Ansible: no NAPALM driver
    for target in (core[4], pc1[4]):
        assert target.known_hosts == "/run/pilot/labs/lab/ssh/known_hosts" and target.strict
        assert target.key_file == "/run/pilot/labs/lab/ssh/id_ed25519" and target.username == "root"
    assert pc1[4].host == "3fff:0:1000:1::5"

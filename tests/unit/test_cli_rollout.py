"""A rollout through the engine with a CLI device in the inventory: the mixed-vendor example, its IOS-XE
agency router (soyte-rtr) a simulated device over real SSH (tests/sim), every other device behind the
NAPALM mock driver. The engine's bundles reach the CLI transport, the push is confirmed only once the
verification passed, and a failed verification puts the router back as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilot.drivers.mock import MockDriver
from pilot.inputs import load_inputs
from pilot.platforms import get_platform
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage
from pilot.verify import CheckResult
from sim.iosxe import IosxeDevice
from sim.server import SimServer
from vendorkit import EXAMPLE, GOLDEN

pytestmark = pytest.mark.slow

# What pilot does not manage on the router: it must survive every push and restore.
MANAGEMENT = """username pilot privilege 15 secret 9 $9$sim.xe.hash$not-a-real-one
!
vrf definition Mgmt-intf
 address-family ipv4
 exit-address-family
!
archive
 path flash:archive
!
interface GigabitEthernet1
 vrf forwarding Mgmt-intf
 ip address 203.0.113.230 255.255.255.224
!
line vty 0 4
 login local
 transport input ssh
!
"""


@pytest.fixture
def router() -> Iterator[tuple[IosxeDevice, SimServer]]:
    """soyte-rtr at ipv4 (the golden rendering) with its management configuration."""
    ipv4 = (GOLDEN / "ipv4" / "soyte-rtr" / "running-config").read_text()
    head, _, rest = ipv4.partition("hostname soyte-rtr\n")
    device = IosxeDevice(head + "hostname soyte-rtr\n!\n" + MANAGEMENT + rest, minute=60.0)
    with SimServer(device) as server:
        try:
            yield device, server
        finally:
            getattr(device, "stop", lambda: None)()


def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: IosxeDevice, port: int) -> Path:
    monkeypatch.setenv("PILOT_CREDENTIALS", str(tmp_path / "no-credentials.yml"))
    monkeypatch.setenv("PILOT_SSH_USERNAME", device.username)
    monkeypatch.setenv("PILOT_SSH_PASSWORD", device.password)
    monkeypatch.delenv("PILOT_JOURNAL", raising=False)
    MockDriver.devices.clear()
    inputs = load_inputs(EXAMPLE / "containerlab.yml", EXAMPLE / "intent.yml", EXAMPLE / "addresses.yml")
    hosts: dict[str, Any] = {}
    for n, node in enumerate(sorted(inputs.topology.nodes.values(), key=lambda x: x.name)):
        if not node.role.has_shell:
            continue
        hosts[node.name] = {"hostname": f"3fff:0:1000:ffff::{n + 2:x}", "platform": node.platform, "groups": ["mock"]}
    hosts["soyte-rtr"] = {
        "hostname": "127.0.0.1",
        "port": port,
        "platform": "iosxe",
        "connection_options": {"netmiko": {"extras": {"ssh_strict": False}}},
    }
    groups = {"mock": {"data": {"transport": "napalm"}, "connection_options": {"napalm": {"platform": "pilot_mock"}}}}
    defaults = {
        "data": {
            "pilot": {
                "topology": str(EXAMPLE / "containerlab.yml"),
                "intent": str(EXAMPLE / "intent.yml"),
                "record": str(EXAMPLE / "addresses.yml"),
            }
        }
    }
    directory = tmp_path / "inventory"
    directory.mkdir()
    for name, data in (("hosts.yaml", hosts), ("groups.yaml", groups), ("defaults.yaml", defaults)):
        (directory / name).write_text(yaml.safe_dump(data))
    return directory


def checker(passed: bool) -> Any:
    def check(inv: Any, plan: Any, stage: Any, capable: bool) -> list[CheckResult]:
        return [CheckResult(f"fake {stage.name}", "soyte-pc1", "the network works", "it does", passed, 0.01)]

    return check


def test_a_stage_reaches_the_cli_router_is_confirmed_and_a_failed_one_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, router: tuple[IosxeDevice, SimServer]
) -> None:
    device, server = router
    inv = load_inventory(inventory(tmp_path, monkeypatch, device, server.port))
    assert inv.hosts["soyte-rtr"].transport == "cli"
    iosxe = get_platform("iosxe")
    assert iosxe.last_applied(inv.hosts["soyte-rtr"].target) == "ipv4"

    report = Rollout(inv, Options(yes=True, validate=False, checker=checker(True))).apply(get_stage("dual-stack"))
    assert report.state == "applied", report.detail
    pushed = {d.name: d for d in report.devices}["soyte-rtr"]
    assert pushed.push == "pushed" and "ipv6 address" in pushed.diff  # hier_config's remediation, shown
    assert iosxe.last_applied(inv.hosts["soyte-rtr"].target) == "dual-stack"
    assert "username pilot privilege 15" in device.running, "the management configuration stays"
    assert device.pending is None and device.reverted == 0, "confirmed after the verification passed"

    # Changed by hand: pilot status's drift check (a diff against the recorded stage) shows it on the router.
    everyone = dict.fromkeys(inv.hosts, "dual-stack")
    clean = Rollout(inv, Options(yes=True, validate=False)).drift(everyone)["soyte-rtr"]
    assert clean.ok and clean.data == "", clean
    device.running = device.running.replace(" ipv6 nd ra interval 10\n", " ipv6 nd ra interval 200\n", 1)
    drifted = Rollout(inv, Options(yes=True, validate=False)).drift(everyone)["soyte-rtr"]
    assert drifted.ok and "ipv6 nd ra interval 10" in drifted.data, drifted
    assert "ipv6 nd ra interval 200" not in drifted.data  # one replacement line, not a `no` and the line
    device.running = device.running.replace(" ipv6 nd ra interval 200\n", " ipv6 nd ra interval 10\n", 1)

    before = device.running
    failed = Rollout(inv, Options(yes=True, validate=False, checker=checker(False))).apply(get_stage("ipv6-mostly"))
    assert failed.state == "rolled-back", failed.detail
    assert device.running == before, "restored exactly as it was"
    assert iosxe.last_applied(inv.hosts["soyte-rtr"].target) == "dual-stack"

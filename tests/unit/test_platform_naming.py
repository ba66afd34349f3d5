"""A platform names its interfaces and its loopback (platform.yml `naming`): the topology's ethN becomes
GigabitEthernetN, ge-0/0/(N-1), ... everywhere the builders put an interface name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.render.platforms import NamingDef, Platform, load_platform
from pilot.stages import build_devices, get_stage
from testroot import ROOT


def vendor(loopback: str, interface: str) -> Platform:
    return Platform("x", Path("."), "x", {}, (), naming=NamingDef(loopback=loopback, interface=interface))


def test_the_routers_interfaces_are_named_by_their_platform(tmp_path: Path) -> None:
    """core as Junos and dost-rtr as IOS-XE (labels in a copy of the topology), the rest FRR and Linux."""
    topology = (ROOT / "containerlab.yml").read_text()
    topology = topology.replace(
        "    core: {group: routers}", "    core: {group: routers, labels: {pilot.platform: junos}}"
    )
    topology = topology.replace(
        "    dost-rtr: {group: routers}", "    dost-rtr: {group: routers, labels: {pilot.platform: iosxe}}"
    )
    (tmp_path / "containerlab.yml").write_text(topology)
    inputs = load_inputs(tmp_path / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    assert inputs.topology.node("core").platform == "junos"
    frr = load_platform(ROOT / "templates", "frr")
    platforms = {"iosxe": vendor("Loopback0", "GigabitEthernet{n}"), "junos": vendor("lo0.0", "ge-0/0/{n_minus_1}")}
    built = build_devices(
        inputs.intent, inputs.plan, get_stage("dual-stack"), lambda p, c: False, lambda p: platforms.get(p, frr)
    )
    devices = {d.name: d.router for d in built if d.router is not None}
    dost, core, soyte = devices["dost-rtr"], devices["core"], devices["soyte-rtr"]
    assert dost is not None and core is not None and soyte is not None
    assert [i.name for i in dost.interfaces] == [
        "Loopback0",
        "GigabitEthernet1",
        "GigabitEthernet2",
        "GigabitEthernet3",
    ]
    assert dost.interfaces[1].description == "link to core ge-0/0/3"  # the far end as Junos names it
    relay = dost.relay(4)
    assert relay is not None and relay.upstream == "GigabitEthernet1"
    assert relay.downstream == ("GigabitEthernet2", "GigabitEthernet3")
    assert core.interfaces[0].name == "lo0.0" and [i.name for i in core.interfaces][1:] == [
        f"ge-0/0/{n}" for n in range(5)
    ]
    assert [i.name for i in soyte.interfaces] == ["lo", "eth1", "eth2"]  # FRR: the topology's names
    assert soyte.interfaces[1].description == "link to core ge-0/0/4"


def test_a_naming_pattern_that_cannot_be_filled_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "templates" / "frr", tmp_path / "frr")
    descriptor = tmp_path / "frr" / "platform.yml"
    descriptor.write_text(descriptor.read_text().replace('interface: "eth{n}"', "interface: 'Gi{slot}/{n}'"))
    with pytest.raises(PilotError, match=r"platform.yml:\d+:\d+: naming.interface: .* use \{n\}"):
        load_platform(tmp_path, "frr")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("GigabitEthernet{n_plus_1}", "GigabitEthernet2"),  # c8000v: Gi1 is management, eth1 is Gi2
        ("ge-0/0/{n_minus_1}", "ge-0/0/0"),  # vJunos: eth1 is ge-0/0/0
        ("Ethernet1/0/{n_minus_1}", "Ethernet1/0/0"),  # containerlab's VRP: eth1 is Ethernet1/0/0
        ("Ethernet{n}", "Ethernet1"),  # cEOS
    ],
)
def test_vendor_offsets_name_eth1(pattern: str, expected: str) -> None:
    assert vendor("Loopback0", pattern).ifname("eth1") == expected
    assert vendor("Loopback0", pattern).ifname("lo") == "lo"  # not ethN: kept as it is


def test_a_kind_names_its_ports_its_own_way(tmp_path: Path) -> None:
    """IOS-XE: a c8000v router's eth1 is GigabitEthernet2, a Cat9kv switch's GigabitEthernet1/0/1, an IOL
    switch's Ethernet0/1 (ports in groups of four: eth4 is Ethernet1/0)."""
    iosxe = load_platform(ROOT / "templates", "iosxe")
    assert iosxe.ifname("eth1", "cisco_c8000v") == "GigabitEthernet2"
    assert iosxe.ifname("eth1", "cisco_cat9kv") == "GigabitEthernet1/0/1"
    assert [iosxe.ifname(f"eth{n}", "cisco_iol") for n in (1, 3, 4, 5, 8)] == [
        "Ethernet0/1",
        "Ethernet0/3",
        "Ethernet1/0",
        "Ethernet1/1",
        "Ethernet2/0",
    ]
    # and so the builders: the example's VRP access switch as a Cat9kv, its host ports renamed
    example = ROOT / "inventory" / "examples" / "mixed-vendor"
    topology = (example / "containerlab.yml").read_text()
    old = "      kind: huawei_vrp\n      image: vrnetlab/huawei_vrp:ne40e-8.180\n"
    assert old in topology
    (tmp_path / "containerlab.yml").write_text(topology.replace(old, "      kind: cisco_cat9kv\n"))
    inputs = load_inputs(tmp_path / "containerlab.yml", example / "intent.yml", example / "addresses.yml")
    built = build_devices(
        inputs.intent,
        inputs.plan,
        get_stage("dual-stack"),
        lambda p, c: True,
        lambda p: load_platform(ROOT / "templates", p),
    )
    switch = next(d.switch for d in built if d.name == "soyte-sw")
    assert switch is not None and switch.host_ports == ("GigabitEthernet1/0/2", "GigabitEthernet1/0/3")
    router = next(d.router for d in built if d.name == "soyte-rtr")
    assert router is not None and [i.name for i in router.interfaces][1:] == ["GigabitEthernet2", "GigabitEthernet3"]

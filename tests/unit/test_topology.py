"""The pilot topology and containerlab's semantics: inheritance, links, roles, names."""

from pathlib import Path

import pytest

from pilot.topology import Role, load_topology
from pilot.topology.loader import _Reader
from pilot.yamlsrc import loads

PILOT_NODES = {
    "isp1": Role.ROUTER,
    "isp2": Role.ROUTER,
    "inet": Role.BRIDGE,
    "v4web": Role.SERVICE,
    "core": Role.ROUTER,
    "dc": Role.BRIDGE,
    "dns64": Role.SERVICE,
    "nat64": Role.SERVICE,
    "dhcp": Role.SERVICE,
    "portal": Role.SERVICE,
    "dost-rtr": Role.ROUTER,
    "dost-sw": Role.SWITCH,
    "pc1": Role.CLIENT,
    "pc2": Role.CLIENT,
    "legacy1": Role.CLIENT,
    "rogue1": Role.CLIENT,
    "soyte-rtr": Role.ROUTER,
    "soyte-sw": Role.SWITCH,
    "soyte-pc1": Role.CLIENT,
    "soyte-pc2": Role.CLIENT,
}


def read(text: str, file: str = "t.yml"):
    return _Reader(loads(text, Path(file))).read()


def test_pilot_topology_nodes_and_roles(pilot_topology: Path) -> None:
    topo = load_topology(pilot_topology)
    assert topo.name == "dost-pilot"
    assert {n: node.role for n, node in topo.nodes.items()} == PILOT_NODES
    assert list(topo.nodes) == list(PILOT_NODES)  # file order is kept
    assert topo.node("core").platform == "frr" and topo.node("pc1").platform == "linux"
    assert topo.node("core").image == "quay.io/frrouting/frr:8.4.4"
    assert topo.warnings == ()


def test_pilot_topology_wiring(pilot_topology: Path) -> None:
    topo = load_topology(pilot_topology)
    pairs = {frozenset((str(link.a), str(link.b))) for link in topo.links}
    for expected in [
        ("core:eth1", "isp1:eth1"),
        ("core:eth2", "isp2:eth1"),
        ("isp1:eth2", "inet:inet-isp1"),
        ("isp2:eth2", "inet:inet-isp2"),
        ("v4web:eth1", "inet:inet-v4web"),
        ("core:eth3", "dc:dc-core"),
        ("core:eth4", "dost-rtr:eth1"),
        ("dost-rtr:eth2", "dost-sw:eth1"),
        ("dost-sw:eth2", "pc1:eth1"),
        ("dost-sw:eth5", "rogue1:eth1"),
        ("core:eth5", "soyte-rtr:eth1"),
        ("soyte-rtr:eth2", "soyte-sw:eth1"),
        ("soyte-sw:eth2", "soyte-pc1:eth1"),
        ("soyte-sw:eth3", "soyte-pc2:eth1"),
    ]:
        assert frozenset(expected) in pairs
    for service in ("dns64", "nat64", "dhcp", "portal"):
        assert frozenset((f"{service}:eth1", f"dc:dc-{service}")) in pairs
    assert topo.node("core").interfaces == ("eth1", "eth2", "eth3", "eth4", "eth5")
    assert [n.name for n in topo.bridges] == ["inet", "dc"]


def test_containerlab_names() -> None:
    text = "name: lab1\n{prefix}topology:\n  nodes:\n    r1: {{kind: linux, labels: {{pilot.role: router}}}}\n"
    assert read(text.format(prefix="")).container_name("r1") == "clab-lab1-r1"
    assert read(text.format(prefix='prefix: ""\n')).container_name("r1") == "r1"
    assert read(text.format(prefix="prefix: acme\n")).container_name("r1") == "acme-lab1-r1"
    assert read(text.format(prefix="prefix: __lab-name\n")).container_name("r1") == "lab1-r1"


INHERIT = """
name: inherit
topology:
  defaults:
    kind: linux
    env: {A: defaults, B: defaults}
    labels: {pilot.role: client, tier: defaults}
    exec: ["echo defaults", "echo shared"]
    binds: ["/srv/d:/data", "/srv/common:/common:ro"]
  kinds:
    linux:
      image: kind-image
      env: {B: kind, C: kind}
      exec: ["echo kind", "echo shared"]
  groups:
    routers:
      image: group-image
      labels: {pilot.role: router}
      env: {C: group}
      binds: ["/srv/g:/data"]
  nodes:
    r1:
      group: routers
      env: {D: node}
      exec: ["echo node"]
    h1: {}
    h2: {image: node-image, labels: {tier: node}}
"""


def test_inheritance_follows_containerlab() -> None:
    topo = read(INHERIT)
    r1, h1, h2 = topo.node("r1"), topo.node("h1"), topo.node("h2")
    # scalars: node > group > kind > defaults
    assert (r1.image, h1.image, h2.image) == ("group-image", "kind-image", "node-image")
    # maps merge defaults < kind < group < node
    assert r1.env == {"A": "defaults", "B": "kind", "C": "group", "D": "node"}
    assert h2.labels == {"pilot.role": "client", "tier": "node"}
    assert r1.role is Role.ROUTER and h1.role is Role.CLIENT
    # lists concatenate without repeats, least specific first
    assert r1.exec == ("echo defaults", "echo shared", "echo kind", "echo node")
    # binds are keyed by target: the group's /data wins over the defaults'
    binds = {b.target: (str(b.source), b.read_only) for b in r1.binds}
    assert binds == {"/data": ("/srv/g", False), "/common": ("/srv/common", True)}
    assert r1.group == "routers" and h1.group is None


def test_kind_and_group_from_group() -> None:
    topo = read(
        "name: g\ntopology:\n  groups:\n    sw: {kind: linux, labels: {pilot.role: switch}}\n"
        "  nodes:\n    s1: {group: sw}\n"
    )
    assert topo.node("s1").kind == "linux" and topo.node("s1").role is Role.SWITCH


def test_extended_links_with_mac_and_mtu() -> None:
    topo = read(
        "name: ext\ntopology:\n  defaults: {kind: linux, labels: {pilot.role: router}}\n"
        "  nodes: {a: {}, b: {}}\n  links:\n    - type: veth\n      mtu: 9000\n      endpoints:\n"
        "        - {node: a, interface: eth1, mac: 02-00-00-00-00-0A}\n        - {node: b, interface: eth1}\n"
    )
    (link,) = topo.links
    assert (link.mtu, link.a.mac, link.b.mac) == (9000, "02:00:00:00:00:0a", None)


def test_ignored_containerlab_keys_warn() -> None:
    topo = read(
        "name: w\ntopology:\n  nodes:\n    r1: {kind: linux, labels: {pilot.role: router}, startup-config: x.cfg}\n"
    )
    assert len(topo.warnings) == 1 and "startup-config" in topo.warnings[0]


def test_frr_image_means_router_without_label() -> None:
    topo = read("name: f\ntopology:\n  nodes:\n    r1: {kind: linux, image: quay.io/frrouting/frr:8.4.4}\n")
    assert topo.node("r1").role is Role.ROUTER


def test_name_override() -> None:
    topo = read("name: a\ntopology:\n  nodes:\n    r1: {kind: linux, labels: {pilot.role: router}}\n")
    assert topo.with_name("student1").name == "student1"


@pytest.mark.parametrize("name", ["bad name", "x" * 41, "-lead", "a.b"])
def test_unsafe_name_override_refused(pilot_topology: Path, name: str) -> None:
    from pilot.errors import PilotError

    with pytest.raises(PilotError, match="not a safe identifier"):
        load_topology(pilot_topology, name=name)


VENDORS = """name: v
topology:
  nodes:
    c1: {kind: cisco_c8000v}
    c2: {kind: cisco_csr1000v}
    j1: {kind: juniper_vjunosrouter}
    j2: {kind: juniper_vmx}
    j3: {kind: juniper_vsrx}
    j4: {kind: juniper_crpd}
    a1: {kind: arista_ceos, labels: {pilot.role: switch}}
    h1: {kind: huawei_vrp, labels: {pilot.role: switch}}
    x1: {kind: linux, labels: {pilot.role: router, pilot.platform: iosxe}}
    f1: {kind: linux, image: quay.io/frrouting/frr:8.4.4}
"""


def test_containerlab_kinds_map_to_platforms_and_labels_win() -> None:
    topo = read(VENDORS)
    platforms = {n: topo.node(n).platform for n in ("c1", "c2", "j1", "j2", "j3", "j4", "a1", "h1", "x1", "f1")}
    assert platforms == {
        "c1": "iosxe", "c2": "iosxe", "j1": "junos", "j2": "junos", "j3": "junos", "j4": "junos",
        "a1": "eos", "h1": "vrp", "x1": "iosxe", "f1": "frr",
    }  # fmt: skip
    assert topo.node("c1").role is Role.ROUTER and topo.node("a1").role is Role.SWITCH


def test_the_namespace_backend_refuses_vendor_nodes_in_one_line() -> None:
    from pilot.errors import LabError
    from pilot.lab.preflight import check_kinds

    kinds = read(VENDORS)
    with pytest.raises(LabError, match="node 'c1' is of kind 'cisco_c8000v', which only containerlab can run"):
        check_kinds(kinds)
    labelled = read("name: v\ntopology:\n  nodes:\n    x1: {kind: linux, labels: {pilot.role: router, pilot.platform: iosxe}}\n")  # fmt: skip
    with pytest.raises(LabError) as refused:
        check_kinds(labelled)
    text = str(refused.value)
    assert "node 'x1' is platform 'iosxe', which the namespace backend cannot run" in text
    assert "--backend containerlab" in text and "\n" not in text


def test_lab_inventory_writes_a_group_per_platform_with_its_drivers() -> None:
    from pilot.lab.backend import LabStatus, NodeStatus
    from pilot.lab.inventory import inventory_data

    nodes = [
        NodeStatus("r1", "router", "linux", "frr", "running", "3fff:0:1000:1::2"),
        NodeStatus("c1", "router", "cisco_c8000v", "iosxe", "running", "3fff:0:1000:1::3"),
        NodeStatus("j1", "router", "juniper_vjunosrouter", "junos", "running", "3fff:0:1000:1::4"),
        NodeStatus("a1", "switch", "arista_ceos", "eos", "running", "3fff:0:1000:1::5"),
        NodeStatus("h1", "switch", "huawei_vrp", "vrp", "running", "3fff:0:1000:1::6"),
    ]
    hosts, groups, _ = inventory_data(LabStatus("v", "containerlab", "running", "v.yml", nodes=nodes))
    assert all(set(h["groups"]) <= set(groups) for h in hosts.values()), "every group a host names exists"
    drivers = {
        p: (
            groups[p]["connection_options"]["napalm"]["platform"],
            groups[p]["connection_options"]["netmiko"]["platform"],
        )
        for p in ("iosxe", "junos", "eos", "vrp")
    }
    assert drivers == {
        "iosxe": ("ios", "cisco_xe"),
        "junos": ("junos", "juniper_junos"),
        "eos": ("eos", "arista_eos"),
        "vrp": ("huawei_vrp", "huawei_vrpv8"),
    }

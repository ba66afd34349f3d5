"""Management subnet choice: never a host route, never another lab's subnet, addresses per node."""

from ipaddress import IPv6Address, IPv6Network, ip_network
from pathlib import Path

import pytest

from pilot.errors import LabError
from pilot.lab import mgmt
from pilot.lab.netlink import HostRoute
from pilot.topology.loader import _Reader
from pilot.yamlsrc import loads

# Routes the host already has (an uplink, drawn from documentation ranges): the lab must land beside them.
UPLINK = [HostRoute(ip_network("203.0.113.0/24"), "eth0"), HostRoute(ip_network("2001:db8:ffff::/64"), "eth0")]


def topo(mgmt_block: str = "", nodes: str = "{a: {}, b: {}, c: {}}", name: str = "lab1"):
    text = f"name: {name}\n{mgmt_block}topology:\n  defaults: {{kind: linux, labels: {{pilot.role: client}}}}\n"
    text += f"  nodes: {nodes}\n"
    return _Reader(loads(text, Path("t.yml"))).read()


def test_default_subnet_is_a_64_in_the_lab_supernet_and_stable() -> None:
    first = mgmt.choose_subnet(topo(), UPLINK, {})
    assert first.prefixlen == 64 and first.subnet_of(IPv6Network("3fff:0:1000::/48"))
    assert mgmt.choose_subnet(topo(), UPLINK, {}) == first


def test_two_labs_never_share_a_subnet() -> None:
    first = mgmt.choose_subnet(topo(name="a"), UPLINK, {})
    # Even when the hash of another name lands on the same /64, the next free one is taken.
    second = mgmt.choose_subnet(topo(name="a"), UPLINK, {first: "a"})
    assert second != first and not second.overlaps(first)


def test_default_skips_a_host_route() -> None:
    first = mgmt.choose_subnet(topo(), UPLINK, {})
    routes = [*UPLINK, HostRoute(first, "lo")]
    assert mgmt.choose_subnet(topo(), routes, {}) != first


def test_explicit_subnet_overlapping_a_host_route_is_refused() -> None:
    t = topo("mgmt:\n  ipv6-subnet: 3fff:0:1000:42::/64\n")
    routes = [*UPLINK, HostRoute(ip_network("3fff:0:1000::/48"), "eth9")]
    with pytest.raises(LabError) as info:
        mgmt.choose_subnet(t, routes, {})
    text = str(info.value)
    assert "overlaps the host route 3fff:0:1000::/48 on eth9" in text and "mgmt.ipv6-subnet" in text


def test_explicit_subnet_used_by_another_lab_is_refused() -> None:
    t = topo("mgmt:\n  ipv6-subnet: 3fff:0:1000:42::/64\n")
    with pytest.raises(LabError, match="already used by lab 'other'"):
        mgmt.choose_subnet(t, UPLINK, {IPv6Network("3fff:0:1000:42::/64"): "other"})


def test_node_addresses_fixed_and_automatic() -> None:
    t = topo(
        "mgmt:\n  ipv6-subnet: 3fff:0:1000:42::/64\n",
        nodes="{a: {}, b: {mgmt-ipv6: '3fff:0:1000:42::3'}, c: {}}",
    )
    subnet = IPv6Network("3fff:0:1000:42::/64")
    addresses = mgmt.node_addresses(t, subnet)
    assert mgmt.gateway(t, subnet) == IPv6Address("3fff:0:1000:42::1")
    assert addresses == {
        "a": IPv6Address("3fff:0:1000:42::2"),
        "b": IPv6Address("3fff:0:1000:42::3"),
        "c": IPv6Address("3fff:0:1000:42::4"),
    }

"""Wiring with netlink (pyroute2): veths created straight into node namespaces, bridges in the lab's
private bridge namespace, and the one management uplink into the root namespace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

from pilot.lab import linux
from pilot.lab.paths import MGMT_BRIDGE, MGMT_UPLINK, NETNS_DIR

IFA_F_NODAD = 0x02


def _iproute(netns: str | None = None) -> Any:
    from pyroute2 import IPRoute

    return IPRoute(netns=netns) if netns else IPRoute()


@contextlib.contextmanager
def in_netns(path: str | Path) -> Iterator[None]:
    """Run the body with this thread in another network namespace (for its /proc/sys/net)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        linux.setns(target, linux.CLONE_NEWNET)
        yield
    finally:
        linux.setns(home, linux.CLONE_NEWNET)
        os.close(target)
        os.close(home)


# -- the host's side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostRoute:
    prefix: IPv4Network | IPv6Network
    device: str


def host_routes() -> list[HostRoute]:
    """Every route of the root namespace except default routes (they overlap everything by design)."""
    out: list[HostRoute] = []
    with _iproute() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        for family in (socket.AF_INET, socket.AF_INET6):
            for route in ipr.route("dump", family=family):  # a plain dump covers every table
                length = route["dst_len"]
                dst = route.get_attr("RTA_DST")
                if length == 0 or dst is None:
                    continue
                prefix = ipaddress.ip_network(f"{dst}/{length}", strict=False)
                if prefix.is_multicast or prefix.is_link_local:
                    continue
                out.append(HostRoute(prefix, names.get(route.get_attr("RTA_OIF"), "?")))
    return out


def root_link_exists(name: str) -> bool:
    with _iproute() as ipr:
        return bool(ipr.link_lookup(ifname=name))


# -- the lab's bridge namespace -------------------------------------------------------------------


def netns_path(name: str) -> Path:
    return NETNS_DIR / name


def create_bridge_netns(name: str) -> None:
    from pyroute2 import netns

    netns.create(name)
    with in_netns(netns_path(name)):
        # The bridge namespace is pure layer 2: no addresses, no IPv6 stack, no forwarding.
        linux.write_sysctl("net.ipv6.conf.all.disable_ipv6", "1")
        linux.write_sysctl("net.ipv6.conf.default.disable_ipv6", "1")


def remove_netns(name: str) -> bool:
    path = netns_path(name)
    if not path.exists():
        return False
    try:
        linux.umount_lazy(path)
    except OSError:
        pass  # not mounted (a crash between create and mount): the file alone remains
    path.unlink(missing_ok=True)
    return True


def delete_root_link(name: str) -> bool:
    with _iproute() as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            return False
        ipr.link("del", index=found[0])
        return True


@dataclass(frozen=True)
class NodeEnd:
    """One end of a veth in a node: the node holder's PID and the interface name."""

    pid: int
    ifname: str
    mac: str | None = None


class Wiring:
    """Build the lab's links. One root socket and one socket in the bridge namespace, reused throughout."""

    def __init__(self, bridge_netns: str) -> None:
        self.bridge_netns = bridge_netns
        self.ns_path = str(netns_path(bridge_netns))
        self.root = _iproute()
        self.bridge = _iproute(bridge_netns)

    def close(self) -> None:
        self.root.close()
        self.bridge.close()

    def __enter__(self) -> Wiring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_bridge(self, name: str) -> None:
        # No multicast snooping: with no MLD querier in the lab it would drop ND and RA multicast.
        self.bridge.link("add", ifname=name, kind="bridge", br_mcast_snooping=0, br_forward_delay=0)
        self.bridge.link("set", index=self._bridge_index(name), state="up")

    def node_to_node(self, a: NodeEnd, b: NodeEnd, mtu: int | None = None) -> None:
        peer: dict[str, Any] = {"ifname": b.ifname, "net_ns_pid": b.pid}
        link: dict[str, Any] = {"ifname": a.ifname, "kind": "veth", "net_ns_pid": a.pid, "peer": peer}
        _mac_mtu(link, a.mac, mtu)
        _mac_mtu(peer, b.mac, mtu)
        self.root.link("add", **link)

    def node_to_bridge(self, node: NodeEnd, bridge: str, port: str, mtu: int | None = None) -> None:
        peer: dict[str, Any] = {"ifname": port, "net_ns_fd": self.ns_path}
        link: dict[str, Any] = {"ifname": node.ifname, "kind": "veth", "net_ns_pid": node.pid, "peer": peer}
        _mac_mtu(link, node.mac, mtu)
        _mac_mtu(peer, None, mtu)
        self.root.link("add", **link)
        self._enslave(port, bridge)

    def root_uplink(self, root_ifname: str, gateway: str, prefixlen: int) -> None:
        """The management network's one link into the root namespace, addressed as the gateway."""
        self.root.link("add", ifname=root_ifname, kind="veth", peer={"ifname": MGMT_UPLINK, "net_ns_fd": self.ns_path})
        for key, value in (("accept_ra", "0"), ("autoconf", "0"), ("accept_dad", "0"), ("forwarding", "0")):
            # Nothing on the management network may configure the host.
            linux.write_sysctl(("net", "ipv6", "conf", root_ifname, key), value)
        index = self.root.link_lookup(ifname=root_ifname)[0]
        self.root.addr("add", index=index, address=gateway, prefixlen=prefixlen, flags=IFA_F_NODAD)
        self.root.link("set", index=index, state="up")
        self._enslave(MGMT_UPLINK, MGMT_BRIDGE)

    def _enslave(self, port: str, bridge: str) -> None:
        index = self.bridge.link_lookup(ifname=port)[0]
        self.bridge.link("set", index=index, master=self._bridge_index(bridge), state="up")

    def _bridge_index(self, name: str) -> int:
        return int(self.bridge.link_lookup(ifname=name)[0])


def _mac_mtu(spec: dict[str, Any], mac: str | None, mtu: int | None) -> None:
    if mac:
        spec["address"] = mac
    if mtu:
        spec["mtu"] = mtu


def node_links(pid: int) -> list[dict[str, Any]]:
    """Interfaces of a node as seen inside it: name, state, MTU, MAC, addresses."""
    with _iproute(f"/proc/{pid}/ns/net") as ipr:
        addrs: dict[int, list[str]] = {}
        for addr in ipr.get_addr():
            addrs.setdefault(addr["index"], []).append(f"{addr.get_attr('IFA_ADDRESS')}/{addr['prefixlen']}")
        out = []
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            if name == "lo":
                continue
            out.append(
                {
                    "name": name,
                    "state": (link.get_attr("IFLA_OPERSTATE") or "unknown").lower(),
                    "mtu": link.get_attr("IFLA_MTU"),
                    "mac": link.get_attr("IFLA_ADDRESS"),
                    "addresses": addrs.get(link["index"], []),
                }
            )
        return out

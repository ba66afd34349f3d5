"""What each node role gets from the lab itself, as data: kernel settings and the daemons the lab owns.

The lab owns very little on purpose: sshd everywhere and FRR's daemons (with an empty configuration)
on routers. Addressing, routing, services and clients come later from the rollout, over SSH, exactly as
on a real network.
"""

from __future__ import annotations

from collections.abc import Mapping

from pilot.topology.model import Role

FRR_DAEMONS = ("zebra", "staticd", "ospfd", "ospf6d", "bgpd")  # watchfrr supervises them

# Namespace-wide sysctls, set before any interface exists so every interface inherits them.
_COMMON_EARLY = {
    # New namespaces start with kernel defaults; ICMP rate limits would slow probes down.
    "net.ipv6.icmp.ratelimit": "0",
    "net.ipv4.icmp_ratelimit": "0",
}
EARLY_SYSCTLS: Mapping[Role, Mapping[str, str]] = {
    Role.ROUTER: {
        **_COMMON_EARLY,
        "net.ipv4.ip_forward": "1",
        "net.ipv6.conf.all.forwarding": "1",
        "net.ipv6.conf.default.forwarding": "1",
        # Multihomed to two ISPs: return traffic may come in on the other uplink.
        "net.ipv4.conf.all.rp_filter": "0",
        "net.ipv4.conf.default.rp_filter": "0",
        # Keep every interface's IPv6 addresses when the link goes down (as routers do).
        "net.ipv6.conf.all.keep_addr_on_down": "1",
    },
    Role.SWITCH: {
        **_COMMON_EARLY,
        # An L2 switch must not autoconfigure itself from the RAs it forwards.
        "net.ipv6.conf.default.accept_ra": "0",
        "net.ipv6.conf.default.autoconf": "0",
        "net.ipv6.conf.all.accept_ra": "0",
    },
    Role.SERVICE: dict(_COMMON_EARLY),
    Role.CLIENT: dict(_COMMON_EARLY),
}

# The management interface never learns anything from the network: a rogue RA on the management
# bridge must not give a node (or the root namespace) a route.
MGMT_IFACE_SYSCTLS = {"accept_ra": "0", "autoconf": "0", "accept_dad": "0"}

SWITCH_BRIDGE = "vlan1"  # the factory default: every port in VLAN 1; the rollout replaces it


def binaries_for(roles: set[Role]) -> dict[str, str]:
    """{binary path: Debian package} the lab needs to run nodes of these roles."""
    need = {
        "/usr/sbin/sshd": "openssh-server",
        "/usr/bin/ssh": "openssh-client",
        "/usr/bin/nsenter": "util-linux",
        "/usr/bin/tini": "tini",
    }
    if Role.ROUTER in roles:
        need.update(
            {
                "/usr/lib/frr/frrinit.sh": "frr",
                "/usr/lib/frr/zebra": "frr",
                "/usr/lib/frr/watchfrr": "frr",
                "/usr/bin/vtysh": "frr",
                "/usr/lib/frr/frr-reload.py": "frr-pythontools",
            }
        )
    return need

"""Cisco IOS-XE (c8000v routers, Catalyst/IOS-XE access switches): templates/iosxe renders the device's
complete configuration as `show running-config` prints it; hier_config's Cisco IOS driver compares it
with the running one.

The idempotency rules below are those pilot's templates need beyond hier_config's own (which already
has `description`, `ip address`, `switchport mode` under an interface and `name` under a VLAN): every
line that holds one value per interface, routing process or neighbour, so that a changed value is one
replacement line (`ipv6 nd ra interval 30`), never `no ipv6 nd ra interval 10` followed by the new line.
"""

from __future__ import annotations

from hier_config import MatchRule, Platform

from pilot.platforms.cli import CliPlatform, Lineage
from pilot.platforms.iosxe.check import check, recorded_stage

INTERFACE = MatchRule(startswith="interface ")


def _under(parent: MatchRule, *starts: str) -> tuple[Lineage, ...]:
    return tuple((parent, MatchRule(startswith=start)) for start in starts)


IDEMPOTENT: tuple[Lineage, ...] = (
    (MatchRule(startswith="hostname "),),
    *_under(
        INTERFACE,
        "ip helper-address ",  # one relay server per segment (DhcpRelay.server)
        "ip ospf network ",
        "ip ospf hello-interval ",
        "ip ospf dead-interval ",
        "ip ospf retransmit-interval ",
        "ip ospf 1 area ",
        "ipv6 nd ra interval ",
        "ipv6 nd ra lifetime ",
        "ipv6 nd ra nat64-prefix ",  # one PREF64 per interface (RFC 8781 hosts use the first)
        "ipv6 dhcp relay destination ",
        "ospfv3 network ",
        "ospfv3 hello-interval ",
        "ospfv3 dead-interval ",
        "ospfv3 retransmit-interval ",
        "ospfv3 1 ipv6 area ",
        "switchport access vlan ",
        "ipv6 nd raguard attach-policy ",
        "ipv6 dhcp guard attach-policy ",
    ),
    # A prefix's lifetimes and flags change in place: the prefix is the key.
    (INTERFACE, MatchRule(re_search=r"^ipv6 nd prefix (\S+) ")),
    *_under(MatchRule(startswith="router ospf "), "router-id "),
    *_under(MatchRule(startswith="router ospfv3 "), "router-id "),
    *_under(MatchRule(startswith="router bgp "), "bgp router-id "),
    (MatchRule(startswith="router bgp "), MatchRule(re_search=r"^neighbor (\S+) description ")),
    (MatchRule(startswith="router bgp "), MatchRule(re_search=r"^neighbor (\S+) remote-as ")),
    (
        MatchRule(startswith="router bgp "),
        MatchRule(startswith="address-family "),
        MatchRule(re_search=r"^neighbor (\S+) route-map \S+ (in|out)$"),
    ),
    *_under(MatchRule(startswith="ipv6 nd raguard policy "), "device-role "),
    *_under(MatchRule(startswith="ipv6 dhcp guard policy "), "device-role "),
)

PLATFORM = CliPlatform(
    "iosxe",
    "Cisco IOS-XE (c8000v router, Catalyst/IOS-XE access switch)",
    Platform.CISCO_IOS,
    idempotent=IDEMPOTENT,
    napalm_driver="ios",
    netmiko_type="cisco_xe",
    probes="pilot.platforms.iosxe.probes",
    containerlab_kinds=("cisco_c8000v", "cisco_csr1000v", "cisco_cat9kv", "cisco_iol"),
    check=check,
    recorded_stage=recorded_stage,
)


def plugin() -> CliPlatform:
    return PLATFORM

"""Arista EOS (cEOS-lab, vEOS): the running configuration rendered from templates/eos/config.j2, diffed
and remediated offline with hier_config's Arista EOS driver.

The idempotency rules below make every value the templates write once per place a single replacement
line when it changes (a new description, OSPF timer, RA interval, prefix lifetime, relay server, access
VLAN ...), never a `no` of the old line beside the new one: EOS replaces such a value in place, and a
`no ip ospf hello-interval 1` sent after `ip ospf hello-interval 2` would undo the new value.
"""

from __future__ import annotations

from hier_config import MatchRule, Platform

from pilot.platforms.cli import CliPlatform, Lineage
from pilot.platforms.eos.check import check, recorded_stage

_INTERFACE = MatchRule(startswith="interface ")


def _interface(*rules: MatchRule) -> tuple[Lineage, ...]:
    return tuple((_INTERFACE, rule) for rule in rules)


IDEMPOTENT: tuple[Lineage, ...] = (
    *_interface(
        MatchRule(startswith="description "),
        MatchRule(startswith="ip ospf network "),
        MatchRule(startswith="ip ospf hello-interval "),
        MatchRule(startswith="ip ospf dead-interval "),
        MatchRule(startswith="ip ospf retransmit-interval "),
        MatchRule(startswith="ip ospf area "),
        MatchRule(re_search=r"^ipv6 ospf \d+ area "),
        MatchRule(startswith="ipv6 ospf network "),
        MatchRule(startswith="ipv6 ospf hello-interval "),
        MatchRule(startswith="ipv6 ospf dead-interval "),
        MatchRule(startswith="ipv6 ospf retransmit-interval "),
        MatchRule(startswith="ipv6 nd ra interval "),
        # One line per advertised prefix: its lifetimes and A flag change in place.
        MatchRule(re_search=r"^ipv6 nd prefix (\S+)"),
        MatchRule(startswith="ip helper-address "),
        MatchRule(startswith="ipv6 dhcp relay destination "),
        MatchRule(startswith="switchport access vlan "),
        MatchRule(startswith="switchport trunk allowed vlan "),
        MatchRule(re_search=r"^ipv6 access-group \S+ (in|out)$"),
    ),
    (MatchRule(startswith="vlan "), MatchRule(startswith="name ")),
    (MatchRule(startswith="router bgp "), MatchRule(startswith="router-id ")),
    (MatchRule(startswith="router bgp "), MatchRule(re_search=r"^neighbor (\S+) remote-as ")),
    (
        MatchRule(startswith="router bgp "),
        MatchRule(startswith="address-family "),
        MatchRule(re_search=r"^neighbor (\S+) route-map \S+ (in|out)$"),
    ),
)

PLATFORM = CliPlatform(
    "eos",
    "Arista EOS (cEOS-lab / vEOS): L3 switch with routed ports, or access switch",
    Platform.ARISTA_EOS,
    idempotent=IDEMPOTENT,
    napalm_driver="eos",
    netmiko_type="arista_eos",
    probes="pilot.platforms.eos.probes",
    containerlab_kinds=("arista_ceos", "arista_veos"),
    check=check,
    recorded_stage=recorded_stage,
)


def plugin() -> CliPlatform:
    return PLATFORM

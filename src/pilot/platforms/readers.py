"""Reading what CLI devices answer into the probes' typed results: NAPALM getter results (the same shape
on every driver) and show output parsed by ntc-templates (TextFSM). Each platform's probes module says
which getter or command it reads; this module only converts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pilot.platforms.probes import (
    ESTABLISHED,
    BgpSession,
    Facts,
    Family,
    InterfaceAddresses,
    Ipv6Neighbor,
    NotObservable,
    address,
    mac,
)

if TYPE_CHECKING:  # pilot.verify imports the routing checks, which import this module
    from pilot.verify.model import Shell

Row = dict[str, str]


def parse_show(platform: str, command: str, output: str) -> list[Row]:
    """`output` of `command` parsed by ntc-templates' template for `platform` (its own platform names:
    cisco_ios, arista_eos, juniper_junos, huawei_vrp); NotObservable when it has no such template."""
    from ntc_templates.parse import ParsingException, parse_output  # loads TextFSM only when a probe asks

    try:
        rows = parse_output(platform=platform, command=command, data=output)
    except ParsingException as exc:
        raise NotObservable(f"ntc-templates cannot parse '{command}' on {platform}: {exc}") from exc
    return [{str(k): str(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]


def parse_textfsm(template: str, output: str) -> list[Row]:
    """`output` parsed by a TextFSM template of pilot's own: for the commands ntc-templates has no
    template for (each platform's probes module holds its templates and says which they are)."""
    import io

    import textfsm

    fsm = textfsm.TextFSM(io.StringIO(template))
    return [{str(k).lower(): str(v) for k, v in zip(fsm.header, row, strict=True)} for row in fsm.ParseText(output)]


# -- NAPALM getters ----------------------------------------------------------------------------------------


def _family_counts(families: Mapping[str, Any], family: Family) -> Mapping[str, Any] | None:
    """A peer's counters for `family`: NAPALM's core drivers key them 'ipv4'/'ipv6', napalm-huawei-vrp
    'ipv4 unicast'/'ipv6 unicast'. Multicast, VPN and EVPN families are not the session pilot checks."""
    for key in (family, f"{family} unicast"):
        if isinstance(families.get(key), Mapping):
            found: Mapping[str, Any] = families[key]
            return found
    return None


def _received(counts: Mapping[str, Any]) -> int:
    """received_prefixes; -1 means the driver could not tell, then accepted_prefixes, else 0."""
    for key in ("received_prefixes", "accepted_prefixes"):
        value = counts.get(key)
        if isinstance(value, int) and value >= 0:
            return value
    return 0


def bgp_sessions_from_getter(result: Mapping[str, Any], family: Family, vrf: str = "global") -> list[BgpSession]:
    """get_bgp_neighbors() -> the sessions of one family in one VRF ('global': the default table).
    NAPALM says only is_up / is_enabled, so the state is Established, 'Admin down' or 'Down'."""
    peers = (result.get(vrf) or {}).get("peers") or {}
    sessions = []
    for peer, data in peers.items():
        counts = _family_counts(data.get("address_family") or {}, family)
        if counts is None:
            continue
        if data.get("is_up"):
            state = ESTABLISHED
        else:
            state = "Down" if data.get("is_enabled", True) else "Admin down"
        sessions.append(BgpSession(family, address(str(peer)), state, _received(counts)))
    return sessions


def interfaces_from_getter(result: Mapping[str, Any]) -> list[InterfaceAddresses]:
    """get_interfaces_ip() -> each interface's addresses with their prefix lengths, IPv4 first."""
    found = []
    for iface, families in result.items():
        addresses = [
            ipaddress.ip_interface(f"{ip}/{data.get('prefix_length')}")
            for family in ("ipv4", "ipv6")
            for ip, data in (families.get(family) or {}).items()
        ]
        found.append(InterfaceAddresses(str(iface), tuple(addresses)))
    return found


def ipv6_neighbors_from_getter(result: list[Mapping[str, Any]]) -> list[Ipv6Neighbor]:
    """get_ipv6_neighbors_table() -> the IPv6 neighbour cache."""
    return [
        Ipv6Neighbor(
            address(str(n.get("ip", ""))),
            mac(str(n.get("mac", ""))),
            str(n.get("interface", "")),
            str(n.get("state", "")),
        )
        for n in result
    ]


def facts_from_getter(result: Mapping[str, Any]) -> Facts:
    """get_facts() -> vendor, model, OS version and hostname."""
    return Facts(*(str(result.get(key, "")) for key in ("vendor", "model", "os_version", "hostname")))


class ShellCli:
    """The part of a netmiko connection NAPALM's IOS and EOS (transport ssh) drivers use for their
    getters, `send_command`, answered through pilot's Shell: the getters' own parsing, pilot's transport."""

    def __init__(self, shell: Shell, node: str) -> None:
        self.shell, self.node = shell, node

    def send_command(self, command: str, **_: object) -> str:
        return self.shell.run(self.node, command).stdout

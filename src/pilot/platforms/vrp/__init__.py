"""Huawei VRP: routers as the NE40E (VRP8, containerlab's huawei_vrp), the access switch in S-series syntax.

VRP is merge-only through napalm-huawei-vrp 1.2.0 (no replace, no confirm timer, and one line that errors
discards the whole commit), so the hier_config remediation from the running configuration to the rendered
one is exactly what reaches the device. Beside the idempotency rules every CLI platform has (a changed
value is one replacement line), the VRP driver here therefore also:
- reads IPv6 addresses in one canonical form (VRP8 prints `2001:DB8::1/64` for `2001:db8::1 64`), so an
  unchanged address is never taken away and set again because of its case;
- drops `return`, the end marker `display current-configuration` prints (sent, it would leave the view);
- writes the `undo` forms VRP documents where they are shorter than the line they undo
  (`undo ospf timer hello`, `undo ipv6 nd ra prefix P/L`, `undo peer X`, `undo ip ip-prefix N index I`);
- orders the remediation so that what a line needs exists before it (`dhcp enable` before relays and
  snooping, processes and prefix lists before what uses them, `ipv6 enable` before IPv6 addresses) and
  goes after it when removed (`undo ipv6 enable` last in an interface, `undo dhcp enable` last of all).
Not handled here, for the transport: some `undo` commands ask for confirmation (CE6800 V300R023C00's
reference shows `undo dhcp snooping enable` answering "Continue? [Y/N]"), and napalm-huawei-vrp sends the
next line as the answer.
Sources: templates/vrp/platform.yml and config.j2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv6Address, IPv6Interface

from hier_config import HConfig, MatchRule, Platform
from hier_config.models import NegationSubRule, OrderingRule, PerLineSubRule
from hier_config.platforms.driver_base import HConfigDriverBase

from pilot.platforms.cli import CliPlatform, Lineage

INTERFACE = MatchRule(startswith="interface ")
BGP = MatchRule(startswith="bgp ")
FAMILY = MatchRule(re_search=r"^ipv[46]-family unicast$")


def _line(*rules: MatchRule) -> Lineage:
    return rules


# A changed value is one replacement line: these lines are one per place (the capture groups say what
# makes two lines the same place: a prefix, a peer, a peer and a direction).
IDEMPOTENT: tuple[Lineage, ...] = (
    _line(MatchRule(startswith="sysname ")),
    _line(MatchRule(startswith="vlan batch ")),
    _line(MatchRule(re_search=r"^ospf (\d+) router-id ")),
    _line(MatchRule(re_search=r"^ip (ip|ipv6)-prefix (\S+) index (\d+) ")),
    _line(INTERFACE, MatchRule(startswith="description ")),
    _line(INTERFACE, MatchRule(startswith="ip address ")),
    _line(INTERFACE, MatchRule(re_search=r"^(ospf|ospfv3) network-type ")),
    _line(INTERFACE, MatchRule(re_search=r"^(ospf|ospfv3) timer (hello|dead|retransmit) ")),
    _line(INTERFACE, MatchRule(re_search=r"^ipv6 nd ra (max-interval|min-interval|router-lifetime) ")),
    _line(INTERFACE, MatchRule(re_search=r"^ipv6 nd ra prefix (\S+) ")),
    _line(INTERFACE, MatchRule(re_search=r"^ipv6 nd ra (dns-server|dns-suffix) (\S+) ")),
    _line(INTERFACE, MatchRule(startswith="port link-type ")),
    _line(INTERFACE, MatchRule(startswith="port default vlan ")),
    _line(INTERFACE, MatchRule(startswith="port trunk allow-pass vlan ")),
    _line(MatchRule(startswith="vlan "), MatchRule(startswith="description ")),
    _line(BGP, MatchRule(startswith="router-id ")),
    _line(BGP, MatchRule(re_search=r"^peer (\S+) (as-number|description|timer connect-retry) ")),
    _line(BGP, FAMILY, MatchRule(re_search=r"^peer (\S+) (ip|ipv6)-prefix \S+ (import|export)$")),
    _line(MatchRule(startswith="ospfv3 "), MatchRule(startswith="router-id ")),
)

# The undo forms of NE40E V800R012C10's command reference, where they take fewer words than the line.
NEGATIONS: tuple[tuple[Lineage, str, str], ...] = (
    (_line(MatchRule(re_search=r"^ospf \d+ ")), r"^(undo ospf \d+) .*", r"\1"),
    (_line(MatchRule(startswith="sysname ")), r"^(undo sysname) .*", r"\1"),
    (
        _line(INTERFACE, MatchRule(re_search=r"^ospf (timer \S+|network-type) ")),
        r"^(undo ospf (timer \S+|network-type)) .*",
        r"\1",
    ),
    (
        _line(INTERFACE, MatchRule(re_search=r"^ipv6 nd ra (max-interval|min-interval|router-lifetime) ")),
        r"^(undo ipv6 nd ra \S+) .*",
        r"\1",
    ),
    (_line(INTERFACE, MatchRule(startswith="ipv6 nd ra prefix ")), r"^(undo ipv6 nd ra prefix \S+) .*", r"\1"),
    (_line(INTERFACE, MatchRule(startswith="dhcp select ")), r"^(undo dhcp select) .*", r"\1"),
    (
        _line(INTERFACE, MatchRule(re_search=r"^port (default vlan|link-type) ")),
        r"^(undo port (default vlan|link-type)) .*",
        r"\1",
    ),
    (_line(BGP, MatchRule(re_search=r"^peer \S+ as-number ")), r"^(undo peer \S+) .*", r"\1"),
    (_line(BGP, MatchRule(re_search=r"^peer \S+ description ")), r"^(undo peer \S+ description) .*", r"\1"),
    (
        _line(BGP, MatchRule(re_search=r"^peer \S+ timer connect-retry ")),
        r"^(undo peer \S+ timer connect-retry) .*",
        r"\1",
    ),
    (_line(BGP, MatchRule(startswith="router-id ")), r"^(undo router-id) .*", r"\1"),
    (_line(MatchRule(startswith="ospfv3 "), MatchRule(startswith="router-id ")), r"^(undo router-id) .*", r"\1"),
    (
        _line(MatchRule(startswith="ospfv3 "), MatchRule(startswith="import-route ")),
        r"^(undo import-route \S+) .*",
        r"\1",
    ),
    (_line(MatchRule(re_search=r"^ip (ip|ipv6)-prefix \S+ index \d+ ")), r"^(undo ip \S+ \S+ index \d+) .*", r"\1"),
)

# Push order (lower first). What others depend on comes first when set and last when removed.
ORDER: tuple[tuple[Lineage, int], ...] = (
    (_line(MatchRule(equals="dhcp enable")), -300),
    (_line(MatchRule(startswith="vlan batch ")), -300),
    (_line(MatchRule(re_search=r"^(dhcp|nd) snooping enable$")), -200),
    (_line(MatchRule(re_search=r"^(ospf \d+|ospfv3 \d+|ip ip-prefix |ip ipv6-prefix |route-policy )")), -100),
    (_line(MatchRule(re_search=r"^undo (ospf|ospfv3|bgp|ip ip-prefix|ip ipv6-prefix|route-policy) ")), 300),
    (_line(MatchRule(re_search=r"^undo (dhcp|nd) snooping enable$")), 400),
    (_line(MatchRule(re_search=r"^undo (dhcp enable|vlan batch )")), 500),
    (_line(INTERFACE, MatchRule(equals="ipv6 enable")), -100),
    (_line(INTERFACE, MatchRule(equals="undo ipv6 enable")), 500),
    (_line(INTERFACE, MatchRule(equals="undo dhcp select")), 400),
    # A peer's own lines are undone before the peer itself (`undo peer X` takes them all; after it they
    # would name a peer that no longer exists, an error that discards the whole commit).
    (_line(BGP, MatchRule(re_search=r"^undo peer \S+$")), 100),
)

_IPV6 = re.compile(r"(?<![\w:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(/\d{1,3})?(?![\w:.])")


def _canonical(match: re.Match[str]) -> str:
    address, length = match.group(1), match.group(2)
    try:
        if length:
            return IPv6Interface(address + length).with_prefixlen
        return str(IPv6Address(address))
    except ValueError:
        return match.group(0)  # looks like one, is not one: leave it as the device wrote it


def canonical_ipv6(text: str) -> str:
    """Every IPv6 address in a line in one form (lower case, RFC 5952 compression)."""
    return _IPV6.sub(_canonical, text) if ":" in text else text


def _normalise_ipv6(config: HConfig) -> None:
    for child in tuple(config.all_children()):
        text = canonical_ipv6(child.text)
        if text != child.text:
            child.text = text


@dataclass(frozen=True)
class VrpPlatform(CliPlatform):
    """CliPlatform with the VRP rules above added to hier_config's HUAWEI_VRP driver."""

    @cached_property
    def driver(self) -> HConfigDriverBase:
        driver = super().driver  # hier_config's driver with the idempotency rules
        rules = driver.rules
        rules.per_line_sub.append(PerLineSubRule(search=r"^return\s*$", replace=""))
        rules.post_load_callbacks.append(_normalise_ipv6)
        rules.negation_sub.extend(NegationSubRule(match_rules=m, search=s, replace=r) for m, s, r in NEGATIONS)
        rules.ordering.extend(OrderingRule(match_rules=m, weight=w) for m, w in ORDER)
        return driver


PLATFORM = VrpPlatform(
    "vrp",
    "Huawei VRP: NE40E (VRP8) routers, S-series access switch syntax; merge-only over napalm-huawei-vrp",
    Platform.HUAWEI_VRP,
    idempotent=IDEMPOTENT,
    napalm_driver="huawei_vrp",  # napalm-huawei-vrp (community, merge only): for the inventory's NAPALM users
    netmiko_type="huawei_vrpv8",  # VRP8's two-stage commit: what pilot's CLI transport speaks
    probes="pilot.platforms.vrp.probes",
    containerlab_kinds=("huawei_vrp",),
    check=lambda text: _check(text),
    recorded_stage=lambda running: _recorded_stage(running),
)


def _check(text: str) -> list[str]:
    from pilot.platforms.vrp.check import check  # check parses with PLATFORM: imported once it exists

    return check(text)


def _recorded_stage(running: str) -> str | None:
    from pilot.platforms.vrp.check import recorded_stage

    return recorded_stage(running)


def plugin() -> CliPlatform:
    return PLATFORM

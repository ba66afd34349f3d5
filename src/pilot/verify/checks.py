"""The verification pack of a stage: real probes run on the network's own nodes.

Each check looks at the network the way a user or an engineer would (rdisc6 on a client, a fresh DHCP
exchange, dig, curl through NAT64, vtysh on a router, a rogue RA sent from a host port) and says what it
expected and what it saw. Which checks a stage gets follows from the stage's flags and the intent, never
from a list of node names: pc1 is "the client that honours option 108", legacy1 "the IPv4-only client".
The probes live beside this module: routing, clients, dhcp, fhs (first-hop security), ra (PREF64).
"""

from __future__ import annotations

from pilot.addressing import Plan
from pilot.intent.model import Intent
from pilot.stages.model import Stage
from pilot.stages.sitemap import StageMap, site_of
from pilot.verify.clients import client_checks, legacy_checks
from pilot.verify.fhs import first_hop_security
from pilot.verify.model import Check, Shell
from pilot.verify.ra import pref64_check
from pilot.verify.routing import interior_routing, routing

__all__ = ["build_pack", "interior_routing"]


def build_pack(intent: Intent, plan: Plan, stages: Stage | StageMap, pref64_capable: bool = False) -> list[Check]:
    """The checks of a network: the shared infrastructure (routing, the operators) at the province-wide
    stage, then each site's own (its clients) at the site's stage. A Stage alone: the whole province at it."""
    stages = stages if isinstance(stages, StageMap) else StageMap.of(intent, stages)
    checks: list[Check] = []
    checks += routing(intent, plan, stages.province)
    if not stages.sites:  # an intent whose segments all host services: its clients, at the province's stage
        return checks + _site_checks(intent, plan, stages.province, _clients(intent, None), "-", pref64_capable)
    for site, stage in stages.sites:
        checks += _site_checks(intent, plan, stage, _clients(intent, site), site, pref64_capable)
    return checks


def _site_checks(
    intent: Intent, plan: Plan, stage: Stage, clients: dict[str, str], site: str, pref64_capable: bool
) -> list[Check]:
    """One site's checks at its stage, from the clients playing each part there."""
    checks: list[Check] = []
    for role, name in clients.items():
        seg = intent.segment_of_host(name)
        if seg is not None:
            checks += client_checks(intent, plan, stage, role, name, seg)
    legacy = clients.get("legacy")
    if legacy and (seg := intent.segment_of_host(legacy)):
        checks += legacy_checks(plan, legacy, seg)
    # PREF64 from the client that honours option 108 (the one a CLAT would serve): there from ipv6-mostly
    # on where the routers' platform can send it, absent before.
    ra_client = clients.get("option108") or clients.get("dual")
    if stage.pref64 and not pref64_capable:
        reason = "a router's platform cannot send the PREF64 option (its capability table names the fallback): hosts learn the prefix through DNS64 (RFC 7050)"
        name = "pref64" if site == "-" else f"pref64 {site}"
        checks.append(Check(name, "-", f"RA carries PREF64 {plan.nat64_prefix}", _noop, skip=reason))
    elif stage.router_advertisements and ra_client and (check := pref64_check(intent, plan, stage, ra_client)):
        checks.append(check)
    rogue, victim = clients.get("rogue"), clients.get("option108") or clients.get("dual")
    if stage.first_hop_security and rogue and victim:
        checks += first_hop_security(intent, rogue, victim, clients.get("dual") or victim)
    return checks


def _noop(shell: Shell, node: str) -> tuple[bool, str]:
    return True, ""


def _clients(intent: Intent, site: str | None) -> dict[str, str]:
    """The client playing each part at a site (None: anywhere): option108 (pc1), dual (pc2), legacy
    (legacy1), rogue (rogue1)."""
    out: dict[str, str] = {}
    for name, c in intent.clients.items():
        seg = intent.segment_of_host(name)
        if site is not None and (seg is None or site_of(seg) != site):
            continue
        if c.rogue:
            out.setdefault("rogue", name)
        elif c.ipv4_only:
            out.setdefault("legacy", name)
        elif c.option108:
            out.setdefault("option108", name)
        else:
            out.setdefault("dual", name)
    return out

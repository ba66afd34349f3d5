"""Routing checks: OSPF adjacencies inside the province, eBGP sessions with the operators, and what the
province advertises to them (its own aggregates only: a leaked default route or another operator's
prefixes would make the province a transit network)."""

from __future__ import annotations

from pilot.addressing import Plan
from pilot.intent.model import Intent
from pilot.stages.model import Stage
from pilot.text import one_line
from pilot.verify.model import Check, Probe, Shell
from pilot.verify.observe import vtysh_json


def interior_routing(intent: Intent, plan: Plan, stage: Stage) -> list[Check]:
    """The OSPF adjacencies of the stage: what clients need before they ask DHCP again."""
    checks = []
    for link in intent.router_links:
        lp = plan.links[link.key]
        a, b = link.a.node, link.b.node
        rid = str(plan.router_id(b))
        if lp.a.ipv4 is not None:
            checks.append(Check(f"ospf {a}~{b}", a, f"OSPFv2 neighbour {b} ({rid}) Full", _ospf(rid), timeout=45))
        if stage.ipv6:
            checks.append(Check(f"ospf6 {a}~{b}", a, f"OSPFv3 neighbour {b} ({rid}) Full", _ospf6(rid), timeout=45))
    return checks


def routing(intent: Intent, plan: Plan, stage: Stage) -> list[Check]:
    checks = interior_routing(intent, plan, stage)
    aggregates = {"ipv4": str(plan.province4), "ipv6": str(plan.province6)}
    for op in intent.internet.operators:
        for own, far in op.uplinks:
            _, _, _, peer = plan.links[f"{own}~{far}"].end(own.node)
            families = [("ipv4", peer.ipv4)] + ([("ipv6", peer.ipv6)] if stage.ipv6 else [])
            for family, address in families:
                if address is None:
                    continue
                name, operator = f"{own.node}~{op.node}", one_line(op.name)  # free text: one line on screen
                expected = f"eBGP {family} session with {operator} ({address.ip}) Established, routes received"
                checks.append(
                    Check(f"bgp-{family} {name}", own.node, expected, _bgp(family, str(address.ip)), timeout=60)
                )
                want = aggregates[family]
                checks.append(
                    Check(
                        f"bgp-export-{family} {name}",
                        own.node,
                        f"advertises to {operator} only the province's {want}",
                        _exports(family, str(address.ip), {want}),
                        timeout=30,
                    )
                )
    return checks


def _ospf(rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = vtysh_json(shell, node, "show ip ospf neighbor json")
        entries = (data.get("neighbors") or {}).get(rid) or []
        state = entries[0].get("nbrState", "?") if entries else "absent"
        return state.startswith("Full"), f"neighbour {rid}: {state}"

    return probe


def _ospf6(rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = vtysh_json(shell, node, "show ipv6 ospf6 neighbor json")
        states = [n.get("state") for n in data.get("neighbors") or [] if n.get("neighborId") == rid]
        return "Full" in states, f"neighbour {rid}: {states[0] if states else 'absent'}"

    return probe


def _bgp(family: str, peer: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = vtysh_json(shell, node, f"show bgp {family} unicast summary json")
        p = (data.get("peers") or {}).get(peer) or {}
        state, received = p.get("state", "absent"), p.get("pfxRcd", 0)
        return state == "Established" and received > 0, f"{state}, {received} prefixes received"

    return probe


def _exports(family: str, peer: str, allowed: set[str]) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = vtysh_json(shell, node, f"show bgp {family} unicast neighbors {peer} advertised-routes json")
        sent = set(data.get("advertisedRoutes") or {})
        extra, missing = sorted(sent - allowed), sorted(allowed - sent)
        observed = "advertises " + (", ".join(sorted(sent)) or "nothing")
        if extra:
            observed += f"; NOT the province's: {', '.join(extra[:5])}" + (" ..." if len(extra) > 5 else "")
        return not extra and not missing, observed

    return probe

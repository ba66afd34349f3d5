"""Routing checks: OSPF adjacencies inside the province, eBGP sessions with the operators, and what the
province advertises to them (its own aggregates only: a leaked default route or another operator's
prefixes would make the province a transit network)."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv6Interface

from pilot.addressing import Plan
from pilot.intent.model import Intent
from pilot.platforms.probes import Family, NotObservable, RoutingProbes, routing_probes
from pilot.stages.model import Stage
from pilot.text import one_line
from pilot.verify.model import Check, Probe, Shell


def interior_routing(intent: Intent, plan: Plan, stage: Stage) -> list[Check]:
    """The OSPF adjacencies of the stage: what clients need before they ask DHCP again."""
    checks = []
    for link in intent.router_links:
        lp = plan.links[link.key]
        a, b = link.a.node, link.b.node
        rid, probes = str(plan.router_id(b)), _probes(intent, a)
        if lp.a.ipv4 is not None:
            ospf = _ospf(probes, rid)
            checks.append(Check(f"ospf {a}~{b}", a, f"OSPFv2 neighbour {b} ({rid}) Full", ospf, timeout=45))
        if stage.ipv6:
            ospf6 = _ospf6(probes, rid)
            checks.append(Check(f"ospf6 {a}~{b}", a, f"OSPFv3 neighbour {b} ({rid}) Full", ospf6, timeout=45))
    return checks


def routing(intent: Intent, plan: Plan, stage: Stage) -> list[Check]:
    checks = interior_routing(intent, plan, stage)
    aggregates: dict[Family, str] = {"ipv4": str(plan.province4), "ipv6": str(plan.province6)}
    for op in intent.internet.operators:
        for own, far in op.uplinks:
            _, _, _, peer = plan.links[f"{own}~{far}"].end(own.node)
            probes = _probes(intent, own.node)
            families: list[tuple[Family, IPv4Interface | IPv6Interface | None]] = [("ipv4", peer.ipv4)]
            if stage.ipv6:
                families.append(("ipv6", peer.ipv6))
            for family, address in families:
                if address is None:
                    continue
                name, operator = f"{own.node}~{op.node}", one_line(op.name)  # free text: one line on screen
                expected = f"eBGP {family} session with {operator} ({address.ip}) Established, routes received"
                checks.append(
                    Check(f"bgp-{family} {name}", own.node, expected, _bgp(probes, family, str(address.ip)), timeout=60)
                )
                want = aggregates[family]
                checks.append(
                    Check(
                        f"bgp-export-{family} {name}",
                        own.node,
                        f"advertises to {operator} only the province's {want}",
                        _exports(probes, family, str(address.ip), {want}),
                        timeout=30,
                    )
                )
    return checks


def _probes(intent: Intent, node: str) -> RoutingProbes:
    return routing_probes(intent.topology.node(node).platform)


def _unobservable(probe: Probe) -> Probe:
    """A probe whose platform cannot observe what it asks fails saying so (it is not a crash of the pack)."""

    def guarded(shell: Shell, node: str) -> tuple[bool, str]:
        try:
            return probe(shell, node)
        except NotObservable as exc:
            return False, f"cannot observe: {exc}"

    return guarded


def _ospf(probes: RoutingProbes, rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [n for n in probes.ospf_neighbors(shell, node, 2) if n.router_id == rid]
        state = found[0].state if found else "absent"
        return bool(found) and found[0].full, f"neighbour {rid}: {state}"

    return _unobservable(probe)


def _ospf6(probes: RoutingProbes, rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [n for n in probes.ospf_neighbors(shell, node, 3) if n.router_id == rid]
        return any(n.full for n in found), f"neighbour {rid}: {found[0].state if found else 'absent'}"

    return _unobservable(probe)


def _bgp(probes: RoutingProbes, family: Family, peer: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [s for s in probes.bgp_sessions(shell, node, family) if s.peer == peer]
        state, received = (found[0].state, found[0].prefixes_received) if found else ("absent", 0)
        return bool(found) and found[0].established and received > 0, f"{state}, {received} prefixes received"

    return _unobservable(probe)


def _exports(probes: RoutingProbes, family: Family, peer: str, allowed: set[str]) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        sent = probes.advertised(shell, node, family, peer)
        extra, missing = sorted(sent - allowed), sorted(allowed - sent)
        observed = "advertises " + (", ".join(sorted(sent)) or "nothing")
        if extra:
            observed += f"; NOT the province's: {', '.join(extra[:5])}" + (" ..." if len(extra) > 5 else "")
        return not extra and not missing, observed

    return _unobservable(probe)

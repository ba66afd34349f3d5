"""The verification pack of a stage: real probes run on the network's own nodes.

Each check looks at the network the way a user or an engineer would (rdisc6 on a client, dig, curl
through NAT64, vtysh on a router, a rogue RA sent from a host port) and says what it expected and
what it saw. Which checks a stage gets follows from the stage's flags and the intent, never from a
list of node names: pc1 is "the client that honours option 108", legacy1 "the IPv4-only client".
"""

from __future__ import annotations

import ipaddress
import json
import shlex
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from pathlib import Path
from typing import Any

from pilot.addressing import Plan
from pilot.intent.model import Intent, Segment
from pilot.intent.schema import Dhcpv6
from pilot.stages.model import Stage
from pilot.verify.model import Check, Probe, Shell

ROGUE_PREFIX = "2001:db8:bad:bad::"  # documentation space: a rogue RA's prefix never leaves the lab
SCRIPTS = Path(__file__).with_name("scripts")


def build_pack(intent: Intent, plan: Plan, stage: Stage, pref64_capable: bool = False) -> list[Check]:
    checks: list[Check] = []
    checks += _routing(intent, plan, stage)
    clients = _clients(intent)
    for role, name in clients.items():
        seg = intent.segment_of_host(name)
        if seg is None:
            continue
        checks += _client_checks(intent, plan, stage, role, name, seg)
    legacy = clients.get("legacy")
    if legacy and (seg := intent.segment_of_host(legacy)):
        checks.append(_legacy(plan, legacy, seg))
    if stage.pref64:
        reason = (
            None
            if pref64_capable
            else "the routers' platform cannot send the PREF64 option (FRR < 10.4): hosts learn the prefix through DNS64 (RFC 7050)"
        )
        checks.append(Check("pref64", "-", f"RA carries PREF64 {plan.nat64_prefix}", _noop, skip=reason))
    rogue, victim = clients.get("rogue"), clients.get("option108") or clients.get("dual")
    if stage.first_hop_security and rogue and victim:
        checks += _first_hop_security(intent, rogue, victim, clients.get("dual") or victim)
    return checks


def _noop(shell: Shell, node: str) -> tuple[bool, str]:
    return True, ""


def _clients(intent: Intent) -> dict[str, str]:
    """The client playing each part: option108 (pc1), dual (pc2), legacy (legacy1), rogue (rogue1)."""
    out: dict[str, str] = {}
    for name, c in intent.clients.items():
        if c.rogue:
            out.setdefault("rogue", name)
        elif c.ipv4_only:
            out.setdefault("legacy", name)
        elif c.option108:
            out.setdefault("option108", name)
        else:
            out.setdefault("dual", name)
    return out


# -- routing ----------------------------------------------------------------------------------------


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


def _routing(intent: Intent, plan: Plan, stage: Stage) -> list[Check]:
    checks = interior_routing(intent, plan, stage)
    for op in intent.internet.operators:
        for own, far in op.uplinks:
            _, _, _, peer = plan.links[f"{own}~{far}"].end(own.node)
            families = [("ipv4", peer.ipv4)] + ([("ipv6", peer.ipv6)] if stage.ipv6 else [])
            for family, address in families:
                if address is not None:
                    expected = f"eBGP {family} session with {op.name} ({address.ip}) Established, routes received"
                    checks.append(
                        Check(
                            f"bgp-{family} {own.node}~{op.node}",
                            own.node,
                            expected,
                            _bgp(family, str(address.ip)),
                            timeout=60,
                        )
                    )
    return checks


def _vtysh_json(shell: Shell, node: str, command: str) -> dict[str, Any]:
    result = shell.run(node, f"vtysh -c {shlex.quote(command)}")
    try:
        data = json.loads(result.stdout or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _ospf(rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = _vtysh_json(shell, node, "show ip ospf neighbor json")
        entries = (data.get("neighbors") or {}).get(rid) or []
        state = entries[0].get("nbrState", "?") if entries else "absent"
        return state.startswith("Full"), f"neighbour {rid}: {state}"

    return probe


def _ospf6(rid: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = _vtysh_json(shell, node, "show ipv6 ospf6 neighbor json")
        states = [n.get("state") for n in data.get("neighbors") or [] if n.get("neighborId") == rid]
        return "Full" in states, f"neighbour {rid}: {states[0] if states else 'absent'}"

    return probe


def _bgp(family: str, peer: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        data = _vtysh_json(shell, node, f"show bgp {family} unicast summary json")
        p = (data.get("peers") or {}).get(peer) or {}
        state, received = p.get("state", "absent"), p.get("pfxRcd", 0)
        return state == "Established" and received > 0, f"{state}, {received} prefixes received"

    return probe


# -- clients ---------------------------------------------------------------------------------------


def _addresses(
    shell: Shell, node: str, iface: str, family: str, scope: str = "global"
) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    """The interface's usable addresses (DAD finished) of one family and scope, as the node reports them."""
    flag = "-4" if family == "ipv4" else "-6"
    out = shell.run(node, f"ip {flag} -j addr show dev {shlex.quote(iface)} scope {scope}").stdout
    found = []
    for link in json.loads(out or "[]"):
        for a in link.get("addr_info", []):
            if a.get("local") and not a.get("tentative"):
                found.append(ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"))
    return found


def _client_checks(intent: Intent, plan: Plan, stage: Stage, role: str, name: str, seg: Segment) -> list[Check]:
    if role in ("rogue", "legacy"):
        return []  # the rogue has the first-hop security checks, the IPv4-only client _legacy()
    iface = next(a.interface for a in seg.hosts if a.host == name)
    sp = plan.segments[seg.key]
    has_v4 = sp.ipv4 is not None and (not seg.is_user or stage.ipv4_users)
    domain = intent.province.domain
    portal_segment = intent.segment_of_host(intent.services.portal)
    assert portal_segment is not None  # the intent loader requires every service on a segment
    portal = plan.segments[portal_segment.key].hosts[intent.services.portal]
    checks: list[Check] = []
    gets_108 = role == "option108" and stage.option108 and seg.is_user
    if has_v4 and sp.ipv4 is not None:
        if gets_108:
            checks.append(
                Check(
                    f"option108 {name}",
                    name,
                    "no IPv4: the client honours option 108 (IPv6-Only Preferred)",
                    _no_ipv4(iface),
                    timeout=20,
                )
            )
        else:
            checks.append(
                Check(
                    f"dhcpv4 {name}",
                    name,
                    f"an IPv4 lease in {sp.ipv4}",
                    _has_address(iface, "ipv4", sp.ipv4),
                    timeout=30,
                )
            )
            checks.append(
                Check(
                    f"portal-ipv4 {name}",
                    name,
                    f"http://portal.{domain}/ over IPv4 answers 200",
                    _http(4, f"portal.{domain}", str(portal.ipv4.ip) if portal.ipv4 else None),
                )
            )
            if intent.internet.sites:
                site = intent.internet.sites[0]
                checks.append(
                    Check(
                        f"internet-ipv4 {name}",
                        name,
                        f"http://{site.name}.{domain}/ over IPv4 answers 200",
                        _http(4, f"{site.name}.{domain}", None),
                    )
                )
    elif seg.is_user and stage.ipv6:
        checks.append(
            Check(
                f"no-ipv4 {name}",
                name,
                "no IPv4 address and no IPv4 default route (IPv6-only)",
                _no_ipv4(iface),
                timeout=20,
            )
        )
    if stage.router_advertisements:
        expected = f"RA with prefix {sp.ipv6}, RDNSS, DNSSL {domain}, M={'1' if seg.dhcpv6 is Dhcpv6.STATEFUL and stage.dhcpv6 else '0'}"
        checks.append(
            Check(
                f"ra {name}",
                name,
                expected,
                _ra(iface, sp.ipv6, seg.dhcpv6 is Dhcpv6.STATEFUL and stage.dhcpv6, domain),
            )
        )
        checks.append(
            Check(
                f"slaac {name}", name, f"a SLAAC address in {sp.ipv6}", _has_address(iface, "ipv6", sp.ipv6, slaac=True)
            )
        )
    if stage.dhcpv6 and seg.dhcpv6 is Dhcpv6.STATEFUL:
        first, last = sp.pool6
        checks.append(
            Check(
                f"dhcpv6 {name}",
                name,
                f"a DHCPv6 lease in {first}-{last}",
                _dhcpv6_lease(iface, first, last),
                timeout=30,
            )
        )
    if stage.ipv6:
        checks.append(
            Check(
                f"portal-ipv6 {name}",
                name,
                f"http://portal.{domain}/ over IPv6 answers 200",
                _http(6, f"portal.{domain}", str(portal.ipv6.ip) if portal.ipv6 else None),
            )
        )
    if stage.nat64:
        want = sorted(str(_synth(plan.nat64_prefix, IPv4Address(a))) for a in ("192.0.0.170", "192.0.0.171"))
        checks.append(Check(f"dns64 {name}", name, f"AAAA ipv4only.arpa = {', '.join(want)}", _dns64(want)))
        if intent.internet.sites:
            site = intent.internet.sites[0]
            checks.append(
                Check(
                    f"nat64 {name}",
                    name,
                    f"http://{site.name}.{domain}/ over IPv6 through NAT64 ({plan.nat64_prefix})",
                    _http(6, f"{site.name}.{domain}", None, within=plan.nat64_prefix),
                )
            )
    return checks


def _synth(prefix: IPv6Network, v4: IPv4Address) -> IPv6Address:
    return IPv6Address(int(prefix.network_address) | int(v4))


def _has_address(iface: str, family: str, net: ipaddress.IPv4Network | IPv6Network, slaac: bool = False) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [a for a in _addresses(shell, node, iface, family) if a.ip in net]
        if slaac:
            found = [a for a in found if a.network.prefixlen == 64]
        return bool(found), ", ".join(str(a) for a in found) or "none"

    return probe


def _dhcpv6_lease(iface: str, first: IPv6Address, last: IPv6Address) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        v6 = [a.ip for a in _addresses(shell, node, iface, "ipv6") if a.network.prefixlen == 128]
        leased = [ip for ip in v6 if isinstance(ip, IPv6Address) and first <= ip <= last]
        return bool(leased), ", ".join(str(ip) for ip in leased) or "no address from the pool"

    return probe


def _no_ipv4(iface: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        addresses = _addresses(shell, node, iface, "ipv4")
        default = shell.run(node, "ip -4 route show default").stdout.strip()
        observed = (", ".join(str(a) for a in addresses) or "no IPv4 address") + (
            "; default " + default if default else "; no IPv4 default route"
        )
        return not addresses and not default, observed

    return probe


def _ra(iface: str, prefix: IPv6Network, managed: bool, domain: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        out = shell.run(node, f"rdisc6 -1 -r 3 -w 1000 {shlex.quote(iface)}", timeout=15).stdout
        fields: dict[str, str] = {}
        for line in out.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.split("(")[0].strip())
        seen_prefix = fields.get("Prefix", "")
        m_flag = fields.get("Stateful address conf.", "?")
        ok = (
            seen_prefix == str(prefix)
            and bool(fields.get("Recursive DNS server"))
            and domain in fields.get("DNS search list", "")
        )
        ok = ok and m_flag == ("Yes" if managed else "No")
        observed = f"prefix {seen_prefix or 'none'}, RDNSS {fields.get('Recursive DNS server', 'none')}, DNSSL {fields.get('DNS search list', 'none')}, M={m_flag}, O={fields.get('Stateful other conf.', '?')}"
        return ok, observed

    return probe


def _http(version: int, name: str, address: str | None, within: IPv6Network | None = None) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        command = f"curl -{version} -sS -m 5 -o /dev/null -w '%{{remote_ip}} %{{http_code}}' http://{name}/"
        result = shell.run(node, command, timeout=15)
        parts = result.stdout.split()
        if result.returncode != 0 or len(parts) != 2:
            return False, (result.stderr.strip().splitlines() or [f"curl exit {result.returncode}"])[-1]
        remote, code = parts
        ok = code == "200" and (address is None or remote == address)
        if within is not None:
            ok = ok and ipaddress.ip_address(remote) in within
        return ok, f"HTTP {code} from {remote}"

    return probe


def _dns64(want: list[str]) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        out = shell.run(node, "dig +short +time=2 +tries=1 AAAA ipv4only.arpa").stdout
        got = sorted(line.strip() for line in out.splitlines() if line.strip())
        return got == want, ", ".join(got) or "no answer"

    return probe


def _legacy(plan: Plan, name: str, seg: Segment) -> Check:
    sp = plan.segments[seg.key]
    iface = next(a.interface for a in seg.hosts if a.host == name)
    gateway = sp.gateway4.ip if sp.gateway4 else None

    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [a for a in _addresses(shell, name, iface, "ipv4") if sp.ipv4 and a.ip in sp.ipv4]
        if not found or gateway is None:
            return False, "no IPv4 address in the legacy segment"
        ping = shell.run(name, f"ping -c 1 -W 2 {gateway}", timeout=10)
        return ping.returncode == 0, f"{found[0]}, gateway {gateway} {'answers' if ping.returncode == 0 else 'silent'}"

    return Check(
        f"legacy-ipv4 {name}", name, f"IPv4 kept: a lease in {sp.ipv4}, gateway {gateway} reachable", probe, timeout=30
    )


# -- first-hop security ----------------------------------------------------------------------------


def _first_hop_security(intent: Intent, rogue: str, victim: str, listener: str) -> list[Check]:
    seg = intent.segment_of_host(rogue)
    if seg is None or not seg.medium_is_switch or seg.medium is None:
        return []
    switch = seg.medium
    rogue_if = next(a.interface for a in seg.hosts if a.host == rogue)
    victim_if = next(a.interface for a in seg.hosts if a.host == victim)
    listen_if = next(a.interface for a in seg.hosts if a.host == listener)
    sender = (SCRIPTS / "rogue_ra.py").read_text()
    udp = (SCRIPTS / "udp_from.py").read_text()

    def ra_guard(shell: Shell, node: str) -> tuple[bool, str]:
        before = _counter(shell, switch, "RA Guard")
        shell.run(rogue, f"python3 - {rogue_if} {ROGUE_PREFIX} 1800 <<'EOF'\n{sender}\nEOF", timeout=15)
        leaked = [
            str(a) for a in _addresses(shell, victim, victim_if, "ipv6") if str(a.ip).startswith(ROGUE_PREFIX[:-2])
        ]
        routes = shell.run(victim, "ip -6 route show default").stdout
        rogue_ll = _link_local(shell, rogue, rogue_if)
        via_rogue = bool(rogue_ll) and rogue_ll in routes
        if leaked or via_rogue:
            # The RA got through: withdraw the rogue router and prefix (lifetime 0) so the victim recovers.
            shell.run(rogue, f"python3 - {rogue_if} {ROGUE_PREFIX} 0 <<'EOF'\n{sender}\nEOF", timeout=15)
        dropped = _counter(shell, switch, "RA Guard") - before
        ok = not leaked and not via_rogue and dropped > 0
        return (
            ok,
            f"{victim}: {', '.join(leaked) or 'no rogue address'}, {'default via the rogue' if via_rogue else 'no rogue route'}; {switch} dropped {dropped} RAs",
        )

    def dhcpv6_shield(shell: Shell, node: str) -> tuple[bool, str]:
        target = _link_local(shell, listener, listen_if)
        capture = f"/tmp/pilot-shield-{rogue}.txt"
        shell.run(
            listener,
            f"rm -f {capture}; (timeout 6 tcpdump -l -n -i {listen_if} -c 2 'udp and dst port 546 and src host {_link_local(shell, rogue, rogue_if)}' > {capture} 2>&1 &); "
            + _wait_for(capture, "listening on"),
            timeout=10,
        )
        for sport in (547, 5470):  # a DHCPv6 server message, then a control datagram from another port
            shell.run(rogue, f"python3 - {sport} {target}%{rogue_if} 546 <<'EOF'\n{udp}\nEOF", timeout=10)
        # The control datagram comes last: once it is in, the server message had its chance.
        seen = shell.run(listener, f"{_wait_for(capture, '.5470 >')}; cat {capture}", timeout=10).stdout
        from_547, control = ".547 >" in seen, ".5470 >" in seen
        ok = control and not from_547
        return (
            ok,
            f"{listener} received: server port 547 {'YES' if from_547 else 'no'}, control port 5470 {'yes' if control else 'NO (path broken?)'}",
        )

    return [
        Check(
            f"ra-guard {rogue}",
            rogue,
            f"a rogue RA from {rogue} never reaches {victim} ({switch} drops it)",
            ra_guard,
            timeout=20,
            exclusive=True,
            needs=(victim, switch),
        ),
        Check(
            f"dhcpv6-shield {rogue}",
            rogue,
            f"a DHCPv6 server message from {rogue} never reaches {listener}",
            dhcpv6_shield,
            timeout=20,
            exclusive=True,
            needs=(listener,),
        ),
    ]


def _wait_for(path: str, text: str, seconds: int = 3) -> str:
    """A shell command that waits, on the node itself, until `path` contains `text` (at most `seconds`):
    one SSH round trip instead of polling from here."""
    loop = f"until grep -qF {shlex.quote(text)} {path} 2>/dev/null; do sleep 0.05; done"
    return f"timeout {seconds} sh -c {shlex.quote(loop)}"


def _counter(shell: Shell, switch: str, comment: str) -> int:
    out = shell.run(switch, "nft -j list chain bridge pilot_fhs forward").stdout
    try:
        rules = json.loads(out or "{}").get("nftables", [])
    except ValueError:
        return 0
    for item in rules:
        rule = item.get("rule")
        if rule and rule.get("comment") == comment:
            for expr in rule.get("expr", []):
                if "counter" in expr:
                    return int(expr["counter"].get("packets", 0))
    return 0


def _link_local(shell: Shell, node: str, iface: str) -> str:
    found = _addresses(shell, node, iface, "ipv6", scope="link")
    return str(found[0].ip) if found else ""

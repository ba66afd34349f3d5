"""Checks from the clients' side: what each client holds (addresses, leases, nothing from another
segment), what it can reach (the portal, the Internet through NAT64), what the network offers it (RA,
fresh DHCP exchanges, option 108, DNS64). Which client plays which part comes from the intent."""

from __future__ import annotations

import ipaddress
import shlex
from ipaddress import IPv4Address, IPv6Address, IPv6Network

from pilot.addressing import Plan
from pilot.intent.model import Intent, Segment
from pilot.intent.schema import Dhcpv6
from pilot.stages.model import Stage
from pilot.verify.dhcp import dhcp_checks
from pilot.verify.model import Check, Probe, Shell
from pilot.verify.observe import addresses, routes

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_checks(intent: Intent, plan: Plan, stage: Stage, role: str, name: str, seg: Segment) -> list[Check]:
    """Every client's: its addressing (nothing foreign) and fresh DHCP; then by its part: the rogue has the
    first-hop security checks, the IPv4-only client legacy_checks(), the others the rest here."""
    iface = next(a.interface for a in seg.hosts if a.host == name)
    sp = plan.segments[seg.key]
    has_v4 = sp.ipv4 is not None and (not seg.is_user or stage.ipv4_users)
    uses_v6 = role != "legacy"
    allowed: list[Network] = [sp.ipv4] if has_v4 and sp.ipv4 is not None else []
    if stage.ipv6 and uses_v6:
        allowed.append(sp.ipv6)
    shown = ", ".join(str(n) for n in allowed) or "none at this stage"
    checks = [
        Check(
            f"addressing {name}",
            name,
            f"global addresses and on-link routes only from what {seg.key} offers now ({shown})",
            _nothing_foreign(iface, allowed),
            timeout=5,
        )
    ]
    if role == "rogue":
        return checks
    dns6 = [str(_dns6(intent, plan, stage))] if stage.ipv6 else []
    checks += dhcp_checks(intent, plan, stage, name, seg, iface, v4=True, v6=uses_v6, dns=dns6)
    if role == "legacy":
        return checks
    checks += _ipv4_checks(intent, plan, stage, role, name, seg, iface, has_v4)
    checks += _ipv6_checks(intent, plan, stage, name, seg, iface)
    return checks


def _dns6(intent: Intent, plan: Plan, stage: Stage) -> IPv6Address:
    """The resolver a segment at `stage` is told about: the DNS64 one from a stage with NAT64 on."""
    if stage.nat64 and plan.resolver64 is not None and plan.resolver64.ipv6 is not None:
        return plan.resolver64.ipv6.ip
    seg = intent.segment_of_host(intent.services.dns64)
    assert seg is not None  # the intent loader puts every service on a segment
    address = plan.segments[seg.key].hosts[intent.services.dns64].ipv6
    assert address is not None
    return address.ip


def _portal(intent: Intent, plan: Plan) -> tuple[str | None, str | None]:
    seg = intent.segment_of_host(intent.services.portal)
    assert seg is not None
    portal = plan.segments[seg.key].hosts[intent.services.portal]
    return (str(portal.ipv4.ip) if portal.ipv4 else None, str(portal.ipv6.ip) if portal.ipv6 else None)


def _ipv4_checks(
    intent: Intent, plan: Plan, stage: Stage, role: str, name: str, seg: Segment, iface: str, has_v4: bool
) -> list[Check]:
    sp, domain = plan.segments[seg.key], intent.province.domain
    if not has_v4 or sp.ipv4 is None:
        if seg.is_user and stage.ipv6:
            expected = "no IPv4 address and no IPv4 default route (IPv6-only)"
            return [Check(f"no-ipv4 {name}", name, expected, _no_ipv4(iface), timeout=20)]
        return []
    if role == "option108" and stage.option108 and seg.is_user:
        expected = "no IPv4: the client honours option 108 (IPv6-Only Preferred)"
        return [Check(f"option108 {name}", name, expected, _no_ipv4(iface), timeout=20)]
    portal4, _ = _portal(intent, plan)
    checks = [
        Check(f"dhcpv4 {name}", name, f"holds an IPv4 lease in {sp.ipv4}", _has(iface, "ipv4", sp.ipv4), timeout=30),
        Check(
            f"portal-ipv4 {name}",
            name,
            f"http://portal.{domain}/ over IPv4 answers 200",
            _http(4, f"portal.{domain}", portal4),
        ),
    ]
    if intent.internet.sites:
        site = intent.internet.sites[0].name
        expected = f"http://{site}.{domain}/ over IPv4 answers 200"
        checks.append(Check(f"internet-ipv4 {name}", name, expected, _http(4, f"{site}.{domain}", None)))
    return checks


def _ipv6_checks(intent: Intent, plan: Plan, stage: Stage, name: str, seg: Segment, iface: str) -> list[Check]:
    sp, domain = plan.segments[seg.key], intent.province.domain
    checks: list[Check] = []
    managed = seg.dhcpv6 is Dhcpv6.STATEFUL and stage.dhcpv6
    if stage.router_advertisements:
        expected = f"RA with prefix {sp.ipv6}, RDNSS, DNSSL {domain}, M={'1' if managed else '0'}"
        checks.append(Check(f"ra {name}", name, expected, _ra(iface, sp.ipv6, managed, domain)))
        expected = f"a SLAAC address in {sp.ipv6}"
        checks.append(Check(f"slaac {name}", name, expected, _has(iface, "ipv6", sp.ipv6, slaac=True)))
    if managed:
        first, last = sp.pool6
        expected = f"holds a DHCPv6 lease in {first}-{last}"
        checks.append(Check(f"dhcpv6 {name}", name, expected, _dhcpv6_lease(iface, first, last), timeout=30))
    if stage.ipv6:
        _, portal6 = _portal(intent, plan)
        expected = f"http://portal.{domain}/ over IPv6 answers 200"
        checks.append(Check(f"portal-ipv6 {name}", name, expected, _http(6, f"portal.{domain}", portal6)))
    if stage.nat64:
        want = sorted(str(_synth(plan.nat64_prefix, IPv4Address(a))) for a in ("192.0.0.170", "192.0.0.171"))
        checks.append(Check(f"dns64 {name}", name, f"AAAA ipv4only.arpa = {', '.join(want)}", _dns64(want)))
        if intent.internet.sites:
            site = intent.internet.sites[0].name
            expected = f"http://{site}.{domain}/ over IPv6 through NAT64 ({plan.nat64_prefix})"
            probe = _http(6, f"{site}.{domain}", None, within=plan.nat64_prefix)
            checks.append(Check(f"nat64 {name}", name, expected, probe))
    elif stage.ipv6:
        # Not yet: a site before ipv6-mostly asks a resolver without DNS64, whatever the other sites do.
        expected = "no AAAA for ipv4only.arpa (no DNS64 before ipv6-mostly)"
        checks.append(Check(f"no-dns64 {name}", name, expected, _dns64([])))
    return checks


def legacy_checks(plan: Plan, name: str, seg: Segment) -> list[Check]:
    sp = plan.segments[seg.key]
    iface = next(a.interface for a in seg.hosts if a.host == name)
    gateway = sp.gateway4.ip if sp.gateway4 else None

    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [a for a in addresses(shell, name, iface, "ipv4") if sp.ipv4 and a.ip in sp.ipv4]
        if not found or gateway is None:
            return False, "no IPv4 address in the legacy segment"
        ping = shell.run(name, f"ping -c 1 -W 2 {gateway}", timeout=10)
        return ping.returncode == 0, f"{found[0]}, gateway {gateway} {'answers' if ping.returncode == 0 else 'silent'}"

    expected = f"IPv4 kept: a lease in {sp.ipv4}, gateway {gateway} reachable"
    return [Check(f"legacy-ipv4 {name}", name, expected, probe, timeout=30)]


# -- probes ------------------------------------------------------------------------------------------


def _synth(prefix: IPv6Network, v4: IPv4Address) -> IPv6Address:
    return IPv6Address(int(prefix.network_address) | int(v4))


def _nothing_foreign(iface: str, allowed: list[Network]) -> Probe:
    """No global address and no route (other than the default) outside the segment's prefixes: an
    address from another VLAN's RA or a stage rolled back lives for days if nothing removes it."""

    def inside(text: str) -> bool:
        net = ipaddress.ip_network(text, strict=False)
        return any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]

    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        foreign: list[str] = []
        for family in ("ipv4", "ipv6"):
            foreign += [f"address {a}" for a in addresses(shell, node, iface, family) if not inside(str(a.ip))]
            for r in routes(shell, node, iface, family):
                dst = str(r.get("dst", ""))
                if dst in ("default", "") or dst.startswith(("fe80:", "ff")) or inside(dst):
                    continue
                foreign.append(f"route {dst}")
        return not foreign, ("FOREIGN: " + ", ".join(foreign)) if foreign else "nothing from another segment"

    return probe


def _has(iface: str, family: str, net: Network, slaac: bool = False) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = [a for a in addresses(shell, node, iface, family) if a.ip in net]
        if slaac:
            found = [a for a in found if a.network.prefixlen == 64]
        return bool(found), ", ".join(str(a) for a in found) or "none"

    return probe


def _dhcpv6_lease(iface: str, first: IPv6Address, last: IPv6Address) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        v6 = [a.ip for a in addresses(shell, node, iface, "ipv6") if a.network.prefixlen == 128]
        leased = [ip for ip in v6 if isinstance(ip, IPv6Address) and first <= ip <= last]
        return bool(leased), ", ".join(str(ip) for ip in leased) or "no address from the pool"

    return probe


def _no_ipv4(iface: str) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        found = addresses(shell, node, iface, "ipv4")
        default = shell.run(node, "ip -4 route show default").stdout.strip()
        observed = (", ".join(str(a) for a in found) or "no IPv4 address") + (
            "; default " + default if default else "; no IPv4 default route"
        )
        return not found and not default, observed

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
            and m_flag == ("Yes" if managed else "No")
        )
        observed = (
            f"prefix {seen_prefix or 'none'}, RDNSS {fields.get('Recursive DNS server', 'none')}, "
            f"DNSSL {fields.get('DNS search list', 'none')}, M={m_flag}, O={fields.get('Stateful other conf.', '?')}"
        )
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

"""Fresh DHCP exchanges from a client's port (scripts/dhcp_probe.py): the server answers now, with the
stage's options, whatever lease the client already holds. A stopped server fails within seconds."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from pilot.addressing import Plan
from pilot.intent.model import Intent, Segment
from pilot.intent.schema import Dhcpv6
from pilot.stages.model import Stage
from pilot.verify.model import Check, Probe, Shell
from pilot.verify.observe import ask_script

WAIT = 3  # seconds the probe waits for an answer, retransmitting every second
TIMEOUT = 4.0  # a check asks once more at most (a server just restarted): a stopped one fails within seconds


def dhcp_checks(
    intent: Intent, plan: Plan, stage: Stage, name: str, seg: Segment, iface: str, v4: bool, v6: bool, dns: list[str]
) -> list[Check]:
    """`v4`/`v6`: the client uses that family (an IPv4-only printer has no IPv6 to ask with); `dns`:
    the IPv6 name servers DHCPv6 must hand out."""
    sp = plan.segments[seg.key]
    checks = []
    serves4 = sp.ipv4 is not None and (not seg.is_user or stage.ipv4_users) and sp.pool4 and sp.gateway4
    if v4 and serves4 and sp.pool4 is not None and sp.gateway4 is not None:
        wait = intent.province.v6only_wait if stage.option108 and seg.is_user else None
        first, last = sp.pool4
        expected = f"a fresh DHCPv4 offer in {first}-{last}, router {sp.gateway4.ip}, " + (
            f"option 108 = {wait} s" if wait else "no option 108"
        )
        checks.append(
            Check(f"dhcpv4-offer {name}", name, expected, _offer4(iface, first, last, sp.gateway4.ip, wait), TIMEOUT)
        )
    if v6 and stage.dhcpv6 and seg.dhcpv6 is not Dhcpv6.NONE:
        if seg.dhcpv6 is Dhcpv6.STATEFUL:
            first6, last6 = sp.pool6
            expected = f"a fresh DHCPv6 advertise of an address in {first6}-{last6}, DNS {', '.join(dns)}"
            checks.append(Check(f"dhcpv6-offer {name}", name, expected, _offer6(iface, (first6, last6), dns), TIMEOUT))
        else:
            expected = f"a fresh DHCPv6 reply to an Information-Request: DNS {', '.join(dns)}"
            checks.append(Check(f"dhcpv6-offer {name}", name, expected, _offer6(iface, None, dns), TIMEOUT))
    return checks


def _ask(shell: Shell, node: str, args: str) -> dict[str, object]:
    """The probe's JSON answer; {"error": why} when it printed none (no python3, a traceback)."""
    return ask_script(shell, node, "dhcp_probe.py", args, WAIT + 10, "DHCP probe")


def _offer4(iface: str, first: IPv4Address, last: IPv4Address, router: IPv4Address, wait: int | None) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        offer = _ask(shell, node, f"4 {iface} {WAIT} --option108")
        if "error" in offer:
            return False, str(offer["error"])
        yiaddr = IPv4Address(str(offer.get("yiaddr")))
        got108 = offer.get("v6only_wait")
        ok = first <= yiaddr <= last and offer.get("router") == str(router) and got108 == wait
        return ok, (
            f"offer {yiaddr} from {offer.get('server')}, router {offer.get('router')}, "
            + (f"option 108 = {got108} s" if got108 is not None else "no option 108")
        )

    return probe


def _offer6(iface: str, pool: tuple[IPv6Address, IPv6Address] | None, dns: list[str]) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        answer = _ask(shell, node, f"{'6' if pool else '6i'} {iface} {WAIT}")
        if "error" in answer:
            return False, str(answer["error"])
        got_dns = sorted(str(a) for a in answer.get("dns") or [])  # type: ignore[attr-defined]
        addresses = [IPv6Address(str(a)) for a in answer.get("addresses") or []]  # type: ignore[attr-defined]
        ok = got_dns == dns
        observed = f"DNS {', '.join(got_dns) or 'none'}"
        if pool is not None:
            ok = ok and any(pool[0] <= a <= pool[1] for a in addresses)
            shown = ", ".join(str(a) for a in addresses) or f"no address ({answer.get('status') or 'no status'})"
            observed = f"advertise {shown}, {observed}"
        return ok, observed

    return probe

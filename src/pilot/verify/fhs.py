"""First-hop security, tried from a host port: a rogue RA and a rogue DHCPv6 server message thrown at
the switch must not reach the other hosts. The probes remove whatever they planted, pass or fail: a
victim must never keep a rogue address or router after a check."""

from __future__ import annotations

import shlex

from pilot.intent.model import Intent
from pilot.platforms import get_platform
from pilot.verify.model import Check, Shell
from pilot.verify.observe import addresses, link_local, run_script, wait_for

ROGUE_PREFIX = "2001:db8:bad:bad::"  # documentation space: a rogue RA's prefix never leaves the lab
# Short lifetimes: an RA that gets through (no RA Guard yet) is gone within a minute even if the clean
# up below could not run. A withdrawal (lifetime 0) cannot do it: RFC 4862's two-hour rule ignores a
# shorter valid lifetime, and RA Guard drops the withdrawal too once it is on.
ROGUE_LIFETIME = 30


def first_hop_security(intent: Intent, rogue: str, victim: str, listener: str) -> list[Check]:
    seg = intent.segment_of_host(rogue)
    if seg is None or not seg.medium_is_switch or seg.medium is None:
        return []
    switch = seg.medium
    platform = intent.topology.node(switch).platform
    rogue_if = next(a.interface for a in seg.hosts if a.host == rogue)
    listen_if = next(a.interface for a in seg.hosts if a.host == listener)
    # Every other host of the segment hears a rogue RA that gets through: each is checked and cleaned.
    others = [(a.host, a.interface) for a in seg.hosts if a.host != rogue]

    def ra_guard(shell: Shell, node: str) -> tuple[bool, str]:
        before = get_platform(platform).fhs_drops(shell, switch, "RA Guard")
        run_script(shell, rogue, "rogue_ra.py", f"{rogue_if} {ROGUE_PREFIX} {ROGUE_LIFETIME}")
        rogue_ll = link_local(shell, rogue, rogue_if)
        present = others
        leaked = {h: _planted(shell, h, i, rogue_ll) for h, i in present}
        after = get_platform(platform).fhs_drops(shell, switch, "RA Guard")
        # A switch that counts what it drops must have dropped this RA; one that cannot tell (None) is
        # judged by what reached the hosts alone.
        dropped = None if before is None or after is None else after - before
        if any(leaked.values()):
            # Withdraw the router and its on-link prefix (lifetime 0: it reaches them, as the RA did), then
            # remove by hand what the two-hour rule keeps (the addresses).
            run_script(shell, rogue, "rogue_ra.py", f"{rogue_if} {ROGUE_PREFIX} 0")
        for h, i in present:
            _clean(shell, h, i, rogue_ll)
        left = {h: found for h, i in present if (found := _planted(shell, h, i, rogue_ll))}
        got = [f"{h}: {', '.join(found)}" for h, found in leaked.items() if found]
        ok = not got and (dropped is None or dropped > 0) and not left
        return ok, (
            ("; ".join(got) if got else f"{victim} and the others: no rogue address or route")
            + (f"; {switch} dropped {dropped} RAs" if dropped is not None else f"; {switch} counts no drops")
            + ("".join(f"; LEFT BEHIND on {h}: {', '.join(found)}" for h, found in left.items()))
        )

    def dhcpv6_shield(shell: Shell, node: str) -> tuple[bool, str]:
        target = link_local(shell, listener, listen_if)
        capture = f"/tmp/pilot-shield-{rogue}.txt"
        source = link_local(shell, rogue, rogue_if)
        shell.run(
            listener,
            f"rm -f {capture}; (timeout 6 tcpdump -l -n -i {listen_if} -c 2 'udp and dst port 546 and src host {source}' > {capture} 2>&1 &); "
            + wait_for(capture, "listening on"),
            timeout=10,
        )
        for sport in (547, 5470):  # a DHCPv6 server message, then a control datagram from another port
            run_script(shell, rogue, "udp_from.py", f"{sport} {target}%{rogue_if} 546", timeout=10)
        # The control datagram comes last: once it is in, the server message had its chance.
        seen = shell.run(listener, f"{wait_for(capture, '.5470 >')}; cat {capture}; rm -f {capture}", timeout=10).stdout
        from_547, control = ".547 >" in seen, ".5470 >" in seen
        return (
            control and not from_547,
            f"{listener} received: server port 547 {'YES' if from_547 else 'no'}, control port 5470 {'yes' if control else 'NO (path broken?)'}",
        )

    return [
        Check(
            f"ra-guard {rogue}",
            rogue,
            f"a rogue RA from {rogue} never reaches {victim} ({switch} drops it), and nothing is left behind",
            ra_guard,
            timeout=20,
            exclusive=True,
            needs=(victim, switch, *(h for h, _ in others)),
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


def _planted(shell: Shell, victim: str, iface: str, rogue_ll: str) -> list[str]:
    """What a rogue RA left on the victim: addresses and routes in the rogue prefix, a default via it."""
    found = [
        str(a) for a in addresses(shell, victim, iface, "ipv6", usable=False) if str(a.ip).startswith(ROGUE_PREFIX[:-2])
    ]
    for line in shell.run(victim, f"ip -6 route show dev {shlex.quote(iface)}").stdout.splitlines():
        if line.startswith(ROGUE_PREFIX[:-2]) or (rogue_ll and f"via {rogue_ll} " in line + " "):
            found.append(f"route {line.split(' proto')[0]}")
    return found


def _clean(shell: Shell, victim: str, iface: str, rogue_ll: str) -> None:
    """Remove what a rogue RA may have planted on the victim (addresses, the prefix route, the router)."""
    dev = shlex.quote(iface)
    commands = [
        f"for a in $(ip -6 -o addr show dev {dev} | awk '{{print $4}}' | grep -i '^{ROGUE_PREFIX[:-2]}'); do ip -6 addr del $a dev {dev}; done",
        f"ip -6 route del {ROGUE_PREFIX}/64 dev {dev} 2>/dev/null",
    ]
    if rogue_ll:
        commands.append(f"ip -6 route del default via {rogue_ll} dev {dev} 2>/dev/null")
    shell.run(victim, "; ".join(commands) + "; true", timeout=10)

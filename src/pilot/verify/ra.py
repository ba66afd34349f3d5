"""The PREF64 option (RFC 8781) as a client sees it: scripts/ra_probe.py on the client sends a Router
Solicitation and decodes the Router Advertisement that answers (rdisc6 does not decode option 38).

From ipv6-mostly on the RA carries the NAT64 prefix; before, it carries none."""

from __future__ import annotations

from typing import Any

from pilot.addressing import Plan
from pilot.intent.model import Intent
from pilot.stages.model import Stage
from pilot.verify.model import Check, Probe, Shell
from pilot.verify.observe import ask_script

WAIT = 4  # seconds the probe waits for an RA, soliciting every second
TIMEOUT = 20.0  # radvd just started or reloaded: its first RAs come within seconds


def pref64_check(intent: Intent, plan: Plan, stage: Stage, client: str) -> Check | None:
    """The RA `client` receives carries the plan's NAT64 prefix (stages with PREF64) or none (before)."""
    seg = intent.segment_of_host(client)
    if seg is None:
        return None
    iface = next(a.interface for a in seg.hosts if a.host == client)
    wanted = [str(plan.nat64_prefix)] if stage.pref64 else []
    expected = f"RA carries PREF64 {plan.nat64_prefix}" if wanted else "RA carries no PREF64"
    return Check(f"pref64 {client}", client, expected, _pref64(iface, wanted), timeout=TIMEOUT)


def ask_ra(shell: Shell, node: str, iface: str) -> dict[str, Any]:
    """The probe's decoded RA; {"error": why} when it saw none or printed nothing usable."""
    return ask_script(shell, node, "ra_probe.py", f"{iface} {WAIT}", WAIT + 10, "RA probe")


def _pref64(iface: str, wanted: list[str]) -> Probe:
    def probe(shell: Shell, node: str) -> tuple[bool, str]:
        ra = ask_ra(shell, node, iface)
        if "error" in ra:
            return False, str(ra["error"])
        options = [o for o in ra.get("pref64") or [] if isinstance(o, dict)]
        # A lifetime of 0 withdraws the prefix (RFC 8781 4): it is not one the host may use.
        valid = sorted(str(o["prefix"]) for o in options if o.get("prefix") and int(o.get("lifetime") or 0) > 0)
        shown = ", ".join(
            f"{o['prefix']} (lifetime {o.get('lifetime')} s)" if o.get("prefix") else str(o.get("invalid"))
            for o in options
        )
        observed = f"RA from {ra.get('router')} carries " + (f"PREF64 {shown}" if options else "no PREF64")
        return valid == sorted(wanted), observed

    return probe

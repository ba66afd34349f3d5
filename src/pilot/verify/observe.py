"""What the probes share: reading a node's addresses and routes, the probe scripts."""

from __future__ import annotations

import ipaddress
import json
import shlex
from functools import cache
from pathlib import Path
from typing import Any

from pilot.verify.model import Shell

SCRIPTS = Path(__file__).with_name("scripts")
Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def addresses(
    shell: Shell, node: str, iface: str, family: str, scope: str = "global", usable: bool = True
) -> list[Interface]:
    """The interface's addresses of one family and scope, as the node reports them; `usable`: only those
    whose duplicate address detection has finished."""
    flag = "-4" if family == "ipv4" else "-6"
    out = shell.run(node, f"ip {flag} -j addr show dev {shlex.quote(iface)} scope {scope}").stdout
    found = []
    for link in json.loads(out or "[]"):
        for a in link.get("addr_info", []):
            if a.get("local") and not (usable and a.get("tentative")):
                found.append(ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"))
    return found


def routes(shell: Shell, node: str, iface: str, family: str) -> list[dict[str, Any]]:
    flag = "-4" if family == "ipv4" else "-6"
    data = json.loads(shell.run(node, f"ip {flag} -j route show dev {shlex.quote(iface)}").stdout or "[]")
    return [r for r in data if isinstance(r, dict)]


def link_local(shell: Shell, node: str, iface: str) -> str:
    found = addresses(shell, node, iface, "ipv6", scope="link")
    return str(found[0].ip) if found else ""


@cache
def script(name: str) -> str:
    return (SCRIPTS / name).read_text()


def probe_command(name: str, args: str) -> str:
    """The command running one of verify/scripts on a node with its own python3, read from standard input."""
    return f"python3 - {args} <<'PILOT_EOF'\n{script(name)}\nPILOT_EOF"


def ask_script(shell: Shell, node: str, name: str, args: str, timeout: float, what: str) -> dict[str, Any]:
    """Run one of verify/scripts that prints a JSON object as its last line; {"error": why} when it
    printed none (no python3, a traceback, nothing seen). `what` names the probe in that error."""
    result = shell.run(node, probe_command(name, args), timeout=timeout)
    lines = result.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data:
        return data
    said = (result.stderr.strip().splitlines() or lines or [f"exit {result.returncode}"])[-1]
    return {"error": f"the {what} gave no answer: {said[:200]}"}


def run_script(shell: Shell, node: str, name: str, args: str, timeout: float = 15.0) -> str:
    """Run one of verify/scripts on a node; its standard output."""
    return shell.run(node, probe_command(name, args), timeout=timeout).stdout


def wait_for(path: str, text: str, seconds: int = 3) -> str:
    """A shell command that waits, on the node itself, until `path` contains `text` (at most `seconds`):
    one SSH round trip instead of polling from here."""
    loop = f"until grep -qF {shlex.quote(text)} {path} 2>/dev/null; do sleep 0.05; done"
    return f"timeout {seconds} sh -c {shlex.quote(loop)}"

"""Generic code never names a platform's daemons or commands: everything platform-specific lives in the
platform's package (pilot.platforms.<name>), so adding a platform is adding a package, not editing pilot.

The scan reads code as Python's tokenizer does: names and string literals count, comments and docstrings
(which may well explain what FRR does) do not.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from testroot import ROOT

PACKAGE = ROOT / "src" / "pilot"

# Daemons, tools and commands of one platform or another, and the platforms' own names.
PLATFORM_WORDS = re.compile(
    r"\b(frr\w*|vtysh|watchfrr|zebra|staticd|ospf6?d|bgpd|kea\w*|radvd|tayga|unbound|isc-dhcp-relay6?|dhcpcd|nginx"
    r"|ifupdown|ifup|nft|nftables|iosxe|ios|junos|eos|vrp|cisco|juniper|arista|huawei|pilot_frr"
    r"|show running-config|display current-configuration|configure replace|commit confirmed)\b",
    re.IGNORECASE,
)

# Code that is, by design, one platform's: the packages of the platforms themselves, and
OWN = ("platforms/",)
ALLOWED = {
    # the device agent: the FRR and Linux platforms' transport, a program that runs on those devices;
    "agent/": "the device agent of the FRR and Linux platforms",
    # the probes copied to Linux clients (DHCP, RA): clients are Linux hosts in every lab and province;
    "verify/scripts/": "probes that run on the Linux clients",
    # the namespace backend, which runs FRR routers and Linux hosts only (it refuses any other platform).
    "lab/holder.py": "namespace backend",
    "lab/nodeboot.py": "namespace backend",
    "lab/nodefiles.py": "namespace backend",
    "lab/nsbackend.py": "namespace backend",
    "lab/preflight.py": "namespace backend",
    "lab/roles.py": "namespace backend",
}
# Python 3.12 splits f-strings into parts; 3.11 gives them whole as STRING.
TEXT_TOKENS = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def offences(path: Path, base: Path = PACKAGE) -> list[str]:
    text = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.add(first.lineno)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT or (token.type == tokenize.STRING and token.start[0] in docstrings):
            continue
        if token.type in TEXT_TOKENS and (m := PLATFORM_WORDS.search(token.string)):
            found.append(f"{path.relative_to(base)}:{token.start[0]}: {m.group(0)!r} in {token.string[:60]!r}")
    return found


def _generic(relative: str) -> bool:
    return not relative.startswith(OWN) and not any(relative.startswith(prefix) for prefix in ALLOWED)


def test_generic_code_names_no_platform() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        if _generic(relative):
            found += offences(path)
    assert not found, "platform-specific code outside pilot.platforms:\n" + "\n".join(found)


def test_the_scan_finds_a_platform_command_in_code_but_not_in_comments(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring may say vtysh."""\n# so may a comment: frr-reload\nCOMMAND = "vtysh -c \'show ip route\'"\n'
    )
    assert [o.split(": ", 2)[1] for o in offences(sample, tmp_path)] == [
        "'vtysh' in '\"vtysh -c \\'show ip route\\'\"'"
    ]

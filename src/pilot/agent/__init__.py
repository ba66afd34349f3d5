"""The device agent: one script, copied to each Linux-based device, applying a bundle as one transaction.

Its source is the modules of pilot.agent.device (importable, so unit tests exercise them here), joined
in order into one standard-library script: the transports send one file and run it with the device's
python3. Joining drops the modules' imports of each other; everything else is kept as written.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

DEVICE = Path(__file__).with_name("device")
PARTS = ("main", "common", "services", "live", "state", "transaction")  # main's docstring heads the script
REMOTE = "/var/lib/pilot/pilot-agent"
STATE_REMOTE = "/var/lib/pilot/state.json"  # the last transaction the device completed

_OWN_IMPORT = re.compile(r"^from pilot\.agent\.device\.\w+ import (\([^)]*\)|[^\n]*)\n", re.M)
_FUTURE = "from __future__ import annotations\n"
_DOCSTRING = re.compile(r'\A"""(.*?)"""\n', re.S)


@cache
def text() -> str:
    """The agent as one script: main's docstring, one __future__ import, then every part's body, with
    main's last (its `if __name__ == "__main__"` runs once everything is defined)."""
    bodies = {}
    for part in PARTS:
        source = (DEVICE / f"{part}.py").read_text()
        source = _OWN_IMPORT.sub("", source).replace(_FUTURE, "")
        bodies[part] = source
    doc = _DOCSTRING.match(bodies["main"])
    assert doc is not None, "pilot/agent/device/main.py must start with the script's docstring"
    main = bodies.pop("main")[doc.end() :]
    rest = [_DOCSTRING.sub("", body) for body in bodies.values()]
    return "#!/usr/bin/env python3\n" + doc.group(0) + "\n" + _FUTURE + "\n".join([*rest, main])


@cache
def sha256() -> str:
    return hashlib.sha256(text().encode()).hexdigest()


def with_bundle(bundle_json: str) -> str:
    """A copy of the agent carrying one device's bundle: the transports send and run this one file."""
    return re.sub(r"(?m)^EMBEDDED = None.*$", lambda _: f"EMBEDDED = {bundle_json!r}", text(), count=1)

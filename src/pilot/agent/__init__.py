"""The device agent: one file, copied to each Linux-based device, applying a bundle as one transaction."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).with_name("pilot_agent.py")
REMOTE = "/var/lib/pilot/pilot-agent"
STATE_REMOTE = "/var/lib/pilot/state.json"  # the last transaction the device completed


@cache
def text() -> str:
    return SOURCE.read_text()


@cache
def sha256() -> str:
    return hashlib.sha256(text().encode()).hexdigest()


def with_bundle(bundle_json: str) -> str:
    """A copy of the agent carrying one device's bundle: the transports send and run this one file."""
    return re.sub(r"(?m)^EMBEDDED = None.*$", lambda _: f"EMBEDDED = {bundle_json!r}", text(), count=1)

"""A device bundle: everything the device agent needs to apply one stage to one device, as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from pilot.render.engine import RenderedDevice

AGENT_HOME = "/var/lib/pilot"
AGENT_PATH = f"{AGENT_HOME}/pilot-agent"


def bundle_of(rd: RenderedDevice, run: str) -> dict[str, Any]:
    return {
        "run": run,
        "node": rd.device.name,
        "stage": rd.device.stage.name,
        "files": [
            {"path": f.path, "text": f.text, "owner": f.owner, "mode": f.mode, "hook": f.hook, "service": f.service}
            for f in rd.files
        ],
        "services": dict(rd.services),
        "reconnect": list(rd.reconnect),
        "expect": rd.expect,
    }


def bundle_path(run: str) -> str:
    return f"{AGENT_HOME}/runs/{run}/bundle.json"


def to_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=1, sort_keys=True)


def with_reconnect(bundle_json: str, because: str) -> str:
    """The bundle, telling the device agent to reconnect the client whatever stage it last applied."""
    return to_json({**json.loads(bundle_json), "reconnect_now": because})


# Lines of a configuration that may carry a secret: kept out of the journal (a backup there is for
# reading and auditing; restoring a crashed run re-renders an earlier stage from the intent instead).
SECRET = re.compile(
    r"(?im)^(\s*\S.*?\b(?:password|secret|key-string|pre-shared-key|community|auth-key|md5|psk)\b\s+)(\S.*)$"
)


def redact(text: str | None) -> str | None:
    return None if text is None else SECRET.sub(r"\1<redacted>", text)

"""What a device running the device agent says it last applied: the agent's record of its last completed
transaction (a device with nothing to change keeps its older record). After a crash this is the truth."""

from __future__ import annotations

import json

from pilot.agent import STATE_REMOTE
from pilot.transport.ssh import DeviceError, Session, Target


def last_applied(target: Target) -> str:
    try:
        with Session(target) as session:
            result = session.run(f"cat {STATE_REMOTE} 2>/dev/null || echo '{{}}'", timeout=15)
    except DeviceError as exc:
        return f"unreachable ({exc.message})"
    try:
        state = json.loads(result.stdout) if result.stdout.strip() else {}
    except ValueError:
        return "no answer"
    if not state:
        return "nothing applied by pilot"
    return f"{state.get('stage')} (run {state.get('run')})"

"""Run a pack: every check retried until it passes or its time is up, in parallel; the checks that
inject traffic (rogue RA, rogue DHCPv6) run after the others, so their traffic never meets an ordinary
probe. They run side by side: each touches its own victim host."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from pilot.transport.result import Completed
from pilot.transport.ssh import DeviceError, Session, Target
from pilot.verify.model import Check, CheckResult

RETRY_INTERVAL = 0.5


class SshShell:
    """Commands on nodes over SSH, one session per node, opened on first use and reused."""

    def __init__(self, targets: Mapping[str, Target]) -> None:
        self.targets = dict(targets)
        self._sessions: dict[str, Session] = {}
        self._locks = {node: threading.Lock() for node in self.targets}  # connecting to one node waits for no other

    def has(self, node: str) -> bool:
        return node in self.targets

    def _session(self, node: str) -> Session:
        with self._locks[node]:
            session = self._sessions.get(node)
            if session is None or not session.alive():
                session = Session(self.targets[node]).connect()
                self._sessions[node] = session
            return session

    def run(self, node: str, command: str, timeout: float = 30.0) -> Completed:
        return self._session(node).run(command, timeout=timeout)

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()


def run_pack(
    checks: Sequence[Check],
    shell: SshShell,
    *,
    deadline: float = 120.0,
    jobs: int = 8,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    end = time.monotonic() + deadline
    results: dict[int, CheckResult] = {}

    def one(index: int, check: Check) -> None:
        result = _run_one(check, shell, end)
        results[index] = result
        if on_result:
            on_result(result)

    ordinary = [(i, c) for i, c in enumerate(checks) if not c.exclusive]
    exclusive = [(i, c) for i, c in enumerate(checks) if c.exclusive]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for batch in (ordinary, exclusive):
            for future in [pool.submit(one, i, c) for i, c in batch]:
                future.result()
    return [results[i] for i in range(len(checks))]


def _run_one(check: Check, shell: SshShell, end: float) -> CheckResult:
    start = time.monotonic()
    if check.skip:
        return CheckResult(check.name, check.node, check.expected, check.skip, True, 0.0, skipped=True, attempts=0)
    missing = [n for n in (check.node, *check.needs) if not shell.has(n)]
    if missing:
        why = f"not in the inventory: {', '.join(missing)}"
        return CheckResult(check.name, check.node, check.expected, why, True, 0.0, skipped=True, attempts=0)
    attempts, passed, observed = 0, False, ""
    while True:
        attempts += 1
        try:
            passed, observed = check.probe(shell, check.node)
        except DeviceError as exc:
            passed, observed = False, str(exc)
            if not exc.transient:
                break  # a wrong key or an unknown host key does not get better by asking again
        except Exception as exc:
            passed, observed = False, f"probe error: {type(exc).__name__}: {exc}"
        now = time.monotonic()
        if passed or now - start >= check.timeout or now >= end:
            break
        time.sleep(RETRY_INTERVAL)
    return CheckResult(
        check.name, check.node, check.expected, observed, passed, round(time.monotonic() - start, 2), attempts=attempts
    )

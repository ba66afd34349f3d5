"""A NAPALM mock driver (`pilot_mock`): devices in memory that behave like the device agent, so the
rollout's logic (backup, diff, push, failure, rollback, journal) is tested without a lab.

A test sets the scene through MockDriver.devices[hostname]: what each device runs, and faults to
inject (unreachable, a push that fails, a restore that fails).
"""

from __future__ import annotations

import difflib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from napalm.base import NetworkDriver
from napalm.base.exceptions import CommitError, ConnectionException, ReplaceConfigException


@dataclass
class MockDevice:
    files: dict[str, str] = field(default_factory=dict)
    services: dict[str, bool] = field(default_factory=dict)
    unreachable: bool = False
    fail_push: str | None = None  # the error a push raises; the device then stays as it was
    fail_restore: bool = False
    backups: dict[str, dict[str, Any]] = field(default_factory=dict)  # run -> what it replaced
    pushes: int = 0
    stage: str | None = None  # the stage its last transaction applied (the agent's state.json)
    reconnects: int = 0  # times its clients' services restarted because the stage changed


class MockDriver(NetworkDriver):  # type: ignore[misc]
    devices: ClassVar[dict[str, MockDevice]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname = hostname
        self.name = (optional_args or {}).get("name", hostname)
        self.candidate: dict[str, Any] | None = None
        self.committed: str | None = None

    @property
    def device(self) -> MockDevice:
        with self.lock:
            return self.devices.setdefault(self.name, MockDevice())

    def open(self) -> None:
        if self.device.unreachable:
            raise ConnectionException(f"{self.name} ({self.hostname}:22) is unreachable: [Errno 113] No route to host")

    def close(self) -> None:
        pass

    def is_alive(self) -> dict[str, bool]:
        # NAPALM's __del__ asks this when the driver is garbage-collected, maybe during a later test:
        # asking must not create the device.
        known = self.devices.get(self.name)
        return {"is_alive": known is not None and not known.unreachable}

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        if not config:
            raise ReplaceConfigException("no candidate")
        self.candidate = json.loads(config)

    def _capture(self) -> dict[str, Any]:
        assert self.candidate is not None
        dev = self.device
        return {
            "run": self.candidate["run"],
            "node": self.name,
            "files": [dict(f, text=dev.files.get(f["path"])) for f in self.candidate["files"]],
            "services": {s: dev.services.get(s, False) for s in self.candidate["services"]},
            "reconnect": [],
        }

    def diff_data(self) -> dict[str, Any]:
        assert self.candidate is not None
        dev = self.device
        files = {}
        for f in self.candidate["files"]:
            old, new = dev.files.get(f["path"]), f["text"]
            if old != new:
                files[f["path"]] = "".join(
                    difflib.unified_diff(
                        (old or "").splitlines(True), (new or "").splitlines(True), f["path"], f["path"]
                    )
                )
        services = {
            s: {"running": dev.services.get(s, False), "wanted": w}
            for s, w in self.candidate["services"].items()
            if dev.services.get(s, False) != w
        }
        out: dict[str, Any] = {"files": files, "services": services}
        because = self.candidate.get("reconnect_now")  # as the device agent: pilot asks for it, or a new stage
        if self.candidate.get("reconnect") and (dev.stage != self.candidate.get("stage") or because):
            out["reconnect"] = {
                "from": dev.stage,
                "to": self.candidate["stage"],
                "services": self.candidate["reconnect"],
            }
            if because:
                out["reconnect"]["because"] = because
        return out

    def inspect(self) -> dict[str, Any]:
        return {"backup": self._capture(), "diff": self.diff_data()}

    def compare_config(self) -> str:
        from pilot.agent.diffs import render_diff

        return render_diff(self.diff_data())

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        assert self.candidate is not None
        dev = self.device
        run = str(self.candidate["run"])
        dev.backups[run] = self._capture()
        dev.pushes += 1
        if dev.fail_push:
            self.candidate = None
            raise CommitError(f"{self.name}: {dev.fail_push}; its previous configuration was restored")
        _apply(dev, self.candidate)
        if self.candidate.get("reconnect") and (
            dev.stage != self.candidate.get("stage") or self.candidate.get("reconnect_now")
        ):
            dev.reconnects += 1
        dev.stage = self.candidate.get("stage")
        self.committed, self.candidate = run, None

    def discard_config(self) -> None:
        self.candidate = None

    def rollback(self) -> None:
        dev = self.device
        if dev.fail_restore:
            raise CommitError(f"{self.name}: rollback failed: injected fault")
        backup = dev.backups.get(str(self.committed))
        if backup is not None:
            _apply(dev, backup)

    def get_facts(self) -> dict[str, Any]:
        return {
            "hostname": self.name,
            "fqdn": self.name,
            "vendor": "mock",
            "model": "mock",
            "os_version": "mock",
            "serial_number": "",
            "uptime": 0.0,
            "interface_list": [],
        }


def _apply(dev: MockDevice, bundle: dict[str, Any]) -> None:
    for f in bundle["files"]:
        if f["text"] is None:
            dev.files.pop(f["path"], None)
        else:
            dev.files[f["path"]] = f["text"]
    dev.services.update(bundle["services"])

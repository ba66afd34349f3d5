"""What a run reports, how it reports progress, and the options it runs with: plain typed objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pilot.verify import CheckResult

if TYPE_CHECKING:
    from pilot.rollout.inventory import Inventory
    from pilot.rollout.plan import RunPlan
    from pilot.stages.model import Stage


class Progress(Protocol):
    def phase(self, text: str) -> None: ...

    def device(self, name: str, state: str) -> None: ...

    def check(self, result: CheckResult) -> None: ...


class Quiet:
    def phase(self, text: str) -> None:
        pass

    def device(self, name: str, state: str) -> None:
        pass

    def check(self, result: CheckResult) -> None:
        pass


@dataclass
class DeviceReport:
    name: str
    transport: str
    diff: str = ""
    push: str = "pending"
    error: str = ""
    stage: str | None = None  # verify of a mixed network: the stage this device was checked at


@dataclass
class RunReport:
    run_id: int
    command: str
    stage: str
    state: str
    detail: str = ""
    devices: list[DeviceReport] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    after_rollback: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stage_map: dict[str, str] = field(default_factory=dict)  # {site: stage} applied, compared or verified
    sites: list[str] = field(default_factory=list)  # the sites the run moves (or verifies, with --site)

    @property
    def ok(self) -> bool:
        return self.state in ("applied", "diffed", "verified")

    @property
    def differs(self) -> bool:
        """Some device differs from the stage (`pilot diff --exit-code`)."""
        return any(d.diff for d in self.devices)


@dataclass
class Options:
    limit: str | None = None
    yes: bool = False
    rollback: bool = True  # restore every device of the run when a push or the verification fails
    workers: int = 20
    templates: Path | None = None
    confirm: Callable[[RunReport], bool] | None = None
    progress: Progress = field(default_factory=Quiet)
    # How a stage is verified: real probes over SSH by default; unit tests pass their own.
    checker: Callable[[Inventory, RunPlan, Stage, bool], list[CheckResult]] | None = None
    validate: bool = True  # run the tools' validators on the rendered files (needs root)


def why(exc: BaseException) -> str:
    """An exception as one line of a run's record."""
    if isinstance(exc, KeyboardInterrupt):  # pilot.stop.Terminated (SIGTERM) says what it is
        return str(exc) or "interrupted by the user (Ctrl-C); devices finish or undo their own transactions"
    return " ".join(f"{type(exc).__name__}: {exc}".split())

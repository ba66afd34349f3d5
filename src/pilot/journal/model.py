"""What the journal returns: plain frozen records, and the words each state may take."""

from __future__ import annotations

from dataclasses import dataclass

# The commands a run records. Only the ones that change devices can leave them mid-change.
COMMANDS = frozenset({"apply", "rollback", "verify", "diff", "resume", "lab-rebuilt"})
CHANGING_COMMANDS = ("apply", "rollback", "resume")

RUNNING = "running"
# The run stopped while devices may be mid-change: its owner died (`recover`), or stopped it after the
# push began (`interrupt`: Ctrl-C, SIGTERM, an error, --no-rollback). `apply --resume` or a rollback
# must deal with it.
INTERRUPTED = "interrupted"
# A run that could not put every device back: like an interrupted one, it leaves devices whose state
# the journal cannot tell, and blocks further applies until resumed or rolled back.
ROLLBACK_FAILED = "rollback-failed"
# The ends of a changing run after which devices may be anywhere (see UNKNOWN_PUSH_STATES).
UNSETTLED_STATES = (INTERRUPTED, ROLLBACK_FAILED)
# How a run ends (`finish_run`).
FINAL_STATES = frozenset(
    {
        "applied",
        "failed",
        "rolled-back",
        "rollback-failed",
        "cancelled",
        "diffed",
        "verified",
        "verify-failed",
        "mixed",  # verify: devices at different stages, each checked at its own (never passes as one stage)
        "recorded",  # lab-rebuilt: a fact noted, nothing pushed
    }
)

PUSH_STATES = frozenset({"pending", "pushed", "unchanged", "failed", "restored", "restore-failed", "skipped"})
# Push states, in an interrupted or rollback-failed run, that say nothing about what the device runs
# now: it may have been mid-push ('pending'), changed and never verified nor rolled back ('pushed'),
# failed a push whose undoing nobody checked ('failed'), or failed its restore ('restore-failed').
UNKNOWN_PUSH_STATES = ("pending", "pushed", "failed", "restore-failed")

CHECK_PHASES = frozenset({"verify", "after-rollback"})


@dataclass(frozen=True)
class Run:
    """One invocation of pilot against an inventory."""

    id: int
    started: float  # epoch seconds
    finished: float | None  # None while running
    user: str
    host: str
    pid: int
    pid_started: int | None  # clock ticks since boot (/proc/PID/stat field 22): survives PID reuse
    command: str
    stage: str | None
    limit: str | None
    inventory: str
    state: str
    detail: str
    resolved_by: int | None  # for an interrupted run: the later run that dealt with its devices
    devices: tuple[str, ...]  # the devices the run was started on, in the caller's order
    stage_map: dict[str, str] | None = None  # {site: stage} the run applied or verified (None: before sites)
    sites: tuple[str, ...] = ()  # the sites the run moved to another stage


@dataclass(frozen=True)
class RunDevice:
    """One device of a run. A text left at None was never recorded (an empty diff is `""`)."""

    run_id: int
    device: str
    platform: str | None
    transport: str | None
    push: str
    error: str
    backup: str | None
    intended: str | None
    diff: str | None
    updated: float


@dataclass(frozen=True)
class Check:
    """One verification check of a run, after the push ('verify') or after restoring ('after-rollback')."""

    run_id: int
    phase: str
    name: str
    node: str
    expected: str
    observed: str
    passed: bool
    seconds: float
    skipped: bool
    at: float


@dataclass(frozen=True)
class DeviceStage:
    """Where a device of an inventory is, as far as the journal knows (what `pilot status` shows).

    `stage` is the last stage a run applied to it (None if none ever did). `interrupted_run` is set
    when an unresolved interrupted or rollback-failed run (`interrupted_state` says which) may have
    left it mid-change after that: then `stage` is only what it ran before, and the truth is on the
    device.
    """

    device: str
    stage: str | None
    run_id: int | None
    updated: float | None
    interrupted_run: int | None = None
    interrupted_state: str = INTERRUPTED

    @property
    def unknown(self) -> bool:
        return self.interrupted_run is not None

    def describe(self) -> str:
        """`dual-stack`, `unknown: run 7 was interrupted (last known dual-stack)`, or
        `unknown: run 8 ended rollback-failed (last known ipv4)`."""
        if self.interrupted_run is None:
            return self.stage or "never applied"
        before = f" (last known {self.stage})" if self.stage else ""
        how = "was interrupted" if self.interrupted_state == INTERRUPTED else f"ended {self.interrupted_state}"
        return f"unknown: run {self.interrupted_run} {how}{before}"


@dataclass(frozen=True)
class SiteStage:
    """The stage a site is at, as the last run that applied it recorded."""

    site: str
    stage: str
    run_id: int
    updated: float

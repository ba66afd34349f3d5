"""What an unsettled run (interrupted, or rollback-failed) asks of the next apply: the refusal naming it,
and what `apply --resume` re-applies."""

from __future__ import annotations

from pilot.errors import PilotError
from pilot.journal.model import INTERRUPTED, Run


def how_it_ended(run: Run) -> str:
    """`run 7 (apply dual-stack) was interrupted`, or `... ended rollback-failed`."""
    how = "was interrupted" if run.state == INTERRUPTED else f"ended {run.state}"
    return f"run {run.id} ({run.command} {run.stage or ''}".rstrip() + f") {how}"


def blocked_by(run: Run) -> PilotError:
    """The refusal of an apply while `run` leaves devices unknown."""
    return PilotError(
        f"{how_it_ended(run)}: devices may be mid-change",
        fix=f"pilot apply --resume (re-applies {run.stage}), or pilot rollback --to <stage>",
    )


def resume_target(unfinished: Run | None, stage: str | None, limit: str | None) -> tuple[str, str | None]:
    """(stage, limit) of `apply --resume`: the unsettled run's own. A --stage or --limit given with
    --resume must be that run's: resuming something else is a new apply, and silently dropping what
    the user typed would push what they did not ask for."""
    if unfinished is None:
        raise PilotError("no interrupted run to resume on this inventory", fix="pilot status")
    resumed_stage = unfinished.stage or ""
    conflicts = []
    if stage is not None and stage != resumed_stage:
        conflicts.append(f"--stage {stage}")
    if limit is not None and limit != unfinished.limit:
        conflicts.append(f"--limit {limit}")
    if conflicts:
        was = f"stage {resumed_stage}" + (f", --limit {unfinished.limit}" if unfinished.limit else ", no --limit")
        raise PilotError(
            f"--resume re-applies {how_it_ended(unfinished)} as it was ({was}), not {' and '.join(conflicts)}",
            fix=f"drop {' and '.join(c.split()[0] for c in conflicts)} to resume run {unfinished.id}, or deal with it"
            " first (pilot apply --resume, or pilot rollback --to <stage>), then run the apply you want",
        )
    return resumed_stage, unfinished.limit

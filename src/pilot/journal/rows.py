"""Rows of the journal's tables turned into its records."""

from __future__ import annotations

import json
import sqlite3

from pilot.journal.model import Check, Run, RunDevice


def run_of(r: sqlite3.Row, devices: list[str]) -> Run:
    return Run(
        id=int(r["id"]),
        started=float(r["started"]),
        finished=None if r["finished"] is None else float(r["finished"]),
        user=str(r["user"]),
        host=str(r["host"]),
        pid=int(r["pid"]),
        pid_started=None if r["pid_started"] is None else int(r["pid_started"]),
        command=str(r["command"]),
        stage=r["stage"],
        limit=r["limit_expr"],
        inventory=str(r["inventory"]),
        state=str(r["state"]),
        detail=str(r["detail"]),
        resolved_by=None if r["resolved_by"] is None else int(r["resolved_by"]),
        devices=tuple(devices),
        stage_map=json.loads(r["stage_map"]) if r["stage_map"] else None,
        sites=tuple(json.loads(r["sites"])) if r["sites"] else (),
    )


def device_of(r: sqlite3.Row) -> RunDevice:
    return RunDevice(
        run_id=int(r["run_id"]),
        device=str(r["device"]),
        platform=r["platform"],
        transport=r["transport"],
        push=str(r["push"]),
        error=str(r["error"]),
        backup=r["backup"],
        intended=r["intended"],
        diff=r["diff"],
        updated=float(r["updated"]),
    )


def check_of(r: sqlite3.Row) -> Check:
    return Check(
        run_id=int(r["run_id"]),
        phase=str(r["phase"]),
        name=str(r["name"]),
        node=str(r["node"]),
        expected=str(r["expected"]),
        observed=str(r["observed"]),
        passed=bool(r["passed"]),
        seconds=float(r["seconds"]),
        skipped=bool(r["skipped"]),
        at=float(r["at"]),
    )

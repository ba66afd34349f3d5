"""The stages, read from stages.yml (data, not code)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from pilot.errors import PilotError
from pilot.stages.model import Stage

STAGES_FILE = Path(__file__).with_name("stages.yml")


@cache
def stages() -> tuple[Stage, ...]:
    data = yaml.safe_load(STAGES_FILE.read_text())
    return tuple(Stage(index=i, **entry) for i, entry in enumerate(data["stages"]))


def stage_names() -> list[str]:
    return [s.name for s in stages()]


def get_stage(name: str) -> Stage:
    for stage in stages():
        if stage.name == name:
            return stage
    raise PilotError(f"unknown stage '{name}'", fix=f"use one of: {', '.join(stage_names())}")

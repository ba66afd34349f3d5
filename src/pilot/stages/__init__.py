"""Stages as data, and every device's complete intended state at a stage (platform-neutral)."""

from pilot.stages.build import build_devices
from pilot.stages.catalog import get_stage, stage_names, stages
from pilot.stages.model import Device, Stage

__all__ = ["Device", "Stage", "build_devices", "get_stage", "stage_names", "stages"]

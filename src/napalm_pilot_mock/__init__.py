"""NAPALM driver `pilot_mock`: in-memory devices for testing the rollout's logic without a lab."""

from pilot.drivers.mock import MockDriver

__all__ = ["MockDriver"]

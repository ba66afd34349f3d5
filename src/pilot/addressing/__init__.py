"""The address plan: the province's block carved into sites, segments, links and loopbacks, recorded."""

from pilot.addressing.plan import HostAddr, LinkPlan, Plan, SegmentPlan, build_plan
from pilot.addressing.record import PlanError, Record, load_record

__all__ = ["HostAddr", "LinkPlan", "Plan", "PlanError", "Record", "SegmentPlan", "build_plan", "load_record"]

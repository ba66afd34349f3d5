"""Loading the three inputs every offline command shares: topology, intent and address record.

Data flows one way: topology -> intent (checked against it) -> address plan (from the record) -> stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pilot.addressing import Plan, build_plan, load_record
from pilot.intent import Intent, load_intent
from pilot.topology import Topology, load_topology

DEFAULT_TOPOLOGY = Path("containerlab.yml")
DEFAULT_INTENT = Path("inventory/intent.yml")
DEFAULT_RECORD = Path("inventory/addresses.yml")


@dataclass(frozen=True)
class Inputs:
    topology: Topology
    intent: Intent
    plan: Plan
    record_path: Path


def load_inputs(
    topology: Path = DEFAULT_TOPOLOGY, intent: Path = DEFAULT_INTENT, record: Path = DEFAULT_RECORD
) -> Inputs:
    topo = load_topology(topology)
    wanted = load_intent(intent, topo)
    plan = build_plan(wanted, load_record(record))
    return Inputs(topo, wanted, plan, record)

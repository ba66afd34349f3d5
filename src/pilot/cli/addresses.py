"""`pilot addresses`: the province's IPv6 address plan (and IPv4 baseline), recorded and exported."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from pilot.cli.common import JsonOpt, err, out, print_json
from pilot.errors import PilotError
from pilot.inputs import DEFAULT_INTENT, DEFAULT_RECORD, DEFAULT_TOPOLOGY

TopologyOpt = typer.Option(DEFAULT_TOPOLOGY, "--topology", "-t", help="containerlab topology (the wiring).")
IntentOpt = typer.Option(DEFAULT_INTENT, "--intent", "-i", help="Intent file: province, agencies, segments.")
RecordOpt = typer.Option(DEFAULT_RECORD, "--record", "-r", help="Address record: allocations kept across runs.")


def addresses(
    topology: Path = TopologyOpt,
    intent: Path = IntentOpt,
    record: Path = RecordOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = typer.Option(False, "--csv", help="CSV for NetBox's prefix import (IPAM > Prefixes > Import)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if the record lacks allocations."),
) -> None:
    """Plan the address space from the province's block, on nibble boundaries.

    A /48 per agency site (2001:db8:AASS::/48: agency code, site number), a /64 per segment
    (…:PVVV::/64: purpose nibble, VLAN id), a /64 reserved per router link used as /127, /128 loopbacks,
    and the NAT64 network-specific /96. IPv4 baseline from the province's IPv4 and the lab's Internet.
    New allocations are written to the record (inventory/addresses.yml) and reused from then on, so adding
    an agency, site or segment never renumbers an existing one.
    """
    from pilot.addressing import export
    from pilot.inputs import load_inputs

    if as_json and as_csv:
        raise PilotError("--json and --csv exclude each other", fix="pick one")
    inputs = load_inputs(topology, intent, record)
    plan = inputs.plan
    for note in (*inputs.intent.warnings, *plan.notes):
        err.print(f"[yellow]note:[/] {note}")
    if plan.new:
        if check:
            err.print(f"{len(plan.new)} allocations are not in {record} yet:")
            for line in plan.new:
                err.print(f"  {line}")
            raise typer.Exit(1)
        plan.record.save(record)
        err.print(f"recorded {len(plan.new)} new allocations in {record}")
    if as_json:
        print_json(export.to_json(plan, inputs.intent))
    elif as_csv:
        out.file.write(export.to_csv(plan, inputs.intent))
    else:
        table = Table(box=None, pad_edge=False)
        for column in ("prefix", "status", "kind", "name", "title", "description"):
            table.add_column(column, no_wrap=column in ("prefix", "status", "kind"))
        for row in export.rows(plan, inputs.intent):
            cells = (row.prefix, row.status, row.kind, row.name, row.title, row.description)
            table.add_row(*(Text(v) for v in cells))
        out.print(table)

"""`pilot render`: every device's complete configuration for a stage, offline, validated."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from pilot.cli.addresses import IntentOpt, RecordOpt, TopologyOpt
from pilot.cli.common import JsonOpt, err, out, print_json
from pilot.errors import PilotError

StageOpt = typer.Option(..., "--stage", "-s", help="ipv4, dual-stack, ipv6-mostly or ipv6-only.")
LimitOpt = typer.Option(None, "--limit", "-l", help="Devices: names or globs, role:<role>, platform:<p>; '!' excludes.")


def render(
    stage: str = StageOpt,
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory to write: <out>/<device>/<path on the device>."),
    limit: str | None = LimitOpt,
    topology: Path = TopologyOpt,
    intent: Path = IntentOpt,
    record: Path = RecordOpt,
    templates: Path | None = typer.Option(
        None, "--templates", help="Templates directory (default: $PILOT_TEMPLATES, ./templates, else those installed)."
    ),
    no_validate: bool = typer.Option(False, "--no-validate", help="Skip the tools' offline validators."),
    as_json: bool = JsonOpt,
) -> None:
    """Render the complete intended configuration of every device for a stage.

    Pure and offline: reads containerlab.yml, the intent and the address record, changes no device.
    Each file is checked with its tool's own validator (vtysh -C, kea-dhcp4/6 -t, unbound-checkconf,
    nft -c, nginx -t, ifup --no-act, tayga) in scratch namespaces; any failure names the device and the
    file and nothing is written. Each device also gets a manifest.json (files, checksums, services).
    """
    from pilot.inputs import load_inputs
    from pilot.render import render_stage, write_output
    from pilot.stages import get_stage

    wanted = get_stage(stage)
    inputs = load_inputs(topology, intent, record)
    result = render_stage(inputs, wanted, limit=limit, templates=templates, check=not no_validate)
    if not result.devices:
        raise PilotError("--limit selected no device", fix="check the expression")
    written = write_output(result, out_dir)
    if as_json:
        print_json(
            {
                "stage": wanted.name,
                "out": str(out_dir),
                "validated": result.validated,
                "devices": [d.manifest() for d in result.devices],
                "notes": result.notes,
            }
        )
        return
    for note in result.notes:
        err.print(f"[yellow]note:[/] {Text(note)}")
    table = Table(box=None, pad_edge=False)
    for column in ("device", "role", "platform", "files", "services"):
        table.add_column(column)
    for d in result.devices:
        running = ", ".join(name for name, on in d.services.items() if on) or "-"
        files = ", ".join(f.path for f in d.files)
        table.add_row(*(Text(v) for v in (d.device.name, d.device.role, d.device.platform, files, running)))
    out.print(table)
    check = "validated" if result.validated else "NOT validated"
    out.print(f"stage {wanted.name}: {len(written)} devices rendered into {out_dir} ({check})")

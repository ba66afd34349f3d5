"""`pilot platforms`: the platforms pilot knows (its plugins), what each can do and how it is tested."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from pilot.cli.common import JsonOpt, out, print_json


def platforms(
    templates: Path | None = typer.Option(
        None, "--templates", help="Templates directory (default: $PILOT_TEMPLATES, ./templates, else those installed)."
    ),
    markdown: bool = typer.Option(False, "--markdown", help="Print the table in Markdown (README.md holds a copy)."),
    as_json: bool = JsonOpt,
) -> None:
    """The platforms pilot renders and pushes: each is a plugin (entry point group pilot.platforms) with
    its templates and capability table (templates/<platform>/platform.yml).

    Per feature: yes; unconfirmed (rendered from syntax not confirmed in the vendor's documentation: the
    render warns); a fallback (PREF64 -> hosts learn the NAT64 prefix through DNS64, RFC 7050); or no (a
    stage needing it is refused at render). The minimum OS version follows where the table knows it.
    Tested says how pilot tests the platform: lab (real daemons in the lab), simulated (its transport
    over real SSH against simulated devices), golden (rendered files in the repository), round-trip
    (hier_config remediations), parsers (its probes on recorded device output).
    """
    from pilot.render.capabilities import FEATURE_COLUMNS, capability_table, cell, markdown_table
    from pilot.render.platforms import templates_dir

    rows = capability_table(templates_dir(templates))
    if as_json:
        print_json({"platforms": rows})
        return
    if markdown:
        print(markdown_table(rows), end="")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("platform", "transport", *FEATURE_COLUMNS, "tested"):
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        features = [cell(row["platform"], row["features"][c]) for c in FEATURE_COLUMNS]
        table.add_row(row["platform"], row["transport"], *features, ", ".join(row["tested"]) or "-")
    out.print(table)

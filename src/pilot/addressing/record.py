"""The address record (inventory/addresses.yml): every allocation ever made, kept so that adding an
agency, a site, a segment, a router or a link never renumbers an existing one.

The record is a flat map {kind: {key: prefix}}. An entry whose key has left the intent stays reserved
(and is reported) until someone deletes it by hand.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pilot import yamlsrc
from pilot.errors import Location, PilotError
from pilot.prefixes import Prefix

VERSION = 1
HEADER = """\
# The address record, written by `pilot addresses`. Every allocation made is kept here and reused, so
# editing the intent never renumbers what exists. An entry whose segment, router or link has left the
# intent stays reserved until you delete it. Review changes to this file like code.
"""


@dataclass
class Record:
    path: Path | None = None
    entries: dict[str, dict[str, Prefix]] = field(default_factory=dict)

    def get(self, kind: str, key: str) -> Prefix | None:
        return self.entries.get(kind, {}).get(key)

    def put(self, kind: str, key: str, prefix: Prefix) -> None:
        self.entries.setdefault(kind, {})[key] = prefix

    def items(self) -> Iterator[tuple[str, str, Prefix]]:
        for kind, entries in self.entries.items():
            for key, prefix in entries.items():
                yield kind, key, prefix

    def to_text(self) -> str:
        data = {
            "version": VERSION,
            "allocations": {
                kind: {key: str(prefix) for key, prefix in sorted(entries.items())}
                for kind, entries in sorted(self.entries.items())
            },
        }
        return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(self.to_text())
            tmp.replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise PilotError(
                f"cannot write the address record: {exc.strerror or exc}",
                fix="check that its directory exists and is writable (or pass another path with --record)",
                location=Location(path),
            ) from None


def load_record(path: Path) -> Record:
    """The record at `path`; an empty one if the file does not exist yet."""
    if not path.exists():
        return Record(path)
    src = yamlsrc.load(path, what="address record")
    data = src.data
    if data.get("version") != VERSION:
        raise src.error(("version",), f"unknown record version {data.get('version')!r}", f"write version: {VERSION}")
    allocations = data.get("allocations") or {}
    if not isinstance(allocations, dict):
        raise src.error(("allocations",), "allocations must be a mapping of kinds", "see the file's header")
    record = Record(path)
    for kind, entries in allocations.items():
        if not isinstance(entries, dict):
            raise src.error(("allocations", kind), "each kind maps keys to prefixes", "write key: prefix lines")
        for key, text in entries.items():
            try:
                record.put(str(kind), str(key), ipaddress.ip_network(str(text), strict=True))
            except ValueError as exc:
                raise src.error(
                    ("allocations", kind, key), f"not a prefix: {exc}", "write address/length with no host bits"
                ) from None
    return record


class PlanError(PilotError):
    """An address-plan problem: overlap, exhaustion, off-nibble request, block too small."""

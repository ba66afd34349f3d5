"""The bad-intent cases (tests/cases/bad-intent/*.yml): the repository's intent plus one change each.

A case file holds why it exists (comments), the message it must produce, and its change:

    # Two agencies may not share a name: it keys their sites and segments in the address record.
    expect: "agencies[2].name: agency 'data-centre' is defined twice"
    patch:                                  # JSON Patch (RFC 6902) on inventory/intent.yml
      - {op: replace, path: /agencies/2/name, value: data-centre}

or, for errors about the YAML itself (empty, malformed, not a mapping), the whole file as `text`.

`expect` is what follows the location in the one-line error (`FILE:LINE:COL: ` or `FILE: `). The base
is inventory/intent.yml itself, so the cases cannot drift from it: a patch whose path the intent no
longer has fails loudly. A case is materialised as the patched intent written out as YAML (its
*effective file*); the error must name that file, and its line and column must point at the place it
names. To look at every effective file: python tests/intentcases.py DIR
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from testroot import CASES, ROOT

BASE = ROOT / "inventory" / "intent.yml"
CASE_DIR = CASES / "bad-intent"
CASE_KEYS = {"expect", "patch", "text"}


@dataclass(frozen=True)
class Case:
    name: str
    source: Path
    expect: str
    patch: tuple[dict[str, Any], ...] = ()
    text: str | None = None

    def effective_text(self) -> str:
        """The intent this case feeds pilot: the base with the patch applied, or the case's own text."""
        if self.text is not None:
            return self.text
        data = apply_patch(yaml.safe_load(BASE.read_text(encoding="utf-8")), self.patch, self.source)
        header = f"# {self.name}: inventory/intent.yml with {self.source.name}'s patch applied (written by the tests)\n"
        return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)

    def materialise(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.yml"
        path.write_text(self.effective_text(), encoding="utf-8")
        return path


def load_case(path: Path) -> Case:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a case is a mapping with expect and patch (or text)"
    unknown = set(data) - CASE_KEYS
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}; a case has {sorted(CASE_KEYS)}"
    assert isinstance(data.get("expect"), str) and data["expect"], f"{path.name}: `expect` is the message it gives"
    assert ("patch" in data) != ("text" in data), f"{path.name}: give either `patch` or `text`"
    if "text" in data:
        assert isinstance(data["text"], str), f"{path.name}: `text` is the whole effective file"
        return Case(path.stem, path, data["expect"], text=data["text"])
    patch = data["patch"]
    assert isinstance(patch, list) and patch, f"{path.name}: `patch` is a non-empty list of operations"
    return Case(path.stem, path, data["expect"], patch=tuple(patch))


def all_cases() -> list[Case]:
    return [load_case(path) for path in sorted(CASE_DIR.glob("*.yml"))]


# -- JSON Patch (RFC 6902): add, remove, replace and test, on JSON Pointers (RFC 6901) ---------------


def apply_patch(document: Any, operations: tuple[dict[str, Any], ...], source: Path) -> Any:
    document = copy.deepcopy(document)
    for n, operation in enumerate(operations):
        where = f"{source.name}: patch[{n}]"
        op, pointer = operation.get("op"), operation.get("path")
        assert isinstance(pointer, str) and pointer.startswith("/"), f"{where}: path must be a JSON Pointer"
        assert op in ("add", "remove", "replace", "test"), f"{where}: op must be add, remove, replace or test"
        assert (op == "remove") == ("value" not in operation), f"{where}: `value` goes with add, replace and test"
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
        container = document
        for part in parents:
            container = _step(container, part, where, pointer)
        if op == "add" and isinstance(container, list):
            index = len(container) if last == "-" else _index(container, last, where, pointer, inclusive=True)
            container.insert(index, operation["value"])
        elif op == "add":
            assert isinstance(container, dict), f"{where}: {pointer} is inside a scalar"
            container[last] = operation["value"]
        else:
            current = _step(container, last, where, pointer)  # the target must exist for the others
            if op == "test":
                assert current == operation["value"], f"{where}: {pointer} is {current!r}, not {operation['value']!r}"
            elif op == "remove":
                del container[_index(container, last, where, pointer) if isinstance(container, list) else last]
            else:
                key = _index(container, last, where, pointer) if isinstance(container, list) else last
                container[key] = operation["value"]
    return document


def _step(container: Any, part: str, where: str, pointer: str) -> Any:
    if isinstance(container, list):
        return container[_index(container, part, where, pointer)]
    assert isinstance(container, dict) and part in container, f"{where}: the base intent has no {pointer}"
    return container[part]


def _index(container: list[Any], part: str, where: str, pointer: str, inclusive: bool = False) -> int:
    assert part.isdigit(), f"{where}: {pointer}: '{part}' is not a list index"
    limit = len(container) + (1 if inclusive else 0)
    assert int(part) < limit, f"{where}: the base intent has no {pointer}"
    return int(part)


# -- what a location must point at ----------------------------------------------------------------


def place_path(place: str) -> list[str | int]:
    """'agencies[2].sites[0].name' -> ['agencies', 2, 'sites', 0, 'name']."""
    out: list[str | int] = []
    for part in place.split("."):
        name, *indexes = part.split("[")
        if name:
            out.append(name)
        out += [int(i.rstrip("]")) for i in indexes]
    return out


def expected_start(data: Any, place: str) -> str:
    """What the effective file must show at the line and column an error names for `place`: the key
    itself for a mapping entry, the item's value (or first key) for a list item."""
    path = place_path(place)
    target = data
    for part in path:
        target = target[part]
    if isinstance(path[-1], str):
        return f"{path[-1]}:"
    if isinstance(target, dict):
        return f"{next(iter(target))}:"
    return yaml.safe_dump(target, allow_unicode=True, width=1000).splitlines()[0]


if __name__ == "__main__":  # write every case's effective file, to read them
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-intent-effective")
    for case in all_cases():
        print(case.materialise(out))

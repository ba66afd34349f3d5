"""YAML input that remembers where every value came from.

PyYAML's `safe_load` silently keeps the last of two duplicate keys and forgets line numbers, and our
errors must name the line and refuse duplicates (a duplicated node name in containerlab.yml is a real
mistake). So we compose the node graph with libyaml when present and build plain Python data from it,
recording the line/column of every mapping key and sequence item. ruamel.yaml would do both, but its
round-trip loader is several times slower on the large generated inventories the benchmarks use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pilot.errors import Location, PilotError

try:  # libyaml is ~10x faster; the pure-Python loader gives the same nodes.
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

YamlPath = tuple[str | int, ...]


def format_path(path: YamlPath) -> str:
    """('topology', 'links', 3, 'endpoints', 1) -> 'topology.links[3].endpoints[1]'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class Source:
    """Parsed YAML data plus the position of each path in the file it came from."""

    file: Path
    data: Any
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: YamlPath) -> Location:
        """The location of `path`, or of its nearest ancestor that has a recorded position."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (None, None)) if probe else (None, None)
        return Location(file=self.file, place=format_path(path) or None, line=line, column=col)

    def error(self, path: YamlPath, message: str, fix: str | None = None) -> PilotError:
        return PilotError(message, fix=fix, location=self.where(path))


class _Builder:
    def __init__(self, file: Path) -> None:
        self.file = file
        self.positions: dict[YamlPath, tuple[int, int]] = {}
        self.constructor = yaml.constructor.SafeConstructor()
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: YamlPath) -> Any:
        if id(node) in self._active:
            raise self._fail(node, path, "recursive YAML alias", "remove the alias that refers to itself")
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                out = []
                for index, item in enumerate(node.value):
                    self.positions[(*path, index)] = _pos(item)
                    out.append(self.build(item, (*path, index)))
                return out
            finally:
                self._active.discard(id(node))
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self._fail(node, path, f"cannot read value: {exc.problem}", "quote the value") from None

    def _mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[Any, Any]:
        own: dict[str, yaml.Node] = {}  # the mapping's own keys: a duplicate among them is an error
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self._key(key_node, path)
            if key in own:
                first = _pos(own[key])[0]
                raise self._fail(
                    key_node,
                    (*path, key),
                    f"duplicate key '{key}' (first defined on line {first})",
                    "keep one definition of the key; YAML keeps only the last one silently",
                )
            own[key] = key_node
        try:
            # Resolves merge keys (`<<: *anchor`): merged pairs come first, so the mapping's own win.
            self.constructor.flatten_mapping(node)
        except yaml.constructor.ConstructorError as exc:
            raise self._fail(node, path, f"bad merge key: {exc.problem}", "merge only mappings") from None
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            self.positions[(*path, key)] = _pos(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _key(self, key_node: yaml.Node, path: YamlPath) -> str:
        if not isinstance(key_node, yaml.ScalarNode):
            raise self._fail(key_node, path, "a mapping key must be a plain value", "use a string key")
        key = self.constructor.construct_object(key_node)
        if isinstance(key, (list, dict)) or key is None:
            raise self._fail(key_node, path, "a mapping key must be a plain value", "use a string key")
        return key if isinstance(key, str) else str(key)

    def _fail(self, node: yaml.Node, path: YamlPath, message: str, fix: str) -> PilotError:
        line, col = _pos(node)
        return PilotError(message, fix=fix, location=Location(self.file, format_path(path) or None, line, col))


def _pos(node: yaml.Node) -> tuple[int, int]:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


def load(file: Path, *, what: str = "file", expect_mapping: bool = True) -> Source:
    """Read a YAML file into a `Source`; any problem is a one-line `PilotError` naming the file."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PilotError(
            f"{what} not found",
            # Not only the topology: the intent (-i) and the record (-r) are read here too.
            fix="check the path: run from the directory that holds it, or pass it (pilot <command> --help)",
            location=Location(file),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PilotError(f"cannot read {what}: {exc}", fix="check the file", location=Location(file)) from None
    return loads(text, file, what=what, expect_mapping=expect_mapping)


def loads(text: str, file: Path, *, what: str = "file", expect_mapping: bool = True) -> Source:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "malformed YAML"
        raise PilotError(
            f"malformed YAML: {problem}",
            fix="correct the YAML syntax at that line (indentation, colons, quotes)",
            location=Location(file, None, line, col),
        ) from None
    except yaml.YAMLError as exc:
        raise PilotError(f"malformed YAML: {exc}", fix="correct the YAML syntax", location=Location(file)) from None
    if node is None:
        raise PilotError(f"{what} is empty", fix=f"write the {what} (see the README)", location=Location(file))
    builder = _Builder(file)
    data = builder.build(node, ())
    if expect_mapping and not isinstance(data, dict):
        raise PilotError(
            f"{what} must be a YAML mapping at the top level, not a {type(data).__name__}",
            fix="start the file with keys such as 'name:' and 'topology:'",
            location=Location(file, None, 1, 1),
        )
    return Source(file=file, data=data, positions=builder.positions)


M = TypeVar("M", bound=BaseModel)
# A hook giving a friendlier (message, fix) for a pydantic error at a path, or None for the default.
Explain = Callable[[dict[str, Any], YamlPath], tuple[str, str] | None]


def validate(
    src: Source, model: type[M], data: Any = None, explain: Explain | None = None, missing_fix: str = "add it"
) -> M:
    """Validate `data` (default: the whole document) against a pydantic model; the first problem becomes
    a one-line PilotError at the right line of the file."""
    try:
        return model.model_validate(src.data if data is None else data)
    except ValidationError as exc:
        err: dict[str, Any] = dict(exc.errors()[0])
    path = _data_path(src.data, tuple(err["loc"]))
    custom = explain(err, path) if explain else None
    if custom is not None:
        raise src.error(path, *custom)
    if err["type"] == "missing":
        missing = str(err["loc"][-1])
        raise src.error((*path, missing), f"missing required key '{missing}'", missing_fix)
    if err["type"] == "extra_forbidden":
        raise src.error(path, f"unknown key '{path[-1]}'", "remove it or check its spelling")
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    raise src.error(path, f"{str(err['msg']).lower()} (got {shown})", "correct the value")


def _data_path(data: Any, loc: tuple[Any, ...]) -> YamlPath:
    """Trim a pydantic error location to the part that exists in the data (drops union-branch tags)."""
    out: list[str | int] = []
    cursor = data
    for key in loc:
        if isinstance(cursor, dict) and key in cursor:
            cursor = cursor[key]
        elif isinstance(cursor, list) and isinstance(key, int) and key < len(cursor):
            cursor = cursor[key]
        else:
            break
        out.append(key)
    return tuple(out)


def walk_keys(data: Any, path: YamlPath = ()) -> Iterator[YamlPath]:
    """Every path in `data` (used by tests to check that positions cover the document)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key)
            yield from walk_keys(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*path, index)
            yield from walk_keys(value, (*path, index))

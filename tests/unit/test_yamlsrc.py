from pathlib import Path

import pytest

from pilot import yamlsrc
from pilot.errors import PilotError


def load(text: str) -> yamlsrc.Source:
    return yamlsrc.loads(text, Path("t.yml"))


def test_positions_name_line_and_column() -> None:
    src = load("name: x\ntopology:\n  nodes:\n    core: {kind: linux}\n")
    assert src.positions[("topology", "nodes", "core")] == (4, 5)
    assert str(src.where(("topology", "nodes", "core", "kind"))) == "t.yml:4:12: topology.nodes.core.kind"


def test_where_falls_back_to_nearest_known_parent() -> None:
    src = load("a:\n  b: 1\n")
    loc = src.where(("a", "b", "missing"))
    assert (loc.line, loc.place) == (2, "a.b.missing")


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    with pytest.raises(PilotError) as info:
        load("nodes:\n  a: 1\n  b: 2\n  a: 3\n")
    text = str(info.value)
    assert "t.yml:4:3: nodes.a: duplicate key 'a' (first defined on line 2)" in text
    assert "fix:" in text


def test_merge_keys_are_resolved() -> None:
    src = load("base: &b {kind: linux, image: x}\nnode: {<<: *b, image: y}\n")
    assert src.data["node"] == {"kind": "linux", "image": "y"}


def test_malformed_yaml_has_a_line() -> None:
    with pytest.raises(PilotError) as info:
        load("a: [1, 2\nb: 3\n")
    assert str(info.value).startswith("t.yml:")
    assert "malformed YAML" in str(info.value)


def test_empty_document() -> None:
    with pytest.raises(PilotError, match="is empty"):
        load("# nothing\n")


def test_non_mapping_top_level() -> None:
    with pytest.raises(PilotError, match="must be a YAML mapping"):
        load("- a\n- b\n")


def test_non_scalar_key_refused() -> None:
    with pytest.raises(PilotError, match="mapping key must be a plain value"):
        load("? [a, b]\n: 1\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PilotError, match="not found"):
        yamlsrc.load(tmp_path / "nope.yml", what="topology file")


def test_every_path_has_a_position() -> None:
    src = load("name: x\ntopology:\n  nodes:\n    a: {k: [1, {b: 2}]}\n")
    for path in yamlsrc.walk_keys(src.data):
        assert path in src.positions, path

"""Free text stays text (issue 7, item 4): whatever a title or an operator's name holds, no rendered
file gains a line or a directive the template did not write.

The property: render every stage with a benign token in every free-text field, then with arbitrary
text there (newlines, quotes, `$`, `;`, `{}`, `!`, `#`, NUL and other controls, Vietnamese). Every file
keeps the same lines; a line that carries a token keeps, around each value, exactly the text the
template wrote; and each value is well-formed where its syntax can tell (a JSON string in Kea's files,
HTML text on the portal's page, no trailing backslash in a comment).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pilot import yamlsrc
from pilot.addressing import build_plan, load_record
from pilot.errors import PilotError
from pilot.inputs import Inputs, load_inputs
from pilot.intent.loader import read_intent
from pilot.intent.schema import FreeText, IntentDef
from pilot.render import render_stage
from pilot.stages import stages
from pilot.topology import load_topology
from testroot import ROOT

INTENT = ROOT / "inventory" / "intent.yml"
TEMPLATES = ROOT / "templates"
INJECTION = "Pilot\n ip route 0.0.0.0/0 Null0\nrouter bgp 65000"  # issue 7's reproduction, verbatim

Path_ = tuple[str | int, ...]
Rendering = dict[str, str]  # "<stage>/<device><path on the device>" -> text


# -- every free-text field of the intent, found through the schema -----------------------------------


def _free_text(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, FreeText) for m in annotation.__metadata__)
    return any(_free_text(a) for a in typing.get_args(annotation))


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def free_text_fields(model: type[BaseModel], data: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every place in `data` where `model` takes human text, set or not (a title the intent leaves out
    is a place all the same)."""
    for name, field in model.model_fields.items():
        if _free_text(field.annotation) or any(isinstance(m, FreeText) for m in field.metadata):
            yield (*path, name)
            continue
        value = data.get(name) if isinstance(data, dict) else None
        for sub in _models(field.annotation):
            origin = typing.get_origin(field.annotation)
            if isinstance(value, list):
                for n, item in enumerate(value):
                    yield from free_text_fields(sub, item, (*path, name, n))
            elif isinstance(value, dict) and origin is dict:
                for key, item in value.items():
                    yield from free_text_fields(sub, item or {}, (*path, name, key))
            elif isinstance(value, dict):
                yield from free_text_fields(sub, value, (*path, name))


def _set(data: Any, path: Path_, value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@cache
def _base() -> yamlsrc.Source:
    return yamlsrc.load(INTENT, what="intent file")


FIELDS = tuple(free_text_fields(IntentDef, _base().data))
TOKENS = tuple(f"TOKEN{n}X" for n in range(len(FIELDS)))


def inputs_with(values: dict[Path_, str]) -> Inputs:
    base = _base()
    data = copy.deepcopy(base.data)
    for path, value in values.items():
        _set(data, path, value)
    src = yamlsrc.Source(base.file, data, base.positions)
    topology = load_topology(ROOT / "containerlab.yml")
    intent = read_intent(src, topology)
    record = ROOT / "inventory" / "addresses.yml"
    return Inputs(topology, intent, build_plan(intent, load_record(record)), record)


def render_all(inputs: Inputs, templates: Path = TEMPLATES) -> Rendering:
    out: Rendering = {}
    for stage in stages():
        for device in render_stage(inputs, stage, templates=templates, check=False).devices:
            for f in device.files:
                out[f"{stage.name}/{device.device.name}{f.path}"] = f.text
    return out


@cache
def benign() -> Rendering:
    return render_all(inputs_with(dict(zip(FIELDS, TOKENS, strict=True))))


def test_the_fields_are_every_title_and_operator_name() -> None:
    """A guard on the field finder: the pilot intent's free text, and nothing that is an identifier."""
    names = {(p[0], p[-1]) for p in FIELDS}
    assert names == {("province", "title"), ("internet", "name"), ("agencies", "title")}
    assert ("province", "title") in FIELDS and ("internet", "operators", 1, "name") in FIELDS
    assert ("agencies", 1, "sites", 0, "title") in FIELDS  # data-centre/main has no title in the intent
    assert ("agencies", 2, "sites", 0, "segments", 1, "title") in FIELDS
    assert ("agencies", 3, "sites", 0, "segments", 0, "title") in FIELDS  # soyte/hq/users
    assert len(FIELDS) == 14


def test_every_token_reaches_a_device_file() -> None:
    """Otherwise the property below would be checking nothing for that field. The infrastructure
    agency (no segment, no device) is the one exception: its title goes to `pilot addresses` only."""
    text = "\n".join(benign().values())
    missing = [path for path, token in zip(FIELDS, TOKENS, strict=True) if token not in text]
    assert missing == [("agencies", 0, "title")]


# -- the property ---------------------------------------------------------------------------------

PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\x0b",
    "\x1b[31m",
    "\x85",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\\",
    '"',
    "'",
    "`",
    "$",
    "${host}",
    "$(reboot)",
    ";",
    "{",
    "}",
    "{{ device }}",
    "!",
    "#",
    "//",
    "/*",
    "<",
    ">",
    "&",
    "%",
    INJECTION,
    "\nexit\nend\n",
    "Sở Khoa học và Công nghệ",
    "Máy in (IPv4)",
    "Đà Nẵng",
    "\t",
    "  ",
]
HOSTILE = (
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), min_size=1, max_size=6)
    .map("".join)
    .filter(lambda s: any(ch.isprintable() and not ch.isspace() for ch in s))  # blank text is refused instead
)
COMMENT = re.compile(r"^\s*(#|!|;|//)")


def _kea(text: str) -> Any:
    return json.loads("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")))


def _same_shape(benign: Any, hostile: Any, where: str) -> None:
    """Kea's JSON: the same structure; strings the same except those carrying a token."""
    if isinstance(benign, dict):
        assert isinstance(hostile, dict) and list(benign) == list(hostile), where
        for key in benign:
            _same_shape(benign[key], hostile[key], f"{where}.{key}")
    elif isinstance(benign, list):
        assert isinstance(hostile, list) and len(benign) == len(hostile), where
        for n, (b, h) in enumerate(zip(benign, hostile, strict=True)):
            _same_shape(b, h, f"{where}[{n}]")
    elif isinstance(benign, str) and any(t in benign for t in TOKENS):
        assert isinstance(hostile, str), where
    else:
        assert benign == hostile, where


def assert_text_stayed_in_its_slots(benign: Rendering, hostile: Rendering) -> None:
    tokens = re.compile("|".join(TOKENS))
    assert sorted(benign) == sorted(hostile), "the same files"
    for name, expected in benign.items():
        got = hostile[name]
        got.encode("utf-8")
        # splitlines: every character anything might read as a line break, not only \n
        want_lines, got_lines = expected.splitlines(), got.splitlines()
        assert len(got_lines) == len(want_lines) == len(got.split("\n")) - got.endswith("\n"), name
        for n, (want, line) in enumerate(zip(want_lines, got_lines, strict=True)):
            parts = tokens.split(want)
            if len(parts) == 1:
                assert line == want, f"{name}:{n + 1}"
                continue
            match = re.fullmatch("(.*?)".join(re.escape(p) for p in parts), line)
            assert match, f"{name}:{n + 1}: {line!r} is not {want!r} with its values in place"
            for slot in match.groups():
                if name.endswith(".html"):
                    assert not re.search(r"[<>\"']", slot) and "&" not in re.sub(r"&(amp|lt|gt|quot|#x27);", "", slot)
            if COMMENT.match(want):
                assert not line.endswith("\\"), f"{name}:{n + 1}: a trailing backslash continues a comment"
        if "/kea/" in name:
            _same_shape(_kea(expected), _kea(got), name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(HOSTILE, min_size=len(FIELDS), max_size=len(FIELDS)))
def test_no_free_text_changes_the_shape_of_any_file(values: list[str]) -> None:
    hostile = render_all(inputs_with(dict(zip(FIELDS, values, strict=True))))
    assert_text_stayed_in_its_slots(benign(), hostile)


# -- the issue's own reproduction, and the guards -------------------------------------------------


def test_the_issue_injection_as_a_title_stays_a_description() -> None:
    """Issue 7's injection where free text belongs (a name refuses it: test_render_cli): on isp1 and isp2
    it is part of a description, on one line."""
    rendering = render_all(inputs_with({("province", "title"): INJECTION}))
    for isp in ("isp1", "isp2"):
        frr = rendering[f"dual-stack/{isp}/etc/frr/frr.conf"]
        lines = frr.splitlines()
        assert not [line for line in lines if line.strip().startswith("ip route")]
        assert [line for line in lines if line.startswith("router bgp")] == [f"router bgp {64500 + int(isp[-1])}"]
        assert " description customer Pilot ip route 0.0.0.0/0 Null0 router bgp 65000 (core eth" in frr


def test_a_template_that_forgets_its_filter_fails_at_render(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    frr = templates / "frr" / "frr.conf.j2"
    source = frr.read_text()
    assert " description {{ i.description | description }}" in source
    frr.write_text(source.replace(" description {{ i.description | description }}", " description {{ i.description }}"))
    line = 1 + source.splitlines().index(" description {{ i.description | description }}")
    inputs = load_inputs(ROOT / "containerlab.yml", INTENT, ROOT / "inventory" / "addresses.yml")
    with pytest.raises(PilotError) as info:
        render_stage(inputs, stages()[1], templates=templates, check=False)
    text = str(info.value)
    assert text.startswith(f"device 'isp1': template frr.conf.j2:{line}: ")
    assert "went through no escaping filter" in text and "\n" not in text
    # The same template with ASCII titles renders: the guard stops text, not templates.
    ascii_titles = inputs_with({path: "plain ascii" for path in FIELDS})
    render_stage(ascii_titles, stages()[1], templates=templates, check=False, limit="core")
    with pytest.raises(PilotError, match=r"frr.conf.j2:\d+: '.*\\n.*' is not printable ASCII"):
        render_stage(inputs_with({("province", "title"): INJECTION}), stages()[1], templates=templates, check=False)


def test_platforms_without_utf8_get_ascii_descriptions(tmp_path: Path) -> None:
    """platform.yml says whether the platform takes UTF-8 in descriptions (FRR does: see its comment)."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    descriptor = templates / "frr" / "platform.yml"
    data = yaml.safe_load(descriptor.read_text())
    assert data["capabilities"]["utf8_descriptions"] is True
    descriptor.write_text(descriptor.read_text().replace("utf8_descriptions: true", "utf8_descriptions: false"))
    inputs = load_inputs(ROOT / "containerlab.yml", INTENT, ROOT / "inventory" / "addresses.yml")
    result = render_stage(inputs, stages()[1], templates=templates, check=False)
    files = {(d.device.name, f.path): f.text for d in result.devices for f in d.files}
    dost = files[("dost-rtr", "/etc/frr/frr.conf")]
    assert dost.isascii()
    assert " description users VLAN 10 (dost/hq/users): So Khoa hoc va Cong nghe / Tru so chinh / Nguoi dung\n" in dost
    assert (
        " description customer Thi diem IPv6-only cap tinh (lab) (core eth1)\n" in files[("isp1", "/etc/frr/frr.conf")]
    )
    assert "Người dùng" in files[("dost-sw", "/etc/network/interfaces.d/pilot")], "linux keeps UTF-8"


def test_the_pilot_renders_its_vietnamese_titles() -> None:
    inputs = load_inputs(ROOT / "containerlab.yml", INTENT, ROOT / "inventory" / "addresses.yml")
    result = render_stage(inputs, stages()[1], templates=TEMPLATES, check=False)
    files = {(d.device.name, f.path): f.text for d in result.devices for f in d.files}
    assert "Sở Khoa học và Công nghệ / Trụ sở chính / Người dùng" in files[("dost-rtr", "/etc/frr/frr.conf")]
    assert "<h1>Thí điểm IPv6-only cấp tỉnh (lab)</h1>" in files[("portal", "/var/lib/pilot-web/index.html")]
    kea = _kea(files[("dhcp", "/etc/kea/kea-dhcp6.conf")])
    titles = [s.get("user-context", {}).get("title") for s in kea["Dhcp6"]["subnet6"]]
    assert "Sở Khoa học và Công nghệ / Trụ sở chính / Máy in (IPv4)" in titles

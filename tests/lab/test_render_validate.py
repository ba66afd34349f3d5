"""The tools' own offline validators pass on every rendered file of every stage, and catch a bad one.
(Lab-marked: the validators run in scratch namespaces, which needs root and the Debian packages.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.render import render_stage
from pilot.render.engine import RenderedDevice
from pilot.stages import get_stage, stage_names
from testroot import ROOT


def inputs():  # type: ignore[no-untyped-def]
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


@pytest.mark.parametrize("stage", stage_names())
def test_every_rendered_file_passes_its_validator(stage: str) -> None:
    result = render_stage(inputs(), get_stage(stage), templates=ROOT / "templates", check=True)
    assert result.validated
    checked = {f.validate for d in result.devices for f in d.files if f.validate}
    # radvd.conf where the routers send RAs (radvd >= 2.20: its nat64prefix passes from ipv6-mostly on)
    ra = {"radvd"} if get_stage(stage).router_advertisements else set()
    assert checked == {"frr", "kea-dhcp4", "kea-dhcp6", "unbound", "nft", "nginx", "ifupdown", "tayga"} | ra


@pytest.mark.parametrize(
    ("template", "old", "new", "device", "path", "validator"),
    [
        (
            "frr/frr.conf.j2",
            " ip address {{ a.with_prefixlen }}",
            " ip addresss {{ a.with_prefixlen }}",
            "isp1",
            "/etc/frr/frr.conf",
            "frr",
        ),
        (
            "linux/kea-dhcp4.conf.j2",
            '"valid-lifetime": 600,',
            '"valid-lifetime": "long",',
            "dhcp",
            "/etc/kea/kea-dhcp4.conf",
            "kea-dhcp4",
        ),
        (
            "linux/unbound.conf.j2",
            "    port: 53",
            "    port: fifty-three",
            "dns64",
            "/etc/unbound/unbound.conf",
            "unbound",
        ),
        ("linux/nftables.nft.j2", "masquerade", "masqerade", "nat64", "/etc/nftables.d/pilot.nft", "nft"),
        (
            "frr/radvd.conf.j2",
            "    nat64prefix {{ ra.pref64 }}",
            "    nat64prefix {{ ra.pref64.supernet(new_prefix=80) }}",  # RFC 8781: /96, /64, ... /32 only
            "dost-rtr",
            "/etc/radvd.conf",
            "radvd",
        ),
        (
            "linux/nginx-site.j2",
            "    server_name",
            "    server_nam",
            "portal",
            "/etc/nginx/sites-enabled/default",
            "nginx",
        ),
    ],
)
def test_a_bad_file_is_caught_by_its_validator(
    tmp_path: Path, template: str, old: str, new: str, device: str, path: str, validator: str
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    target = templates / template
    assert old in target.read_text()
    target.write_text(target.read_text().replace(old, new, 1))
    with pytest.raises(PilotError) as info:
        render_stage(inputs(), get_stage("ipv6-mostly"), templates=templates, check=True, limit=device)
    text = str(info.value)
    assert f"device '{device}', file {path}: {validator} says:" in text
    assert "\n" not in text
    assert "pilot-validate-" not in text  # the message names the real path, not the scratch copy


# Every kind of trouble for every syntax pilot writes, and Vietnamese: issue 7's injection, nginx's `$`,
# JSON's quote and backslash, HTML, comment characters, NUL, ESC, a bidi override, a line separator.
HOSTILE = (
    "Pilot\n ip route 0.0.0.0/0 Null0\nrouter bgp 65000 ${host} $(reboot) \"q\" 'a' \\ <b>&amp; ; {} ! # // "
    "\x00 \x1b[31m \u202e \u2028 Sở Khoa học và Công nghệ \\"
)


def _with_hostile_text(data: Any) -> Any:
    """The pilot's intent with every title (and operator name) set to HOSTILE, titles added where absent."""
    data["province"]["title"] = HOSTILE
    for operator in data["internet"]["operators"]:
        operator["name"] = HOSTILE
    for agency in data["agencies"]:
        agency["title"] = HOSTILE
        for site in agency.get("sites", []):
            site["title"] = HOSTILE
            for segment in site.get("segments", []):
                segment["title"] = HOSTILE
    return data


@pytest.mark.parametrize("stage", stage_names())
def test_hostile_titles_pass_every_validator_and_add_no_line(stage: str, tmp_path: Path) -> None:
    intent = tmp_path / "intent.yml"
    data = _with_hostile_text(yaml.safe_load((ROOT / "inventory/intent.yml").read_text()))
    intent.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    hostile = load_inputs(ROOT / "containerlab.yml", intent, ROOT / "inventory/addresses.yml")
    result = render_stage(hostile, get_stage(stage), templates=ROOT / "templates", check=True)
    assert result.validated
    plain = render_stage(inputs(), get_stage(stage), templates=ROOT / "templates", check=False)

    def lines(devices: list[RenderedDevice]) -> dict[str, int]:
        return {f"{d.device.name}{f.path}": len(f.text.splitlines()) for d in devices for f in d.files}

    assert lines(result.devices) == lines(plain.devices), "no file gained or lost a line"
    for d in result.devices:
        for f in d.files:
            assert not [line for line in f.text.splitlines() if line.lstrip().startswith("ip route 0.0.0.0/0")]

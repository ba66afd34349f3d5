"""The tools' own offline validators pass on every rendered file of every stage, and catch a bad one.
(Lab-marked: the validators run in scratch namespaces, which needs root and the Debian packages.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilot.errors import PilotError
from pilot.inputs import load_inputs
from pilot.render import render_stage
from pilot.stages import get_stage, stage_names
from testroot import ROOT


def inputs():  # type: ignore[no-untyped-def]
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


@pytest.mark.parametrize("stage", stage_names())
def test_every_rendered_file_passes_its_validator(stage: str) -> None:
    result = render_stage(inputs(), get_stage(stage), templates=ROOT / "templates", check=True)
    assert result.validated
    checked = {f.validate for d in result.devices for f in d.files if f.validate}
    assert checked == {"frr", "kea-dhcp4", "kea-dhcp6", "unbound", "nft", "nginx", "ifupdown", "tayga"}


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

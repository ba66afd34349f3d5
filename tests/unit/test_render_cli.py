"""`pilot render` from the command line: output layout, --limit, --json, and its one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from pilot.cli import main
from testroot import ROOT


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.argv", ["pilot", *argv])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_render_writes_every_device_with_a_manifest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(monkeypatch, "render", "--stage", "dual-stack", "--out", str(out), "--no-validate", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stage"] == "dual-stack" and len(data["devices"]) == 18
    assert (out / "core" / "etc" / "frr" / "frr.conf").read_text().startswith("! core: stage dual-stack")
    manifest = json.loads((out / "dhcp" / "manifest.json").read_text())
    assert manifest["services"]["kea-dhcp6-server"] is True
    assert {f["path"] for f in manifest["files"]} >= {"/etc/kea/kea-dhcp4.conf", "/etc/kea/kea-dhcp6.conf"}
    assert oct((out / "core" / "etc" / "frr" / "frr.conf").stat().st_mode & 0o777) == "0o640"


def test_issue_7_frr_injection_through_the_province_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 7, verbatim: this province.name wrote `ip route` and `router bgp` lines into isp1's and isp2's
    frr.conf, and the render said "validated". A name is a slug now: one line, exit 2, nothing written."""
    data = yaml.safe_load((ROOT / "inventory" / "intent.yml").read_text())
    data["province"]["name"] = "Pilot\n ip route 0.0.0.0/0 Null0\nrouter bgp 65000"
    intent = tmp_path / "intent.yml"
    intent.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    out = tmp_path / "out"
    code = run(
        monkeypatch, "render", "--stage", "dual-stack", "--out", str(out), "--intent", str(intent), "--no-validate"
    )
    frr = [line for path in sorted(out.rglob("frr.conf")) for line in path.read_text().splitlines()]
    injected = [line for line in frr if line.strip().startswith("ip route 0.0.0.0/0") or line == "router bgp 65000"]
    assert not injected, "the name's lines became FRR commands"
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"pilot: error: {intent}:")
    assert "province.name: 'Pilot\\n ip route 0.0.0.0/0 Null0\\nrouter bgp 65000' is not a slug" in err[0]
    assert "names are ASCII slugs used in configurations" in err[0] and "put the Vietnamese name in `title`" in err[0]


def test_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        run(monkeypatch, "render", "-s", "ipv4", "-o", str(out), "--no-validate", "--limit", "role:router,!isp*") == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["core", "dost-rtr", "soyte-rtr"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--stage", "ipv5"], "unknown stage 'ipv5'"),
        (["--stage", "ipv4", "--limit", "corr"], "--limit: 'corr' matches no device"),
        (["--stage", "ipv4", "--intent", "nosuch.yml"], "intent file not found"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], expected: str
) -> None:
    out = tmp_path / "out"
    assert run(monkeypatch, "render", *argv, "--out", str(out), "--no-validate") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert not out.exists()


def test_a_template_error_names_device_and_template_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    zone = templates / "linux" / "zone.j2"
    zone.write_text(zone.read_text().replace("{{ item.serial }}", "{{ item.serail }}"))
    out = tmp_path / "out"
    assert run(monkeypatch, "render", "-s", "ipv4", "-o", str(out), "--no-validate", "--templates", str(templates)) == 2
    err = capsys.readouterr().err
    assert "device 'dns64': template zone.j2" in err and "serail" in err and err.count("\n") == 1
    assert not out.exists()


def test_a_platform_descriptor_error_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    descriptor = templates / "frr" / "platform.yml"
    descriptor.write_text(descriptor.read_text().replace("template: frr.conf.j2", "template: nosuch.j2"))
    assert (
        run(
            monkeypatch,
            "render",
            "-s",
            "ipv4",
            "-o",
            str(tmp_path / "o"),
            "--no-validate",
            "--templates",
            str(templates),
        )
        == 2
    )
    assert "template nosuch.j2 does not exist" in capsys.readouterr().err

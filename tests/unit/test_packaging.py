"""A non-editable install works: the wheel carries the stages, templates, playbook, device agent and
probe scripts, and the installed `pilot` renders from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from testroot import ROOT


def pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_under_src_is_in_the_wheel() -> None:
    """The packages are listed in pyproject.toml (find cannot map templates/ into the package): a package
    added under src/ without listing it would be missing from the wheel."""
    config = pyproject()["tool"]["setuptools"]
    listed = set(config["packages"])
    # Every folder holding Python code (a folder without __init__.py is a namespace package, still code),
    # except data shipped with its parent package (the probes' scripts, which run on the devices).
    data = {f"{package}.{glob.split('/')[0]}" for package, globs in config["package-data"].items() for glob in globs
            if "/" in glob and glob.endswith(".py")}  # fmt: skip
    on_disk = {".".join(py.parent.relative_to(ROOT / "src").parts) for py in (ROOT / "src").rglob("*.py")}
    assert on_disk - data - listed == set(), "add these to [tool.setuptools] packages"
    for package in listed - on_disk:
        assert (ROOT / config["package-dir"][package]).is_dir(), package


def _tracked_tree(destination: Path) -> None:
    """The files of this checkout that git would commit (tracked and new, not ignored): what a clone has."""
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, names):
        source = ROOT / os.fsdecode(name)
        if source.is_file():  # a tracked file deleted in the work tree is not in the next commit
            target = destination / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@pytest.mark.slow
def test_the_installed_wheel_renders_from_another_directory(tmp_path: Path) -> None:
    source, dist, venv, elsewhere = (tmp_path / d for d in ("source", "dist", "venv", "elsewhere"))
    _tracked_tree(source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], check=True)
    (wheel,) = dist.glob("pilot-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies are the ones this interpreter already has (setup.sh installed them from the index):
    # their directory goes on the new venv's path after its own site-packages, where the wheel goes. Only a
    # plain path is added, so the development install's .pth (pointing at src/) is not read.
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    (site / "zz-pilot-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)

    elsewhere.mkdir()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in ("containerlab.yml", "inventory/intent.yml", "inventory/addresses.yml"):
        shutil.copy(ROOT / name, inputs / Path(name).name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PILOT_TEMPLATES", "PILOT_PLAYBOOKS")}
    where = subprocess.run(
        [python, "-c", WHERE_EVERYTHING_IS], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
    )
    assert where.returncode == 0, where.stderr
    installed = site / "pilot"
    for line in where.stdout.splitlines():
        what, path = line.split("=", 1)
        assert Path(path).is_relative_to(installed), f"{what} found at {path}, not in the installed package"
        assert Path(path).exists(), f"{what}: {path} is missing from the wheel"

    out = tmp_path / "out"
    result = subprocess.run(
        [venv / "bin" / "pilot", "render", "--stage", "dual-stack", "--no-validate", "-t",
         str(inputs / "containerlab.yml"), "-i", str(inputs / "intent.yml"), "-r", str(inputs / "addresses.yml"),
         "--out", str(out)],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    golden = ROOT / "tests" / "golden" / "dual-stack"

    def tree(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}

    assert tree(out) == tree(golden), "the installed pilot renders what the source tree renders"
    assert list(elsewhere.iterdir()) == [], "nothing written into the current directory"


# Run by the installed interpreter: where each of pilot's own files comes from.
WHERE_EVERYTHING_IS = """
import pilot, pilot.agent, pilot.verify.observe as observe
from pilot.render.platforms import templates_dir
from pilot.rollout.ansible import playbook
from pilot.stages.catalog import STAGES_FILE, stage_names
assert stage_names() == ["ipv4", "dual-stack", "ipv6-mostly", "ipv6-only"], stage_names()
print("package=" + pilot.__file__)
print("stages=" + str(STAGES_FILE))
print("templates=" + str(templates_dir() / "frr" / "platform.yml"))
print("linux templates=" + str(templates_dir() / "linux" / "platform.yml"))
print("playbook=" + str(playbook()))
assert pilot.agent.text().startswith("#!/usr/bin/env python3"), "the device agent joins from its parts"
for part in pilot.agent.PARTS:
    print("device agent part=" + str(pilot.agent.DEVICE / f"{part}.py"))
for name in ("rogue_ra.py", "udp_from.py", "dhcp_probe.py", "ra_probe.py"):
    print("probe script=" + str(observe.SCRIPTS / name))
"""

"""The device agent as the one script that runs on devices: how its parts join, and the script run as a
program on a temporary root with fake commands first on PATH (capture, diff, apply, restore, state)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent_kit import Device, golden_bundle
from test_agent_transaction import nat64_scene, text_of

from pilot import agent
from testroot import ROOT


def _ruff() -> str:
    found = Path(sys.executable).with_name("ruff")
    return str(found) if found.exists() else (shutil.which("ruff") or "ruff")


def test_the_joined_script_passes_pyflakes(tmp_path: Path) -> None:
    """Joining drops the parts' imports of each other: a name a part uses must still be defined, and
    nothing may be left unused. Only repeated imports (F811: every part imports os, json, ...) pass."""
    script = tmp_path / "pilot-agent.py"
    script.write_text(agent.text())
    result = subprocess.run(
        [_ruff(), "check", "--no-cache", "--isolated", "--select", "F", "--ignore", "F811", str(script)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _defined(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_no_two_parts_define_the_same_name_and_every_import_between_parts_resolves() -> None:
    """In one script a second definition silently replaces the first: each top-level name has one part."""
    trees = {part: ast.parse((agent.DEVICE / f"{part}.py").read_text()) for part in agent.PARTS}
    owners: dict[str, list[str]] = {}
    for part, tree in trees.items():
        for name in _defined(tree):
            owners.setdefault(name, []).append(part)
    assert {name: parts for name, parts in owners.items() if len(parts) > 1} == {}
    for part, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pilot."):
                source = (node.module or "").rsplit(".", 1)[-1]
                assert source in trees, f"{part} imports {node.module}, which is not a part of the agent"
                missing = [a.name for a in node.names if a.name not in _defined(trees[source])]
                assert missing == [], f"{part} imports {missing} from {source}, which does not define them"


def test_the_script_is_standard_library_only_with_main_last() -> None:
    text = agent.text()
    assert text.startswith('#!/usr/bin/env python3\n"""pilot-agent: brings one device')
    assert text.count("from __future__ import annotations") == 1
    assert "from pilot" not in text and "import pilot" not in text
    tree = ast.parse(text)
    last = tree.body[-1]
    assert isinstance(last, ast.If) and ast.unparse(last.test) == "__name__ == '__main__'"
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_with_bundle_replaces_embedded_and_nothing_else() -> None:
    bundle = json.dumps(
        {"run": "7", "files": [{"path": "/etc/x", "text": "Sở Khoa học và Công nghệ\n'\"\\ EMBEDDED = None\n"}]},
        ensure_ascii=False,
    )
    carried = agent.with_bundle(bundle)
    plain, loaded = agent.text().splitlines(), carried.splitlines()
    changed = [(a, b) for a, b in zip(plain, loaded, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith("EMBEDDED = None")
    namespace: dict[str, object] = {"__name__": "not_main"}
    exec(compile(carried, "pilot-agent", "exec"), namespace)
    assert namespace["EMBEDDED"] == bundle


# -- the script as a program ----------------------------------------------------------------------------


def _nat64_from_ipv4(device: Device) -> tuple[dict[str, Any], dict[str, Any]]:
    before, bundle = golden_bundle("ipv4", "nat64"), golden_bundle("dual-stack", "nat64")
    device.install(before)
    device.put("/var/lib/pilot/state.json", json.dumps({"run": "6", "stage": "ipv4", "applied": 1.0}))
    nat64_scene(device, bundle)
    return before, bundle


def _state(device: Device) -> dict[str, object] | None:
    """state.json once the detached transaction has written it (it does so after its result)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        record = device.state_record()
        if record and record.get("run") == "7":
            return record
        time.sleep(0.02)
    return device.state_record()


def test_an_embedded_copy_applies_its_bundle_and_the_plain_copy_restores(device: Device) -> None:
    """What the transports run: `python3 copy.py apply`, the copy carrying its bundle. It stages the
    bundle, keeps a plain copy of itself, detaches the transaction from the session, waits for its
    result and prints it. The plain copy then puts the device back: `pilot-agent restore RUN`."""
    before, bundle = _nat64_from_ipv4(device)
    copy = device.script(agent.with_bundle(json.dumps(bundle)), "runs/7/agent.py")

    done = device.agent(copy, "apply")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["state"] == "applied" and result["run"] == "7" and result["stage"] == "dual-stack"
    assert json.loads(device.get("/var/lib/pilot/runs/7/bundle.json") or "{}") == bundle
    plain = device.root / "var/lib/pilot/pilot-agent"
    assert plain.read_text() == agent.text()  # EMBEDDED back to None
    assert _state(device) == {"run": "7", "stage": "dual-stack", "applied": result["finished"]}
    assert device.get("/etc/resolv.conf") == text_of(bundle, "/etc/resolv.conf")
    assert device.ran("ifup", "-i", str(device.root / "etc/network/interfaces.d/pilot"), "-a")

    restored = device.agent(plain, "restore", "7")

    assert restored.returncode == 0 and json.loads(restored.stdout)["state"] == "applied", restored.stderr
    assert json.loads(device.agent(plain, "state").stdout) == {"run": "6", "stage": "ipv4", "applied": 1.0}
    for f in before["files"]:
        assert device.get(f["path"]) == f["text"]


def test_capture_and_diff_as_a_program(device: Device) -> None:
    before, bundle = _nat64_from_ipv4(device)
    plain = device.script(agent.text(), "pilot-agent")
    path = device.root / "var/lib/pilot/runs/7/bundle.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(bundle))

    diff = device.agent(plain, "diff", str(path))
    assert diff.returncode == 0, diff.stderr
    assert sorted(json.loads(diff.stdout)["files"]) == ["/etc/network/interfaces.d/pilot", "/etc/resolv.conf"]

    capture = device.agent(plain, "capture", str(path))
    assert capture.returncode == 0, capture.stderr
    backup = json.loads(capture.stdout)
    assert [f["text"] for f in backup["files"]] == [f["text"] for f in before["files"]]
    assert backup["applied"] == {"run": "6", "stage": "ipv4", "applied": 1.0}
    assert backup["expect"]["routes"] == bundle["expect"]["routes"]
    assert device.state_record() == {"run": "6", "stage": "ipv4", "applied": 1.0}  # looking changes nothing


def test_usage_errors(device: Device) -> None:
    plain = device.script(agent.text(), "pilot-agent")
    usage = device.agent(plain)
    assert usage.returncode == 2 and usage.stdout.startswith("pilot-agent: brings one device")
    unknown = device.agent(plain, "frobnicate", "x")
    assert unknown.returncode == 2 and unknown.stderr == "unknown command frobnicate\n"
    missing = device.agent(plain, "restore", "41")
    assert missing.returncode == 2 and missing.stderr == "no backup for run 41 on this device\n"


def test_the_playbooks_command_leaves_a_plain_copy_and_no_temporary_file(device: Device, tmp_path: Path) -> None:
    """The playbook's raw command as Ansible renders it, run by a shell: the agent runs from a private
    temporary file (from standard input it could not know its own source), leaves the plain copy
    /var/lib/pilot/pilot-agent that `restore` and `state` by hand need, and removes the temporary file."""
    import jinja2
    import yaml

    _, bundle = _nat64_from_ipv4(device)
    script = tmp_path / "nat64.py"
    script.write_text(agent.with_bundle(json.dumps(bundle)))
    task = yaml.safe_load((ROOT / "playbooks" / "pilot-agent.yml").read_text())[0]["tasks"][0]
    command = jinja2.Template(task["ansible.builtin.raw"]).render(
        pilot_action="capture",
        pilot_restore_run="",
        pilot_bundles=str(tmp_path),
        inventory_hostname="nat64",
        pilot_agent_source="unused",
        lookup=lambda kind, path: Path(path).read_text().rstrip(),  # as Ansible's file lookup (rstrip=True)
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**device.env(), "TMPDIR": str(temporary)}
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, cwd=device.base, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["node"] == "nat64"
    assert device.get("/var/lib/pilot/pilot-agent") == agent.text()
    assert list(temporary.iterdir()) == []


def test_directories_the_agent_creates_are_readable_whatever_the_sessions_umask(device: Device) -> None:
    """A session with umask 077 (a hardened login) must not leave configuration directories that only
    root can enter: nginx, as www-data, read the portal's page from one and answered 404."""
    _, bundle = _nat64_from_ipv4(device)
    shutil.rmtree(device.root / "etc/nftables.d")
    copy = device.script(agent.with_bundle(json.dumps(bundle)), "runs/7/agent.py")
    done = subprocess.run(
        [sys.executable, str(copy), "apply"],
        capture_output=True,
        text=True,
        env=device.env(),
        timeout=60,
        preexec_fn=lambda: os.umask(0o077),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "applied"
    assert stat.S_IMODE((device.root / "etc/nftables.d").stat().st_mode) == 0o755

"""What pilot hands ansible-runner: no secret and no copy of pilot's environment on disk; a password
answers Ansible's prompt from memory; hosts with different passwords run as separate plays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pilot.rollout import ansible
from pilot.rollout.inventory import Host
from pilot.transport.ssh import Target

SECRET = "s3cret-for-the-test"


def host(name: str, password: str | None = None) -> Host:
    target = Target(
        name, f"3fff:0:1000:1::{len(name)}", key_file="/keys/id", known_hosts="/keys/known", password=password
    )
    return Host(name, "linux", "ansible", target)


def test_the_play_environment_keeps_ours_and_the_runners_and_drops_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_SSH_PASSWORD", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("PATH", "/usr/bin")
    prepared = {
        "PILOT_SSH_PASSWORD": SECRET,  # copied from pilot's environment by ansible-runner
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "HOME": "/root",
        "PATH": "/venv/bin:/usr/bin",  # ours
        "ANSIBLE_TIMEOUT": "15",  # ours
        "ANSIBLE_STDOUT_CALLBACK": "awx_display",  # added by ansible-runner
    }
    ours = {"PATH": "/venv/bin:/usr/bin", "ANSIBLE_TIMEOUT": "15"}
    assert ansible.scrubbed_env(prepared, ours) == {
        "HOME": "/root",
        "PATH": "/venv/bin:/usr/bin",
        "ANSIBLE_TIMEOUT": "15",
        "ANSIBLE_STDOUT_CALLBACK": "awx_display",
    }


class FakeRunner:
    """Stands in for ansible_runner's Runner: records what a play was given, answers every host."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self.config = type("Config", (), {"env": {**kwargs["envvars"], "PILOT_SSH_PASSWORD": SECRET}})()

    def run(self) -> None:
        FakeRunner.calls.append({**self.kwargs, "env": self.config.env})
        for name in self.kwargs["inventory"]["all"]["hosts"]:
            res = {"rc": 0, "stdout": json.dumps({"host": name})}
            self.kwargs["event_handler"](
                {"event": "runner_on_ok", "event_data": {"host": name, "task": "Run the device agent", "res": res}}
            )


def test_passwords_answer_the_prompt_and_never_reach_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ansible_runner.interface

    FakeRunner.calls = []
    monkeypatch.setenv("PILOT_SSH_PASSWORD", SECRET)
    monkeypatch.setattr(ansible_runner.interface, "init_runner", lambda **kw: FakeRunner(kw))
    hosts = [host("pc1", SECRET), host("pc2", SECRET), host("dns64", "other-" + SECRET), host("portal")]
    outcomes = ansible.run_agent("diff", hosts, "7", tmp_path, {h.name: "{}" for h in hosts})

    assert {n: (o.ok, o.data) for n, o in outcomes.items()} == {
        n: (True, {"host": n}) for n in ("pc1", "pc2", "dns64", "portal")
    }
    plays = {tuple(sorted(c["inventory"]["all"]["hosts"])): c for c in FakeRunner.calls}
    assert set(plays) == {("pc1", "pc2"), ("dns64",), ("portal",)}  # one play per password
    assert plays[("pc1", "pc2")]["cmdline"] == "--ask-pass"
    assert list(plays[("pc1", "pc2")]["passwords"].values()) == [SECRET]
    assert list(plays[("dns64",)]["passwords"].values()) == ["other-" + SECRET]
    assert plays[("portal",)]["cmdline"] is None and plays[("portal",)]["passwords"] is None
    for play in FakeRunner.calls:
        assert "PILOT_SSH_PASSWORD" not in play["env"]  # the environment ansible-runner writes to disk
        assert SECRET not in json.dumps([play["inventory"], play["extravars"], play["envvars"]])
        assert play["suppress_env_files"] is True
    written = [p for p in tmp_path.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert written == []

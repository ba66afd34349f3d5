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


# -- nothing on disk holds a configuration ------------------------------------------------------------------
# Stands in for playbooks/pilot-agent.yml on this machine (connection: local): the "agent" answers with the
# script it was given, so its answer carries the bundle, as the real agent's backups and diffs carry
# configurations. pc2's answer comes with a failure, which Ansible's output repeats in full.
STAND_IN = """
- name: "stand-in agent: {{ pilot_action }}"
  hosts: all
  gather_facts: false
  connection: local
  tasks:
    - name: Run the device agent
      ansible.builtin.raw: >-
        python3 -c 'import json, sys; print(json.dumps({"echo": open(sys.argv[1]).read()}));
        sys.exit(sys.argv[2] == "pc2")' {{ pilot_bundles }}/{{ inventory_hostname }}.py {{ inventory_hostname }}
      register: pilot_out
      failed_when: pilot_out.rc != 0
"""


def files_holding(root: Path, text: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_a_play_leaves_no_configuration_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent scripts embed the bundles and ansible-runner's events and output hold the agent's answers:
    after the play, none of it is on disk, and pilot still got every answer."""
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "pilot-agent.yml").write_text(STAND_IN)
    monkeypatch.setenv("PILOT_PLAYBOOKS", str(tmp_path / "playbooks"))
    work = tmp_path / "runs" / "7"
    bundles = {
        n: json.dumps({"node": n, "files": [{"text": f"neighbor x password {SECRET}-{n}"}]}) for n in ("pc1", "pc2")
    }
    outcomes = ansible.run_agent("inspect", [host("pc1"), host("pc2")], "7", work, bundles)

    assert outcomes["pc1"].ok and f"{SECRET}-pc1" in outcomes["pc1"].data["echo"]
    assert not outcomes["pc2"].ok
    assert files_holding(tmp_path, SECRET) == []
    assert not (work / "ansible-inspect" / "agents").exists()
    assert list((work / "ansible-inspect").glob("artifacts/*/rc")), "ansible-runner's own record stays"


def test_the_agent_scripts_go_when_the_play_is_cut_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ansible_runner.interface

    class Interrupted(FakeRunner):
        def run(self) -> None:
            assert list(Path(self.kwargs["extravars"]["pilot_bundles"]).glob("*.py"))  # there while it runs
            raise KeyboardInterrupt  # pilot stopped (Ctrl-C, SIGTERM) mid-play

    monkeypatch.setattr(ansible_runner.interface, "init_runner", lambda **kw: Interrupted(kw))
    with pytest.raises(KeyboardInterrupt):
        ansible.run_agent("apply", [host("pc1")], "8", tmp_path, {"pc1": json.dumps({"password": SECRET})})
    assert files_holding(tmp_path, SECRET) == []


def test_what_a_killed_pilot_left_is_scrubbed(tmp_path: Path) -> None:
    play = tmp_path / "runs" / "9" / "ansible-apply"
    (play / "agents").mkdir(parents=True)
    (play / "agents" / "pc1.py").write_text(f"EMBEDDED = {SECRET!r}")
    (play / "artifacts" / "apply" / "job_events").mkdir(parents=True)
    (play / "artifacts" / "apply" / "job_events" / "3-x-partial.json").write_text(SECRET)
    (play / "artifacts" / "apply" / "stdout").write_text(SECRET)
    (play / "artifacts" / "apply" / "rc").write_text("0")
    ansible.scrub_runs(tmp_path / "runs")
    assert files_holding(tmp_path, SECRET) == [] and (play / "artifacts" / "apply" / "rc").exists()

"""Linux hosts through Ansible: playbooks/pilot-agent.yml run by ansible-runner.

What reaches the disk in ansible-runner's private data directory and artifacts: the inventory (names,
addresses, paths to the key and known_hosts, never a password: a password is looked up from an
environment variable at run time), the extra vars (paths and the run id), and the events. env files
are suppressed, so no copy of the environment is written either.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilot import agent
from pilot.rollout.inventory import Host

PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "pilot-agent.yml"
RESULT_TASKS = {"Run the device agent"}


@dataclass
class HostOutcome:
    host: str
    ok: bool = False
    data: Any = None  # the agent's JSON answer
    error: str = ""


def playbook() -> Path:
    path = Path(os.environ.get("PILOT_PLAYBOOKS", PLAYBOOK.parent)) / "pilot-agent.yml"
    if not path.exists():
        from pilot.errors import PilotError

        raise PilotError(f"playbook {path} not found", fix="run from the repository, or set PILOT_PLAYBOOKS")
    return path


def _inventory(hosts: Sequence[Host]) -> tuple[dict[str, Any], dict[str, str]]:
    entries: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for n, h in enumerate(hosts):
        t = h.target
        common = ["-o IdentitiesOnly=yes", "-o GlobalKnownHostsFile=/dev/null"]
        if t.known_hosts:
            common.append(f"-o UserKnownHostsFile={t.known_hosts}")
        common.append("-o StrictHostKeyChecking=" + ("yes" if t.strict else "accept-new"))
        entry: dict[str, Any] = {
            "ansible_host": t.host,
            "ansible_port": t.port,
            "ansible_user": t.username,
            "ansible_ssh_common_args": " ".join(common),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if t.key_file:
            entry["ansible_ssh_private_key_file"] = t.key_file
        if t.password:
            # The inventory on disk holds a lookup, the secret stays in this process's memory.
            variable = f"PILOT_ANSIBLE_PASSWORD_{n}"
            entry["ansible_password"] = "{{ lookup('env', '" + variable + "') }}"
            secrets[variable] = t.password
        entries[h.name] = entry
    return {"all": {"hosts": entries}}, secrets


def run_agent(
    action: str,
    hosts: Sequence[Host],
    run: str,
    work: Path,
    bundles: Mapping[str, str] | None = None,
    restore_run: str | None = None,
    forks: int = 20,
    on_host: Callable[[str, bool], None] | None = None,
    control: Path | None = None,
) -> dict[str, HostOutcome]:
    """Run the agent's `action` on `hosts`. `control` is a directory for SSH master connections that
    the caller keeps across plays (and closes with close_masters); without it they last this play."""
    if not hosts:
        return {}
    data_dir = work / f"ansible-{action}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    scripts = data_dir / "agents"
    scripts.mkdir()
    for host, bundle_json in (bundles or {}).items():
        (scripts / f"{host}.py").write_text(agent.with_bundle(bundle_json))
    inventory, secrets = _inventory(hosts)
    extravars = {
        "pilot_action": action,
        "pilot_run": run,
        "pilot_bundles": str(scripts),
        "pilot_agent_source": str(agent.SOURCE),
        "pilot_restore_run": restore_run or "",
    }
    venv_bin = str(Path(sys.executable).parent)
    own_control = control is None
    control = control or new_control_dir()
    env = {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_GATHERING": "explicit",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_LOCAL_TEMP": str(data_dir / "tmp"),
        # One SSH connection per host, kept for the run's plays.
        "ANSIBLE_SSH_ARGS": f"-o ControlMaster=auto -o ControlPersist=30s -o ControlPath={control}/%C",
        "ANSIBLE_TIMEOUT": "15",
        **secrets,
    }
    outcomes = {h.name: HostOutcome(h.name) for h in hosts}
    try:
        _play(data_dir, inventory, extravars, env, hosts, forks, outcomes, on_host)
    finally:
        if own_control:
            close_masters(control)
    return outcomes


def new_control_dir() -> Path:
    # Under /tmp, not the run's directory: a socket path must stay under 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pilot-ssh-"))


def close_masters(control: Path) -> None:
    """Stop the SSH master connections kept in `control`, then remove it."""
    import subprocess

    for socket in control.glob("*"):
        subprocess.run(
            ["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "pilot-master"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
            check=False,
        )
    shutil.rmtree(control, ignore_errors=True)


def _play(
    data_dir: Path,
    inventory: dict[str, Any],
    extravars: dict[str, Any],
    env: dict[str, str],
    hosts: Sequence[Host],
    forks: int,
    outcomes: dict[str, HostOutcome],
    on_host: Callable[[str, bool], None] | None,
) -> None:
    import ansible_runner

    seen_result: set[str] = set()

    def on_event(event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        host, name, kind = data.get("host"), data.get("task"), event.get("event")
        if host not in outcomes or kind not in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            return True
        res = data.get("res") or {}
        outcome = outcomes[host]
        if kind == "runner_on_unreachable":
            outcome.ok, outcome.error = False, f"unreachable: {_first_line(res.get('msg', ''))}"
        elif kind == "runner_on_failed" and name not in RESULT_TASKS:
            outcome.ok, outcome.error = False, f"{name}: {_first_line(res.get('msg') or res.get('stderr') or '')}"
        elif name in RESULT_TASKS and not res.get("skipped"):
            seen_result.add(host)
            outcome.data = _json(_last_json_line(res.get("stdout", "")))
            outcome.ok = res.get("rc", 1) == 0
            if not outcome.ok:
                data_error = outcome.data.get("error") if isinstance(outcome.data, dict) else None
                output = res.get("stderr") or res.get("stdout") or res.get("msg") or "failed"
                outcome.error = data_error or _first_line(output)
            if on_host:
                on_host(host, outcome.ok)
        return True

    ansible_runner.run(
        private_data_dir=str(data_dir),
        playbook=str(playbook()),
        inventory=inventory,
        extravars=extravars,
        envvars=env,
        forks=min(forks, len(hosts)),
        quiet=True,
        suppress_env_files=True,
        event_handler=on_event,
        ident=str(extravars["pilot_action"]),
    )
    for name, outcome in outcomes.items():
        if name not in seen_result and not outcome.error:
            outcome.error = "the playbook stopped before this host's result"


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _last_json_line(text: str) -> str:
    """The script module mixes the SSH session's noise into stdout; the agent's answer is its last line."""
    lines = [line for line in text.strip().splitlines() if line.strip().startswith("{")]
    return lines[-1] if lines else ""


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""

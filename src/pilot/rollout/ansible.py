"""Linux hosts through Ansible: playbooks/pilot-agent.yml run by ansible-runner.

What reaches the disk in ansible-runner's private data directory and artifacts: the inventory (names,
addresses, paths to the key and known_hosts), the extra vars (paths and the run id), the events, and
the `command` artifact with the play's environment. That environment is pilot's own ANSIBLE_* settings
and the few basics a program needs (PATH, HOME, LANG): never a copy of pilot's environment, which may
hold PILOT_SSH_PASSWORD. A password reaches Ansible the way ansible-runner intends: `--ask-pass`, and
the prompt answered from memory (ansible-runner's `passwords`); hosts with different passwords run as
separate plays, side by side. env files are suppressed.

What never stays on disk: configurations. The agent scripts carry a host's bundle (its whole intended
configuration, secrets included) and exist only while their play runs; the agent's answers (backups,
diffs) travel in ansible-runner's events, which pilot reads in memory and never lets it write
(job_events, stdout). ansible-runner's own omit_event_data / only_failed_event_data cannot do this:
they drop the task's result from the events before pilot's handler sees them, and the result is the
agent's answer. A play cut short (pilot killed) leaves its scripts behind: the next apply on the
inventory removes them (`scrub_runs`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilot import agent
from pilot.rollout.inventory import Host

PLAYBOOK = "pilot-agent.yml"
RESULT_TASKS = {"Run the device agent"}


@dataclass
class HostOutcome:
    host: str
    ok: bool = False
    data: Any = None  # the agent's JSON answer
    error: str = ""


def playbook() -> Path:
    """$PILOT_PLAYBOOKS/pilot-agent.yml, else the playbook installed with pilot."""
    from pilot.resources import shipped

    path = Path(os.environ.get("PILOT_PLAYBOOKS") or shipped("playbooks")) / PLAYBOOK
    if not path.exists():
        from pilot.errors import PilotError

        raise PilotError(f"playbook {path} not found", fix="set PILOT_PLAYBOOKS to its directory, or reinstall pilot")
    return path


def _inventory(hosts: Sequence[Host]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for h in hosts:
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
        entries[h.name] = entry
    return {"all": {"hosts": entries}}


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
    scripts.mkdir(mode=0o700)
    try:
        for host, bundle_json in (bundles or {}).items():
            fd = os.open(scripts / f"{host}.py", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as script:
                script.write(agent.with_bundle(bundle_json))
        plain = scripts / "pilot-agent.py"  # `restore` runs the agent without a bundle
        plain.write_text(agent.text())
    except BaseException:
        scrub(data_dir)
        raise
    extravars = {
        "pilot_action": action,
        "pilot_run": run,
        "pilot_bundles": str(scripts),
        "pilot_agent_source": str(plain),
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
    }
    outcomes = {h.name: HostOutcome(h.name) for h in hosts}
    # One play per password (most often one play: keys, or one password for all).
    by_password: dict[str | None, list[Host]] = {}
    for h in hosts:
        by_password.setdefault(h.target.password, []).append(h)
    plays = [
        (password, group, data_dir if n == 0 else data_dir.with_name(f"{data_dir.name}-{n}"))
        for n, (password, group) in enumerate(by_password.items())
    ]
    try:
        with ThreadPoolExecutor(max_workers=len(plays)) as pool:
            futures = [
                pool.submit(_play, private, group, password, extravars, env, forks, outcomes, on_host)
                for password, group, private in plays
            ]
            for future in futures:
                future.result()
    finally:
        # Also when a play failed or pilot is being stopped: the pool has waited for every play.
        for _, _, private in plays:
            scrub(private)
        if own_control:
            close_masters(control)
    return outcomes


def scrub(data_dir: Path) -> None:
    """Remove from a play's private data directory what holds configurations: the agent scripts (each
    embeds its host's bundle) and ansible-runner's events and output, if any were written."""
    shutil.rmtree(data_dir / "agents", ignore_errors=True)
    for artifacts in data_dir.glob("artifacts/*"):
        shutil.rmtree(artifacts / "job_events", ignore_errors=True)
        for name in ("stdout", "stderr"):
            try:
                (artifacts / name).unlink()
            except OSError:
                pass


def scrub_runs(runs: Path) -> None:
    """`scrub` every play's directory under the inventory's runs directory: what a pilot killed in the
    middle of a play left. Only while no play runs on the inventory (under its exclusive lock)."""
    for data_dir in runs.glob("*/ansible-*"):
        if data_dir.is_dir():
            scrub(data_dir)


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
    hosts: Sequence[Host],
    password: str | None,
    extravars: dict[str, Any],
    env: dict[str, str],
    forks: int,
    outcomes: dict[str, HostOutcome],
    on_host: Callable[[str, bool], None] | None,
) -> None:
    from ansible_runner.interface import init_runner

    data_dir.mkdir(parents=True, exist_ok=True)
    seen_result: set[str] = set()

    def on_event(event: dict[str, Any]) -> bool:
        """Keep what pilot needs in memory; False: ansible-runner writes no event to disk."""
        data = event.get("event_data") or {}
        host, name, kind = data.get("host"), data.get("task"), event.get("event")
        if host not in outcomes or kind not in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable"):
            return False
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
        return False

    runner = init_runner(
        private_data_dir=str(data_dir),
        playbook=str(playbook()),
        inventory=_inventory(hosts),
        extravars=extravars,
        envvars=env,
        forks=min(forks, len(hosts)),
        quiet=True,
        suppress_env_files=True,
        # The play's output echoes a failed task's result (the agent's answer): not written either.
        suppress_output_file=True,
        event_handler=on_event,
        ident=str(extravars["pilot_action"]),
        # The password answers Ansible's prompt from memory: it is in no file, no variable, no environment.
        cmdline="--ask-pass" if password else None,
        passwords={r"^SSH password:\s*?$": password} if password else None,
    )
    runner.config.env = scrubbed_env(runner.config.env, env)
    runner.run()
    for h in hosts:
        outcome = outcomes[h.name]
        if h.name not in seen_result and not outcome.error:
            outcome.error = "the playbook stopped before this host's result"


# What a program needs from pilot's environment; everything else of it stays out of the play.
BASIC_ENV = {"HOME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR", "USER", "LOGNAME", "TZ"}


def scrubbed_env(prepared: Mapping[str, str], ours: Mapping[str, str]) -> dict[str, str]:
    """ansible-runner seeds the play's environment with a copy of ours, and writes it to the `command`
    artifact. Keep pilot's settings, what ansible-runner added or changed, and the basics; drop the rest."""
    return {
        key: value for key, value in prepared.items() if key in ours or key in BASIC_ENV or os.environ.get(key) != value
    }


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

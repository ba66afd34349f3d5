"""The FRR NAPALM driver (pilot_frr) without a device.

Getters follow NAPALM's mocked-data pattern: tests/unit/data/frr_driver/mocked_data/<test>/<case>/ holds
one file per command the getter runs (named by napalm's BaseTestDouble.sanitize_text, outputs recorded
on a lab's core router) and expected_result.json; the result must also fit NAPALM's getter models.
The configuration methods run against a fake session that records every command, and once against the
real device agent on a temporary root (agent_kit)."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from agent_kit import Device, golden_bundle
from napalm.base import models
from napalm.base.exceptions import CommitError, ConnectionException, MergeConfigException, ReplaceConfigException
from napalm.base.test import helpers
from napalm.base.test.double import BaseTestDouble
from test_agent_transaction import ROUTE_MAP_DELTA, frr_scene

from pilot import agent
from pilot.platforms.frr import driver as frr
from pilot.platforms.frr.driver import FrrDriver
from pilot.transport.result import Completed
from pilot.transport.ssh import DeviceError

MOCKED = Path(__file__).with_name("data") / "frr_driver" / "mocked_data"
CASES = sorted((p.parent.parent.name, p.parent.name) for p in MOCKED.glob("*/*/expected_result.json"))


class MockedSession:
    """A device session answering each command from mocked_data/<test>/<case>/<command>.txt."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 120.0, stdin: str | None = None) -> Completed:
        self.commands.append(command)
        path = self.directory / (BaseTestDouble.sanitize_text(command) + ".txt")
        if not path.exists():
            return Completed(127, "", f"no mocked data for {command!r} ({path.name})")
        return Completed(0, path.read_text(), "")

    def check(self, command: str, timeout: float = 120.0) -> str:
        result = self.run(command, timeout)
        if result.returncode != 0:
            raise DeviceError(result.stderr)
        return result.stdout


def driver_with(session: Any) -> FrrDriver:
    driver = FrrDriver("3fff:0:1000:cf61::5", "netops", "", optional_args={"name": "core"})
    driver.session = session
    return driver


def test_the_mocked_data_covers_every_getter_pilot_implements() -> None:
    getters = {name for name in vars(FrrDriver) if name.startswith("get_") and name != "get_config"}
    assert {test.removeprefix("test_") for test, _ in CASES} == getters


@pytest.mark.parametrize(("test", "case"), CASES)
def test_getter_against_recorded_output(test: str, case: str) -> None:
    session = MockedSession(MOCKED / test / case)
    result = getattr(driver_with(session), test.removeprefix("test_"))()
    assert result == json.loads((MOCKED / test / case / "expected_result.json").read_text())
    if test == "test_get_facts":
        assert helpers.test_model(models.FactsDict, result)
    elif test == "test_get_interfaces_ip":
        for families in result.values():
            for addresses in families.values():
                assert all(helpers.test_model(models.InterfacesIPDictEntry, a) for a in addresses.values())
    elif test == "test_get_bgp_neighbors":
        assert list(result) == ["global"] and isinstance(result["global"]["router_id"], str)
        for peer in result["global"]["peers"].values():
            assert helpers.test_model(models.PeerDict, peer)
            assert all(helpers.test_model(models.AFDict, af) for af in peer["address_family"].values())


def test_a_getter_on_a_failing_command_raises_the_devices_words() -> None:
    session = MockedSession(MOCKED / "test_get_facts" / "core")
    driver = driver_with(session)
    with pytest.raises(DeviceError, match="no mocked data for 'ip -j addr show'"):
        driver.get_interfaces_ip()


def test_get_config_running_startup_and_candidate() -> None:
    running = (MOCKED.parent.parent / "agent" / "core.show-running-config.txt").read_text()
    conf = (MOCKED.parent.parent / "agent" / "core.frr.conf").read_text()
    session = ScriptedSession({r"^vtysh -c 'show running-config'$": running, r"^cat /etc/frr/frr.conf$": conf})
    driver = driver_with(session)
    assert driver.get_config() == {"running": running, "startup": conf, "candidate": ""}
    assert driver.get_config(retrieve="startup") == {"running": "", "startup": conf, "candidate": ""}


# -- configuration: a session that records every command ------------------------------------------------


class ScriptedSession:
    """Answers commands by the first regex they match; records commands and uploads."""

    def __init__(self, answers: dict[str, str | Completed]) -> None:
        self.answers = answers
        self.commands: list[str] = []
        self.puts: list[tuple[str, str, int]] = []
        self.closed = False

    def run(self, command: str, timeout: float = 120.0, stdin: str | None = None) -> Completed:
        self.commands.append(command)
        for pattern, answer in self.answers.items():
            if re.search(pattern, command):
                return answer if isinstance(answer, Completed) else Completed(0, answer, "")
        return Completed(0, "", "")

    def check(self, command: str, timeout: float = 120.0) -> str:
        return self.run(command, timeout).stdout

    def put(self, path: str, text: str, mode: int = 0o600) -> None:
        self.puts.append((path, text, mode))

    def alive(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True


def test_open_installs_the_agent_only_when_the_device_has_another(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions: list[ScriptedSession] = []

    class Connecting:
        def __init__(self, target: Any) -> None:
            self.target = target

        def connect(self) -> ScriptedSession:
            return sessions.pop(0)

    monkeypatch.setattr(frr, "Session", Connecting)
    old = ScriptedSession({r"^sha256sum ": "0" * 64 + "  /var/lib/pilot/pilot-agent\n"})
    same = ScriptedSession({r"^sha256sum ": f"{agent.sha256()}  /var/lib/pilot/pilot-agent\n"})
    sessions += [old, same]
    driver = FrrDriver("3fff:0:1000:cf61::5", "netops", "")
    driver.open()
    assert old.puts == [("/var/lib/pilot/pilot-agent", agent.text(), 0o755)]
    assert driver.is_alive() == {"is_alive": True}
    driver.close()
    assert old.closed and driver.is_alive() == {"is_alive": False}
    driver.open()
    assert same.puts == []


def test_open_refused_is_a_connection_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        def __init__(self, target: Any) -> None:
            pass

        def connect(self) -> None:
            raise DeviceError("core (3fff:0:1000:cf61::5): authentication refused for user netops")

    monkeypatch.setattr(frr, "Session", Refusing)
    with pytest.raises(ConnectionException, match="authentication refused"):
        FrrDriver("3fff:0:1000:cf61::5", "netops", "").open()
    with pytest.raises(ConnectionException, match="not connected"):
        FrrDriver("3fff:0:1000:cf61::5", "netops", "").get_facts()


def test_a_bare_frr_conf_becomes_a_bundle_uploaded_once() -> None:
    session = ScriptedSession({})
    driver = driver_with(session)
    conf = (MOCKED.parent.parent / "agent" / "core.frr.conf").read_text()
    driver.load_replace_candidate(config=conf)
    ((path, text, mode),) = session.puts
    bundle = json.loads(text)
    assert re.fullmatch(r"/var/lib/pilot/runs/napalm-\d+-[0-9a-f]{6}/bundle\.json", path) and mode == 0o600
    assert bundle["run"] == path.split("/")[-2] and bundle["node"] == "core" and bundle["stage"] == "napalm"
    assert bundle["files"] == [
        {
            "path": "/etc/frr/frr.conf",
            "text": conf,
            "owner": "frr:frr",
            "mode": "0640",
            "hook": "frr-reload",
            "service": "frr",
        }
    ]
    assert bundle["services"] == {"frr": True} and bundle["reconnect"] == []
    assert driver.get_config(retrieve="candidate")["candidate"] == ""  # the session answers no `cat`


def test_a_bundle_is_uploaded_as_given_and_not_twice() -> None:
    session = ScriptedSession({})
    driver = driver_with(session)
    bundle = json.dumps(golden_bundle("dual-stack", "core"))
    driver.load_replace_candidate(config=bundle)
    driver.load_replace_candidate(config=bundle)
    assert [(p, json.loads(t)) for p, t, _ in session.puts] == [
        ("/var/lib/pilot/runs/7/bundle.json", json.loads(bundle))
    ]
    with pytest.raises(ReplaceConfigException, match="no candidate"):
        driver.load_replace_candidate(config="")
    with pytest.raises(MergeConfigException, match="complete configurations"):
        driver.load_merge_candidate(config="hostname core\n")


def test_compare_config_is_the_agents_diff_as_text() -> None:
    answer = {
        "files": {"/etc/frr/frr.conf": ROUTE_MAP_DELTA.strip() + "\n"},
        "services": {},
        "live": ["interface eth1 down"],
    }
    session = ScriptedSession({r"^python3 /var/lib/pilot/pilot-agent diff ": json.dumps(answer)})
    driver = driver_with(session)
    assert driver.compare_config() == ""  # nothing loaded
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    assert driver.compare_config() == ROUTE_MAP_DELTA.strip() + "\nlive: interface eth1 down\n"
    assert session.commands[-1] == "python3 /var/lib/pilot/pilot-agent diff /var/lib/pilot/runs/7/bundle.json"


def test_compare_after_inspect_asks_the_device_once() -> None:
    diff = {"files": {}, "services": {"frr": {"running": False, "wanted": True}}, "live": []}
    session = ScriptedSession({r" inspect ": json.dumps({"backup": {"run": "7"}, "diff": diff})})
    driver = driver_with(session)
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    assert driver.inspect()["backup"] == {"run": "7"}
    assert driver.compare_config() == "service frr: stopped -> running\n"
    assert [c.split()[2] for c in session.commands if c.startswith("python3")] == ["inspect"]


def test_an_agent_that_cannot_compare_is_a_replace_exception() -> None:
    session = ScriptedSession({r" diff ": Completed(1, "", "frr-reload.py --test failed: vtysh is not running\n")})
    driver = driver_with(session)
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    with pytest.raises(
        ReplaceConfigException, match=r"cannot compare: frr-reload\.py --test failed: vtysh is not running"
    ):
        driver.compare_config()


def test_commit_detaches_then_waits_and_rollback_restores_that_run() -> None:
    applied = {"run": "7", "state": "applied"}
    session = ScriptedSession({r" wait ": json.dumps(applied), r" restore ": json.dumps({"state": "applied"})})
    driver = driver_with(session)
    with pytest.raises(CommitError, match="no candidate"):
        driver.commit_config()
    with pytest.raises(CommitError, match="nothing committed"):
        driver.rollback()
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    driver.commit_config()
    driver.rollback()
    assert [c for c in session.commands if c.startswith("python3")] == [
        "python3 /var/lib/pilot/pilot-agent apply /var/lib/pilot/runs/7/bundle.json --detach",
        "python3 /var/lib/pilot/pilot-agent wait /var/lib/pilot/runs/7/bundle.json --timeout 240",
        "python3 /var/lib/pilot/pilot-agent restore 7",
    ]
    with pytest.raises(CommitError, match="nothing committed"):
        driver.rollback()  # once


@pytest.mark.parametrize(
    ("restored", "words"), [(True, "its previous configuration was restored"), (False, "restoring it FAILED")]
)
def test_a_failed_commit_says_whether_the_device_was_put_back(restored: bool, words: str) -> None:
    failed = {"state": "failed", "error": "ifup -i ... failed (exit 1)", "restored": restored}
    session = ScriptedSession({r" wait ": Completed(1, json.dumps(failed), "")})
    driver = driver_with(session)
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    with pytest.raises(CommitError) as raised:
        driver.commit_config()
    assert str(raised.value) == f"3fff:0:1000:cf61::5: ifup -i ... failed (exit 1); {words}"


def test_a_failed_rollback_and_a_discarded_candidate() -> None:
    session = ScriptedSession(
        {
            r" wait ": json.dumps({"state": "applied"}),
            r" restore ": Completed(2, "", "no backup for run 7 on this device\n"),
        }
    )
    driver = driver_with(session)
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core")))
    driver.commit_config()
    with pytest.raises(CommitError, match="rollback failed: no backup for run 7"):
        driver.rollback()
    driver.load_replace_candidate(config=json.dumps(golden_bundle("dual-stack", "core", run="8")))
    driver.discard_config()
    assert session.commands[-1] == "rm -rf /var/lib/pilot/runs/8"
    assert driver.compare_config() == ""


# -- the driver and the real agent -------------------------------------------------------------------


class AgentSession:
    """A session to a Device: the agent the driver installed runs as a program on the device's root."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.commands: list[str] = []

    def _local(self, path: str) -> str:
        return str(self.device.root / path.lstrip("/")) if path.startswith("/var/lib/pilot") else path

    def run(self, command: str, timeout: float = 120.0, stdin: str | None = None) -> Completed:
        self.commands.append(command)
        argv = shlex.split(command.replace(" 2>/dev/null", ""))
        if argv[0] == "sha256sum":
            path = Path(self._local(argv[1]))
            return (
                Completed(0, f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {argv[1]}\n", "")
                if path.exists()
                else Completed(1, "", "")
            )
        if argv[:2] == ["python3", agent.REMOTE]:
            done = self.device.agent(Path(self._local(argv[1])), *[self._local(a) for a in argv[2:]])
            return Completed(done.returncode, done.stdout, done.stderr)
        if argv[:2] == ["rm", "-rf"]:
            shutil.rmtree(self._local(argv[2]), ignore_errors=True)
            return Completed(0, "", "")
        raise AssertionError(f"unexpected command {command!r}")

    def put(self, path: str, text: str, mode: int = 0o600) -> None:
        target = Path(self._local(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


def test_compare_commit_and_rollback_with_the_real_agent(device: Device, monkeypatch: pytest.MonkeyPatch) -> None:
    """core whose FRR runs a drifted configuration (issue 7): the diff shows frr-reload.py's delta, the
    commit reloads FRR, the rollback puts back what FRR ran before."""
    bundle = golden_bundle("dual-stack", "core")
    device.install(bundle)
    frr_scene(device)
    session = AgentSession(device)
    monkeypatch.setattr(frr, "Session", lambda target: type("S", (), {"connect": lambda self: session})())
    driver = FrrDriver("3fff:0:1000:cf61::5", "netops", "", optional_args={"name": "core"})
    driver.open()  # installs the agent on the device
    assert (device.root / "var/lib/pilot/pilot-agent").read_text() == agent.text()

    driver.load_replace_candidate(config=json.dumps(bundle))
    assert driver.compare_config() == ROUTE_MAP_DELTA.strip() + "\n"
    driver.commit_config()
    record = device.state_record()
    assert record is not None and record["run"] == "7"
    reloads = [e for e in device.log() if e["argv"][1:2] == ["--reload"]]
    assert [list(e["files"].values()) for e in reloads] == [[bundle["files"][0]["text"]]]

    driver.rollback()
    reloads = [e for e in device.log() if e["argv"][1:2] == ["--reload"]]
    running_before = (
        "\n".join(
            line
            for line in (MOCKED.parent.parent / "agent" / "core.show-running-config.route-map-drift.txt")
            .read_text()
            .splitlines()
            if line.strip() not in ("Building configuration...", "Current configuration:")
        )
        + "\n"
    )
    assert list(reloads[-1]["files"].values()) == [running_before]  # FRR gets back exactly what it ran
    assert device.state_record() is None  # the device had no record before run 7

"""A NAPALM driver for FRRouting on Linux, so that one code path (nornir_napalm's napalm_configure, with
dry_run for diffs) serves FRR now and IOS-XE, EOS and Junos later.

Replace semantics: the candidate is a device bundle (the complete frr.conf plus the files beside it,
such as the DHCP relay's, and the services that must run) or a bare frr.conf. compare_config() is
frr-reload.py --test's delta plus unified diffs of the other files; commit_config() hands the bundle to
the device agent, which applies it as one transaction (frr-reload.py --reload for FRR) and puts
everything back by itself if any step fails; rollback() restores what the last commit replaced.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import CommitError, ConnectionException, MergeConfigException, ReplaceConfigException

from pilot import agent, faults
from pilot.agent.diffs import render_diff
from pilot.transport.ssh import DeviceError, Session, Target

FRR_CONF = "/etc/frr/frr.conf"
RUNS = "/var/lib/pilot/runs"


class FrrDriver(NetworkDriver):  # type: ignore[misc]
    """NAPALM driver `pilot_frr` (module napalm_pilot_frr)."""

    platform = "pilot_frr"

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        args = optional_args or {}
        self.hostname = hostname
        self.timeout = timeout
        self.target = Target(
            name=args.get("name", hostname),
            host=hostname,
            port=int(args.get("port", 22)),
            username=username,
            key_file=args.get("key_file"),
            password=password or None,
            known_hosts=args.get("known_hosts"),
            strict=bool(args.get("ssh_strict", True)),
            timeout=float(args.get("conn_timeout", 10)),
        )
        self.session: Session | None = None
        self.candidate: str | None = None  # run id of the staged bundle
        self.committed: str | None = None  # run id of the last commit, for rollback()
        # The candidate's text as uploaded, and inspect()'s diff of it: a push right after an inspect in
        # the same session (pilot apply) neither uploads the bundle again nor compares it twice.
        self._loaded: str | None = None
        self._inspected: tuple[str, dict[str, Any]] | None = None

    # -- connection ------------------------------------------------------------------------------
    def open(self) -> None:
        try:
            self.session = Session(self.target).connect()
        except DeviceError as exc:
            raise ConnectionException(str(exc)) from None
        self._ensure_agent()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": bool(self.session and self.session.alive())}

    def _ssh(self) -> Session:
        if self.session is None:
            raise ConnectionException(f"{self.hostname}: not connected (call open() first)")
        return self.session

    def _ensure_agent(self) -> None:
        ssh = self._ssh()
        have = ssh.run(f"sha256sum {agent.REMOTE} 2>/dev/null").stdout.split()
        if not have or have[0] != agent.sha256():
            ssh.put(agent.REMOTE, agent.text(), mode=0o755)

    def _agent(self, *args: str, timeout: float = 300.0) -> tuple[int, Any]:
        result = self._ssh().run(" ".join(["python3", agent.REMOTE, *args]), timeout=timeout)
        try:
            data = json.loads(result.stdout) if result.stdout.strip() else None
        except ValueError:
            data = None
        if data is None and result.returncode != 0:
            data = {"error": (result.stderr or result.stdout).strip()}
        return result.returncode, data

    # -- configuration -------------------------------------------------------------------------------
    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        if filename is not None:
            with open(filename, encoding="utf-8") as fh:
                config = fh.read()
        if not config:
            raise ReplaceConfigException("no candidate configuration given")
        bundle = _as_bundle(config, self.target.name)
        text = json.dumps(bundle)
        if self.candidate == str(bundle["run"]) and self._loaded == text:
            return  # already on the device
        self.candidate, self._loaded, self._inspected = str(bundle["run"]), None, None
        self._ssh().put(self._bundle_path(), text, mode=0o600)
        self._loaded = text

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        raise MergeConfigException("pilot pushes complete configurations: use load_replace_candidate")

    def compare_config(self) -> str:
        if self.candidate is None:
            return ""
        if self._inspected is not None and self._inspected[0] == self._loaded:
            return render_diff(self._inspected[1])
        return render_diff(self.diff_data())

    def diff_data(self) -> dict[str, Any]:
        """compare_config() as structured data: {files: {path: diff}, services: {name: {...}}}."""
        code, data = self._agent("diff", self._bundle_path())
        if code != 0:
            raise ReplaceConfigException(f"{self.hostname}: cannot compare: {(data or {}).get('error', '')}")
        return dict(data)

    def inspect(self) -> dict[str, Any]:
        """{"backup": the device's current state of what the candidate touches, "diff": diff_data()}."""
        code, data = self._agent("inspect", self._bundle_path())
        if code != 0:
            raise ReplaceConfigException(f"{self.hostname}: cannot inspect: {(data or {}).get('error', '')}")
        if self._loaded is not None:
            self._inspected = (self._loaded, dict(data["diff"]))
        return dict(data)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self.candidate is None:
            raise CommitError("no candidate loaded")
        path = self._bundle_path()
        self._agent("apply", path, "--detach")  # the transaction now runs on the device, whatever happens here
        faults.checkpoint("push:detached")
        code, data = self._agent("wait", path, "--timeout", str(self.timeout * 4))
        self.committed, self.candidate, self._loaded, self._inspected = self.candidate, None, None, None
        if code != 0:
            data = data or {}
            restored = "its previous configuration was restored" if data.get("restored") else "restoring it FAILED"
            raise CommitError(f"{self.hostname}: {data.get('error', 'the transaction failed')}; {restored}")

    def discard_config(self) -> None:
        if self.candidate is not None:
            self._ssh().run(f"rm -rf {RUNS}/{self.candidate}")
            self.candidate, self._loaded, self._inspected = None, None, None

    def rollback(self) -> None:
        if self.committed is None:
            raise CommitError(f"{self.hostname}: nothing committed in this session to roll back")
        code, data = self._agent("restore", self.committed)
        if code != 0:
            raise CommitError(f"{self.hostname}: rollback failed: {(data or {}).get('error', data)}")
        self.committed = None

    def _bundle_path(self) -> str:
        return f"{RUNS}/{self.candidate}/bundle.json"

    # -- getters -----------------------------------------------------------------------------------
    def get_config(
        self, retrieve: str = "all", full: bool = False, sanitized: bool = False, format: str = "text"
    ) -> dict[str, str]:
        ssh = self._ssh()
        out = {"running": "", "startup": "", "candidate": ""}
        if retrieve in ("all", "running"):
            out["running"] = ssh.check("vtysh -c 'show running-config'")
        if retrieve in ("all", "startup"):
            out["startup"] = ssh.run(f"cat {FRR_CONF}").stdout
        if retrieve in ("all", "candidate") and self.candidate is not None:
            bundle = json.loads(ssh.run(f"cat {self._bundle_path()}").stdout or "{}")
            out["candidate"] = next((f["text"] for f in bundle.get("files", []) if f["path"] == FRR_CONF), "") or ""
        return out

    def get_facts(self) -> dict[str, Any]:
        ssh = self._ssh()
        version = ssh.check("vtysh -c 'show version'").splitlines()[0]
        uptime = float(ssh.check("cat /proc/uptime").split()[0])
        links = json.loads(ssh.check("ip -j link show") or "[]")
        hostname = ssh.check("hostname").strip()
        return {
            "hostname": hostname,
            "fqdn": hostname,
            "vendor": "FRRouting",
            "model": "FRR on Linux",
            "os_version": version,
            "serial_number": "",
            "uptime": uptime,
            "interface_list": sorted(link["ifname"] for link in links),
        }

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        addresses = json.loads(self._ssh().check("ip -j addr show") or "[]")
        out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
        for link in addresses:
            for a in link.get("addr_info", []):
                family = "ipv4" if a["family"] == "inet" else "ipv6"
                out.setdefault(link["ifname"], {}).setdefault(family, {})[a["local"]] = {
                    "prefix_length": a["prefixlen"]
                }
        return out

    def get_bgp_neighbors(self) -> dict[str, Any]:
        data = json.loads(self._ssh().check("vtysh -c 'show bgp vrf default summary json'") or "{}")
        peers: dict[str, Any] = {}
        router_id = ""
        for family_key, family in (("ipv4Unicast", "ipv4"), ("ipv6Unicast", "ipv6")):
            section = data.get(family_key) or {}
            router_id = section.get("routerId", router_id)
            for address, p in (section.get("peers") or {}).items():
                entry = peers.setdefault(
                    address,
                    {
                        "local_as": section.get("as", 0),
                        "remote_as": p.get("remoteAs", 0),
                        "remote_id": p.get("remoteRouterId", ""),
                        "is_up": p.get("state") == "Established",
                        "is_enabled": p.get("peerState") != "Admin",
                        "description": p.get("desc", ""),
                        "uptime": int(p.get("peerUptimeMsec", 0) / 1000),
                        "address_family": {},
                    },
                )
                entry["address_family"][family] = {
                    "received_prefixes": p.get("pfxRcd", 0),
                    "accepted_prefixes": p.get("pfxRcd", 0),
                    "sent_prefixes": p.get("pfxSnt", 0),
                }
        return {"global": {"router_id": router_id, "peers": peers}}


def _as_bundle(config: str, node: str) -> dict[str, Any]:
    """A bundle, or a bare frr.conf made into one."""
    text = config.lstrip()
    if text.startswith("{"):
        bundle: dict[str, Any] = json.loads(text)
        return bundle
    run = f"napalm-{int(time.time())}-{uuid.uuid4().hex[:6]}"
    return {
        "run": run,
        "node": node,
        "stage": "napalm",
        "files": [
            {
                "path": FRR_CONF,
                "text": config,
                "owner": "frr:frr",
                "mode": "0640",
                "hook": "frr-reload",
                "service": "frr",
            }
        ],
        "services": {"frr": True},
        "reconnect": [],
    }

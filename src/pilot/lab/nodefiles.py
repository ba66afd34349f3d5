"""Prepare a node's directory on the host before its holder starts.

The node's /etc, /var/lib and /var/log are overlays whose upper layers live here; its /root is the
empty directory root/ here (not the host's home). Files put here
now (hostname, sshd config and keys, FRR's daemons file) are simply there when the node boots. An upper
directory lends its owner and mode to the merged directory, so each one copies the host directory's.
"""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

from pilot.lab.holder import OVERLAYS, PRIVATE
from pilot.lab.roles import FRR_DAEMONS
from pilot.lab.sshkeys import KeyPair, sshd_config_text, write_private


def prepare(node_dir: Path, node: str, *, mgmt_address: str, host_key: KeyPair, user_public: str, frr: bool) -> None:
    for target in OVERLAYS:
        rel = target.lstrip("/")
        _mkdir_like(node_dir, rel)
        (node_dir / ".work" / rel).mkdir(parents=True, exist_ok=True)
    for target in PRIVATE:
        (node_dir / target.lstrip("/")).mkdir(mode=0o700, parents=True, exist_ok=True)
    etc = node_dir / "etc"
    (etc / "hostname").write_text(node + "\n")
    (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{node}\n")
    # No resolver until the rollout configures one: the host's resolver must never be reached from a node.
    (etc / "resolv.conf").write_text("# no resolver yet: the rollout (RA RDNSS, DHCP) provides one\n")

    ssh = _mkdir_like(node_dir, "etc/ssh") / "pilot"
    ssh.mkdir(mode=0o755, exist_ok=True)
    write_private(ssh / "ssh_host_ed25519_key", host_key)
    (ssh / "authorized_keys").write_text(user_public + "\n")
    os.chmod(ssh / "authorized_keys", 0o600)
    (ssh / "sshd_config").write_text(sshd_config_text(mgmt_address))

    if frr:
        _frr_files(node_dir)


def _frr_files(node_dir: Path) -> None:
    frr_dir = _mkdir_like(node_dir, "etc/frr")
    lines = [f"{d}=yes" for d in FRR_DAEMONS]
    lines += ["vtysh_enable=yes", "frr_profile=traditional"]
    extra = {"zebra": " -s 90000000"}  # Debian's netlink buffer size for zebra
    for daemon in FRR_DAEMONS:
        listen = "::1" if daemon == "ospf6d" else "127.0.0.1"
        # There is no syslog in a node: each daemon logs to its own file under the node's /var/log/frr.
        lines.append(f'{daemon}_options="-A {listen}{extra.get(daemon, "")} --log file:/var/log/frr/{daemon}.log"')
    lines.append('watchfrr_options="--log file:/var/log/frr/watchfrr.log"')
    files = {
        "daemons": "\n".join(lines) + "\n",
        # frr-reload.py needs the integrated configuration; the rollout replaces frr.conf as a whole.
        "vtysh.conf": "service integrated-vtysh-config\n",
        "frr.conf": "frr defaults traditional\n",
    }
    uid, gid = _frr_ids()
    for name, text in files.items():
        path = frr_dir / name
        path.write_text(text)
        os.chmod(path, 0o640)
        os.chown(path, uid, gid)


def _frr_ids() -> tuple[int, int]:
    try:
        user = pwd.getpwnam("frr")
    except KeyError:
        return (0, 0)
    return (user.pw_uid, user.pw_gid)


def _mkdir_like(node_dir: Path, rel: str) -> Path:
    """Create node_dir/rel, each level with the owner and mode of the host directory it overlays."""
    current = node_dir
    host = Path("/")
    for part in Path(rel).parts:
        current, host = current / part, host / part
        if not current.exists():
            current.mkdir(parents=True)
            st = host.stat()
            os.chmod(current, st.st_mode & 0o7777)
            os.chown(current, st.st_uid, st.st_gid)
    return current


def remove(node_dir: Path) -> None:
    shutil.rmtree(node_dir, ignore_errors=True)

"""Per-lab SSH identity: a host key per node, a user key, and the known_hosts and ssh_config pilot uses.

Host key checking stays on everywhere: the lab's host keys are generated at `lab up` and pinned in the
lab's own known_hosts file, which pilot, `pilot lab ssh`, Nornir and Ansible all use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class KeyPair:
    private: bytes  # OpenSSH PEM
    public: str  # "ssh-ed25519 AAAA... comment"


def generate(comment: str) -> KeyPair:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return KeyPair(private, f"{public.decode()} {comment}")


def write_private(path: Path, pair: KeyPair) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pair.private)
    path.with_name(path.name + ".pub").write_text(pair.public + "\n")


def known_hosts_text(host_keys: Mapping[str, tuple[str, str]]) -> str:
    """{node: (address, public key)} -> known_hosts lines pinning each address to its node's key."""
    lines = []
    for _node, (address, public) in sorted(host_keys.items()):
        keytype, blob = public.split()[:2]
        lines.append(f"{address} {keytype} {blob}")
    return "\n".join(lines) + "\n"


def ssh_config_text(addresses: Mapping[str, str], user_key: Path, known_hosts: Path) -> str:
    blocks = []
    for node, address in addresses.items():
        blocks.append(
            "\n".join(
                [
                    f"Host {node}",
                    f"  HostName {address}",
                    "  User root",
                    f"  IdentityFile {user_key}",
                    "  IdentitiesOnly yes",
                    f"  UserKnownHostsFile {known_hosts}",
                    "  GlobalKnownHostsFile /dev/null",
                    "  StrictHostKeyChecking yes",
                    "  LogLevel ERROR",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


def sshd_config_text(listen: str) -> str:
    return "\n".join(
        [
            "# Written by pilot at `lab up`: the node's sshd, on its management address only.",
            "Port 22",
            f"ListenAddress {listen}",
            "HostKey /etc/ssh/pilot/ssh_host_ed25519_key",
            "AuthorizedKeysFile /etc/ssh/pilot/authorized_keys",
            "PidFile /run/sshd.pid",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "X11Forwarding no",
            "PrintMotd no",
            "UseDNS no",
            "AcceptEnv LANG LC_*",
            "MaxStartups 100:30:200",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "",
        ]
    )

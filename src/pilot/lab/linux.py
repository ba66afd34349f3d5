"""Thin wrappers for the Linux system calls the lab needs and Python 3.11 lacks (unshare, mount, setns)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _b(value: str | Path | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def mount(
    source: str | Path | None, target: str | Path, fstype: str | None, flags: int = 0, data: str | None = None
) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), flags, _b(data)), f"mount {target}")


def umount_lazy(target: str | Path) -> None:
    MNT_DETACH = 2
    _check(_libc.umount2(_b(target), MNT_DETACH), f"umount {target}")


def sysctl_path(key: str | tuple[str, ...]) -> str:
    """/proc/sys path of a sysctl given dotted (as sysctl(8) takes it) or as parts (for names with dots)."""
    parts = key.split(".") if isinstance(key, str) else key
    return "/proc/sys/" + "/".join(parts)


def write_sysctl(key: str | tuple[str, ...], value: str) -> None:
    """Write a sysctl through /proc/sys: the values seen are those of the caller's namespaces."""
    with open(sysctl_path(key), "w") as fh:
        fh.write(value)

"""Where the tests find the project's files (a module of its own: two conftest.py files share a name)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
# The pilot's devices (containerlab.yml without its bridges), written out: a test that derived them from
# the file under test would not notice a node going missing.
PILOT_NODES = [
    "isp1",
    "isp2",
    "v4web",
    "core",
    "dns64",
    "nat64",
    "dhcp",
    "portal",
    "dost-rtr",
    "dost-sw",
    "pc1",
    "pc2",
    "legacy1",
    "rogue1",
    "soyte-rtr",
    "soyte-sw",
    "soyte-pc1",
    "soyte-pc2",
]

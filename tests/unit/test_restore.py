"""Comparing a device with its backup after a rollback: order-blind where FRR is, exact elsewhere."""

from __future__ import annotations

from pilot.rollout.restore import _normal, as_bundle

BEFORE = """frr version 8.4.4
interface eth1
 ipv6 nd ra-interval 10
 ipv6 nd prefix 2001:db8:1::/64
exit
!
router bgp 64500
 address-family ipv6 unicast
  neighbor 2001:db8::2 activate
 exit-address-family
exit
"""

# The same configuration reached another way: FRR prints lines in the order they were entered.
REORDERED = """frr version 8.4.4
router bgp 64500
 address-family ipv6 unicast
  neighbor 2001:db8::2 activate
 exit-address-family
exit
!
interface eth1
 ipv6 nd prefix 2001:db8:1::/64
 ipv6 nd ra-interval 10
exit
"""


def test_running_configurations_compare_without_order() -> None:
    assert _normal(BEFORE) == _normal(REORDERED)


def test_a_line_under_another_stanza_is_a_difference() -> None:
    moved = BEFORE.replace(" address-family ipv6 unicast", " address-family ipv4 unicast")
    assert _normal(BEFORE) != _normal(moved)
    assert _normal(BEFORE) != _normal(BEFORE.replace("ra-interval 10", "ra-interval 30"))
    assert _normal(BEFORE) != _normal(None)


def test_the_comparison_bundle_runs_no_hook_but_asks_for_the_running_configuration() -> None:
    backup = {
        "node": "core",
        "files": [{"path": "/etc/frr/frr.conf", "text": "x", "hook": "frr-reload", "service": "frr"}],
        "services": {"frr": True},
        "frr_running": BEFORE,
        "restart_always": ["frr"],
    }
    bundle = as_bundle(backup, "7-check")
    assert [f["hook"] for f in bundle["files"]] == [None]
    assert bundle["frr_running"] is True and bundle["restart_always"] == []
    assert "frr_running" not in as_bundle(dict(backup, frr_running=None), "7-check")

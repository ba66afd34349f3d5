"""Comparing a device with its backup after a rollback: order-blind where FRR is, exact elsewhere."""

from __future__ import annotations

from pilot.agent.bundles import as_bundle
from pilot.platforms.frr import _normal

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
        "reconnect": ["frr"],
        "expect": {"owner": "frr", "links": {"eth1": {"up": True, "addresses": ["2001:db8::1/64"]}}},
    }
    bundle = as_bundle(backup, "7-check")
    assert [f["hook"] for f in bundle["files"]] == [None]
    assert bundle["frr_running"] is True and bundle["reconnect"] == []
    assert bundle["expect"] == backup["expect"]  # the live state recorded before the run is compared too
    assert "frr_running" not in as_bundle(dict(backup, frr_running=None), "7-check")


def test_change_counts_read_frr_deltas_and_unified_diffs() -> None:
    from pilot.agent.diffs import change_counts

    delta = (
        "Lines To Delete\n===============\ninterface eth3\n ip address 198.51.100.1/26\n"
        "ip route 198.51.100.0/24 blackhole\n\n"
        "Lines To Add\n============\ninterface lo\n ipv6 address 2001:db8::1/128\ninterface lo\n"
        " ipv6 ospf6 passive\nipv6 route 2001:db8::/32 blackhole\n"
    )
    unified = (
        "--- /etc/kea/kea-dhcp4.conf (running)\n+++ /etc/kea/kea-dhcp4.conf (intended)\n@@ -1,2 +1,2 @@\n"
        ' {\n-  "a": 1\n+  "a": 2\n+  "b": 3\n'
    )
    assert change_counts(delta) == (3, 2)
    assert change_counts(unified) == (2, 1)
    assert change_counts(delta + unified + "service tayga: stopped -> running\n") == (5, 3)
    assert change_counts("") == (0, 0)

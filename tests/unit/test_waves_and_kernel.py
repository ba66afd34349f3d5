"""Push order (pilot.rollout.waves) and the kernel state each device's configuration implies
(pilot.agent.kernel), on the pilot's intent."""

from __future__ import annotations

import pytest
from test_stages import devices

from pilot.agent.kernel import expected_state
from pilot.rollout.inventory import Host
from pilot.rollout.plan import RunPlan
from pilot.rollout.waves import push_waves, restore_waves
from pilot.stages import get_stage
from pilot.stages.sitemap import StageMap
from pilot.transport.ssh import Target
from testroot import PILOT_NODES, ROOT


@pytest.fixture(scope="module")
def plan() -> RunPlan:
    from pilot.inputs import load_inputs
    from pilot.render import render_stage

    inputs = load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")
    result = render_stage(inputs, get_stage("dual-stack"), check=False)
    rendered = {rd.device.name: rd for rd in result.devices}
    hosts = tuple(Host(n, "linux", "ansible", Target(n, "3fff::1")) for n in PILOT_NODES)
    return RunPlan(
        get_stage("dual-stack"), result.stages or StageMap.of(inputs.intent, result.stage), inputs, hosts, rendered, ()
    )


SWITCHES = ["dost-sw", "soyte-sw"]
CLIENTS = ["pc1", "pc2", "legacy1", "rogue1", "soyte-pc1", "soyte-pc2"]


def names(waves: list[list[Host]]) -> list[list[str]]:
    return [[h.name for h in wave] for wave in waves]


def test_a_switch_goes_first_when_a_gateway_behind_it_starts_ras_and_clients_come_last(plan: RunPlan) -> None:
    waves = names(push_waves(plan, plan.hosts))
    assert waves[0] == SWITCHES  # their VLANs are separated before dost-rtr's and soyte-rtr's RAs start
    assert waves[1] == ["isp1", "isp2", "v4web", "core", "dns64", "nat64", "dhcp", "portal", "dost-rtr", "soyte-rtr"]
    assert waves[2] == CLIENTS


def test_no_wave_of_its_own_when_the_switch_does_not_change_or_no_ras_start(plan: RunPlan) -> None:
    clients = CLIENTS
    hosts = [h for h in plan.hosts if h.name not in SWITCHES]
    assert names(push_waves(plan, hosts)) == [[h.name for h in hosts if h.name not in clients], clients]
    ipv4 = RunPlan(get_stage("ipv4"), plan.stages, plan.inputs, plan.hosts, plan.rendered, ())
    assert names(push_waves(ipv4, plan.hosts)) == [[h.name for h in plan.hosts if h.name not in clients], clients]


def test_a_restore_puts_the_gateway_back_before_the_switch(plan: RunPlan) -> None:
    waves = names(restore_waves(plan, plan.hosts))
    assert {"dost-rtr", "soyte-rtr"} <= set(waves[0]) and waves[1] == SWITCHES and waves[2] == CLIENTS


def test_kernel_state_of_a_router_a_switch_a_server_and_a_client() -> None:
    at = devices("dual-stack")
    router = expected_state(at["dost-rtr"])
    assert router is not None and router["owner"] == "frr"
    assert router["links"]["eth3"] == {"up": True, "addresses": ["198.51.100.97/28", "2001:db8:1000:4028::1/64"]}
    assert router["links"]["lo"]["addresses"][0].endswith("/32")
    switch = expected_state(at["dost-sw"])
    assert switch is not None and switch["links"]["eth3"] == {"up": True, "master": "vlan10", "addresses": []}
    assert switch["links"]["eth6"]["master"] == "vlan40" and switch["links"]["vlan40"] == {"up": True, "addresses": []}
    server = expected_state(at["dns64"])
    assert server is not None and server["owner"] == "ifupdown"
    assert {r["dst"] for r in server["routes"]} == {"default"} and len(server["routes"]) == 2
    assert expected_state(at["pc1"]) is None  # a client holds what the network offers: verify checks it


def test_kernel_state_follows_the_stage() -> None:
    ipv4 = expected_state(devices("ipv4")["dost-rtr"])
    assert ipv4 is not None and ipv4["links"]["eth3"]["addresses"] == ["198.51.100.97/28"]  # no IPv6 yet
    mostly = expected_state(devices("ipv6-mostly")["nat64"])
    assert mostly is not None and mostly["links"]["nat64"] == {"up": True}
    assert [r for r in mostly["routes"] if r["dev"] == "nat64"] == [
        {"dst": "198.51.100.64/28", "via": None, "dev": "nat64"},  # the translator's IPv4 pool
        {"dst": "2001:db8:0:6464::/96", "via": None, "dev": "nat64"},  # the NAT64 prefix
    ]
    dual = expected_state(devices("dual-stack")["nat64"])
    assert dual is not None and "nat64" not in dual["links"]

"""Agency by agency: a stage per site. Rendering with mixed stage maps, which devices a site move
changes, and the rollout (mock devices) moving one site while the other keeps its stage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mockinv import mock_inventory
from pilot.drivers.mock import MockDriver
from pilot.errors import PilotError
from pilot.inputs import Inputs, load_inputs
from pilot.journal import Journal
from pilot.render import render_stage
from pilot.rollout.bundle import bundle_of, to_json
from pilot.rollout.engine import Options, Rollout
from pilot.rollout.inventory import load_inventory
from pilot.stages import get_stage
from pilot.stages.sitemap import StageMap, choose_sites, migrating_sites, shared_sites
from pilot.verify import CheckResult, build_pack
from testroot import ROOT

DOST, SOYTE = "dost/hq", "soyte/hq"
DOST_DEVICES = {"dost-rtr", "dost-sw", "pc1", "pc2", "legacy1", "rogue1"}
SOYTE_DEVICES = {"soyte-rtr", "soyte-sw", "soyte-pc1", "soyte-pc2"}
SHARED = {"core", "dns64", "nat64", "dhcp", "portal"}


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs(ROOT / "containerlab.yml", ROOT / "inventory/intent.yml", ROOT / "inventory/addresses.yml")


def mixed(**at: str) -> StageMap:
    names = {DOST: at.get("dost", "dual-stack"), SOYTE: at.get("soyte", "dual-stack")}
    return StageMap.from_names(names, "dual-stack")


def bundles(inputs: Inputs, stages: StageMap) -> dict[str, str]:
    result = render_stage(inputs, stages, templates=ROOT / "templates", check=False)
    return {rd.device.name: to_json(bundle_of(rd, "-")) for rd in result.devices}


# -- the map ----------------------------------------------------------------------------------------


def test_the_pilot_has_two_migrating_sites_and_the_data_centre_is_shared(inputs: Inputs) -> None:
    assert migrating_sites(inputs.intent) == [DOST, SOYTE]
    assert shared_sites(inputs.intent) == ["data-centre/main"]


def test_the_province_wide_stage_is_the_highest_any_site_is_at() -> None:
    stages = mixed(dost="ipv6-only")
    assert (stages.province.name, stages.label) == ("ipv6-only", "mixed")
    assert stages.describe() == "dost/hq ipv6-only, soyte/hq dual-stack"
    assert stages.stage_of("data-centre/main").name == "ipv6-only"  # shared: the province's
    back = stages.moving([DOST], get_stage("dual-stack"))
    assert (back.label, back.province.name) == ("dual-stack", "dual-stack")  # NAT64 goes with the last site
    assert back.moved(stages) == {DOST: "dual-stack"}


def test_sites_and_agencies_are_chosen_by_name_and_unknown_ones_refused(inputs: Inputs) -> None:
    intent = inputs.intent
    assert choose_sites(intent, ["soyte/hq,dost/hq"]) == [DOST, SOYTE]  # the intent's order
    assert choose_sites(intent, agencies=["soyte"]) == [SOYTE]
    with pytest.raises(PilotError, match=r"--site dost/main: no such site .*fix: use agency/site, one of: dost/hq"):
        choose_sites(intent, ["dost/main"])
    with pytest.raises(PilotError, match="hosts the province's services"):
        choose_sites(intent, ["data-centre/main"])
    with pytest.raises(PilotError, match="--agency yte is not an agency"):
        choose_sites(intent, agencies=["yte"])
    with pytest.raises(PilotError, match="--agency infrastructure has no site that migrates"):
        choose_sites(intent, agencies=["infrastructure"])
    for empty in ([""], [",,,"], [" "]):  # never "the whole province" by accident
        with pytest.raises(PilotError, match="names no site"):
            choose_sites(intent, empty)
    with pytest.raises(PilotError) as hostile:
        choose_sites(intent, ["dost/hq\n'; rm -rf /"])
    assert "\n" not in str(hostile.value)


# -- rendering: a pure function of (intent, plan, stage map) ------------------------------------------


def test_each_site_renders_at_its_own_stage(inputs: Inputs) -> None:
    both = bundles(inputs, mixed(dost="ipv6-only"))
    dual = bundles(inputs, StageMap.of(inputs.intent, get_stage("dual-stack")))
    only = bundles(inputs, StageMap.of(inputs.intent, get_stage("ipv6-only")))
    for name in SOYTE_DEVICES:  # soyte stays exactly as in a dual-stack province
        assert both[name] == dual[name], name
    for name in DOST_DEVICES:  # dost exactly as in an IPv6-only province
        assert both[name] == only[name], name
    for name in ("core", "nat64", "dns64"):  # province-wide parts: NAT64/DNS64 came with dost
        assert both[name] == only[name], name
    kea4 = next(f["text"] for f in json.loads(both["dhcp"])["files"] if f["path"].endswith("kea-dhcp4.conf"))
    assert "dost/hq/users" not in kea4 and "soyte/hq/users" in kea4  # no DHCPv4 left on dost's users
    assert '"v6-only-preferred"' not in kea4  # soyte is dual-stack: no option 108 there either


def test_option_108_only_on_the_site_at_ipv6_mostly(inputs: Inputs) -> None:
    both = bundles(inputs, mixed(soyte="ipv6-mostly"))
    kea4 = next(f["text"] for f in json.loads(both["dhcp"])["files"] if f["path"].endswith("dhcp4.conf"))
    # Each subnet starts with a comment naming its segment: cut the file there.
    parts = re.split(r"(?m)^\s*// (\S+/\S+/\S+)$", kea4)
    by_segment = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert "v6-only-preferred" in by_segment["soyte/hq/users"]
    assert "v6-only-preferred" not in by_segment["dost/hq/users"]


def test_a_site_move_changes_only_the_devices_serving_it_and_the_shared_parts(inputs: Inputs) -> None:
    before = bundles(inputs, mixed())
    after = bundles(inputs, mixed(dost="ipv6-mostly"))
    changed = {n for n in after if after[n] != before[n]}
    assert not changed & SOYTE_DEVICES
    assert changed <= DOST_DEVICES | SHARED
    assert {"dost-rtr", "core", "dns64", "nat64", "dhcp"} <= changed
    # A second site moving to where the first already is needs no province-wide change at all.
    later = bundles(inputs, mixed(dost="ipv6-mostly", soyte="ipv6-mostly"))
    second = {n for n in later if later[n] != after[n]}
    assert not second & (DOST_DEVICES | {"core", "nat64", "dns64"})
    assert second <= SOYTE_DEVICES | {"dhcp"}


def test_the_verification_pack_is_per_site(inputs: Inputs) -> None:
    checks = build_pack(inputs.intent, inputs.plan, mixed(dost="ipv6-only"))
    names = [c.name for c in checks]
    assert "no-ipv4 pc1" in names and "dns64 pc1" in names  # dost at ipv6-only
    assert "dhcpv4 soyte-pc1" in names and "dns64 soyte-pc1" not in names  # soyte dual-stack
    assert "ospf6 core~soyte-rtr" in names  # OSPFv3 is province-wide
    assert len(names) == len(set(names)), "check names are unique across sites"


# -- the rollout, on mock devices ---------------------------------------------------------------------


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return mock_inventory(tmp_path, monkeypatch)


def rollout(inventory: Path, seen: list[dict[str, str]] | None = None, **kw) -> Rollout:  # type: ignore[no-untyped-def]
    def check(inv, plan, stage, capable):  # type: ignore[no-untyped-def]
        if seen is not None:
            seen.append(plan.stages.names())
        return [CheckResult("fake", "pc1", "works", "works", True, 0.01)]

    return Rollout(load_inventory(inventory), Options(yes=True, validate=False, checker=check, **kw))


def test_moving_one_site_leaves_the_other_untouched(inventory: Path) -> None:
    assert rollout(inventory).apply(get_stage("dual-stack")).state == "applied"
    soyte_files = {n: dict(MockDriver.devices[n].files) for n in SOYTE_DEVICES if n in MockDriver.devices}
    seen: list[dict[str, str]] = []
    report = rollout(inventory, seen).apply(get_stage("ipv6-mostly"), sites=[DOST])
    assert report.state == "applied", report.detail
    devices = {d.name for d in report.devices}
    assert not devices & SOYTE_DEVICES, "no device of soyte is in the run"
    assert {"dost-rtr", "core", "dhcp"} <= devices
    assert seen == [{DOST: "ipv6-mostly", SOYTE: "dual-stack"}]  # verified: both sites, each at its stage
    assert {n: dict(MockDriver.devices[n].files) for n in soyte_files} == soyte_files
    with Journal.open(load_inventory(inventory).journal_path) as journal:
        inv = str(inventory)
        assert {s: r.stage for s, r in journal.site_stages(inv).items()} == {DOST: "ipv6-mostly", SOYTE: "dual-stack"}
        run = journal.get_run(report.run_id)
        assert (run.sites, run.stage_map) == ((DOST,), {DOST: "ipv6-mostly", SOYTE: "dual-stack"})
        assert journal.device_stages(inv)["dost-rtr"].stage == "ipv6-mostly"
        assert journal.device_stages(inv)["soyte-rtr"].stage == "dual-stack"
    # Rolling the site back is applying its earlier stage to it.
    back = rollout(inventory).apply(get_stage("dual-stack"), command="rollback", sites=[DOST])
    assert back.state == "applied" and not {d.name for d in back.devices} & SOYTE_DEVICES


def test_a_site_move_needs_the_other_sites_stages(inventory: Path) -> None:
    with pytest.raises(PilotError, match="no stage is recorded for soyte/hq"):
        rollout(inventory).apply(get_stage("dual-stack"), sites=[DOST])
    assert not MockDriver.devices or all(not d.files for d in MockDriver.devices.values()), "nothing pushed"


def test_a_limit_that_would_leave_a_site_half_moved_is_refused_before_anything_is_pushed(inventory: Path) -> None:
    assert rollout(inventory).apply(get_stage("dual-stack")).state == "applied"
    before = {n: dict(d.files) for n, d in MockDriver.devices.items()}
    with pytest.raises(
        PilotError, match=r"--limit dost-rtr would leave dost/hq half-moved: core, dhcp, .* must change"
    ):
        rollout(inventory, limit="dost-rtr").apply(get_stage("ipv6-mostly"), sites=[DOST])
    with pytest.raises(PilotError, match=r"would leave the province \(dual-stack\) half-moved"):
        rollout(inventory, limit="dost-rtr").apply(get_stage("ipv6-mostly"))
    assert {n: dict(d.files) for n, d in MockDriver.devices.items()} == before
    # A repair at the recorded stages may be narrowed to one device.
    repair = rollout(inventory, limit="dost-rtr").apply(get_stage("dual-stack"))
    assert repair.state == "applied" and [d.name for d in repair.devices] == ["dost-rtr"]


def test_only_the_sites_that_need_dns64_are_told_about_the_dns64_resolver(inputs: Inputs) -> None:
    assert inputs.plan.resolver64 is not None and inputs.plan.resolver64.ipv6 is not None
    plain, dns64 = "2001:db8:100:2014::10", str(inputs.plan.resolver64.ipv6.ip)
    both = bundles(inputs, mixed(dost="ipv6-mostly"))

    def text(device: str, suffix: str) -> str:
        return str(next(f["text"] for f in json.loads(both[device])["files"] if f["path"].endswith(suffix)))

    assert f"RDNSS {dns64}" in text("dost-rtr", "radvd.conf") and f"RDNSS {plain}" in text("soyte-rtr", "radvd.conf")
    kea6 = text("dhcp", "kea-dhcp6.conf")
    parts = re.split(r"(?m)^\s*// (\S+/\S+/\S+):.*$", kea6)
    by_segment = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert dns64 in by_segment["dost/hq/users"] and dns64 not in by_segment["soyte/hq/users"]
    unbound64 = text("dns64", "unbound-dns64.conf")
    assert f"interface: {dns64}" in unbound64 and "dns64-prefix: 2001:db8:0:6464::/96" in unbound64
    assert "dns64" not in text("dns64", "/unbound.conf").split("module-config")[1].splitlines()[0]
    # No site needs it: no DNS64 resolver at all, and its addresses leave the host.
    dual = bundles(inputs, mixed())
    assert not any(f["path"].endswith("unbound-dns64.conf") for f in json.loads(dual["dns64"])["files"])
    assert dns64 not in json.dumps(json.loads(dual["dns64"])["expect"])


def test_a_site_move_interrupted_mid_push_resumes_the_same_sites(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while dost's clients are pushed: the journal does not claim dost moved, and --resume
    moves dost again, never the whole province."""
    assert rollout(inventory).apply(get_stage("dual-stack")).state == "applied"
    original = MockDriver.commit_config

    def commit(self, *args, **kw):  # type: ignore[no-untyped-def]
        if self.name == "pc1":
            raise KeyboardInterrupt()
        return original(self, *args, **kw)

    monkeypatch.setattr(MockDriver, "commit_config", commit)
    with pytest.raises(KeyboardInterrupt):
        rollout(inventory).apply(get_stage("ipv6-mostly"), sites=[DOST])
    inv = load_inventory(inventory)
    with Journal.open(inv.journal_path) as journal:
        stopped = journal.runs(limit=1)[0]
        assert stopped.state == "interrupted" and stopped.sites == (DOST,)
        assert {s: r.stage for s, r in journal.site_stages(str(inventory)).items()} == {
            DOST: "dual-stack",
            SOYTE: "dual-stack",
        }, "the move did not complete: the journal keeps the stages it knows"
    monkeypatch.undo()
    seen: list[dict[str, str]] = []
    report = rollout(inventory, seen).apply(None, resume=True)
    assert report.state == "applied" and report.sites == [DOST]
    assert seen == [{DOST: "ipv6-mostly", SOYTE: "dual-stack"}]
    assert not {d.name for d in report.devices} & SOYTE_DEVICES


def test_a_shared_device_is_repaired_at_the_recorded_map_with_a_limit(inventory: Path) -> None:
    """With the sites at different stages, `--site X --stage <X's stage> --limit core` repairs core at the
    recorded map (no site moves): core is in the run though it serves no site of its own."""
    assert rollout(inventory).apply(get_stage("dual-stack")).state == "applied"
    assert rollout(inventory).apply(get_stage("ipv6-mostly"), sites=[DOST]).state == "applied"
    MockDriver.devices["core"].files["/etc/frr/frr.conf"] = "! changed by hand\n"
    seen: list[dict[str, str]] = []
    repair = rollout(inventory, seen, limit="core").apply(get_stage("ipv6-mostly"), sites=[DOST])
    assert repair.state == "applied" and [(d.name, d.push) for d in repair.devices] == [("core", "pushed")]
    assert seen == [{DOST: "ipv6-mostly", SOYTE: "dual-stack"}]
    assert "changed by hand" not in MockDriver.devices["core"].files["/etc/frr/frr.conf"]

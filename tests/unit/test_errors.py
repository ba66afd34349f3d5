from pilot.errors import Location, PilotError


def test_one_line_with_file_place_and_fix() -> None:
    err = PilotError(
        "link to unknown node 'cor'\n(second line)",
        fix="use one of core, isp1",
        location=Location("containerlab.yml", "topology.links[0].endpoints[0]", 12, 7),
    )
    text = str(err)
    assert "\n" not in text
    assert text == (
        "containerlab.yml:12:7: topology.links[0].endpoints[0]: link to unknown node 'cor' (second line); "
        "fix: use one of core, isp1"
    )
    assert err.exit_code == 2
    assert err.to_dict()["line"] == 12


def test_without_location() -> None:
    assert str(PilotError("no lab is running", fix="pilot lab up")) == "no lab is running; fix: pilot lab up"

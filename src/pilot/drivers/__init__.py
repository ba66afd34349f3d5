"""An in-memory NAPALM driver (pilot_mock) to test the rollout's logic without devices; the FRR driver
(pilot_frr) is the FRR platform's (pilot.platforms.frr.driver)."""

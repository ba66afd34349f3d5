"""NAPALM looks drivers up as napalm_<name>: `platform: pilot_frr` in a Nornir inventory finds FRR here."""

from pilot.platforms.frr.driver import FrrDriver

__all__ = ["FrrDriver"]

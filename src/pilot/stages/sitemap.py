"""The stage map: which stage each site of the province is at.

Provinces migrate agency by agency, so a stage belongs to a site ("agency/site", e.g. "dost/hq"), not to
the whole network. Rendering is a pure function of (intent, plan, stage map): every segment renders at
its site's stage; the province-wide parts (IPv6 on the routers' links and loopbacks, OSPFv3, eBGP IPv6,
the NAT64 and DNS64 services) render at the highest stage any site is at, so they come up with the first
site that needs them and go only when no site needs them (the stages' flags only ever grow from one
stage to the next, apart from those that concern user segments alone).

Sites hosting the province's services (the data centre's servers: DNS64, NAT64, DHCP, the portal) do
not migrate on their own: they are shared infrastructure, at the province-wide stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from pilot.errors import PilotError
from pilot.intent.model import Intent, Segment
from pilot.stages.catalog import get_stage
from pilot.stages.model import Stage


def site_of(segment: Segment) -> str:
    return f"{segment.agency}/{segment.site}"


def shared_sites(intent: Intent) -> list[str]:
    """Sites whose segments host a province service: they follow the province-wide stage."""
    services = set(vars(intent.services).values())
    out: list[str] = []
    for seg in intent.segments:
        if any(a.host in services for a in seg.hosts) and site_of(seg) not in out:
            out.append(site_of(seg))
    return out


def migrating_sites(intent: Intent) -> list[str]:
    """The sites a stage map names, in the intent's order: every site with a segment, except shared ones."""
    shared = set(shared_sites(intent))
    out: list[str] = []
    for seg in intent.segments:
        site = site_of(seg)
        if site not in shared and site not in out:
            out.append(site)
    return out


@dataclass(frozen=True)
class StageMap:
    """{site: stage} for every migrating site; `base` is the stage when the intent has no such site."""

    sites: tuple[tuple[str, Stage], ...]
    base: Stage

    @classmethod
    def of(cls, intent: Intent, stage: Stage) -> StageMap:
        """The whole province at one stage."""
        return cls(tuple((site, stage) for site in migrating_sites(intent)), stage)

    @classmethod
    def from_names(cls, names: Mapping[str, str], base: str) -> StageMap:
        return cls(tuple((site, get_stage(stage)) for site, stage in names.items()), get_stage(base))

    # Asked for every segment and device a render builds: computed once (the map is frozen).
    @cached_property
    def _index(self) -> dict[str, Stage]:
        return dict(self.sites)

    def stage_of(self, site: str) -> Stage:
        """The stage of a migrating site; the province-wide stage for any other (shared) site."""
        return self._index.get(site) or self.province

    @cached_property
    def province(self) -> Stage:
        """The stage of the province-wide parts: the highest any site is at."""
        if not self.sites:
            return self.base
        return max((stage for _, stage in self.sites), key=lambda s: s.index)

    @property
    def uniform_stage(self) -> Stage | None:
        """The one stage every site is at, or None when they differ."""
        found = {stage.name for _, stage in self.sites} or {self.base.name}
        return self.province if len(found) == 1 else None

    @property
    def label(self) -> str:
        """The stage's name when the map is uniform, else `mixed`."""
        uniform = self.uniform_stage
        return uniform.name if uniform is not None else "mixed"

    def names(self) -> dict[str, str]:
        return {site: stage.name for site, stage in self.sites}

    def describe(self) -> str:
        """`dual-stack`, or `dost/hq ipv6-only, soyte/hq dual-stack`."""
        if self.uniform_stage is not None:
            return self.label
        return ", ".join(f"{site} {stage.name}" for site, stage in self.sites)

    def moving(self, sites: Iterable[str], stage: Stage) -> StageMap:
        """This map with `sites` at `stage` (every other site keeps its stage)."""
        chosen = set(sites)
        moved = tuple((site, stage if site in chosen else old) for site, old in self.sites)
        return StageMap(moved, stage if not moved else self.base)

    def moved(self, since: StageMap) -> dict[str, str]:
        """{site: new stage} of the sites whose stage differs from `since`."""
        before = dict(since.sites)
        return {site: stage.name for site, stage in self.sites if before.get(site) != stage}

    def only(self, sites: Iterable[str]) -> StageMap:
        """The map restricted to `sites` (verification of some sites only); the province stage kept."""
        chosen = set(sites)
        return StageMap(tuple((s, st) for s, st in self.sites if s in chosen), self.province)


def choose_sites(intent: Intent, sites: Iterable[str] = (), agencies: Iterable[str] = ()) -> list[str]:
    """The migrating sites named by --site and --agency (each may hold a comma-separated list), in the
    intent's order; an unknown or shared site is refused with the list of those that can be chosen."""
    known = migrating_sites(intent)
    shared = shared_sites(intent)
    source = str(intent.source)
    wanted: list[str] = []
    given = [*sites, *agencies]
    if given and not any(p.strip() for t in given for p in t.split(",")):
        raise PilotError(
            "--site/--agency names no site (an empty name would mean the whole province)",
            fix=f"name sites as agency/site ({', '.join(known) or 'none'}), or leave --site out to move the whole province",
        )
    for text in sites:
        for name in (p.strip() for p in text.split(",")):
            if not name:
                continue
            if name in shared:
                raise PilotError(
                    f"site '{name}' hosts the province's services: it is at the province-wide stage, the highest any site is at",
                    fix=f"choose among the sites that migrate: {', '.join(known) or 'none'}",
                )
            if name not in known:
                raise PilotError(
                    f"--site {name}: no such site in {source}",
                    fix=f"use agency/site, one of: {', '.join(known) or 'none'}",
                )
            wanted.append(name)
    agency_names = [a.name for a in intent.agencies]
    for text in agencies:
        for name in (p.strip() for p in text.split(",")):
            if not name:
                continue
            mine = [s for s in known if s.split("/", 1)[0] == name]
            if not mine:
                why = "has no site that migrates" if name in agency_names else f"is not an agency of {source}"
                agencies_with_sites = sorted({s.split("/", 1)[0] for s in known})
                raise PilotError(
                    f"--agency {name} {why}", fix=f"use one of: {', '.join(agencies_with_sites) or 'none'}"
                )
            wanted += mine
    return [s for s in known if s in set(wanted)]

"""The intent file's schema (inventory/intent.yml), as pydantic models.

Nothing here is vendor-specific: Cisco, Junos, EOS and VRP later add templates and capability tables,
never intent fields.

Strings are of two kinds. A `name` (Slug) is an identifier that ends up in DNS names, the address
record's keys and device configurations: an ASCII slug, refused otherwise. A `title` (and an
operator's name) is human text, any Unicode: it is escaped for each file it reaches (pilot.text).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pilot.text import SLUG


@dataclass(frozen=True)
class FreeText:
    """Marks a field as human text (tests find every such field through it)."""


# An identifier: it becomes part of DNS names, record keys and device configuration, so ASCII only.
Slug = Annotated[str, StringConstraints(pattern=SLUG)]
# Human text, any Unicode (Vietnamese): escaped for each file it reaches, never used as an identifier.
Title = Annotated[str, FreeText()]


class Purpose(enum.StrEnum):
    """What a segment is for. Its nibble value is the P in a segment's /64: 2001:db8:AASS:PVVV::/64."""

    INFRASTRUCTURE = "infrastructure"
    USERS = "users"
    SERVERS = "servers"
    VOICE = "voice"
    IOT = "iot"
    MANAGEMENT = "management"
    GUEST = "guest"

    @property
    def nibble(self) -> int:
        return list(Purpose).index(self)


class Dhcpv6(enum.StrEnum):
    NONE = "none"  # SLAAC only (or static addresses on servers)
    STATELESS = "stateless"  # O flag: DNS and search list from DHCPv6, addresses from SLAAC
    STATEFUL = "stateful"  # M flag: addresses from DHCPv6 pools, SLAAC kept working beside it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProvinceDef(_Strict):
    name: Slug
    title: Title | None = None
    asn: int = Field(ge=1, le=4294967295)
    ipv6: str
    ipv4: str
    domain: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    v6only_wait: int = Field(default=300, ge=300, le=86400)
    ra_interval: int = Field(default=30, ge=4, le=1800)
    # OSPF hello and dead intervals on router links (seconds); unset keeps the platform's defaults.
    ospf_hello: int | None = Field(default=None, ge=1, le=65535)
    ospf_dead: int | None = Field(default=None, ge=1, le=65535)
    ospf_retransmit: int | None = Field(default=None, ge=1, le=65535)
    # eBGP: seconds between attempts to open a session that is down; unset keeps the platform's (120 s on
    # FRR), which lets a session lost with its link stay down for two minutes after the link is back.
    bgp_connect_retry: int | None = Field(default=None, ge=1, le=65535)


class ServicesDef(_Strict):
    dns64: str
    nat64: str
    dhcp: str
    portal: str


class OperatorDef(_Strict):
    node: str
    asn: int = Field(ge=1, le=4294967295)
    name: Title  # how people call the operator (free text: the node is its identifier)


class SiteHostDef(_Strict):
    node: str
    name: Slug  # its DNS label: <name>.<province domain>


class InternetDef(_Strict):
    ipv4: str
    ipv6: str
    exchange: str
    operators: list[OperatorDef] = Field(min_length=1)
    sites: list[SiteHostDef] = Field(default_factory=list)


class RouterDef(_Strict):
    ospf_area: str = "0.0.0.0"
    ipv4: bool = True  # False: an IPv6-only router (no IPv4 loopback, IPv6-only links)


class SegmentDef(_Strict):
    name: Slug
    title: Title | None = None
    purpose: Purpose
    vlan: int = Field(ge=1, le=4094)
    gateway: str
    hosts: list[str] = Field(default_factory=list)
    dhcpv6: Dhcpv6 | None = None  # default by purpose: stateless for users and iot, none for servers
    legacy_ipv4: bool = False
    ipv4_hosts: int = Field(default=30, ge=0, le=65534)  # 0: a segment born IPv6-only


class SiteDef(_Strict):
    name: Slug
    title: Title | None = None
    number: int = Field(ge=0)
    segments: list[SegmentDef] = Field(default_factory=list)


class AgencyDef(_Strict):
    name: Slug
    title: Title | None = None
    code: int = Field(ge=0)
    sites: list[SiteDef] = Field(default_factory=list)


class ClientDef(_Strict):
    option108: bool = False  # the DHCPv4 client asks for, and honours, IPv6-Only Preferred
    ipv4_only: bool = False  # an IPv4-only device (printer, camera)
    rogue: bool = False  # checks and exercises may make it send rogue RAs and DHCPv6 replies


class IntentDef(_Strict):
    province: ProvinceDef
    services: ServicesDef
    internet: InternetDef
    routers: dict[str, RouterDef | None]
    agencies: list[AgencyDef]
    clients: dict[str, ClientDef | None] = Field(default_factory=dict)

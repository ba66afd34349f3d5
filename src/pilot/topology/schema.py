"""The subset of containerlab's topology schema that pilot reads, as pydantic models.

Keys containerlab knows but the namespace backend does not use are accepted (the file must stay valid
for containerlab with real images) and reported as warnings; keys containerlab does not know are errors.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool

# containerlab's node kinds (schemas/clab.schema.json): any of these is a valid containerlab file.
CONTAINERLAB_KINDS = frozenset(
    [
        "nokia_srlinux",
        "arista_ceos",
        "juniper_crpd",
        "juniper_csrx",
        "sonic-vs",
        "sonic-vm",
        "nokia_sros",
        "nokia_srsim",
        "juniper_vmx",
        "juniper_vqfx",
        "juniper_vsrx",
        "juniper_vjunosrouter",
        "juniper_vjunosswitch",
        "juniper_vjunosevolved",
        "cisco_xrv",
        "cisco_xrv9k",
        "arista_veos",
        "cisco_csr1000v",
        "paloalto_panos",
        "mikrotik_ros",
        "6wind_vsr",
        "cisco_n9kv",
        "cisco_ftdv",
        "dell_ftosv",
        "dell_sonic",
        "aruba_aoscx",
        "linux",
        "bridge",
        "ovs-bridge",
        "border0",
        "host",
        "keysight_ixia-c-one",
        "ipinfusion_ocnos",
        "checkpoint_cloudguard",
        "ciena_saos",
        "ext-container",
        "rare",
        "cisco_xrd",
        "cisco_xrd_vrouter",
        "cisco_c8000",
        "cisco_c8000v",
        "cisco_cat9kv",
        "cisco_iol",
        "cisco_asav",
        "cisco_vios",
        "nvidia_cumulusvx",
        "huawei_vrp",
        "openbsd",
        "freebsd",
        "generic_vm",
        "fortinet_fortigate",
        "k8s-kind",
        "fdio_vpp",
        "vyosnetworks_vyos",
        "juniper_cjunosevolved",
        "arrcus_arcos",
        "f5_bigip-ve",
        "cisco_sdwan",
        "openwrt",
        "spirent_stc",
        "veesix_osvbng",
        "ostinato",
        "plvision_sonic",
    ]
)
# Kinds the namespace backend can run; the rest need `--backend containerlab`.
NAMESPACE_KINDS = frozenset({"linux", "bridge"})

# containerlab node keys pilot reads, and those it accepts but leaves to containerlab.
NODE_KEYS_USED = frozenset({"kind", "image", "group", "labels", "env", "exec", "binds", "mgmt-ipv6", "sysctls"})
NODE_KEYS_IGNORED = frozenset(
    [
        "aliases",
        "auto-remove",
        "cap-add",
        "certificate",
        "cgroup-parent",
        "cgroupns-mode",
        "cmd",
        "components",
        "config",
        "cpu",
        "cpu-set",
        "credentials",
        "devices",
        "dns",
        "enforce-startup-config",
        "entrypoint",
        "env-files",
        "extras",
        "healthcheck",
        "hostname",
        "image-pull-policy",
        "license",
        "link-apply-mode",
        "memory",
        "mgmt-ipv4",
        "network-mode",
        "pid-mode",
        "ports",
        "privileged",
        "restart-policy",
        "runtime",
        "security-opts",
        "shm-size",
        "stages",
        "startup-config",
        "startup-delay",
        "suppress-startup-config",
        "tmpfs",
        "type",
        "user",
        "volumes",
    ]
)
MGMT_KEYS_USED = frozenset({"network", "ipv6-subnet", "ipv4-subnet", "ipv6-gw"})
MGMT_KEYS_IGNORED = frozenset(
    {"bridge", "ipv4-gw", "ipv4-range", "ipv6-range", "mtu", "external-access", "driver-opts"}
)
TOP_KEYS = frozenset({"name", "prefix", "mgmt", "topology", "settings", "debug"})
TOPOLOGY_KEYS = frozenset({"defaults", "kinds", "groups", "nodes", "links"})
LINK_KEYS = frozenset({"type", "endpoints", "mtu", "labels", "vars", "ipv4", "ipv6"})
ENDPOINT_KEYS = frozenset({"node", "interface", "mac", "ipv4", "ipv6", "vars"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NodeDefinition(_Strict):
    kind: str | None = None
    image: str | None = None
    group: str | None = None
    labels: dict[str, Scalar] | None = None
    env: dict[str, Scalar] | None = None
    exec_: list[str] | None = Field(default=None, alias="exec")
    binds: list[str] | None = None
    mgmt_ipv6: str | None = Field(default=None, alias="mgmt-ipv6")
    sysctls: dict[str, Scalar] | None = None


class MgmtDefinition(_Strict):
    network: str | None = None
    ipv6_subnet: str | None = Field(default=None, alias="ipv6-subnet")
    ipv4_subnet: str | None = Field(default=None, alias="ipv4-subnet")
    ipv6_gw: str | None = Field(default=None, alias="ipv6-gw")


class EndpointDefinition(_Strict):
    node: str
    interface: str
    mac: str | None = None


class LinkDefinition(_Strict):
    type: str | None = None
    endpoints: list[str | EndpointDefinition] = Field(min_length=2, max_length=2)
    mtu: int | None = Field(default=None, ge=68, le=65535)


class TopologyDefinition(_Strict):
    defaults: NodeDefinition | None = None
    kinds: dict[str, NodeDefinition] | None = None
    groups: dict[str, NodeDefinition] | None = None
    nodes: dict[str, NodeDefinition | None]
    links: list[LinkDefinition] | None = None


class LabDefinition(_Strict):
    name: str
    prefix: str | None = None
    mgmt: MgmtDefinition | None = None
    topology: TopologyDefinition

"""The lab topology: containerlab.yml read with containerlab's semantics into typed objects."""

from pilot.topology.loader import load_topology
from pilot.topology.model import Bind, Endpoint, Link, Mgmt, Node, Role, Topology

__all__ = ["Bind", "Endpoint", "Link", "Mgmt", "Node", "Role", "Topology", "load_topology"]

"""pilot: take agency networks from IPv4 to IPv6-only in stages, rehearsed on a real lab first."""

__version__ = "0.1.0"

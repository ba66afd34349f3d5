"""The lab engine: containerlab.yml run as real namespaces and daemons (or by containerlab)."""

"""Simulated CLI devices over real SSH (fakenos' paramiko server with stateful shells of pilot's own)."""

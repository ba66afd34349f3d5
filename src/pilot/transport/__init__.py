"""How pilot reaches devices: SSH sessions (paramiko) with host keys checked."""

"""NAPALM drivers: FRR on Linux (pilot_frr), and an in-memory mock to test the rollout's logic."""

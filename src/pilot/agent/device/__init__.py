"""The device agent's parts, joined into one script by pilot.agent.text() (see pilot/agent/__init__.py)."""

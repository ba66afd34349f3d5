"""Where pilot's own data folders are: templates/ and playbooks/.

The repository keeps them at its top (beside src/), where people edit them. An installed wheel ships
them inside the package as pilot/templates and pilot/playbooks (pyproject.toml maps them there), so an
installed pilot finds them with importlib.resources whatever the current directory. Run from a source
checkout (an editable install, or PYTHONPATH=src), they are the checkout's own folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped(name: str) -> Path:
    """The folder `name` ("templates" or "playbooks") that came with this pilot."""
    installed = resources.files("pilot") / name
    if installed.is_dir():
        # A package installed from a wheel lives on the filesystem (pilot is not zip-safe: templates,
        # the playbook and the device agent are read as files by Jinja2 and ansible-runner).
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / name

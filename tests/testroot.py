"""Where the tests find the project's files (a module of its own: two conftest.py files share a name)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"

#!/usr/bin/env bash
# Set up, then run the whole test suite: lint, types, unit tests, and the lab tests (real namespaces
# and daemons; they need root and fail, never skip, when they cannot run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint and types"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
echo "== unit tests"
.venv/bin/pytest -q -m "not lab" "$@"
echo "== lab tests"
.venv/bin/pytest -q -m lab "$@"

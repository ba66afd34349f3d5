#!/usr/bin/env bash
# Set up, then run the pilot end to end on the embedded lab (containerlab.yml), agency by agency:
#   lab up -> Nornir inventory -> address plan -> the province to dual-stack -> the Department of Science
#   and Technology (dost/hq) to ipv6-mostly, then ipv6-only, while the Department of Health (soyte/hq)
#   stays dual-stack -> soyte to ipv6-mostly -> soyte rolled back to dual-stack -> verify -> the
#   journal's history -> lab down. Every apply backs up, pushes, verifies every site with real probes
#   (the moved one at its new stage, the others re-checked at theirs) and rolls back by itself on failure.
# Set KEEP_LAB=1 to leave the lab running afterwards (at dual-stack), e.g. for a training session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pilot=.venv/bin/pilot
# The demo's own lab. A lab of that name already up is someone else's (maybe a colleague's, on a shared
# training machine): the demo refuses it, and only ever takes down the lab it started itself.
lab=${DEMO_LAB:-dost-pilot}
started=0
step() { printf '\n== %s\n' "$*"; }

if $pilot lab status --name "$lab" >/dev/null 2>&1; then
  echo "demo: a lab named '$lab' is already up, and this demo did not start it; it is left alone." >&2
  echo "demo: run the demo on a lab of its own (DEMO_LAB=another-name bash scripts/demo.sh), or, if '$lab' is yours, take it down first: $pilot lab down --name $lab" >&2
  exit 2
fi
finish() {
  status=$?
  if [ "$started" = 1 ] && [ "${KEEP_LAB:-0}" = 1 ]; then
    step "leaving the lab up (pilot lab down --name $lab removes it)"
  elif [ "$started" = 1 ]; then
    step "pilot lab down"
    $pilot lab down --name "$lab" --force || true
  fi
  [ "$status" = 0 ] && step "the pilot ran end to end" || step "FAILED (exit $status): pilot history --lab $lab / pilot show <run> --lab $lab say why"
  exit "$status"
}
trap finish EXIT

step "pilot lab up: the pilot network from containerlab.yml, as namespaces and real daemons (no Docker)"
up_errors=$(mktemp)
started=1  # from here on the lab is ours: a failed or interrupted `lab up` is cleaned up too
if ! $pilot lab up --name "$lab" 2>"$up_errors"; then
  cat "$up_errors" >&2
  # Refused because a lab of that name appeared since the check above: not ours, never taken down.
  grep -qE "lab '$lab' (is already|is stale|left )" "$up_errors" && started=0
  rm -f "$up_errors"
  exit 1
fi
cat "$up_errors" >&2
rm -f "$up_errors"
step "pilot lab inventory: the Nornir inventory for the running lab"
$pilot lab inventory --name "$lab"
step "pilot addresses --check: the address plan from the province's block, all recorded"
$pilot addresses --check
$pilot addresses | head -12

lab_diff=$(mktemp)
sites() { $pilot status --no-ask --lab "$lab" | sed -n '/^ *sites/,/^ *$/p' | head -n 4; }

step "pilot apply --stage dual-stack: the whole province (every site) to dual-stack"
$pilot apply --stage dual-stack --yes --lab "$lab"
sites
step "pilot diff --stage ipv6-mostly --site dost/hq: what moving one site changes (soyte's devices: no change)"
$pilot diff --stage ipv6-mostly --site dost/hq --lab "$lab" >"$lab_diff"
grep -E '^== ' "$lab_diff" | head -n 20 || true
rm -f "$lab_diff"
step "pilot apply --stage ipv6-mostly --site dost/hq: NAT64/DNS64 come up with the first site that needs them"
$pilot apply --stage ipv6-mostly --site dost/hq --yes --lab "$lab"
step "pilot apply --stage ipv6-only --agency dost: every site of the agency (soyte stays dual-stack)"
$pilot apply --stage ipv6-only --agency dost --yes --lab "$lab"
sites
step "pilot apply --stage ipv6-mostly --site soyte/hq: the second agency follows"
$pilot apply --stage ipv6-mostly --site soyte/hq --yes --lab "$lab"
step "pilot rollback --to dual-stack --site soyte/hq: rolling a site back is applying its earlier stage to it"
$pilot rollback --to dual-stack --site soyte/hq --yes --lab "$lab"
step "pilot status: each site's stage, and every device as the journal and the devices say"
$pilot status --lab "$lab"
step "pilot verify: each site at its recorded stage, on its own"
$pilot verify --lab "$lab"
step "pilot history: the journal (the sites each run moved)"
$pilot history --count 8 --lab "$lab"

#!/usr/bin/env bash
# Set up, then run the pilot end to end on the embedded lab (containerlab.yml):
#   lab up -> Nornir inventory -> address plan -> every stage in turn (diff, apply with backups and
#   verification) -> roll back to dual-stack and verify -> the journal's history -> lab down.
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

for stage in ipv4 dual-stack ipv6-mostly ipv6-only; do
  step "pilot diff --stage $stage (what would change; changes nothing)"
  $pilot diff --stage "$stage" --lab "$lab" | tail -n 18
  step "pilot apply --stage $stage: back up, push, verify with real probes (rolls back by itself on failure)"
  $pilot apply --stage "$stage" --yes --lab "$lab"
done

step "pilot status: the stage of every device, as the journal and the devices say"
$pilot status --lab "$lab"
step "pilot rollback --to dual-stack: rolling back is applying the earlier stage"
$pilot rollback --to dual-stack --yes --lab "$lab"
step "pilot verify: the dual-stack pack again, on its own"
$pilot verify --lab "$lab"
step "pilot history: the journal"
$pilot history --count 8 --lab "$lab"

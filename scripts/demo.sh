#!/usr/bin/env bash
# Set up, then run the pilot end to end on the embedded lab (containerlab.yml):
#   lab up -> Nornir inventory -> address plan -> every stage in turn (diff, apply with backups and
#   verification) -> roll back to dual-stack and verify -> the journal's history -> lab down.
# Set KEEP_LAB=1 to leave the lab running afterwards (at dual-stack), e.g. for a training session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pilot=.venv/bin/pilot
lab=dost-pilot
step() { printf '\n== %s\n' "$*"; }

if [ -e "/run/pilot/labs/$lab/state.json" ]; then
  step "a previous '$lab' lab is still there: taking it down"
  $pilot lab down --name "$lab" --force
fi
finish() {
  status=$?
  if [ "${KEEP_LAB:-0}" = 1 ]; then
    step "leaving the lab up (pilot lab down --name $lab removes it)"
  else
    step "pilot lab down"
    $pilot lab down --name "$lab" --force || true
  fi
  [ "$status" = 0 ] && step "the pilot ran end to end" || step "FAILED (exit $status): pilot history / pilot show <run> say why"
  exit "$status"
}
trap finish EXIT

step "pilot lab up: the pilot network from containerlab.yml, as namespaces and real daemons (no Docker)"
$pilot lab up --name "$lab"
step "pilot lab inventory: the Nornir inventory for the running lab"
$pilot lab inventory --name "$lab"
step "pilot addresses --check: the address plan from the province's block, all recorded"
$pilot addresses --check
$pilot addresses | head -12

for stage in ipv4 dual-stack ipv6-mostly ipv6-only; do
  step "pilot diff --stage $stage (what would change; changes nothing)"
  $pilot diff --stage "$stage" | tail -n 18
  step "pilot apply --stage $stage: back up, push, verify with real probes (rolls back by itself on failure)"
  $pilot apply --stage "$stage" --yes
done

step "pilot status: the stage of every device, as the journal and the devices say"
$pilot status
step "pilot rollback --to dual-stack: rolling back is applying the earlier stage"
$pilot rollback --to dual-stack --yes
step "pilot verify: the dual-stack pack again, on its own"
$pilot verify
step "pilot history: the journal"
$pilot history --count 8

#!/usr/bin/env bash
# Set up, then run the pilot end to end on the embedded lab (containerlab.yml).
# Today: bring the lab up, show it, reach every node over SSH, take it down.
# Set KEEP_LAB=1 to leave the lab running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pilot=.venv/bin/pilot
lab=dost-pilot
if [ -e "/run/pilot/labs/$lab/state.json" ]; then
  echo "== a previous '$lab' lab is still there: taking it down"
  $pilot lab down --name "$lab" --force
fi
echo "== pilot lab up"
$pilot lab up --name "$lab"
echo "== every node answers over SSH (host keys pinned)"
for node in $($pilot lab status --name "$lab" --json | .venv/bin/python -c 'import json,sys; print(" ".join(n["name"] for n in json.load(sys.stdin)[0]["nodes"]))'); do
  printf '%-9s %s\n' "$node" "$($pilot lab ssh --name "$lab" "$node" -- uname -n)"
done
echo "== FRR on core"
$pilot lab exec --name "$lab" core -- vtysh -c 'show version' | head -1
echo "== Nornir inventory"
$pilot lab inventory --name "$lab"
if [ "${KEEP_LAB:-0}" = 1 ]; then
  echo "== leaving the lab up (pilot lab down --name $lab to remove it)"
else
  echo "== pilot lab down"
  $pilot lab down --name "$lab"
fi

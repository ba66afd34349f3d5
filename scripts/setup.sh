#!/usr/bin/env bash
# Set up pilot on a fresh Debian 12 / Ubuntu machine, as root. Idempotent: run it as often as you like.
#  1. the Debian packages the lab runs (FRR, Kea, radvd, tayga, unbound, OpenSSH, ...); radvd >= 2.20
#     (the PREF64 option, RFC 8781), which Debian 12 has in bookworm-backports only: that suite is
#     added (pinned so that radvd alone comes from it) and setup fails where no radvd >= 2.20 exists;
#  2. no lab daemon left running in the root namespace (the lab runs its own, inside its nodes);
#     the host's own sshd is never touched;
#  3. a virtualenv in .venv with pilot and its pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs Debian packages)" >&2
  exit 2
fi

# sshpass: Ansible's way to log in with a password (PILOT_SSH_PASSWORD) to Linux hosts of a real network.
PACKAGES=(
  frr frr-pythontools radvd kea-dhcp4-server kea-dhcp6-server tayga unbound
  openssh-server openssh-client nftables ndisc6 dhcpcd-base isc-dhcp-client bind9-dnsutils
  curl iproute2 iputils-ping tcpdump tini procps psmisc util-linux sqlite3
  nginx-light isc-dhcp-relay ifupdown bridge-utils sshpass
  python3 python3-venv python3-dev gcc git
)
# Daemons the lab runs inside its nodes: none of them may run in the root namespace.
LAB_SERVICES=(frr kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent radvd unbound unbound-resolvconf tayga dhcpcd isc-dhcp-server isc-dhcp-relay)
LAB_DAEMONS=(watchfrr zebra bgpd ospfd ospf6d staticd kea-dhcp4 kea-dhcp6 kea-ctrl-agent radvd unbound tayga dhcpcd dhclient dhcrelay)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# radvd sends the routers' RAs in the lab; PREF64 (`nat64prefix`) needs radvd >= 2.20. Debian 12 ships
# 2.19, bookworm-backports 2.20: add that suite (unless the host already has it) and pin it so that
# radvd, and nothing else, comes from it. Anywhere else radvd >= 2.20 must come from the system itself.
RADVD_MIN=2.20
BACKPORTS_SOURCE=/etc/apt/sources.list.d/pilot-bookworm-backports.sources
BACKPORTS_PIN=/etc/apt/preferences.d/pilot-radvd
radvd_ok() {  # installed, and at least RADVD_MIN (compared without the epoch: Debian's radvd has 1:)
  local v
  v=$(dpkg-query -W -f='${Status} ${Version}' radvd 2>/dev/null || true)
  [[ $v == "install ok installed "* ]] || return 1
  v=${v##* }
  dpkg --compare-versions "${v#*:}" ge "$RADVD_MIN"
}
write_if_changed() {  # FILE TEXT: rewrite FILE only when its text differs (apt sees no change otherwise)
  [ "$(cat "$1" 2>/dev/null)" = "$2" ] || printf '%s\n' "$2" > "$1"
}
# shellcheck disable=SC1091
os_id=$(. /etc/os-release && echo "${ID:-unknown}") os_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$os_id" = debian ] && [ "$os_codename" = bookworm ]; then
  pin="Package: radvd
Pin: release n=bookworm-backports
Pin-Priority: 500"
  if [ -e "$BACKPORTS_SOURCE" ] || ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list \
      /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
    write_if_changed "$BACKPORTS_SOURCE" "# Added by pilot's setup.sh: radvd >= 2.20 (PREF64) for the lab; see $BACKPORTS_PIN.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    # The suite is ours: nothing but radvd may come from it.
    pin="$pin

Package: *
Pin: release n=bookworm-backports
Pin-Priority: -1"
  fi
  write_if_changed "$BACKPORTS_PIN" "# Added by pilot's setup.sh: radvd >= 2.20 (PREF64, RFC 8781) from bookworm-backports.
$pin"
fi
radvd_ok || case " ${missing[*]} " in *" radvd "*) ;; *) missing+=(radvd);; esac
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  # A web server setup installs now serves the lab's nodes only; one the host already ran is left alone.
  case " ${missing[*]} " in *" nginx-light "*) LAB_SERVICES+=(nginx); LAB_DAEMONS+=(nginx);; esac
  # Keep the lab's daemons from starting in the root namespace while they are installed.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\ncase "$1" in %s) exit 101;; esac\nexit 0\n' "$(IFS='|'; echo "${LAB_SERVICES[*]}")" > "$own_policy"
    chmod 755 "$own_policy"
    trap 'rm -f "$own_policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  candidate=$(apt-cache policy radvd 2>/dev/null | awk '/Candidate:/ {print $2}')
  if ! dpkg --compare-versions "${candidate#*:}" ge "$RADVD_MIN" 2>/dev/null; then
    # Before installing anything: nothing half-done.
    if [ "$os_id" = debian ] && [ "$os_codename" = bookworm ]; then
      echo "setup: error: radvd >= $RADVD_MIN is needed (the PREF64 option the lab's routers send) and" \
        "bookworm-backports does not offer it (apt's candidate: ${candidate:-none}): is" \
        "http://deb.debian.org/debian/dists/bookworm-backports/ reachable? fix: make it reachable (or" \
        "point $BACKPORTS_SOURCE at a mirror that has it) and run setup again" >&2
    else
      echo "setup: error: radvd >= $RADVD_MIN is needed (the PREF64 option the lab's routers send) and" \
        "this system ($os_id ${os_codename:-?}) offers ${candidate:-none}; fix: install radvd >= $RADVD_MIN" \
        "(Debian 12: bookworm-backports), then run setup again" >&2
    fi
    exit 2
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ -n "$own_policy" ] && rm -f "$own_policy" && trap - EXIT
fi

# Stop and disable the lab's daemons in the root namespace (not the host's sshd).
if [ -d /run/systemd/system ]; then
  for s in "${LAB_SERVICES[@]}"; do
    if systemctl list-unit-files "$s.service" >/dev/null 2>&1 && systemctl cat "$s.service" >/dev/null 2>&1; then
      systemctl disable --now "$s.service" >/dev/null 2>&1 || true
    fi
  done
else
  for s in "${LAB_SERVICES[@]}"; do
    [ -x "/etc/init.d/$s" ] && { "/etc/init.d/$s" stop >/dev/null 2>&1 || true; update-rc.d "$s" disable >/dev/null 2>&1 || true; }
  done
fi
root_pidns=$(readlink /proc/$$/ns/pid)  # this shell runs in the root PID namespace
for d in "${LAB_DAEMONS[@]}"; do
  for pid in $(pgrep -x "$d" || true); do
    # Only the root PID namespace: the same daemons inside lab nodes are the lab's own.
    [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$root_pidns" ] && kill "$pid" 2>/dev/null || true
  done
done

# The virtualenv, reinstalled only when pyproject.toml changed.
PY=/usr/bin/python3
stamp=.venv/.pilot-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
else
  # Editable install: source changes need nothing; make sure the console script is there.
  [ -x .venv/bin/pilot ] || .venv/bin/python -m pip install -q --no-deps -e .
fi
radvd_ok || { echo "setup: error: radvd >= $RADVD_MIN is not installed; fix: run setup again" >&2; exit 2; }
echo "setup: ready ($(.venv/bin/pilot --version), radvd $(dpkg-query -W -f='${Version}' radvd))"

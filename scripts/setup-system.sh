#!/usr/bin/env bash
# Installs the Debian packages Minwon needs and creates the unprivileged user that runs
# database processes (PostgreSQL refuses to run as root). Does nothing it need not do.
set -euo pipefail

PACKAGES=(python3-venv python3-dev fonts-nanum poppler-utils zbar-tools libnss3-tools postgresql-15 postgresql-client-15 etcd-server etcd-client haproxy)
PACKAGES+=(chromium)  # browser tests (Playwright drives Debian's build; no browser download)
PACKAGES+=(wrk)  # the benchmarks' load generator (make bench)
PACKAGES+=(iproute2 nftables ethtool)  # network faults between namespaces (F4, partitions)
PACKAGES+=(socat)  # HAProxy's runtime API on another host (minwon release --fleet)
PACKAGES+=(openssh-server)  # releases over SSH: the tests start their own sshd on loopback
PACKAGES+=(systemd sudo)  # the plan's units and sudoers are checked (systemd-analyze, visudo)
PACKAGES+=(pgbackrest)  # WAL archive and backups of the cluster (minwon backup)
PACKAGES+=(prometheus)  # promtool: the tests check the alert rules (src/minwon/data/)
DB_USER="${MINWON_DB_OS_USER:-minwon-db}"

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "$(id -u)" -eq 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    others=()
    for p in "${missing[@]}"; do [ "$p" = prometheus ] || others+=("$p"); done
    if [ ${#others[@]} -gt 0 ]; then
      apt-get install -y -qq --no-install-recommends "${others[@]}" >/dev/null
    fi
    if [ ${#others[@]} -lt ${#missing[@]} ]; then
      # Only promtool is wanted: Debian's package starts a Prometheus server on :9090 and
      # enables it at boot. A policy-rc.d that refuses keeps it from starting now (systemd
      # or init.d); then it is disabled for the next boot too.
      policy=/usr/sbin/policy-rc.d
      if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
      fi
      echo "setup: installing prometheus for promtool only (its server stays off)"
      apt-get install -y -qq --no-install-recommends prometheus >/dev/null
      deb-systemd-helper disable prometheus.service >/dev/null 2>&1 || true
      update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
    if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
      # Only the sshd binary is wanted: the tests start their own on loopback. Debian
      # enables the system's SSH service on install; this machine did not have one.
      echo "setup: leaving the system SSH service off (installed for tests only)"
      systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
  fi
  if ! id "$DB_USER" >/dev/null 2>&1; then
    echo "setup: creating system user $DB_USER for database processes"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$DB_USER"
  fi
elif [ ${#missing[@]} -gt 0 ]; then
  echo "setup: not root; please install: ${missing[*]}" >&2
fi

#!/usr/bin/env bash
# Installs, from Debian's packages, the programs the tests run but npm cannot provide: the mosquitto MQTT
# broker (the MQTT end-to-end tests start their own broker on a free port) and chromium (the browser tests).
# Idempotent and silent when both are there already; `apt-get update` runs only when something is missing.
# Needs root (or sudo) only when it has something to install.
set -euo pipefail

packages=(mosquitto chromium)

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = 'ii ' ]
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "setup-services: missing ${missing[*]}, and no apt-get to install them with" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || {
    echo "setup-services: installing ${missing[*]} needs root" >&2
    exit 1
  }
  sudo=(sudo)
fi

# Installing mosquitto would start (and on systemd machines enable) the system's broker on port 1883; the
# tests start their own. A policy-rc.d that answers 101 keeps invoke-rc.d and deb-systemd-invoke from starting
# it; one is put in place for the install only, unless the machine has one already (Docker images do).
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=true
fi
cleanup() {
  if [ "$own_policy" = true ]; then "${sudo[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

echo "setup-services: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# deb-systemd-helper enables the unit even when it may not start it: undo that, so that a reboot does not
# start a broker on 1883 either.
if [[ " ${missing[*]} " == *' mosquitto '* ]] && [ -d /run/systemd/system ]; then
  "${sudo[@]}" systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
fi

for package in "${missing[@]}"; do
  installed "$package" || {
    echo "setup-services: $package did not install" >&2
    exit 1
  }
done

#!/usr/bin/env bash
# Installs the system packages Lockstep builds against (Debian/Ubuntu). Safe to run again: it installs only what
# is missing. Swift itself (6.1 or newer) must already be on PATH.
set -euo pipefail

packages=(pkg-config libsqlite3-dev libpq-dev libmariadb-dev openssl)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.1 or newer" >&2; exit 1; }

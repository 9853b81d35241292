#!/usr/bin/env bash
# Builds lockstep and walks through the secrets core in a throwaway data directory: create, read, rotate a value
# by hand, inspect labels, delete and restore. Pass a directory to keep the data: scripts/demo.sh ./demo-data
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product lockstep
lockstep="$(swift build -c release --show-bin-path)/lockstep"

export LOCKSTEP_DATA_DIR="${1:-$(mktemp -d)/lockstep}"
step() { printf '\n\033[1m$ lockstep %s\033[0m\n' "$*"; "$lockstep" "$@"; }

step init
step create-secret --name demo/db --description "demo database credentials" \
    --secret-string '{"engine":"postgres","host":"localhost","username":"app","password":"first-password"}' \
    --tags Key=env,Value=demo Key=team,Value=platform
step get-secret-value --secret-id demo/db --query SecretString --output text
step put-secret-value --secret-id demo/db \
    --secret-string '{"engine":"postgres","host":"localhost","username":"app","password":"second-password"}'
step describe-secret --secret-id demo/db --query VersionIdsToStages
step get-secret-value --secret-id demo/db --version-stage AWSPREVIOUS --query SecretString --output text
step list-secrets --filters Key=tag-key,Values=team --query 'SecretList[*].Name' --output text
step get-random-password --password-length 24 --exclude-characters '/@"'"'"'\' --query RandomPassword --output text
step delete-secret --secret-id demo/db --recovery-window-in-days 7 --query DeletionDate --output text
echo; echo "(reading a secret scheduled for deletion is refused, with AWS's error:)"
"$lockstep" get-secret-value --secret-id demo/db || true
step restore-secret --secret-id demo/db
echo; echo "Data directory: $LOCKSTEP_DATA_DIR (only ciphertext on disk; root key in root.key, mode 0600)"

#!/usr/bin/env bash
# Builds lockstep and walks through it in a throwaway data directory: create, read, change a value by hand, inspect
# labels, delete and restore; then a real rotation of a PostgreSQL user's password, over verified TLS, against a
# throwaway PostgreSQL (scripts/testdb.sh). Pass a directory to keep the data: scripts/demo.sh ./demo-data
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

echo; echo "--- Rotation: a real PostgreSQL user's password, through libpq ---"
export LOCKSTEP_TESTDB_DIR="$(mktemp -d /tmp/lockstep-demo-db.XXXXXX)"
trap 'scripts/testdb.sh stop postgres >/dev/null 2>&1 || true' EXIT
if scripts/testdb.sh start postgres >/dev/null; then
    eval "$(scripts/testdb.sh env)"
    pg() { PGPASSWORD="$2" psql -h 127.0.0.1 -p "$LOCKSTEP_TEST_POSTGRES_PORT" -U "$1" -d postgres -tAc "$3" 2>&1 | head -1; }
    pg "$LOCKSTEP_TEST_POSTGRES_USER" "$LOCKSTEP_TEST_POSTGRES_PASSWORD" "CREATE ROLE demo_app LOGIN PASSWORD 'initial-password'" >/dev/null
    # "ssl": true: TLS with the server's certificate verified, here against the throwaway server's own CA.
    step create-secret --name demo/pg --query Name --output text --secret-string \
        '{"engine":"postgres","host":"localhost","port":'"$LOCKSTEP_TEST_POSTGRES_PORT"',"username":"demo_app","password":"initial-password","dbname":"postgres","ssl":true}'
    step rotate --secret-id demo/pg --rotation-lambda-arn postgres-single-user --rotation-rules AutomaticallyAfterDays=30 \
        --database-ca-file "$LOCKSTEP_TEST_POSTGRES_CA"
    step describe-secret --secret-id demo/pg --query VersionIdsToStages
    new_password="$("$lockstep" get-secret-value --secret-id demo/pg --query SecretString --output text | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])')"
    echo; echo "login with the new password (AWSCURRENT): $(pg demo_app "$new_password" 'SELECT current_user')"
    echo "login with the old password:               $(pg demo_app initial-password 'SELECT current_user')"
    step rotation status --secret-id demo/pg
else
    echo "(could not start a throwaway PostgreSQL here: skipping the rotation part)"
fi
echo; echo "Data directory: $LOCKSTEP_DATA_DIR (only ciphertext on disk; root key in root.key, mode 0600)"

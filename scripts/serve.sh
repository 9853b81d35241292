#!/usr/bin/env bash
# Builds Lockstep and serves the AWS Secrets Manager API on http://127.0.0.1:8088 from ./lockstep-data (SQLite).
# On the first start it creates an administrator access key and prints it as `export` lines to paste.
#   scripts/serve.sh [extra `lockstep serve` options, e.g. --listen 127.0.0.1:9000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product lockstep
data="${LOCKSTEP_DATA_DIR:-$PWD/lockstep-data}"
cat <<HINT

Then, in another shell (after the export lines printed below on the first start):
  export AWS_DEFAULT_REGION=us-east-1
  aws secretsmanager create-secret --endpoint-url http://127.0.0.1:8088 --name demo/db --secret-string '{"username":"app","password":"s3cr3t"}'
  aws secretsmanager get-secret-value --endpoint-url http://127.0.0.1:8088 --secret-id demo/db --query SecretString --output text

HINT
exec "$(swift build -c release --show-bin-path)/lockstep" serve --data-dir "$data" "$@"

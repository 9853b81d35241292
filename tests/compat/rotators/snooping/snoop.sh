# Run as `sh snoop.sh`. The step's credentials may act only on the secret being rotated (and its masterarn):
# reading any other secret must be refused. Prints AccessDeniedException on stderr when it is, and fails the step.
event="$(cat)"
secret_id="$(printf '%s' "$event" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretId"])')"
other="$(aws secretsmanager get-secret-value --secret-id "$secret_id" --query SecretString --output text \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["other"])')" || { echo "could not read my own secret" >&2; exit 3; }
if aws secretsmanager get-secret-value --secret-id "$other" >/dev/null 2>err.txt; then
  echo "read a secret outside my scope" >&2; exit 2
fi
grep -o AccessDeniedException err.txt >&2; rm -f err.txt
exit 1

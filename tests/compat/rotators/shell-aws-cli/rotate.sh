#!/bin/sh
# A rotation function in sh: the Lambda event on stdin, the aws CLI against $SECRETS_MANAGER_ENDPOINT.
set -eu
event=$(cat)
field() { printf '%s' "$event" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
step=$(field Step)
arn=$(field SecretId)
token=$(field ClientRequestToken)
sm() { aws secretsmanager --endpoint-url "$SECRETS_MANAGER_ENDPOINT" --output text "$@"; }
current=$(sm get-secret-value --secret-id "$arn" --version-stage AWSCURRENT --query SecretString)
trace=$(printf '%s' "$current" | sed -n 's/.*"trace": *"\([^"]*\)".*/\1/p')
printf '%s\n' "$step" >> "$trace"
if [ "$step" = createSecret ]; then
    env | cut -d= -f1 | sort > "$trace.env"   # The test checks the environment is the clean one.
    printf '%s\n' "$HOME" > "$trace.home"
fi
case "$step" in
createSecret)
    if ! sm get-secret-value --secret-id "$arn" --version-id "$token" --version-stage AWSPENDING >/dev/null 2>&1; then
        password=$(sm get-random-password --exclude-punctuation --password-length 24 --query RandomPassword)
        value=$(printf '%s' "$current" | sed "s/\"password\": *\"[^\"]*\"/\"password\": \"$password\"/")
        sm put-secret-value --secret-id "$arn" --client-request-token "$token" --secret-string "$value" --version-stages AWSPENDING >/dev/null
    fi ;;
setSecret) ;;
testSecret)
    sm get-secret-value --secret-id "$arn" --version-id "$token" --version-stage AWSPENDING --query SecretString | grep -q '"password"' ;;
finishSecret)
    old=$(sm describe-secret --secret-id "$arn" --output json | python3 -c 'import json,sys; print(next(v for v, s in json.load(sys.stdin)["VersionIdsToStages"].items() if "AWSCURRENT" in s))')
    if [ "$old" != "$token" ]; then
        sm update-secret-version-stage --secret-id "$arn" --version-stage AWSCURRENT --move-to-version-id "$token" --remove-from-version-id "$old" >/dev/null
    fi ;;
*) echo "unknown step $step" >&2; exit 1 ;;
esac

#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers on loopback for tests and local trials: no Docker, data in a temporary
# directory, detached so they outlive this script. Works as root (the servers then run as an unprivileged user)
# or as a normal user.
#
#   scripts/testdb.sh start [postgres|mariadb]   start (both by default); installs missing Debian packages
#   scripts/testdb.sh stop  [postgres|mariadb]   stop and delete the data
#   scripts/testdb.sh env                        print `export` lines for the running servers
#
# The environment it prints (tests read these):
#   LOCKSTEP_TEST_POSTGRES_HOST/_PORT/_USER/_PASSWORD  a superuser that logs in over TCP with SCRAM
#   LOCKSTEP_TEST_POSTGRES_LOG                         the server log (log_statement=all)
#   LOCKSTEP_TEST_MARIADB_HOST/_PORT/_USER/_PASSWORD   an all-privileges user that logs in over TCP
#   LOCKSTEP_TEST_MARIADB_LOG                          the general query log
# State lives in $LOCKSTEP_TESTDB_DIR (default /tmp/lockstep-testdb).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export LOCKSTEP_TESTDB_DIR="${LOCKSTEP_TESTDB_DIR:-/tmp/lockstep-testdb}"
mkdir -p "$LOCKSTEP_TESTDB_DIR"
chmod 755 "$LOCKSTEP_TESTDB_DIR"
# shellcheck source=db/certificates.sh
source "$here/db/certificates.sh"
# shellcheck source=db/postgres.sh
source "$here/db/postgres.sh"
# shellcheck source=db/mariadb.sh
source "$here/db/mariadb.sh"

command="${1:-}"
engines=("${@:2}")
((${#engines[@]})) || engines=(postgres mariadb)
case "$command" in
    start) for engine in "${engines[@]}"; do "start_$engine"; done; for engine in "${engines[@]}"; do "env_$engine"; done ;;
    stop) for engine in "${engines[@]}"; do "stop_$engine"; done ;;
    env) for engine in postgres mariadb; do "env_$engine"; done ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The whole test suite. This is the README's test command and what .ci/run calls.
#  1. Throwaway PostgreSQL 15 and MariaDB servers on loopback (scripts/testdb.sh installs what is missing and starts
#     them; they are stopped again at the end).
#  2. Swift tests: unit tests of every module, store tests on real SQLite files, service tests over the real store,
#     driver and rotation tests against the real databases (required: a missing database fails them), CLI tests
#     that run the built `lockstep` executable.
#  3. Compatibility tests: a real `lockstep serve` on a free loopback port driven by boto3, the aws CLI and raw
#     SigV4-signed HTTP (tests/compat, pytest), including rotations against the real databases; then again with
#     two `lockstep serve` nodes on one PostgreSQL store (LOCKSTEP_TEST_STORE=postgres).
#  4. Security tests (tests/security, pytest): a strict-mode `lockstep serve` attacked with raw signed requests
#     (control characters in every member, replication across regions, probing, forged headers, idle connections,
#     missing root keys), each refusal checked against a sentinel secret that must read the same afterwards.
#  5. Crash tests (tests/crash, pytest): every fault point x {PostgreSQL, MariaDB} x {single user, alternating users}
#     x {kill, fail} against a real `lockstep serve` (debug build: fault points are compiled in) and the real
#     databases; the takeover matrix (each fault point of a PostgreSQL rotation, the node running it SIGKILLed and
#     another node on the same PostgreSQL store completing it); store durability under SIGKILL, and a database outage
#     longer than the retries.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

export LOCKSTEP_TESTDB_DIR="${LOCKSTEP_TESTDB_DIR:-$(mktemp -d /tmp/lockstep-testdb.XXXXXX)}"
trap 'scripts/testdb.sh stop >/dev/null 2>&1 || true' EXIT
scripts/testdb.sh start >/dev/null
eval "$(scripts/testdb.sh env)"
export LOCKSTEP_REQUIRE_DATABASES=1

swift build --build-tests
swift test --skip-build

python3 -c "import boto3, botocore, pytest, requests" 2>/dev/null || python3 -m pip install -q boto3 botocore pytest requests
command -v aws >/dev/null || python3 -m pip install -q awscli
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" python3 -m pytest -q tests/compat
# The same suite once more against two nodes on one PostgreSQL database, clients taking turns between them (the
# tests that read SQLite's files are skipped there).
LOCKSTEP_TEST_STORE=postgres LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" python3 -m pytest -q tests/compat
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" python3 -m pytest -q tests/security
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" python3 -m pytest -q tests/crash

#!/usr/bin/env bash
# The whole test suite. This is the README's test command and what .ci/run calls.
#  1. Swift tests: unit tests of every module, store tests on real SQLite files, service tests over the real store,
#     CLI tests that run the built `lockstep` executable.
#  2. Compatibility tests: a real `lockstep serve` on a free loopback port driven by boto3, the aws CLI and raw
#     SigV4-signed HTTP (tests/compat, pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build

python3 -c "import boto3, botocore, pytest, requests" 2>/dev/null || python3 -m pip install -q boto3 botocore pytest requests
command -v aws >/dev/null || python3 -m pip install -q awscli
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" python3 -m pytest -q tests/compat

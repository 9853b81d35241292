#!/usr/bin/env bash
# The whole test suite: unit tests of every module, store tests on real SQLite files, and CLI tests that run the
# built `lockstep` executable. This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build

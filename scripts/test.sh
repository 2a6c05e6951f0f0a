#!/usr/bin/env bash
# The whole test suite: Swift unit and API tests, then the end-to-end suite that runs the real
# gatehouse binary against a real OAuth 2.0 server (django-oauth-toolkit) with the real arcadepy,
# then schemathesis against the live binary and its OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== swift format lint"
swift format lint --strict --recursive Sources Tests Examples Package.swift

echo "== swift build --build-tests"
swift build --build-tests

# The Store contract runs on SQLite and on a real PostgreSQL server started here.
source scripts/postgres.sh

echo "== swift test"
swift test --skip-build

echo "== end-to-end"
GATEHOUSE_BIN="$(swift build --show-bin-path)/gatehouse" bash scripts/e2e.sh

echo "== fuzzing the API against its OpenAPI document (schemathesis)"
GATEHOUSE_BIN="$(swift build --show-bin-path)/gatehouse" bash scripts/fuzz.sh

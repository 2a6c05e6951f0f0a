#!/usr/bin/env bash
# Benchmarks of the PostgreSQL store (not a test; figures are printed, nothing is asserted):
#   1. hot authorize (a user already connected) on PostgreSQL vs SQLite, one replica each,
#      measured side by side in one run with wrk;
#   2. callback on one replica -> long-poll parked on another answers (p50/p99 over FLOWS flows).
# Needs wrk (apt-get install wrk) and the e2e virtualenv (bash scripts/e2e.sh makes it).
# GATEHOUSE_BIN picks the binary (default: the debug build); DURATION and FLOWS tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -x .venv-e2e/bin/python ] || { echo "bench: run bash scripts/e2e.sh once first (it makes .venv-e2e)" >&2; exit 1; }
export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$(swift build --show-bin-path)/gatehouse}"
source scripts/postgres.sh
exec .venv-e2e/bin/python scripts/bench_replicas.py

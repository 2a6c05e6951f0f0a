#!/usr/bin/env bash
# The hot-path benchmark suite: release builds of gatehouse and of the bare Hummingbird endpoint
# (Benchmarks/Baseline), a loopback provider, and every figure of docs/performance.md printed as
# a ratio or a count against its target. Figures, not tests: nothing here fails a build.
#   bash Benchmarks/run.sh                 # everything (about 3 minutes after the build)
#   DURATION=5s LARGE=100000 bash Benchmarks/run.sh
#   bash Benchmarks/run.sh --profile       # perf record of the hot path instead (needs linux-perf)
#   DYNAMIC=1 bash Benchmarks/run.sh       # the Swift libraries linked as shared libraries
# Needs wrk (installed from Debian's packages when run as root) and python3 (standard library).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "bench: needs wrk (apt-get install wrk)" >&2
    exit 1
  fi
fi
# Both built the way docs/operations.md says to build Gatehouse for production: release, with
# the Swift runtime and Foundation linked in (--static-swift-stdlib). DYNAMIC=1 links them as
# shared libraries instead, for a comparison.
flags=(-c release)
[ "${DYNAMIC:-0}" = 1 ] || flags+=(--static-swift-stdlib)
echo "== release build (${flags[*]})"
swift build "${flags[@]}" --product gatehouse
swift build "${flags[@]}" --product gatehouse-baseline
bin="$(swift build "${flags[@]}" --show-bin-path)"
# 10,000 parked long-polls are 10,000 sockets on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
GATEHOUSE_BIN="$bin/gatehouse" BASELINE_BIN="$bin/gatehouse-baseline" exec python3 Benchmarks/bench.py "$@"

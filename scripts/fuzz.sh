#!/usr/bin/env bash
# Fuzzes the live binary with schemathesis against its own OpenAPI document: every route, with a
# valid admin key, a bounded number of examples per operation. Fails on any server error and on
# any response that breaks the document (status, content type or body). Runs in the e2e
# virtualenv (scripts/e2e.sh makes it) against a gatehouse of its own on a fresh data directory.
# A `status?wait` on a real flow id parks for up to 59 s, hence the 65 s request timeout.
#   FUZZ_EXAMPLES=100 bash scripts/fuzz.sh      # more examples per operation (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${GATEHOUSE_BIN:-$PWD/.build/debug/gatehouse}"
venv=.venv-e2e
[ -x "$venv/bin/schemathesis" ] || { echo "fuzz: run scripts/e2e.sh first (it makes $venv)" >&2; exit 1; }
work=$(mktemp -d)
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --host 127.0.0.1 --port "$port" --data-dir "$work/data" > "$work/out" 2> "$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
"$venv/bin/python" - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/health", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("fuzz: gatehouse did not start")
PY
key=$(grep -o 'arc_[A-Za-z0-9_-]*' "$work/out" | head -1)
status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/v1/openapi.json" -H "Authorization: Bearer $key" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${FUZZ_EXAMPLES:-25}" --seed "${FUZZ_SEED:-20261201}" --workers 2 \
  --request-timeout 65 || status=$?
if grep -q '"level":"error"\|level=error' "$work/log"; then
  echo "fuzz: the server logged errors:" >&2
  grep 'level=error' "$work/log" | head -20 >&2
  status=1
fi
exit $status

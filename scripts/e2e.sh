#!/usr/bin/env bash
# End-to-end suite: installs its Python dependencies into .venv-e2e/ (once per requirements
# change), then runs pytest against the gatehouse binary at $GATEHOUSE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$PWD/.build/debug/gatehouse}"
if [ ! -x "$GATEHOUSE_BIN" ]; then
  echo "e2e: no gatehouse binary at $GATEHOUSE_BIN (run swift build first)" >&2
  exit 1
fi

# The browser tests drive Debian's Chromium through its driver; a replica whose clock runs
# ahead runs under libfaketime.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v faketime >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Chromium, its driver and faketime from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver faketime >/dev/null
  else
    echo "e2e: the tests need Debian's chromium, chromium-driver and faketime packages" >&2
    exit 1
  fi
fi

venv=.venv-e2e
stamp="$venv/.requirements.sha256"
want=$(sha256sum Tests/E2E/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r Tests/E2E/requirements.txt
  echo "$want" > "$stamp"
fi

cd Tests/E2E
# Tests/E2E/pytest.ini holds the options every run uses.
exec "../../$venv/bin/python" -m pytest -q "$@"

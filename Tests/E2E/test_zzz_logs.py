"""Runs last (by name, after test_zz_openapi): what the whole session's log holds. One JSON line per request with its id,
and not one token, code, state, client secret or API key that the tests saw."""
import hashlib
import json
import time
import uuid

import requests

from conftest import GATEHOUSE_LOGS, OAUTH_SERVERS, SEEN_SECRETS


def json_lines(gatehouse):
    # The log file also has the banner `serve` prints on standard output; every log line is JSON.
    return [json.loads(line) for line in gatehouse.log.read_text().splitlines() if line.startswith("{")]


def test_each_request_is_one_json_line_with_the_callers_request_id(gatehouse):
    request_id = f"e2e-{uuid.uuid4().hex}"
    answer = requests.get(f"{gatehouse.base}/v1/health", headers={"X-Request-Id": request_id}, timeout=5)
    assert answer.headers["X-Request-Id"] == request_id
    made = requests.get(f"{gatehouse.base}/v1/health", timeout=5).headers["X-Request-Id"]
    # Request lines are written in batches, within about 200 ms.
    deadline = time.monotonic() + 5
    while True:
        lines = json_lines(gatehouse)
        mine = [line for line in lines if line.get("request_id") == request_id]
        if any(line.get("request_id") == made for line in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(mine) == 1, mine
    assert {k: mine[0][k] for k in ("msg", "method", "route", "status", "client")} == {
        "msg": "request", "method": "GET", "route": "/v1/health", "status": 200, "client": "127.0.0.1"}
    assert "key_id" not in mine[0], "no key was sent"
    # A request with a key names it by its public id (`gatehouse keys list`), never the key.
    keyed_id = f"e2e-{uuid.uuid4().hex}"
    requests.get(f"{gatehouse.base}/v1/auth/status?id=ac_none", timeout=5,
                 headers={"X-Request-Id": keyed_id, "Authorization": gatehouse.api_key})
    deadline = time.monotonic() + 5
    while not (keyed := [line for line in json_lines(gatehouse) if line.get("request_id") == keyed_id]):
        assert time.monotonic() < deadline, "the keyed request's line never came"
        time.sleep(0.05)
    assert keyed[0]["key_id"] == hashlib.sha256(gatehouse.api_key.encode()).hexdigest()[:12], keyed
    assert isinstance(mine[0]["duration_ms"], (int, float)) and mine[0]["level"] == "info"
    assert [line["request_id"] for line in lines if line.get("request_id") == made] == [made]
    requests_logged = [line for line in lines if line.get("msg") == "request"]
    assert len(requests_logged) > 50, "the session made many requests; each should be a line"
    assert all(line.get("request_id") for line in requests_logged)


def test_the_whole_log_holds_no_admin_or_root_key(gatehouse):
    log = gatehouse.log.read_text()
    # The admin key is printed once, on the first start, for the operator to copy; never logged.
    assert log.count(gatehouse.api_key) == 1
    root_key = (gatehouse.data / "root.key").read_text().strip()
    assert root_key and root_key not in log


def test_no_log_of_any_gatehouse_holds_a_token_code_or_client_secret(gatehouse, dot, dot_short):
    """Every Gatehouse the session started (the shared one, those with a config file of their own,
    the PostgreSQL replicas), against every token any OAuth server handed out (rotated and revoked
    ones too), each server's client secret, and every code and state carried to a callback."""
    secrets = set(SEEN_SECRETS)
    for server in OAUTH_SERVERS:
        secrets.update(server.issued_tokens())
        secrets.add(server.client_secret)
    # The record of what was issued holds what the providers still store, and more (rotation
    # deletes the old access tokens there).
    for server in (dot, dot_short):
        assert set(sum(server.stored_tokens(), [])) <= set(server.issued_tokens())
    assert SEEN_SECRETS and dot.issued_tokens(), "the session should have made grants to look for"
    logs = sorted(path for path in GATEHOUSE_LOGS if path.exists())
    assert gatehouse.log in logs, logs
    for path in logs:
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, f"a secret of {len(secret)} characters is in {path.name}"

"""Replicas whose clocks disagree. A refresh lease is written by one replica and read by the
others: measured on each replica's own clock, a replica whose clock runs ahead by two thirds of
a lease finds a held lease lapsed and refreshes with the refresh token the holder is using,
which a provider that rotates refresh tokens (this one does) refuses, and the user must consent
again. Gatehouse measures leases on the database's clock; replica B here runs five seconds
ahead (libfaketime, Debian's faketime package), more than the whole 3 s lease."""
import glob
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import requests

from conftest import OAuthServer, stop
from test_postgres import (Replica, callback_held_at_the_code_exchange, consent_until_redirect, database,  # noqa: F401
                           pytestmark)

CONFIG = """
auth:
  refresh_lease: 3s
  refresh_sweep: { enabled: false }
  user_verification: { unsafe_skip_verification: true }
security:
  allowed_provider_networks: [127.0.0.0/8]
"""


def clock_ahead(seconds):
    """The environment that runs a process with its wall clock `seconds` ahead (its monotonic
    clock, which timers use, left alone), and the launcher to start it with: env(1), which
    execs in the same process. Started under libfaketime directly, a Swift program here saw no
    command-line arguments at all; libfaketime's first load in a process sets FAKETIME_SHARED,
    and with it already set, as after env's exec, the arguments arrive."""
    [library] = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    return {"LD_PRELOAD": library, "FAKETIME": f"+{seconds}s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}, ["/usr/bin/env"]


def test_a_replica_whose_clock_runs_ahead_waits_for_a_lease_another_holds(workdir, database, user_id):
    a = Replica(workdir, "clock-a", database, config=CONFIG)
    ahead, launcher = clock_ahead(5)
    b = Replica(workdir, "clock-b", database, public_url=a.base, config=CONFIG, env=ahead, launcher=launcher)
    delay = workdir / "clock-refresh-delay"
    delay.write_text("0")
    # Tokens live 20 s: A finds one stale after 10 s, B (5 s ahead) after 5 s.
    oauth = OAuthServer(workdir, "clock", 20, f"{a.base}/v1/oauth/clock/callback", refresh_answer_delay_file=delay)
    try:
        said = parsedate_to_datetime(requests.get(f"{b.base}/v1/health", timeout=5).headers["Date"]).timestamp()
        assert said - time.time() > 3, "replica B's clock is not ahead: is libfaketime working?"
        key = a.admin_key()
        a.client(key).admin.auth_providers.create(**oauth.provider_definition("clock"))
        started = a.client(key).auth.start(user_id=user_id, provider="clock", scopes=["read"])
        browser = requests.Session()
        assert browser.get(consent_until_redirect(browser, started.url), timeout=30, allow_redirects=False).status_code == 200
        time.sleep(10.5)  # stale on A's clock too
        delay.write_text("2")  # the provider holds its refresh answer while A holds the lease
        issued, _ = oauth.stored_tokens()
        before = oauth.stats()["refresh_token_grants"]
        body = {"auth_requirement": {"provider_id": "clock", "oauth2": {"scopes": ["read"]}}, "user_id": user_id}

        def authorize(replica):
            answer = requests.post(f"{replica.base}/v1/auth/authorize", json=body, headers={"Authorization": key}, timeout=30)
            return answer.status_code, answer.json()

        with ThreadPoolExecutor(2) as pool:
            on_a = pool.submit(authorize, a)
            deadline = time.monotonic() + 10
            while set(oauth.stored_tokens()[0]) == set(issued):
                assert time.monotonic() < deadline, "replica A never refreshed"
                time.sleep(0.05)
            # A's refresh is at the provider, which has rotated the refresh token; now B.
            on_b = pool.submit(authorize, b)
            (status_a, answer_a), (status_b, answer_b) = on_a.result(timeout=30), on_b.result(timeout=30)
        refreshes = oauth.stats()["refresh_token_grants"] - before
        print(f"B, 5 s ahead, during A's refresh: {refreshes} refresh(es) at the provider; B answered {status_b} "
              f"{answer_b.get('status') or answer_b.get('message')}")
        assert status_a == 200 and answer_a["status"] == "completed", answer_a
        assert status_b == 200 and answer_b["status"] == "completed", answer_b
        assert answer_b["context"]["token"] == answer_a["context"]["token"]
        assert refreshes == 1
        # The rotated refresh token was kept: the grant refreshes again.
        delay.write_text("0")
        time.sleep(10.5)
        status, again = authorize(a)
        assert status == 200 and again["status"] == "completed" and again["context"]["token"] != answer_a["context"]["token"]
        assert oauth.stats()["refresh_token_grants"] - before == 2
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)


def test_a_replica_whose_clock_runs_ahead_does_not_take_a_callback_at_work_for_one_that_stopped(
        workdir, database, user_id):
    """Replica B runs two minutes ahead, more than the 90 s after which a callback whose replica
    no longer beats is said unfinished. A takes the state and waits on the code exchange: B
    must still say pending, measuring A's heartbeat and the state's use on the database's clock."""
    a = Replica(workdir, "taking-a", database, config=CONFIG)
    ahead, launcher = clock_ahead(120)
    b = Replica(workdir, "ahead-b", database, public_url=a.base, config=CONFIG, env=ahead, launcher=launcher)
    try:
        said = parsedate_to_datetime(requests.get(f"{b.base}/v1/health", timeout=5).headers["Date"]).timestamp()
        assert said - time.time() > 100, "replica B's clock is not ahead: is libfaketime working?"
        with callback_held_at_the_code_exchange(a, user_id, "held") as (pending, link, headers):
            status = requests.get(f"{b.base}/v1/auth/status?id={pending['id']}", headers=headers, timeout=10).json()
            assert status["status"] == "pending", status
            page = requests.get(b.base + link, timeout=10)
            assert page.status_code == 200 and "Still connecting" in page.text, page.text
    finally:
        stop(a.process)
        stop(b.process)

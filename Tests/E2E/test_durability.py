"""A restart keeps connections and the API key; nothing secret is stored in the clear; a crash in
the middle of a callback leaves a record of it."""
import http.client
import json
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import (GATEHOUSE_BIN, ConfiguredGatehouse, consent, lock_database_until_logged, provider_and_gatehouse,
                      query, stop)


def test_restart_keeps_the_connection_and_the_key(gatehouse, dot, user_id):
    client = gatehouse.client()
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(r.url, "alice")
    token = client.auth.wait_for_completion(r).context.token

    gatehouse.restart()
    assert gatehouse.log.read_text().count("export ARCADE_API_KEY=") == 1, "the key is printed on the first start only"
    again = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    assert again.status == "completed"
    assert again.context.token == token


def test_the_database_holds_no_plaintext_token_or_secret(gatehouse, dot, user_id):
    client = gatehouse.client()
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(r.url, "bob")
    client.auth.wait_for_completion(r)
    access, refresh = dot.stored_tokens()
    assert access and refresh
    blobs = b"".join(path.read_bytes() for path in gatehouse.data.glob("gatehouse.sqlite*"))
    assert len(blobs) > 0
    for secret in access + refresh + [dot.client_secret]:
        assert secret.encode() not in blobs
    log = gatehouse.log.read_bytes()
    for secret in access + refresh + [dot.client_secret]:
        assert secret.encode() not in log
    key_file = gatehouse.data / "root.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_shutdown_answers_parked_long_polls(gatehouse, dot, user_id):
    import threading
    import time

    r = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    result = {}

    def poll():
        result["response"] = gatehouse.client().auth.status(id=r.id, wait=45)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    logged = gatehouse.log.stat().st_size
    gatehouse.stop()
    stopped_after = time.monotonic() - started
    thread.join(timeout=10)
    # The stop is said at the level an operator runs (info), where it used to say nothing.
    said = [json.loads(line) for line in gatehouse.log.read_text()[logged:].splitlines() if line.startswith("{")]
    assert [line["msg"] for line in said if line["level"] == "notice"][-2:] == [
        "stopping: parked waits are answered now, and requests in flight are finished first", "stopped"], said
    gatehouse.start()
    assert result["response"].status == "pending"
    assert stopped_after < 10, f"shutdown waited {stopped_after:.1f}s for a parked request"


def test_a_shutdown_delay_turns_readiness_off_and_keeps_serving_until_it_ends(workdir):
    """`api.shutdown_delay`: from SIGTERM on, readiness answers 503 while the server still serves
    every request (a load balancer acts on readiness only at its next probe); then it stops."""
    server = ConfiguredGatehouse(
        workdir, "draining", "api: { shutdown_delay: 3s }\nauth: { user_verification: { unsafe_skip_verification: true } }\n")
    key = {"Authorization": server.api_key}
    assert requests.get(f"{server.base}/v1/health/ready", timeout=5).status_code == 200
    # A client's kept connection, opened before the signal: its next answer ends it.
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    kept.request("GET", "/v1/health")
    before = kept.getresponse()
    assert before.read() and before.getheader("Connection") is None
    signalled = time.monotonic()
    server.process.terminate()
    # Once the stop has begun (readiness says so), on a connection of its own.
    deadline = time.monotonic() + 2
    while requests.get(f"{server.base}/v1/health/ready", timeout=5).status_code != 503:
        assert time.monotonic() < deadline, "readiness never said the server is stopping"
        time.sleep(0.05)
    kept.request("GET", "/v1/health")
    after = kept.getresponse()
    assert after.status == 200 and after.getheader("Connection") == "close"
    after.read()
    assert kept.sock is None, "http.client closes a connection its answer ended"
    seen = []
    while time.monotonic() - signalled < 2.2:
        ready = requests.get(f"{server.base}/v1/health/ready", timeout=5)
        assert ready.status_code == 503, ready.text
        assert ready.json() == {"healthy": False, "reason": "the server is shutting down"}
        # New connections are taken and served, with a key and without.
        with requests.Session() as fresh:
            assert fresh.get(f"{server.base}/v1/health", timeout=5).json() == {"healthy": True}
            assert fresh.get(f"{server.base}/v1/auth/status?id=ac_none", headers=key, timeout=5).status_code == 404
        seen.append(time.monotonic() - signalled)
        time.sleep(0.2)
    assert server.process.poll() is None, "stopped before its delay ran out"
    assert server.process.wait(timeout=15) == 0
    stopped = time.monotonic() - signalled
    assert 3 <= stopped < 10, stopped
    assert len(seen) >= 5, seen
    log = server.log.read_text()
    assert ("stopping in 3 s (api.shutdown_delay): readiness answers 503 meanwhile, and requests are still served; "
            "a second signal stops now") in log
    assert log.index("stopping in 3 s") < log.index("stopping: parked waits are answered now") < log.index("stopped")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base}/v1/health", timeout=2)


def test_a_second_signal_ends_the_shutdown_delay(workdir):
    # The same stop delivered twice (a wrapper forwarding it to a process group that got it too)
    # changes nothing: within a second of the first. The repeat waits for the first's line (sent
    # before the first was handled, the kernel would merge the two); on a busy machine that line
    # may come too late for the window, so a fresh server tries again.
    for attempt in range(3):
        server = ConfiguredGatehouse(
            workdir, f"impatient-{attempt}",
            "api: { shutdown_delay: 60s }\nauth: { user_verification: { unsafe_skip_verification: true } }\n")
        server.process.terminate()
        first = time.monotonic()
        deadline = first + 10
        while "stopping in 60 s" not in server.log.read_text():
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.05)
        if time.monotonic() - first < 0.7:
            break
        server.process.kill()
        server.process.wait(timeout=10)
    else:
        pytest.fail("three times the first signal took 0.7 s to be said: the repeat could not be sent within its second")
    server.process.terminate()
    time.sleep(1.5)
    assert server.process.poll() is None, "a signal repeated at once ended the pause"
    assert requests.get(f"{server.base}/v1/health/ready", timeout=5).status_code == 503
    signalled = time.monotonic()
    server.process.terminate()
    assert server.process.wait(timeout=15) == 0
    assert time.monotonic() - signalled < 5
    log = server.log.read_text()
    assert "a second signal (SIGTERM): stopping now, before api.shutdown_delay ran out" in log, log
    assert log.index("a second signal") < log.index("stopping: parked waits are answered now") < log.index("stopped")


def test_a_crash_during_the_code_exchange_leaves_the_used_state_on_record(gatehouse, dot, user_id):
    """The process is killed while the callback waits on the provider's token endpoint. After the
    restart the flow's state is spent, with the time it was used: what fails the flow five minutes
    later instead of at its expiry (InterruptedCallbackTests runs the five minutes on a clock)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(20)
        definition = dot.provider_definition("silent")
        definition["oauth2"]["token_request"]["endpoint"] = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
        client = gatehouse.client()
        client.admin.auth_providers.create(**definition)
        r = client.auth.start(user_id=user_id, provider="silent", scopes=["read"])
        state = query(r.url)["state"]

        def browser_returns():
            try:
                requests.get(f"{gatehouse.base}/v1/oauth/silent/callback?code=c1&state={state}", timeout=30)
            except requests.RequestException:
                pass  # the server is killed under it

        before = time.time()
        threading.Thread(target=browser_returns, daemon=True).start()
        exchange, _ = silent.accept()  # the code exchange reached the provider, and waits
        gatehouse.process.kill()
        gatehouse.process.wait(timeout=10)
        exchange.close()
    gatehouse.start()
    with sqlite3.connect(gatehouse.data / "gatehouse.sqlite") as db:
        status, used, used_at = db.execute(
            "SELECT status, state_used, state_used_at FROM flows WHERE id = ?", (r.id,)).fetchone()
    assert (status, used) == ("pending", 1)
    assert before - 1 <= used_at <= time.time()
    # No callback can be at work on the restarted server, the SQLite store's only one: the app
    # learns at once that the authorization failed, and why.
    failed = client.auth.status(id=r.id)
    assert failed.status == "failed" and "never finished" in failed.status_reason, failed
    # The state stays spent: the same redirect again does not run a second exchange, and says at
    # once that the sign-in did not finish, rather than asking the person to wait.
    again = requests.get(f"{gatehouse.base}/v1/oauth/silent/callback?code=c1&state={state}", timeout=10)
    assert again.status_code == 400 and "<h1>The sign-in didn&#39;t finish</h1>" in again.text, again.text
    assert "http-equiv" not in again.text


def test_a_callback_answered_while_the_database_is_locked_keeps_the_grant(workdir, user_id):
    """When the provider's answer to the code exchange arrives, another process holds the
    database file's write lock for longer than Gatehouse's own 5 s wait (a `gatehouse` command
    beside the server, a stalled disk). The code is spent, so Gatehouse tries the write again
    once the file is free, while the browser waits: the person sees the success page and the app
    gets the token, where before the grant was lost and the person had to consent again."""
    delay = workdir / "locked-code-delay"
    delay.write_text("3")  # the exchange's answer waits at the provider while the lock is taken
    server, gatehouse = provider_and_gatehouse(workdir, "lockedgrant", 3600, code_answer_delay_file=delay)
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.provider_definition("lockedgrant"))
        r = client.auth.start(user_id=user_id, provider="lockedgrant", scopes=["read"])
        with ThreadPoolExecutor(1) as pool:
            returning = pool.submit(consent, r.url, "alice")
            deadline = time.monotonic() + 20
            while server.stats()["authorization_code_grants"] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            lock_database_until_logged(gatehouse, "could not store a new grant; trying again")
            page = returning.result(timeout=60)
        assert page.status_code == 200 and "You connected lockedgrant" in page.text, page.text[:300]
        assert "stored the new grant" in gatehouse.log.read_text()
        done = client.auth.status(id=r.id)
        assert done.status == "completed"
        access, _ = server.stored_tokens()
        assert done.context.token in access
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_schema_whose_later_migrations_only_added_keeps_this_version_running(workdir):
    """A rollback, or an older replica restarted during a rollout: the real binary on a file whose
    newer migrations (simulated here as rows of `schema_migrations`) only added runs on it;
    one that needs a newer build stops the start, and `store copy` refuses such a source."""
    config = "auth:\n  user_verification: { unsafe_skip_verification: true }\n"
    server = ConfiguredGatehouse(workdir, "newer-schema", config)
    server.stop()
    path = server.data / "gatehouse.sqlite"
    with sqlite3.connect(path) as db:
        known, = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        db.execute("INSERT INTO schema_migrations VALUES (?, 0, ?)", (known + 1, known))
    server.start(config)
    try:
        assert "newer than this Gatehouse knows" in server.log.read_text()
        assert server.client().admin.auth_providers.list().total_count == 0
        copy = subprocess.run(
            [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{path}", "--to", f"sqlite:{workdir}/newer-copy.sqlite"],
            capture_output=True, text=True, timeout=60)
        assert copy.returncode == 2 and "copy with the Gatehouse that made it" in copy.stderr, copy.stderr
        # Beside it, the operator commands: migrate changes nothing and says so; re-encryption,
        # which would leave a newer build's sealed columns under the old key, is refused.
        migrate = json.loads(server.cli("migrate", "--json"))
        assert migrate == {"schema": "newer", "version": known + 1, "known": known}, migrate
        reencrypt = subprocess.run([GATEHOUSE_BIN, "reencrypt", "--config", str(server.config), "--data-dir",
                                    str(server.data)], capture_output=True, text=True, timeout=60)
        assert reencrypt.returncode != 0 and "re-encrypt with the Gatehouse that made it" in reencrypt.stderr
    finally:
        server.stop()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 0, ?)", (known + 2, known + 2))
    refused = subprocess.run([GATEHOUSE_BIN, "serve", "--config", str(server.config), "--port", str(server.port),
                              "--data-dir", str(server.data)], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert f"needs a Gatehouse that knows {known + 2} or more" in refused.stdout + refused.stderr


def test_a_grant_deleted_while_the_provider_is_down_is_revoked_once_it_is_back_restart_or_not(workdir, user_id):
    """A delete whose revocation the provider cannot take (django-oauth-toolkit answering 503)
    leaves the grant alive there only until the provider is back: the revocation waits in the
    database, through a restart of Gatehouse, and is tried again until the provider revokes it."""
    outage = workdir / "revocation-outage"
    outage.write_text("down")
    server, gatehouse = provider_and_gatehouse(
        workdir, "revokelater", 3600, auth="  revocation_retry: { interval: 1s }\n", revocation_outage_file=outage)
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.revoking_definition("revokelater"))
        r = client.auth.start(user_id=user_id, provider="revokelater", scopes=["read"])
        consent(r.url, "alice")
        token = client.auth.wait_for_completion(r).context.token
        _, [refresh] = server.stored_tokens()

        def works():
            return requests.get(
                f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200

        def tries():
            return gatehouse.log.read_text().count("the provider could not revoke its grant now; trying again")

        [connection] = client.admin.user_connections.list(user={"id": user_id}).items
        client.admin.user_connections.delete(connection.id)
        assert client.admin.user_connections.list(user={"id": user_id}).total_count == 0
        assert works() and tries() >= 1

        # Stopped and started again while the provider is still down: the revocation is still
        # owed, and the new process tries it.
        gatehouse.restart(gatehouse.config.read_text())
        before = tries()
        deadline = time.monotonic() + 20
        while tries() == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tries() > before and works()

        outage.unlink()
        revoked = "connection deleted and its grant revoked at the provider"
        # The waits double from 1 s (1, 2, 4, ... 32 s by about a minute after the delete): the
        # next try may be half a minute away on a loaded machine.
        deadline = time.monotonic() + 90
        while revoked not in gatehouse.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert revoked in gatehouse.log.read_text()
        assert not works()
        refreshed = requests.post(
            f"{server.base}/o/token/", data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=(server.client_id, server.client_secret), timeout=5)
        assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
        log = gatehouse.log.read_text()
        assert token not in log and refresh not in log
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_deleted_providers_grants_are_revoked_where_they_were_issued(workdir, user_id):
    """Deleting a provider deletes its users' connections and has their grants revoked at the
    provider as it was deleted (django-oauth-toolkit): a provider made at once under the same id
    and at the same server, with credentials the server refuses, changes nothing of that."""
    server, gatehouse = provider_and_gatehouse(
        workdir, "retiring", 3600, auth="  revocation_retry: { interval: 1s }\n")
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.revoking_definition("retiring"))
        tokens = []
        for user in (user_id, user_id + "-2"):
            r = client.auth.start(user_id=user, provider="retiring", scopes=["read"])
            consent(r.url, "alice")
            tokens.append(client.auth.wait_for_completion(r).context.token)
        _, refreshes = server.stored_tokens()
        assert len(refreshes) == 2

        def works(token):
            return requests.get(
                f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200

        assert all(works(token) for token in tokens)
        client.admin.auth_providers.delete("retiring")
        again = server.revoking_definition("retiring")
        again["oauth2"]["client_secret"] = "not-the-client-secret"
        client.admin.auth_providers.create(**again)
        assert client.admin.user_connections.list(provider={"id": "retiring"}).total_count == 0

        deadline = time.monotonic() + 30
        while any(works(token) for token in tokens) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(works(token) for token in tokens)
        for refresh in refreshes:
            refreshed = requests.post(
                f"{server.base}/o/token/", data={"grant_type": "refresh_token", "refresh_token": refresh},
                auth=(server.client_id, server.client_secret), timeout=5)
            assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
        # Lines at info are written within about 200 ms of the event.
        revoked = "connection deleted and its grant revoked at the provider"
        deadline = time.monotonic() + 5
        while gatehouse.log.read_text().count(revoked) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        log = gatehouse.log.read_text()
        assert log.count(revoked) == 2 and "retired_provider=rp_" in log
        assert "invalid_client" not in log
        assert not any(secret in log for secret in tokens + refreshes)
    finally:
        gatehouse.stop()
        stop(server.process)

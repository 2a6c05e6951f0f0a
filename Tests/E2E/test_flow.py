"""The main flow through the real arcadepy client, the real binary and a real OAuth server."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import GMAIL_SCOPE, OAuthServer, consent, query, stop


def test_pending_consent_wait_completed_and_token_works(client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read", GMAIL_SCOPE])
    assert r.status == "pending"
    assert r.id.startswith("ac_")
    params = query(r.url)
    assert r.url.startswith(f"{dot.base}/o/authorize/")
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43
    assert set(params["scope"].split(" ")) == {"read", GMAIL_SCOPE}

    page = consent(r.url, "alice")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    done = client.auth.wait_for_completion(r)
    assert done.status == "completed"
    assert done.id == r.id
    assert done.user_id == user_id and done.provider_id == "dot"
    assert done.context.user_info["username"] == "alice"
    # The provider's 64-bit id to the last digit (a double would end it in ...976 for every user).
    assert done.context.user_info["account"] == (1 << 60) + int(done.context.user_info["sub"])
    messages = requests.get(
        f"{dot.base}/gmail/v1/users/me/messages", headers={"Authorization": f"Bearer {done.context.token}"}, timeout=5)
    assert messages.status_code == 200
    assert [m["id"] for m in messages.json()["messages"]] == ["alice-m1", "alice-m2", "alice-m3"]

    again = client.auth.start(user_id=user_id, provider="dot", scopes=[GMAIL_SCOPE])
    assert again.status == "completed"
    assert again.id and again.context.token == done.context.token
    assert client.auth.wait_for_completion(again).context.token == done.context.token


def test_incremental_scopes_ask_for_the_union(client, dot, user_id):
    first = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(first.url, "bob")
    client.auth.wait_for_completion(first)

    second = client.auth.start(user_id=user_id, provider="dot", scopes=["write"])
    assert second.status == "pending"
    assert set(query(second.url)["scope"].split(" ")) == {"read", "write"}
    consent(second.url, "bob")
    done = client.auth.wait_for_completion(second)
    assert set(done.scopes) == {"read", "write"}

    page = client.admin.user_connections.list(user={"id": user_id})
    assert page.total_count == 1
    assert set(page.items[0].scopes) == {"read", "write"}
    assert client.auth.start(user_id=user_id, provider="dot", scopes=["read", "write"]).status == "completed"


def test_identical_concurrent_starts_share_one_flow(client, dot, user_id):
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: client.auth.start(user_id=user_id, provider="dot", scopes=["read"]), range(10)))
    assert {r.id for r in results} == {results[0].id}
    assert {r.url for r in results} == {results[0].url}


def test_deny_makes_the_flow_failed(client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    page = consent(r.url, "alice", allow=False)
    assert page.status_code == 400
    # The page speaks to the person, with a reference that finds the log line.
    assert "Access not granted" in page.text and "You chose not to give access" in page.text
    assert "access_denied" not in page.text
    assert f"<code>{page.headers['X-Request-Id']}</code>" in page.text
    failed = client.auth.status(id=r.id)
    assert failed.status == "failed"
    # Its URL is spent: a client that shows the URL of any status but completed shows none.
    assert failed.url is None
    # Why, in Gatehouse's own field, which arcadepy keeps as an extra attribute.
    assert failed.status_reason == "the user denied access"


def test_long_poll_times_out_with_200_pending_and_wakes_on_completion(client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    started = time.monotonic()
    polled = client.auth.status(id=r.id, wait=2)
    elapsed = time.monotonic() - started
    assert polled.status == "pending"
    assert 1.8 <= elapsed < 10

    result = {}

    def waiter():
        begun = time.monotonic()
        result["response"] = client.auth.status(id=r.id, wait=30)
        result["seconds"] = time.monotonic() - begun

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.5)
    consent(r.url, "alice")
    thread.join(timeout=40)
    assert result["response"].status == "completed"
    # Woken by the completion, not by the 30 s timer.
    assert result["seconds"] < 15


def test_a_deleted_connection_is_revoked_at_the_provider_when_its_template_says_how(client, gatehouse, workdir, user_id):
    """RFC 7009 at a real server: with `token_revocation_request`, deleting the connection ends
    the grant at django-oauth-toolkit (its refresh token, and with it the access token); the
    delete stands when the provider refuses."""
    server = OAuthServer(workdir, "revoking", 3600, gatehouse.redirect_uri("revoking"))
    try:
        created = client.admin.auth_providers.create(**server.revoking_definition("revoking"))
        # arcadepy does not know the extension: it keeps it as a plain dict.
        assert created.oauth2.token_revocation_request["endpoint"] == f"{server.base}/o/revoke_token/"

        def connect(user):
            r = client.auth.start(user_id=user, provider="revoking", scopes=["read"])
            consent(r.url, "alice")
            done = client.auth.wait_for_completion(r)
            [connection] = client.admin.user_connections.list(user={"id": user}).items
            return done.context.token, connection.id

        def works(token):
            return requests.get(
                f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200

        token, connection = connect(user_id)
        assert works(token)
        _, [refresh] = server.stored_tokens()
        client.admin.user_connections.delete(connection)
        assert not works(token)
        refreshed = requests.post(
            f"{server.base}/o/token/", data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=(server.client_id, server.client_secret), timeout=5)
        assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
        assert client.auth.start(user_id=user_id, provider="revoking", scopes=["read"]).status == "pending"

        # A provider that refuses the revocation for good (here: a request without `token`)
        # leaves the delete standing; the grant still works at the provider, and the log says so.
        # (A failure that may pass, a 5xx or a wrong path, is tried again: test_durability.py.)
        client.admin.auth_providers.patch(
            "revoking", oauth2={"token_revocation_request": {
                "endpoint": f"{server.base}/o/revoke_token/",
                "params": {"revoke": "{{token}}", "token_type_hint": "refresh_token"}}})
        other = user_id.replace("user-", "other-")
        token, connection = connect(other)
        logged = len(gatehouse.log.read_text())
        client.admin.user_connections.delete(connection)
        assert client.admin.user_connections.list(user={"id": other}).total_count == 0
        assert works(token)
        log = gatehouse.log.read_text()
        said = [line for line in log[logged:].splitlines() if "the provider did not revoke its grant" in line]
        assert len(said) == 1 and connection in said[0] and "invalid_request" in said[0], said
        assert token not in log
    finally:
        client.admin.auth_providers.delete("revoking")
        stop(server.process)


def test_deleted_connection_needs_a_new_flow(client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(r.url, "alice")
    client.auth.wait_for_completion(r)
    [connection] = client.admin.user_connections.list(user={"id": user_id}).items
    client.admin.user_connections.delete(connection.id)
    assert client.admin.user_connections.list(user={"id": user_id}).total_count == 0
    assert client.auth.start(user_id=user_id, provider="dot", scopes=["read"]).status == "pending"

"""Refresh against a real server whose access tokens live 6 seconds and whose refresh tokens rotate."""
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import consent, lock_database_until_logged, provider_and_gatehouse, stop


def authorize(client, server, user_id):
    r = client.auth.start(user_id=user_id, provider="dotshort", scopes=["read"])
    consent(r.url, "alice")
    return client.auth.wait_for_completion(r)


def works(server, token):
    return requests.get(f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200


def connected(server, gatehouse, name, user_id):
    """Registers the provider `name` and a consent as alice; returns the client and the first
    token."""
    client = gatehouse.client()
    client.admin.auth_providers.create(**server.provider_definition(name))
    r = client.auth.start(user_id=user_id, provider=name, scopes=["read"])
    consent(r.url, "alice")
    return client, client.auth.wait_for_completion(r).context.token


def test_a_stale_token_is_refreshed_on_read(client, dot_short, user_id):
    first = authorize(client, dot_short, user_id)
    before = dot_short.stats()["refresh_token_grants"]
    # Fresh for half its 6 s lifetime: read again at once, same token, no refresh.
    assert client.auth.start(user_id=user_id, provider="dotshort", scopes=["read"]).context.token == first.context.token
    time.sleep(3.5)
    second = client.auth.start(user_id=user_id, provider="dotshort", scopes=["read"])
    assert second.status == "completed"
    assert second.context.token != first.context.token
    assert works(dot_short, second.context.token)
    assert dot_short.stats()["refresh_token_grants"] == before + 1
    # status on a completed authorization hands out the current token too.
    assert client.auth.status(id=first.id).context.token == second.context.token


def test_fifty_concurrent_starts_on_an_expired_token_cause_one_refresh(client, dot_short, user_id):
    first = authorize(client, dot_short, user_id)
    time.sleep(6.5)
    assert not works(dot_short, first.context.token), "the provider should have expired the token"
    before = dot_short.stats()["refresh_token_grants"]
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(
            lambda _: client.auth.start(user_id=user_id, provider="dotshort", scopes=["read"]), range(50)))
    assert {r.status for r in results} == {"completed"}
    tokens = {r.context.token for r in results}
    assert len(tokens) == 1 and first.context.token not in tokens
    assert works(dot_short, tokens.pop())
    assert dot_short.stats()["refresh_token_grants"] == before + 1


def test_a_token_of_unknown_lifetime_is_refreshed_before_it_expires(workdir, user_id):
    """The provider leaves `expires_in` out; its tokens really live 10 s. Gatehouse assumes the
    configured default (8 s here; 30 minutes unless configured, or the template's own) and
    refreshes at 8 - 3 s, so the token it hands out still works when the first one has died."""
    server, gatehouse = provider_and_gatehouse(
        workdir, "noexpiry", 10, auth="  default_token_lifetime: 8\n  refresh_skew: 3\n", omit_expires_in=True)
    try:
        client, first = connected(server, gatehouse, "noexpiry", user_id)
        time.sleep(6)
        # Had the answer said 10 s, the refresh would come at 7 s: at 6 s the token is the first.
        second = client.auth.start(user_id=user_id, provider="noexpiry", scopes=["read"]).context.token
        assert second != first, "refreshed by the assumed lifetime"
        time.sleep(5)
        assert not works(server, first), "the provider's own lifetime ran out"
        assert works(server, second)
        assert server.stats()["refresh_token_grants"] == 1
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_refresh_goes_to_the_host_the_token_answer_named_when_the_template_allows_it(workdir, user_id):
    """Salesforce-style: the token answer names the org's host (`instance_url`), the template's
    refresh request takes its origin from it, and `connection_hosts` says where it may point.
    Narrow the hosts and the next refresh is not sent; the token is still handed out while it
    lives, then the caller gets 503 naming the rule."""
    server, gatehouse = provider_and_gatehouse(workdir, "instance", 6, answer_instance_url=True)
    try:
        client = gatehouse.client()
        definition = server.provider_definition("instance")
        oauth2 = definition["oauth2"]
        oauth2["token_request"]["response_map"]["user_info.instance_url"] = "$.instance_url"
        oauth2["refresh_request"]["endpoint"] = "{{user_info.instance_url}}/o/token/"
        oauth2["connection_hosts"] = ["127.0.0.1", "127.0.0.2"]
        client.admin.auth_providers.create(**definition)
        r = client.auth.start(user_id=user_id, provider="instance", scopes=["read"])
        consent(r.url, "alice")
        first = client.auth.wait_for_completion(r)
        assert first.context.user_info["instance_url"] == server.base
        time.sleep(3.5)
        second = client.auth.start(user_id=user_id, provider="instance", scopes=["read"])
        assert second.status == "completed" and second.context.token != first.context.token
        assert works(server, second.context.token)
        assert server.stats()["refresh_token_grants"] == 1

        # Hosts that no longer include the one the connection names: nothing goes there. (Narrowed:
        # a host the list did not name before is refused while there are connections.)
        changed = requests.patch(
            f"{gatehouse.base}/v1/admin/auth_providers/instance",
            json={"oauth2": {"connection_hosts": ["127.0.0.2"], "client_secret": server.client_secret}},
            headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=10)
        assert changed.status_code == 200, changed.text
        time.sleep(6.5)
        refused = requests.post(
            f"{gatehouse.base}/v1/auth/authorize",
            json={"user_id": user_id, "auth_requirement": {"provider_id": "instance", "oauth2": {"scopes": ["read"]}}},
            headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=10)
        assert refused.status_code == 503, refused.text
        assert "connection_hosts" in refused.json()["message"]
        assert server.stats()["refresh_token_grants"] == 1
    finally:
        gatehouse.stop()
        stop(server.process)


def raw_authorize(gatehouse, user_id, provider):
    return requests.post(
        f"{gatehouse.base}/v1/auth/authorize",
        json={"user_id": user_id, "auth_requirement": {"provider_id": provider, "oauth2": {"scopes": ["read"]}}},
        headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=10)


def patch_provider(gatehouse, provider, oauth2):
    changed = requests.patch(
        f"{gatehouse.base}/v1/admin/auth_providers/{provider}", json={"oauth2": oauth2},
        headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=10)
    assert changed.status_code == 200, changed.text


def connection_status(gatehouse, user_id):
    page = requests.get(
        f"{gatehouse.base}/v1/admin/user_connections", params={"user_id": user_id},
        headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=10).json()
    return [item["connection_status"] for item in page["items"]]


def test_a_refresh_refusing_the_client_keeps_the_grant_until_the_operator_fixes_it(workdir, user_id):
    """The client secret goes wrong (a rotation half done): the provider answers the refresh
    401 invalid_client. A new consent would fail the same way at the exchange, so the caller is
    told 503 with the reason (no Retry-After: waiting does not fix it) and the grant is kept; once
    the secret is right again, the next authorize after the backoff (1 s) refreshes, without the
    user."""
    server, gatehouse = provider_and_gatehouse(workdir, "creds", 6)
    try:
        client, first = connected(server, gatehouse, "creds", user_id)
        patch_provider(gatehouse, "creds", {"client_secret": "not-the-secret"})
        time.sleep(6.5)
        refused = raw_authorize(gatehouse, user_id, "creds")
        assert refused.status_code == 503, refused.text
        assert "invalid_client" in refused.json()["message"]
        assert "Retry-After" not in refused.headers
        assert connection_status(gatehouse, user_id) == ["active"]

        patch_provider(gatehouse, "creds", {"client_secret": server.client_secret})
        time.sleep(1.5)
        again = client.auth.start(user_id=user_id, provider="creds", scopes=["read"])
        assert again.status == "completed" and again.context.token != first
        assert works(server, again.context.token)
        assert server.stats()["authorization_code_grants"] == 1, "no new consent was needed"
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_refresh_refused_for_another_reason_asks_for_consent_and_the_new_grant_serves(workdir, user_id):
    """The refresh request asks for a scope the grant does not have (a template mistake): the
    provider answers 400 invalid_scope, which is not invalid_grant. Once the token has expired,
    authorize answers pending with a consent URL (arcade-api.md §5.5) rather than 503 for ever;
    the consent's grant then serves."""
    server, gatehouse = provider_and_gatehouse(workdir, "scoperefresh", 6)
    try:
        client, first = connected(server, gatehouse, "scoperefresh", user_id)
        patch_provider(gatehouse, "scoperefresh", {"refresh_request": {"params": {
            "grant_type": "refresh_token", "refresh_token": "{{refresh_token}}", "scope": "read write"}}})
        time.sleep(6.5)
        assert not works(server, first)
        pending = client.auth.start(user_id=user_id, provider="scoperefresh", scopes=["read"])
        assert pending.status == "pending" and pending.url
        assert server.stats()["refresh_token_grants"] == 1
        assert connection_status(gatehouse, user_id) == ["active"], "the old grant is kept until a consent replaces it"
        consent(pending.url, "alice")
        done = client.auth.wait_for_completion(pending)
        assert done.status == "completed" and works(server, done.context.token)
        assert server.stats()["authorization_code_grants"] == 2
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_token_without_refresh_token_or_lifetime_is_served_past_the_assumed_lifetime(workdir, user_id):
    """GitHub OAuth apps and Slack without rotation: the answer has neither `refresh_token` nor
    `expires_in`, and the template has a refresh request. The token does not expire, so it is
    served past the assumed lifetime (8 s here) rather than sending the user through consent."""
    server, gatehouse = provider_and_gatehouse(
        workdir, "norefresh", 3600, auth="  default_token_lifetime: 8\n  refresh_skew: 3\n", omit_expires_in=True,
        omit_refresh_token=True)
    try:
        client, first = connected(server, gatehouse, "norefresh", user_id)
        time.sleep(9)
        again = client.auth.start(user_id=user_id, provider="norefresh", scopes=["read"])
        assert again.status == "completed" and again.context.token == first
        assert works(server, again.context.token)
        assert server.stats()["refresh_token_grants"] == 0
        assert server.stats()["authorization_code_grants"] == 1
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_connection_deleted_during_its_refresh_hands_out_no_token_and_its_new_grant_is_revoked(workdir, user_id):
    """The provider has issued the refreshed tokens, but its answer is slow; meanwhile an admin
    deletes the connection, and the delete answers. The request that was waiting for the refresh
    gets a new authorization, not the old token (which has not expired), and the grant the
    provider renewed during the delete is revoked there too: no access token of it is left."""
    delay = workdir / "refresh-answer-delay"
    delay.write_text("0")
    # Tokens live 12 s, and are refreshed from half their lifetime.
    server, gatehouse = provider_and_gatehouse(workdir, "slowanswer", 12, refresh_answer_delay_file=delay)
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.revoking_definition("slowanswer"))
        r = client.auth.start(user_id=user_id, provider="slowanswer", scopes=["read"])
        consent(r.url, "alice")
        assert client.auth.wait_for_completion(r).status == "completed"
        [connection] = client.admin.user_connections.list(user={"id": user_id}).items
        time.sleep(6.5)  # stale, and 5.5 s before it expires: a failed refresh would hand it out
        delay.write_text("3")
        before = server.stats()["refresh_token_grants"]
        issued, _ = server.stored_tokens()
        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(lambda: client.auth.start(user_id=user_id, provider="slowanswer", scopes=["read"]))
            # The provider has issued the new tokens (and holds its answer) once its store has a
            # new access token.
            deadline = time.monotonic() + 10
            while set(server.stored_tokens()[0]) - set(issued) == set() and time.monotonic() < deadline:
                time.sleep(0.05)
            client.admin.user_connections.delete(connection.id)
            answer = reading.result(timeout=30)
        assert answer.status == "pending" and answer.url
        assert answer.context is None or not answer.context.token
        assert server.stats()["refresh_token_grants"] == before + 1
        access, _ = server.stored_tokens()
        assert access == [], "the refreshed grant's access token is still live at the provider"
        said = "connection deleted and its grant revoked at the provider"
        deadline = time.monotonic() + 10  # the log line may reach the file after the answer
        while f"{connection.id}.renewed" not in gatehouse.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = gatehouse.log.read_text()
        assert "a connection deleted during its refresh: revoking the grant the provider renewed" in log
        assert any(said in line and f"{connection.id}.renewed" in line for line in log.splitlines())
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_refresh_answered_while_the_database_is_locked_keeps_the_rotated_refresh_token(workdir, user_id):
    """The provider rotates refresh tokens, and when its refresh answer arrives another process
    holds the database file's write lock for longer than Gatehouse's own 5 s wait (a `gatehouse`
    command beside the server, a stalled disk). Gatehouse tries the write again once the file is
    free: the request gets the new token, and the next refresh works with the new refresh token,
    where the old one would be refused and the user asked to consent again."""
    delay = workdir / "locked-answer-delay"
    delay.write_text("0")
    server, gatehouse = provider_and_gatehouse(workdir, "lockedstore", 12, refresh_answer_delay_file=delay)
    try:
        client, first = connected(server, gatehouse, "lockedstore", user_id)
        time.sleep(6.5)  # stale: the next read refreshes
        delay.write_text("3")  # the answer waits at the provider while the lock is taken
        issued, _ = server.stored_tokens()
        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(lambda: client.auth.start(user_id=user_id, provider="lockedstore", scopes=["read"]))
            deadline = time.monotonic() + 10
            while set(server.stored_tokens()[0]) - set(issued) == set() and time.monotonic() < deadline:
                time.sleep(0.05)
            lock_database_until_logged(gatehouse, "could not store a refreshed token; trying again")
            answer = reading.result(timeout=60)
        assert answer.status == "completed" and answer.context.token != first
        assert works(server, answer.context.token)
        delay.write_text("0")
        time.sleep(6.5)
        again = client.auth.start(user_id=user_id, provider="lockedstore", scopes=["read"])
        assert again.status == "completed", "the rotated refresh token was lost"
        assert again.context.token != answer.context.token and works(server, again.context.token)
        assert server.stats()["refresh_token_grants"] == 2
    finally:
        gatehouse.stop()
        stop(server.process)

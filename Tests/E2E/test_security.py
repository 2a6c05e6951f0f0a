"""Replayed, tampered and mixed-up callbacks (RFC 9207 `iss`), and API authentication, as a browser and a client meet them."""
import html
import time

import pytest
import requests

from conftest import SEEN_SECRETS, OAuthServer, consent, provider_and_gatehouse, query, stop


def test_a_replayed_callback_changes_nothing_and_says_how_the_sign_in_ended(client, dot, user_id):
    """A reload of the success page: the code is not exchanged again, and the person reads that
    they are connected (it said the link had expired, and sent them to start again)."""
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    page = consent(r.url, "alice")
    token = client.auth.wait_for_completion(r).context.token
    grants = dot.stats()["authorization_code_grants"]
    replay = requests.get(page.url, timeout=10, allow_redirects=False)
    assert replay.status_code == 200
    assert replay.headers["Content-Type"].startswith("text/html")
    assert "You connected dot" in replay.text
    assert dot.stats()["authorization_code_grants"] == grants
    assert client.auth.start(user_id=user_id, provider="dot", scopes=["read"]).context.token == token


def test_tampered_state_is_refused(client, dot, gatehouse, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    state = query(r.url)["state"]
    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    page = requests.get(gatehouse.redirect_uri("dot"), params={"code": "x", "state": tampered}, timeout=5)
    assert page.status_code == 400
    assert client.auth.status(id=r.id).status == "pending"
    # The real state still works afterwards.
    consent(r.url, "alice")
    assert client.auth.wait_for_completion(r).status == "completed"


def test_callback_on_another_providers_path_is_refused(client, dot, dot_short, gatehouse, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    page = requests.get(gatehouse.redirect_uri("dotshort"), params={"code": "x", "state": query(r.url)["state"]}, timeout=5)
    assert page.status_code == 400
    assert client.auth.status(id=r.id).status == "failed"


@pytest.fixture(scope="module")
def dot_iss(workdir, gatehouse):
    """A django-oauth-toolkit whose redirect back carries `iss` (RFC 9207) from a file the test
    writes: provider `dotiss`."""
    iss = workdir / "dotiss-iss.txt"
    iss.write_text("")
    server = OAuthServer(workdir, "dotiss", 3600, gatehouse.redirect_uri("dotiss"), authorize_iss_file=iss)
    gatehouse.client().admin.auth_providers.create(**server.provider_definition("dotiss"))
    yield server, iss
    gatehouse.client().admin.auth_providers.delete("dotiss")
    stop(server.process)


def test_the_providers_own_iss_completes_and_another_servers_fails_the_flow_unexchanged(client, dot_iss, user_id):
    server, iss = dot_iss
    iss.write_text(server.issuer)
    r = client.auth.start(user_id=user_id, provider="dotiss", scopes=["read"])
    page = consent(r.url, "alice")
    assert query(page.url)["iss"] == server.issuer
    assert client.auth.wait_for_completion(r).status == "completed"

    # A mix-up: the redirect names another authorization server.
    iss.write_text("https://attacker.example")
    exchanged = server.stats()["authorization_code_grants"]
    other = client.auth.start(user_id=f"other-{user_id}", provider="dotiss", scopes=["read"])
    page = consent(other.url, "alice")
    assert page.status_code == 400 and "This link doesn't work" in html.unescape(page.text)
    assert client.auth.status(id=other.id).status == "failed"
    assert server.stats()["authorization_code_grants"] == exchanged
    assert client.admin.user_connections.list(user={"id": f"other-{user_id}"}).total_count == 0


def test_a_provider_that_names_its_issuer_needs_it_in_every_callback(client, dot_iss, gatehouse, user_id):
    server, iss = dot_iss
    url = f"{gatehouse.base}/v1/admin/auth_providers/dotiss"
    headers = {"Authorization": f"Bearer {gatehouse.api_key}"}
    assert requests.patch(url, json={"oauth2": {"issuer": server.issuer}}, headers=headers, timeout=5).status_code == 200
    try:
        iss.write_text("")
        r = client.auth.start(user_id=user_id, provider="dotiss", scopes=["read"])
        assert consent(r.url, "alice").status_code == 400
        assert client.auth.status(id=r.id).status == "failed"
        iss.write_text(server.issuer)
        again = client.auth.start(user_id=user_id, provider="dotiss", scopes=["read"])
        consent(again.url, "alice")
        assert client.auth.wait_for_completion(again).status == "completed"
    finally:
        cleared = requests.patch(url, json={"oauth2": {"issuer": None}}, headers=headers, timeout=5)
        assert cleared.status_code == 200 and "issuer" not in cleared.json()["oauth2"]


def test_api_needs_the_key_in_either_spelling(gatehouse):
    url = f"{gatehouse.base}/v1/admin/auth_providers"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert set(missing.json()) >= {"name", "message", "code", "error", "msg"}
    assert requests.get(url, headers={"Authorization": "arc_wrong"}, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": gatehouse.api_key}, timeout=5).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=5).status_code == 200
    assert requests.get(f"{gatehouse.base}/v1/health", timeout=5).json() == {"healthy": True}


def test_a_template_cannot_hand_out_the_refresh_token_through_the_scopes(workdir, user_id):
    """An admin key maps the refresh answer's refresh token into the granted scopes, which apps
    and the admin API read and the store keeps unsealed. The plain path is refused (400); a
    function that reads it all the same makes the refresh answer refused, not stored: no refresh
    token the provider issued ever shows in the connection's scopes or an authorize answer."""
    server, gatehouse = provider_and_gatehouse(workdir, "mapleak", 2)  # tokens stale within a second
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.provider_definition("mapleak"))
        r = client.auth.start(user_id=user_id, provider="mapleak", scopes=["read"])
        assert consent(r.url, "alice").status_code == 200
        assert client.auth.status(id=r.id).status == "completed"

        def patch_scope(path):
            return requests.patch(
                f"{gatehouse.base}/v1/admin/auth_providers/mapleak",
                json={"oauth2": {"refresh_request": {"response_map": {"scope": path}}}},
                headers={"Authorization": gatehouse.api_key}, timeout=5)

        refused = patch_scope("$.refresh_token")
        assert refused.status_code == 400, refused.text
        assert "response_map.scope may not read the answer's tokens" in refused.json()["message"]
        assert patch_scope("join('$.refresh_token', ' ')").status_code == 200

        time.sleep(2.5)
        answer = requests.post(
            f"{gatehouse.base}/v1/auth/authorize",
            json={"auth_requirement": {"provider_id": "mapleak", "oauth2": {"scopes": ["read"]}}, "user_id": user_id},
            headers={"Authorization": gatehouse.api_key}, timeout=30)
        assert answer.status_code == 503, answer.text
        assert "the granted scopes hold a token" in answer.json()["message"], answer.text
        _, refresh_tokens = server.stored_tokens()
        assert refresh_tokens and not any(token in answer.text for token in refresh_tokens)
        listed = requests.get(f"{gatehouse.base}/v1/admin/user_connections", params={"user_id": user_id},
                              headers={"Authorization": gatehouse.api_key}, timeout=5)
        assert listed.status_code == 200
        assert [item["scopes"] for item in listed.json()["items"]] == [["read"]], listed.text
        assert not any(token in listed.text or token in gatehouse.log.read_text() for token in refresh_tokens)
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_refresh_token_nested_in_the_answer_never_reaches_an_app(workdir, user_id):
    """A provider that nests the user's tokens, as Slack does (`authed_user.refresh_token`). An
    admin key may not move the refresh token's mapping while there are connections (409), so the
    nested token stays known; a function that hands it out as the access token makes the refresh
    refused. And a new provider whose map reads the refresh token from nowhere, and hands the
    nested one out, has its first answer refused: a `refresh_token` member is a refresh token at any
    depth."""
    server, gatehouse = provider_and_gatehouse(workdir, "nested", 2, nest_user_tokens=True)
    try:
        client = gatehouse.client()
        definition = server.provider_definition("nested")
        nested = {"access_token": "$.authed_user.access_token", "refresh_token": "$.authed_user.refresh_token",
                  "expires_in": "$.expires_in", "scope": "$.scope"}
        definition["oauth2"]["token_request"]["response_map"] = nested
        definition["oauth2"]["refresh_request"]["response_map"] = nested
        client.admin.auth_providers.create(**definition)
        r = client.auth.start(user_id=user_id, provider="nested", scopes=["read"])
        assert consent(r.url, "alice").status_code == 200
        done = client.auth.status(id=r.id)
        assert done.status == "completed" and not done.context.token.startswith("xoxb-app-")
        headers = {"Authorization": gatehouse.api_key}

        def patch(response_map):
            return requests.patch(f"{gatehouse.base}/v1/admin/auth_providers/nested",
                                  json={"oauth2": {"refresh_request": {"response_map": response_map}}},
                                  headers=headers, timeout=5)

        moved = patch({"refresh_token": "$.authed_user.x", "access_token": "join('$.authed_user.refresh_token', ' ')"})
        assert moved.status_code == 409, moved.text
        assert "response_map.refresh_token would read the refresh token" in moved.json()["message"]
        leak = patch({"user_info.leak": "$.authed_user.refresh_token"})
        assert leak.status_code == 400 and "may not read the answer's tokens" in leak.json()["message"], leak.text
        assert patch({"access_token": "join('$.authed_user.refresh_token', ' ')"}).status_code == 200

        time.sleep(2.5)
        answer = requests.post(
            f"{gatehouse.base}/v1/auth/authorize",
            json={"auth_requirement": {"provider_id": "nested", "oauth2": {"scopes": ["read"]}}, "user_id": user_id},
            headers=headers, timeout=30)
        assert answer.status_code == 503, answer.text
        assert "makes the grant's refresh token the access token" in answer.json()["message"], answer.text
        _, refresh_tokens = server.stored_tokens()
        assert refresh_tokens and not any(token in answer.text for token in refresh_tokens)

        # Made again with the map already bent (no connections to hold it now): its first answer
        # is refused, and nothing is stored.
        client.admin.auth_providers.delete("nested")
        bent = server.provider_definition("nested")
        bent["oauth2"]["token_request"]["response_map"] = dict(
            nested, refresh_token="$.authed_user.x", access_token="join('$.authed_user.refresh_token', ' ')")
        client.admin.auth_providers.create(**bent)
        second = client.auth.start(user_id=f"{user_id}-2", provider="nested", scopes=["read"])
        consent(second.url, "alice")
        failed = client.auth.status(id=second.id)
        assert failed.status == "failed", failed
        _, refresh_tokens = server.stored_tokens()
        listed = requests.get(f"{gatehouse.base}/v1/admin/user_connections", params={"user_id": f"{user_id}-2"},
                              headers=headers, timeout=5)
        assert listed.json()["items"] == [], listed.text
        assert not any(token in gatehouse.log.read_text() for token in refresh_tokens)
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_trace_log_holds_no_token_through_a_grant_a_refresh_a_refused_refresh_and_a_revocation(workdir, user_id):
    """The most a log says (`trace`, what an operator turns on to chase a fault) through every
    path that handles a token: the code exchange, a refresh, a refresh the provider refuses, a
    new consent and the delete that revokes the grant. No token the provider handed out (rotated
    ones too), no code, no state and no client secret is in it."""
    server, gatehouse = provider_and_gatehouse(workdir, "tracelog", 4, env={"GATEHOUSE_LOG_LEVEL": "trace"})
    seen_before = set(SEEN_SECRETS)
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.revoking_definition("tracelog"))

        def start():
            return client.auth.start(user_id=user_id, provider="tracelog", scopes=["read"])

        r = start()
        consent(r.url, "alice")
        first = client.auth.wait_for_completion(r).context.token
        time.sleep(2.5)  # past half of the 4 s lifetime
        second = start()
        assert second.status == "completed" and second.context.token != first
        # The provider ends the grant: the next refresh is refused.
        for refresh in server.stored_tokens()[1]:
            revoked = requests.post(f"{server.base}/o/revoke_token/", timeout=5, auth=(server.client_id, server.client_secret),
                                    data={"token": refresh, "token_type_hint": "refresh_token"})
            assert revoked.status_code == 200
        time.sleep(2.5)
        third = start()
        assert third.status == "pending", "a refused refresh asks for a new consent"
        consent(third.url, "alice")
        assert client.auth.wait_for_completion(third).status == "completed"
        [connection] = client.admin.user_connections.list(user={"id": user_id}).items
        client.admin.user_connections.delete(connection.id)
        deadline = time.monotonic() + 10
        while "grant revoked at the provider" not in gatehouse.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = gatehouse.log.read_text()
        assert "grant revoked at the provider" in log and "refresh refused" in log
        assert "level=trace" in log, "the log is at trace"
        issued = server.issued_tokens()
        assert len(issued) >= 5, issued  # two grants' pairs and a refresh's
        carried = SEEN_SECRETS - seen_before  # both consents' codes and states
        assert len(carried) >= 4, carried
        for secret in issued + [server.client_secret] + sorted(carried):
            assert secret not in log, f"a secret of {len(secret)} characters is in the trace log"
    finally:
        gatehouse.stop()
        stop(server.process)

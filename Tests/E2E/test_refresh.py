"""Refresh against a real server whose access tokens live 6 seconds and whose refresh tokens rotate."""
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import consent


def authorize(client, server, user_id):
    r = client.auth.start(user_id=user_id, provider="dotshort", scopes=["read"])
    consent(r.url, "alice")
    return client.auth.wait_for_completion(r)


def works(server, token):
    return requests.get(f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200


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

"""Replayed and tampered callbacks, and API authentication, as a browser and a client meet them."""
import requests

from conftest import consent, query


def test_replayed_callback_is_refused_and_changes_nothing(client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    page = consent(r.url, "alice")
    token = client.auth.wait_for_completion(r).context.token
    replay = requests.get(page.url, timeout=10, allow_redirects=False)
    assert replay.status_code == 400
    assert replay.headers["Content-Type"].startswith("text/html")
    assert "This link has expired" in replay.text and "work once" in replay.text
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


def test_api_needs_the_key_in_either_spelling(gatehouse):
    url = f"{gatehouse.base}/v1/admin/auth_providers"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert set(missing.json()) >= {"name", "message", "code", "error", "msg"}
    assert requests.get(url, headers={"Authorization": "arc_wrong"}, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": gatehouse.api_key}, timeout=5).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=5).status_code == 200
    assert requests.get(f"{gatehouse.base}/v1/health", timeout=5).json() == {"healthy": True}

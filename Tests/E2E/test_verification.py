"""The custom user verifier: 303 to verifier_url?flow_id=, then confirm_user decides."""
import pytest
import requests

from conftest import consent, query


@pytest.fixture
def verifier(gatehouse):
    url = f"http://127.0.0.1:{gatehouse.port + 1}/verify"
    headers = {"Authorization": gatehouse.api_key}
    put = requests.put(
        f"{gatehouse.base}/v1/admin/settings/session_verification",
        json={"verifier_url": url, "unsafe_skip_verification": False}, headers=headers, timeout=5)
    assert put.status_code == 200, put.text
    assert put.json() == {"verifier_url": url, "unsafe_skip_verification": False, "unsafe_skip_verification_choice_allowed": True}
    yield url
    back = requests.put(
        f"{gatehouse.base}/v1/admin/settings/session_verification",
        json={"verifier_url": None, "unsafe_skip_verification": True}, headers=headers, timeout=5)
    assert back.status_code == 200, back.text


def flow_id_from(page, verifier):
    assert page.status_code == 303, page.text[:300]
    location = page.headers["Location"]
    assert location.startswith(verifier + "?")
    params = query(location)
    assert list(params) == ["flow_id"], "the verifier gets exactly one parameter"
    return params["flow_id"]


def test_confirm_user_attaches_the_grant_to_the_right_user(client, dot, verifier, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    flow_id = flow_id_from(consent(r.url, "alice"), verifier)
    assert flow_id != r.id
    assert client.auth.status(id=r.id).status == "pending"

    confirmed = client.auth.confirm_user(flow_id=flow_id, user_id=user_id)
    assert confirmed.auth_id == r.id
    assert confirmed.next_uri
    done = client.auth.wait_for_completion(confirmed.auth_id)
    assert done.status == "completed" and done.context.token
    # next_uri is an idempotent continuation.
    for _ in range(2):
        page = requests.get(confirmed.next_uri, timeout=5, allow_redirects=False)
        assert page.status_code == 200 and "Connected" in page.text


def test_user_mismatch_is_refused_and_nothing_is_attached(client, dot, verifier, user_id, gatehouse):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    flow_id = flow_id_from(consent(r.url, "bob"), verifier)
    answer = requests.post(
        f"{gatehouse.base}/v1/auth/confirm_user", json={"flow_id": flow_id, "user_id": "mallory@example.com"},
        headers={"Authorization": gatehouse.api_key}, timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "user_mismatch" and body["name"] == "user_mismatch" and body["code"] == 400
    assert body["message"] and body["msg"]
    assert client.admin.user_connections.list(user={"id": user_id}).total_count == 0
    assert client.admin.user_connections.list(user={"id": "mallory@example.com"}).total_count == 0
    # A mismatched grant is discarded: the flow cannot be confirmed afterwards either.
    assert client.auth.status(id=r.id).status == "failed"
    again = requests.post(
        f"{gatehouse.base}/v1/auth/confirm_user", json={"flow_id": flow_id, "user_id": user_id},
        headers={"Authorization": gatehouse.api_key}, timeout=5)
    assert again.status_code == 400


def test_unknown_flow_is_404(gatehouse, verifier):
    answer = requests.post(
        f"{gatehouse.base}/v1/auth/confirm_user", json={"flow_id": "af_nope", "user_id": "x"},
        headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=5)
    assert answer.status_code == 404

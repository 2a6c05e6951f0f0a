"""The custom user verifier: 303 to verifier_url?flow_id=, then confirm_user decides."""
import time
from concurrent.futures import ThreadPoolExecutor

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


def test_a_change_of_template_fails_a_grant_waiting_for_verification(client, dot, verifier, user_id, gatehouse):
    """Its code was exchanged under the old template: it is not stored under the new one, and
    a wait parked on it hears so at once."""
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    flow_id = flow_id_from(consent(r.url, "alice"), verifier)
    url = f"{gatehouse.base}/v1/admin/auth_providers/dot"
    headers = {"Authorization": gatehouse.api_key}
    with ThreadPoolExecutor(1) as pool:
        # Gatehouse's `return_failed`: Arcade's clients keep a wait on a failed flow parked.
        parked = pool.submit(lambda: requests.get(
            f"{gatehouse.base}/v1/auth/status", params={"id": r.id, "wait": 30, "return_failed": "true"},
            headers=headers, timeout=40).json())
        time.sleep(0.5)
        prompt = {"oauth2": {"authorize_request": {"params": {"prompt": "consent"}}}}
        changed_at = time.monotonic()
        assert requests.patch(url, json=prompt, headers=headers, timeout=5).status_code == 200
        try:
            answer = parked.result(timeout=10)
            woke_after = time.monotonic() - changed_at
        finally:
            back = {"oauth2": {"authorize_request": {"params": {"prompt": None}}}}
            assert requests.patch(url, json=back, headers=headers, timeout=5).status_code == 200
    reason = "the provider's settings changed while the authorization was under way"
    assert answer["status"] == "failed" and answer["status_reason"] == reason, answer
    assert client.auth.status(id=r.id).status_reason == reason
    assert woke_after < 5, f"the parked wait answered {woke_after:.1f} s after the change"
    confirmed = requests.post(
        f"{gatehouse.base}/v1/auth/confirm_user", json={"flow_id": flow_id, "user_id": user_id},
        headers={"Authorization": gatehouse.api_key}, timeout=5)
    assert confirmed.status_code == 400 and reason in confirmed.json()["message"], confirmed.text
    assert client.admin.user_connections.list(user={"id": user_id}).total_count == 0
    # A flow started after the change completes as before.
    again = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    assert client.auth.confirm_user(flow_id=flow_id_from(consent(again.url, "alice"), verifier), user_id=user_id)
    assert client.auth.wait_for_completion(again.id).status == "completed"

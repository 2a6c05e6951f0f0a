"""A restart keeps connections and the API key; nothing secret is stored in the clear."""
from conftest import consent


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
    gatehouse.stop()
    stopped_after = time.monotonic() - started
    thread.join(timeout=10)
    gatehouse.start()
    assert result["response"].status == "pending"
    assert stopped_after < 10, f"shutdown waited {stopped_after:.1f}s for a parked request"

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

"""The audit trail from the real binary: each change an admin key makes through arcadepy (and
plain HTTP for the routes arcadepy has no call for) is one JSON `audit` line in the server's log,
naming the action, the target, the key and the client, under the request's id; never a value."""
import hashlib
import json

import pytest
import requests

from conftest import ConfiguredGatehouse, OAuthServer, consent, stop


def audit_lines(gatehouse, since):
    lines = gatehouse.log.read_text().splitlines()[since:]
    return [entry for entry in map(json.loads, filter(lambda line: line.startswith("{"), lines)) if entry["msg"] == "audit"]


def test_admin_changes_are_audit_lines_without_their_values(client, gatehouse, workdir, user_id):
    key_id = hashlib.sha256(gatehouse.api_key.encode()).hexdigest()[:12]
    since = len(gatehouse.log.read_text().splitlines())
    server = OAuthServer(workdir, "audited", 3600, gatehouse.redirect_uri("audited"))
    try:
        client.admin.auth_providers.create(**server.revoking_definition("audited"))
        r = client.auth.start(user_id=user_id, provider="audited", scopes=["read"])
        consent(r.url, "alice")
        client.auth.wait_for_completion(r)
        [connection] = client.admin.user_connections.list(user={"id": user_id}).items
        client.admin.user_connections.delete(connection.id)
        client.admin.auth_providers.patch("audited", description="Audited", oauth2={"client_secret": "audit-rotated-secret"})
        headers = {"Authorization": gatehouse.api_key}
        stored = requests.post(f"{gatehouse.base}/v1/admin/secrets/AUDITED_TOOL", json={"value": "audit-tool-secret"},
                               headers=headers, timeout=10)
        assert stored.status_code == 200, stored.text
        assert requests.delete(f"{gatehouse.base}/v1/admin/secrets/{stored.json()['id']}", headers=headers,
                               timeout=10).status_code == 204
        client.admin.auth_providers.delete("audited")
    finally:
        stop(server.process)

    lines = audit_lines(gatehouse, since)
    assert [(line["action"], line.get("target"), line.get("fields")) for line in lines] == [
        ("provider.create", "audited", None),
        ("connection.delete", connection.id, None),
        ("provider.update", "audited", "description,oauth2.client_secret"),
        ("secret.set", "AUDITED_TOOL", None),
        ("secret.delete", stored.json()["id"], None),
        ("provider.delete", "audited", None),
    ]
    for line in lines:
        assert line["level"] == "notice" and line["key_id"] == key_id and line["client"] == "127.0.0.1", line
        assert len(line["request_id"]) > 0, line
    # Its template revokes grants (RFC 7009), and django-oauth-toolkit did.
    assert lines[1]["outcome"] == "revoked" and lines[1]["provider"] == "audited"
    log = gatehouse.log.read_text()
    assert "audit-rotated-secret" not in log and "audit-tool-secret" not in log


@pytest.mark.parametrize("level", ["warning", "error"])
def test_a_log_level_that_leaves_the_trail_out_is_said_at_the_start(workdir, level):
    server = ConfiguredGatehouse(
        workdir, f"quiet-{level}", f"log: {{ level: {level} }}\nauth: {{ user_verification: {{ unsafe_skip_verification: true }} }}\n")
    try:
        assert (f"gatehouse: warning: log.level {level} leaves out the audit trail, whose lines are at notice"
                in server.log.read_text())
    finally:
        stop(server.process)

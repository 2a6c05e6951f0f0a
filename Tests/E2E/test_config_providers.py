"""Providers from the config file: one the file stops listing is kept, inactive, with its
connections; listed again, they serve without a new consent."""
import json
import re
import subprocess

import arcadepy
import pytest

from conftest import GATEHOUSE_BIN, ConfiguredGatehouse, OAuthServer, consent, free_port, stop


def config(server=None, provider_id=None):
    providers = f"  providers:\n    - {json.dumps(server.provider_definition(provider_id))}\n" if server else ""
    return f"""auth:
  user_verification: {{ unsafe_skip_verification: true }}
{providers}security:
  allowed_provider_networks: [127.0.0.1/32]
"""


def test_a_provider_left_out_of_the_file_is_kept_inactive_and_serves_again_when_listed(workdir, user_id):
    port = free_port()
    server = OAuthServer(workdir, "cfgdot", 3600, f"http://127.0.0.1:{port}/v1/oauth/cfgdot/callback")
    gatehouse = ConfiguredGatehouse(workdir, "cfgdot-gh", config(server, "cfgdot"), port=port)
    try:
        client = gatehouse.client()
        r = client.auth.start(user_id=user_id, provider="cfgdot", scopes=["read"])
        consent(r.url, "alice")
        done = client.auth.wait_for_completion(r)
        assert done.status == "completed"

        gatehouse.restart(config())
        assert "auth provider 'cfgdot' is no longer in the config file" in gatehouse.log.read_text()
        with pytest.raises(arcadepy.BadRequestError) as refused:
            client.auth.start(user_id=user_id, provider="cfgdot", scopes=["read"])
        assert "inactive" in str(refused.value)
        gone = client.auth.status(id=done.id)
        assert gone.status == "failed" and gone.context is None
        assert client.admin.auth_providers.get("cfgdot").status == "inactive"

        gatehouse.restart(config(server, "cfgdot"))
        again = client.auth.start(user_id=user_id, provider="cfgdot", scopes=["read"])
        assert again.status == "completed" and again.context.token == done.context.token
        assert server.stats()["authorization_code_grants"] == 1, "no new consent"

        # Left out again, the command the warning names removes it with its connections.
        gatehouse.restart(config())
        warning = [line for line in gatehouse.log.read_text().splitlines() if "no longer in the config file" in line][-1]
        command = re.search(r"\(gatehouse ([^)]*)\)", warning).group(1).split()
        removed = subprocess.run([GATEHOUSE_BIN, *command, "--base-url", gatehouse.base, "--api-key", gatehouse.api_key],
                                 capture_output=True, text=True, timeout=60)
        assert removed.returncode == 0, removed.stderr
        assert client.admin.user_connections.list(user={"id": user_id}).items == []
    finally:
        gatehouse.stop()
        stop(server.process)


@pytest.mark.parametrize("entries, said", [
    # Google's template posts the secret: every consent would have ended in invalid_client.
    ("{ id: g, provider_id: google, client_id: x }",
     "auth.providers (g): oauth2.client_secret is required: oauth2.token_request.auth_method is client_secret_post"),
    # Two entries with one id: the second replaced the first without a word.
    ("{ id: g, provider_id: google, client_id: x, client_secret: y }, { id: g, provider_id: github, client_id: x, client_secret: y }",
     "auth.providers[1].id 'g' is already the id of auth.providers[0]"),
])
def test_a_provider_entry_that_cannot_serve_stops_the_start(tmp_path, entries, said):
    path = tmp_path / "gatehouse.yaml"
    path.write_text(f"auth: {{ user_verification: {{ unsafe_skip_verification: true }}, providers: [ {entries} ] }}\n")
    done = subprocess.run([GATEHOUSE_BIN, "serve", "--config", str(path), "--port", str(free_port()), "--data-dir",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr, done.stderr


def test_operator_commands_need_only_the_stores_settings_not_every_secret_the_file_names(workdir):
    """A provider's `${env:...}` secret is the server's: `gatehouse keys` in a shell that does not
    have it still reads the store (it refused, naming the variable). The store's own settings are
    still read and checked."""
    config = """auth:
  user_verification: { unsafe_skip_verification: true }
  providers:
    - { id: g, provider_id: google, client_id: x, client_secret: "${env:GH_E2E_PROVIDER_SECRET}" }
metrics: { token: "${env:GH_E2E_SCRAPE_TOKEN}" }
"""
    gatehouse = ConfiguredGatehouse(workdir, "operator-env", config,
                                    env={"GH_E2E_PROVIDER_SECRET": "s3cret", "GH_E2E_SCRAPE_TOKEN": "t" * 40})
    try:
        shell = {k: v for k, v in gatehouse.env.items() if not k.startswith("GH_E2E_")}
        keys = subprocess.run([GATEHOUSE_BIN, "keys", "list", "--config", str(gatehouse.config), "--data-dir",
                               str(gatehouse.data)], env=shell, capture_output=True, text=True, timeout=60)
        assert keys.returncode == 0, keys.stderr
        assert "admin" in keys.stdout
        # The store's settings are read as before: a reference there that is not set is said.
        gatehouse.config.write_text(config + "storage: { sqlite: { path: \"${env:GH_E2E_DB}\" } }\n")
        missing = subprocess.run([GATEHOUSE_BIN, "keys", "list", "--config", str(gatehouse.config)], env=shell,
                                 capture_output=True, text=True, timeout=60)
        assert missing.returncode == 2 and "storage.sqlite.path: environment variable GH_E2E_DB is not set" in missing.stderr
    finally:
        gatehouse.stop()

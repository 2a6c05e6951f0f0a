"""The Swift side against the real server: the `gatehouse` client commands (built on the Swift
SDK) and the GmailMessages example, driven as a user would run them."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import GATEHOUSE_BIN, GMAIL_SCOPE, consent

EXAMPLE_BIN = str(Path(GATEHOUSE_BIN).parent / "GmailMessages")


def cli(gatehouse, *args, key=None, timeout=60, env=None):
    env = dict(os.environ, **(env or {}), ARCADE_API_KEY=key or gatehouse.api_key, ARCADE_BASE_URL=gatehouse.base)
    return subprocess.run([GATEHOUSE_BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def read_url(process):
    """Reads the program's stdout until the authorize URL shows up."""
    for _ in range(20):
        line = process.stdout.readline()
        if not line:
            break
        if "/o/authorize/" in line:
            return line.strip()
    raise AssertionError("the program printed no authorize URL")


def test_health_and_a_bad_key(gatehouse):
    ok = cli(gatehouse, "health")
    assert ok.returncode == 0 and ok.stdout.strip() == "healthy"
    # As a deploy script or an orchestrator runs it: no key at all.
    env = {k: v for k, v in os.environ.items() if k not in ("ARCADE_API_KEY", "GATEHOUSE_API_KEY")}
    for args, answer in ((["health"], "healthy"), (["health", "--ready"], "healthy"),
                         (["health", "--ready", "--json"], '"healthy" : true')):
        keyless = subprocess.run([GATEHOUSE_BIN, *args, "--base-url", gatehouse.base], env=env, capture_output=True,
                                 text=True, timeout=30)
        assert keyless.returncode == 0 and answer in keyless.stdout, (args, keyless.stdout, keyless.stderr)
    # Health needs no key, so its help offers none; a check that still passes one keeps working.
    helped = subprocess.run([GATEHOUSE_BIN, "health", "--help"], env=env, capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0 and "--base-url" in helped.stdout and "--api-key" not in helped.stdout, helped.stdout
    listed = subprocess.run([GATEHOUSE_BIN, "connections", "list", "--help"], env=env, capture_output=True, text=True,
                            timeout=30)
    assert "--api-key" in listed.stdout and "--base-url" in listed.stdout and "--json" in listed.stdout, listed.stdout
    keyed = subprocess.run([GATEHOUSE_BIN, "health", "--api-key", "arc_anything", "--base-url", gatehouse.base], env=env,
                           capture_output=True, text=True, timeout=30)
    assert keyed.returncode == 0 and keyed.stdout.strip() == "healthy", keyed.stderr
    # Beside a server that `serve` started on GATEHOUSE_PORT (a container's health check): that port.
    bare = {k: v for k, v in env.items() if k not in ("ARCADE_BASE_URL", "GATEHOUSE_BASE_URL")}
    beside = subprocess.run([GATEHOUSE_BIN, "health"], env=dict(bare, GATEHOUSE_PORT=str(gatehouse.port)),
                            capture_output=True, text=True, timeout=30)
    assert beside.returncode == 0 and beside.stdout.strip() == "healthy", beside.stderr
    elsewhere = subprocess.run([GATEHOUSE_BIN, "health"], env=dict(bare, GATEHOUSE_PORT="1"), capture_output=True,
                               text=True, timeout=30)
    assert elsewhere.returncode == 5 and "127.0.0.1:1" in elsewhere.stderr, elsewhere.stderr
    # And on GATEHOUSE_HOST, unless that is every address (which loopback reaches).
    for host, reached in (("0.0.0.0", 0), ("127.0.0.2", 5)):
        placed = subprocess.run([GATEHOUSE_BIN, "health"], env=dict(bare, GATEHOUSE_PORT=str(gatehouse.port),
                                GATEHOUSE_HOST=host), capture_output=True, text=True, timeout=30)
        assert placed.returncode == reached, (host, placed.stdout, placed.stderr)
        assert reached == 0 or f"{host}:{gatehouse.port}" in placed.stderr, placed.stderr
    # A value that is no port is said as serve says it, naming the variable (usage, exit 2).
    for port in ("abc", "0", "70000"):
        for args in (["health"], ["connections", "list"], ["providers", "catalog"]):
            wrong = subprocess.run([GATEHOUSE_BIN, *args], env=dict(bare, GATEHOUSE_PORT=port), capture_output=True,
                                   text=True, timeout=30)
            assert wrong.returncode == 2, (args, wrong.stderr)
            assert f"GATEHOUSE_PORT must be a port from 1 to 65535, not '{port}'" in wrong.stderr, (args, wrong.stderr)
    gone = subprocess.run([GATEHOUSE_BIN, "health", "--base-url", "http://127.0.0.1:1"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert gone.returncode == 5 and "cannot reach the server" in gone.stderr, gone.stderr
    # The option to pass, not the Swift SDK's parameter.
    unkeyed = subprocess.run([GATEHOUSE_BIN, "providers", "list", "--base-url", gatehouse.base], env=env,
                             capture_output=True, text=True, timeout=30)
    assert unkeyed.returncode == 2, unkeyed.stderr
    assert "no API key: pass --api-key or set ARCADE_API_KEY" in unkeyed.stderr, unkeyed.stderr
    bad = cli(gatehouse, "providers", "list", key="arc_wrong")
    assert bad.returncode == 1
    assert "401" in bad.stderr and "invalid API key" in bad.stderr


def test_token_asks_for_authorization_then_prints_a_working_token(gatehouse, dot, user_id):
    first = cli(gatehouse, "token", "--user", user_id, "--provider", "dot", "--scope", "read")
    assert first.returncode == 3
    assert first.stdout == ""
    url = first.stderr.split("open ", 1)[1].strip()
    consent(url, "alice")
    second = cli(gatehouse, "token", "--user", user_id, "--provider", "dot", "--scope", "read")
    assert second.returncode == 0, second.stderr
    token = second.stdout.strip()
    me = requests.get(f"{dot.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_auth_start_waits_for_the_user(gatehouse, dot, user_id):
    env = dict(os.environ, ARCADE_API_KEY=gatehouse.api_key, ARCADE_BASE_URL=gatehouse.base)
    process = subprocess.Popen(
        [GATEHOUSE_BIN, "auth", "start", "--user", user_id, "--provider", "dot", "--scope", "read", "--scope", "write", "--wait"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_url(process)
        consent(url, "bob")
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "status: completed" in out
    assert "token:" not in out, "the token is shown only with --show-token"


def test_auth_start_wait_learns_of_a_denial_at_once(gatehouse, dot, user_id):
    # The CLI (the Swift SDK) asks status for `return_failed`: a denial ends the wait at once,
    # where the official clients' long-poll is held for its whole 45 s.
    env = dict(os.environ, ARCADE_API_KEY=gatehouse.api_key, ARCADE_BASE_URL=gatehouse.base)
    process = subprocess.Popen(
        [GATEHOUSE_BIN, "auth", "start", "--user", user_id, "--provider", "dot", "--scope", "read", "--wait"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_url(process)
        consent(url, "bob", allow=False)
        denied = time.monotonic()
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - denied
    finally:
        process.kill()
    assert process.returncode == 1, out
    assert "failed: the user denied access" in err, out + err
    assert took < 15, f"the CLI waited {took:.1f} s after the denial"


def test_auth_start_wait_that_runs_out_says_authorization_is_still_required(gatehouse, dot, user_id):
    done = cli(gatehouse, "auth", "start", "--user", user_id, "--provider", "dot", "--scope", "read", "--wait",
               "--timeout", "1")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Open this URL to authorize" in done.stdout
    assert "did not complete in time" in done.stderr, done.stderr


def test_connections_and_providers_commands(gatehouse, dot, user_id, tmp_path):
    r = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(r.url, "alice")
    gatehouse.client().auth.wait_for_completion(r)

    listed = cli(gatehouse, "connections", "list", "--user", user_id, "--json")
    assert listed.returncode == 0, listed.stderr
    [connection] = json.loads(listed.stdout)
    assert connection["user_id"] == user_id and connection["provider_id"] == "dot"
    table = cli(gatehouse, "connections", "list", "--user", user_id)
    assert table.stdout.splitlines()[0].split() == ["ID", "USER", "PROVIDER", "STATUS", "SCOPES"]
    assert connection["id"] in table.stdout
    deleted = cli(gatehouse, "connections", "delete", connection["id"])
    assert deleted.returncode == 0
    assert json.loads(cli(gatehouse, "connections", "list", "--user", user_id, "--json").stdout) == []
    assert cli(gatehouse, "connections", "delete", connection["id"]).returncode == 4

    assert "dot" in cli(gatehouse, "providers", "list").stdout
    assert json.loads(cli(gatehouse, "providers", "get", "dot").stdout)["id"] == "dot"
    # The file is one auth.providers entry, read by the config file's rules: references expand
    # (a relative ${file:} from the file's directory), unknown keys and unset variables are refused.
    definition = tmp_path / "extra.yaml"
    (tmp_path / "extra-secret.txt").write_text("a-secret-value-from-a-file\n")
    definition.write_text(
        "id: extra-cli\nprovider_id: google\nclient_id: ${env:EXTRA_CLIENT_ID}\nclient_secret: ${file:extra-secret.txt}\n")
    missing = cli(gatehouse, "providers", "add", "-f", str(definition))
    assert missing.returncode == 2 and "EXTRA_CLIENT_ID is not set" in missing.stderr, missing.stderr
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text("id: extra-typo\nprovider_id: google\nclient_idd: x\n")
    refused = cli(gatehouse, "providers", "add", "-f", str(misspelt))
    assert refused.returncode == 2 and "client_idd" in refused.stderr, refused.stderr
    added = cli(gatehouse, "providers", "add", "-f", str(definition), env={"EXTRA_CLIENT_ID": "abc.apps.googleusercontent.com"})
    assert added.returncode == 0, added.stderr
    again = cli(gatehouse, "providers", "add", "-f", str(definition), env={"EXTRA_CLIENT_ID": "abc.apps.googleusercontent.com"})
    assert again.returncode == 1 and "already exists" in again.stderr, again.stderr
    assert "edit it in the dashboard (/dashboard/providers) or send the fields that change to PATCH " \
        "/v1/admin/auth_providers/extra-cli" in again.stderr, again.stderr
    assert f"{gatehouse.base}/v1/oauth/extra-cli/callback" in added.stdout
    stored = json.loads(cli(gatehouse, "providers", "get", "extra-cli").stdout)["oauth2"]
    assert stored["client_id"] == "abc.apps.googleusercontent.com"
    assert stored["client_secret"]["exists"] and stored["client_secret"]["hint"] == "file"
    assert cli(gatehouse, "providers", "remove", "extra-cli").returncode == 0
    assert cli(gatehouse, "providers", "get", "extra-cli").returncode == 4
    catalog = json.loads(cli(gatehouse, "providers", "catalog", "--json", "--public-url", gatehouse.base).stdout)
    assert len(catalog) >= 25
    assert {"id": "slack", "redirect_uri": f"{gatehouse.base}/v1/oauth/slack/callback"}.items() <= next(
        c for c in catalog if c["id"] == "slack").items()
    # The variable `serve` reads its public URL from, over the address the command reaches it at.
    public = cli(gatehouse, "providers", "catalog", "--json", env={"GATEHOUSE_PUBLIC_URL": "https://auth.example.com/"})
    assert public.returncode == 0 and public.stderr == "", public.stderr
    assert {"id": "slack", "redirect_uri": "https://auth.example.com/v1/oauth/slack/callback"}.items() <= next(
        c for c in json.loads(public.stdout) if c["id"] == "slack").items()
    beside = cli(gatehouse, "providers", "catalog")
    assert f"{gatehouse.base}/v1/oauth/slack/callback" in beside.stdout
    assert beside.stderr == (f"note: redirect URIs built from {gatehouse.base}, the address this command reaches the "
                             "server at; if the server's api.public_url is another, pass it with --public-url or "
                             "GATEHOUSE_PUBLIC_URL\n")


def test_output_to_a_pipe_closed_early_ends_quietly(gatehouse):
    # `gatehouse providers list | head -1`: the reader is gone before the command writes. It used
    # to stop with "Fatal error: 'try!' expression unexpectedly raised an error" and a backtrace.
    env = dict(os.environ, ARCADE_API_KEY=gatehouse.api_key, ARCADE_BASE_URL=gatehouse.base)
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([GATEHOUSE_BIN, "providers", "list"], env=env, stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr
    assert "Fatal error" not in done.stderr and done.stderr == ""


def test_the_gmail_example_lists_messages(gatehouse, dot, user_id):
    if not Path(EXAMPLE_BIN).exists():
        pytest.fail(f"example binary missing at {EXAMPLE_BIN}")
    env = dict(
        os.environ, ARCADE_API_KEY=gatehouse.api_key, ARCADE_BASE_URL=gatehouse.base, GMAIL_API_BASE=dot.base,
        GATEHOUSE_PROVIDER="dot")
    process = subprocess.Popen([EXAMPLE_BIN, user_id], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = read_url(process)
        assert GMAIL_SCOPE.replace(":", "%3A").replace("/", "%2F") in url
        consent(url, "alice")
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.split()[-3:] == ["alice-m1", "alice-m2", "alice-m3"]
    # A second run needs no consent.
    again = subprocess.run([EXAMPLE_BIN, user_id], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout.split() == ["alice-m1", "alice-m2", "alice-m3"]


def test_migrate_on_sqlite_says_a_mistyped_data_dir_and_speaks_json(gatehouse, tmp_path):
    typo = tmp_path / "gatehose-data"
    missing = subprocess.run([GATEHOUSE_BIN, "migrate", "--data-dir", str(typo)], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no Gatehouse database" in missing.stderr, missing.stderr
    assert not typo.exists(), "a mistyped data directory is not given a new database"
    done = subprocess.run([GATEHOUSE_BIN, "migrate", "--data-dir", str(gatehouse.data), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["schema"] == "up to date" and said["version"] == said["version_before"] > 0, said

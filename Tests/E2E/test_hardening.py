"""The attacks of the security hardening, each failing against the real binary: key roles, secret
placement in templates, outbound calls that cannot be steered, the quick start's loopback rule,
nothing usable at rest, and connections that cannot be held forever."""
import base64
import http.client
import http.server
import json
import os
import re
import selectors
import socket
import sqlite3
import stat
import subprocess
import threading
import time
from datetime import datetime

import arcadepy
import pytest
import requests
from arcadepy import Arcade

from conftest import GATEHOUSE_BIN, ConfiguredGatehouse, Gatehouse, OAuthServer, consent, free_port, query, stop, wait_http


def cli(gatehouse, *args):
    done = subprocess.run(
        [GATEHOUSE_BIN, *args, "--data-dir", str(gatehouse.data)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def app_key(gatehouse):
    created = json.loads(cli(gatehouse, "keys", "create", "--role", "app", "--name", "agent", "--json"))
    assert created["role"] == "app"
    # Its id, which `keys list` and the logs' key_id name it by.
    assert {"id": created["id"], "name": "agent", "role": "app"}.items() <= next(
        k for k in json.loads(cli(gatehouse, "keys", "list", "--json")) if k["id"] == created["id"]).items()
    return created["api_key"]


def test_keys_create_prints_the_key_alone_and_its_id_on_standard_error(gatehouse):
    done = subprocess.run([GATEHOUSE_BIN, "keys", "create", "--name", "plain", "--data-dir", str(gatehouse.data)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    key = done.stdout.removesuffix("\n")
    assert key.startswith("arc_") and "\n" not in key  # KEY=$(gatehouse keys create)
    [made] = [k for k in json.loads(cli(gatehouse, "keys", "list", "--json")) if k["name"] == "plain"]
    assert done.stderr == f"created key {made['id']} (name plain, role app); `gatehouse keys revoke {made['id']}` revokes it\n"
    # When it was last used: never yet, then the time of its first request (written beside it).
    assert made["last_used_at"] is None
    assert " never" in next(line for line in cli(gatehouse, "keys", "list").splitlines() if line.startswith(made["id"]))
    before = time.time()
    assert requests.get(f"{gatehouse.base}/v1/auth/status?id=ac_none", headers={"Authorization": key}).status_code == 404
    deadline = time.monotonic() + 5
    while (used := next(k for k in json.loads(cli(gatehouse, "keys", "list", "--json"))
                        if k["id"] == made["id"])["last_used_at"]) is None:
        assert time.monotonic() < deadline, "the key's use was never recorded"
        time.sleep(0.1)
    assert before - 1 <= datetime.fromisoformat(used.replace("Z", "+00:00")).timestamp() <= time.time() + 1, used
    assert cli(gatehouse, "keys", "revoke", made["id"]).strip() == f"revoked {made['id']}"


class Recorder:
    """A loopback HTTP server that records every request; optionally answers with a redirect."""

    def __init__(self, host="127.0.0.1", redirect_to=None):
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    body = b'{"access_token":"stolen","token_type":"Bearer"}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def provider(provider_id, token_endpoint, client_secret="s3cret-s3cret-s3cret"):
    return {
        "id": provider_id,
        "oauth2": {
            "client_id": "client",
            "client_secret": client_secret,
            "authorize_request": {
                "endpoint": "https://idp.example/authorize",
                "params": {"response_type": "code", "client_id": "{{client_id}}", "redirect_uri": "{{redirect_uri}}"},
            },
            "token_request": {"endpoint": token_endpoint, "auth_method": "client_secret_basic"},
        },
    }


# 1. Key roles


def test_an_app_key_cannot_reach_admin_routes(gatehouse, app_key, dot, user_id):
    agent = Arcade(api_key=app_key, base_url=gatehouse.base, max_retries=0)
    for call in (
        lambda: agent.admin.auth_providers.list(),
        lambda: agent.admin.auth_providers.get("dot"),
        lambda: agent.admin.auth_providers.patch("dot", description="mine now"),
        lambda: agent.admin.user_connections.list(),
        lambda: agent.admin.auth_providers.delete("dot"),
    ):
        with pytest.raises(arcadepy.PermissionDeniedError) as refused:
            call()
        assert refused.value.status_code == 403
        assert "admin role" in refused.value.body["message"]
    # What an agent needs still works.
    r = agent.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    assert r.status == "pending"
    assert agent.auth.status(id=r.id).status == "pending"
    assert gatehouse.client().admin.auth_providers.get("dot").description != "mine now"


def test_keys_list_shows_roles_and_the_first_key_is_admin(gatehouse, app_key):
    keys = json.loads(cli(gatehouse, "keys", "list", "--json"))
    roles = {key["name"]: key["role"] for key in keys}
    assert roles["admin"] == "admin" and roles["agent"] == "app"


def test_a_revoked_key_stops_within_a_second(gatehouse):
    created = json.loads(cli(gatehouse, "keys", "create", "--name", "short-lived", "--json"))
    agent = Arcade(api_key=created["api_key"], base_url=gatehouse.base, max_retries=0)
    with pytest.raises(arcadepy.NotFoundError):
        agent.auth.status(id="ac_nothing")
    key_id = next(k["id"] for k in json.loads(cli(gatehouse, "keys", "list", "--json")) if k["name"] == "short-lived")
    cli(gatehouse, "keys", "revoke", key_id)
    time.sleep(1.05)
    with pytest.raises(arcadepy.AuthenticationError):
        agent.auth.status(id="ac_nothing")


# 2. Secrets stay where they belong in templates


def test_a_patch_cannot_move_the_client_secret_into_the_authorize_url(client, dot, user_id):
    leaky = dot.provider_definition("dot")["oauth2"]["authorize_request"]
    leaky["params"]["login_hint"] = "{{client_secret}}"
    with pytest.raises(arcadepy.BadRequestError) as refused:
        client.admin.auth_providers.patch("dot", oauth2={"authorize_request": leaky})
    assert "oauth2.authorize_request.params.login_hint may not use {{client_secret}}" in refused.value.body["message"]
    url = client.auth.start(user_id=user_id, provider="dot", scopes=["read"]).url
    assert dot.client_secret not in url and "login_hint" not in url


def test_moving_the_token_endpoint_needs_the_secret_again(client, dot):
    moved = dict(dot.provider_definition("dot")["oauth2"]["token_request"], endpoint="https://attacker.example/token")
    with pytest.raises(arcadepy.BadRequestError) as refused:
        client.admin.auth_providers.patch("dot", oauth2={"token_request": moved})
    assert "moves to another host" in refused.value.body["message"]


# 3. Outbound calls can't be steered


def test_a_loopback_lookalike_host_is_refused_by_name(client):
    with pytest.raises(arcadepy.BadRequestError) as refused:
        client.admin.auth_providers.create(**provider("lookalike", "http://127.evil.test/token"))
    assert "must use https" in refused.value.body["message"]


def test_a_redirected_token_request_never_reaches_the_redirect_target(gatehouse, client, user_id):
    collector = Recorder()
    redirector = Recorder(redirect_to=f"http://127.0.0.1:{collector.port}/collect")
    try:
        client.admin.auth_providers.create(**provider("redirecting", f"http://127.0.0.1:{redirector.port}/token"))
        r = client.auth.start(user_id=user_id, provider="redirecting")
        page = requests.get(gatehouse.redirect_uri("redirecting"), params={"code": "c", "state": query(r.url)["state"]}, timeout=20)
        assert page.status_code == 502
        assert len(redirector.requests) == 1 and redirector.requests[0]["headers"]["Authorization"].startswith("Basic ")
        assert collector.requests == []
        assert client.auth.status(id=r.id).status == "failed"
    finally:
        client.admin.auth_providers.delete("redirecting")
        redirector.close()
        collector.close()


@pytest.fixture(scope="module")
def guarded(workdir):
    """A gatehouse that resolves evil.test to 127.0.0.2 (a resolver the test injects through
    security.static_hosts) and allows only 127.0.0.1 of the restricted networks. 127.0.0.2
    stands in for a private address so that a regression never sends a packet off this machine."""
    instance = ConfiguredGatehouse(
        workdir, "guarded",
        """
auth:
  user_verification: { unsafe_skip_verification: true }
security:
  allowed_provider_networks: [127.0.0.1/32]
  static_hosts: { evil.test: 127.0.0.2 }
""")
    yield instance
    instance.stop()


def test_a_name_that_resolves_to_a_restricted_address_is_refused(guarded, user_id):
    listener = Recorder(host="127.0.0.2")
    try:
        client = guarded.client()
        client.admin.auth_providers.create(**provider("evil", f"https://evil.test:{listener.port}/token"))
        r = client.auth.start(user_id=user_id, provider="evil")
        callback = f"{guarded.base}/v1/oauth/evil/callback"
        page = requests.get(callback, params={"code": "c", "state": query(r.url)["state"]}, timeout=20)
        assert page.status_code == 502
        assert listener.requests == []
        assert client.auth.status(id=r.id).status == "failed"
        assert "127.0.0.2 is a loopback address" in guarded.log.read_text()
    finally:
        listener.close()


# 4. Unsafe verification skip needs loopback all the way


def test_the_quick_start_refuses_a_public_url_that_is_not_loopback(tmp_path):
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        env=dict(os.environ, GATEHOUSE_PUBLIC_URL="https://auth.example.com"), capture_output=True, text=True, timeout=60)
    # Exit 2, as the README says of a usage error, and the reason alone: no usage text after it.
    assert done.returncode == 2
    assert "loopback" in done.stderr and "verifier_url" in done.stderr
    assert "Usage:" not in done.stderr
    # A refused first start leaves nothing behind: no data directory, no lock file in one.
    assert not (tmp_path / "data").exists(), list((tmp_path / "data").iterdir())
    nested = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "deep" / "er" / "data")],
        env=dict(os.environ, GATEHOUSE_PUBLIC_URL="https://auth.example.com"), capture_output=True, text=True, timeout=60)
    assert nested.returncode == 2 and not (tmp_path / "deep").exists(), nested.stderr
    (tmp_path / "kept").mkdir()
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "kept")],
        env=dict(os.environ, GATEHOUSE_PUBLIC_URL="https://auth.example.com"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and list((tmp_path / "kept").iterdir()) == [], done.stderr
    for args in (["bogus"], ["keys", "create", "--role", "bogus"], ["serve", "--port", "99999"]):
        refused = subprocess.run([GATEHOUSE_BIN, *args, "--data-dir", str(tmp_path / "data")],
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2, (args, refused.returncode, refused.stderr)
        if args == ["bogus"]:
            # Said as a mistyped command, not as an argument of `serve` with its usage.
            assert "'bogus' is not a gatehouse command (serve, auth, token" in refused.stderr, refused.stderr
            assert "Usage:" not in refused.stderr


def test_a_second_serve_on_the_same_sqlite_file_is_refused(gatehouse):
    """SQLite serves one process: a second `serve` would answer from caches the first one's
    writes never reach. It is refused before it touches the store, naming the holder."""
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(gatehouse.data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"another gatehouse serve (pid {gatehouse.process.pid})" in done.stderr, done.stderr
    assert "PostgreSQL" in done.stderr
    assert requests.get(f"{gatehouse.base}/v1/health", timeout=5).json() == {"healthy": True}
    # The commands that share the file while it serves still run.
    assert cli(gatehouse, "keys", "list")


def test_a_store_without_its_root_key_is_refused_rather_than_given_a_new_key(tmp_path):
    """A data directory restored without root.key (or a server started elsewhere) used to start
    with a fresh key and answer 500 for every stored secret."""
    server = Gatehouse(tmp_path)
    try:
        server.client().admin.auth_providers.create(
            id="g1", provider_id="google", oauth2={"client_id": "abc", "client_secret": "a-client-secret"})
    finally:
        server.stop()
    key = server.data / "root.key"
    saved = key.read_bytes()
    key.unlink()
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(server.data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "sealed with a root key this server does not have" in done.stderr, done.stderr
    assert f"Restore the root.key they were sealed with to {key}" in done.stderr, done.stderr
    assert not key.exists(), "no new key is left beside the data"
    key.write_bytes(saved)
    key.chmod(0o600)
    server.start()
    try:
        assert server.client().admin.auth_providers.get("g1").oauth2.client_secret.exists
    finally:
        server.stop()


def test_a_database_deleted_under_the_server_is_not_ready_and_not_replaced_by_an_empty_one(tmp_path):
    """A deleted database file used to be taken for a first install: readiness said 200 while
    every write went to the deleted file, and the next start made a new, empty store and a new
    admin key."""
    server = Gatehouse(tmp_path)
    try:
        assert requests.get(f"{server.base}/v1/health/ready", timeout=5).status_code == 200
        (server.data / "gatehouse.sqlite").unlink()
        ready = requests.get(f"{server.base}/v1/health/ready", timeout=5)
        assert ready.status_code == 503 and ready.json()["healthy"] is False
    finally:
        server.stop()
    assert "was removed or replaced while the server ran" in server.log.read_text()
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(server.data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"{server.data / 'root.key'} is there but its database {server.data / 'gatehouse.sqlite'} is not" in done.stderr
    assert "ARCADE_API_KEY" not in done.stdout and not (server.data / "gatehouse.sqlite").exists()


def test_a_damaged_database_stops_the_start_with_its_path(tmp_path):
    server = Gatehouse(tmp_path)
    server.stop()
    database = server.data / "gatehouse.sqlite"
    for suffix in ("-wal", "-shm"):
        (server.data / f"gatehouse.sqlite{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"A" * 8192)
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(server.data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"storage.sqlite ({database}): the database file cannot be used: it is damaged" in done.stderr, done.stderr


def test_the_root_key_is_made_beside_the_database_a_config_file_names(tmp_path):
    """With `storage.sqlite.path`, root.key went to `.gatehouse` in whatever directory the service
    started in (`/` under systemd), where a backup of the database's directory missed it."""
    database, elsewhere = tmp_path / "var" / "gatehouse.sqlite", tmp_path / "cwd"
    database.parent.mkdir()
    elsewhere.mkdir()
    config = tmp_path / "gatehouse.yaml"
    # A stored client secret: the start that cannot open it names the old place too.
    config.write_text(
        f"storage: {{ sqlite: {{ path: {database} }} }}\n"
        "auth: { user_verification: { unsafe_skip_verification: true },\n"
        "  providers: [ { id: g, provider_id: google, client_id: x, client_secret: y } ] }\n")
    database.parent.chmod(0o755)

    def serve(*extra):
        port = free_port()
        return port, subprocess.Popen(
            [GATEHOUSE_BIN, "serve", "--config", str(config), "--port", str(port), *extra], cwd=elsewhere,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # Where an earlier version kept the key: .gatehouse in the directory the start ran in.
    port, process = serve("--data-dir", str(elsewhere / ".gatehouse"))
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health", process=process)
    finally:
        stop(process)
    assert (elsewhere / ".gatehouse" / "root.key").exists() and not (database.parent / "root.key").exists()
    # Now the key belongs beside the database: the start that would make a new one there is
    # refused, and names where the old one is.
    _, refused = serve()
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2, err
    assert f"{elsewhere / '.gatehouse' / 'root.key'} may be it" in err, err
    (elsewhere / ".gatehouse" / "root.key").rename(database.parent / "root.key")
    port, process = serve()
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health", process=process)
        assert (database.parent / "root.key").exists() and database.exists()
        # A directory the database path names is not Gatehouse's to chmod (it may be /var/lib).
        assert stat.S_IMODE(database.parent.stat().st_mode) == 0o755
    finally:
        stop(process)


def test_a_port_in_use_is_said_and_nothing_claims_to_listen(tmp_path):
    """It used to print 'listening' first, then crash on the SQLite store left open (debug) or
    exit without closing it."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        done = subprocess.run(
            [GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    # Said before anything else happens: no data directory, no admin key shown for a server
    # that never ran (it used to be made and printed, then SwiftNIO's bind error, exit 1).
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}: another process listens on that port" in done.stderr, done.stderr
    assert "listening" not in done.stdout and "Assertion failed" not in done.stderr
    assert "ARCADE_API_KEY" not in done.stdout and not (tmp_path / "data").exists()


def test_a_host_that_does_not_resolve_is_said_before_anything_else(tmp_path):
    """It used to say that unsafe_skip_verification needs a loopback listener, or SwiftNIO's
    resolver error, exit 1, after making and printing an admin key."""
    config = tmp_path / "gatehouse.yaml"
    config.write_text("api: { host: not.a.host.invalid }\nauth: { user_verification: { unsafe_skip_verification: true } }\n")
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--config", str(config), "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "cannot listen on not.a.host.invalid:" in done.stderr and "does not resolve" in done.stderr, done.stderr
    assert "ARCADE_API_KEY" not in done.stdout and not (tmp_path / "data").exists()


def test_store_copy_leaves_an_existing_directory_as_it_is(gatehouse, tmp_path):
    """It made the target's directory 0700, even a shared one (an exploratory run's /tmp/...),
    and even when the copy was refused."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    target = shared / "copy.sqlite"
    # The source's server still runs: refused, naming it, unless told to copy all the same.
    running = subprocess.run(
        [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{gatehouse.data / 'gatehouse.sqlite'}", "--to",
         f"sqlite:{target}"], capture_output=True, text=True, timeout=120)
    assert running.returncode == 2, running.stderr
    assert f"gatehouse serve runs on the source (" in running.stderr and f"pid {gatehouse.process.pid}" in running.stderr
    assert "--allow-running" in running.stderr and not target.exists()
    done = subprocess.run(
        [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{gatehouse.data / 'gatehouse.sqlite'}", "--to",
         f"sqlite:{target}", "--allow-running"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fresh = tmp_path / "made" / "copy.sqlite"
    done = subprocess.run(
        [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{gatehouse.data / 'gatehouse.sqlite'}", "--to",
         f"sqlite:{fresh}", "--json", "--allow-running"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    # --json: counts as numbers, both checksums.
    report = {row["table"]: row for row in json.loads(done.stdout)}
    keys = report["api_keys"]
    assert keys["matches"] is True and isinstance(keys["source_rows"], int) and keys["source_rows"] >= 1
    assert keys["source_sha256"] == keys["target_sha256"] and len(keys["source_sha256"]) == 64
    # A location in neither form is a usage error (2), said before anything opens.
    wrong = subprocess.run([GATEHOUSE_BIN, "store", "copy", "--from", str(gatehouse.data / "gatehouse.sqlite"), "--to",
                            f"sqlite:{tmp_path}/x.sqlite"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "neither sqlite:PATH nor a postgres:// URL" in wrong.stderr
    assert not (tmp_path / "x.sqlite").exists()


# 6. Nothing usable at rest in clear


def test_the_store_holds_no_state_and_a_replayed_state_does_nothing_again(gatehouse, client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    state = query(r.url)["state"]
    with sqlite3.connect(f"file:{gatehouse.data / 'gatehouse.sqlite'}?mode=ro", uri=True) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    data = value if isinstance(value, bytes) else str(value).encode()
                    assert state.encode() not in data, f"state in clear in {table}"
    page = consent(r.url, "alice")
    assert client.auth.wait_for_completion(r).status == "completed"
    grants = dot.stats()["authorization_code_grants"]
    replay = requests.get(page.url, timeout=10, allow_redirects=False)
    assert replay.status_code == 200 and "You connected dot" in replay.text
    assert dot.stats()["authorization_code_grants"] == grants


def test_data_files_are_private(gatehouse, dot):
    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(gatehouse.data) == 0o700
    for name in ("gatehouse.sqlite", "gatehouse.sqlite-wal", "gatehouse.sqlite-shm", "root.key"):
        assert mode(gatehouse.data / name) == 0o600, name


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_a_wide_data_directory_of_another_user_stops_the_start(tmp_path):
    data = tmp_path / "shared-data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    os.chown(data, 65534, 65534)
    done = subprocess.run(
        [GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "chmod 700" in done.stderr and "owned by uid 65534" in done.stderr


def test_a_wide_data_directory_of_our_own_is_tightened(tmp_path):
    data = tmp_path / "own-data"
    data.mkdir()
    os.chmod(data, 0o755)
    port = free_port()
    process = subprocess.Popen(
        [GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health", process=process)
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    finally:
        stop(process)


# 7. No connection held forever


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_slowloris_does_not_starve_health(workdir):
    server = ConfiguredGatehouse(
        workdir, "slowloris",
        """
api: { read_timeout: 3s }
auth:
  user_verification: { unsafe_skip_verification: true }
""",
        nofile=512)
    sockets = []
    try:
        # Hundreds of connections dribbling a header byte a second.
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sockets.append(s)
        request = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
        cpu_before = cpu_seconds(server.process.pid)
        slowest = 0.0
        for second in range(2):
            for s in sockets:
                try:
                    s.send(request[second:second + 1])
                except OSError:
                    pass
            for _ in range(5):
                # http.client, not requests: the time is the server's, without the response
                # checker (openapi_check) that wraps requests.
                started = time.monotonic()
                probe = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
                probe.request("GET", "/v1/health")
                assert probe.getresponse().status == 200
                probe.close()
                slowest = max(slowest, time.monotonic() - started)
            time.sleep(1)
        print(f"slowloris: slowest /v1/health {slowest * 1000:.1f} ms with {len(sockets)} dribbling connections")
        assert slowest < 0.25, f"/v1/health took {slowest:.3f}s under slowloris"
        # Past the read timeout the server has closed every dribbling connection.
        time.sleep(3)
        closed = 0
        for s in sockets:
            s.settimeout(2)
            try:
                closed += s.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == len(sockets)
        cpu = cpu_seconds(server.process.pid) - cpu_before
        print(f"slowloris: server CPU {cpu:.2f} s over about 5 s of wall time")
        assert cpu < 3, "the server spun while held open"
    finally:
        for s in sockets:
            s.close()
        server.stop()


def until_closed(sock):
    """Everything `sock` receives until the server closes the connection."""
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def first_answer(answer):
    """The first answer in `answer` (a head and a Content-Length body): its head, its JSON body,
    and the bytes after it."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    return head, json.loads(rest[:length]), rest[length:]


def raw_exchange(port, request):
    """Sends `request` as bytes on a fresh connection and reads until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = until_closed(s)
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def request_count(server, method, route, status):
    """What `gatehouse_http_requests_total` says for one series, 0 before its first request."""
    metrics = requests.get(f"{server.base}/metrics", headers={"Authorization": server.api_key}, timeout=5).text
    series = f'gatehouse_http_requests_total{{method="{method}",route="{route}",status="{status}"}} '
    return next((float(line[len(series):]) for line in metrics.splitlines() if line.startswith(series)), 0)


def request_lines(server, request_id):
    """The log lines that carry `request_id`, once the request's own line is there."""
    deadline = time.monotonic() + 3  # request lines are written within 0.2 s
    while True:
        lines = [json.loads(line) for line in server.log.read_text().splitlines()
                 if f'"request_id":"{request_id}"' in line]
        if any(line["msg"] == "request" for line in lines):
            return lines
        assert time.monotonic() < deadline, f"no request line with {request_id}"
        time.sleep(0.05)


@pytest.mark.parametrize("request_bytes, says, route", [
    (b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     "a Transfer-Encoding it cannot use", None),
    (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n", "a header line is malformed", None),
    (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", "headers are larger", None),
    # Refused while a route reads the body: answered the same way.
    (b"POST /dashboard/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     b"X-Request-Id: e2e-refused-body\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "its chunked body is malformed",
     "/dashboard/sign-in"),
])
def test_a_request_the_http_parser_refuses_is_told_why_in_json(gatehouse, request_bytes, says, route):
    unreadable = request_count(gatehouse, "other", "unreadable", 400)
    head, body = raw_exchange(gatehouse.port, request_bytes)
    assert head.startswith("HTTP/1.1 400"), head
    assert "content-type: application/json" in head.lower(), head
    error = json.loads(body)
    assert error["code"] == 400 and error["name"] == "invalid_request", error
    assert says in error["message"], error
    # It has one request line and one count, as any request does: from the route it reached, or,
    # refused in its head, under `unreadable` with the id its answer carries.
    if route is None:
        request_id = re.search(r"(?i)x-request-id: *(\S+)", head).group(1)
        assert request_count(gatehouse, "other", "unreadable", 400) == unreadable + 1
        expected = [("request", "-", "unreadable", 400)]
    else:
        request_id = "e2e-refused-body"
        assert request_count(gatehouse, "other", "unreadable", 400) == unreadable
        assert request_count(gatehouse, "POST", route, 400) == 1
        expected = [("request", "POST", route, 400)]
    lines = request_lines(gatehouse, request_id)
    assert [(line["msg"], line.get("method"), line.get("route"), line.get("status")) for line in lines] == expected, lines
    # The server goes on serving.
    assert requests.get(f"{gatehouse.base}/v1/health", timeout=5).status_code == 200


def test_a_request_pipelined_before_an_unreadable_one_keeps_its_own_answer(gatehouse):
    """The parser refuses the second request while the first is still being answered, with a
    400 of its own: that answer is left whole, and the second's gets the parser's reason."""
    first = (b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gatehouse.api_key.encode()
             + b"\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{")
    with socket.create_connection(("127.0.0.1", gatehouse.port), timeout=10) as s:
        s.sendall(first + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n")
        answer = until_closed(s)
    answers = []
    while answer:
        head, body, answer = first_answer(answer)
        answers.append((head.decode("latin-1"), body))
    assert [head.split("\r\n")[0] for head, _ in answers] == ["HTTP/1.1 400 Bad Request"] * 2, answers
    assert "a header line is malformed" not in answers[0][1]["message"], answers
    assert "a header line is malformed" in answers[1][1]["message"], answers


def test_an_http_1_0_request_without_keep_alive_gets_its_answer_and_the_connection_ends(gatehouse):
    """HTTP/1.0 persists a connection only when asked to (RFC 9112 §9.3): the server closes it
    once it has answered, instead of holding it for the 30 s idle timeout."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", gatehouse.port), timeout=10) as s:
        # A request pipelined after it is not answered.
        s.sendall(b"GET /v1/health HTTP/1.0\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = until_closed(s)
    assert time.monotonic() - started < 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"connection: close" in head.lower(), head
    assert json.loads(body) == {"healthy": True}


def test_a_client_that_expects_100_continue_is_told_at_once(gatehouse):
    """Clients that send `Expect: 100-continue` (curl, for a body over 1 KB) wait for it before
    the body: without it, curl waited 1 s per request."""
    body = json.dumps({"user_id": "continue@example.com", "auth_requirement": {"provider_id": "nope"}}).encode()
    with socket.create_connection(("127.0.0.1", gatehouse.port), timeout=5) as s:
        s.sendall(b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gatehouse.api_key.encode()
                  + b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        s.settimeout(1)
        assert s.recv(1000) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.settimeout(5)
        s.sendall(body + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = until_closed(s)
    # The route read the body (it names the provider), and the next request was answered.
    head, error, rest = first_answer(answer)
    assert head.startswith(b"HTTP/1.1 400") and "nope" in error["message"], answer
    assert rest.startswith(b"HTTP/1.1 200"), rest


def test_an_http_1_0_client_gets_a_parked_wait_it_can_read(gatehouse, client, dot, user_id):
    """HTTP/1.0 has no chunked bodies: a parked wait, whose length is not known when its head
    goes, is answered as HTTP/1.0 and ended by the close, though the client asked to keep the
    connection; a plain answer tells it the connection stays."""
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    with socket.create_connection(("127.0.0.1", gatehouse.port), timeout=10) as s:
        s.sendall(b"GET /v1/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        head = s.recv(65536)
        assert head.startswith(b"HTTP/1.1 200") and b"connection: keep-alive" in head.lower(), head
        s.sendall(f"GET /v1/auth/status?id={r.id}&wait=1 HTTP/1.0\r\nConnection: keep-alive\r\n"
                  f"Authorization: Bearer {gatehouse.api_key}\r\n\r\n".encode())
        answer = until_closed(s)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") and b"connection: close" in head.lower(), head
    assert b"transfer-encoding" not in head.lower(), head
    assert json.loads(body)["status"] == "pending", body


def test_a_body_in_a_transfer_coding_other_than_chunked_is_501_and_the_connection_goes_on(gatehouse):
    body = b"{}"
    request = (b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + gatehouse.api_key.encode()
               + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
               + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    with socket.create_connection(("127.0.0.1", gatehouse.port), timeout=10) as s:
        s.sendall(request + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = until_closed(s)
    head, error, rest = first_answer(answer)
    assert head.startswith(b"HTTP/1.1 501"), head
    assert error["name"] == "not_implemented" and "Transfer-Encoding 'gzip'" in error["message"], error
    # Its chunks were read to their end: the next request on the connection is answered.
    assert rest.startswith(b"HTTP/1.1 200"), rest


def test_a_body_refused_after_its_request_was_answered_gets_no_second_answer(gatehouse):
    """The route answers (401, no key) before reading the body, whose chunk the parser then
    refuses: one answer, then the connection closes (a second would be read as the next
    request's, by a proxy that pools connections)."""
    head, body = raw_exchange(gatehouse.port, b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\n"
                                              b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
    assert head.startswith("HTTP/1.1 401"), head
    assert "connection: close" in head.lower(), head  # the refusal was read before the answer
    length = int(re.search(r"(?i)content-length: *(\d+)", head).group(1))
    assert json.loads(body[:length])["name"] == "unauthenticated"
    assert body[length:] == b"", body[length:]


def test_a_flood_of_made_up_keys_stops_reaching_the_store_and_keys_that_exist_go_on(workdir):
    """Every request with a key the server does not know costs a store read: a flood of made-up
    keys is answered 429 without one once it passes api.unknown_key_rate_limit (small here, so
    that the test does not depend on how fast this machine sends)."""
    server = ConfiguredGatehouse(workdir, "flood", """
api: { unknown_key_rate_limit: { limit: 1, time_unit: m, burst: 50 } }
auth:
  user_verification: { unsafe_skip_verification: true }
""")
    try:
        # Made before the server's first request: a key that exists, never used yet.
        app_key = json.loads(server.cli("keys", "create", "--role", "app", "--name", "early", "--json"))["api_key"]
        statuses = {}
        refusal = None
        with requests.Session() as session:
            for n in range(120):
                r = session.get(f"{server.base}/v1/admin/auth_providers",
                                headers={"Authorization": f"Bearer arc_made_up_{n}_{os.urandom(8).hex()}"}, timeout=5)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                refusal = refusal or (r if r.status_code == 429 else None)
        assert statuses.get(401) in (50, 51, 52) and statuses.get(429, 0) >= 68, statuses
        assert refusal.headers["Retry-After"] == "1" and refusal.json()["name"] == "rate_limited"
        # Keys that exist go on: the admin key, and the app key on its first use.
        assert server.client().admin.auth_providers.list().total_count == 0
        first_use = requests.get(f"{server.base}/v1/auth/status", params={"id": "ac_nothing_here"},
                                 headers={"Authorization": f"Bearer {app_key}"}, timeout=5)
        assert first_use.status_code == 404, first_use.text  # past the key check: the flow is unknown
        # A key made after the server read the keys waits while the flood lasts.
        late_key = json.loads(server.cli("keys", "create", "--role", "app", "--name", "late", "--json"))["api_key"]
        late = requests.get(f"{server.base}/v1/auth/status", params={"id": "ac_nothing_here"},
                            headers={"Authorization": f"Bearer {late_key}"}, timeout=5)
        assert late.status_code == 429, late.text
        assert "requests with unknown API keys come faster than api.unknown_key_rate_limit allows" in server.log.read_text()
    finally:
        server.stop()


def test_the_connection_cap_refuses_the_excess_clearly(workdir):
    # A read timeout longer than the test: no held connection is closed (freeing a slot for one
    # of the excess) while the connections are being opened.
    server = ConfiguredGatehouse(
        workdir, "cap",
        """
api: { read_timeout: 60s }
auth:
  user_verification: { unsafe_skip_verification: true }
""",
        nofile=512)
    sockets = []
    try:
        # More connections than the open-file limit allows (512 files leave room for 448): the
        # excess hears a clear 503 at once.
        for _ in range(480):
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        # On a loaded machine the accept queue can fill while 480 connections arrive at once;
        # the kernel then retransmits the handshake (after 1, 2, 4, 8 s), so a connection may
        # reach the server seconds late, and then out of order: an early one can be the one
        # refused while a later one is held (a CI run saw 18 of the last 20 refused). So the
        # refusals are counted over every connection, as they come, for up to 20 s.
        waiting = selectors.DefaultSelector()
        for s in sockets:
            waiting.register(s, selectors.EVENT_READ)
        refused, other, deadline = 0, [], time.monotonic() + 20
        while refused < 20 and time.monotonic() < deadline:
            for key, _ in waiting.select(timeout=max(0.0, deadline - time.monotonic())):
                waiting.unregister(key.fileobj)
                try:
                    answer = key.fileobj.recv(200)
                except OSError as error:
                    answer = repr(error).encode()
                if b"503" in answer:
                    refused += 1
                else:
                    other.append(answer)
        waiting.close()
        assert refused >= 20 and not other, (refused, other[:3])
        for s in sockets:
            s.close()
        sockets.clear()
        time.sleep(0.5)
        assert requests.get(f"{server.base}/v1/health", timeout=2).status_code == 200
        # Counted, and said at most once per 10 s, where each refusal wrote a line of its own.
        metrics = requests.get(f"{server.base}/metrics", headers={"Authorization": server.api_key}, timeout=5).text
        counted = re.search(r'^gatehouse_connections_refused_total\{reason="cap"\} (\d+)', metrics, re.M)
        assert counted and int(counted.group(1)) >= refused, metrics[:2000]
        lines = [line for line in server.log.read_text().splitlines() if "open connection cap reached" in line]
        assert 1 <= len(lines) <= 3, lines
        # Every refusal is said within the interval after it, without a later refusal to carry it.
        said = 0
        for _ in range(30):
            lines = [line for line in server.log.read_text().splitlines() if "open connection cap reached" in line]
            said = sum(int(re.search(r"refused=(\d+)", line).group(1)) for line in lines)
            if said == int(counted.group(1)):
                break
            time.sleep(0.5)
        assert said == int(counted.group(1)), lines
    finally:
        for s in sockets:
            s.close()
        server.stop()


def test_timeouts_close_idle_and_slow_connections_but_not_parked_waits(workdir, user_id):
    server = ConfiguredGatehouse(
        workdir, "timeouts",
        """
api: { read_timeout: 2s, idle_timeout: 2s, write_timeout: 2s }
auth:
  user_verification: { unsafe_skip_verification: true }
""")
    try:
        # Idle: a kept-alive connection is closed once it sits idle past idle_timeout.
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        idle.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200" in idle.recv(1000)
        time.sleep(3)
        assert idle.recv(1) == b""
        # A body that never finishes is cut at read_timeout: its route answers 408, which says
        # the connection ends, and is logged as such (not as a server error).
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        slow.sendall(
            b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: " + server.api_key.encode()
            + b"\r\nX-Request-Id: e2e-late-body\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user_id\"")
        time.sleep(3)
        answer = b""
        while chunk := slow.recv(1000):
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower(), answer
        error = json.loads(body)
        assert error["name"] == "request_timeout" and "within 2.0 seconds (api.read_timeout)" in error["message"], error
        deadline = time.monotonic() + 3  # request lines are written within 0.2 s
        while not (lines := [line for line in server.log.read_text().splitlines() if "request_id=e2e-late-body" in line]):
            assert time.monotonic() < deadline, "no request line"
            time.sleep(0.05)
        assert len(lines) == 1 and "msg=request" in lines[0] and "status=408" in lines[0], lines
        # Answered before its body came (401 for a missing key), then the body: the connection
        # still idles out afterwards.
        early = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        early.sendall(b"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n")
        assert b"401" in early.recv(1000)
        early.sendall(b"0123456789")
        time.sleep(3)
        assert early.recv(1) == b""
        # A parked long-poll outlives all three timeouts, though its head goes at once and its
        # body when the wait ends: its wait is what bounds it.
        client = server.client()
        client.admin.auth_providers.create(**provider("parked", "https://idp.example/token"))
        r = client.auth.start(user_id=user_id, provider="parked")
        started = time.monotonic()
        assert client.auth.status(id=r.id, wait=4).status == "pending"
        assert time.monotonic() - started >= 3.5
        # On the wire: the head at once, the body (chunked) when the wait ends.
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        raw.sendall(f"GET /v1/auth/status?id={r.id}&wait=3 HTTP/1.1\r\nHost: x\r\nAuthorization: {server.api_key}\r\n\r\n".encode())
        started = time.monotonic()
        received = raw.recv(4096)
        assert received.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 1.5
        assert b"transfer-encoding: chunked" in received.lower()
        while not received.endswith(b"0\r\n\r\n"):
            chunk = raw.recv(4096)
            assert chunk, f"closed before the wait's end: {received}"
            received += chunk
        assert time.monotonic() - started >= 2.5 and b'"status":"pending"' in received
        raw.close()
        # A request pipelined behind a parked wait, waiting for its `100 Continue` (which goes
        # once the wait's answer has): its body's clock starts then, and does not cut the wait
        # off at read_timeout (it did, after 2 s of a 3 s wait).
        body = json.dumps({"user_id": user_id, "auth_requirement": {"provider_id": "parked"}}).encode()
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        raw.sendall(f"GET /v1/auth/status?id={r.id}&wait=3 HTTP/1.1\r\nHost: x\r\nAuthorization: {server.api_key}\r\n\r\n"
                    f"POST /v1/auth/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: {server.api_key}\r\n"
                    f"Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        started = time.monotonic()
        received = b""
        while b"100 Continue" not in received:
            chunk = raw.recv(4096)
            assert chunk, f"closed before 100 Continue: {received}"
            received += chunk
        assert time.monotonic() - started >= 2.5 and b'0\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n' in received, received
        assert b'"status":"pending"' in received
        raw.sendall(body + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, answer, rest = first_answer(until_closed(raw))
        assert head.startswith(b"HTTP/1.1 200") and answer["status"] == "pending", (head, answer)
        assert rest.startswith(b"HTTP/1.1 200"), rest
        raw.close()
    finally:
        server.stop()



def test_head_answers_like_get_without_a_body_and_keeps_the_connection_usable(gatehouse):
    # RFC 9110: HEAD on every GET route, with GET's Content-Length; and no body after any HEAD
    # answer, errors included (SwiftNIO's encoder leaves it out), or the client would read it as
    # the start of the next response.
    conn = http.client.HTTPConnection("127.0.0.1", gatehouse.port, timeout=10)
    conn.request("GET", "/v1/health")
    got = conn.getresponse()
    body = got.read()
    assert got.status == 200 and body
    for path, status in [("/v1/health", 200), ("/v1/nothing", 404), ("/v1/auth/status?id=x", 401)]:
        conn.request("HEAD", path)
        head = conn.getresponse()
        assert head.status == status and head.read() == b""
        if status == 200:
            assert head.getheader("Content-Length") == str(len(body))
        conn.request("GET", "/v1/health")
        after = conn.getresponse()
        assert after.status == 200 and after.read() == body, f"the answer after HEAD {path} was not the next one"
    conn.request("POST", "/v1/health", body=b"{}")
    refused = conn.getresponse()
    assert refused.status == 405 and refused.getheader("Allow") == "GET, HEAD"
    refused.read()
    conn.close()


def test_head_on_a_wait_says_its_length_is_not_known_and_parks_nothing(gatehouse, client, dot, user_id):
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    conn = http.client.HTTPConnection("127.0.0.1", gatehouse.port, timeout=10)
    started = time.monotonic()
    conn.request("HEAD", f"/v1/auth/status?id={r.id}&wait=5", headers={"Authorization": gatehouse.api_key})
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b"" and time.monotonic() - started < 2
    # As the GET's: chunked, no Content-Length (it said 0).
    assert head.getheader("Content-Length") is None and head.getheader("Transfer-Encoding") == "chunked"
    conn.request("GET", "/v1/health")
    assert conn.getresponse().read() == b'{"healthy":true}'
    conn.close()


def parked_gauge(server):
    text = requests.get(f"{server.base}/metrics", headers={"Authorization": server.api_key}, timeout=5).text
    return float([line.split()[-1] for line in text.splitlines() if line.startswith("gatehouse_parked_long_polls")][0])


def gauge_becomes(server, value, seconds=5):
    deadline = time.monotonic() + seconds
    while parked_gauge(server) != value and time.monotonic() < deadline:
        time.sleep(0.05)
    return parked_gauge(server) == value


def test_a_client_that_leaves_a_parked_wait_gives_its_place_back_at_once(workdir, user_id):
    server = ConfiguredGatehouse(
        workdir, "leaves",
        """
api: { max_parked_waits_per_key: 1 }
auth:
  user_verification: { unsafe_skip_verification: true }
""")
    try:
        client = server.client()
        client.admin.auth_providers.create(**provider("leaves", "https://idp.example/token"))
        r = client.auth.start(user_id=user_id, provider="leaves")
        headers = {"Authorization": server.api_key}
        status = f"{server.base}/v1/auth/status?id={r.id}&wait=1"
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        raw.sendall(f"GET /v1/auth/status?id={r.id}&wait=50 HTTP/1.1\r\nHost: x\r\nAuthorization: {server.api_key}\r\n\r\n".encode())
        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
        # The key's one place is taken while the wait is parked (the head goes just before it parks)...
        assert requests.get(status, headers=headers, timeout=5).status_code == 429
        assert gauge_becomes(server, 1)
        raw.close()
        # ...and given back as soon as its client has gone, not when its 50 s run out.
        assert gauge_becomes(server, 0)
        answer = requests.get(status, headers=headers, timeout=5)
        assert answer.status_code == 200 and answer.json()["status"] == "pending"
    finally:
        server.stop()

def test_reencrypt_retires_the_old_root_key(workdir, user_id):
    keys = {"ROOT_K1": base64.b64encode(b"1" * 32).decode(), "ROOT_K2": base64.b64encode(b"2" * 32).decode()}

    def config(*entries):
        lines = "\n".join(f"    - {{ id: {k}, value: \"${{env:ROOT_{k.upper()}}}\"{', default: true' if d else ''} }}" for k, d in entries)
        return f"""
auth:
  user_verification: {{ unsafe_skip_verification: true }}
security:
  allowed_provider_networks: [127.0.0.0/8]
  root_keys:
{lines}
"""

    server = ConfiguredGatehouse(workdir, "rekey", config(("k1", True)), env=keys)
    oauth = OAuthServer(workdir, "rekey-provider", 6, f"{server.base}/v1/oauth/rekeyed/callback")
    try:
        client = server.client()
        client.admin.auth_providers.create(**oauth.provider_definition("rekeyed"))
        r = client.auth.start(user_id=user_id, provider="rekeyed", scopes=["read"])
        consent(r.url, "alice")
        first = client.auth.wait_for_completion(r).context.token
        secret = requests.post(
            f"{server.base}/v1/admin/secrets/tool-key", json={"value": "tool-secret-value"},
            headers={"Authorization": server.api_key}, timeout=5)
        assert secret.status_code == 200

        # k2 becomes the default in the file, but the server still runs without it: what reencrypt
        # re-sealed would be unreadable there, so it refuses, naming the server.
        server.config.write_text(config(("k2", True), ("k1", False)))
        early = subprocess.run(
            [GATEHOUSE_BIN, "reencrypt", "--config", str(server.config), "--data-dir", str(server.data)],
            capture_output=True, text=True, timeout=60, env=server.env)
        assert early.returncode == 2, early.stdout + early.stderr
        assert f"(pid {server.process.pid}, root keys k1)" in early.stderr and "--force" in early.stderr, early.stderr
        # Restarted with k2 as its default while k1 still decrypts; reencrypt runs beside it.
        server.restart(config(("k2", True), ("k1", False)))
        report = json.loads(server.cli("reencrypt", "--json"))
        assert report["provider secrets"]["resealed"] == 1
        assert report["connection token sets"]["resealed"] == 1
        assert report["tool secrets"]["resealed"] == 1
        assert all(kind["unreadable"] == 0 for kind in report.values())
        again = json.loads(server.cli("reencrypt", "--json"))
        assert all(kind["resealed"] == 0 for kind in again.values())

        # k1 removed: the expired token refreshes under k2 alone, and a second run finds nothing under k1.
        server.restart(config(("k2", True)))
        assert all(kind["unreadable"] == 0 for kind in json.loads(server.cli("reencrypt", "--json")).values())
        time.sleep(6)
        before = oauth.stats()["refresh_token_grants"]
        r = server.client().auth.start(user_id=user_id, provider="rekeyed", scopes=["read"])
        assert r.status == "completed" and r.context.token != first
        assert oauth.stats()["refresh_token_grants"] == before + 1
        assert server.client().admin.auth_providers.get("rekeyed").oauth2.client_secret.exists
    finally:
        stop(oauth.process)
        server.stop()

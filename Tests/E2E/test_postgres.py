"""Gatehouse on PostgreSQL with the real binary: two replicas share one database, a grant made
through one is served by the other and survives restarts, `gatehouse migrate` runs alone, and a
database setting that cannot be used stops the start (never a silent fall back to SQLite)."""
import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import pytest
import requests
from arcadepy import Arcade

from conftest import GATEHOUSE_BIN, OAuthServer, free_port, gatehouse_log, only_form, query, stop, wait_http

BASE_URL = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL")
if not BASE_URL and os.environ.get("GATEHOUSE_REQUIRE_POSTGRES") == "1":
    raise RuntimeError("GATEHOUSE_REQUIRE_POSTGRES=1 but GATEHOUSE_TEST_POSTGRES_URL is not set")
pytestmark = pytest.mark.skipif(not BASE_URL, reason="needs GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh starts a server)")

def psql(sql, url=None):
    subprocess.run(["psql", url or BASE_URL.split("?")[0], "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, timeout=30,
                   capture_output=True)

@pytest.fixture
def database():
    name = "gh_e2e_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    parsed = urlparse(BASE_URL)
    yield urlunparse(parsed._replace(path=f"/{name}"))
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

class Replica:
    """One `gatehouse serve` on the shared database; all replicas share the data directory that
    holds the root key, and one public URL (what a load balancer would give them)."""

    def __init__(self, workdir, name, database, public_url=None, port=None, config=None, env=None, launcher=()):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        gatehouse_log(self.log)
        self.env = dict(os.environ, GATEHOUSE_DATABASE_URL=database, GATEHOUSE_PUBLIC_URL=public_url or self.base,
                        **(env or {}))
        self.data = workdir / "replicas-data"
        self.launcher = list(launcher)
        self.config = []
        if config:
            (workdir / f"{name}.yaml").write_text(config)
            self.config = ["--config", str(workdir / f"{name}.yaml")]
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [*self.launcher, GATEHOUSE_BIN, "serve", "--port", str(self.port), "--data-dir", str(self.data), *self.config],
            env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        wait_http(f"{self.base}/v1/health", process=self.process, log=self.log)

    def restart(self):
        stop(self.process)
        self.start()

    def admin_key(self):
        keys = [line.split("=", 1)[1] for line in self.log.read_text().splitlines() if "ARCADE_API_KEY=" in line]
        return keys[0] if keys else None

    def client(self, key):
        return Arcade(api_key=key, base_url=self.base, max_retries=0)

def test_migrate_runs_alone_and_twice_is_a_no_op(database, tmp_path):
    said = []
    for _ in range(2):
        done = subprocess.run([GATEHOUSE_BIN, "migrate", "--data-dir", str(tmp_path)],
                              env=dict(os.environ, GATEHOUSE_DATABASE_URL=database), capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        said.append(done.stdout.strip())
    # What each run did: the first made every table (it used to say only "up to date", as the
    # second does).
    applied = re.fullmatch(r"the schema went from version 0 to (\d+), and is up to date", said[0])
    assert applied, said
    assert said[1] == f"the schema was up to date already (version {applied.group(1)}); nothing was changed", said
    assert not (tmp_path / "gatehouse.sqlite").exists()

def test_replicas_run_as_a_role_that_only_reads_and_writes_once_the_owner_migrated(workdir, database, tmp_path):
    """Least privilege: `gatehouse migrate` as the tables' owner, then `serve` as a role with DML
    rights only. The start creates and alters nothing (before, it asked for CREATE on the schema
    at every start, and failed)."""
    done = subprocess.run([GATEHOUSE_BIN, "migrate", "--data-dir", str(tmp_path)],
                          env=dict(os.environ, GATEHOUSE_DATABASE_URL=database), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    role = "gh_app_" + uuid.uuid4().hex[:8]
    psql(f"CREATE ROLE {role} LOGIN")
    try:
        psql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}", url=database.split("?")[0])
        parsed = urlparse(database)
        as_app = urlunparse(parsed._replace(netloc=f"{role}@{parsed.hostname}:{parsed.port}"))
        replica = Replica(workdir, "least-privilege", as_app)
        try:
            assert requests.get(f"{replica.base}/v1/health/ready", timeout=5).status_code == 200
            client = replica.client(replica.admin_key())
            client.admin.auth_providers.create(id="g", provider_id="google", oauth2={"client_id": "c", "client_secret": "s"})
            r = client.auth.start(user_id="u", provider="g", scopes=["https://www.googleapis.com/auth/gmail.readonly"])
            assert r.status == "pending" and r.url.startswith("https://accounts.google.com/")
        finally:
            stop(replica.process)
    finally:
        psql(f"DROP OWNED BY {role}", url=database.split("?")[0])
        psql(f"DROP ROLE {role}")


def test_migrate_waits_for_a_table_another_transaction_holds_and_says_so(database, tmp_path):
    """A pending migration meets a transaction that has `flows` open (a long report, a pg_dump):
    each try waits at most 2 s for the lock, `gatehouse migrate` says so at each one, and it
    applies once the transaction ends."""
    migrate = [GATEHOUSE_BIN, "migrate", "--data-dir", str(tmp_path)]
    env = dict(os.environ, GATEHOUSE_DATABASE_URL=database)
    assert subprocess.run(migrate, env=env, capture_output=True, timeout=60).returncode == 0
    # Back to the schema before the migrations after the first two.
    url = database.split("?")[0]
    psql("ALTER TABLE flows DROP COLUMN state_used_at, DROP COLUMN state_used_by; DROP TABLE dashboard_sign_outs; "
         "DROP TABLE revocations; "
         "DROP TABLE retired_providers; DROP INDEX flows_pending_expiry; ALTER TABLE api_keys DROP COLUMN last_used_at; "
         "DELETE FROM schema_migrations WHERE version > 1",
         url=url)
    holder = subprocess.Popen(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc",
                               "BEGIN; LOCK TABLE flows IN ACCESS SHARE MODE; SELECT pg_sleep(4); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        done = subprocess.run(migrate, env=env, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "migration 2 waits for a lock that another transaction holds; trying again" in done.stderr, done.stderr
    assert "up to date" in done.stdout
    assert 2 < took < 10, took


MIGRATION_LOCK = 0x6761_7465_686F_7573  # PostgresMigrations.lockID


def test_a_migration_longer_than_a_start_allows_is_left_to_migrate_which_waits_as_long_as_it_takes(database, tmp_path):
    """Another replica (here a session holding the migration lock for 23 s, as one building an
    index on a large table would) is migrating: a start waits at most
    `storage.postgres.migration_timeout` and says what to do; `gatehouse migrate` says it waits,
    and waits past the 15 s that used to cut every migration (which, rolled back, was cut again
    at every start)."""
    url = database.split("?")[0]
    holder = subprocess.Popen(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc",
                               f"SELECT pg_advisory_lock({MIGRATION_LOCK}); SELECT pg_sleep(23);"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        config = tmp_path / "gatehouse.yaml"
        config.write_text("auth: { user_verification: { unsafe_skip_verification: true } }\n"
                          "storage: { postgres: { migration_timeout: 2s } }\n")
        env = dict(os.environ, GATEHOUSE_DATABASE_URL=database)
        started = time.monotonic()
        serve = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "a"),
                                "--config", str(config)], env=env, capture_output=True, text=True, timeout=60)
        assert serve.returncode == 2, serve.stderr
        assert "the schema's migrations did not finish within 2 s (storage.postgres.migration_timeout)" in serve.stderr
        assert "run `gatehouse migrate`" in serve.stderr
        assert time.monotonic() - started < 10
        started = time.monotonic()
        done = subprocess.run([GATEHOUSE_BIN, "migrate", "--data-dir", str(tmp_path / "b")], env=env,
                              capture_output=True, text=True, timeout=90)
        took = time.monotonic() - started
    finally:
        holder.wait(timeout=60)
    assert done.returncode == 0, done.stderr
    assert "waiting for the schema's migrations that another replica or `gatehouse migrate` is running" in done.stderr
    assert re.fullmatch(r"the schema went from version 0 to \d+, and is up to date", done.stdout.strip()), done.stdout
    assert took > 15, took


def test_a_schema_that_needs_a_newer_gatehouse_stops_every_command_the_same_way(database, tmp_path):
    """The same refusal, the same words and exit 2 from serve, migrate and keys, as on SQLite
    (operator commands exited 1 with ArgumentParser's `Error:` on PostgreSQL)."""
    env = dict(os.environ, GATEHOUSE_DATABASE_URL=database)
    assert subprocess.run([GATEHOUSE_BIN, "migrate"], env=env, capture_output=True, timeout=60).returncode == 0
    psql("INSERT INTO schema_migrations (version, applied_at, oldest_reader) VALUES (99, 0, 99)", url=database.split("?")[0])
    says = re.compile(r"newer than this Gatehouse knows \(\d+\), and it needs a Gatehouse that knows 99 or more")
    for command in (["migrate"], ["keys", "list"], ["serve", "--port", str(free_port()), "--data-dir", str(tmp_path)]):
        done = subprocess.run([GATEHOUSE_BIN, *command], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, (command, done.returncode, done.stderr)
        assert says.search(done.stderr) and "Error:" not in done.stderr, (command, done.stderr)


def test_operator_commands_say_a_database_they_cannot_reach_and_exit_2(gatehouse):
    """Every operator command tells an unreachable server the same way (reencrypt printed a
    PSQLError and exited 1), after trying for 15 s, as a start does."""
    env = dict(os.environ, GATEHOUSE_DATABASE_URL=f"postgres://gatehouse@127.0.0.1:{free_port()}/postgres?sslmode=disable")
    commands = (["migrate"], ["keys", "list"], ["reencrypt"])
    running = [subprocess.Popen([GATEHOUSE_BIN, *command, "--data-dir", str(gatehouse.data)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for command in commands]
    for command, process in zip(commands, running):
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 2, (command, process.returncode, stderr)
        assert stderr.startswith("error: storage.postgres: cannot use") and "connection refused" in stderr, (command, stderr)


def test_two_replicas_share_grants_and_keep_them(workdir, database, user_id):
    a = Replica(workdir, "replica-a", database)
    b = Replica(workdir, "replica-b", database, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-dot", 3600, f"{a.base}/v1/oauth/pgdot/callback")
    try:
        key = a.admin_key()
        assert key and b.admin_key() is None, "the first replica made the one admin key"
        on_a, on_b = a.client(key), b.client(key)
        on_b.admin.auth_providers.create(**oauth.provider_definition("pgdot"))
        # Started on A; the provider's redirect is delivered to B, as a load balancer might.
        r = on_a.auth.start(user_id=user_id, provider="pgdot", scopes=["read"])
        assert r.status == "pending"
        browser = requests.Session()
        page = consent_until_redirect(browser, r.url)
        callback = urlparse(page)._replace(netloc=f"127.0.0.1:{b.port}").geturl()
        assert browser.get(callback, timeout=30, allow_redirects=False).status_code == 200
        done = on_a.auth.status(id=r.id)
        assert done.status == "completed"
        token = done.context.token
        assert on_b.auth.start(user_id=user_id, provider="pgdot", scopes=["read"]).context.token == token
        # Restarts lose nothing.
        a.restart()
        b.restart()
        assert on_b.auth.start(user_id=user_id, provider="pgdot", scopes=["read"]).context.token == token
        assert not (a.data / "gatehouse.sqlite").exists(), "PostgreSQL configured: no SQLite file"
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)

def consent_until_redirect(browser, url):
    """Logs in and consents at the provider; returns the callback URL it redirects to."""

    page = browser.get(url, timeout=10)
    login = only_form(page)
    page = browser.post(login["url"], data=dict(login["fields"], username="alice", password="alice-password"),
                        timeout=10, headers={"Referer": page.url})
    form = only_form(page)
    answer = browser.post(form["url"], data=dict(form["fields"], allow=form["submits"].get("allow", "Authorize")),
                          timeout=10, allow_redirects=False, headers={"Referer": page.url})
    assert answer.status_code == 302
    return answer.headers["Location"]

@pytest.mark.parametrize("url, says", [
    ("mysql://gatehouse@127.0.0.1/x", "GATEHOUSE_DATABASE_URL"),
    ("postgres://gatehouse@127.0.0.1:1/x?sslmode=disable", "cannot use"),
])
def test_a_database_that_cannot_be_used_stops_the_start(tmp_path, url, says):
    done = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)],
                          env=dict(os.environ, GATEHOUSE_DATABASE_URL=url), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert says in done.stderr
    assert not (tmp_path / "gatehouse.sqlite").exists(), "never a silent fall back to SQLite"


def test_a_database_that_does_not_exist_is_named_at_once(tmp_path):
    """The pool would try again until the start's 15 s ran out and say only that no answer
    came; the start says what PostgreSQL said, at once."""
    url = urlunparse(urlparse(BASE_URL)._replace(path="/gh_no_such_database"))
    started = time.monotonic()
    done = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)],
                          env=dict(os.environ, GATEHOUSE_DATABASE_URL=url), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert 'database "gh_no_such_database" does not exist (SQLSTATE 3D000)' in done.stderr
    assert time.monotonic() - started < 5


def test_a_callback_on_one_replica_wakes_a_wait_parked_on_another(workdir, database, user_id):
    a = Replica(workdir, "wake-a", database)
    b = Replica(workdir, "wake-b", database, public_url=a.base)
    c = Replica(workdir, "wake-c", database, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-wake", 3600, f"{a.base}/v1/oauth/pgwake/callback")
    try:
        key = a.admin_key()
        on_a, on_b, on_c = a.client(key), b.client(key), c.client(key)
        # C has read the providers (and caches them); a provider made on B is still seen at once.
        on_c.admin.auth_providers.list()
        on_b.admin.auth_providers.create(**oauth.provider_definition("pgwake"))
        time.sleep(0.3)
        r = on_c.auth.start(user_id=user_id, provider="pgwake", scopes=["read"])
        assert r.status == "pending"
        # A long-poll parks on C; the consent's callback lands on B.
        woke = {}

        def park():
            started = time.monotonic()
            woke["status"] = on_c.auth.status(id=r.id, wait=30).status
            woke["after"] = time.monotonic() - started

        waiter = threading.Thread(target=park)
        waiter.start()
        time.sleep(0.5)
        browser = requests.Session()
        callback = urlparse(consent_until_redirect(browser, r.url))._replace(netloc=f"127.0.0.1:{b.port}").geturl()
        delivered = time.monotonic()
        assert browser.get(callback, timeout=30, allow_redirects=False).status_code == 200
        waiter.join(timeout=35)
        assert woke.get("status") == "completed"
        print(f"cross-replica wake: parked wait answered {time.monotonic() - delivered:.3f}s after the callback")
        assert woke["after"] < 25, "the wait ran out instead of waking"
        assert on_a.auth.start(user_id=user_id, provider="pgwake", scopes=["read"]).status == "completed"
    finally:
        stop(oauth.process)
        for replica in (a, b, c):
            stop(replica.process)


class Proxy:
    """A TCP forwarder in front of PostgreSQL that the test can cut and restore: the database
    going away and coming back, as a replica sees it."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.sockets = []
        self.upstream_ports = []
        self.listener = None
        self.start()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                # The database is down (the test stopped it): the client's connection ends.
                client.close()
                continue
            self.sockets += [client, upstream]
            self.upstream_ports.append(upstream.getsockname()[1])
            self._relay(client, upstream)

    def _relay(self, client, upstream):
        """Passes bytes both ways between a client and its connection to the server."""
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()

    def _answers(self, server, client):
        """What the server says, to the client."""
        self._pump(server, client)

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        Proxy._shut(source, sink)

    @staticmethod
    def _shut(*sockets):
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop_accepting(self):
        """No new connection gets through; the open ones go on."""
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def stop(self):
        # shutdown() first: close() alone leaves a listener blocked in accept() listening.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.sockets = []


class CommitCuttingProxy(Proxy):
    """The proxy above, which can also cut a connection right after the server has answered a
    `COMMIT`: the transaction is committed, and the client never hears it."""

    def __init__(self, target_port):
        self.armed = threading.Event()
        self.cut = threading.Event()
        super().__init__(target_port)

    def _answers(self, server, client):
        """Forwards the server's messages whole (a type byte, then a length that counts itself),
        and, when armed, drops the connection in place of the next `COMMIT`'s CommandComplete."""
        pending = b""
        try:
            while data := server.recv(65536):
                pending += data
                whole = b""
                while len(pending) >= 5 and len(pending) >= 1 + int.from_bytes(pending[1:5], "big"):
                    size = 1 + int.from_bytes(pending[1:5], "big")
                    message, pending = pending[:size], pending[size:]
                    if self.armed.is_set() and message[:1] == b"C" and message[5:].startswith(b"COMMIT"):
                        self.armed.clear()
                        self.cut.set()
                        client.sendall(whole)
                        raise OSError("cut after the server's COMMIT")
                    whole += message
                client.sendall(whole)
        except OSError:
            pass
        self._shut(server, client)


def test_a_callback_whose_commit_answer_is_lost_still_completes_and_says_so(workdir, database, user_id):
    parsed = urlparse(database)
    proxy = CommitCuttingProxy(parsed.port)
    replica = Replica(workdir, "lost-commit", urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}")))
    oauth = OAuthServer(workdir, "pg-lost", 3600, f"{replica.base}/v1/oauth/pglost/callback")
    try:
        client = replica.client(replica.admin_key())
        client.admin.auth_providers.create(**oauth.provider_definition("pglost"))
        r = client.auth.start(user_id=user_id, provider="pglost", scopes=["read"])
        browser = requests.Session()
        callback = consent_until_redirect(browser, r.url)
        # The callback's one transaction (the flow completed, the connection stored) commits;
        # its connection goes before Gatehouse hears so.
        proxy.armed.set()
        page = browser.get(callback, timeout=30, allow_redirects=False)
        assert proxy.cut.is_set(), "no COMMIT went through the proxy"
        assert page.status_code == 200 and "<h1>Connected</h1>" in page.text, page.text[:300]
        assert client.auth.status(id=r.id).status == "completed"
        assert client.auth.start(user_id=user_id, provider="pglost", scopes=["read"]).status == "completed"
        assert "the flow had completed" in replica.log.read_text()
    finally:
        stop(oauth.process)
        stop(replica.process)
        proxy.stop()


def test_a_down_database_answers_503_at_once_and_service_returns_by_itself(workdir, database):
    parsed = urlparse(database)
    proxy = Proxy(parsed.port)
    through_proxy = urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}"))
    replica = Replica(workdir, "down-db", through_proxy)
    try:
        headers = {"Authorization": replica.admin_key()}
        assert requests.get(f"{replica.base}/v1/auth/status?id=ac_none", headers=headers, timeout=10).status_code == 404
        signed_in = requests.post(f"{replica.base}/dashboard/sign-in", data={"key": replica.admin_key()},
                                  allow_redirects=False, timeout=10)
        cookie = {"gatehouse_dashboard": signed_in.cookies["gatehouse_dashboard"]}
        page = requests.get(f"{replica.base}/dashboard/providers", cookies=cookie, timeout=10)
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        proxy.stop()
        started = time.monotonic()
        answer = requests.get(f"{replica.base}/v1/auth/status?id=ac_none", headers=headers, timeout=30)
        took = time.monotonic() - started
        assert answer.status_code == 503 and answer.json()["name"] == "store_unavailable"
        assert took < 7, f"the API hung {took:.1f}s while the database was down"
        ready = requests.get(f"{replica.base}/v1/health/ready", timeout=30)
        assert ready.status_code == 503 and ready.json() == {"healthy": False, "reason": "the store does not answer"}
        # The same through the CLI, without a key, as a deploy script checks it.
        keyless = {k: v for k, v in os.environ.items() if k not in ("ARCADE_API_KEY", "GATEHOUSE_API_KEY")}
        check = subprocess.run([GATEHOUSE_BIN, "health", "--ready", "--base-url", replica.base], env=keyless,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 5 and check.stdout.strip() == "not ready: the store does not answer", check
        # Liveness stays up: the process is fine, an orchestrator must not restart it.
        assert requests.get(f"{replica.base}/v1/health", timeout=5).json() == {"healthy": True}
        # A person on the dashboard reads a page, not the API's JSON; signing out still signs
        # this browser out, and says the server could not record it.
        down = requests.get(f"{replica.base}/dashboard/providers", cookies=cookie, timeout=30)
        assert down.status_code == 503 and down.headers["content-type"].startswith("text/html"), down.text[:300]
        assert "The server cannot reach its database" in down.text, down.text[:300]
        out = requests.post(f"{replica.base}/dashboard/sign-out", data={"csrf": csrf}, cookies=cookie,
                            allow_redirects=False, timeout=30)
        assert out.status_code == 503 and "Signed out of this browser only" in out.text, out.text[:300]
        assert "Max-Age=0" in out.headers["set-cookie"], out.headers
        proxy.start()
        back = time.monotonic()
        while requests.get(f"{replica.base}/v1/health/ready", timeout=30).status_code != 200:
            assert time.monotonic() - back < 10, "service did not return within 10 s of the database"
            time.sleep(0.2)
        print(f"down database: 503 after {took:.2f}s; healthy {time.monotonic() - back:.2f}s after it came back")
        assert requests.get(f"{replica.base}/v1/auth/status?id=ac_none", headers=headers, timeout=10).status_code == 404
        # As that page said: the sign-out was not recorded, so a copy of the cookie still works.
        copy = requests.get(f"{replica.base}/dashboard/providers", cookies=cookie, allow_redirects=False, timeout=10)
        assert copy.status_code == 200
    finally:
        stop(replica.process)
        proxy.stop()


def test_concurrent_authorizes_over_three_replicas_refresh_each_connection_once(workdir, database):
    from concurrent.futures import ThreadPoolExecutor

    replicas = [Replica(workdir, "refresh-a", database)]
    public = replicas[0].base
    replicas += [Replica(workdir, f"refresh-{n}", database, public_url=public) for n in ("b", "c")]
    # Tokens live 20 s: a refreshed one is stale again after half of that, and the burst below
    # must end before then (a run that took 4 s saw every connection refreshed twice with 6 s).
    oauth = OAuthServer(workdir, "pg-short", 20, f"{public}/v1/oauth/pgshort/callback")
    try:
        key = replicas[0].admin_key()
        admin = replicas[0].client(key)
        admin.admin.auth_providers.create(**oauth.provider_definition("pgshort"))
        users = [f"refresh-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(10)]
        for user in users:
            r = admin.auth.start(user_id=user, provider="pgshort", scopes=["read"])
            browser = requests.Session()
            assert browser.get(consent_until_redirect(browser, r.url), timeout=30, allow_redirects=False).status_code == 200
        time.sleep(20.5)  # every access token has expired
        before = oauth.stats()["refresh_token_grants"]

        def authorize(n):
            replica = replicas[n % 3]
            answer = requests.post(
                f"{replica.base}/v1/auth/authorize", headers={"Authorization": key}, timeout=60,
                json={"auth_requirement": {"provider_id": "pgshort", "oauth2": {"scopes": ["read"]}},
                      "user_id": users[n % len(users)]})
            body = answer.json()
            return answer.status_code, body.get("status") or body.get("message")

        with ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(authorize, range(300)))
        assert answers.count((200, "completed")) == 300, set(answers)
        refreshes = oauth.stats()["refresh_token_grants"] - before
        print(f"300 authorizes over 3 replicas on {len(users)} expired connections: {refreshes} refreshes at the provider")
        assert refreshes == len(users)
    finally:
        stop(oauth.process)
        for replica in replicas:
            stop(replica.process)


def test_store_copy_moves_a_sqlite_install_to_postgres(workdir, database, user_id):
    data = workdir / "copy-data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = workdir / "copy-sqlite.log"
    gatehouse_log(log)
    oauth = OAuthServer(workdir, "pg-copy", 3600, f"{base}/v1/oauth/pgcopy/callback")
    sqlite = subprocess.Popen([GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(data)],
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"{base}/v1/health", process=sqlite, log=log)
        key = [line.split("=", 1)[1] for line in log.read_text().splitlines() if "ARCADE_API_KEY=" in line][0]
        client = Arcade(api_key=key, base_url=base, max_retries=0)
        client.admin.auth_providers.create(**oauth.provider_definition("pgcopy"))
        r = client.auth.start(user_id=user_id, provider="pgcopy", scopes=["read"])
        browser = requests.Session()
        assert browser.get(consent_until_redirect(browser, r.url), timeout=30, allow_redirects=False).status_code == 200
        token = client.auth.status(id=r.id).context.token
        stop(sqlite)

        copy = [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{data}/gatehouse.sqlite", "--to", database]
        done = subprocess.run(copy, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        print(done.stdout)
        lines = [line.split() for line in done.stdout.splitlines()[1:]]
        assert {row[0] for row in lines} == {
            "providers", "flows", "connections", "api_keys", "settings", "secrets", "revocations", "retired_providers"}
        assert all(row[-1] == "yes" and row[1] == row[2] for row in lines)
        assert next(row for row in lines if row[0] == "connections")[1] == "1"
        refused = subprocess.run(copy, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "--replace" in refused.stderr

        # The same install on PostgreSQL: same key, same grant, no consent again.
        replica = subprocess.Popen([GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(data)],
                                   env=dict(os.environ, GATEHOUSE_DATABASE_URL=database),
                                   stdout=gatehouse_log(workdir / "copy-pg.log").open("w"), stderr=subprocess.STDOUT)
        try:
            wait_http(f"{base}/v1/health", process=replica)
            again = Arcade(api_key=key, base_url=base, max_retries=0).auth.start(
                user_id=user_id, provider="pgcopy", scopes=["read"])
            assert again.status == "completed" and again.context.token == token
            # A copy that would replace the rows under a running replica is refused, naming it.
            replacing = subprocess.run(copy + ["--replace"], capture_output=True, text=True, timeout=120)
            assert replacing.returncode == 2, replacing.stderr
            assert f"gatehouse serve runs on the target (" in replacing.stderr, replacing.stderr
            assert f"pid {replica.pid}" in replacing.stderr, replacing.stderr
        finally:
            stop(replica)
    finally:
        stop(sqlite)
        stop(oauth.process)


def test_store_copy_from_a_database_without_gatehouse_refuses_and_leaves_it_as_it_was(database, tmp_path):
    """A mistyped source database: opening it would have migrated it (tables made in a database
    that is not Gatehouse's) and copied 0 rows as a success."""
    done = subprocess.run(
        [GATEHOUSE_BIN, "store", "copy", "--from", database, "--to", f"sqlite:{tmp_path}/copy.sqlite"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "it has no Gatehouse tables" in done.stderr, done.stderr
    tables = subprocess.run(["psql", database.split("?")[0], "-tAc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
                            check=True, capture_output=True, text=True, timeout=30).stdout.strip()
    assert tables == "0"
    assert not (tmp_path / "copy.sqlite").exists()
    missing = subprocess.run(
        [GATEHOUSE_BIN, "store", "copy", "--from", f"sqlite:{tmp_path}/typo.sqlite", "--to", f"sqlite:{tmp_path}/copy.sqlite"],
        capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "it has no Gatehouse tables" in missing.stderr
    assert not (tmp_path / "typo.sqlite").exists()


def test_replicas_starting_together_on_an_empty_database_make_one_admin_key(workdir, database):
    ports = [free_port(), free_port()]
    logs = [gatehouse_log(workdir / f"together-{n}.log") for n in range(2)]
    processes = [
        subprocess.Popen([GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(workdir / "together-data")],
                         env=dict(os.environ, GATEHOUSE_DATABASE_URL=database), stdout=log.open("w"),
                         stderr=subprocess.STDOUT)
        for port, log in zip(ports, logs)
    ]
    try:
        for port, process, log in zip(ports, processes, logs):
            wait_http(f"http://127.0.0.1:{port}/v1/health", process=process, log=log)
        keys = [line for log in logs for line in log.read_text().splitlines() if "ARCADE_API_KEY=" in line]
        assert len(keys) == 1
    finally:
        for process in processes:
            stop(process)



def test_a_replica_that_made_a_root_key_of_its_own_is_refused_even_before_any_secret(workdir, database):
    """Replicas given GATEHOUSE_DATABASE_URL alone, each in a directory of its own, each made a
    root key: a provider added through one then answered 500 through the other. The second now
    refuses to start, before anything is sealed under its key; the first serves on."""
    first = Replica(workdir, "own-key-first", database)
    try:
        own = workdir / "own-key-data"
        done = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(own)],
                              env=dict(os.environ, GATEHOUSE_DATABASE_URL=database), capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, done.stderr
        assert "the store was set up under another key" in done.stderr, done.stderr
        assert "security.root_keys" in done.stderr
        assert not (own / "root.key").exists(), "no key of its own is left to start with next time"
        # A replica with the shared key (here, the same data directory) still starts.
        second = Replica(workdir, "own-key-second", database)
        stop(second.process)
        assert requests.get(f"{first.base}/v1/health", timeout=5).json() == {"healthy": True}
    finally:
        stop(first.process)


class SlowRefreshProvider:
    """A token endpoint that hands out 2-second tokens, and holds its first refresh answer for
    a while: long enough to kill the replica waiting for it."""

    def __init__(self, hold):
        import http.server

        self.refreshes = 0
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                form = dict(x.split("=", 1) for x in self.rfile.read(int(self.headers["Content-Length"])).decode().split("&"))
                if form.get("grant_type") == "refresh_token":
                    provider.refreshes += 1
                    if provider.refreshes == 1:
                        time.sleep(hold)
                    body = {"access_token": f"refreshed-{provider.refreshes}", "expires_in": 3600, "token_type": "Bearer"}
                else:
                    body = {"access_token": "first", "refresh_token": "rt", "expires_in": 2, "token_type": "Bearer"}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def definition(self, provider_id):
        token = {"endpoint": f"http://127.0.0.1:{self.port}/token", "auth_method": "client_secret_basic"}
        return {"id": provider_id, "oauth2": {
            "client_id": "c", "client_secret": "s3cret-s3cret-s3cret",
            "authorize_request": {"endpoint": "https://idp.example/authorize",
                                  "params": {"response_type": "code", "redirect_uri": "{{redirect_uri}}"}},
            "token_request": token, "refresh_request": token}}


@contextmanager
def callback_held_at_the_code_exchange(replica, user_id, provider_id):
    """A provider whose token endpoint takes the connection and never answers, an authorization
    for `user_id`, and its callback on `replica`: yields (pending, link, headers) once `replica`
    took the state and waits on the code exchange."""
    provider = SlowRefreshProvider(hold=0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(20)
        try:
            headers = {"Authorization": replica.admin_key()}
            definition = provider.definition(provider_id)
            definition["oauth2"]["token_request"]["endpoint"] = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
            replica.client(headers["Authorization"]).admin.auth_providers.create(**definition)
            body = {"auth_requirement": {"provider_id": provider_id}, "user_id": user_id}
            pending = requests.post(f"{replica.base}/v1/auth/authorize", json=body, headers=headers, timeout=10).json()
            link = f"/v1/oauth/{provider_id}/callback?code=c1&state={query(pending['url'])['state']}"

            def browser_returns():
                try:
                    requests.get(replica.base + link, timeout=60)
                except requests.RequestException:
                    pass  # the replica may be killed under it

            threading.Thread(target=browser_returns, daemon=True).start()
            exchange, _ = silent.accept()
            try:
                yield pending, link, headers
            finally:
                exchange.close()
        finally:
            provider.server.shutdown()


def test_a_replica_killed_while_holding_a_lease_delays_the_refresh_by_at_most_the_lease(workdir, database, user_id):
    config = """
auth:
  refresh_lease: 3s
  user_verification: { unsafe_skip_verification: true }
security:
  allowed_provider_networks: [127.0.0.0/8]
"""
    provider = SlowRefreshProvider(hold=20)
    a = Replica(workdir, "lease-a", database, config=config)
    b = Replica(workdir, "lease-b", database, public_url=a.base, config=config)
    try:
        key = a.admin_key()
        headers = {"Authorization": key}
        a.client(key).admin.auth_providers.create(**provider.definition("slow"))
        body = {"auth_requirement": {"provider_id": "slow"}, "user_id": user_id}
        pending = requests.post(f"{a.base}/v1/auth/authorize", json=body, headers=headers, timeout=10).json()
        callback = f"{a.base}/v1/oauth/slow/callback?code=c&state={query(pending['url'])['state']}"
        assert requests.get(callback, timeout=10).status_code == 200
        time.sleep(2.2)  # the token has expired
        # A starts the refresh and holds the lease while the provider sits on the answer...
        def refresh_on_a():
            try:
                requests.post(f"{a.base}/v1/auth/authorize", json=body, headers=headers, timeout=60)
            except requests.ConnectionError:
                pass  # A is killed under this request

        threading.Thread(target=refresh_on_a, daemon=True).start()
        deadline = time.monotonic() + 10
        while provider.refreshes == 0:
            assert time.monotonic() < deadline, "replica A never called the provider"
            time.sleep(0.05)
        # ...and dies.
        a.process.kill()
        killed = time.monotonic()
        answer = requests.post(f"{b.base}/v1/auth/authorize", json=body, headers=headers, timeout=60).json()
        took = time.monotonic() - killed
        print(f"lease holder killed: B refreshed {took:.2f}s later (lease 3 s)")
        assert answer["status"] == "completed" and answer["context"]["token"] == "refreshed-2"
        assert took < 3 + 2
        assert provider.refreshes == 2
    finally:
        stop(a.process)
        stop(b.process)
        provider.server.shutdown()


def test_postgres_restarted_under_load_answers_503_then_serves_again_losing_nothing(workdir, database):
    from concurrent.futures import ThreadPoolExecutor

    ctl = os.environ.get("GATEHOUSE_TEST_POSTGRES_CTL")
    if not ctl:
        pytest.skip("needs GATEHOUSE_TEST_POSTGRES_CTL (scripts/postgres.sh sets it)")
    a = Replica(workdir, "restart-a", database)
    b = Replica(workdir, "restart-b", database, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-restart", 3600, f"{a.base}/v1/oauth/pgrestart/callback")
    try:
        key = a.admin_key()
        admin = a.client(key)
        admin.admin.auth_providers.create(**oauth.provider_definition("pgrestart"))
        users = [f"restart-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(6)]
        tokens = {}
        for user in users:
            r = admin.auth.start(user_id=user, provider="pgrestart", scopes=["read"])
            browser = requests.Session()
            assert browser.get(consent_until_redirect(browser, r.url), timeout=30, allow_redirects=False).status_code == 200
            tokens[user] = admin.auth.status(id=r.id).context.token

        answers = []  # (sent, took, status code, status or error name)
        running = threading.Event()
        running.set()

        def load(worker):
            n = worker
            session = requests.Session()
            while running.is_set():
                replica = (a, b)[n % 2]
                sent = time.monotonic()
                try:
                    answer = session.post(
                        f"{replica.base}/v1/auth/authorize", headers={"Authorization": key}, timeout=30,
                        json={"auth_requirement": {"provider_id": "pgrestart", "oauth2": {"scopes": ["read"]}},
                              "user_id": users[n % len(users)]})
                    body = answer.json()
                    answers.append((sent, time.monotonic() - sent, answer.status_code, body.get("status") or body.get("name")))
                except requests.RequestException as error:
                    answers.append((sent, time.monotonic() - sent, 0, type(error).__name__))
                n += 3

        def healthy(replica):
            try:
                return requests.get(f"{replica.base}/v1/health/ready", timeout=10).status_code == 200
            except requests.RequestException:
                return False

        with ThreadPoolExecutor(max_workers=8) as pool:
            workers = [pool.submit(load, w) for w in range(8)]
            time.sleep(2)
            subprocess.run([ctl, "stop", "-m", "fast"], check=True, capture_output=True, timeout=60)
            down = time.monotonic()
            time.sleep(1)
            assert not healthy(a) and not healthy(b), "/v1/health/ready said ready with the database down"
            time.sleep(3)
            # pg_ctl returns a poll interval or so after the server accepts connections: an answer
            # in that gap may rightly be a 200, so "down" ends when the start begins.
            starting = time.monotonic()
            subprocess.run([ctl, "start"], check=True, capture_output=True, timeout=60)
            up = time.monotonic()
            while not (healthy(a) and healthy(b)):
                assert time.monotonic() - up < 10, "service did not return within 10 s of the database"
                time.sleep(0.2)
            back = time.monotonic()
            time.sleep(3)
            running.clear()
            for worker in workers:
                worker.result()

        odd = [(round(sent - down, 2), round(took, 2), code, name) for sent, took, code, name in answers
               if (code, name) not in {(200, "completed"), (503, "store_unavailable")}]
        assert not odd, f"answers other than 200 completed or 503 (sent after the stop, took, code, name): {odd}"
        # A token already in memory may still be handed out just after the database went away,
        # until the API key's cache entry lapses (1 s); after that, every answer is a 503.
        while_down = [code for sent, took, code, _ in answers if sent > down + 1.5 and sent + took < starting]
        served = [(round(sent - down, 2), round(took, 2)) for sent, took, code, _ in answers
                  if sent > down + 1.5 and sent + took < starting and code != 503]
        assert while_down and set(while_down) == {503}, f"served while down (sent after the stop, took): {served}"
        assert max(took for _, took, _, _ in answers) < 7, "a request hung while the database was down"
        after = [code for sent, _, code, _ in answers if sent > back + 0.5]
        assert after and set(after) == {200}, f"{after.count(503)} of {len(after)} failed once healthy"
        print(f"PostgreSQL restarted under load: {len(answers)} authorizes; down {up - down:.1f}s, {len(while_down)} "
              f"answered 503 meanwhile; healthy {back - up:.2f}s after it came back; {len(after)} served after")

        # Nothing completed is lost, and the replicas' LISTEN connections came back: a callback on
        # B still wakes a wait parked on A.
        for user in users:
            assert admin.auth.start(user_id=user, provider="pgrestart", scopes=["read"]).context.token == tokens[user]
        r = admin.auth.start(user_id=f"restart-new-{uuid.uuid4().hex[:6]}@example.com", provider="pgrestart",
                             scopes=["read"])
        woke = {}
        waiter = threading.Thread(target=lambda: woke.update(status=admin.auth.status(id=r.id, wait=20).status))
        waiter.start()
        time.sleep(0.5)
        browser = requests.Session()
        callback = urlparse(consent_until_redirect(browser, r.url))._replace(netloc=f"127.0.0.1:{b.port}").geturl()
        assert browser.get(callback, timeout=30, allow_redirects=False).status_code == 200
        delivered = time.monotonic()
        waiter.join(timeout=25)
        assert woke.get("status") == "completed" and time.monotonic() - delivered < 5
    finally:
        subprocess.run([ctl, "start"], capture_output=True, timeout=60)  # a failed test leaves it running
        stop(oauth.process)
        stop(a.process)
        stop(b.process)


def served_by_both(on_a, on_b, oauth, provider, user_id):
    """A grant made through A (a consent in a plain HTTP session), then served by B three times,
    so B holds it in memory."""
    on_a.admin.auth_providers.create(**oauth.provider_definition(provider))
    r = on_a.auth.start(user_id=user_id, provider=provider, scopes=["read"])
    browser = requests.Session()
    assert browser.get(consent_until_redirect(browser, r.url), timeout=30, allow_redirects=False).status_code == 200
    for _ in range(3):
        assert on_b.auth.start(user_id=user_id, provider=provider, scopes=["read"]).status == "completed"


def deleted_on_a_until_b_stops(on_a, on_b, provider, user_id, limit, message):
    """Deletes the user's connection through A; returns how long B went on serving it."""
    connection = on_a.admin.user_connections.list(user={"id": user_id}).items[0]
    on_a.admin.user_connections.delete(connection.id)
    deleted = time.monotonic()
    while on_b.auth.start(user_id=user_id, provider=provider, scopes=["read"]).status == "completed":
        assert time.monotonic() - deleted < limit, message
        time.sleep(0.05)
    return time.monotonic() - deleted


def test_a_connection_deleted_on_one_replica_is_not_served_by_another(workdir, database, user_id):
    a = Replica(workdir, "forget-a", database)
    b = Replica(workdir, "forget-b", database, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-forget", 3600, f"{a.base}/v1/oauth/pgforget/callback")
    try:
        key = a.admin_key()
        on_a, on_b = a.client(key), b.client(key)
        served_by_both(on_a, on_b, oauth, "pgforget", user_id)
        took = deleted_on_a_until_b_stops(
            on_a, on_b, "pgforget", user_id, 2, "another replica kept handing out a deleted grant's token")
        print(f"deleted on A: B stopped serving the grant {took:.3f}s later")
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)


def test_a_replica_that_cannot_hear_the_others_stops_serving_a_deleted_grant_within_a_second(
        workdir, database, user_id):
    """B's change channel (its LISTEN connection) is cut and cannot come back, while its pool's
    connections still serve: B cannot hear A's delete, so its caches keep entries for a second
    only, and it stops handing out the deleted grant's token within about that (it was the
    caches' 30 s before)."""
    parsed = urlparse(database)
    proxy = Proxy(parsed.port)
    through_proxy = urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}"))
    a = Replica(workdir, "deaf-a", database)
    b = Replica(workdir, "deaf-b", through_proxy, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-deaf", 3600, f"{a.base}/v1/oauth/pgdeaf/callback")
    try:
        key = a.admin_key()
        on_a, on_b = a.client(key), b.client(key)
        served_by_both(on_a, on_b, oauth, "pgdeaf", user_id)

        proxy.stop_accepting()
        ports = ",".join(map(str, proxy.upstream_ports))
        cut = subprocess.run(
            ["psql", database.split("?")[0], "-tAc",
             f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             f"WHERE query ILIKE 'listen%' AND client_port IN ({ports})"],
            check=True, timeout=30, capture_output=True, text=True).stdout.strip()
        assert cut == "1", f"expected B's one LISTEN connection, cut {cut}"
        started = time.monotonic()
        while "change channel lost" not in b.log.read_text():
            assert time.monotonic() - started < 10, "B did not notice its channel was cut"
            time.sleep(0.1)
        assert on_b.auth.start(user_id=user_id, provider="pgdeaf", scopes=["read"]).status == "completed"

        took = deleted_on_a_until_b_stops(
            on_a, on_b, "pgdeaf", user_id, 3, "a replica without its channel kept handing out a deleted grant")
        print(f"channel cut: B stopped serving the deleted grant {took:.3f}s after A's delete")
        # B still answers from the store, so it stays ready.
        assert requests.get(f"{b.base}/v1/health/ready", timeout=10).status_code == 200
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)
        proxy.stop()


def test_a_replica_whose_file_leaves_a_provider_out_says_so_and_may_delete_it(workdir, database, user_id):
    """Replicas may run different files for a while (a rollout): a start that leaves a provider
    out does not make it inactive for the whole fleet; it says so, and that replica's admin API
    may delete it (the one whose file lists it may not)."""
    port = free_port()
    oauth = OAuthServer(workdir, "pg-cfg", 3600, f"http://127.0.0.1:{port}/v1/oauth/pgcfg/callback")
    base = "auth:\n  user_verification: { unsafe_skip_verification: true }\n"
    networks = "security:\n  allowed_provider_networks: [127.0.0.0/8]\n"
    listing = base + f"  providers:\n    - {json.dumps(oauth.provider_definition('pgcfg'))}\n" + networks
    a = Replica(workdir, "cfg-a", database, port=port, config=listing)
    b = Replica(workdir, "cfg-b", database, public_url=a.base, config=base + networks)
    try:
        key = a.admin_key()
        assert "auth provider 'pgcfg' comes from a config file but not this one" in b.log.read_text()
        r = b.client(key).auth.start(user_id=user_id, provider="pgcfg", scopes=["read"])
        assert r.status == "pending", "it still serves"
        headers = {"Authorization": key}
        assert requests.delete(f"{a.base}/v1/admin/auth_providers/pgcfg", headers=headers, timeout=10).status_code == 403
        assert requests.delete(f"{b.base}/v1/admin/auth_providers/pgcfg", headers=headers, timeout=10).status_code == 200
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)


def test_a_dashboard_session_signed_out_on_one_replica_is_refused_by_another(workdir, database):
    a = Replica(workdir, "dash-a", database)
    b = Replica(workdir, "dash-b", database, public_url=a.base)
    try:
        signed_in = requests.post(f"{a.base}/dashboard/sign-in", data={"key": a.admin_key()}, allow_redirects=False,
                                  timeout=10)
        assert signed_in.status_code == 303, signed_in.text
        cookie = {"gatehouse_dashboard": signed_in.cookies["gatehouse_dashboard"]}
        page = requests.get(f"{b.base}/dashboard/providers", cookies=cookie, allow_redirects=False, timeout=10)
        assert page.status_code == 200, "the other replica accepts the session"
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        out = requests.post(f"{b.base}/dashboard/sign-out", data={"csrf": csrf}, cookies=cookie, allow_redirects=False,
                            timeout=10)
        assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
        for replica in (a, b):
            again = requests.get(f"{replica.base}/dashboard/providers", cookies=cookie, allow_redirects=False, timeout=10)
            assert again.status_code == 303, replica.base
            assert again.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Fproviders&reason=ended", replica.base
    finally:
        stop(a.process)
        stop(b.process)

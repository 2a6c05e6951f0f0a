"""Gatehouse on PostgreSQL over TLS, as an operator across a network sets it: the test server
(scripts/postgres.sh) offers TLS with a certificate for localhost from a CA of its own. With
`sslmode=verify-full` and that CA in `sslrootcert`, a grant is made and served and every session
Gatehouse holds is encrypted; a certificate from a CA not trusted, or for another name, stops
the start at once, saying which. The role gh_cert logs in with its client certificate only."""
import os
import subprocess
import time
from urllib.parse import urlencode, urlparse, urlunparse

import requests

from conftest import GATEHOUSE_BIN, OAuthServer, free_port, gatehouse_log, stop, wait_http
from test_postgres import Replica, consent_until_redirect, database, psql, pytestmark  # noqa: F401

CA = os.environ.get("GATEHOUSE_TEST_POSTGRES_CA", "")


def with_tls(url, mode, roots=None, host="localhost"):
    """The database by the name its certificate holds, unless told another."""
    parsed = urlparse(url)
    parsed = parsed._replace(netloc=parsed.netloc.replace("127.0.0.1", host))
    query = {"sslmode": mode, **({"sslrootcert": roots} if roots else {})}
    return urlunparse(parsed._replace(query=urlencode(query)))


def sessions(name):
    """Whether each session on database `name` (other than this one) is encrypted."""
    sql = ("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
           f"WHERE a.datname = '{name}' AND a.pid <> pg_backend_pid()")
    out = subprocess.run(["psql", os.environ["GATEHOUSE_TEST_POSTGRES_URL"].split("?")[0], "-Atc", sql],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    return [line == "t" for line in out.split()]


def start_refused(tmp_path, url):
    started = time.monotonic()
    done = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path)],
                          env=dict(os.environ, GATEHOUSE_DATABASE_URL=url), capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - started


def test_verify_full_with_the_databases_ca_serves_grants_on_encrypted_sessions(workdir, database, user_id):
    assert CA, "GATEHOUSE_TEST_POSTGRES_CA is not set: scripts/postgres.sh sets it"
    a = Replica(workdir, "tls-a", with_tls(database, "verify-full", CA))
    oauth = OAuthServer(workdir, "pg-tls", 3600, f"{a.base}/v1/oauth/pgtls/callback")
    try:
        client = a.client(a.admin_key())
        client.admin.auth_providers.create(**oauth.provider_definition("pgtls"))
        r = client.auth.start(user_id=user_id, provider="pgtls", scopes=["read"])
        browser = requests.Session()
        assert browser.get(consent_until_redirect(browser, r.url), timeout=30, allow_redirects=False).status_code == 200
        done = client.auth.wait_for_completion(r)
        assert done.status == "completed" and done.context.token
        encrypted = sessions(urlparse(database).path.lstrip("/"))
        assert encrypted and all(encrypted), f"sessions on the database, encrypted or not: {encrypted}"
        assert client.auth.start(user_id=user_id, provider="pgtls", scopes=["read"]).context.token == done.context.token
    finally:
        stop(oauth.process)
        stop(a.process)


def test_a_certificate_from_a_ca_not_trusted_stops_the_start_at_once(database, tmp_path):
    # Without sslrootcert the system's trust store is used, which does not hold the test CA.
    done, took = start_refused(tmp_path, with_tls(database, "verify-full"))
    assert done.returncode == 2, done.stderr
    assert "the server's certificate is not signed by a CA in the system's trust store (sslmode=verify-full)" in done.stderr
    assert took < 5
    assert not (tmp_path / "gatehouse.sqlite").exists(), "never a silent fall back to SQLite"


def test_verify_full_refuses_a_certificate_for_another_name_and_verify_ca_takes_it(workdir, database, tmp_path):
    # The certificate names localhost; 127.0.0.1 reaches the same server.
    done, took = start_refused(tmp_path, with_tls(database, "verify-full", CA, host="127.0.0.1"))
    assert done.returncode == 2, done.stderr
    assert "the server's certificate does not name 127.0.0.1" in done.stderr
    assert took < 5
    a = Replica(workdir, "tls-ca", with_tls(database, "verify-ca", CA, host="127.0.0.1"))
    try:
        assert requests.get(f"{a.base}/v1/health", timeout=5).status_code == 200
    finally:
        stop(a.process)


def test_a_client_certificate_named_in_the_config_files_parts_logs_in(workdir, database):
    parsed = urlparse(database)
    name = parsed.path.lstrip("/")
    psql(f"ALTER DATABASE {name} OWNER TO gh_cert")  # so that its migrations may create tables
    directory = os.path.dirname(CA)
    config = workdir / "client-cert.yaml"
    config.write_text(f"""auth: {{ user_verification: {{ unsafe_skip_verification: true }} }}
storage:
  postgres:
    host: localhost
    port: {parsed.port}
    user: gh_cert
    database: {name}
    sslmode: verify-full
    sslrootcert: {CA}
    sslcert: {directory}/client.crt
    sslkey: {directory}/client.key
""")
    port, log = free_port(), gatehouse_log(workdir / "client-cert.log")
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_DATABASE_URL"}
    process = subprocess.Popen(
        [GATEHOUSE_BIN, "serve", "--port", str(port), "--data-dir", str(workdir / "client-cert-data"), "--config",
         str(config)], env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health", process=process, log=log)
        assert requests.get(f"http://127.0.0.1:{port}/v1/health/ready", timeout=5).status_code == 200
        assert "ARCADE_API_KEY=arc_" in log.read_text(), "the first start made its admin key in the database"
        assert sessions(name) and all(sessions(name))
    finally:
        stop(process)
    # Without the certificate the server refuses gh_cert, and the start says so at once.
    config.write_text("\n".join(line for line in config.read_text().splitlines() if "sslcert" not in line
                                and "sslkey" not in line) + "\n")
    done = subprocess.run([GATEHOUSE_BIN, "serve", "--port", str(free_port()), "--data-dir", str(workdir / "no-cert"),
                           "--config", str(config)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "SQLSTATE 28000" in done.stderr

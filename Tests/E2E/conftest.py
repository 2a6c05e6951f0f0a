"""Fixtures for the end-to-end suite: a real OAuth 2.0 server (django-oauth-toolkit), the real
gatehouse binary, and the real arcadepy client, all on 127.0.0.1."""
import os
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from arcadepy import Arcade

import openapi_check

# Every response Gatehouse gives any test is checked against its OpenAPI document.
openapi_check.install()

HERE = Path(__file__).resolve().parent
OAUTH_DIR = HERE / "oauth_server"
GATEHOUSE_BIN = os.environ.get("GATEHOUSE_BIN", str(HERE.parents[1] / ".build" / "debug" / "gatehouse"))
GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"


_handed_out = set()


def free_port():
    """A port nothing listens on, and not handed out before in this run: once the probe socket
    closes, the kernel may offer the same port again, and a second server started before the
    first has bound it would take it (a test saw the OAuth server answer Gatehouse's health)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_http(url, timeout=30, process=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited early ({process.returncode}): {log.read_text() if log else ''}")
        try:
            response = requests.get(url, timeout=1)
            if response.status_code < 500:
                return response
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def stop(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class OAuthServer:
    """One django-oauth-toolkit instance with its own database and token lifetime."""

    def __init__(self, workdir, name, token_lifetime, redirect_uri, openid=False, port=None, omit_expires_in=False,
                 answer_instance_url=False, authorize_iss_file=None, omit_refresh_token=False,
                 refresh_answer_delay_file=None, code_answer_delay_file=None, revocation_outage_file=None,
                 nest_user_tokens=False):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.client_id = f"gatehouse-{name}"
        self.client_secret = uuid.uuid4().hex + uuid.uuid4().hex
        self.db = workdir / f"{name}.sqlite3"
        self.log = workdir / f"{name}.log"
        self.issued = workdir / f"{name}.issued"
        assert self.log not in GATEHOUSE_LOGS, f"{name}.log is a Gatehouse's log: name the server otherwise"
        OAUTH_SERVERS.append(self)
        self.env = dict(os.environ, OAUTH_SERVER_DB=str(self.db), ACCESS_TOKEN_EXPIRE_SECONDS=str(token_lifetime),
                        ISSUED_TOKENS_FILE=str(self.issued),
                        SESSION_COOKIE_NAME=f"{name}_session", CSRF_COOKIE_NAME=f"{name}_csrf",
                        OMIT_EXPIRES_IN="1" if omit_expires_in else "0",
                        ANSWER_INSTANCE_URL="1" if answer_instance_url else "0",
                        OMIT_REFRESH_TOKEN="1" if omit_refresh_token else "0",
                        NEST_USER_TOKENS="1" if nest_user_tokens else "0",
                        AUTHORIZE_ISS_FILE=str(authorize_iss_file or ""),
                        REFRESH_ANSWER_DELAY_FILE=str(refresh_answer_delay_file or ""),
                        CODE_ANSWER_DELAY_FILE=str(code_answer_delay_file or ""),
                        REVOCATION_OUTAGE_FILE=str(revocation_outage_file or ""))
        # As an OpenID Provider: an RS256 key of its own, and the issuer it names in ID tokens.
        self.issuer = f"{self.base}/o"
        if openid:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.env.update(OIDC_ISSUER=self.issuer, OIDC_RSA_PRIVATE_KEY=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
        manage = [sys.executable, "manage.py"]
        subprocess.run(manage + ["migrate", "-v0"], cwd=OAUTH_DIR, env=self.env, check=True, timeout=120)
        subprocess.run(
            manage + ["seed", "--client-id", self.client_id, "--client-secret", self.client_secret, "--redirect-uri", redirect_uri]
            + (["--openid"] if openid else []),
            cwd=OAUTH_DIR, env=self.env, check=True, timeout=60)
        self.process = subprocess.Popen(
            manage + ["runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=OAUTH_DIR, env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        wait_http(f"{self.base}/test/stats", process=self.process, log=self.log)

    def stats(self):
        return requests.get(f"{self.base}/test/stats", timeout=5).json()

    def revoking_definition(self, provider_id):
        """The custom provider, with this server's RFC 7009 endpoint as its revocation request."""
        definition = self.provider_definition(provider_id)
        definition["oauth2"]["token_revocation_request"] = {"endpoint": f"{self.base}/o/revoke_token/"}
        return definition

    def provider_definition(self, provider_id):
        """The custom provider, in Arcade's admin API shape."""
        return {
            "id": provider_id,
            "description": "django-oauth-toolkit test server",
            "type": "oauth2",
            "oauth2": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope_delimiter": " ",
                "pkce": {"enabled": True, "code_challenge_method": "S256"},
                "authorize_request": {
                    "endpoint": f"{self.base}/o/authorize/",
                    "params": {
                        "response_type": "code",
                        "client_id": "{{client_id}}",
                        "redirect_uri": "{{redirect_uri}}",
                        "scope": "{{scopes}} {{existing_scopes}}",
                    },
                },
                "token_request": {
                    "endpoint": f"{self.base}/o/token/",
                    "auth_method": "client_secret_basic",
                    "params": {"grant_type": "authorization_code", "redirect_uri": "{{redirect_uri}}"},
                    "response_content_type": "application/json",
                    "response_map": {
                        "access_token": "$.access_token",
                        "refresh_token": "$.refresh_token",
                        "expires_in": "$.expires_in",
                        "scope": "$.scope",
                        "token_type": "$.token_type",
                    },
                },
                "refresh_request": {
                    "endpoint": f"{self.base}/o/token/",
                    "auth_method": "client_secret_basic",
                    "params": {"grant_type": "refresh_token", "refresh_token": "{{refresh_token}}"},
                },
                "user_info_request": {
                    "endpoint": f"{self.base}/api/me",
                    "method": "GET",
                    "auth_method": "bearer_access_token",
                    "triggers": {"on_token_grant": True, "on_token_refresh": False},
                },
            },
        }

    def issued_tokens(self):
        """Every token this server handed out, as it answered (rotated and revoked ones too)."""
        return self.issued.read_text().split() if self.issued.exists() else []

    def stored_tokens(self):
        """Access and refresh tokens as the provider stored them (Gatehouse never shows the latter)."""
        import sqlite3

        with sqlite3.connect(self.db) as db:
            access = [row[0] for row in db.execute("SELECT token FROM oauth2_provider_accesstoken")]
            refresh = [row[0] for row in db.execute("SELECT token FROM oauth2_provider_refreshtoken")]
        return access, refresh


# Every OAuth server and every Gatehouse log of the session: `test_zzz_logs` looks for each
# server's tokens and client secret in each log.
OAUTH_SERVERS = []
GATEHOUSE_LOGS = set()


def gatehouse_log(path):
    """Registers a Gatehouse's log; one an OAuth server writes too would be searched for its own
    tokens."""
    assert all(server.log != path for server in OAUTH_SERVERS), f"{path.name} is an OAuth server's log"
    GATEHOUSE_LOGS.add(path)
    return path


class Gatehouse:
    """The real gatehouse binary on a data directory; can be restarted."""

    def __init__(self, workdir):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = workdir / "gatehouse-data"
        self.log = workdir / "gatehouse.log"
        gatehouse_log(self.log)
        self.process = None
        self.api_key = None
        self.start()

    def start(self):
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [GATEHOUSE_BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data),
                 "--log-format", "json"],
                stdout=log, stderr=subprocess.STDOUT)
        wait_http(f"{self.base}/v1/health", process=self.process, log=self.log)
        keys = re.findall(r"export ARCADE_API_KEY=(arc_\S+)", self.log.read_text())
        if self.api_key is None:
            assert len(keys) == 1, "the first start prints the API key exactly once"
            self.api_key = keys[0]

    def stop(self):
        stop(self.process)

    def restart(self):
        self.stop()
        self.start()

    def client(self):
        return Arcade(api_key=self.api_key, base_url=self.base, max_retries=0)

    def redirect_uri(self, provider_id):
        return f"{self.base}/v1/oauth/{provider_id}/callback"


class ConfiguredGatehouse:
    """A second gatehouse with a config file (and, optionally, a lowered open-file limit)."""

    def __init__(self, workdir, name, config, nofile=None, env=None, port=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = workdir / f"{name}-data"
        self.log = workdir / f"{name}.log"
        gatehouse_log(self.log)
        self.config = workdir / f"{name}.yaml"
        self.nofile = nofile
        self.env = dict(os.environ, **(env or {}))
        self.api_key = None
        self.start(config)

    def start(self, config):
        self.config.write_text(config)

        def limit():
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

        self.process = subprocess.Popen(
            [GATEHOUSE_BIN, "serve", "--config", str(self.config), "--port", str(self.port), "--data-dir", str(self.data)],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, preexec_fn=limit, env=self.env)
        wait_http(f"{self.base}/v1/health", process=self.process, log=self.log)
        if self.api_key is None:
            self.api_key = [line.split("=", 1)[1] for line in self.log.read_text().splitlines() if "ARCADE_API_KEY=" in line][0]

    def restart(self, config):
        self.stop()
        self.start(config)

    def cli(self, *args):
        done = subprocess.run(
            [GATEHOUSE_BIN, *args, "--config", str(self.config), "--data-dir", str(self.data)],
            capture_output=True, text=True, timeout=60, env=self.env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def client(self):
        return Arcade(api_key=self.api_key, base_url=self.base, max_retries=0)

    def stop(self):
        stop(self.process)


def lock_database_until_logged(gatehouse, said, timeout=20):
    """Holds the database file's write lock, as another process beside the server would, until
    Gatehouse logs `said` (it has waited the lock out once and is trying again), then frees it."""
    other = sqlite3.connect(gatehouse.data / "gatehouse.sqlite", isolation_level=None, timeout=10)
    other.execute("BEGIN IMMEDIATE")
    try:
        deadline = time.monotonic() + timeout
        while said not in gatehouse.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert said in gatehouse.log.read_text()
    finally:
        other.execute("COMMIT")
        other.close()


def provider_and_gatehouse(workdir, name, token_lifetime, auth="", env=None, **server_options):
    """A django-oauth-toolkit server of its own (`server_options` are OAuthServer's test switches)
    and a Gatehouse on the port its redirect URI names, verification skipped, `auth` added to its
    auth block, `env` added to its environment."""
    port = free_port()
    server = OAuthServer(
        workdir, name, token_lifetime, f"http://127.0.0.1:{port}/v1/oauth/{name}/callback", **server_options)
    gatehouse = ConfiguredGatehouse(workdir, f"{name}-gh", f"""
auth:
  user_verification: {{ unsafe_skip_verification: true }}
{auth}security:
  allowed_provider_networks: [127.0.0.1/32]
""", port=port, env=env)
    return server, gatehouse


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def gatehouse(workdir):
    if not Path(GATEHOUSE_BIN).exists():
        pytest.fail(f"gatehouse binary not found at {GATEHOUSE_BIN}: run `swift build` first")
    instance = Gatehouse(workdir)
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def dot(workdir, gatehouse):
    """The main OAuth server (hour-long tokens), registered in Gatehouse as provider `dot`."""
    server = OAuthServer(workdir, "dot", 3600, gatehouse.redirect_uri("dot"))
    created = gatehouse.client().admin.auth_providers.create(**server.provider_definition("dot"))
    assert created.oauth2.redirect_uri == gatehouse.redirect_uri("dot")
    yield server
    stop(server.process)


@pytest.fixture(scope="session")
def dot_short(workdir, gatehouse):
    """A second OAuth server whose access tokens expire after 6 seconds: provider `dotshort`."""
    server = OAuthServer(workdir, "dotshort", 6, gatehouse.redirect_uri("dotshort"))
    gatehouse.client().admin.auth_providers.create(**server.provider_definition("dotshort"))
    yield server
    stop(server.process)


@pytest.fixture
def client(gatehouse):
    return gatehouse.client()


@pytest.fixture
def user_id():
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


class FormParser(HTMLParser):
    """Collects the forms of a page: action and input fields."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}, "submits": {}})
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            kind = (attrs.get("type") or "").lower()
            target = self.forms[-1]["submits"] if kind == "submit" else self.forms[-1]["fields"]
            target[attrs["name"]] = attrs.get("value") or ""


def only_form(response):
    parser = FormParser()
    parser.feed(response.text)
    assert len(parser.forms) == 1, f"expected one form at {response.url}, got {len(parser.forms)}: {response.text[:500]}"
    form = parser.forms[0]
    form["url"] = urljoin(response.url, form["action"]) if form["action"] else response.url
    return form


# Every authorization code and state the tests carried to a callback: none may reach a log.
SEEN_SECRETS = set()


def consent(url, username, password=None, allow=True):
    """Drives a browser through the provider's real login and consent forms, then delivers the
    provider's redirect to Gatehouse's callback. Returns Gatehouse's answer (redirects not followed)."""
    browser, callback = provider_redirect(url, username, password, allow)
    return browser.get(callback, timeout=30, allow_redirects=False)


def provider_redirect(url, username, password=None, allow=True):
    """What `consent` does up to the provider's redirect: the browser's session and the callback
    URL the provider sent it to, not yet delivered."""
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert "/accounts/login/" in page.url, f"expected the login page, got {page.url}"
    login = only_form(page)
    fields = dict(login["fields"], username=username, password=password or f"{username}-password")
    page = browser.post(login["url"], data=fields, timeout=10, headers={"Referer": page.url})
    assert "/o/authorize/" in page.url and page.status_code == 200, f"expected the consent form, got {page.status_code} {page.url}"
    form = only_form(page)
    fields = dict(form["fields"])
    if allow:
        fields["allow"] = form["submits"].get("allow", "Authorize")
    answer = browser.post(form["url"], data=fields, timeout=10, allow_redirects=False, headers={"Referer": page.url})
    assert answer.status_code == 302, f"the provider did not redirect back: {answer.status_code} {answer.text[:300]}"
    callback = answer.headers["Location"]
    assert callback.startswith("http://127.0.0.1:"), callback
    SEEN_SECRETS.update(v for k, v in query(callback).items() if k in ("code", "state"))
    return browser, callback


def query(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}

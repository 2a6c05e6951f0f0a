"""The gauges an operator alerts on, from the real binary: when each background job last ran,
how many HTTP connections are open, and on PostgreSQL whether the replica hears the others
(the change channel) and how often the database failed it."""
import gc
import re
import socket
import subprocess
import time
from urllib.parse import urlparse, urlunparse

import requests

from conftest import GATEHOUSE_BIN, ConfiguredGatehouse, stop
from test_postgres import Proxy, Replica, database, pytestmark as postgres_only  # noqa: F401

SCRAPE = "scrape-" + "t" * 33
CONFIG = f"""metrics: {{ token: {SCRAPE} }}
auth:
  user_verification: {{ unsafe_skip_verification: true }}
  refresh_sweep: {{ interval: 1s }}
"""


def value(base, name, **labels):
    """The sum of the samples of `name` with these labels on the scrape, or None when there are none."""
    text = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {SCRAPE}"}, timeout=10).text
    found = []
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            found.append(float(match[3]))
    return sum(found) if found else None


def eventually(check, limit=10):
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, "not within the limit"
        time.sleep(0.1)


def test_jobs_and_open_connections_are_gauges(workdir):
    started = time.time()
    server = ConfiguredGatehouse(workdir, "gauges", CONFIG)
    try:
        for job in ("refresh_sweep", "flow_janitor", "revocation_retry"):
            eventually(lambda: value(server.base, "gatehouse_job_last_success_timestamp_seconds", job=job) is not None)
            ran = value(server.base, "gatehouse_job_last_success_timestamp_seconds", job=job)
            assert started - 1 <= ran <= time.time() + 1, (job, ran, started)
        # One replica alone on its file: no change channel to watch.
        assert value(server.base, "gatehouse_change_channel_up") is None
        # A connection of the test's own HTTP client that only the garbage collector closes
        # (seen: one left by a request of the start's wait) would count as a fourth.
        gc.collect()
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        try:
            # The three idle ones and the scrape's own.
            eventually(lambda: value(server.base, "gatehouse_http_connections_open") == 4)
        finally:
            for connection in idle:
                connection.close()
        eventually(lambda: value(server.base, "gatehouse_http_connections_open") == 1)
    finally:
        stop(server.process)


def test_the_version_is_said_by_the_cli_the_first_line_and_the_scrape(workdir):
    done = subprocess.run([GATEHOUSE_BIN, "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    said = re.fullmatch(r"gatehouse (\d+\.\d+\.\d+(?:-[\w.]+)?) \(schema: SQLite (\d+), PostgreSQL (\d+)\)\n", done.stdout)
    assert said, done.stdout
    release = said[1]
    assert int(said[2]) >= 9 and int(said[3]) >= 6, done.stdout
    server = ConfiguredGatehouse(workdir, "version", CONFIG)
    try:
        assert f"Gatehouse {release} listening on http://" in server.log.read_text()
        assert value(server.base, "gatehouse_build_info", version=release) == 1
        assert value(server.base, "gatehouse_build_info") == 1, "one version only"
    finally:
        stop(server.process)


@postgres_only
def test_the_change_channel_and_the_databases_failures_on_postgres(workdir, database):
    parsed = urlparse(database)
    proxy = Proxy(parsed.port)
    through_proxy = urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}"))
    replica = Replica(workdir, "gauges-pg", through_proxy, config=CONFIG)
    try:
        eventually(lambda: value(replica.base, "gatehouse_change_channel_up") == 1)
        assert value(replica.base, "gatehouse_store_errors_total") is None
        proxy.stop()
        answer = requests.get(f"{replica.base}/v1/health/ready", timeout=30)
        assert answer.status_code == 503
        # The scrape token needs no database: the gauges are read during the outage.
        eventually(lambda: value(replica.base, "gatehouse_change_channel_up") == 0)
        # Each statement the outage failed, as `unreachable` or, on a connection the proxy left
        # without a word, `no_answer`.
        assert value(replica.base, "gatehouse_store_errors_total") >= 1
        # The CLI says the server cannot serve now as it says one it cannot reach: exit 5, so a
        # script can tell it from a failure (after the client's retries, which Retry-After paces).
        # Any key will do: one this replica has not seen is looked up in the store.
        listed = subprocess.run(
            [GATEHOUSE_BIN, "connections", "list", "--base-url", replica.base, "--api-key", "arc_" + "x" * 43],
            capture_output=True, text=True, timeout=120)
        assert listed.returncode == 5 and "503" in listed.stderr, (listed.returncode, listed.stderr)
        proxy.start()
        eventually(lambda: value(replica.base, "gatehouse_change_channel_up") == 1, limit=20)
    finally:
        stop(replica.process)
        proxy.stop()

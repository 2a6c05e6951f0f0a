"""The body of scripts/bench-replicas.sh: see there."""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Benchmarks"))
from loopback import free_port, start_provider  # noqa: E402 (the shared loopback provider)

BIN = os.environ["GATEHOUSE_BIN"]
PG = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
DURATION = os.environ.get("DURATION", "10s")
FLOWS = int(os.environ.get("FLOWS", "200"))
WORK = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))


def database():
    name = "gh_bench_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", PG.split("?")[0], "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return urlunparse_db(PG, name)


def urlunparse_db(url, name):
    parsed = urlparse(url)
    return parsed._replace(path="/" + name).geturl()


def serve(name, env, public=None, data=None):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = WORK / f"{name}.log"
    env = dict(os.environ, **env, GATEHOUSE_PUBLIC_URL=public or base)
    process = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", str(data or WORK / name)],
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if requests.get(base + "/v1/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    keys = re.findall(r"ARCADE_API_KEY=(arc_\S+)", log.read_text())
    return process, base, (keys[0] if keys else None)


def connect(base, key, token_port, user, provider="bench"):
    """A provider and a connected user: the hot path's precondition."""
    headers = {"Authorization": key}
    definition = {"id": provider, "oauth2": {
        "client_id": "c", "client_secret": "bench-secret-0123456789",
        "authorize_request": {"endpoint": "https://idp.example/authorize",
                              "params": {"response_type": "code", "redirect_uri": "{{redirect_uri}}"}},
        "token_request": {"endpoint": f"http://127.0.0.1:{token_port}/token", "auth_method": "client_secret_basic"},
        "refresh_request": {"endpoint": f"http://127.0.0.1:{token_port}/token", "auth_method": "client_secret_basic"}}}
    requests.post(base + "/v1/admin/auth_providers", json=definition, headers=headers, timeout=10)
    return start(base, key, user, provider)


def start(base, key, user, provider="bench"):
    body = {"auth_requirement": {"provider_id": provider}, "user_id": user}
    return requests.post(base + "/v1/auth/authorize", json=body, headers={"Authorization": key}, timeout=10).json()


def callback(base, pending, provider="bench"):
    state = parse_qs(urlparse(pending["url"]).query)["state"][0]
    return requests.get(f"{base}/v1/oauth/{provider}/callback?code=c&state={state}", timeout=10)


def wrk(base, key, user):
    script = WORK / f"authorize-{uuid.uuid4().hex[:6]}.lua"
    body = json.dumps({"auth_requirement": {"provider_id": "bench"}, "user_id": user})
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                      f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "{key}"\n')
    out = subprocess.run(["wrk", "-t2", "-c64", "-d" + DURATION, "--latency", "-s", str(script), base + "/v1/auth/authorize"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def main():
    token_port, tokens = start_provider()
    processes = []
    try:
        sqlite, sqlite_base, sqlite_key = serve("sqlite", {})
        db = database()
        pg_a, pg_base, pg_key = serve("pg-a", {"GATEHOUSE_DATABASE_URL": db}, data=WORK / "pg-data")
        pg_b, pg_b_base, _ = serve("pg-b", {"GATEHOUSE_DATABASE_URL": db}, public=pg_base, data=WORK / "pg-data")
        processes += [sqlite, pg_a, pg_b]
        for base, key in ((sqlite_base, sqlite_key), (pg_base, pg_key)):
            pending = connect(base, key, token_port, "hot-user")
            callback(base, pending)
            assert start(base, key, "hot-user")["status"] == "completed"

        print(f"hot authorize, wrk -t2 -c64 -d{DURATION}, one replica, same machine ({BIN}):")
        sqlite_rps, sqlite_p99 = wrk(sqlite_base, sqlite_key, "hot-user")
        pg_rps, pg_p99 = wrk(pg_base, pg_key, "hot-user")
        print(f"  SQLite     {sqlite_rps:10.0f} req/s   p99 {sqlite_p99:8.2f} ms")
        print(f"  PostgreSQL {pg_rps:10.0f} req/s   p99 {pg_p99:8.2f} ms")
        print(f"  PostgreSQL / SQLite: throughput {pg_rps / sqlite_rps:.2f}x, p99 {pg_p99 / sqlite_p99:.2f}x")

        wakes = []
        for n in range(FLOWS):
            pending = start(pg_base, pg_key, f"wake-{n}")
            answer = {}

            def park():
                answer["status"] = requests.get(f"{pg_b_base}/v1/auth/status?id={pending['id']}&wait=30",
                                                headers={"Authorization": pg_key}, timeout=40).json()["status"]
                answer["at"] = time.monotonic()

            waiter = threading.Thread(target=park)
            waiter.start()
            time.sleep(0.05)
            delivered = time.monotonic()
            callback(pg_base, pending)
            waiter.join(timeout=40)
            assert answer.get("status") == "completed", answer
            wakes.append((answer["at"] - delivered) * 1000)
        wakes.sort()
        p50 = statistics.median(wakes)
        p99 = wakes[min(len(wakes) - 1, int(len(wakes) * 0.99))]
        print(f"callback on replica A -> wait parked on replica B answered, {FLOWS} flows:")
        print(f"  p50 {p50:.1f} ms   p99 {p99:.1f} ms   (from sending the callback; includes the callback's own work)")
    finally:
        for process in processes:
            process.terminate()
        tokens.terminate()


if __name__ == "__main__":
    sys.exit(main())

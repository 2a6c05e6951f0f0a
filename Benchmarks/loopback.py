"""The loopback provider and small helpers the benchmarks share (`Benchmarks/bench.py`,
`scripts/bench_replicas.py`): a token endpoint in a process of its own that counts refreshes."""
import http.server
import json
import multiprocessing
import os
import socket
import time
import uuid
from urllib.parse import parse_qs

REFRESH_DELAY = int(os.environ.get("REFRESH_DELAY_MS", "100")) / 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class Counters:
    """What the provider counts, in shared memory: it runs in a process of its own, so that
    the client's work here does not slow it (one interpreter lock)."""

    def __init__(self):
        self.lock = multiprocessing.Lock()
        self.refreshes = multiprocessing.Value("i", 0, lock=False)
        self.active = multiprocessing.Value("i", 0, lock=False)
        self.most_active = multiprocessing.Value("i", 0, lock=False)
        self.first_refresh = multiprocessing.Value("d", 0, lock=False)
        self.last_refresh = multiprocessing.Value("d", 0, lock=False)


COUNTERS = Counters()


class Provider(http.server.BaseHTTPRequestHandler):
    """The loopback provider's token endpoint. A code gets a token that goes stale after
    `short` seconds when the path is /token/short (else an hour); a refresh takes
    REFRESH_DELAY, as a real provider's does, and is counted."""

    protocol_version = "HTTP/1.1"
    # Head and body go out in two writes; with Nagle's algorithm the body waits for the
    # client's delayed ACK (40 ms), which would be measured as Gatehouse's time.
    disable_nagle_algorithm = True

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        lifetime = 3600
        if form.get("grant_type") == ["refresh_token"]:
            c = COUNTERS
            with c.lock:
                c.refreshes.value += 1
                c.active.value += 1
                c.most_active.value = max(c.most_active.value, c.active.value)
                c.first_refresh.value = c.first_refresh.value or time.monotonic()
            time.sleep(REFRESH_DELAY)
            with c.lock:
                c.active.value -= 1
                c.last_refresh.value = time.monotonic()
        elif self.path.endswith("/short"):
            lifetime = 3
        body = json.dumps({"access_token": "at-" + uuid.uuid4().hex, "refresh_token": "rt-" + uuid.uuid4().hex,
                           "expires_in": lifetime, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ProviderServer(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a storm of refreshes arrives at once.
    request_queue_size = 1024
    daemon_threads = True




def start_provider():
    """Starts the loopback provider in a process of its own; answers (port, process)."""
    server = ProviderServer(("127.0.0.1", 0), Provider)
    port = server.server_address[1]
    process = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    process.start()
    server.socket.close()
    return port, process

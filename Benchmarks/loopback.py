"""The loopback provider and small helpers the benchmarks share (`Benchmarks/bench.py`,
`scripts/bench_replicas.py`): a token endpoint in a process of its own that counts refreshes."""
import asyncio
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
        self.last_start = multiprocessing.Value("d", 0, lock=False)
        self.last_refresh = multiprocessing.Value("d", 0, lock=False)


COUNTERS = Counters()


async def answer(form, path):
    """A token answer: a code gets a token that goes stale after `short` seconds when the path
    is /token/short (else an hour); a refresh takes REFRESH_DELAY, as a real provider's does,
    and is counted."""
    lifetime = 3600
    if form.get("grant_type") == ["refresh_token"]:
        c = COUNTERS
        with c.lock:
            c.refreshes.value += 1
            c.active.value += 1
            c.most_active.value = max(c.most_active.value, c.active.value)
            c.first_refresh.value = c.first_refresh.value or time.monotonic()
            c.last_start.value = time.monotonic()
        await asyncio.sleep(REFRESH_DELAY)
        with c.lock:
            c.active.value -= 1
            c.last_refresh.value = time.monotonic()
    elif path.endswith("/short"):
        lifetime = 3
    return json.dumps({"access_token": "at-" + uuid.uuid4().hex, "refresh_token": "rt-" + uuid.uuid4().hex,
                       "expires_in": lifetime, "token_type": "Bearer"}).encode()


async def serve_connection(reader, writer):
    """HTTP/1.1 with keep-alive, POSTs with a Content-Length: all a token endpoint needs. One
    event loop serves every connection, so 100 refreshes at once are 100 sleeps, not 100
    threads taking turns with the interpreter lock (a threaded server spread their answers
    over 50 ms)."""
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            payload = await answer(parse_qs(body.decode()), path)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                         % len(payload) + payload)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve(listener):
    async def run():
        server = await asyncio.start_server(serve_connection, sock=listener, backlog=1024)
        await server.serve_forever()
    asyncio.run(run())


def start_provider():
    """Starts the loopback provider in a process of its own; answers (port, process)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    # The default backlog of 5 would drop connections when a storm of refreshes arrives at once.
    listener.listen(1024)
    port = listener.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=serve, args=(listener,), daemon=True)
    process.start()
    listener.close()
    return port, process

"""A database that goes silent: the connections a replica has stop getting answers, and nothing
closes them (a host that died, a partition, a failover behind the same address), while new
connections reach a database that answers. The replica must not wait for the operating system
to give up on its connections (about 15 minutes, or never behind a proxy that keeps them open)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse, urlunparse

import requests

from conftest import OAuthServer, stop
from test_postgres import Proxy, Replica, database, deleted_on_a_until_b_stops, pytestmark, served_by_both  # noqa: F401


class SilentProxy(Proxy):
    """The proxy of test_postgres.py, which can also go silent on the connections it has: their
    bytes are no longer passed on, either way, and nothing is closed. Connections made after that
    pass as before."""

    def __init__(self, target_port):
        self.silent_below = 0
        self.accepted = 0
        self.open = set()
        self.released = threading.Event()
        super().__init__(target_port)

    def _relay(self, client, upstream):
        number = self.accepted
        self.accepted += 1
        self.open.add(number)
        threading.Thread(target=self._forward, args=(client, upstream, number), daemon=True).start()
        threading.Thread(target=self._forward, args=(upstream, client, number), daemon=True).start()

    def _forward(self, source, sink, number):
        try:
            while data := source.recv(65536):
                if number < self.silent_below:
                    # Silent: the bytes go nowhere, and the connection stays open.
                    self.released.wait()
                    return
                sink.sendall(data)
        except OSError:
            pass
        self.open.discard(number)
        Proxy._shut(source, sink)

    def go_silent(self):
        """Every connection open now stops passing bytes."""
        self.silent_below = self.accepted

    def stop(self):
        self.released.set()
        super().stop()


def status_of_no_flow(replica, key):
    return requests.get(f"{replica.base}/v1/auth/status?id=ac_none", headers={"Authorization": key}, timeout=30)


def test_a_replica_whose_database_goes_silent_serves_again_and_hears_the_others_again(workdir, database, user_id):
    """B reaches the database through a proxy that goes silent on B's connections: its pool's
    (a pool of 4, all open) and its change channel's. B closes a connection that has not answered
    a statement for 10 s, and probes its pool's other connections side by side, closing those
    that do not answer, so its pool connects again and it serves; and its change channel, whose
    ping did not come back, so it hears A's changes again."""
    parsed = urlparse(database)
    proxy = SilentProxy(parsed.port)
    through_proxy = urlunparse(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}"))
    through_proxy += ("&" if "?" in through_proxy else "?") + "pool_size=4"
    a = Replica(workdir, "silent-a", database)
    b = Replica(workdir, "silent-b", through_proxy, public_url=a.base)
    oauth = OAuthServer(workdir, "pg-silent", 3600, f"{a.base}/v1/oauth/pgsilent/callback")
    try:
        key = a.admin_key()
        on_a, on_b = a.client(key), b.client(key)
        served_by_both(on_a, on_b, oauth, "pgsilent", user_id)
        # B's pool at its size: requests side by side until it has opened all 4 (and the listener 1).
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            while len(proxy.open) < 5:
                assert time.monotonic() - started < 20, f"B has {len(proxy.open) - 1} pool connections open, not 4"
                assert all(r.status_code == 404 for r in pool.map(lambda _: status_of_no_flow(b, key), range(64)))
        assert len(proxy.open) == 5, proxy.open

        proxy.go_silent()
        silent = time.monotonic()
        answers = []
        while (answer := status_of_no_flow(b, key)).status_code != 404:
            answers.append(answer.status_code)
            assert answer.status_code == 503 and answer.json()["name"] == "store_unavailable", answer.text
            assert time.monotonic() - silent < 45, f"B still answers 503 {time.monotonic() - silent:.0f}s on: {answers}"
        serving = time.monotonic() - silent
        assert "closing a database connection that has not answered a statement for 10 s" in b.log.read_text()
        # The first silent connection starts a probe of the pool's others, side by side: they are
        # not met one per request, 5 s and a 503 each (four 503s and 20 s with this pool of 4).
        assert len(answers) <= 2 and serving < 15, f"B served again after {serving:.1f}s, {answers}"
        assert "a database connection went silent: probing the pool's others side by side" in b.log.read_text()
        assert "closing a database connection that has not answered a probe for 5 s" in b.log.read_text()

        while "change channel back" not in b.log.read_text():
            assert time.monotonic() - silent < 45, "B did not notice that its change channel went silent"
            time.sleep(0.2)
        hearing = time.monotonic() - silent
        assert "the change channel's connection did not answer a ping" in b.log.read_text()
        print(f"silent database: B served again after {serving:.1f}s ({len(answers)} answers 503 before), "
              f"heard the others again after {hearing:.1f}s")

        assert on_b.auth.start(user_id=user_id, provider="pgsilent", scopes=["read"]).status == "completed"
        took = deleted_on_a_until_b_stops(
            on_a, on_b, "pgsilent", user_id, 3, "B kept handing out a grant deleted on A after its channel came back")
        print(f"after the silence: B stopped serving the deleted grant {took:.3f}s after A's delete")
    finally:
        stop(oauth.process)
        stop(a.process)
        stop(b.process)
        proxy.stop()

"""A bounded load test: 2,000 requests from 16 concurrent clients against a server process,
zero errors, every answer equal to ``model.predict``."""

import http.client
import json
import threading
import time

from ember.backend import np

from .conftest import mlp, server_process

REQUESTS, CLIENTS = 2000, 16


def test_load_2000_requests_16_clients(tmp_path):
    model = mlp(5)
    rng = np.random.default_rng(0)
    pool = rng.random((256, 28, 28)).astype("float32")
    pool_want = model.predict(pool, verbose=0)
    # float32 values written shortest ("0.5488135"): the server reads back exactly the pool
    pool_text = [json.dumps(img.astype(str).tolist()).replace('"', "") for img in pool]
    picks = [rng.integers(0, len(pool), size=n) for n in rng.integers(1, 4, size=REQUESTS)]
    bodies = [('{"instances":[' + ",".join(pool_text[j] for j in ids) + "]}").encode()
              for ids in picks]
    errors, mismatches, done = [], [], []

    def client(k, port):
        # http.client (urllib's HTTP layer): one keep-alive connection per client thread
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for i in range(k, REQUESTS, CLIENTS):
                try:
                    conn.request("POST", "/v1/models/mnist:predict", body=bodies[i],
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    payload = r.read()
                except (OSError, http.client.HTTPException) as e:
                    errors.append(f"request {i}: {e!r}")
                    conn.close()
                    continue
                if r.status != 200:
                    errors.append(f"request {i}: {r.status} {payload[:200]!r}")
                    continue
                got = np.array(json.loads(payload)["predictions"])
                if not np.allclose(got, pool_want[picks[i]], rtol=0, atol=1e-6):
                    mismatches.append(i)
                done.append(i)
        finally:
            conn.close()

    with server_process(model, tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        t = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k, port)) for k in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        elapsed = time.perf_counter() - t
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    assert mismatches == []
    assert sorted(done) == list(range(REQUESTS))
    print(f"\n{REQUESTS} requests from {CLIENTS} clients: {REQUESTS / elapsed:.0f} req/s")

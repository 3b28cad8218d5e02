"""A bounded load test: 2,000 requests from 16 concurrent clients against a server process,
zero errors, every answer equal to ``model.predict``."""

import asyncio
import json
import time

from ember.backend import np

from .conftest import httpx, mlp, server_process

REQUESTS, CLIENTS = 2000, 16


def test_load_2000_requests_16_clients(tmp_path):
    model = mlp(5)
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 4, size=REQUESTS)  # 1 to 3 images per request
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x = rng.random((int(offsets[-1]), 28, 28)).astype("float32")
    want = model.predict(x, verbose=0, batch_size=1024)
    # float32 values written shortest ("0.5488135"): the server reads back exactly x
    text = x.astype(str)
    bodies = [('{"instances":' + json.dumps(text[offsets[i]:offsets[i + 1]].tolist())
               .replace('"', "") + "}").encode() for i in range(REQUESTS)]
    errors, mismatches, done = [], [], []

    async def client(k, url):
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            for i in range(k, REQUESTS, CLIENTS):
                try:
                    r = await c.post("/v1/models/mnist:predict", content=bodies[i],
                                     headers={"content-type": "application/json"})
                except httpx.HTTPError as e:
                    errors.append(f"request {i}: {e!r}")
                    continue
                if r.status_code != 200:
                    errors.append(f"request {i}: {r.status_code} {r.text[:200]}")
                    continue
                got = np.array(r.json()["predictions"])
                if not np.allclose(got, want[offsets[i]:offsets[i + 1]], rtol=0, atol=1e-6):
                    mismatches.append(i)
                done.append(i)

    async def main(url):
        await asyncio.wait_for(asyncio.gather(*(client(k, url) for k in range(CLIENTS))), 120)

    with server_process(model, tmp_path) as url:
        t = time.perf_counter()
        asyncio.run(main(url))
        elapsed = time.perf_counter() - t
    assert errors == []
    assert mismatches == []
    assert sorted(done) == list(range(REQUESTS))
    print(f"\n{REQUESTS} requests from {CLIENTS} clients: {REQUESTS / elapsed:.0f} req/s")

"""Load benchmark of ``ember serve``: requests per second and p50/p99 latency for the tutorial
MLP (one 28x28 image per request, row format) at 1, 8 and 64 concurrent clients.

The server runs in its own process (``python -m ember.commands.serve``), as in production,
on 127.0.0.1; the clients are keep-alive HTTP/1.1 connections driven by one asyncio loop in
this process (a minimal client, so that the numbers measure the server, not the client). Each
level stops after ``--requests`` requests or ``--seconds`` seconds, whichever comes first.
Every answer is checked against ``model.predict``.

    python bench/serve_load.py [--requests 2000] [--seconds 10] [--clients 1,8,64]
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tutorial_model():
    import ember
    from ember.utils.random import set_random_seed

    set_random_seed(0)
    return ember.Sequential([
        ember.layers.Flatten(input_shape=(28, 28)),
        ember.layers.Dense(128, activation="relu"),
        ember.layers.Dense(10, activation="softmax"),
    ])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _request(reader, writer, head, body):
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    return int(status_line.split()[1]), payload


async def run_level(port, clients, bodies, expected, max_requests, max_seconds):
    """``(requests done, seconds, latencies in s, errors)`` for ``clients`` connections."""
    latencies, errors, counter = [], [], [0]
    deadline = time.perf_counter() + max_seconds
    path = b"/v1/models/mnist:predict"

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while counter[0] < max_requests and time.perf_counter() < deadline:
                i = counter[0] % len(bodies)
                counter[0] += 1
                body = bodies[i]
                head = (b"POST " + path + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: "
                        b"application/json\r\nContent-Length: " + str(len(body)).encode()
                        + b"\r\n\r\n")
                t = time.perf_counter()
                status, payload = await _request(reader, writer, head, body)
                latencies.append(time.perf_counter() - t)
                if status != 200:
                    errors.append(payload[:200])
                    continue
                got = json.loads(payload)["predictions"][0]
                if max(abs(a - b) for a, b in zip(got, expected[i])) > 1e-6:
                    errors.append(b"wrong answer")
        finally:
            writer.close()

    t = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), time.perf_counter() - t, latencies, errors


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=10.0, help="per level, at most")
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--batch_window_ms", type=float, default=2.0)
    parser.add_argument("--max_batch_size", type=int, default=64,
                        help="1 turns batching off, for comparison")
    args = parser.parse_args(argv)

    from ember.backend import np

    model = tutorial_model()
    rng = np.random.default_rng(0)
    images = rng.random((256, 28, 28)).astype("float32")
    expected = model.predict(images, verbose=0).tolist()
    # shortest float32 text ("0.6369617"): what a client would send, read back exactly
    bodies = [('{"instances":[' + json.dumps(img.astype(str).tolist()).replace('"', "")
               + "]}").encode() for img in images]

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mnist.keras"
        model.save(str(path))
        cmd = [sys.executable, "-m", "ember.commands.serve", str(path), "--port", str(port),
               "--batch_window_ms", str(args.batch_window_ms), "--max_batch_size",
               str(args.max_batch_size), "--log_level", "warning"]
        server = subprocess.Popen(cmd, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            asyncio.run(run_level(port, 4, bodies, expected, 200, 5))  # warm-up
            rows = []
            for clients in (int(c) for c in args.clients.split(",")):
                n, seconds, lat, errors = asyncio.run(
                    run_level(port, clients, bodies, expected, args.requests, args.seconds))
                rows.append((clients, n, n / seconds, percentile(lat, 50) * 1e3,
                             percentile(lat, 99) * 1e3, len(errors)))
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()

    print(f"ember serve, tutorial MLP (784-128-10), 1 image per request, loopback, "
          f"{os.cpu_count()} CPUs, batch window {args.batch_window_ms:g} ms, max batch "
          f"{args.max_batch_size}")
    print(f"{'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for clients, n, rps, p50, p99, errs in rows:
        print(f"{clients:>7} {n:>8} {rps:>8.0f} {p50:>8.2f} {p99:>8.2f} {errs:>6}")
    return 1 if any(r[-1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

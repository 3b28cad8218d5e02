"""Running the app with uvicorn: in the foreground (``ember serve``) or in a thread (tests,
benchmarks, notebooks)."""

import contextlib
import socket
import threading
import time

import uvicorn


def _config(app, host, port, log_level, access_log):
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=access_log,
                          lifespan="on", timeout_graceful_shutdown=5, server_header=False)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        with super().capture_signals():
            yield
            # The shutdown was graceful: uvicorn would now raise the signal again, which
            # interrupts asyncio.run with a KeyboardInterrupt traceback; end quietly instead.
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()


def run(app, host="127.0.0.1", port=8501, log_level="info", access_log=False):
    """Serve ``app`` until interrupted (Ctrl-C or SIGTERM shut it down gracefully)."""
    _Server(_config(app, host, port, log_level, access_log)).run()


class ServerThread:
    """``app`` served by uvicorn in a background thread, on a port bound before it starts
    (``port=0``: a free one), so there is no race for the port.

    Use as a context manager, or ``start()`` and ``stop()`` (always call ``stop``)::

        with ServerThread(app) as server:
            httpx.get(server.url + "/v1/models/mnist")
    """

    def __init__(self, app, host="127.0.0.1", port=0, log_level="warning", access_log=False):
        self.app = app
        self.host = host
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so (a
        # socket with proto 0 would wait ~40 ms on delayed ACKs for every response)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        self.server = uvicorn.Server(_config(app, host, self.port, log_level, access_log))
        self._thread = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self, timeout=30.0):
        """Start serving; returns once the server accepts connections.

        Raises:
            RuntimeError: the server did not start within ``timeout`` seconds.
        """
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]},
                                         name=f"ember-serve-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self.server.started:
            self.stop()
            raise RuntimeError(f"the server on {self.url} did not start")
        return self

    def stop(self, timeout=30.0):
        """Shut the server down and wait for it (idempotent)."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

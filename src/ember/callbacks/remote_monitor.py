"""``RemoteMonitor``: POST each epoch's logs to an HTTP server."""

import json
import warnings

from ember.callbacks.callback import Callback
from ember.registry import register


def _jsonable(value):
    """A log value as JSON can hold it: arrays and NumPy scalars as Python values."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", None) == 0:
        return item()
    tolist = getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


@register("callback")
class RemoteMonitor(Callback):
    """At the end of each epoch, POSTs ``{"epoch": epoch, **logs}`` to ``root + path``, as
    Keras 3 (which uses ``requests``; ember uses the standard library's ``urllib``).

    Args:
        root: Root URL of the server.
        path: Path, relative to ``root``, the events are sent to.
        field: The form field holding the JSON-encoded logs (when ``send_as_json=False``).
        headers: Optional dict of extra HTTP headers.
        send_as_json: Send the logs as the JSON body (``application/json``) instead of
            a form (``application/x-www-form-urlencoded``) with one field.

    A server that cannot be reached gives a warning, and training goes on; the server's
    answer (an error status included) is ignored, as in Keras.

    Example:
        >>> monitor = RemoteMonitor(root="http://localhost:9000")
        >>> # model.fit(x, y, callbacks=[monitor])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        # loaded here: urllib.request brings in http.client and ssl, too much for `import ember`
        import urllib.error
        import urllib.parse
        import urllib.request

        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = _jsonable(value)
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type}
        headers.update(self.headers or {})
        try:
            request = urllib.request.Request(self.root + self.path, data=body,
                                             headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as e:
            e.close()  # the server got the logs; its answer is not ours to judge (as Keras)
        except (urllib.error.URLError, OSError, ValueError) as e:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root} ({e})",
                          stacklevel=2)

"""The URL grammar of TensorFlow Serving's REST API (``http_rest_api_util.cc``).

Matching is case-insensitive and runs on the raw (still percent-encoded) path; the model name
and the label are percent-decoded after matching, so ``%2F`` in a name is a name character and
never a separator.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote

from ember.serving.errors import invalid

_SPEC = r"(?:(?:/versions/(?P<version>\d+))|(?:/labels/(?P<label>[^/:]+)))?"
_PREDICT = re.compile(
    r"/v1/models/(?P<name>[^/:]+)" + _SPEC + r":(?P<verb>classify|regress|predict)",
    re.IGNORECASE)
_METADATA = re.compile(r"/v1/models/(?P<name>[^/:]+)" + _SPEC + r"/metadata", re.IGNORECASE)
_STATUS = re.compile(r"/v1/models(?:/(?P<name>[^/:]+))?" + _SPEC, re.IGNORECASE)

_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Route:
    """A parsed API request: ``kind`` is ``status``, ``metadata``, ``predict``, ``classify``
    or ``regress``; ``version`` (an int) and ``label`` are ``None`` unless the path names one."""

    kind: str
    name: str
    version: int | None = None
    label: str | None = None

    def spec(self):
        """How TensorFlow Serving writes the lookup in its messages."""
        if self.version is not None:
            return f"Specific({self.name}, {self.version})"
        if self.label is not None:
            return f"Label({self.name}, {self.label})"
        return f"Latest({self.name})"


def is_api_path(path):
    """True for paths that reach the API handler (``/v1/...``, any case)."""
    return path[:4].lower() == "/v1/"


def parse(method, path):
    """The :class:`Route` for ``method`` and the raw ``path`` (no query string).

    Raises:
        ServingError: 400 ``Malformed request: METHOD PATH`` when nothing matches, or the
            version and model-name messages of the reference server.
    """
    if method == "POST":
        m = _PREDICT.fullmatch(path)
        kind = m and m.group("verb").lower()
    elif method == "GET":
        m = _METADATA.fullmatch(path)
        kind = "metadata"
        if m is None:
            m = _STATUS.fullmatch(path)
            kind = "status"
            if m is not None and m.group("name") is None:
                raise invalid("Missing model name in request.")
    else:
        m = None
    if m is None:
        raise invalid(f"Malformed request: {method} {path}")
    version = m.group("version")
    if version is not None:
        number = int(version)
        if number > _INT64_MAX:
            raise invalid(f"Failed to convert version: {version} to numeric.")
        version = number
    label = m.group("label")
    return Route(kind, unquote(m.group("name")), version,
                 unquote(label) if label is not None else None)

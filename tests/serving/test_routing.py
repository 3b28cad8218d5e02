"""The URL grammar: TensorFlow Serving's regular expressions, case-insensitive, raw paths."""

import pytest

from ember.serving import routing
from ember.serving.errors import ServingError


@pytest.mark.parametrize("method, path, want", [
    ("GET", "/v1/models/m", ("status", "m", None, None)),
    ("GET", "/v1/models/m/versions/3", ("status", "m", 3, None)),
    ("GET", "/v1/models/m/labels/stable", ("status", "m", None, "stable")),
    ("GET", "/v1/models/m/metadata", ("metadata", "m", None, None)),
    ("GET", "/v1/models/m/versions/0012/metadata", ("metadata", "m", 12, None)),
    ("GET", "/v1/models/m/labels/canary/metadata", ("metadata", "m", None, "canary")),
    ("POST", "/v1/models/m:predict", ("predict", "m", None, None)),
    ("POST", "/v1/models/m/versions/2:predict", ("predict", "m", 2, None)),
    ("POST", "/v1/models/m/labels/stable:predict", ("predict", "m", None, "stable")),
    ("POST", "/v1/models/m:classify", ("classify", "m", None, None)),
    ("POST", "/v1/models/m:regress", ("regress", "m", None, None)),
    ("POST", "/V1/MODELS/m/VERSIONS/2:PREDICT", ("predict", "m", 2, None)),
    ("GET", "/v1/models/my%20model%2Fx", ("status", "my model/x", None, None)),
    ("GET", "/v1/models/m/labels/a%3Ab", ("status", "m", None, "a:b")),
])
def test_parse(method, path, want):
    r = routing.parse(method, path)
    assert (r.kind, r.name, r.version, r.label) == want


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/models/m:predict"),
    ("POST", "/v1/models/m/metadata"),
    ("POST", "/v1/models/m"),
    ("GET", "/v1/models/m/version/1"),
    ("GET", "/v1/models/m/label/x"),
    ("GET", "/v1/models/m/versions/x"),
    ("GET", "/v1/models/m/versions/1/labels/x"),
    ("POST", "/v1/models"),
    ("GET", "/v1/models/"),
    ("GET", "/v1/models/m/"),
    ("PUT", "/v1/models/m"),
    ("DELETE", "/v1/models/m"),
    ("POST", "/v1/models/m:evaluate"),
])
def test_malformed(method, path):
    with pytest.raises(ServingError) as e:
        routing.parse(method, path)
    assert e.value.http_status == 400
    assert e.value.message == f"Malformed request: {method} {path}"


def test_missing_name_and_huge_version():
    with pytest.raises(ServingError, match="Missing model name in request."):
        routing.parse("GET", "/v1/models")
    with pytest.raises(ServingError, match="Failed to convert version: 99999999999999999999 to "
                                           "numeric."):
        routing.parse("GET", "/v1/models/m/versions/99999999999999999999")


def test_spec_strings():
    assert routing.parse("POST", "/v1/models/m:predict").spec() == "Latest(m)"
    assert routing.parse("POST", "/v1/models/m/versions/4:predict").spec() == "Specific(m, 4)"
    assert routing.is_api_path("/V1/models") and not routing.is_api_path("/v2/models")

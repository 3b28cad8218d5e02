"""Errors of the model server: a canonical status code, its HTTP status, and a message.

The mapping is TensorFlow Serving's (``http_server.cc``): every error reaches the client as
``{"error": "<message>"}`` with the HTTP status of its code.
"""

HTTP_STATUS = {
    "OK": 200,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class ServingError(Exception):
    """A request the server answers with an error: ``code`` is a canonical status name
    (``"INVALID_ARGUMENT"``, ``"NOT_FOUND"``, ...), or ``http_status`` overrides the mapping
    (413 for a body over the limit, which has no canonical code)."""

    def __init__(self, message, code="INVALID_ARGUMENT", http_status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status or HTTP_STATUS.get(code, 500)


def invalid(message):
    return ServingError(message, "INVALID_ARGUMENT")


def not_found(message):
    return ServingError(message, "NOT_FOUND")


def preview(text, limit=200):
    """``text`` cut to ``limit`` characters, for echoing a request back in a message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."

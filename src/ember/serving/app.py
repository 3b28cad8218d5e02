"""The ASGI application: TensorFlow Serving's REST API on Starlette.

``create_app(manager)`` answers ``/v1/...`` with the API of the spec (status, metadata, predict;
classify and regress answer 400 as the spec allows), ``/openapi.json`` with an OpenAPI 3.1
description, and anything else with a plain ``404 Not Found``. Every API response, errors
included, is JSON; an error is ``{"error": "<message>"}`` with the status of its code.
"""

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ember.serving import codec, routing
from ember.serving.errors import ServingError, invalid, not_found
from ember.serving.openapi import openapi_document
from ember.serving.signature import DEFAULT_SIGNATURE

logger = logging.getLogger("ember.serving")

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
_INLINE_BYTES = 64 * 1024  # bodies larger than this are decoded in a thread
_JSON = "application/json"


class _Api:
    def __init__(self, manager, max_body_bytes, enable_cors, timeout_ms):
        self.manager = manager
        self.max_body_bytes = max_body_bytes
        self.cors = enable_cors
        self.timeout = timeout_ms / 1000.0 if timeout_ms else None

    async def __call__(self, request):
        raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw.split(b"?", 1)[0].decode("latin-1")
        if not routing.is_api_path(path):
            return PlainTextResponse("Not Found", status_code=404)
        method = request.method
        try:
            if method == "OPTIONS" and self.cors:
                return self._preflight(request)
            route = routing.parse(method, path)
            if route.kind == "status":
                body = self._status(route)
            elif route.kind == "metadata":
                body = self._metadata(route)
            elif route.kind == "predict":
                body = await self._predict(request, route)
            else:
                body = await self._classify_regress(request, route)
            return self._respond(body, 200)
        except ServingError as e:
            return self._respond(codec.dumps({"error": e.message}), e.http_status)
        except Exception as e:  # never an HTML error page from the API
            logger.exception("internal error on %s %s", method, path)
            return self._respond(codec.dumps({"error": f"Internal error: {e}"}), 500)

    def _respond(self, body, status):
        response = Response(body, status_code=status, media_type=_JSON)
        if self.cors:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = "POST, GET"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        return response

    def _preflight(self, request):
        origin = request.headers.get("origin", "")
        if not origin.startswith(("http://", "https://")):
            raise invalid(f"Invalid CORS preflight request: origin {origin!r}")
        return self._respond(b"", 200)

    # -- lookups -------------------------------------------------------------------------------
    def _served(self, route, status=False):
        served = self.manager.get(route.name)
        if served is None:
            if status:
                raise not_found(f"Could not find any versions of model {route.name}")
            raise not_found(f"Servable not found for request: {route.spec()}")
        return served

    def _loaded(self, route):
        return self._served(route).lookup(route.version, route.label, route.spec())

    # -- endpoints -----------------------------------------------------------------------------
    def _status(self, route):
        rows = self._served(route, status=True).status(route.version, route.label)
        return codec.dumps({"model_version_status": [r.to_json() for r in rows]})

    def _metadata(self, route):
        loaded = self._loaded(route)
        return codec.dumps({
            "model_spec": {"name": loaded.name, "signature_name": "",
                           "version": str(loaded.version)},
            "metadata": {"signature_def": {"signature_def": {
                DEFAULT_SIGNATURE: loaded.signature.to_json()}}},
        })

    async def _predict(self, request, route):
        loaded = self._loaded(route)
        batcher = loaded.batcher
        batcher.expect()
        try:
            body = await self._read_body(request)
            decoded = await self._offload(
                len(body), lambda: codec.decode_predict(codec.parse_json(body),
                                                        loaded.signature))
        except BaseException:
            batcher.unexpect()
            raise
        try:
            outputs = await asyncio.wait_for(
                batcher.submit(decoded.arrays, announced=True), self.timeout)
        except asyncio.TimeoutError:
            raise ServingError(f"Request timed out after {self.timeout * 1000:g} ms",
                               "DEADLINE_EXCEEDED") from None
        except (ValueError, TypeError) as e:
            raise invalid(f"{type(e).__name__}: {e}") from None
        size = sum(o.size for o in outputs) * 12
        return await self._offload(
            size, lambda: codec.encode_predict(outputs, loaded.signature, decoded.columnar))

    async def _classify_regress(self, request, route):
        self._loaded(route)
        doc = codec.parse_json(await self._read_body(request))
        name = codec.check_signature_name(doc)
        if name != DEFAULT_SIGNATURE:
            raise invalid(f"No signature was found with the name: {name}")
        what = "classification" if route.kind == "classify" else "regression"
        raise invalid(f"Expected {what} signature method_name to be "
                      f"tensorflow/serving/{route.kind}. Was: tensorflow/serving/predict")

    # -- plumbing ------------------------------------------------------------------------------
    async def _read_body(self, request):
        limit = self.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise invalid(f"Invalid Content-Length header: {declared!r}")
            if int(declared) > limit:
                raise _too_large(int(declared), limit)
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(size, limit, streamed=True)
                chunks.append(chunk)
        except ClientDisconnect:
            raise ServingError("The client disconnected before sending the whole body",
                               "CANCELLED") from None
        return b"".join(chunks)

    @staticmethod
    async def _offload(size, work):
        if size <= _INLINE_BYTES:
            return work()
        return await asyncio.to_thread(work)


class _Asgi:
    """Marks a function as an ASGI app for Starlette's Route (which then passes every method)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


def _too_large(size, limit, streamed=False):
    what = f"more than {limit} bytes" if streamed else f"{size} bytes"
    return ServingError(f"Request body of {what} is over the limit of {limit} bytes "
                        "(--max_body_bytes)", "RESOURCE_EXHAUSTED", http_status=413)


def create_app(manager, max_body_bytes=DEFAULT_MAX_BODY_BYTES, enable_cors=False,
               timeout_ms=None, manage_manager=True):
    """The Starlette application serving ``manager``'s models.

    Args:
        manager: a :class:`~ember.serving.model_registry.ModelManager`.
        max_body_bytes: the largest request body accepted (413 above it).
        enable_cors: answer CORS preflights and add the CORS headers, as TensorFlow Serving's
            ``--rest_api_enable_cors_support``.
        timeout_ms: a per-request limit on predictions (504 beyond it); ``None``: none.
        manage_manager: start the manager's polling with the app and stop it with the app.
    """
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be positive, received {max_body_bytes}")
    api = _Api(manager, max_body_bytes, enable_cors, timeout_ms)

    async def openapi(request):
        return Response(codec.dumps(openapi_document(manager)), media_type=_JSON)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if manage_manager:
            manager.start()
        try:
            yield
        finally:
            if manage_manager:
                manager.stop()

    async def endpoint(scope, receive, send):  # an ASGI endpoint: every method reaches it
        response = await api(Request(scope, receive))
        await response(scope, receive, send)

    return Starlette(routes=[
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/{path:path}", _Asgi(endpoint)),
    ], lifespan=lifespan)

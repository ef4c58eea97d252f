"""The collector's HTTP surface: track, orders, customers, healthz and tracker.js.

Every 2xx means "durable": a handler answers only after the spool's writer thread
has synced the request's record. The track endpoint, the public hot path, is a plain
ASGI handler placed in front of FastAPI's routing (see ingest/track.py for why);
the server-to-server endpoints are ordinary routes that take the raw `Request` and
validate the body themselves, so errors can name fields without echoing input.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from ingest.collector import Collector
from ingest.records import customers_record, orders_record
from ingest.schemas import BodyError, Customer, OneOrMany, Order
from ingest.spool import SpoolUnavailable
from ingest.track import (
    RETRY_AFTER_UNAVAILABLE,
    TRACK_PATH,
    RequestTooLarge,
    TrackEndpoint,
    read_limited,
)

log = logging.getLogger(__name__)

TRACKER_JS = Path(__file__).parent / "static" / "tracker.js"
JSON = "application/json"


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type=JSON, headers=headers)


class HotPath:
    """ASGI middleware: hands TRACK_PATH to the track endpoint before any routing."""

    def __init__(self, app: Any, endpoint: TrackEndpoint) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == TRACK_PATH:
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _Delegate(Response):
    """A route's response that lets an ASGI app answer the request itself."""

    def __init__(self, app: Callable[..., Any], receive: Any) -> None:
        super().__init__()
        self._app = app
        self._receive = receive

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, self._receive, send)


def create_app(collector: Collector | None = None, *, hot_path: bool = True) -> FastAPI:
    """The collector app. Its lifespan starts (and on exit stops) `collector`, by
    default one for the configured data directory; the CLI passes one it started.

    `hot_path=False` routes the track endpoint through FastAPI like the others (same
    handler, slower); tests use it to prove both ways behave the same.
    """
    runtime = collector or Collector()
    settings = runtime.settings
    track = TrackEndpoint(runtime)
    orders_parser = OneOrMany(Order, settings.max_batch_events)
    customers_parser = OneOrMany(Customer, settings.max_batch_events)
    tokens = [token.encode() for token in settings.ingest_token]
    tracker_js = TRACKER_JS.read_bytes()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="footfall collector",
        summary="Receives tracking events, orders and customers; acknowledges only durable data.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's OpenTelemetry hooks look up the global providers on every request
        # (~15% of a small request's CPU here); the collector exports no telemetry.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.collector = runtime
    if hot_path:
        app.add_middleware(HotPath, endpoint=track)

    @app.api_route(TRACK_PATH, methods=["POST", "OPTIONS"], status_code=200)
    async def track_events(request: Request) -> Response:
        """Record one tracking event (a JSON object) or a batch (a JSON array, bounded).

        Public (CORS allow-list, per-address rate limit). 200 `{"success": true,
        "accepted": n}` once stored; 413 too large, 422 invalid (fields named),
        429 too fast, 503 storage unavailable.
        """
        return _Delegate(track, request.receive)

    def authorized(request: Request) -> bool:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        candidate = presented.strip().encode()
        matched = False
        for token in tokens:  # check every token: timing does not tell which one matched
            matched |= hmac.compare_digest(candidate, token)
        return matched

    async def ingest(request: Request, parser: OneOrMany, build: Any) -> Response:
        if not authorized(request):
            return _json(
                401, {"error": "missing or wrong ingest token"}, {"WWW-Authenticate": "Bearer"}
            )
        try:
            body = await read_limited(
                request.receive,
                request.headers.get("content-length", "").encode() or None,
                settings.max_body_bytes,
            )
            items, _ = parser.parse(body)
            record = build(items, time.time_ns() // 1000, settings.secret)
        except RequestTooLarge:
            return _json(413, {"error": f"body is larger than {settings.max_body_bytes} bytes"})
        except BodyError as exc:
            return _json(exc.status, {"error": "invalid request", "fields": exc.problems})
        try:
            await runtime.spool.append(record)
        except SpoolUnavailable:
            return _json(
                503,
                {"error": "storage unavailable, retry later"},
                {"Retry-After": RETRY_AFTER_UNAVAILABLE.decode()},
            )
        return Response(b'{"success":true,"accepted":%d}' % len(items), media_type=JSON)

    @app.post("/api/v1/orders", status_code=200)
    async def create_orders(request: Request) -> Response:
        """Record an order state (object) or several (array); bearer ingest token required."""
        return await ingest(request, orders_parser, orders_record)

    @app.post("/api/v1/customers", status_code=200)
    async def create_customers(request: Request) -> Response:
        """Record a customer change, e.g. a guest registering; bearer ingest token required."""
        return await ingest(request, customers_parser, customers_record)

    @app.get("/healthz")
    async def read_health() -> Response:
        """Spool backlog, lander lag and whether data can be made durable right now."""
        healthy, report = runtime.health()
        return _json(200 if healthy else 503, report)

    @app.get("/tracker.js", include_in_schema=False)
    async def read_tracker() -> Response:
        return Response(
            tracker_js,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return app

"""`POST /api/v1/analytics/track` as a plain ASGI handler: the collector's hot path.

Why not an ordinary FastAPI route: a durable request must wait for the spool's sync,
so its coroutine stack is suspended and resumed once more than a route that answers
straight away, and FastAPI's routing, dependency solving and middleware stack cost
more than validating and storing one event does. Measured on the 2-core dev machine
(benchmarks/collector.py): a no-op FastAPI POST route costs ~360-420 µs of server CPU
per request; this handler, with validation, the durable append and its share of
landing, ~280-330 µs. `ingest.app` puts it in front of the routing (HotPath) and also
registers it as the route's response, so there is one implementation either way.

The endpoint is public, hence: CORS allow-list (refusing foreign origins outright),
per-address rate limit, body and batch limits, and error messages that name fields
but never repeat the client's input.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ingest.collector import Collector
from ingest.privacy import opted_out, stored_ip
from ingest.records import QUERY_FIELDS, RequestContext, clip_user_agent, events_record
from ingest.schemas import BodyError, OneOrMany, TrackEvent
from ingest.spool import SpoolUnavailable

TRACK_PATH = "/api/v1/analytics/track"
RETRY_AFTER_UNAVAILABLE = b"5"
_JSON = [(b"content-type", b"application/json")]

Scope = dict[str, Any]
Headers = list[tuple[bytes, bytes]]


class RequestTooLarge(Exception):
    """The body is over the configured limit."""


class CorsPolicy:
    """The shop origins that may post events from a browser (settings.cors_origins).

    A browser request from any other origin is refused (403), not only left without
    CORS headers: simple POSTs (text/plain, sendBeacon) skip the preflight, so
    headers alone would not keep a foreign page from writing into the lake.
    `*` in the list allows any origin. Requests without an Origin (servers, curl,
    replays) are not browser cross-origin requests and pass.
    """

    def __init__(self, origins: list[str]) -> None:
        self.any = "*" in origins
        self.origins = {origin.rstrip("/").lower() for origin in origins if origin != "*"}

    def allows(self, origin: str, host: str) -> bool:
        origin = origin.lower()
        if self.any or origin in self.origins:
            return True
        host = host.lower()
        return origin in (f"http://{host}", f"https://{host}")  # same origin as the collector

    @staticmethod
    def headers(origin: str | None) -> Headers:
        if origin is None:
            return []
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", b"Retry-After"),
            (b"vary", b"Origin"),
        ]


async def read_limited(receive: Any, declared: bytes | None, limit: int) -> bytes:
    """The ASGI request body, refusing more than `limit` bytes without reading them all."""
    if declared is not None:
        if not declared.isdigit():
            raise BodyError([{"field": "Content-Length", "problem": "is invalid"}], 400)
        if int(declared) > limit:
            raise RequestTooLarge
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class TrackEndpoint:
    """The ASGI app for TRACK_PATH (POST, and OPTIONS for CORS preflights)."""

    def __init__(self, runtime: Collector) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.cors = CorsPolicy(self.settings.cors_origins)
        self.parser = OneOrMany(TrackEvent, self.settings.max_batch_events)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        headers = dict(scope["headers"])
        method = scope["method"]
        if method == "POST":
            try:
                status, extra, body = await self.post(scope, headers, receive)
            except ConnectionAbortedError:
                return  # the client left before sending its body: nothing to answer
        elif method == "OPTIONS":
            status, extra, body = self.preflight(headers)
        else:
            status, extra, body = 405, [(b"allow", b"POST, OPTIONS")], b""
        response = [(b"content-length", str(len(body)).encode())]
        if body:
            response += _JSON
        await send({"type": "http.response.start", "status": status, "headers": response + extra})
        await send({"type": "http.response.body", "body": body})

    def preflight(self, headers: dict[bytes, bytes]) -> tuple[int, Headers, bytes]:
        origin = _text(headers.get(b"origin"))
        if origin is None or not self.cors.allows(origin, _text(headers.get(b"host")) or ""):
            return 403, [], b""
        return 204, [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", b"POST"),
            (b"access-control-allow-headers", b"Content-Type"),
            (b"access-control-max-age", b"86400"),
            (b"vary", b"Origin"),
        ], b""  # fmt: skip

    async def post(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Any
    ) -> tuple[int, Headers, bytes]:
        runtime = self.runtime
        settings = self.settings
        origin = _text(headers.get(b"origin"))
        host = _text(headers.get(b"host")) or ""
        if origin is not None and not self.cors.allows(origin, host):
            return 403, [], b'{"error":"origin not allowed"}'
        cors = self.cors.headers(origin)
        client = scope.get("client")
        ip = runtime.client_address.resolve(
            client[0] if client else None, _text(headers.get(b"x-forwarded-for"))
        )
        wait = runtime.limiter.retry_after(ip)
        if wait:
            return (
                429,
                [(b"retry-after", str(wait).encode()), *cors],
                b'{"error":"too many requests"}',
            )
        try:
            body = await read_limited(
                receive, headers.get(b"content-length"), settings.max_body_bytes
            )
            events, is_batch = self.parser.parse(body)
            record = events_record(
                events, self._context(scope, headers, events, ip, origin), is_batch
            )
        except RequestTooLarge:
            problem = {"error": f"body is larger than {settings.max_body_bytes} bytes"}
            return 413, cors, orjson.dumps(problem)
        except BodyError as exc:
            problem = {"error": "invalid request", "fields": exc.problems}
            return exc.status, cors, orjson.dumps(problem)
        try:
            await runtime.spool.append(record)
        except SpoolUnavailable:
            retry = [(b"retry-after", RETRY_AFTER_UNAVAILABLE), *cors]
            return 503, retry, b'{"error":"storage unavailable, retry later"}'
        return 200, cors, b'{"success":true,"accepted":%d}' % len(events)

    def _context(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        events: list[dict[str, Any]],
        ip: str,
        origin: str | None,
    ) -> RequestContext:
        """Everything the request itself says, reduced to what may be stored."""
        received_us = _now_us()
        dnt = opted_out(_text(headers.get(b"dnt")), _text(headers.get(b"sec-gpc")))
        user_agent = clip_user_agent(_text(headers.get(b"user-agent")))
        cookieless_id = None
        if dnt or any(event.get("sessionId") is None for event in events):
            site = urlsplit(origin).hostname if origin else None
            site = site or (_text(headers.get(b"host")) or "").rsplit(":", 1)[0]
            now = received_us / 1e6
            cookieless_id = self.runtime.cookieless.visitor_id(
                site or "", ip, user_agent or "", datetime.fromtimestamp(now, UTC).date(), now
            )
        query: dict[str, str] = {}
        if scope.get("query_string"):
            wanted = ("ref", *QUERY_FIELDS)
            for key, value in parse_qsl(scope["query_string"].decode("latin-1")):
                if key in wanted and key not in query:
                    query[key] = value[:2048]
        return RequestContext(
            received_us=received_us,
            ip_prefix=stored_ip(ip, self.settings.anonymize_ip),
            user_agent=user_agent,
            opted_out=dnt,
            cookieless_id=cookieless_id,
            query=query,
        )


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _now_us() -> int:
    return time.time_ns() // 1000

"""JSON responses cached per snapshot, with an ETag so an unchanged snapshot costs a 304."""

from __future__ import annotations

from collections.abc import Callable, Hashable

import duckdb
from fastapi import Request, Response

from api.cache import SnapshotCache, etag_for
from api.schemas import CamelModel
from api.snapshots import Lease

# Browsers revalidate every time (no-cache) and get a cheap 304 while the snapshot is the same.
CACHE_CONTROL = "private, no-cache"


def serialize(model: CamelModel) -> bytes:
    return model.model_dump_json(by_alias=True).encode()


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def json_response(request: Request, body: bytes, etag: str, snapshot_id: str | None) -> Response:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if snapshot_id:
        headers["X-Footfall-Snapshot"] = snapshot_id
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def snapshot_response(
    request: Request,
    lease: Lease,
    cache: SnapshotCache,
    key: Hashable,
    compute: Callable[[duckdb.DuckDBPyConnection], CamelModel],
) -> Response:
    """Answer from the snapshot cache (computing once per snapshot), honouring If-None-Match."""
    etag = etag_for(lease.snapshot_id, key)
    if not_modified(request, etag):
        return json_response(request, b"", etag, lease.snapshot_id)
    body = cache.get_or_compute(lease.snapshot_id, key, lambda: serialize(compute(lease.cursor)))
    return json_response(request, body, etag, lease.snapshot_id)

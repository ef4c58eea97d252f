"""Realtime visitors from the newest landed raw events (independent of snapshots)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.cache import etag_for
from api.deps import RealtimeDep
from api.realtime import RealtimeCounts
from api.respond import json_response, serialize
from api.schemas import MinuteCount, Realtime

router = APIRouter(prefix="/realtime", tags=["realtime"])


def realtime_model(counts: RealtimeCounts) -> Realtime:
    return Realtime(
        as_of=counts.as_of,
        active_users_last30_min=counts.active_users,
        users_per_minute=counts.users_per_minute,
        per_minute=[MinuteCount(minute=m, visitors=v) for m, v in counts.per_minute],
        newest_event_at=counts.newest_event_at,
    )


@router.get("", response_model=Realtime)
def read_realtime(request: Request, realtime: RealtimeDep) -> Response:
    """Distinct human visitors in the last 30 minutes and per minute (from the raw lake)."""
    body = serialize(realtime_model(realtime.get()))
    return json_response(request, body, etag_for(body), None)

"""The brief's dashboard object: one day's mart metrics plus realtime visitors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.cache import etag_for
from api.deps import CacheDep, IsoDay, RealtimeDep, SettingsDep, SnapshotDep, today_in
from api.queries.daily import read_currency, read_day
from api.respond import json_response, serialize
from api.schemas import DashboardMetrics

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("/metrics", response_model=DashboardMetrics)
def read_dashboard_metrics(
    request: Request,
    lease: SnapshotDep,
    cache: CacheDep,
    realtime: RealtimeDep,
    settings: SettingsDep,
    date: Annotated[
        IsoDay | None, Query(description="Reporting day (YYYY-MM-DD); default today.")
    ] = None,
) -> Response:
    """The dashboard's metrics for one day (zeros for a day without data), with realtime."""
    day = date or today_in(settings)
    snap = lease.snapshot

    def compute() -> DashboardMetrics:
        cur = lease.cursor
        return DashboardMetrics(
            date=day,
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            currency=cache.get_or_compute(snap.snapshot_id, "currency", lambda: read_currency(cur)),
            **read_day(cur, day).model_dump(),
        )

    base = cache.get_or_compute(snap.snapshot_id, ("dashboard", day), compute)
    live = realtime.get()
    model = base.model_copy(
        update={
            "active_users_last30_min": live.active_users,
            "users_per_minute": live.users_per_minute,
        }
    )
    etag = etag_for(snap.snapshot_id, "dashboard", day, live.active_users, live.users_per_minute)
    return json_response(request, serialize(model), etag, snap.snapshot_id)

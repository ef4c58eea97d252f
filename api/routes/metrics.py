"""Daily series over a range, with totals and the previous period of equal length."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import CacheDep, DateRangeDep, SnapshotDep
from api.queries.daily import percent_change, read_currency, read_days, read_period_totals
from api.respond import snapshot_response
from api.schemas import DailySeries

router = APIRouter(prefix="/metrics", tags=["metrics"])


@router.get("/daily", response_model=DailySeries)
def read_daily_metrics(
    request: Request, lease: SnapshotDep, cache: CacheDep, period: DateRangeDep
) -> Response:
    """Daily metrics for start..end (default the last 30 days), totals and previous period."""
    snap = lease.snapshot

    def compute(cur) -> DailySeries:  # noqa: ANN001
        previous = period.previous()
        totals = read_period_totals(cur, period.start, period.end)
        previous_totals = read_period_totals(cur, previous.start, previous.end)
        now, before = totals.model_dump(by_alias=True), previous_totals.model_dump(by_alias=True)
        return DailySeries(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            start=period.start,
            end=period.end,
            previous_start=previous.start,
            previous_end=previous.end,
            currency=cache.get_or_compute(snap.snapshot_id, "currency", lambda: read_currency(cur)),
            days=read_days(cur, period.start, period.end),
            previous_days=read_days(cur, previous.start, previous.end),
            totals=totals,
            previous_totals=previous_totals,
            change={name: percent_change(now[name], before[name]) for name in now},
        )

    return snapshot_response(request, lease, cache, ("daily", period), compute)

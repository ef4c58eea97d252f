"""Orders created in a range, by their current status."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import CacheDep, DateRangeDep, SnapshotDep
from api.queries.daily import rate
from api.respond import snapshot_response
from api.schemas import OrdersByStatus, OrderStatusRow

router = APIRouter(prefix="/orders", tags=["orders"])

STATUSES = ("pending", "processing", "shipped", "delivered", "canceled")


@router.get("/status", response_model=OrdersByStatus)
def read_orders_by_status(
    request: Request, lease: SnapshotDep, cache: CacheDep, period: DateRangeDep
) -> Response:
    """How many of the orders created in start..end are pending, shipped, canceled, …"""
    snap = lease.snapshot

    def compute(cur) -> OrdersByStatus:  # noqa: ANN001
        sums = ", ".join(f"coalesce(sum({s}_orders), 0)" for s in STATUSES)
        row = cur.execute(
            f"select {sums} from daily_metrics where metric_date between ? and ?",
            [period.start, period.end],
        ).fetchone()
        counts = [int(value) for value in row]
        total = sum(counts)
        return OrdersByStatus(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            start=period.start,
            end=period.end,
            total=total,
            statuses=[
                OrderStatusRow(status=status.upper(), orders=count, share=rate(count, total))
                for status, count in zip(STATUSES, counts, strict=True)
            ],
        )

    return snapshot_response(request, lease, cache, ("orders", period), compute)

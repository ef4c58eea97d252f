"""Visits by a visit dimension: channel, device, browser, os, country, city, …"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import CacheDep, DateRangeDep, SnapshotDep
from api.queries.breakdown import read_breakdown
from api.queries.dimensions import Dimension
from api.respond import snapshot_response
from api.schemas import Breakdown

router = APIRouter(prefix="/breakdown", tags=["breakdowns"])


@router.get("/{dimension}", response_model=Breakdown)
def read_breakdowns(
    request: Request,
    lease: SnapshotDep,
    cache: CacheDep,
    period: DateRangeDep,
    dimension: Annotated[Dimension, Path(description="The visit attribute to group by.")],
    limit: Annotated[int, Query(ge=1, le=100, description="Most values returned.")] = 10,
) -> Response:
    """Visits, visitors, bounce and conversion by one dimension's values, top first."""
    snap = lease.snapshot

    def compute(cur) -> Breakdown:  # noqa: ANN001
        total, rows = read_breakdown(cur, dimension, period.start, period.end, limit)
        return Breakdown(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            dimension=dimension.value,
            start=period.start,
            end=period.end,
            total_visits=total,
            rows=rows,
        )

    key = ("breakdown", dimension.value, period, limit)
    return snapshot_response(request, lease, cache, key, compute)

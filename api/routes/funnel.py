"""The ordered shop funnel, overall or split by one visit dimension."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import CacheDep, DateRangeDep, SnapshotDep
from api.queries.dimensions import Dimension
from api.queries.funnel import read_funnel, read_funnel_by
from api.respond import snapshot_response
from api.schemas import Funnel

router = APIRouter(prefix="/funnel", tags=["funnel"])


@router.get("", response_model=Funnel)
def read_funnel_steps(
    request: Request,
    lease: SnapshotDep,
    cache: CacheDep,
    period: DateRangeDep,
    by: Annotated[
        Dimension | None, Query(description="Also split the funnel by this visit dimension.")
    ] = None,
) -> Response:
    """Visits reaching each funnel step in order, with step-to-step conversion."""
    snap = lease.snapshot

    def compute(cur) -> Funnel:  # noqa: ANN001
        return Funnel(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            start=period.start,
            end=period.end,
            by=by.value if by else None,
            steps=read_funnel(cur, period.start, period.end),
            groups=read_funnel_by(cur, by, period.start, period.end) if by else None,
        )

    key = ("funnel", period, by.value if by else None)
    return snapshot_response(request, lease, cache, key, compute)

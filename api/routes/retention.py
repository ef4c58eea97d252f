"""Retention cohorts: visitors by week of first visit, customers by month of first order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import CacheDep, SnapshotDep
from api.queries.retention import MONTHLY, WEEKLY, read_cohorts
from api.respond import snapshot_response
from api.schemas import Retention

router = APIRouter(prefix="/retention", tags=["retention"])


@router.get("", response_model=Retention)
def read_retention_cohorts(
    request: Request,
    lease: SnapshotDep,
    cache: CacheDep,
    cohorts: Annotated[
        int, Query(ge=1, le=52, description="Newest cohorts (and offsets) of each kind.")
    ] = 8,
) -> Response:
    """Share of each weekly visitor cohort and monthly customer cohort active later on."""
    snap = lease.snapshot

    def compute(cur) -> Retention:  # noqa: ANN001
        return Retention(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            weekly=read_cohorts(cur, WEEKLY, cohorts),
            monthly=read_cohorts(cur, MONTHLY, cohorts),
        )

    return snapshot_response(request, lease, cache, ("retention", cohorts), compute)

"""Liveness and freshness for operators and load balancers (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReaderDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def read_health(reader: ReaderDep) -> Health:
    """Whether the API is up, and which snapshot it serves and how old it is."""
    snap = reader.current()
    if snap is None:
        return Health(status="no_snapshot", message="no snapshot yet")
    return Health(
        status="ok",
        message=f"serving snapshot {snap.snapshot_id}",
        snapshot_id=snap.snapshot_id,
        published_at=snap.published_at,
        snapshot_age_seconds=snap.age_seconds,
        data_as_of=snap.data_as_of,
    )

"""Recent pipeline runs and how fresh the served data is."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import SettingsDep, SnapshotDep, today_in
from api.schemas import PipelineRun, Runs
from warehouse.paths import DataPaths
from warehouse.runlog import read_runs, runs_file

router = APIRouter(prefix="/runs", tags=["runs"])

RUN_FIELDS = tuple(PipelineRun.model_fields)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _steps(value: Any) -> dict[str, float] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, dict):
        return None
    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float)}


def _run(record: dict) -> PipelineRun:
    fields = {name: _utc(record.get(name)) for name in RUN_FIELDS}
    return PipelineRun(**fields | {"steps": _steps(record.get("steps"))})


class RunLogCache:
    """The run log parsed once per change of the file (it only ever grows by appends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._runs: list[dict] = []

    def newest(self, paths: DataPaths, limit: int) -> list[dict]:
        try:
            st = os.stat(runs_file(paths))
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return []
        with self._lock:
            if stamp != self._stamp:
                self._runs, self._stamp = read_runs(paths), stamp
            return list(reversed(self._runs[-limit:]))


_run_log = RunLogCache()


def _snapshot_runs(cur, limit: int) -> list[dict]:  # noqa: ANN001
    if "pipeline_runs" not in {r[0] for r in cur.execute("show tables").fetchall()}:
        return []
    result = cur.execute(
        "select * from pipeline_runs order by started_at desc nulls last limit ?", [limit]
    )
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


@router.get("", response_model=Runs)
def read_runs_and_freshness(
    request: Request,
    lease: SnapshotDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Most runs returned.")] = 20,
) -> Runs:
    """The newest pipeline runs (failed ones too) and the served snapshot's freshness."""
    snap = lease.snapshot
    # The run log under $DATA/state has every run, failed ones included; a replica serving a
    # copied snapshot has only the snapshot's own copy.
    records = _run_log.newest(request.app.state.paths, limit)
    if not records:
        records = _snapshot_runs(lease.cursor, limit)
    runs = [_run(record) for record in records]
    successes = [run.finished_at for run in runs if run.status in ("success", "ok", "published")]
    return Runs(
        snapshot_id=snap.snapshot_id,
        data_as_of=snap.data_as_of,
        today=today_in(settings),
        reporting_timezone=settings.reporting_tz,
        published_at=snap.published_at,
        snapshot_age_seconds=snap.age_seconds,
        last_success_at=max((t for t in successes if t), default=snap.published_at),
        runs=runs,
    )

"""The read API during many consecutive publishes: zero failed requests, no leaked handles.

Extends tests/api/test_snapshots.py::test_read_while_snapshots_swap_never_errors (an
in-process server, 6 publishes) to a real `footfall api` process: clients read without
pause while publish after publish swaps the pointer and the harshest clean-up deletes every
old snapshot file at once. Besides counting answers, the test watches the API process's
file descriptors: retired snapshots must be closed, so neither the count of open files nor
the number of deleted files still held open may grow with the number of publishes.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import Figures, env_int
from tests.reliability.procs import READ_TOKEN, Usage, footfall_env, running
from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish
from warehouse.paths import DataPaths

URLS = [
    "/api/v1/dashboard/metrics?date=2026-03-12",
    "/api/v1/metrics/daily?start=2026-03-08&end=2026-03-14",
    "/api/v1/breakdown/country?start=2026-03-08&end=2026-03-14",
    "/api/v1/funnel?start=2026-03-08&end=2026-03-14&by=channel",
    "/api/v1/products/top?start=2026-03-08&end=2026-03-14",
    "/api/v1/retention",
]


def swaps(
    built: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, publishes: int, figures: Figures
) -> None:
    data_dir.build.mkdir(parents=True)
    shutil.copyfile(built.paths.build_db, data_dir.build_db)
    publish.publish_snapshot(data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[])
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    seen: Counter[str] = Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def read(base_url: str, offset: int) -> None:
        headers = {"Authorization": f"Bearer {READ_TOKEN}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            i = offset
            while not stop.is_set():
                try:
                    response = http.get(URLS[i % len(URLS)])
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                i += 1
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        seen[response.json()["snapshotId"]] += 1

    published = []
    with running("api", footfall_env(data_dir.root), tmp_path / "api.log") as api:
        usage = Usage(api.pid)
        workers = [threading.Thread(target=read, args=(api.url, n)) for n in range(3)]
        for worker in workers:
            worker.start()
        try:
            for _ in range(publishes):
                time.sleep(0.2)
                snapshot = publish.publish_snapshot(
                    data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[]
                )
                published.append(snapshot.snapshot_id)
                publish.drop_old_snapshots(data_dir, grace_seconds=0)  # the harshest clean-up
                usage.sample()
            deadline = time.monotonic() + 10
            while seen[published[-1]] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(7)  # past the API's grace period for retired snapshots
            usage.sample()
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
    figures.record(
        title=f"API during {publishes} consecutive publishes",
        did=(
            f"{sum(statuses.values())} reads by 3 clients of a `footfall api` process while "
            f"{publishes} snapshots were published, each followed by deleting every older "
            f"snapshot file; {len(seen)} snapshots served; open fds "
            f"{min(usage.fds)}–{max(usage.fds)}, deleted files held at the end "
            f"{usage.deleted[-1]}"
        ),
        lost=f"nothing: {len(errors)} failed requests, "
        f"{sum(n for s, n in statuses.items() if s != 200)} non-200 answers",
        statuses=dict(statuses),
        snapshots_served=len(seen),
        fds=usage.fds,
        deleted_held=usage.deleted,
    )
    assert not errors and set(statuses) == {200}, (statuses, errors[:5])
    assert seen[published[-1]] > 0 and len(seen) >= min(publishes, 3)
    # Old snapshots are closed once retired: past the grace period (the last sample) the
    # handles are back where they were after the first publish, however many came between.
    assert usage.fds[-1] <= usage.fds[0] + 4, (usage.fds, usage.fd_growth())
    assert usage.deleted[-1] <= 1, usage.deleted


def test_read_during_many_publishes_never_fails(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    swaps(built_warehouse, data_dir, tmp_path, 15, figures)


@pytest.mark.slow
def test_read_during_very_many_publishes_never_fails(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    swaps(built_warehouse, data_dir, tmp_path, env_int("FOOTFALL_PUBLISH_SWAPS", 80), figures)

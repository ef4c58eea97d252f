"""I/O faults with real file systems: a spool disk that fills up or turns read-only, a lake
that cannot be written, a full disk under enrichment, publish and the dbt build.

The collector must answer 503 (with Retry-After) for what it could not store, acknowledge
nothing it did not store, report itself unhealthy, and recover on its own when space
returns. The pipeline must fail with a clear error, leave the served snapshot alone and
leave no half-written file behind, and the next run after space returns must succeed.

Faults are real: size-limited tmpfs mounts (ENOSPC) and read-only remounts (EROFS), which
needs root; tests/ingest/test_app.py covers ENOSPC at the OS-call seam for machines
where mounting is not allowed.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest

from ingest.lander import land_sealed_segments
from tests.ingest.conftest import read_raw
from tests.reliability.conftest import Figures
from tests.reliability.procs import (
    WITHOUT_ROOT_OVERRIDES,
    Server,
    fill,
    footfall_env,
    remount,
    start_server,
    tmpfs,
)
from tests.utils.fixtures import BuiltWarehouse, copy_built_warehouse
from warehouse import publish
from warehouse.enrich import enrich_new_raw_files
from warehouse.lake import lake_files
from warehouse.paths import DataPaths
from warehouse.runlog import read_runs

pytestmark = pytest.mark.usefixtures("needs_mount")

TRACK = "/api/v1/analytics/track"


def body(n: int, page_bytes: int = 900) -> list[dict]:
    return [
        {"eventId": str(uuid.uuid4()), "eventType": "page_view", "page": "/" + "x" * page_bytes}
        for _ in range(n)
    ]


def collector(data_dir: DataPaths, log: Path) -> Server:
    env = footfall_env(
        data_dir.root,
        FOOTFALL_RATE_LIMIT_PER_SECOND="0",
        FOOTFALL_SPOOL_SEGMENT_SECONDS="0.3",
        FOOTFALL_SPOOL_SEGMENT_BYTES="65536",
    )
    return start_server("collect", env, log, log_level="warning")


class Sender:
    """Posts batches and files every event id under the answer it got."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)
        self.acked: set[str] = set()
        self.refused: set[str] = set()
        self.statuses: dict[int, int] = {}

    def post(self, events: list[dict]) -> int:
        response = self.http.post(TRACK, json=events)
        status = response.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        ids = {event["eventId"] for event in events}
        if status == 200:
            self.acked |= ids
        else:
            assert status == 503, response.text
            assert response.headers["retry-after"]
            assert response.json() == {"error": "storage unavailable, retry later"}
            self.refused |= ids
        return status

    def health(self) -> int:
        return self.http.get("/healthz").status_code


def remount_when_idle(target: Path, mode: str, timeout: float = 10.0) -> None:
    """Remount `target`; a read-only remount waits until no file there is open for writing."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            remount(target, mode)
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for(predicate, timeout: float = 20.0, step: float = 0.1) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def landed_ids(data_dir: DataPaths) -> list[str]:
    return [row["event_id"] for row in read_raw(data_dir, "events")]


def test_collector_answers_503_while_spool_disk_is_full_and_recovers(
    data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    """Spool on a 2 MiB tmpfs, lake read-only (the lander cannot drain the spool): the spool
    fills up; then the lake becomes writable, the lander frees the spool, and the same
    collector accepts again without a restart."""
    with tmpfs(data_dir.spool, "2m"), tmpfs(data_dir.lake, "64m"):
        remount(data_dir.lake, "ro")
        server = collector(data_dir, tmp_path / "collector.log")
        try:
            sender = Sender(server.url)
            requests_until_full = 0
            while sender.post(body(5)) == 200:
                requests_until_full += 1
                assert requests_until_full < 2000, "the 2 MiB spool never filled up"
            for _ in range(20):  # stays full: everything is refused, nothing half-stored
                assert sender.post(body(5)) == 503
            assert sender.health() == 503
            health = sender.http.get("/healthz").json()
            assert health["spool"]["last_error"] and health["lander"]["last_error"]
            remount_when_idle(data_dir.lake, "rw")
            drained = wait_for(
                lambda: sender.http.get("/healthz").json()["spool"]["segments"] <= 1, timeout=60
            )
            assert drained, "the lander did not drain the spool once the lake was writable"
            for _ in range(20):
                assert sender.post(body(5)) == 200
            assert wait_for(lambda: sender.health() == 200)
        finally:
            server.stop()
        land_sealed_segments(data_dir)
        landed = landed_ids(data_dir)
    missing = sender.acked - set(landed)
    stored_refused = sender.refused & set(landed)
    figures.record(
        title="Collector: spool disk full, lake read-only",
        did=(
            f"spool on a 2 MiB tmpfs, lake remounted read-only: {requests_until_full} requests "
            f"fitted, then {sender.statuses.get(503, 0)} answered 503; lake made writable, "
            f"collector recovered without restart; {len(sender.acked)} events acknowledged"
        ),
        lost=f"nothing: {len(sender.acked) - len(missing)}/{len(sender.acked)} acknowledged "
        f"events landed, {len(stored_refused)} of {len(sender.refused)} refused ones stored",
        statuses=sender.statuses,
        acked=len(sender.acked),
        refused=len(sender.refused),
    )
    assert not missing and not stored_refused
    assert len(landed) == len(set(landed))


def test_collector_answers_503_while_spool_is_unwritable(
    data_dir: DataPaths, tmp_path: Path, figures: Figures
) -> None:
    """The spool directory loses its write permission under a running collector (a restore
    or a chown by hand does that); then gets it back. The collector runs without root's
    permission overrides, as a service user would."""
    env = footfall_env(
        data_dir.root, FOOTFALL_RATE_LIMIT_PER_SECOND="0", FOOTFALL_SPOOL_SEGMENT_SECONDS="0.3"
    )
    log = tmp_path / "collector.log"
    server = start_server("collect", env, log, wrapper=WITHOUT_ROOT_OVERRIDES)
    try:
        sender = Sender(server.url)
        for _ in range(10):
            assert sender.post(body(3, 100)) == 200
        data_dir.spool.chmod(0o555)
        time.sleep(0.5)  # the open segment ages out and its seal (a rename) fails
        refused_answers = sum(sender.post(body(3, 100)) == 503 for _ in range(20))
        unhealthy = sender.health()
        data_dir.spool.chmod(0o750)
        assert wait_for(lambda: sender.post(body(3, 100)) == 200)
        for _ in range(10):
            assert sender.post(body(3, 100)) == 200
        healthy = wait_for(lambda: sender.health() == 200)
        # Everything acknowledged reaches the lake while the collector keeps running.
        landed_live = wait_for(lambda: sender.acked <= set(landed_ids(data_dir)), timeout=20)
    finally:
        server.stop()
    land_sealed_segments(data_dir)
    landed = set(landed_ids(data_dir))
    figures.record(
        title="Collector: spool directory unwritable",
        did=(
            f"spool lost its write permission under a running collector: {refused_answers} of "
            f"20 requests answered 503, /healthz {unhealthy}; permission restored, collector "
            f"recovered without restart; {len(sender.acked)} events acknowledged"
        ),
        lost=f"nothing: {len(sender.acked & landed)}/{len(sender.acked)} acknowledged events "
        f"landed, {len(sender.refused & landed)} of {len(sender.refused)} refused ones stored",
        statuses=sender.statuses,
    )
    assert refused_answers == 20 and unhealthy == 503 and healthy
    assert sender.acked <= landed and not sender.refused & landed
    assert landed_live, "acknowledged events stayed in the spool until the collector restarted"


@contextlib.contextmanager
def full_disk(target: Path, size: str = "1m") -> Iterator[Path]:
    """`target` on a tmpfs of `size` that is already full."""
    with tmpfs(target, size):
        fill(target)
        yield target


def grow(target: Path, size: str = "512m") -> None:
    """Space returns: the tmpfs under `target` gets bigger, as after an operator's clean-up."""
    remount(target, f"size={size}")


def copy_raw_lake(source: DataPaths, target: DataPaths) -> None:
    shutil.copytree(source.lake / "raw", target.lake / "raw", dirs_exist_ok=True)


def count_rows(files: list[Path]) -> int:
    return sum(pq.read_metadata(path).num_rows for path in files)


def test_enrichment_fails_cleanly_on_full_disk_and_recovers(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, figures: Figures
) -> None:
    copy_raw_lake(built_warehouse.paths, data_dir)
    raw_rows = count_rows(lake_files(data_dir.raw("events")))
    with full_disk(data_dir.lake / "enriched"):
        with pytest.raises(OSError) as failure:
            enrich_new_raw_files(data_dir)
        assert failure.value.errno == errno.ENOSPC
        leftovers = [p.name for p in (data_dir.lake / "enriched").rglob("*") if p.is_file()]
        assert leftovers == [".ballast"], "a failed enrichment left files behind"
        grow(data_dir.lake / "enriched")
        result = enrich_new_raw_files(data_dir)
        enriched_rows = count_rows(lake_files(data_dir.enriched_events))
    figures.record(
        title="Enrichment on a full disk",
        did=(
            "enriched lake on a full 1 MiB tmpfs: enrichment raised ENOSPC and left no file; "
            f"space returned: the next enrichment did all {result.files} raw files"
        ),
        lost=f"nothing: {enriched_rows}/{raw_rows} events enriched, none twice",
        raw_rows=raw_rows,
        enriched_rows=enriched_rows,
    )
    assert enriched_rows == raw_rows and result.files == len(lake_files(data_dir.raw("events")))


def test_publish_fails_cleanly_on_full_disk_and_keeps_serving(
    built_warehouse: BuiltWarehouse, data_dir: DataPaths, figures: Figures
) -> None:
    data_dir.build.mkdir(parents=True)
    shutil.copyfile(built_warehouse.paths.build_db, data_dir.build_db)
    with tmpfs(data_dir.published, "64m"):
        first = publish.publish_snapshot(data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[])
        ballast = fill(data_dir.published)
        with pytest.raises((OSError, duckdb.Error)):
            publish.publish_snapshot(data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[])
        assert publish.read_current_snapshot_id(data_dir) == first.snapshot_id
        hidden = [p.name for p in data_dir.published.iterdir() if p.name.startswith(".")]
        assert hidden == [".ballast"], f"a failed publish left {hidden}"
        con = duckdb.connect(str(publish.current_snapshot_path(data_dir)), read_only=True)
        assert con.execute("select count(*) from daily_metrics").fetchone()[0] > 0
        con.close()
        ballast.unlink()  # space returns
        second = publish.publish_snapshot(data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[])
        assert publish.read_current_snapshot_id(data_dir) == second.snapshot_id
    figures.record(
        title="Publish on a full disk",
        did=(
            "published/ on a full tmpfs: publish raised, the pointer kept naming the last "
            "good snapshot, which still opened; space returned: the next publish swapped"
        ),
        lost="nothing: the served snapshot never changed until the good publish",
        tables=len(second.tables),
    )


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("where", ["lake", "build"])
def test_pipeline_fails_cleanly_on_full_disk_and_next_run_publishes(
    built_warehouse: BuiltWarehouse,
    data_dir: DataPaths,
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
    where: str,
) -> None:
    """The whole `pipeline` flow with the enriched lake or the dbt build on a full disk."""
    from flows.pipeline import pipeline

    target = data_dir.lake / "enriched" if where == "lake" else data_dir.build
    with tmpfs(target, "256m"):
        good_snapshot = copy_built_warehouse(built_warehouse, data_dir)  # a good run's state
        ballast = fill(target)
        with pytest.raises(Exception) as failure:  # noqa: B017 - the step's own error
            pipeline(full_refresh=True)  # rewrites every enriched file and every model
        assert publish.read_current_snapshot_id(data_dir) == good_snapshot
        assert read_runs(data_dir)[-1]["status"] == "failed"
        ballast.unlink()  # space returns
        repaired = pipeline(full_refresh=True)
        assert repaired["status"] == "published"
    figures.record(
        title=f"Pipeline with the {'enriched lake' if where == 'lake' else 'dbt build'} on a "
        "full disk",
        did=f"`pipeline` flow with {target.name}/ on a full tmpfs failed "
        f"({type(failure.value).__name__}), the served snapshot stayed; space returned: the "
        "next run published",
        lost="nothing: last good snapshot served throughout",
    )

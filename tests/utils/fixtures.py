"""Shared session fixtures: Prefect's test harness and a warehouse built by the real pipeline."""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from warehouse.paths import DataPaths
from warehouse.prefect_setup import STARTUP_TIMEOUT_SECONDS
from warehouse.settings import reset_settings

WAREHOUSE_DAYS = 7
WAREHOUSE_VISITORS_PER_DAY = 150
WAREHOUSE_SEED = 7
WAREHOUSE_END = date(2026, 3, 14)


@dataclass(frozen=True)
class BuiltWarehouse:
    """A data dir with generated traffic, run through the pipeline and published."""

    paths: DataPaths
    run: dict
    end_date: date


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's in-process test server, started once for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=STARTUP_TIMEOUT_SECONDS):
        yield


@pytest.fixture(scope="session")
def built_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> BuiltWarehouse:
    """One week of generated traffic, landed, enriched, built with dbt and published.

    Built once per test run: under pytest-xdist the first worker that asks builds it in the
    run's shared temporary directory, and the others wait for it (a file lock) and reuse it
    (read-only: DuckDB lets many processes open a snapshot read-only). Tests must not write
    to it; `use_warehouse` points the settings at it.
    """
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # every worker's basetemp lives in the run's directory
    home = shared / "built-warehouse"
    home.mkdir(exist_ok=True)
    record = home / "run.json"
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            request.getfixturevalue("prefect_harness")  # only the builder needs Prefect
            run = _build_warehouse(home / "data")
            record.write_text(json.dumps(run), encoding="utf-8")
    return BuiltWarehouse(
        paths=DataPaths((home / "data").resolve()),
        run=json.loads(record.read_text(encoding="utf-8")),
        end_date=WAREHOUSE_END,
    )


def _build_warehouse(root: Path) -> dict:
    from flows.pipeline import pipeline
    from warehouse.synthetic import generate_lake

    root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOOTFALL_DATA_DIR", str(root))
        reset_settings()
        generate_lake(
            DataPaths(root.resolve()),
            days=WAREHOUSE_DAYS,
            visitors_per_day=WAREHOUSE_VISITORS_PER_DAY,
            seed=WAREHOUSE_SEED,
            end_date=WAREHOUSE_END,
        )
        run = pipeline()
    reset_settings()
    return run


def copy_built_warehouse(built: BuiltWarehouse, target: DataPaths) -> str:
    """Copy the built warehouse's whole data dir into `target` (which may already exist, as a
    mount point does); returns the copy's current snapshot id.

    A writable twin saves a test the pipeline run that would build the same state again
    (~30 s each in CI). Paths inside are relative and mtimes are kept, so the next run on the
    copy finds nothing new; lock files are left behind as they belong to the original.
    """
    shutil.copytree(
        built.paths.root, target.root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock")
    )
    return built.run["snapshot_id"]


@pytest.fixture
def use_warehouse(
    built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch
) -> BuiltWarehouse:
    """The built warehouse, configured as this test's FOOTFALL_DATA_DIR (read-only use)."""
    monkeypatch.setenv("FOOTFALL_DATA_DIR", str(built_warehouse.paths.root))
    reset_settings()
    return built_warehouse

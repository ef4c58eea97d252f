"""Shared session fixtures: Prefect's test harness and a warehouse built by the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from warehouse.paths import DataPaths
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

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def built_warehouse(
    prefect_harness: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltWarehouse]:
    """One week of generated traffic, landed, enriched, built with dbt and published.

    Tests must not write to it; `use_warehouse` points the settings at it.
    """
    from flows.pipeline import pipeline
    from warehouse.synthetic import generate_lake

    root: Path = tmp_path_factory.mktemp("warehouse") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOOTFALL_DATA_DIR", str(root))
        reset_settings()
        paths = DataPaths(root.resolve())
        generate_lake(
            paths,
            days=WAREHOUSE_DAYS,
            visitors_per_day=WAREHOUSE_VISITORS_PER_DAY,
            seed=WAREHOUSE_SEED,
            end_date=WAREHOUSE_END,
        )
        run = pipeline()
    reset_settings()
    yield BuiltWarehouse(paths=paths, run=run, end_date=WAREHOUSE_END)


@pytest.fixture
def use_warehouse(
    built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch
) -> BuiltWarehouse:
    """The built warehouse, configured as this test's FOOTFALL_DATA_DIR (read-only use)."""
    monkeypatch.setenv("FOOTFALL_DATA_DIR", str(built_warehouse.paths.root))
    reset_settings()
    return built_warehouse

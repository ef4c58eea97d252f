"""Fixtures for the collector: a real app on a temp data dir, and lake readers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from ingest.app import create_app
from ingest.collector import Collector
from ingest.lander import land_sealed_segments
from warehouse.lake import lake_files
from warehouse.paths import DataPaths
from warehouse.settings import reset_settings

Rows = list[dict[str, object]]


def read_raw(paths: DataPaths, dataset: str) -> Rows:
    """Every landed row of a raw dataset, in file order."""
    rows: Rows = []
    for path in lake_files(paths.raw(dataset)):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def land_now(client: TestClient, paths: DataPaths) -> None:
    """Seal the collector's active segment and land everything sealed."""
    client.app.state.collector.spool.seal()
    land_sealed_segments(paths)


@pytest.fixture
def make_client(
    data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    """Start the collector app (with its lifespan) under settings from `env`."""
    clients: list[TestClient] = []

    def make(
        env: dict[str, str] | None = None,
        peer: tuple[str, int] = ("198.51.100.23", 50000),
        background_lander: bool = False,
        hot_path: bool = True,
    ) -> TestClient:
        monkeypatch.setenv("FOOTFALL_SPOOL_SEGMENT_SECONDS", "60")  # tests seal explicitly
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        reset_settings()
        collector = Collector(run_lander=background_lander)  # tests land explicitly
        app = create_app(collector, hot_path=hot_path)
        client = TestClient(app, base_url="http://collector.test", client=peer)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """The collector with default settings."""
    return make_client()

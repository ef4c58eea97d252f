"""API fixtures: the app over the warehouse the real pipeline built, and small data dirs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish
from warehouse.paths import DataPaths
from warehouse.settings import Settings

TOKEN = "test-read-token-1"
ROTATED_TOKEN = "test-read-token-2"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def api_settings(root: Path, **overrides: object) -> Settings:
    """Settings for an app over `root`, independent of the environment's tokens."""
    values: dict[str, object] = {"data_dir": root, "api_token": [TOKEN, ROTATED_TOKEN]}
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def warehouse(built_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    """The session's published warehouse (generated traffic, real pipeline, real publish)."""
    return built_warehouse


@pytest.fixture(scope="session")
def client(warehouse: BuiltWarehouse) -> Iterator[TestClient]:
    """A client of the API over the built warehouse (read-only use)."""
    app = create_app(api_settings(warehouse.paths.root))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def snapshot_db(warehouse: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published snapshot itself, opened read-only, to check the API's numbers against."""
    path = publish.current_snapshot_path(warehouse.paths)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client over a data directory where nothing has been published yet."""
    root = tmp_path / "data"
    root.mkdir()
    app = create_app(api_settings(root), check_interval=0.0)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def own_build(tmp_path: Path, warehouse: BuiltWarehouse) -> DataPaths:
    """A data dir of this test's own holding a copy of the built warehouse's build database,
    so it can publish as many snapshots as it likes with the real publish code."""
    paths = DataPaths((tmp_path / "data").resolve())
    paths.build.mkdir(parents=True)
    shutil.copyfile(warehouse.paths.build_db, paths.build_db)
    return paths

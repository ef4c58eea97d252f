"""Session-wide test set-up: Prefect offline, one Prefect harness, isolated data dirs."""

from __future__ import annotations

import os

# Prefect reads these at import; set them before any test module imports a flow.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from warehouse.paths import DataPaths, data_paths  # noqa: E402
from warehouse.settings import reset_settings  # noqa: E402

pytest_plugins = ["tests.utils.fixtures"]


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Every test starts and ends with settings re-read from the environment."""
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    """An empty data directory of its own, configured as FOOTFALL_DATA_DIR."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("FOOTFALL_DATA_DIR", str(root))
    reset_settings()
    return data_paths()

"""Fixtures for the dbt model tests: isolated data directories and compiled projects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.models.replay import MARKER_TIMEZONE, CompiledProject
from warehouse.settings import reset_settings


@pytest.fixture(scope="session")
def compiled_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CompiledProject]:
    """The project compiled once for the session, replayable per example and time zone."""
    root = tmp_path_factory.mktemp("compiled")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOOTFALL_DATA_DIR", str(root))
        patch.setenv("FOOTFALL_REPORTING_TZ", MARKER_TIMEZONE)
        reset_settings()
        project = CompiledProject(root)
    reset_settings()
    yield project

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


def _describe_lambdas_despite_cpython_ast_bug() -> None:
    """Let hypothesis describe a lambda as unknown when CPython's `ast.parse` fails.

    Hypothesis parses a lambda's source file only to print the lambda in a strategy's repr.
    CPython 3.11.7 (this machine's) can raise `SystemError: AST constructor recursion depth
    mismatch` from `ast.parse` deep in a stack, a CPython bug; inside a schemathesis draw
    it failed a fresh-clone CI run as a hypothesis FlakyFailure. The repr is cosmetic, so
    hypothesis's own "<unknown>" description is the right answer there.
    """
    from hypothesis.internal import lambda_sources

    describe = lambda_sources._lambda_description

    def describe_or_unknown(f: object) -> str:
        try:
            return describe(f)
        except SystemError:
            return "lambda: <unknown>"

    lambda_sources._lambda_description = describe_or_unknown


_describe_lambdas_despite_cpython_ast_bug()


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

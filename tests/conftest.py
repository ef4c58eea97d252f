"""Session-wide test set-up: Prefect offline, one Prefect harness, isolated data dirs."""

from __future__ import annotations

import os

# Prefect reads these at import; set them before any test module imports a flow.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from warehouse.paths import DataPaths, data_paths  # noqa: E402
from warehouse.settings import reset_settings  # noqa: E402

pytest_plugins = ["tests.utils.fixtures"]

# The files that take longest (CI's --durations, summed per file), longest first. With
# `-n N --dist loadfile --no-loadscope-reorder` a long file that starts last keeps one
# worker busy after the others have finished; starting the long ones first shortens the
# run. (xdist's default reorder puts the files with the most tests first instead, which
# left the longest single tests for the end.) A stale list only costs time.
LONGEST_FILES = (
    "tests/reliability/test_pipeline_crash.py",
    "tests/benchmarks/test_bench_smoke.py",
    "tests/flows/test_pipeline.py",
    "tests/reliability/test_io_faults.py",
    "tests/warehouse/test_demo.py",
    "tests/models/test_marts_reference.py",
    "tests/models/test_dbt_runner.py",
    "tests/warehouse/test_dbt_forkserver.py",
    "tests/reliability/test_soak.py",
    "tests/reliability/test_publish_swaps.py",
    "tests/reliability/test_fuzz_collector.py",
    "tests/flows/test_serve.py",
    "tests/flows/test_erase.py",
    "tests/reliability/test_collector_crash.py",
    "tests/ingest/test_crash.py",
    "tests/flows/test_retention.py",
    "tests/models/test_incremental.py",
    "tests/reliability/test_injection.py",
    "tests/e2e/test_end_to_end.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the longest files first (a stable sort: every other file keeps its place)."""
    root = Path(str(config.rootpath))
    rank = {name: position for position, name in enumerate(LONGEST_FILES)}

    def position(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(LONGEST_FILES))

    items.sort(key=position)


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

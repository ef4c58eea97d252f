"""`footfall bench` in a tiny mode: every stage runs and every figure key is written.

CI does not run the real benchmark (10M events); this keeps the command from rotting.
It runs the real thing end to end — generator, collector server, enrichment, dbt, publish,
API server, naive baseline — on 20k events with shortened load phases, into tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import FIGURE_KEYS, TARGETS

REPO = Path(__file__).resolve().parents[2]

# Figures every tiny run must produce as numbers (the rest may be null only if a stage
# failed, which also fails the command).
NUMERIC = [
    "run.events",
    "collector.durable_vs_noop",
    "collector.batch_events_per_s",
    "collector.ack_latency_p99_ms",
    "enrich.events_per_s",
    "enrich.speedup_vs_per_row",
    "enrich.realistic_speedup_vs_per_row",
    "dbt.full_build_s",
    "dbt.incremental_vs_full",
    "dbt.full_vs_floor",
    "publish.snapshot_mib",
    "api.dashboard_metrics_p99_ms",
    "api.funnel_p99_ms",
    "api.requests_per_s",
    "api.publishes_during_load",
    "naive.events_per_s",
    "footfall.speedup_vs_naive",
    "memory.peak_rss_mib",
]


@pytest.fixture(scope="module")
def tiny_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """One tiny `footfall bench` run shared by the checks below."""
    output = tmp_path_factory.mktemp("bench-output")
    user_data = tmp_path_factory.mktemp("user-data")
    env = {
        **os.environ,
        "FOOTFALL_DATA_DIR": str(user_data),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "bench", "--events", "20000"]
        + ["--output-dir", str(output)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed, output, user_data


def _results(output: Path) -> dict:
    return json.loads((output / "benchmarks" / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_run_bench_exits_zero_and_writes_reports(tiny_run) -> None:
    completed, output, _ = tiny_run
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert (output / "BENCHMARKS.md").is_file()
    assert (output / "benchmarks" / "results.json").is_file()


@pytest.mark.slow
def test_run_bench_writes_every_figure_key(tiny_run) -> None:
    _, output, _ = tiny_run
    figures = _results(output)["figures"]
    assert sorted(figures) == sorted(FIGURE_KEYS)


@pytest.mark.slow
@pytest.mark.parametrize("key", NUMERIC)
def test_run_bench_measures_figure(tiny_run, key: str) -> None:
    _, output, _ = tiny_run
    value = _results(output)["figures"][key]
    assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
    assert value >= 0


@pytest.mark.slow
def test_run_bench_swaps_snapshots_under_api_load(tiny_run) -> None:
    _, output, _ = tiny_run
    figures = _results(output)["figures"]
    assert figures["api.publishes_during_load"] >= 1
    assert figures["api.errors_during_publish"] == 0


@pytest.mark.slow
def test_run_bench_evaluates_every_target(tiny_run) -> None:
    _, output, _ = tiny_run
    results = _results(output)
    assert [row["key"] for row in results["targets"]] == [target.key for target in TARGETS]
    assert {row["status"] for row in results["targets"]} <= {"met", "missed", "n/a"}
    markdown = (output / "BENCHMARKS.md").read_text(encoding="utf-8")
    for target in TARGETS:
        assert target.name in markdown


@pytest.mark.slow
def test_run_bench_leaves_user_data_dir_untouched(tiny_run) -> None:
    completed, _, user_data = tiny_run
    assert completed.returncode == 0
    assert list(user_data.iterdir()) == []

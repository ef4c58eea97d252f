"""Targets, scaling and report files of `footfall bench`, without running a benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.report import (
    FIGURE_KEYS,
    NOTES_MARKER,
    build_figures,
    evaluate_targets,
    write_reports,
)


def _status(figures: dict, key: str) -> dict:
    return next(row for row in evaluate_targets(figures) if row["key"] == key)


@pytest.mark.parametrize(
    ("figures", "key", "limit", "status"),
    [
        ({"run.target_scale": 1.0, "enrich.seconds": 29.0}, "enrich.seconds", 30.0, "met"),
        ({"run.target_scale": 1.0, "enrich.seconds": 31.0}, "enrich.seconds", 30.0, "missed"),
        ({"run.target_scale": 0.1, "enrich.seconds": 2.9}, "enrich.seconds", 3.0, "met"),
        ({"run.target_scale": 0.1, "enrich.seconds": 3.1}, "enrich.seconds", 3.0, "missed"),
        ({"run.target_scale": 0.1, "dbt.full_build_s": 7.0}, "dbt.full_build_s", 6.0, "missed"),
        ({"run.target_scale": 0.1}, "enrich.seconds", 3.0, "n/a"),
        ({"collector.durable_vs_noop": 0.7}, "collector.durable_vs_noop", 0.7, "met"),
        ({"collector.durable_vs_noop": 0.69}, "collector.durable_vs_noop", 0.7, "missed"),
        ({"run.target_scale": 0.1, "dbt.incremental_vs_full": 0.15}, "dbt.incremental_vs_full",
         0.15, "met"),
        ({"api.dashboard_metrics_p99_ms": 10.0}, "api.dashboard_metrics_p99_ms", 10.0, "missed"),
        ({"memory.peak_rss_mib": 4095.0}, "memory.peak_rss_mib", 4096.0, "met"),
        ({"api.errors_during_publish": 0, "api.publishes_during_load": 3},
         "api.errors_during_publish", 0.0, "met"),
        ({"api.errors_during_publish": 2, "api.publishes_during_load": 3},
         "api.errors_during_publish", 0.0, "missed"),
        ({"api.errors_during_publish": 0, "api.publishes_during_load": 0},
         "api.errors_during_publish", 0.0, "n/a"),
    ],
)  # fmt: skip
def test_evaluate_target_scales_per_10m_limits(
    figures: dict, key: str, limit: float, status: str
) -> None:
    row = _status(figures, key)
    assert row["limit"] == pytest.approx(limit)
    assert row["status"] == status


def test_build_figures_without_stages_has_every_key_as_null() -> None:
    figures = build_figures({}, {"machine": {}})
    assert list(figures) == FIGURE_KEYS
    assert all(figures[key] is None for key in FIGURE_KEYS if key != "memory.peak_stage")


def test_build_figures_derives_ratios_from_stage_results() -> None:
    stages = {
        "enrich": {"events": 1_000_000, "seconds": 10.0, "events_per_s": 100_000},
        "dbt_full": {"seconds": 40.0, "peak_rss_mib": 900.0},
        "dbt_incremental": {"seconds": 4.0, "peak_rss_mib": 500.0},
        "floor": {"seconds": 2.0, "visits": 1},
        "naive": {"events": 100_000, "seconds": 50.0, "events_per_s": 2_000, "parse_s": 20.0},
    }
    figures = build_figures(stages, {"machine": {"dbt-core_version": "1.11"}})
    assert figures["dbt.incremental_vs_full"] == 0.1
    assert figures["dbt.full_vs_floor"] == 20.0
    assert figures["footfall.events_per_s"] == 20_000
    assert figures["footfall.speedup_vs_naive"] == 10.0
    assert figures["naive.extrapolated_s"] == 500.0
    assert figures["enrich.extrapolated_10m_s"] == 100.0
    assert figures["run.target_scale"] == 0.1
    assert (figures["memory.peak_rss_mib"], figures["memory.peak_stage"]) == (900.0, "dbt_full")
    assert figures["machine.dbt_core_version"] == "1.11"


def test_write_reports_keeps_hand_written_notes(tmp_path: Path) -> None:
    figures = build_figures({}, {"machine": {}})
    targets = evaluate_targets(figures)
    markdown, results = write_reports(tmp_path, figures, targets, ["a note"], {}, "cmd", "how")
    markdown.write_text(markdown.read_text() + "\nThe 10M run was too slow here.\n")
    write_reports(tmp_path, figures, targets, ["another note"], {}, "cmd", "how")
    text = markdown.read_text()
    assert text.count(NOTES_MARKER) == 1
    assert "The 10M run was too slow here." in text
    assert "- another note" in text and "- a note" not in text
    assert json.loads(results.read_text())["figures"] == figures

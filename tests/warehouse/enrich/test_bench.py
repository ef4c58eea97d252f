"""The enrichment benchmark runs end to end on a small sample and reports its figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.enrich import run_enrich_bench


@pytest.mark.slow
def test_run_enrich_bench_reports_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOOTFALL_DATA_DIR", str(tmp_path))
    figures = run_enrich_bench(tmp_path, 20_000, sample_rows=5_000)
    assert figures["step"]["rows"] == 20_000
    assert figures["events_per_s"] > 0
    assert 0 < figures["peak_rss_mib"] < 2048
    speedup = figures["distinct_vs_per_row"]
    assert speedup["distinct_user_agents"] < speedup["sample_rows"]
    assert speedup["speedup"] > 1

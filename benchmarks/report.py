"""Turn the stages' results into figures, check them against targets, and write the reports.

Three outputs of one run, all from the same flat figure dict (one key per figure):
- `benchmarks/results.json` (machine-readable: every key of `FIGURE_KEYS`, `null` when a
  stage failed or did not apply, plus the targets and notes);
- `BENCHMARKS.md` (for people: the table, the machine, the method, the notes);
- a rich table on the terminal.

Targets are stated for 10 million events; a run with fewer events scales the per-10M
targets (enrichment and full build seconds) linearly and says so — generous to footfall
at small sizes only in principle, since fixed costs (dbt start-up, tests) dominate there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

TEN_MILLION = 10_000_000  # the size the targets are stated for
NOTES_MARKER = "<!-- hand-written notes below this line are kept when the file is rewritten -->"

# (key, label) in display order; sections are the key prefixes.
FIGURES: list[tuple[str, str]] = [
    ("run.started_at", "started (UTC)"),
    ("run.mode", "mode"),
    ("run.events_requested", "events requested"),
    ("run.events", "events in the full build"),
    ("run.days", "days of traffic"),
    ("run.new_day_events", "events in the added day"),
    ("run.target_scale", "targets scaled by (events / 10M)"),
    ("run.total_s", "whole benchmark, seconds"),
    ("run.load_average_start", "load average (1 min) at start"),
    ("run.load_average_end", "load average (1 min) at end"),
    ("generate.seconds", "synthetic data generation, seconds"),
    ("generate.peak_rss_mib", "generation peak RSS, MiB"),
    ("collector.noop_requests_per_s", "no-op FastAPI POST, requests/s"),
    ("collector.durable_requests_per_s", "durable single-event ingest, requests/s"),
    ("collector.durable_vs_noop", "durable ingest / no-op"),
    ("collector.batch_events_per_s", "batch ingest, events/s"),
    ("collector.half_peak_rate_per_s", "open-loop rate (half of peak), requests/s"),
    ("collector.ack_latency_p50_ms", "ack latency p50 at half peak, ms"),
    ("collector.ack_latency_p99_ms", "ack latency p99 at half peak, ms"),
    ("collector.peak_rss_mib", "collector stage peak RSS, MiB"),
    ("enrich.events", "events enriched"),
    ("enrich.seconds", "enrichment, seconds"),
    ("enrich.events_per_s", "enrichment, events/s end to end"),
    ("enrich.extrapolated_10m_s", "enrichment of 10M (extrapolated), seconds"),
    ("enrich.peak_rss_mib", "enrichment peak RSS, MiB"),
    ("enrich.sample_rows", "UA parse sample, events"),
    ("enrich.sample_distinct_user_agents", "distinct UAs in the sample"),
    ("enrich.per_row_parse_s", "naive per-row UA parse, seconds"),
    ("enrich.distinct_parse_s", "distinct-value UA parse, seconds"),
    ("enrich.speedup_vs_per_row", "UA parse speed-up over per-row"),
    ("enrich.realistic_distinct_user_agents", "distinct UAs, real-world-variety sample"),
    ("enrich.realistic_speedup_vs_per_row", "UA parse speed-up, real-world variety"),
    ("dbt.parse_s", "dbt parse (fresh project), seconds"),
    ("dbt.import_s", "dbt import in the fork server (before the builds), seconds"),
    ("dbt.full_build_s", "dbt full build (models + tests), seconds"),
    ("dbt.full_build_nodes", "dbt full build nodes"),
    ("dbt.full_build_model_s", "  of which models (summed node time), seconds"),
    ("dbt.full_build_test_s", "  of which tests (summed node time), seconds"),
    ("dbt.full_build_peak_rss_mib", "dbt full build peak RSS, MiB"),
    ("dbt.new_day_enrich_s", "enrichment of the added day, seconds"),
    ("dbt.incremental_build_s", "dbt incremental build (one new day), seconds"),
    ("dbt.incremental_vs_full", "incremental / full build"),
    ("dbt.incremental_peak_rss_mib", "dbt incremental peak RSS, MiB"),
    ("dbt.floor_s", "bare DuckDB sessionization query, seconds"),
    ("dbt.floor_visits", "visits counted by the bare query"),
    ("dbt.full_vs_floor", "full build / bare query"),
    ("dbt.floor_peak_rss_mib", "bare query peak RSS, MiB"),
    ("publish.seconds", "publish snapshot, seconds"),
    ("publish.snapshot_mib", "snapshot size, MiB"),
    ("publish.sessions_rows", "rows in the sessions mart"),
    ("publish.peak_rss_mib", "publish peak RSS, MiB"),
    ("api.dashboard_metrics_p50_ms", "API dashboard metrics p50, ms"),
    ("api.dashboard_metrics_p95_ms", "API dashboard metrics p95, ms"),
    ("api.dashboard_metrics_p99_ms", "API dashboard metrics p99, ms"),
    ("api.breakdown_channel_p50_ms", "API channel breakdown p50, ms"),
    ("api.breakdown_channel_p95_ms", "API channel breakdown p95, ms"),
    ("api.breakdown_channel_p99_ms", "API channel breakdown p99, ms"),
    ("api.funnel_p50_ms", "API funnel p50, ms"),
    ("api.funnel_p95_ms", "API funnel p95, ms"),
    ("api.funnel_p99_ms", "API funnel p99, ms"),
    ("api.uncached_dashboard_metrics_p99_ms", "API dashboard metrics p99 uncached, ms"),
    ("api.uncached_breakdown_channel_p99_ms", "API channel breakdown p99 uncached, ms"),
    ("api.uncached_funnel_p99_ms", "API funnel p99 uncached, ms"),
    ("api.concurrency", "API clients for throughput"),
    ("api.requests_per_s", "API requests/s (cached)"),
    ("api.uncached_requests_per_s", "API requests/s (uncached)"),
    ("api.loaded_dashboard_metrics_p99_ms", "API dashboard p99 at that load, ms"),
    ("api.errors", "API errors (quiet)"),
    ("api.publish_load_s", "load while publishing, seconds"),
    ("api.publishes_during_load", "snapshot swaps during that load"),
    ("api.errors_during_publish", "API errors during publishes"),
    ("api.dashboard_metrics_p99_ms_during_publish", "API dashboard p99 during publishes, ms"),
    ("api.server_peak_rss_mib", "API server peak RSS, MiB"),
    ("api.peak_rss_mib", "API stage peak RSS, MiB"),
    ("naive.sample_events", "naive upsert sample, events"),
    ("naive.seconds", "naive per-event upsert, seconds"),
    ("naive.events_per_s", "naive per-event upsert, events/s"),
    ("naive.parse_share", "  share spent parsing UA + GeoIP"),
    ("naive.extrapolated_s", "naive path for all events (extrapolated), seconds"),
    ("naive.peak_rss_mib", "naive baseline peak RSS, MiB"),
    ("footfall.events_per_s", "footfall enrich + full build, events/s"),
    ("footfall.speedup_vs_naive", "footfall speed-up over naive upserts"),
    ("memory.peak_rss_mib", "largest peak RSS of any stage, MiB"),
    ("memory.peak_stage", "stage with the largest peak RSS"),
]
MACHINE_KEYS = [
    "machine.cpu_model",
    "machine.cpu_cores",
    "machine.ram_gib",
    "machine.os",
    "machine.python",
    "machine.duckdb_version",
    "machine.dbt_core_version",
    "machine.dbt_duckdb_version",
    "machine.polars_version",
    "machine.pyarrow_version",
    "machine.fastapi_version",
    "machine.uvicorn_version",
]
FIGURE_KEYS = [key for key, _ in FIGURES] + MACHINE_KEYS
LABELS = dict(FIGURES)


@dataclass(frozen=True)
class Target:
    """One goal: a figure, a comparison and a threshold (scaled for per-10M goals)."""

    name: str
    key: str
    op: str  # ">=", "<=", "<", "=="
    threshold: float
    per_10m: bool = False
    describe: str = ""

    def limit(self, scale: float) -> float:
        return self.threshold * scale if self.per_10m else self.threshold


TARGETS = [
    Target("durable ingest ≥ 0.7× no-op", "collector.durable_vs_noop", ">=", 0.7),
    Target("batch ingest ≥ 50k events/s", "collector.batch_events_per_s", ">=", 50_000),
    Target("enrichment of 10M ≤ 30 s", "enrich.seconds", "<=", 30.0, per_10m=True),
    Target("full dbt build of 10M ≤ 60 s", "dbt.full_build_s", "<=", 60.0, per_10m=True),
    Target("incremental ≤ 15 % of full", "dbt.incremental_vs_full", "<=", 0.15),
    Target("API dashboard p99 < 10 ms", "api.dashboard_metrics_p99_ms", "<", 10.0),
    Target("peak RSS < 4 GiB", "memory.peak_rss_mib", "<", 4096.0),
    Target("0 errors during publish", "api.errors_during_publish", "==", 0.0),
]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda value, limit: value >= limit,
    "<=": lambda value, limit: value <= limit,
    "<": lambda value, limit: value < limit,
    "==": lambda value, limit: value == limit,
}


def _ratio(numerator: Any, denominator: Any, digits: int = 3) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def _get(mapping: dict | None, *keys: str) -> Any:
    value: Any = mapping
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def build_figures(stages: dict[str, dict | None], run: dict[str, Any]) -> dict[str, Any]:
    """The flat figure dict (every key of FIGURE_KEYS) from the stages' raw results."""
    gen, col, enr, spd = (stages.get(n) for n in ("generate", "collector", "enrich", "speedup"))
    realistic = stages.get("speedup_realistic")
    parse, full, new_enrich = (stages.get(n) for n in ("dbt_parse", "dbt_full", "enrich_new_day"))
    incr, floor, pub, api, naive = (
        stages.get(n) for n in ("dbt_incremental", "floor", "publish", "api", "naive")
    )
    events = _get(enr, "events")
    single, loaded = _get(api, "single_client"), _get(api, "loaded")
    busy = _get(api, "during_publish")
    figures: dict[str, Any] = {
        "run.started_at": run.get("started_at"),
        "run.mode": run.get("mode"),
        "run.events_requested": run.get("events_requested"),
        "run.events": events,
        "run.days": run.get("days"),
        "run.new_day_events": _get(new_enrich, "events"),
        "run.target_scale": round(events / TEN_MILLION, 4) if events else None,
        "run.total_s": run.get("total_s"),
        "run.load_average_start": run.get("load_average_start"),
        "run.load_average_end": run.get("load_average_end"),
        "generate.seconds": _get(gen, "generate_s"),
        "generate.peak_rss_mib": _get(gen, "peak_rss_mib"),
        "enrich.events": events,
        "enrich.seconds": _get(enr, "seconds"),
        "enrich.events_per_s": _get(enr, "events_per_s"),
        "enrich.extrapolated_10m_s": (
            round(TEN_MILLION / enr["events_per_s"], 1) if _get(enr, "events_per_s") else None
        ),
        "enrich.peak_rss_mib": _get(enr, "peak_rss_mib"),
        "enrich.sample_rows": _get(spd, "sample_rows"),
        "enrich.sample_distinct_user_agents": _get(spd, "distinct_user_agents"),
        "enrich.per_row_parse_s": _get(spd, "per_row_s"),
        "enrich.distinct_parse_s": _get(spd, "distinct_s"),
        "enrich.speedup_vs_per_row": _get(spd, "speedup"),
        "enrich.realistic_distinct_user_agents": _get(realistic, "distinct_user_agents"),
        "enrich.realistic_speedup_vs_per_row": _get(realistic, "speedup"),
        "dbt.parse_s": _get(parse, "seconds"),
        "dbt.import_s": _get(full, "dbt_import_s"),
        "dbt.full_build_s": _get(full, "seconds"),
        "dbt.full_build_nodes": _get(full, "nodes"),
        "dbt.full_build_model_s": _get(full, "model_s"),
        "dbt.full_build_test_s": _get(full, "test_s"),
        "dbt.full_build_peak_rss_mib": _get(full, "peak_rss_mib"),
        "dbt.new_day_enrich_s": _get(new_enrich, "seconds"),
        "dbt.incremental_build_s": _get(incr, "seconds"),
        "dbt.incremental_vs_full": _ratio(_get(incr, "seconds"), _get(full, "seconds")),
        "dbt.incremental_peak_rss_mib": _get(incr, "peak_rss_mib"),
        "dbt.floor_s": _get(floor, "seconds"),
        "dbt.floor_visits": _get(floor, "visits"),
        "dbt.full_vs_floor": _ratio(_get(full, "seconds"), _get(floor, "seconds"), 1),
        "dbt.floor_peak_rss_mib": _get(floor, "peak_rss_mib"),
        "publish.seconds": _get(pub, "seconds"),
        "publish.snapshot_mib": (
            round(pub["bytes"] / 2**20, 2) if _get(pub, "bytes") is not None else None
        ),
        "publish.sessions_rows": _get(pub, "sessions_rows"),
        "publish.peak_rss_mib": _get(pub, "peak_rss_mib"),
        "api.uncached_dashboard_metrics_p99_ms": _get(
            single, "uncached", "dashboard_metrics", "p99_ms"
        ),
        "api.uncached_breakdown_channel_p99_ms": _get(
            single, "uncached", "breakdown_channel", "p99_ms"
        ),
        "api.uncached_funnel_p99_ms": _get(single, "uncached", "funnel", "p99_ms"),
        "api.concurrency": _get(loaded, "concurrency"),
        "api.requests_per_s": _get(loaded, "cached", "requests_per_s"),
        "api.uncached_requests_per_s": _get(loaded, "uncached", "requests_per_s"),
        "api.loaded_dashboard_metrics_p99_ms": _get(
            loaded, "cached", "dashboard_metrics", "p99_ms"
        ),
        "api.errors": (
            _get(single, "errors") + _get(loaded, "errors")
            if single is not None and loaded is not None
            else None
        ),
        "api.publish_load_s": _get(api, "busy_seconds"),
        "api.publishes_during_load": _get(api, "publishes_during_load"),
        "api.errors_during_publish": _get(busy, "errors"),
        "api.dashboard_metrics_p99_ms_during_publish": _max_p99(busy, "dashboard_metrics"),
        "api.server_peak_rss_mib": _get(api, "server_peak_rss_mib"),
        "api.peak_rss_mib": _get(api, "peak_rss_mib"),
        "naive.sample_events": _get(naive, "events"),
        "naive.seconds": _get(naive, "seconds"),
        "naive.events_per_s": _get(naive, "events_per_s"),
        "naive.parse_share": _ratio(_get(naive, "parse_s"), _get(naive, "seconds"), 2),
        "naive.peak_rss_mib": _get(naive, "peak_rss_mib"),
    }
    for endpoint in ("dashboard_metrics", "breakdown_channel", "funnel"):
        for cut in ("p50", "p95", "p99"):
            figures[f"api.{endpoint}_{cut}_ms"] = _get(single, "cached", endpoint, f"{cut}_ms")
    for key in (
        "noop_requests_per_s", "durable_requests_per_s", "durable_vs_noop",
        "batch_events_per_s", "half_peak_rate_per_s", "ack_latency_p50_ms",
        "ack_latency_p99_ms", "peak_rss_mib",
    ):  # fmt: skip
        figures[f"collector.{key}"] = _get(col, key)
    naive_rate = _get(naive, "events_per_s")
    figures["naive.extrapolated_s"] = (
        round(events / naive_rate, 1) if events and naive_rate else None
    )
    footfall_s = (_get(enr, "seconds") or 0) + (_get(full, "seconds") or 0)
    footfall_rate = round(events / footfall_s) if events and enr and full and footfall_s else None
    figures["footfall.events_per_s"] = footfall_rate
    figures["footfall.speedup_vs_naive"] = _ratio(footfall_rate, naive_rate, 1)
    peaks = {
        name: result["peak_rss_mib"]
        for name, result in stages.items()
        if isinstance(result, dict) and result.get("peak_rss_mib") is not None
    }
    if _get(api, "server_peak_rss_mib") is not None:
        peaks["api server"] = api["server_peak_rss_mib"]
    figures["memory.peak_rss_mib"] = max(peaks.values()) if peaks else None
    figures["memory.peak_stage"] = max(peaks, key=peaks.__getitem__) if peaks else None
    for key, value in run.get("machine", {}).items():
        figures[f"machine.{key.replace('-', '_')}"] = value
    return {key: figures.get(key) for key in FIGURE_KEYS}


def _max_p99(result: dict | None, endpoint: str) -> float | None:
    values = [_get(result, phase, endpoint, "p99_ms") for phase in ("cached", "uncached")]
    values = [value for value in values if value is not None]
    return max(values) if values else None


def evaluate_targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its (scaled) limit, the measured value and met / missed / n/a."""
    scale = figures.get("run.target_scale") or 1.0
    rows = []
    for target in TARGETS:
        value = figures.get(target.key)
        limit = target.limit(scale)
        if value is None:
            status = "n/a"
        elif target.key == "api.errors_during_publish" and not figures.get(
            "api.publishes_during_load"
        ):
            status = "n/a"  # no publish happened during the load: nothing was tested
        else:
            status = "met" if _COMPARE[target.op](float(value), limit) else "missed"
        rows.append(
            {
                "name": target.name,
                "key": target.key,
                "op": target.op,
                "limit": round(limit, 3),
                "scaled": target.per_10m and scale != 1.0,
                "value": value,
                "status": status,
            }
        )
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:,.1f}"
        return f"{value:.3g}" if abs(value) < 0.1 else f"{value:.2f}"
    return str(value)


def _target_for(key: str, targets: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((row for row in targets if row["key"] == key), None)


def _target_text(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    scaled = " (scaled)" if row["scaled"] else ""
    return f"{row['op']} {_fmt(row['limit'])}{scaled}"


def rich_table(figures: dict[str, Any], targets: list[dict[str, Any]]) -> Table:
    """The terminal table: every figure, with its target and status where it has one."""
    table = Table(title="footfall bench", show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target")
    table.add_column("status")
    colours = {"met": "green", "missed": "red", "n/a": "yellow"}
    section = None
    for key, label in FIGURES:
        prefix = key.split(".", 1)[0]
        if prefix != section:
            section = prefix
            table.add_row(f"[bold]{prefix}[/bold]", "", "", "")
        row = _target_for(key, targets)
        status = f"[{colours[row['status']]}]{row['status']}[/]" if row else ""
        table.add_row(f"  {label}", _fmt(figures.get(key)), _target_text(row), status)
    return table


def _kept_notes(path: Path) -> str:
    """The hand-written notes after NOTES_MARKER in an existing report, if any."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    _, marker, notes = text.partition(NOTES_MARKER)
    return notes.strip() if marker else ""


def render_markdown(
    figures: dict[str, Any],
    targets: list[dict[str, Any]],
    notes: list[str],
    command: str,
    method: str,
    kept_notes: str = "",
) -> str:
    """BENCHMARKS.md: summary, targets, every figure, the machine, method and notes."""
    lines = [
        "# footfall benchmarks",
        "",
        f"Written by `{command}` on {figures.get('run.started_at') or '—'}; regenerate with "
        "`make bench` (10M events) or `footfall bench --quick` (1M). The machine-readable "
        "figures are in `benchmarks/results.json` (one key per figure).",
        "",
        "## Targets",
        "",
        "| target | measured | limit | status |",
        "|---|---:|---|---|",
    ]
    for row in targets:
        lines.append(
            f"| {row['name']} | {_fmt(row['value'])} | {_target_text(row)} | **{row['status']}** |"
        )
    lines += ["", "## Run notes", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", "## Figures", "", "| figure | value | key |", "|---|---:|---|"]
    for key, label in FIGURES:
        lines.append(f"| {label.strip()} | {_fmt(figures.get(key))} | `{key}` |")
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    for key in MACHINE_KEYS:
        lines.append(f"| {key.removeprefix('machine.')} | {_fmt(figures.get(key))} |")
    lines += ["", "## Method", "", method.strip(), "", "## Notes", "", NOTES_MARKER, ""]
    if kept_notes:
        lines += [kept_notes, ""]
    return "\n".join(lines)


def write_reports(
    output_dir: Path,
    figures: dict[str, Any],
    targets: list[dict[str, Any]],
    notes: list[str],
    stages: dict[str, Any],
    command: str,
    method: str,
) -> tuple[Path, Path]:
    """Write `output_dir/BENCHMARKS.md` and `output_dir/benchmarks/results.json`."""
    markdown_path = output_dir / "BENCHMARKS.md"
    json_path = output_dir / "benchmarks" / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "figures": figures,
        "targets": targets,
        "notes": notes,
        "command": command,
        "stages": stages,
    }
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    markdown = render_markdown(figures, targets, notes, command, method, _kept_notes(markdown_path))
    markdown_path.write_text(markdown, encoding="utf-8")
    return markdown_path, json_path

"""Property test: the dbt marts agree with the independent reference on random traffic.

Each example draws a few small "worlds" of traffic (see strategies.py), lands them as lake
Parquet, builds every model from the compiled SQL (see replay.py) and compares sessions,
daily_metrics, funnel_daily, daily_breakdowns, retention, customers, orders and products
with tests/models/reference.py row by row. The default run tries a modest number of
examples; the `slow` variant many more (FOOTFALL_MODEL_EXAMPLES, default 300; `make test`
runs it at a CI size).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.models.compare import diff_rows, fetch_rows
from tests.models.reference import Config, build_marts
from tests.models.replay import CompiledProject
from tests.models.strategies import TIMEZONES, traffic
from warehouse.dbt_runner import PROJECT_DIR

MART_KEYS: dict[str, tuple[str, ...]] = {
    "sessions": ("visit_id",),
    "daily_metrics": ("metric_date",),
    "funnel_daily": ("funnel_date", "dimension", "dimension_value", "step_number"),
    "daily_breakdowns": ("breakdown_date", "dimension", "dimension_value"),
    "retention_weekly": ("cohort_week", "week_offset"),
    "customer_retention_monthly": ("cohort_month", "month_offset"),
    "orders": ("order_id",),
    "customers": ("customer_id",),
    "products": ("product_id",),
}


def check_against_reference(
    compiled_project: CompiledProject,
    data: tuple[list[dict], list[dict], list[dict]],
    timezone: str,
) -> None:
    events, orders, customers = data
    connection = compiled_project.replay(events, orders, customers, timezone)
    expected = build_marts(
        events, orders, customers, Config.from_seeds(PROJECT_DIR / "seeds", timezone=timezone)
    )
    problems: list[str] = []
    for table, key in MART_KEYS.items():
        problems += diff_rows(table, fetch_rows(connection, table), getattr(expected, table), key)
    assert not problems, "\n".join(problems[:40])


EXAMPLE_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=25, **EXAMPLE_SETTINGS)
@given(data=traffic(), timezone=st.sampled_from(TIMEZONES))
def test_build_marts_matching_reference(
    compiled_project: CompiledProject,
    data: tuple[list[dict], list[dict], list[dict]],
    timezone: str,
) -> None:
    check_against_reference(compiled_project, data, timezone)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("FOOTFALL_MODEL_EXAMPLES", "300")), **EXAMPLE_SETTINGS)
@given(data=traffic(max_worlds=6), timezone=st.sampled_from(TIMEZONES))
def test_build_marts_matching_reference_many_examples(
    compiled_project: CompiledProject,
    data: tuple[list[dict], list[dict], list[dict]],
    timezone: str,
) -> None:
    check_against_reference(compiled_project, data, timezone)

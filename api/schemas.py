"""Response models: camelCase JSON (the brief's dashboard names), snake_case in Python."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# -- errors ---------------------------------------------------------------------------------


class ParameterProblem(CamelModel):
    parameter: str = Field(description="The query or path parameter at fault.")
    message: str


class ErrorBody(CamelModel):
    error: str = Field(description="Machine-readable code, e.g. invalid_parameter.")
    message: str = Field(description="What went wrong, for people.")
    problems: list[ParameterProblem] | None = None


# -- snapshot facts shared by data responses ------------------------------------------------


class SnapshotFacts(CamelModel):
    snapshot_id: str = Field(description="The published snapshot the numbers come from.")
    data_as_of: datetime | None = Field(description="Newest arrival time in the data (UTC).")


# -- daily metrics --------------------------------------------------------------------------


class DayMetrics(CamelModel):
    """The mart metrics of one day or one period (DESIGN "Semantics")."""

    total_visits: int = 0
    unique_visits: int = 0
    existing_users: int = 0
    new_users: int = 0
    conversion_rate: float = 0.0
    cart_rate: float = 0.0
    checkout_rate: float = 0.0
    purchase_rate: float = 0.0
    total_sales: float = 0.0
    total_orders: int = 0
    average_order_value: float = 0.0
    sales_goal: float = 0.0
    sales_goal_progress: float = 0.0
    total_page_views: int = 0
    avg_page_views_per_session: float = 0.0
    avg_session_duration: float = Field(0.0, description="Mean visit duration in seconds.")
    bounce_rate: float = 0.0
    engagement_rate: float = 0.0
    new_customers: int = 0
    pending_orders: int = 0
    processing_orders: int = 0
    shipped_orders: int = 0
    delivered_orders: int = 0
    canceled_orders: int = 0
    bot_events: int = Field(0, description="Bot events excluded from every metric.")


class DashboardMetrics(DayMetrics, SnapshotFacts):
    """The brief's dashboard object for one day, plus realtime and freshness."""

    date: date
    currency: str | None = Field(None, description="Currency of the sales figures.")
    active_users_last30_min: int = Field(
        0, alias="activeUsersLast30Min", description="Distinct human visitors, last 30 minutes."
    )
    users_per_minute: float = Field(0.0, description="Mean distinct visitors per minute (30 min).")


class DailyPoint(DayMetrics):
    date: date


class DailySeries(SnapshotFacts):
    start: date
    end: date
    previous_start: date
    previous_end: date
    currency: str | None = None
    days: list[DailyPoint] = Field(description="Every day of start..end, oldest first.")
    previous_days: list[DailyPoint] = Field(description="Every day of the previous period.")
    totals: DayMetrics
    previous_totals: DayMetrics
    change: dict[str, float | None] = Field(
        description="Percent change of each total vs the previous period (null if it was 0)."
    )


# -- funnel ---------------------------------------------------------------------------------


class FunnelStep(CamelModel):
    step: str
    label: str
    visits: int
    conversion_from_previous: float = Field(description="Percent of the previous step's visits.")
    conversion_from_start: float = Field(description="Percent of all visits.")


class FunnelGroup(CamelModel):
    value: str
    steps: list[FunnelStep]


class Funnel(SnapshotFacts):
    start: date
    end: date
    by: str | None = None
    steps: list[FunnelStep]
    groups: list[FunnelGroup] | None = None


# -- retention ------------------------------------------------------------------------------


class CohortPeriod(CamelModel):
    offset: int = Field(description="Weeks (or months) since the cohort's start.")
    count: int
    rate: float = Field(description="Percent of the cohort active in that period.")


class Cohort(CamelModel):
    cohort_start: date
    size: int
    periods: list[CohortPeriod]


class Retention(SnapshotFacts):
    weekly: list[Cohort] = Field(description="Visitor cohorts by week of first visit.")
    monthly: list[Cohort] = Field(description="Customer cohorts by month of first order.")


# -- breakdowns -----------------------------------------------------------------------------


class BreakdownRow(CamelModel):
    value: str
    visits: int
    visitors: int
    page_views: int
    bounce_rate: float
    conversion_rate: float
    orders: int = 0
    sales: float = 0.0
    share: float = Field(description="Percent of the period's visits.")


class Breakdown(SnapshotFacts):
    dimension: str
    start: date
    end: date
    total_visits: int
    rows: list[BreakdownRow]


# -- products and orders --------------------------------------------------------------------


class ProductRow(CamelModel):
    product_id: str
    name: str | None = None
    views: int
    add_to_carts: int
    units_sold: int
    revenue: float
    view_to_cart_rate: float = Field(description="All-time share of viewing visits that carted.")
    cart_to_purchase_rate: float = Field(
        description="All-time share of carting visits that bought the product."
    )


class TopProducts(SnapshotFacts):
    start: date
    end: date
    sort: str
    products: list[ProductRow]


class OrderStatusRow(CamelModel):
    status: str
    orders: int
    share: float


class OrdersByStatus(SnapshotFacts):
    start: date
    end: date
    total: int
    statuses: list[OrderStatusRow]


# -- realtime, runs, health -----------------------------------------------------------------


class MinuteCount(CamelModel):
    minute: datetime
    visitors: int


class Realtime(CamelModel):
    as_of: datetime
    active_users_last30_min: int = Field(alias="activeUsersLast30Min")
    users_per_minute: float
    per_minute: list[MinuteCount] = Field(description="Oldest minute first; 30 entries.")
    newest_event_at: datetime | None = None


class PipelineRun(CamelModel):
    run_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str | None = None
    full_refresh: bool | None = None
    snapshot_id: str | None = None
    new_raw_files: int | None = None
    new_events: int | None = None
    visits: int | None = None
    seconds: float | None = None
    steps: dict[str, float] | None = Field(None, description="Seconds spent in each step.")
    error: str | None = None


class Runs(SnapshotFacts):
    today: date = Field(description="Today in the reporting time zone (what 'today' means).")
    reporting_timezone: str
    published_at: datetime | None
    snapshot_age_seconds: float | None
    last_success_at: datetime | None
    runs: list[PipelineRun] = Field(description="Newest first.")


class Health(CamelModel):
    status: str = Field(description="ok, or no_snapshot before the first publish.")
    message: str
    snapshot_id: str | None = None
    published_at: datetime | None = None
    snapshot_age_seconds: float | None = None
    data_as_of: datetime | None = None

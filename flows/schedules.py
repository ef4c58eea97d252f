"""The deployments `footfall serve` runs: when each flow fires, with which parameters.

- `pipeline/every-interval`: the incremental pipeline every `pipeline_interval_minutes`
  (default 15), anchored at midnight of the reporting time zone, so runs fall on the
  quarter hours;
- the same deployment's `nightly-full-check` schedule: a full refresh at
  `full_check_cron` (default 03:30), which also re-derives anything a privacy job removed;
- `retention/weekly`: the retention flow at `retention_cron` (default Sunday 04:00).

Cron times are in `FOOTFALL_REPORTING_TZ`. Deployments point at the flows by module path,
so any process with footfall installed (a served runner, a work-pool worker) can run them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.pipeline import pipeline
from flows.retention import retention
from warehouse.settings import Settings, get_settings

TAGS = ["footfall"]
# A scheduled run waits this long for another writer (e.g. `footfall run`) before failing.
PIPELINE_WAIT_SECONDS = 120.0
FULL_CHECK_WAIT_SECONDS = 1800.0
RETENTION_WAIT_SECONDS = 1800.0


def _cron(variable: str, expression: str, tz: str, **options: object) -> Cron:
    """A cron schedule; a bad expression raises ValueError naming the setting."""
    try:
        return Cron(expression, timezone=tz, **options)
    except ValueError as exc:
        raise ValueError(f"FOOTFALL_{variable.upper()}: {exc}") from None


def pipeline_deployment(settings: Settings) -> RunnerDeployment:
    """The pipeline: incremental on an interval, plus the nightly full check."""
    tz = settings.reporting_tz
    every = timedelta(minutes=settings.pipeline_interval_minutes)
    midnight = datetime(2026, 1, 1, tzinfo=ZoneInfo(tz))
    return pipeline.to_deployment(
        name="scheduled",
        description="Land, enrich, build and publish; nightly with a full refresh.",
        schedules=[
            Interval(
                every,
                anchor_date=midnight,
                timezone=tz,
                slug="every-interval",
                parameters={"wait_seconds": PIPELINE_WAIT_SECONDS},
            ),
            _cron(
                "full_check_cron",
                settings.full_check_cron,
                tz,
                slug="nightly-full-check",
                parameters={"full_refresh": True, "wait_seconds": FULL_CHECK_WAIT_SECONDS},
            ),
        ],
        paused=False,
        tags=TAGS,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def retention_deployment(settings: Settings) -> RunnerDeployment:
    """Retention of anonymous data, weekly."""
    return retention.to_deployment(
        name="weekly",
        description="Delete anonymous visitors' events older than FOOTFALL_RETENTION_DAYS.",
        schedules=[
            _cron(
                "retention_cron",
                settings.retention_cron,
                settings.reporting_tz,
                slug="weekly",
                parameters={"wait_seconds": RETENTION_WAIT_SECONDS},
            )
        ],
        paused=False,
        tags=TAGS,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def deployments(settings: Settings | None = None) -> list[RunnerDeployment]:
    """Every scheduled deployment of footfall."""
    settings = settings or get_settings()
    return [pipeline_deployment(settings), retention_deployment(settings)]

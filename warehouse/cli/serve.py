"""`footfall serve`: run the schedules (pipeline every 15 min, nightly full check, weekly
retention) until stopped.

Uses the Prefect server named by PREFECT_API_URL (or the active Prefect profile) if
there is one; otherwise starts and owns a local `prefect server` (SQLite under
`$DATA/prefect`), stopping it again on Ctrl-C or SIGTERM. With `--work-pool` it only
registers the deployments with an existing server's work pool and exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator

import typer
from rich.console import Console

from warehouse.paths import data_paths
from warehouse.prefect_setup import STARTUP_TIMEOUT_SECONDS, configure_prefect

EXIT_FAILED = 1
EXIT_USAGE = 2
console = Console(stderr=True)


class _Stopped(Exception):
    """SIGTERM arrived before the runner took over signal handling."""


def _raise_stopped(*_: object) -> None:
    raise _Stopped


@contextlib.contextmanager
def _api(paths, port: int, ui: bool, startup_timeout: float) -> Iterator[tuple[str, bool]]:
    """The API URL to use and whether footfall owns (started) that server."""
    from prefect.settings import get_current_settings

    configured = get_current_settings().api.url
    if configured:
        yield str(configured), False
        return
    from flows.prefect_server import local_prefect_server

    console.print(f"starting a local Prefect server (SQLite under {paths.root / 'prefect'}) …")
    with local_prefect_server(paths, port=port, ui=ui, startup_timeout=startup_timeout) as api_url:
        yield api_url, True


def serve(
    port: int = typer.Option(
        0, "--port", min=0, max=65535, help="Port of the local Prefect server (0: a free one)."
    ),
    ui: bool = typer.Option(True, "--ui/--no-ui", help="Serve Prefect's UI (run history)."),
    startup_timeout: float = typer.Option(
        float(STARTUP_TIMEOUT_SECONDS),
        "--startup-timeout",
        min=1,
        help="Seconds to wait for the local Prefect server.",
    ),
    work_pool: str | None = typer.Option(
        None,
        "--work-pool",
        help="Register the deployments with this work pool of the server at PREFECT_API_URL "
        "and exit (its workers run them) instead of serving them here.",
    ),
) -> None:
    """Run footfall's schedules until Ctrl-C / SIGTERM: the pipeline every
    FOOTFALL_PIPELINE_INTERVAL_MINUTES, a nightly full refresh (FOOTFALL_FULL_CHECK_CRON)
    and weekly retention (FOOTFALL_RETENTION_CRON), times in FOOTFALL_REPORTING_TZ.

    Uses PREFECT_API_URL when set, else starts a local Prefect server and stops it on exit.
    Exit 0 after a clean stop, 1 if the server or deployments fail, 2 on bad settings.
    """
    paths = data_paths()
    configure_prefect(paths, PREFECT_LOGGING_LEVEL="INFO")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call otherwise
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.prefect_server import PrefectServerError
        from flows.schedules import deployments

        try:
            planned = deployments()
        except ValueError as exc:
            console.print(f"footfall serve: invalid schedule: {exc}", style="red", markup=False)
            sys.exit(EXIT_USAGE)
        if work_pool:
            sys.exit(_register(planned, work_pool))
        with _api(paths, port, ui, startup_timeout) as (api_url, owned):
            os.environ["PREFECT_API_URL"] = api_url  # flow-run subprocesses inherit it
            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                _describe(planned, api_url, owned)
                from prefect import serve as prefect_serve

                # One run at a time: runs share one writer lock anyway, so queue, not fail.
                prefect_serve(*planned, limit=1, print_starting_message=False)
        console.print("footfall serve: stopped")
    except _Stopped:
        console.print("footfall serve: stopped by SIGTERM")
    except KeyboardInterrupt:
        console.print("footfall serve: stopped")
    except PrefectServerError as exc:
        console.print(f"[red]footfall serve: {exc}[/red]")
        sys.exit(EXIT_FAILED)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _describe(planned: list, api_url: str, owned: bool) -> None:
    owner = "local (owned by this process)" if owned else "existing"
    console.print(f"Prefect API: {api_url} [{owner}]")
    if owned:
        console.print(f"UI / run history: {api_url.removesuffix('/api')}")
    for deployment in planned:
        for schedule in deployment.schedules:
            console.print(
                f"  {deployment.flow_name}/{deployment.name} ({schedule.slug}): "
                f"{_when(schedule.schedule)} {schedule.parameters or ''}",
                markup=False,
            )
    console.print("serving; Ctrl-C or SIGTERM stops (a running flow is cancelled, safe to re-run)")


def _when(schedule: object) -> str:
    interval = getattr(schedule, "interval", None)
    if interval is not None:
        return f"every {interval.total_seconds() / 60:g} min"
    return f"cron '{getattr(schedule, 'cron', '?')}' ({getattr(schedule, 'timezone', 'UTC')})"


def _register(planned: list, work_pool: str) -> int:
    """Apply the deployments to `work_pool` on the configured server; returns an exit code."""
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        console.print("[red]--work-pool needs PREFECT_API_URL (an existing Prefect server)[/red]")
        return EXIT_USAGE
    try:
        for deployment in planned:
            deployment_id = deployment.apply(work_pool_name=work_pool)
            console.print(f"registered {deployment.flow_name}/{deployment.name}: {deployment_id}")
    except Exception as exc:  # the server's answer (unknown pool, unreachable server)
        console.print(f"[red]footfall serve: cannot register with {work_pool!r}: {exc}[/red]")
        return EXIT_FAILED
    console.print(f"start workers with: prefect worker start --pool {work_pool}")
    return 0


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

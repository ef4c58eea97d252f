"""`footfall generate`: synthetic shop traffic, into the lake or replayed to a collector."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from warehouse.paths import RAW_DATASETS, DataPaths, data_paths
from warehouse.settings import get_settings

if TYPE_CHECKING:  # the generator (numpy, pyarrow) loads only when the command runs
    from warehouse.synthetic.traffic import DayStats

GENERATE_HELP = (
    "Generate realistic shop traffic: returning and new visitors on many devices and "
    "networks, bots, funnels, orders with status changes, guest and registered customers."
    "\n\n"
    "By default the rows are written straight into the raw lake under FOOTFALL_DATA_DIR, in "
    "the collector's exact format (Parquet, partitioned by the UTC date of received_at). "
    "With --replay-url they are sent to a running collector over HTTP instead."
)
EXIT_BAD_INPUT = 2
EXIT_LAKE_NOT_EMPTY = 1
EXIT_REPLAY_ERRORS = 1


def generate(
    days: int = typer.Option(
        30, min=1, max=3660, help="Number of days of traffic, ending at --end-date."
    ),
    visitors_per_day: int = typer.Option(
        2000,
        min=1,
        max=10_000_000,
        help="Human visitors per day (before weekday swings); ~6 events each, plus bots. "
        "About 57000 gives ~10M events over 30 days.",
    ),
    seed: int = typer.Option(
        42, min=0, help="Random seed: the same seed and options give the same rows."
    ),
    end_date: datetime | None = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        help="Last day (UTC, YYYY-MM-DD) of the traffic; default today, generated up to now. "
        "Must not be in the future.",
    ),
    append: bool = typer.Option(
        False,
        "--append",
        help="Write even if the raw lake already holds files (otherwise refuse, so a second "
        "run does not silently double the traffic).",
    ),
    replay_url: str | None = typer.Option(
        None,
        help="Instead of writing the lake, send the traffic over HTTP to the collector at this "
        "base URL (e.g. http://127.0.0.1:8001). Replay covers at most the last 7 days, "
        "ending now, and ignores --end-date.",
    ),
    ingest_token: str | None = typer.Option(
        None,
        help="Bearer token for /api/v1/orders and /customers during replay "
        "(default: the first FOOTFALL_INGEST_TOKEN).",
    ),
    concurrency: int = typer.Option(
        8, min=1, max=256, help="Replay: most requests in flight at once."
    ),
    batch_size: int = typer.Option(
        50, min=1, max=500, help="Replay: most events in one track request."
    ),
) -> None:
    """Generate realistic shop traffic (see GENERATE_HELP)."""
    console = Console(stderr=True)
    if replay_url is not None:
        _replay(
            console, replay_url, days, visitors_per_day, seed, ingest_token, concurrency, batch_size
        )
        return
    paths = data_paths()
    from warehouse.lake import lake_files  # here: pyarrow loads slowly

    existing = sum(len(lake_files(paths.raw(name))) for name in RAW_DATASETS)
    if existing and not append:
        console.print(
            f"footfall generate: the raw lake at {paths.lake / 'raw'} already holds {existing} "
            "files; generating again would add a second copy of the traffic. Use --append to "
            "add it anyway, or set FOOTFALL_DATA_DIR to an empty directory."
        )
        raise typer.Exit(EXIT_LAKE_NOT_EMPTY)
    _write_lake(console, paths, days, visitors_per_day, seed, end_date)


def _write_lake(
    console: Console,
    paths: DataPaths,
    days: int,
    visitors_per_day: int,
    seed: int,
    end_date: datetime | None,
) -> None:
    from warehouse.synthetic import generate_lake

    _keep_freed_memory()

    console.print(
        f"generating {days} day(s) x ~{visitors_per_day} visitors/day (seed {seed}) "
        f"into {paths.lake / 'raw'}"
    )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("days", total=days, events=0)
        landed = 0

        def progress(stats: DayStats, done: int, total: int) -> None:
            nonlocal landed
            landed += stats.events
            bar.update(
                task,
                completed=done,
                total=total,
                events=landed,
                description=f"{stats.day.isoformat()}",
            )

        try:
            summary = generate_lake(
                paths,
                days=days,
                visitors_per_day=visitors_per_day,
                seed=seed,
                end_date=end_date.date() if end_date else None,
                progress=progress,
            )
        except ValueError as exc:
            console.print(f"footfall generate: {exc}")
            raise typer.Exit(EXIT_BAD_INPUT) from None

    table = Table(title="footfall generate", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("days", f"{summary.first_date} .. {summary.last_date}"),
        ("events", f"{summary.events:,}"),
        ("  bot events", f"{summary.bot_events:,}"),
        ("  duplicate (retried) events", f"{summary.duplicate_events:,}"),
        ("  late events (> 1 h in transit)", f"{summary.late_events:,}"),
        ("visitors (human)", f"{summary.visitors:,}"),
        ("visits (human)", f"{summary.visits:,}"),
        ("orders", f"{summary.orders:,} ({summary.order_rows:,} status rows)"),
        ("customers", f"{summary.customers:,} ({summary.customer_rows:,} records)"),
        ("files written", f"{summary.files:,}"),
        ("seconds", f"{summary.seconds:.1f} ({summary.events_per_second:,.0f} events/s)"),
        ("lake", str(paths.lake / "raw")),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


def _keep_freed_memory() -> None:
    """Let Arrow reuse the memory it frees instead of handing it back to the OS.

    The generator allocates and frees gigabytes; on this kind of VM memory handed back and
    touched again costs a page fault per page, ~15 % of a 10M-event run (measured). Only
    this short-lived CLI process is affected; the library call leaves the pool alone.
    """
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(-1)
    except NotImplementedError:  # a pyarrow build without jemalloc: keep the default
        pass


def _replay(
    console: Console,
    url: str,
    days: int,
    visitors_per_day: int,
    seed: int,
    token: str | None,
    concurrency: int,
    batch_size: int,
) -> None:
    from warehouse.synthetic import replay_http

    if not url.startswith(("http://", "https://")):
        console.print(f"footfall generate: --replay-url must start with http:// or https://: {url}")
        raise typer.Exit(EXIT_BAD_INPUT)
    token = token or get_settings().ingest_token[0]
    console.print(f"replaying up to {min(days, 7)} day(s) of traffic to {url} (seed {seed})")
    with Progress(
        TextColumn("[bold]requests"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("requests", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = replay_http(
            url,
            days=days,
            visitors_per_day=visitors_per_day,
            seed=seed,
            ingest_token=token,
            concurrency=concurrency,
            batch_size=batch_size,
            progress=progress,
        )
    table = Table(title="footfall generate --replay-url", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in [
        ("days", f"{summary.first_date} .. {summary.last_date}"),
        ("requests", f"{summary.requests:,}"),
        ("events accepted", f"{summary.events:,}"),
        ("order rows accepted", f"{summary.orders:,}"),
        ("customer rows accepted", f"{summary.customers:,}"),
        ("errors", f"{summary.errors:,}"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in sorted(summary.statuses.items()))),
        ("seconds", f"{summary.seconds:.1f}"),
    ]:
        table.add_row(name, value)
    Console().print(table)
    for sample in summary.error_samples:
        console.print(f"  error: {sample}")
    if summary.errors:
        raise typer.Exit(EXIT_REPLAY_ERRORS)


def register(app: typer.Typer) -> None:
    app.command("generate", help=GENERATE_HELP)(generate)

"""`footfall demo`: generate a month of traffic, build it, and serve the dashboard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import typer
from rich.console import Console

from warehouse.children import tied_preexec
from warehouse.paths import data_paths
from warehouse.settings import get_settings

console = Console(stderr=True)


def _footfall(*args: str) -> list[str]:
    return [sys.executable, "-m", "warehouse.cli", *args]


def _start(name: str, args: list[str]) -> subprocess.Popen:
    console.print(f"starting {name}: footfall {' '.join(args)}")
    # Its own session (Ctrl-C reaches only demo, which stops it cleanly), yet killed with
    # demo even by kill -9.
    return subprocess.Popen(_footfall(*args), start_new_session=True, preexec_fn=tied_preexec())


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # both servers shut down cleanly on it
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def demo(
    days: int = typer.Option(30, min=1, max=365, help="Days of traffic to generate."),
    visitors_per_day: int = typer.Option(1500, min=1, help="Visitors per day to generate."),
    seed: int = typer.Option(42, help="Random seed of the generator (same seed, same data)."),
    host: str = typer.Option("127.0.0.1", help="Interface for the API and collector."),
    port: int = typer.Option(8000, help="Port of the read API and dashboard."),
    collector_port: int = typer.Option(8001, help="Port of the collector."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build only; do not start servers."),
) -> None:
    """Generate traffic (if the lake is empty), run the pipeline, then serve API + collector.

    Stops cleanly on Ctrl-C.
    """
    settings = get_settings()
    paths = data_paths()
    started = time.perf_counter()
    if not settings.shop_hosts:
        from warehouse.synthetic.catalog import SHOP_HOST  # here: pyarrow loads slowly

        # The generated pages live on SHOP_HOST: its referrers are internal, not referrals.
        os.environ["FOOTFALL_SHOP_HOSTS"] = SHOP_HOST
        console.print(f"FOOTFALL_SHOP_HOSTS not set: using the generated shop's {SHOP_HOST}")
    from warehouse.lake import lake_files

    if lake_files(paths.raw("events")):
        console.print(f"lake at {paths.lake} already has events: not generating more")
    else:
        console.print(f"generating {days} days x {visitors_per_day} visitors/day (seed {seed})")
        end = datetime.now(UTC).date().isoformat()
        subprocess.run(
            _footfall(
                "generate",
                "--days",
                str(days),
                "--visitors-per-day",
                str(visitors_per_day),
                "--seed",
                str(seed),
                "--end-date",
                end,
            ),
            check=True,
        )
    subprocess.run(_footfall("run"), check=True)
    console.print(f"[green]built and published in {time.perf_counter() - started:.0f} s[/green]")
    if no_serve:
        return
    processes = [
        _start("collector", ["collect", "--host", host, "--port", str(collector_port)]),
        _start("api", ["api", "--host", host, "--port", str(port)]),
    ]
    console.print(
        f"\n[bold]footfall is running[/bold]\n"
        f"  dashboard   http://{host}:{port}/   (read token: {settings.api_token[0]})\n"
        f"  API docs    http://{host}:{port}/docs\n"
        f"  collector   http://{host}:{collector_port}/api/v1/analytics/track"
        f"   (tracker: http://{host}:{collector_port}/tracker.js)\n"
        f"  ad hoc SQL  duckdb {paths.published}/<CURRENT>.duckdb\n"
        f"  re-run the pipeline with: .venv/bin/footfall run\n"
        "Press Ctrl-C to stop."
    )
    # `kill` (SIGTERM) stops the demo like Ctrl-C does: servers first, then demo.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        console.print("[red]a server stopped unexpectedly; shutting down[/red]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        _stop(processes)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

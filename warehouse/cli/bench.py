"""`footfall bench`: measure footfall end to end against its baselines (see BENCHMARKS.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

EXIT_STAGE_FAILED = 1


def bench(
    events: int | None = typer.Option(
        None,
        "--events",
        min=1000,
        help="Events to generate (default 10,000,000; --quick 1,000,000). "
        "Below 200,000 the load phases are shortened (a smoke test, not a benchmark).",
    ),
    quick: bool = typer.Option(False, "--quick", help="1 million events instead of 10 million."),
    output_dir: Path = typer.Option(
        Path("."),
        "--output-dir",
        file_okay=False,
        help="Where to write BENCHMARKS.md and benchmarks/results.json (default: here).",
    ),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed of the traffic generator."),
    keep_data: bool = typer.Option(
        False, "--keep-data", help="Keep the temporary data directory (for inspection)."
    ),
) -> None:
    """Generate traffic in a temporary data dir, measure every stage, write the reports.

    Collector, enrichment, dbt (full, incremental, vs a bare DuckDB query), publish,
    read API (also during publishes), a naive per-event upsert baseline, peak memory.
    Prints a table with targets; writes BENCHMARKS.md and benchmarks/results.json.
    Never touches FOOTFALL_DATA_DIR. The default 10M run takes a long while.
    """
    from benchmarks.report import rich_table
    from benchmarks.runner import DEFAULT_EVENTS, QUICK_EVENTS, BenchPlan, run_bench

    console = Console(stderr=True)
    if events is not None:
        count, mode = events, "custom"
    elif quick:
        count, mode = QUICK_EVENTS, "quick"
    else:
        count, mode = DEFAULT_EVENTS, "full"
    output = output_dir.resolve()
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        console.print(f"[red]footfall bench: cannot create {output}: {exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"footfall bench: {count:,} events ({mode}); reports go to {output}")
    command = "footfall bench" + (f" --events {count}" if mode == "custom" else "")
    command += " --quick" if mode == "quick" else ""
    result = run_bench(
        BenchPlan.for_events(count, mode, seed),
        output,
        command=command,
        log=lambda message: console.print(f"  {message}", highlight=False),
        keep_data=keep_data,
    )
    Console().print(rich_table(result.figures, result.targets))
    for note in result.notes:
        console.print(f"- {note}", highlight=False)
    console.print(f"wrote {result.markdown_path} and {result.json_path}")
    if result.failures:
        console.print(f"[red]footfall bench: {len(result.failures)} stage(s) failed[/red]")
        raise typer.Exit(EXIT_STAGE_FAILED)


def register(app: typer.Typer) -> None:
    """Add `footfall bench` to the CLI."""
    app.command("bench")(bench)

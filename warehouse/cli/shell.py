"""`footfall shell`: SQL on the current snapshot (read-only) with the lake mounted as views.

Analysts type `select * from daily_metrics` (marts, from the snapshot) and
`select * from raw_events` (the lake: raw_events, raw_orders, raw_customers,
enriched_events — empty views when a dataset has no file yet). The snapshot is opened
read-only, so nothing an analyst types can change what the API serves.

Engines: the `duckdb` CLI when one on PATH can read the snapshot (its storage version
must match the Python client's; the PyPI `duckdb-cli` wheel lags behind), else a small
built-in SQL prompt on the Python client, or `--python` for a Python REPL with `con`.
"""

from __future__ import annotations

import code
import contextlib
import csv
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import typer
from rich.console import Console

from warehouse.lake import PARTITION_COLUMN, lake_files
from warehouse.paths import DataPaths, data_paths
from warehouse.privacy.lakeviews import LAKE_VIEWS, create_lake_views, dataset_select
from warehouse.publish import current_snapshot_path

console = Console(stderr=True)
RESULT_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "RELATION", "ANALYZE"}
HELP = """\
Type SQL ending with ';'. Marts come from the current snapshot (read-only); the lake is
mounted as raw_events, raw_orders, raw_customers and enriched_events.
  .tables       list tables and views      .mode box|csv  result format
  .python       a Python REPL with `con`   .quit          leave (or Ctrl-D)
"""


def open_connection(paths: DataPaths) -> tuple[duckdb.DuckDBPyConnection, Path | None]:
    """The current snapshot read-only (or an empty in-memory database) plus the lake views."""
    snapshot = current_snapshot_path(paths)
    if snapshot is not None and snapshot.exists():
        con = duckdb.connect(str(snapshot), read_only=True)
    else:
        snapshot = None
        con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_lake_views(con, paths, temp=True, live=True)
    return con, snapshot


class SqlPrompt:
    """Runs SQL text statement by statement and prints results (box or CSV)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mode: str = "box") -> None:
        self.con = con
        self.mode = mode
        self.errors = 0

    def run(self, text: str) -> None:
        try:
            statements = self.con.extract_statements(text)
        except duckdb.Error as exc:
            self._error(exc)
            return
        for statement in statements:
            try:
                self._run_one(statement)
            except duckdb.Error as exc:
                self._error(exc)

    def _run_one(self, statement: duckdb.Statement) -> None:
        query = statement.query.strip().rstrip(";")
        if statement.type.name not in RESULT_STATEMENTS:
            self.con.execute(query)
            return
        relation = self.con.sql(query)
        if relation is None:
            return
        if self.mode == "csv":
            table = relation.to_arrow_table()
            writer = csv.writer(sys.stdout)
            writer.writerow(table.column_names)
            writer.writerows(zip(*(column.to_pylist() for column in table.columns), strict=True))
        else:
            relation.show(max_rows=40, max_width=200)
        sys.stdout.flush()

    def _error(self, exc: Exception) -> None:
        self.errors += 1
        console.print(f"{type(exc).__name__}: {exc}", style="red", markup=False, highlight=False)

    def command(self, line: str) -> bool:
        """Handle a dot-command; returns False when the prompt should end."""
        name, _, argument = line.strip().partition(" ")
        if name in (".quit", ".exit"):
            return False
        if name == ".tables":
            self.run(
                "select table_catalog as db, table_name as name, table_type as kind "
                "from information_schema.tables order by all;"
            )
        elif name == ".mode" and argument.strip() in ("box", "csv"):
            self.mode = argument.strip()
        elif name == ".python":
            python_repl(self.con)
        else:
            console.print(HELP)
        return True

    def feed(self, lines: Iterable[str | None]) -> None:
        """Run lines as the CLI would: dot-commands alone on a line, SQL up to a ';'.

        A None line drops the statement typed so far (Ctrl-C at the prompt).
        """
        buffer: list[str] = []
        for line in lines:
            if line is None:
                buffer.clear()
                continue
            if not buffer and line.strip().startswith("."):
                if not self.command(line):
                    return
                continue
            buffer.append(line)
            if line.rstrip().endswith(";"):
                self.run("\n".join(buffer))
                buffer.clear()
        if any(part.strip() for part in buffer):
            self.run("\n".join(buffer))  # a last statement without ';'

    def interact(self) -> None:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - line editing and history for input()
        self.feed(_typed_lines())


def _typed_lines() -> Iterator[str | None]:
    """Lines typed at the terminal; Ctrl-C drops the current statement, Ctrl-D ends."""
    pending = False
    while True:
        try:
            line = input("     ...> " if pending else "footfall> ")
        except EOFError:
            typer.echo("")
            return
        except KeyboardInterrupt:
            typer.echo("")
            pending = False
            yield None
            continue
        stripped = line.strip()
        if pending or (stripped and not stripped.startswith(".")):
            pending = not stripped.endswith(";")
        yield line


def python_repl(con: duckdb.DuckDBPyConnection) -> None:
    """A Python REPL with `con` bound and `q(sql)` to print a query's result."""

    def q(sql: str, max_rows: int = 40) -> None:
        con.sql(sql).show(max_rows=max_rows, max_width=200)

    code.interact(
        banner="footfall: `con` is the DuckDB connection; q('select …') prints a result.",
        local={"con": con, "q": q, "duckdb": duckdb},
        exitmsg="",
    )


def duckdb_cli_usable(binary: str, snapshot: Path | None) -> bool:
    """Whether a duckdb CLI exists and can open the snapshot (storage versions match)."""
    args = [binary, "-readonly", str(snapshot)] if snapshot else [binary]
    try:
        probe = subprocess.run(
            [*args, "-c", "select 1"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def run_duckdb_cli(binary: str, paths: DataPaths, snapshot: Path | None, sql: str | None) -> int:
    """Run the duckdb CLI on the snapshot with the lake views created by an init script."""
    lines = ["set TimeZone = 'UTC';"]
    for name, (locate, schema) in LAKE_VIEWS.items():
        dataset_dir = locate(paths)
        files = lake_files(dataset_dir)
        source = str(dataset_dir / f"{PARTITION_COLUMN}=*" / "*.parquet") if files else []
        lines.append(
            f'create or replace temp view "{name}" as '
            f"{dataset_select(source, schema, with_partition=True)};"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as init:
        init.write("\n".join(lines) + "\n")
    try:
        args = [binary, "-init", init.name]
        if snapshot:
            args += ["-readonly", str(snapshot)]
        if sql is not None:
            args += ["-c", sql]
        return subprocess.run(args, check=False).returncode
    finally:
        Path(init.name).unlink(missing_ok=True)


def shell(
    command: str | None = typer.Option(
        None, "--command", "-c", help="Run this SQL, print the result and exit."
    ),
    python: bool = typer.Option(False, "--python", help="A Python REPL with `con` instead."),
    engine: str = typer.Option(
        "auto",
        "--engine",
        help="auto (duckdb CLI if it can read the snapshot, else built-in), duckdb or builtin.",
    ),
    mode: str = typer.Option("box", "--mode", help="Result format: box or csv."),
) -> None:
    """Query the current snapshot (read-only) and the lake with SQL.

    Reads SQL from --command, from standard input when it is piped, or interactively.
    Exit 0 when every statement ran, 1 when any failed.
    """
    paths = data_paths()
    if engine not in ("auto", "duckdb", "builtin") or mode not in ("box", "csv"):
        console.print("[red]--engine is auto, duckdb or builtin; --mode is box or csv[/red]")
        sys.exit(2)
    snapshot = current_snapshot_path(paths)
    if snapshot is not None and not snapshot.exists():
        snapshot = None
    binary = shutil.which("duckdb")
    if engine == "duckdb" and binary is None:
        console.print("[red]no duckdb CLI on PATH: use --engine builtin[/red]")
        sys.exit(2)
    if not python and engine != "builtin" and binary and duckdb_cli_usable(binary, snapshot):
        sys.exit(run_duckdb_cli(binary, paths, snapshot, command))
    if engine == "duckdb":
        console.print("[red]the duckdb CLI on PATH cannot read this snapshot (version)[/red]")
        sys.exit(2)
    con, snapshot = open_connection(paths)
    interactive = command is None and sys.stdin.isatty()
    if interactive or python:
        where = f"snapshot {snapshot.name}" if snapshot else "no snapshot yet (lake only)"
        console.print(f"footfall shell: {where}, lake at {paths.lake}. Type .help for help.")
    try:
        if python:
            python_repl(con)
            return
        prompt = SqlPrompt(con, mode)
        if command is not None:
            prompt.run(command)
        elif interactive:
            prompt.interact()
        else:
            prompt.feed(sys.stdin.read().splitlines())
        if prompt.errors:
            sys.exit(1)
    finally:
        con.close()


def register(app: typer.Typer) -> None:
    app.command("shell")(shell)

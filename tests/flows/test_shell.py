"""`footfall shell`: the snapshot read-only plus the lake as views, driven non-interactively."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from tests.utils.lake_rows import land_people, utc
from warehouse import publish
from warehouse.paths import DataPaths
from warehouse.settings import get_settings


def _shell(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "shell", "--engine", "builtin", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        timeout=120,
    )


def _publish_sessions(paths: DataPaths, visits: int) -> None:
    paths.build.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.build_db))
    con.execute("create table sessions as select range as visit_id from range(?)", [visits])
    con.close()
    publish.publish_snapshot(paths, data_as_of=None, pipeline_runs=[], tables=["sessions"])


@pytest.mark.parametrize(
    ("view", "columns"),
    [("raw_events", 21), ("raw_orders", 18), ("raw_customers", 6), ("enriched_events", 34)],
)
def test_shell_on_empty_data_dir_has_typed_empty_views(
    data_dir: DataPaths, view: str, columns: int
) -> None:
    result = _shell("--mode", "csv", "-c", f"select count(*) as n from {view}; describe {view}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["n", "0"]
    assert len(lines) - 3 == columns  # header of describe + one line per column (with `date`)


@pytest.mark.parametrize(
    ("stdin", "expected", "code"),
    [
        ("select count(*) as n from raw_events;\n", "n\n7\n", 0),
        ("select count(*) as n\n  from sessions;\n", "n\n5\n", 0),
        (
            "select o.order_id from raw_orders o\n"
            "join raw_customers c using (customer_id)\n"
            "where c.customer_id = 'cust-bob';\n",
            "order_id\no-bob\n",
            0,
        ),
        (".mode box\nselect 42 as answer;\n", "answer", 0),
        ("create table sessions2 (a int);\n", "read-only", 1),
        ("select * from nowhere;\n", "nowhere", 1),
    ],
)
def test_shell_reads_snapshot_and_lake_from_stdin(
    data_dir: DataPaths, stdin: str, expected: str, code: int
) -> None:
    land_people(data_dir, get_settings().secret, utc(2026, 3, 1, 9))
    _publish_sessions(data_dir, visits=5)
    result = _shell("--mode", "csv", stdin=stdin)
    assert result.returncode == code, result.stderr
    assert expected in (result.stdout if code == 0 else result.stderr)


def test_shell_lists_marts_and_lake_views(data_dir: DataPaths) -> None:
    _publish_sessions(data_dir, visits=1)
    result = _shell("--mode", "csv", stdin=".tables\n")
    assert result.returncode == 0, result.stderr
    names = {line.split(",")[1] for line in result.stdout.splitlines()[1:]}
    assert {"sessions", "raw_events", "raw_orders", "raw_customers", "enriched_events"} <= names

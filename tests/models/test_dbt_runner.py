"""warehouse.dbt_runner runs the real dbt project in a subprocess and reports what happened."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.models.factories import event, land, order, utc
from tests.utils.fixtures import BuiltWarehouse, copy_built_warehouse
from warehouse.dbt_runner import (
    DbtError,
    dbt_build,
    dbt_command,
    dbt_environment,
    target_dir,
)
from warehouse.paths import DataPaths
from warehouse.publish import mart_names
from warehouse.settings import reset_settings


@pytest.mark.parametrize(
    ("variable", "setting", "expected"),
    [
        ("FOOTFALL_REPORTING_TZ", "Europe/Berlin", "Europe/Berlin"),
        ("FOOTFALL_DUCKDB_THREADS", "3", "3"),
        ("FOOTFALL_DUCKDB_MEMORY_LIMIT", "1GB", "1GB"),
        ("FOOTFALL_SESSION_TIMEOUT_MINUTES", "45", "45"),
    ],
)
def test_pass_settings_to_dbt_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, setting: str, expected: str
) -> None:
    monkeypatch.setenv(variable, setting)
    reset_settings()
    paths = DataPaths(tmp_path / "somewhere")
    env = dbt_environment(paths)
    assert env[variable] == expected
    assert env["FOOTFALL_DATA_DIR"] == "."  # dbt runs in the data dir: same profile for all
    assert env["FOOTFALL_DBT_DATA_DIR"] == str(paths.root.resolve())
    assert target_dir(paths) == paths.build / "dbt_target"


@pytest.mark.parametrize(("setting", "expected"), [("true", ""), ("false", "dict_fsst")])
def test_map_string_compression_to_duckdb_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, expected: str
) -> None:
    monkeypatch.setenv("FOOTFALL_DUCKDB_COMPRESS_STRINGS", setting)
    reset_settings()
    assert dbt_environment(DataPaths(tmp_path))["FOOTFALL_DUCKDB_DISABLED_COMPRESSION"] == expected


def test_report_dbt_invocation_error(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    lines: list[str] = []
    result = dbt_command(["run-operation", "no_such_macro"], paths, on_line=lines.append)
    assert not result.success
    assert result.returncode != 0
    assert result.nodes == []
    assert lines, "progress lines reach the callback"
    assert "no_such_macro" in result.summary()
    with pytest.raises(DbtError) as raised:
        result.raise_for_status()
    assert raised.value.result is result


def test_build_empty_lake_into_empty_marts(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    result = dbt_build(paths, on_line=lambda _: None)
    assert result.success, result.summary()
    kinds = {node.resource_type for node in result.nodes}
    assert {"model", "seed", "test", "unit_test"} <= kinds
    assert all(node.status in {"success", "pass"} for node in result.nodes)
    connection = duckdb.connect(str(paths.build_db), read_only=True)
    try:
        for mart in mart_names():
            assert connection.execute(f"select count(*) from main.{mart}").fetchone() == (0,)
    finally:
        connection.close()


def test_report_nulls_in_required_columns_by_name(tmp_path: Path) -> None:
    """not_null_columns checks all of a model's required columns in one node."""
    paths = DataPaths(tmp_path / "data")
    dbt_command(["run", "--select", "+customers"], paths, on_line=lambda _: None, check=True)
    with duckdb.connect(str(paths.build_db)) as connection:
        connection.execute("insert into main.customers (customer_id) values ('c-without-type')")
    result = dbt_command(["test", "--select", "customers"], paths, on_line=lambda _: None)
    (failed,) = result.failures
    assert failed.name.startswith("not_null_columns_customers")
    assert failed.failures == 1  # one column (customer_type) holds nulls; customer_id does not


@pytest.mark.slow
def test_report_failing_data_test(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    at = utc(2024, 2, 1, 12)
    land(
        paths,
        [event("v1", at)],
        [order("o1", "v1", "c1", at, Decimal("5.00"), order_status="LOST")],
    )
    # the orders' current state and its tests are enough to fail; the rest of the graph
    # costs ~20 s
    result = dbt_build(paths, select="+int_orders_current", on_line=lambda _: None)
    assert not result.success
    failed = [node.name for node in result.failures]
    assert any(
        name.startswith("accepted_values_int_orders_current_order_status") for name in failed
    )
    assert "accepted_values_int_orders_current_order_status" in result.summary()
    with pytest.raises(DbtError):
        result.raise_for_status()


@pytest.mark.slow
def test_generate_docs(built_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    copy_built_warehouse(built_warehouse, paths)  # docs describe a built database
    result = dbt_command(["docs", "generate"], paths, on_line=lambda _: None, check=True)
    assert result.success
    assert (target_dir(paths) / "catalog.json").is_file()
    assert (target_dir(paths) / "index.html").is_file()

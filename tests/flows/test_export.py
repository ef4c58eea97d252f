"""Export: exactly the person's rows, by email, customer id or visitor id, as JSON or CSV."""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils.lake_rows import ALICE_EMAIL, land_people, utc
from warehouse.paths import DataPaths
from warehouse.privacy.audit import audit_file, read_audit
from warehouse.privacy.export import person_rows, write_export
from warehouse.privacy.lakeviews import lake_connection
from warehouse.privacy.person import PersonRequest, resolve_person
from warehouse.settings import get_settings

REQUESTS = {
    "email": (PersonRequest(emails=(f"  {ALICE_EMAIL.upper()} ",)), ["--email", ALICE_EMAIL]),
    "customer": (PersonRequest(customer_ids=("cust-alice",)), ["--customer-id", "cust-alice"]),
    "visitor": (PersonRequest(visitor_ids=("v-alice-laptop",)), ["--visitor-id", "v-alice-laptop"]),
}
ROW_ID = {"events": "event_id", "orders": "order_id", "customers": "customer_id"}


def _exported_ids(rows: dict[str, list[dict]]) -> dict[str, set[str]]:
    return {dataset: {row[ROW_ID[dataset]] for row in items} for dataset, items in rows.items()}


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_person_rows_are_exactly_the_persons(data_dir: DataPaths, kind: str) -> None:
    expected = land_people(data_dir, get_settings().secret, utc(2026, 3, 1, 9))[kind]
    con = lake_connection(data_dir)
    person = resolve_person(con, REQUESTS[kind][0], get_settings().secret)
    assert _exported_ids(person_rows(con, person)) == expected


@pytest.mark.parametrize(
    ("request_", "empty"),
    [
        (PersonRequest(emails=("nobody@example.com",)), True),
        (PersonRequest(customer_ids=("",), visitor_ids=(" ",)), True),  # blank ids: no one
        (PersonRequest(visitor_ids=("v-blank",)), False),  # but its own rows, not all blanks
    ],
)
def test_person_rows_never_match_blank_ids(
    data_dir: DataPaths, request_: PersonRequest, empty: bool
) -> None:
    land_people(data_dir, get_settings().secret, utc(2026, 3, 1, 9))
    con = lake_connection(data_dir)
    rows = person_rows(con, resolve_person(con, request_, get_settings().secret))
    ids = _exported_ids(rows)
    if empty:
        assert ids == {"events": set(), "orders": set(), "customers": set()}
    else:
        assert len(ids["events"]) == 1 and ids["orders"] == {"o-blank"}


def test_write_export_csv_round_trips_rows(data_dir: DataPaths, tmp_path: Path) -> None:
    expected = land_people(data_dir, get_settings().secret, utc(2026, 3, 1, 9))["customer"]
    con = lake_connection(data_dir)
    person = resolve_person(con, REQUESTS["customer"][0], get_settings().secret)
    counts, files = write_export(con, person, "csv", tmp_path / "out")
    assert counts == {name: len(ids) for name, ids in expected.items()}
    for path in files:
        with open(path, newline="") as source:
            rows = list(csv.DictReader(source))
        dataset = path.stem
        assert {row[ROW_ID[dataset]] for row in rows} == expected[dataset]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with open(tmp_path / "out" / "orders.csv", newline="") as source:
        orders = list(csv.DictReader(source))
    assert {row["total"] for row in orders} == {"20.00"}  # money exact, not float
    assert json.loads(orders[0]["items"])[0]["unit_price"] == "20.00"


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_export_command_writes_json_and_audits_without_identifiers(
    data_dir: DataPaths, tmp_path: Path, kind: str
) -> None:
    expected = land_people(data_dir, get_settings().secret, utc(2026, 3, 1, 9))[kind]
    target = tmp_path / "alice.json"
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "export", *REQUESTS[kind][1], "-o", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _exported_ids(json.loads(target.read_text())) == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    (record,) = read_audit(data_dir)
    assert record["action"] == "export" and record["status"] == "exported"
    assert record["rows"] == {name: len(ids) for name, ids in expected.items()}
    text = audit_file(data_dir).read_text()
    for secret_text in (ALICE_EMAIL, ALICE_EMAIL.lower(), "cust-alice", "v-alice", "alice.json"):
        assert secret_text not in text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--email", "nobody@example.com", "-o", "-"], 0, "nothing found"),
        (["-o", "-"], 2, "at least one"),
        (["--visitor-id", "x", "-f", "xml", "-o", "-"], 2, "unknown --format"),
        (["--visitor-id", "x", "-f", "csv", "-o", "-"], 2, "directory"),
    ],
)
def test_export_command_exit_codes(
    data_dir: DataPaths, args: list[str], code: int, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "export", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    if code == 0:
        assert json.loads(result.stdout) == {"events": [], "orders": [], "customers": []}

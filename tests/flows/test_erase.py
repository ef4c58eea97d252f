"""Erasure: no trace of the person in lake, marts, snapshots, audit log or Prefect's records."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.utils.lake_rows import ALICE_EMAIL, land_people
from warehouse import publish
from warehouse.enrich import enrich_new_raw_files
from warehouse.identity import hash_email
from warehouse.paths import DataPaths
from warehouse.privacy.audit import audit_file, read_audit
from warehouse.privacy.erasure import count_person_rows, erase_person_rows, find_person_in_database
from warehouse.privacy.lakeviews import lake_connection
from warehouse.privacy.person import PersonRequest, resolve_person
from warehouse.settings import get_settings

ALICE_IDS = ["v-alice-phone", "v-alice-laptop", "v-alice-guest", "cust-alice"]
OTHERS = ["v-bob", "cust-bob", "v-anon"]


def _lake_hits(paths: DataPaths, needles: list[str]) -> dict[str, int]:
    """Rows of each lake dataset whose id columns hold any of `needles`."""
    con = lake_connection(paths)
    hits = {}
    for view in ("raw_events", "raw_orders", "raw_customers", "enriched_events"):
        columns = [row[0] for row in con.execute(f"describe {view}").fetchall()]
        match = " or ".join(
            f"list_contains($1, {col})"
            for col in ("visitor_id", "customer_id", "email_hash")
            if col in columns
        )
        hits[view] = con.execute(
            f"select count(*) from {view} where {match}", [needles]
        ).fetchone()[0]
    con.close()
    return hits


def test_erase_person_rows_leaves_only_others(data_dir: DataPaths) -> None:
    secret = get_settings().secret
    land_people(data_dir, secret, datetime(2026, 3, 1, 9, tzinfo=UTC))
    enrich_new_raw_files(data_dir)
    others_before = _lake_hits(data_dir, OTHERS)
    con = lake_connection(data_dir)
    person = resolve_person(con, PersonRequest(emails=(ALICE_EMAIL,)), secret)
    assert person.visitor_ids == {"v-alice-phone", "v-alice-laptop", "v-alice-guest"}
    found = count_person_rows(con, person)
    assert found == {"events": 4, "orders": 2, "customers": 1, "enriched_events": 4}

    results = erase_person_rows(con, data_dir, person)

    assert {name: r.rows_removed for name, r in results.items()} == found
    needles = ALICE_IDS + [hash_email(ALICE_EMAIL, secret)]
    assert set(_lake_hits(data_dir, needles).values()) == {0}
    enriched_before = others_before.pop("enriched_events")
    after = _lake_hits(data_dir, OTHERS)
    assert after.pop("enriched_events") <= enriched_before  # pruned files are re-enriched later
    assert after == others_before
    enrich_new_raw_files(data_dir)
    assert _lake_hits(data_dir, OTHERS)["enriched_events"] == enriched_before
    assert set(_lake_hits(data_dir, needles).values()) == {0}


def _footfall(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "warehouse.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--email", "nobody@example.com", "--yes"], 0, "nothing found"),
        ([], 2, "at least one"),
        (["--email", ALICE_EMAIL], 2, "--yes"),  # found, but no terminal to confirm on
        (["--email", ALICE_EMAIL, "--dry-run"], 0, "dry run"),
    ],
)
def test_erase_command_exit_codes(
    data_dir: DataPaths, args: list[str], code: int, message: str
) -> None:
    land_people(data_dir, get_settings().secret, datetime(2026, 3, 1, 9, tzinfo=UTC))
    before = _lake_hits(data_dir, ALICE_IDS)
    result = _footfall("erase", *args, stdin="")
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert _lake_hits(data_dir, ALICE_IDS) == before  # none of these erases anything
    if "nothing found" in message:
        (record,) = read_audit(data_dir)
        assert (
            record["status"] == "nothing_found" and "nobody" not in audit_file(data_dir).read_text()
        )


def _prefect_database_bytes() -> bytes:
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url.get_secret_value()
    path = Path(url.split(":///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_erase_flow_leaves_no_trace(data_dir: DataPaths) -> None:
    from pydantic import SecretStr

    from flows.erase import erase
    from flows.pipeline import pipeline

    secret = get_settings().secret
    land_people(data_dir, secret, datetime.now(UTC) - timedelta(days=1))
    pipeline()
    # a second snapshot of the same build: older ones must go too
    publish.publish_snapshot(data_dir, data_as_of=datetime.now(UTC), pipeline_runs=[])
    assert len(list(data_dir.published.glob("*.duckdb"))) == 2
    request = PersonRequest(emails=(ALICE_EMAIL,))
    con = lake_connection(data_dir)
    person = resolve_person(con, request, secret)
    con.close()
    snapshot = publish.current_snapshot_path(data_dir)
    assert find_person_in_database(snapshot, person)  # the marts hold Alice before

    record = erase(SecretStr(request.to_json()))

    assert record["status"] == "completed"
    needles = ALICE_IDS + [hash_email(ALICE_EMAIL, secret)]
    assert set(_lake_hits(data_dir, needles).values()) == {0}
    assert _lake_hits(data_dir, OTHERS)["raw_events"] == 2
    current = publish.current_snapshot_path(data_dir)
    assert [p.name for p in data_dir.published.glob("*.duckdb")] == [current.name]
    assert find_person_in_database(current, person) == {}
    assert find_person_in_database(data_dir.build_db, person) == {}
    con = duckdb.connect(str(current), read_only=True)
    assert con.execute("select count(*) from sessions where visitor_id = 'v-bob'").fetchone()[0]
    con.close()
    audit = read_audit(data_dir)[-1]
    assert audit["request_key"] == request.key(secret) and audit["status"] == "completed"
    logged = (
        audit_file(data_dir).read_text().lower()
        + _prefect_database_bytes().decode("latin-1").lower()
    )
    for needle in [*ALICE_IDS, ALICE_EMAIL.lower(), hash_email(ALICE_EMAIL, secret)]:
        assert needle not in logged, needle

    again = erase(SecretStr(request.to_json()))
    assert again["status"] == "nothing_found"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (
            PersonRequest(emails=("Alice@Example.com ",)),
            PersonRequest(emails=("alice@example.com",)),
            True,
        ),
        (PersonRequest(visitor_ids=("a", "b")), PersonRequest(visitor_ids=("b", "a", "a")), True),
        (PersonRequest(visitor_ids=("a",)), PersonRequest(customer_ids=("a",)), False),
        (PersonRequest(emails=("a@example.com",)), PersonRequest(emails=("b@example.com",)), False),
    ],
)
def test_request_key_is_canonical_and_keyed(
    first: PersonRequest, second: PersonRequest, same: bool
) -> None:
    secret = get_settings().secret
    assert (first.key(secret) == second.key(secret)) is same
    assert first.key(secret) != first.key(secret + "-other")  # keyed: useless without it
    assert len(first.key(secret)) == 64  # a hex digest, whatever the request held

"""Every place a name or a path comes from input, attacked (docs/RELIABILITY.md lists them
all with why each is safe; these are the risky ones).

- read API: dimension names, sort columns, dates → an allow-list or a parsed date, 422
  otherwise, never SQL text or a 500;
- the snapshot pointer `published/CURRENT`: a file, so an input too → only a snapshot id is
  ever opened, never a path out of published/;
- the data dir (operator input) inside SQL string literals → quoted, or refused at start;
- `footfall export --output`: a planted link at the temp name is not followed;
- the collector: no request value ever becomes part of a lake file's path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pytest
from fastapi.testclient import TestClient

from api.main import create_app as create_api
from ingest.app import create_app as create_collector
from ingest.collector import Collector
from ingest.lander import land_sealed_segments
from tests.reliability.conftest import Figures
from tests.reliability.procs import READ_TOKEN, REPO
from tests.utils.fixtures import BuiltWarehouse
from warehouse import publish
from warehouse.paths import DataPaths
from warehouse.settings import Settings

AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}
MARK = "INJ3CT"

HOSTILE_PARAMETERS = [
    # (url, statuses allowed)
    (f"/api/v1/breakdown/channel%3B%20drop%20table%20sessions%3B{MARK}", {422}),
    (f"/api/v1/breakdown/channel%22%20or%201%3D1%20--{MARK}", {422}),
    (f"/api/v1/breakdown/..%2F..%2Fetc%2Fpasswd{MARK}", {404, 422}),
    ("/api/v1/breakdown/../../etc/passwd", {404}),
    ("/api/v1/breakdown/sessions", {422}),
    ("/api/v1/breakdown/device_type", {422}),  # a column name, not a dimension
    (f"/api/v1/funnel?by=channel,visitor_id{MARK}", {422}),
    (f"/api/v1/funnel?by=(select%201){MARK}", {422}),
    (f"/api/v1/products/top?sort=revenue%20desc;--{MARK}", {422}),
    ("/api/v1/products/top?sort=product_id", {422}),
    (f"/api/v1/products/top?limit=1;{MARK}", {422}),
    (f"/api/v1/dashboard/metrics?date=2026-03-14'%20or%20'1'='1{MARK}", {422}),
    ("/api/v1/dashboard/metrics?date=2026-02-30", {422}),
    ("/api/v1/dashboard/metrics?date=%00", {422}),
    ("/api/v1/dashboard/metrics?date=9999-12-31", {200}),
    ("/api/v1/dashboard/metrics?date=0001-01-01", {200}),
    ("/api/v1/metrics/daily?start=0001-01-01&end=9999-12-31", {422}),
    ("/api/v1/metrics/daily?start=2026-03-14&end=2026-03-01", {422}),
    ("/api/v1/metrics/daily?start=0001-01-01&end=0001-01-31", {422}),
    ("/api/v1/metrics/daily?start=0002-01-01&end=0002-01-31", {422}),
    (f"/api/v1/retention?cohorts=8%20union%20select%201{MARK}", {422}),
    ("/api/v1/retention?cohorts=99999999999999999999999", {422}),
    (f"/api/v1/runs?limit=-1{MARK}", {422}),
    ("/static/..%2F..%2Fmain.py", {404}),
    ("/static/../../warehouse/settings.py", {404}),
    ("/static/%2e%2e/%2e%2e/pyproject.toml", {404}),
]


@pytest.fixture(scope="module")
def api(built_warehouse: BuiltWarehouse):  # noqa: ANN201
    app = create_api(Settings(data_dir=built_warehouse.paths.root, api_token=[READ_TOKEN]))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("url", "allowed"), HOSTILE_PARAMETERS)
def test_read_rejects_hostile_names_and_dates(api: TestClient, url: str, allowed: set) -> None:
    response = api.get(url, headers=AUTH)
    assert response.status_code in allowed, response.text
    assert MARK not in response.text
    assert "Traceback" not in response.text and "duckdb" not in response.text.lower()


def test_read_hostile_parameters_summary(api: TestClient, figures: Figures) -> None:
    """One request per row above again, to record the figures in one place."""
    statuses = [api.get(url, headers=AUTH).status_code for url, _ in HOSTILE_PARAMETERS]
    figures.record(
        title="Injection: dimension, sort, limit and date parameters",
        did=f"{len(statuses)} hostile parameters (SQL text, traversal, column names that are "
        "not dimensions, absurd and impossible dates, huge numbers)",
        lost=f"nothing: {sum(s == 422 for s in statuses)} × 422, {sum(s == 404 for s in statuses)}"
        f" × 404, {sum(s == 200 for s in statuses)} × 200 for valid far dates, no 5xx, no echo",
    )
    assert max(statuses) < 500


POINTERS = [
    "../evil",
    "../../../../tmp/evil",
    "/tmp/evil",
    ".evil",
    "evil/../../evil",
    "x' as s; attach 'evil.duckdb' as e; --",
    "x\x00y",
    "a" * 300,
    "..",
]


@pytest.fixture
def served(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Iterator[DataPaths]:
    """A data dir with one real snapshot, and bait DuckDB files where hostile pointers lead."""
    paths = DataPaths((tmp_path / "data").resolve())
    paths.build.mkdir(parents=True)
    shutil.copyfile(built_warehouse.paths.build_db, paths.build_db)
    publish.publish_snapshot(paths, data_as_of=datetime.now(UTC), pipeline_runs=[])
    made = []
    for bait in (paths.root / "evil.duckdb", Path("/tmp/evil.duckdb")):
        if not bait.exists():
            con = duckdb.connect(str(bait))
            con.execute("create table daily_metrics as select 1 as evil")
            con.close()
            made.append(bait)
    yield paths
    for bait in made:
        bait.unlink(missing_ok=True)


@pytest.mark.parametrize("pointer", POINTERS, ids=lambda p: repr(p)[:20])
def test_read_never_follows_hostile_snapshot_pointer(served: DataPaths, pointer: str) -> None:
    good = publish.read_current_snapshot_id(served)
    app = create_api(Settings(data_dir=served.root, api_token=[READ_TOKEN]), check_interval=0.0)
    with TestClient(app, raise_server_exceptions=False) as client:
        first = client.get("/api/v1/dashboard/metrics?date=2026-03-14", headers=AUTH)
        assert first.json()["snapshotId"] == good
        served.current_pointer.write_bytes(pointer.encode("utf-8", "surrogatepass"))
        after = client.get("/api/v1/dashboard/metrics?date=2026-03-13", headers=AUTH)
        health = client.get("/healthz").json()
    assert after.status_code == 200 and after.json()["snapshotId"] == good
    assert health["snapshotId"] == good
    assert publish.read_current_snapshot_id(served) is None
    # A fresh API (nothing served yet) refuses it too: 503, not the bait file.
    fresh = create_api(Settings(data_dir=served.root, api_token=[READ_TOKEN]))
    with TestClient(fresh, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/funnel", headers=AUTH).status_code == 503


def test_publish_works_with_quote_in_data_dir(
    built_warehouse: BuiltWarehouse, tmp_path: Path, figures: Figures
) -> None:
    """A DataPaths built by code (settings refuse such a FOOTFALL_DATA_DIR for dbt's sake)."""
    paths = DataPaths((tmp_path / "o'brien's data").resolve())
    paths.build.mkdir(parents=True)
    shutil.copyfile(built_warehouse.paths.build_db, paths.build_db)
    snapshot = publish.publish_snapshot(paths, data_as_of=None, pipeline_runs=[])
    assert publish.read_current_snapshot_id(paths) == snapshot.snapshot_id
    with pytest.raises(ValueError):
        publish.publish_snapshot(paths, data_as_of=None, pipeline_runs=[], snapshot_id="../x")
    figures.record(
        title="Injection: snapshot pointer and data dir",
        did=f"{len(POINTERS)} hostile `published/CURRENT` contents (traversal, absolute path, "
        "SQL, NUL, 300 chars) with bait DuckDB files outside published/; a data dir with "
        "quotes; a snapshot id with a path",
        lost="nothing: the last good snapshot kept serving, no bait file was opened, publish "
        "quoted the path and refused the id",
    )


def test_settings_refuse_quote_in_data_dir(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="single quote"):
        Settings(data_dir=tmp_path / "it's")


def test_export_does_not_follow_link_at_temp_name(tmp_path: Path, figures: Figures) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out_dir = tmp_path / "shared"
    out_dir.mkdir()
    (out_dir / ".export.json.tmp").symlink_to(victim)
    data = tmp_path / "data"
    data.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "export", "--visitor-id", "v-1"]
        + ["--format", "json", "--output", str(out_dir / "export.json")],
        env={**os.environ, "FOOTFALL_DATA_DIR": str(data)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious"
    written = out_dir / "export.json"
    assert not written.is_symlink() and written.stat().st_mode & 0o777 == 0o600
    figures.record(
        title="Injection: export output path",
        did="`footfall export --output` into a directory where a link to another file sat at "
        "the export's temp name",
        lost="nothing: the linked file was untouched; the export was written 0600",
    )


LAKE_FILE = re.compile(
    r"(events|orders|customers)/date=\d{4}-\d{2}-\d{2}/[0-9]{20}-[0-9a-f]{12}\.parquet"
)


def test_collector_request_values_never_reach_file_paths(data_dir: DataPaths) -> None:
    hostile = ["../../../etc/x", "/abs", "a/b", "..", "date=1999-01-01", "\x00", "%2e%2e"]
    settings = Settings(data_dir=data_dir.root, rate_limit_per_second=0, spool_segment_seconds=60)
    with TestClient(create_collector(Collector(settings, data_dir, run_lander=False))) as client:
        for value in hostile:
            event = {
                "eventId": str(uuid.uuid4()),
                "eventType": "page_view",
                "page": value,
                "sessionId": value,
                "productId": value,
                "timestamp": "1999-01-01T00:00:00Z",
                "metadata": {value: value},
            }
            response = client.post(
                "/api/v1/analytics/track",
                params={"utm_source": value, "ref": value},
                content=orjson.dumps(event),
            )
            assert response.status_code == 200, response.text
        client.app.state.collector.spool.seal()
    land_sealed_segments(data_dir)
    files = [p.relative_to(data_dir.lake / "raw").as_posix() for p in data_dir.lake.rglob("*")]
    files = [f for f in files if f.endswith(".parquet")]
    assert files and all(LAKE_FILE.fullmatch(f) for f in files), files
    assert sorted(p.name for p in data_dir.root.iterdir()) == ["lake", "spool", "state"]

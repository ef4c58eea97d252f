"""Write–audit–publish: copy the tested marts into a fresh snapshot file and swap a pointer.

DuckDB lets no reader open a file while a writer holds it, so the API never touches the
build file. Each snapshot gets its own file name (the duckdb client caches instances by
path), and `published/CURRENT` is replaced atomically, so a reader sees the old snapshot
or the new one, never a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.lake import fsync_dir, write_text_atomic
from warehouse.paths import DataPaths

log = logging.getLogger(__name__)

MARTS_DIR = Path(__file__).resolve().parents[1] / "models" / "marts"
# What a snapshot id may look like (new_snapshot_id makes `20260314T120000Z-1a2b3c`): no
# path separator, no leading dot, no quote. The pointer is a file anyone with write access
# to published/ could change; an id outside this pattern is refused, never opened.
SNAPSHOT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
SNAPSHOT_SUFFIX = ".duckdb"
DEFAULT_GRACE_SECONDS = 600.0
STORAGE_VERSION = "v1.4.0"


@dataclass(frozen=True)
class PublishedSnapshot:
    snapshot_id: str
    path: Path
    tables: dict[str, int]  # table → row count
    bytes: int
    seconds: float


def mart_names() -> list[str]:
    """The marts to publish: one per SQL file in models/marts (what analysts see)."""
    return sorted(path.stem for path in MARTS_DIR.glob("*.sql"))


def new_snapshot_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


def snapshot_path(paths: DataPaths, snapshot_id: str) -> Path:
    if not SNAPSHOT_ID_PATTERN.fullmatch(snapshot_id):
        raise ValueError("not a snapshot id (letters, digits, '_', '.', '-'; no leading dot)")
    return paths.published / f"{snapshot_id}{SNAPSHOT_SUFFIX}"


def read_current_snapshot_id(paths: DataPaths) -> str | None:
    """The snapshot the pointer names, or None before the first publish."""
    try:
        snapshot_id = paths.current_pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, ValueError):
        snapshot_id = "\0"  # garbage: refused below
    if snapshot_id and not SNAPSHOT_ID_PATTERN.fullmatch(snapshot_id):
        log.error("%s does not name a snapshot; ignoring it", paths.current_pointer)
        return None
    return snapshot_id or None


def current_snapshot_path(paths: DataPaths) -> Path | None:
    snapshot_id = read_current_snapshot_id(paths)
    return snapshot_path(paths, snapshot_id) if snapshot_id else None


def _write_pointer(paths: DataPaths, snapshot_id: str) -> None:
    write_text_atomic(paths.current_pointer, snapshot_id + "\n")


def _copy_tables(
    con: duckdb.DuckDBPyConnection, tables: list[str], build_tables: set[str]
) -> dict[str, int]:
    counts = {}
    for table in tables:
        if table not in build_tables:
            raise RuntimeError(f"mart {table!r} is missing from the build database")
        con.execute(f'create table snapshot.main."{table}" as select * from build.main."{table}"')
        counts[table] = con.execute(f'select count(*) from snapshot.main."{table}"').fetchone()[0]
    return counts


def publish_snapshot(
    paths: DataPaths,
    *,
    data_as_of: datetime | None,
    pipeline_runs: list[dict],
    tables: list[str] | None = None,
    snapshot_id: str | None = None,
) -> PublishedSnapshot:
    """Copy the marts from the build file into a new snapshot and make it current."""
    started = time.perf_counter()
    paths.published.mkdir(parents=True, exist_ok=True)
    snapshot_id = snapshot_id or new_snapshot_id()
    target = snapshot_path(paths, snapshot_id)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    wanted = tables if tables is not None else mart_names()
    try:
        con = duckdb.connect()
        try:
            # An older storage format keeps snapshots readable by analysts' DuckDB CLI 1.4+.
            con.execute(f"attach {_literal(tmp)} as snapshot (storage_version '{STORAGE_VERSION}')")
            con.execute("use snapshot")
            con.execute(f"attach {_literal(paths.build_db)} as build (read_only)")
            build_tables = {
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = 'build' and table_schema = 'main'"
                ).fetchall()
            }
            counts = _copy_tables(con, wanted, build_tables)
            con.execute("detach build")
            _write_metadata(con, snapshot_id, data_as_of, pipeline_runs)
            con.execute("use memory")
            con.execute("detach snapshot")
        finally:
            con.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(paths.published)
        _write_pointer(paths, snapshot_id)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    return PublishedSnapshot(snapshot_id, target, counts, size, time.perf_counter() - started)


def _literal(path: Path) -> str:
    """A path as a SQL string literal (a data dir may contain a quote)."""
    return "'" + str(path).replace("'", "''") + "'"


def _write_metadata(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: str,
    data_as_of: datetime | None,
    pipeline_runs: list[dict],
) -> None:
    con.execute(
        "create table snapshot_info as select ? as snapshot_id, "
        "cast(? as timestamp) as published_at, cast(? as timestamp) as data_as_of",
        [snapshot_id, datetime.now(UTC).replace(tzinfo=None), _naive_utc(data_as_of)],
    )
    con.execute(
        """
        create table pipeline_runs (
            run_id varchar, started_at timestamp, finished_at timestamp, status varchar,
            full_refresh boolean, snapshot_id varchar, new_raw_files integer,
            new_events bigint, visits bigint, seconds double, steps varchar, error varchar
        )
        """
    )
    for run in pipeline_runs:
        con.execute(
            "insert into pipeline_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.get("run_id"),
                _parse_ts(run.get("started_at")),
                _parse_ts(run.get("finished_at")),
                run.get("status"),
                run.get("full_refresh"),
                run.get("snapshot_id"),
                run.get("new_raw_files"),
                run.get("new_events"),
                run.get("visits"),
                run.get("seconds"),
                json.dumps(run.get("steps") or {}),
                run.get("error"),
            ],
        )


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _parse_ts(value: str | None) -> datetime | None:
    return _naive_utc(datetime.fromisoformat(value)) if value else None


def drop_old_snapshots(
    paths: DataPaths, *, grace_seconds: float = DEFAULT_GRACE_SECONDS, keep_none: bool = False
) -> list[str]:
    """Delete snapshots other than the current one once they are older than the grace period.

    Readers that still hold an old snapshot keep working for the grace period; `keep_none`
    drops every non-current snapshot at once (erasure must not leave the person in one).
    """
    current = read_current_snapshot_id(paths)
    removed = []
    now = time.time()
    # Temp files of a publish that was killed (kill -9 skips its clean-up). Callers hold the
    # writer lock, so no publish is writing one right now.
    for leftover in paths.published.glob(f".*{SNAPSHOT_SUFFIX}.tmp*"):
        leftover.unlink(missing_ok=True)
    for path in paths.published.glob(f"*{SNAPSHOT_SUFFIX}"):
        snapshot_id = path.name.removesuffix(SNAPSHOT_SUFFIX)
        if snapshot_id == current:
            continue
        if keep_none or now - path.stat().st_mtime > grace_seconds:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
            removed.append(snapshot_id)
    return removed

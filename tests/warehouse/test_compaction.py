"""Lake compaction on real Parquet: closed days merged, rows unchanged, crashes repaired."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.utils.lake_rows import land, raw_event, raw_order, utc
from warehouse import compaction
from warehouse.compaction import compact_closed_partitions
from warehouse.lake import RAW_EVENT_SCHEMA, RAW_ORDER_SCHEMA, partition_dir, write_parquet_atomic
from warehouse.paths import DataPaths

TODAY = date(2026, 3, 20)
CLOSED = utc(2026, 3, 17, 9)  # older than yesterday: compacted
YESTERDAY = utc(2026, 3, 19, 23)  # the lander may still land here: left alone


def _land_files(paths: DataPaths, at: datetime, files: int, rows: int = 5) -> None:
    """`files` separate landings of `rows` events each, received from `at` on."""
    for number in range(files):
        moment = at + timedelta(minutes=number)
        land(
            paths,
            "events",
            [raw_event(f"v{number}-{row}", moment, page=f"/p/{row}") for row in range(rows)],
        )


def _files(paths: DataPaths, dataset: str, at: datetime) -> list[Path]:
    return sorted(partition_dir(paths.raw(dataset), at.date()).glob("*.parquet"))


def _rows(files: list[Path]) -> list[dict]:
    """Every row of `files`, in file-name order then row order."""
    return [row for path in files for row in pq.ParquetFile(path).read().to_pylist()]


def test_compact_merges_closed_partitions_and_keeps_every_row(data_dir: DataPaths) -> None:
    _land_files(data_dir, CLOSED, files=40)
    _land_files(data_dir, YESTERDAY, files=40)
    _land_files(data_dir, CLOSED + timedelta(days=1), files=5)  # too few to bother
    before = _rows(_files(data_dir, "events", CLOSED))

    result = compact_closed_partitions(data_dir, min_files=32, today=TODAY)

    merged = _files(data_dir, "events", CLOSED)
    assert len(merged) == 1
    assert _rows(merged) == before  # same rows, same values, arrival order kept
    assert pq.read_schema(merged[0]).remove_metadata() == RAW_EVENT_SCHEMA
    assert len(_files(data_dir, "events", YESTERDAY)) == 40
    assert len(_files(data_dir, "events", CLOSED + timedelta(days=1))) == 5
    assert (result.partitions, result.files_merged, result.files_written) == (1, 40, 1)
    assert result.rows == 200 and result.interrupted_finished == 0
    assert not (data_dir.state / compaction.JOURNAL_NAME).exists()
    again = compact_closed_partitions(data_dir, min_files=32, today=TODAY)
    assert again.partitions == 0 and _rows(_files(data_dir, "events", CLOSED)) == before


def test_compact_orders_keeps_items_and_money_exact(data_dir: DataPaths) -> None:
    for number in range(3):
        land(data_dir, "orders", [raw_order(f"o{number}", "v1", "c1", CLOSED)])
    before = _rows(_files(data_dir, "orders", CLOSED))

    compact_closed_partitions(data_dir, min_files=2, today=TODAY)

    merged = _files(data_dir, "orders", CLOSED)
    assert len(merged) == 1 and _rows(merged) == before
    assert pq.read_schema(merged[0]).remove_metadata() == RAW_ORDER_SCHEMA


def test_compact_splits_at_max_rows_without_splitting_a_file(data_dir: DataPaths) -> None:
    _land_files(data_dir, CLOSED, files=40, rows=25)  # 1,000 rows
    before = _rows(_files(data_dir, "events", CLOSED))

    result = compact_closed_partitions(data_dir, min_files=32, max_rows=300, today=TODAY)

    merged = _files(data_dir, "events", CLOSED)
    sizes = [pq.read_metadata(path).num_rows for path in merged]
    assert sizes == [300, 300, 300, 100]  # 12 whole files of 25 rows each, then the rest
    assert result.files_written == 4
    assert _rows(merged) == before


def test_compact_fills_a_column_older_files_lack_with_nulls(data_dir: DataPaths) -> None:
    _land_files(data_dir, CLOSED, files=3)
    older = pa.table({"event_id": ["old-1"], "visitor_id": ["v-old"], "received_at": [CLOSED]})
    older = older.cast(pa.schema([RAW_EVENT_SCHEMA.field(name) for name in older.column_names]))
    write_parquet_atomic(older, partition_dir(data_dir.raw("events"), CLOSED.date()) / "0.parquet")

    compact_closed_partitions(data_dir, min_files=2, today=TODAY)

    (merged,) = _files(data_dir, "events", CLOSED)
    rows = pq.ParquetFile(merged).read().to_pylist()
    assert len(rows) == 16
    assert rows[0]["event_id"] == "old-1" and rows[0]["page"] is None
    assert pq.read_schema(merged).remove_metadata() == RAW_EVENT_SCHEMA


def test_interrupted_compaction_is_undone_when_an_output_is_missing(
    data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land_files(data_dir, CLOSED, files=40, rows=25)
    before = _rows(_files(data_dir, "events", CLOSED))
    real_merge = compaction._merge
    calls = []

    def crash_on_second_output(sources: list[Path], target: Path, base: pa.Schema) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("simulated crash while writing")
        real_merge(sources, target, base)

    monkeypatch.setattr(compaction, "_merge", crash_on_second_output)
    with pytest.raises(OSError, match="simulated crash"):
        compact_closed_partitions(data_dir, min_files=32, max_rows=300, today=TODAY)
    assert (data_dir.state / compaction.JOURNAL_NAME).exists()
    assert len(_files(data_dir, "events", CLOSED)) == 41  # every source and one output

    monkeypatch.setattr(compaction, "_merge", real_merge)
    assert compaction.finish_interrupted_compaction(data_dir)
    assert _rows(_files(data_dir, "events", CLOSED)) == before  # the sources, once each
    assert not (data_dir.state / compaction.JOURNAL_NAME).exists()

    result = compact_closed_partitions(data_dir, min_files=32, max_rows=300, today=TODAY)
    assert result.files_written == 4 and _rows(_files(data_dir, "events", CLOSED)) == before


def test_interrupted_compaction_is_finished_when_every_output_exists(
    data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land_files(data_dir, CLOSED, files=40)
    before = _rows(_files(data_dir, "events", CLOSED))
    real_delete = compaction._delete

    def crash_after_some_deletes(partition: Path, names: list[str]) -> None:
        real_delete(partition, names[:10])
        raise OSError("simulated crash while deleting")

    monkeypatch.setattr(compaction, "_delete", crash_after_some_deletes)
    with pytest.raises(OSError, match="simulated crash"):
        compact_closed_partitions(data_dir, min_files=32, today=TODAY)
    assert len(_files(data_dir, "events", CLOSED)) == 31  # 30 sources left + the output

    monkeypatch.setattr(compaction, "_delete", real_delete)
    result = compact_closed_partitions(data_dir, min_files=32, today=TODAY)

    assert result.interrupted_finished == 1
    merged = _files(data_dir, "events", CLOSED)
    assert len(merged) == 1 and _rows(merged) == before


def test_compaction_finishes_an_interrupted_privacy_rewrite_first(data_dir: DataPaths) -> None:
    """A rewrite that crashed between writing `<stem>.r1` and unlinking `<stem>` must not have
    the erased rows of `<stem>` merged back."""
    _land_files(data_dir, CLOSED, files=3)
    (first, *_) = _files(data_dir, "events", CLOSED)
    table = pq.ParquetFile(first).read()
    kept = table.slice(1)  # the privacy job removed the first row
    write_parquet_atomic(kept, first.with_name(first.name.replace(".parquet", ".r1.parquet")))
    erased_id = table.column("event_id")[0].as_py()

    compact_closed_partitions(data_dir, min_files=2, today=TODAY)

    (merged,) = _files(data_dir, "events", CLOSED)
    ids = pq.ParquetFile(merged).read().column("event_id").to_pylist()
    assert erased_id not in ids and len(ids) == 14


def test_unreadable_journal_names_the_file(data_dir: DataPaths) -> None:
    journal = data_dir.state / compaction.JOURNAL_NAME
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("{not json")
    with pytest.raises(RuntimeError, match="lake-compaction.json: unreadable"):
        compact_closed_partitions(data_dir, today=TODAY)

"""The enrichment step: new raw event files in, enriched Parquet files out, safely re-runnable.

Each raw file `raw/events/date=D/<id>.parquet` gets exactly one enriched file with the
same relative path under `enriched/events/`, written atomically; only then is the raw
file recorded in the manifest (with its size and mtime). So:
- re-running does nothing (every raw file is recorded);
- a crash after writing but before recording redoes that file, overwriting the same
  name — never a duplicate; a crash mid-write leaves only a hidden temp file, removed
  on the next run;
- a raw file a privacy job rewrote under a new name is simply new; its old name is gone,
  so the old enriched file is an orphan and is deleted (likewise after retention).
Files are processed in batches of about `batch_rows` events to bound memory; within a
batch each distinct UA and IP prefix is looked up once, and the parsers' caches carry
over to the next batch (and the next run in the same process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.enrich.events import Enrichers, enrich_events
from warehouse.enrich.geo import GeoResolver
from warehouse.enrich.geoip_database import describe_geoip_database, geoip_database_path
from warehouse.enrich.manifest import Manifest, ManifestEntry
from warehouse.enrich.prune import enrich_lock, load_manifest, prune
from warehouse.enrich.seeds import SEEDS_DIR, load_seeds
from warehouse.enrich.user_agent import UserAgentResolver
from warehouse.lake import (
    ENRICHED_EVENT_SCHEMA,
    RAW_EVENT_SCHEMA,
    lake_files,
    write_parquet_atomic,
)
from warehouse.paths import DataPaths
from warehouse.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 500_000
WRITER_THREADS = 2
_RAW_POLARS_SCHEMA = pl.from_arrow(RAW_EVENT_SCHEMA.empty_table()).schema

Progress = Callable[[int, int], None]
"""Called after each batch with (raw files handled so far, raw files to handle)."""


class EnrichError(RuntimeError):
    """A raw file cannot be enriched (unreadable or not an event file); names the file."""


@dataclass(frozen=True)
class EnrichResult:
    """What one `enrich_new_raw_files` run did (JSON-friendly: the run log stores it)."""

    files: int  # raw files enriched (enriched file written + recorded) by this run
    rows: int  # events written
    up_to_date: int  # raw files already enriched, left alone
    vanished: int  # raw files deleted between listing and reading (skipped)
    orphans_removed: int  # enriched files deleted because their raw file is gone
    temp_files_removed: int  # leftovers of an interrupted write, deleted
    stale_seed_files: int  # enriched with other seed files; full_refresh=True redoes them
    batches: int
    user_agents_distinct: int  # distinct UA strings seen, summed over batches
    user_agents_parsed: int  # of those, parsed by the library (not in the cache)
    ip_prefixes_distinct: int
    ip_lookups: int
    seconds: float
    geoip_database: str


@dataclass(frozen=True)
class _RawFile:
    path: Path
    rel: str
    size: int
    mtime_ns: int
    rows: int


class _Resolvers:
    """The process's parsers, kept between runs so their caches keep paying off."""

    user_agents: UserAgentResolver | None = None
    geo: GeoResolver | None = None
    geo_key: str = ""


def _shared_user_agent_resolver() -> UserAgentResolver:
    if _Resolvers.user_agents is None:
        _Resolvers.user_agents = UserAgentResolver()
    return _Resolvers.user_agents


def _shared_geo_resolver() -> GeoResolver:
    """One resolver per GeoIP file version; a replaced or re-configured file gets a new one."""
    path = geoip_database_path()
    stat = path.stat()
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    if _Resolvers.geo is None or _Resolvers.geo_key != key:
        if _Resolvers.geo is not None:
            _Resolvers.geo.close()
        _Resolvers.geo, _Resolvers.geo_key = GeoResolver(path), key
    return _Resolvers.geo


def _pending(
    paths: DataPaths, manifest: Manifest, full_refresh: bool, seeds: str
) -> tuple[list[_RawFile], int, int, int]:
    raw_dir, enriched_dir = paths.raw("events"), paths.enriched_events
    pending: list[_RawFile] = []
    done = vanished = stale = 0
    for path in lake_files(raw_dir):
        rel = path.relative_to(raw_dir).as_posix()
        try:
            stat = path.stat()
        except FileNotFoundError:
            vanished += 1
            continue
        if (
            not full_refresh
            and manifest.is_done(rel, stat.st_size, stat.st_mtime_ns)
            and (enriched_dir / rel).exists()
        ):
            done += 1
            stale += manifest.entries[rel].seeds != seeds
            continue
        try:
            rows = pq.read_metadata(path).num_rows
        except FileNotFoundError:
            vanished += 1
            continue
        except (OSError, pa.ArrowException) as exc:
            raise EnrichError(f"cannot read raw event file {path}: {exc}") from None
        pending.append(_RawFile(path, rel, stat.st_size, stat.st_mtime_ns, rows))
    return pending, done, vanished, stale


def _batches(files: list[_RawFile], batch_rows: int) -> Iterator[list[_RawFile]]:
    batch: list[_RawFile] = []
    rows = 0
    for raw in files:
        if batch and rows + raw.rows > batch_rows:
            yield batch
            batch, rows = [], 0
        batch.append(raw)
        rows += raw.rows
    if batch:
        yield batch


def _read_raw(raw: _RawFile) -> pl.DataFrame | None:
    """The file's rows in the raw schema (missing columns as nulls); None if it vanished."""
    try:
        frame = pl.read_parquet(raw.path, hive_partitioning=False)
    except FileNotFoundError:
        return None
    except Exception as exc:  # polars raises its own error types for bad files
        raise EnrichError(f"cannot read raw event file {raw.path}: {exc}") from None
    if "user_agent" not in frame.columns or "received_at" not in frame.columns:
        raise EnrichError(f"{raw.path} is not a raw event file (no user_agent/received_at)")
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in _RAW_POLARS_SCHEMA.items()
    )


@dataclass
class _BatchInFlight:
    """A batch whose enriched files are being written by the writer threads."""

    entries: list[ManifestEntry]
    writes: list[Future[Path]]
    rows: int
    vanished: int
    files: int


def _enrich_batch(
    batch: list[_RawFile],
    enrichers: Enrichers,
    paths: DataPaths,
    seeds: str,
    writer: ThreadPoolExecutor,
) -> _BatchInFlight:
    """Read and enrich one batch, and hand its files to the writer threads."""
    frames: list[pl.DataFrame] = []
    kept: list[tuple[_RawFile, int]] = []
    for raw in batch:
        frame = _read_raw(raw)
        if frame is not None:
            frames.append(frame)
            kept.append((raw, frame.height))
    if not frames:
        return _BatchInFlight([], [], 0, len(batch), len(batch))
    raw_rows = pl.concat(frames, how="vertical", rechunk=False)
    del frames
    enriched = enrich_events(raw_rows.lazy(), enrichers).collect()
    if enriched.height != raw_rows.height:
        raise EnrichError(
            f"enrichment changed the row count ({raw_rows.height} -> {enriched.height})"
        )
    del raw_rows
    entries: list[ManifestEntry] = []
    writes: list[Future[Path]] = []
    offset = 0
    for raw, rows in kept:
        # Large strings convert to the schema's strings by narrowing offsets, no copy of
        # the characters (string views would be copied).
        part = enriched.slice(offset, rows).to_arrow(compat_level=pl.CompatLevel.oldest())
        target = paths.enriched_events / raw.rel
        writes.append(writer.submit(write_parquet_atomic, part.cast(ENRICHED_EVENT_SCHEMA), target))
        entries.append(ManifestEntry(raw.rel, raw.size, raw.mtime_ns, rows, seeds))
        offset += rows
    return _BatchInFlight(entries, writes, offset, len(batch) - len(kept), len(batch))


def enrich_new_raw_files(
    paths: DataPaths,
    *,
    progress: Progress | None = None,
    full_refresh: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    seeds_dir: Path = SEEDS_DIR,
    user_agent_resolver: UserAgentResolver | None = None,
) -> EnrichResult:
    """Enrich every raw event file not enriched yet; prune enriched files whose raw file is gone.

    Idempotent and crash-safe (see the module docstring). `full_refresh` re-enriches every
    raw file (after editing seeds/bot_markers.csv, say). `user_agent_resolver` defaults to
    one shared by the process, so its cache survives between runs.
    """
    started = time.perf_counter()
    geoip = describe_geoip_database()
    log.info("enrich: GeoIP database %s", geoip)
    seeds = load_seeds(seeds_dir)
    agents = user_agent_resolver or _shared_user_agent_resolver()
    geo = _shared_geo_resolver()
    enrichers = Enrichers(
        user_agents=agents,
        geo=geo,
        bot_markers=seeds.bot_markers,
        referrer_sources=seeds.referrer_sources,
        shop_hosts=tuple(get_settings().shop_hosts),
    )
    agents_before = (agents.resolved, agents.parsed)
    geo_before = (geo.resolved, geo.lookups)
    with enrich_lock(paths):
        manifest = load_manifest(paths)
        pruned = prune(paths, manifest)
        pending, up_to_date, vanished, stale = _pending(
            paths, manifest, full_refresh, seeds.fingerprint
        )
        files = rows = handled = batches = 0

        def finish(done: _BatchInFlight) -> None:
            nonlocal files, rows, vanished, handled, batches
            for write in done.writes:
                write.result()  # re-raises a failed write: nothing of the batch is recorded
            manifest.record(done.entries)
            files += len(done.entries)
            rows += done.rows
            vanished += done.vanished
            handled += done.files
            batches += 1
            if progress is not None:
                progress(handled, len(pending))

        # Batch n+1 is read and enriched while batch n's files are written (Parquet
        # encoding and polars both release the GIL); a batch is recorded in the manifest
        # only once all its files are durably in place.
        with ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="enrich-write") as writer:
            in_flight: _BatchInFlight | None = None
            for batch in _batches(pending, max(1, batch_rows)):
                current = _enrich_batch(batch, enrichers, paths, seeds.fingerprint, writer)
                if in_flight is not None:
                    finish(in_flight)
                in_flight = current
            if in_flight is not None:
                finish(in_flight)
        # Raw files erased while this run worked must not keep their enriched copies.
        pruned_after = prune(paths, manifest)
    result = EnrichResult(
        files=files,
        rows=rows,
        up_to_date=up_to_date,
        vanished=vanished,
        orphans_removed=pruned.orphans_removed + pruned_after.orphans_removed,
        temp_files_removed=pruned.temp_files_removed + pruned_after.temp_files_removed,
        stale_seed_files=stale,
        batches=batches,
        user_agents_distinct=agents.resolved - agents_before[0],
        user_agents_parsed=agents.parsed - agents_before[1],
        ip_prefixes_distinct=geo.resolved - geo_before[0],
        ip_lookups=geo.lookups - geo_before[1],
        seconds=round(time.perf_counter() - started, 3),
        geoip_database=geoip,
    )
    log.info(
        "enrich: %d file(s), %d event(s) in %.1f s; %d up to date, %d orphan(s) removed",
        result.files,
        result.rows,
        result.seconds,
        result.up_to_date,
        result.orphans_removed,
    )
    if stale:
        log.warning(
            "enrich: %d file(s) were enriched with older seed files; "
            "run with full_refresh to apply the current seeds to them",
            stale,
        )
    return result

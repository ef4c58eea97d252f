"""Removing what enrichment must not keep: enriched files whose raw file is gone, temp files.

A raw file disappears when retention deletes it, or when a privacy job rewrites it under
a new name without a person's rows; its enriched copy must go too, or erased rows would
live on in the enriched lake. Also here: the lock that keeps one enrichment (or prune)
per data directory at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warehouse.enrich.manifest import MANIFEST_FILE, Manifest
from warehouse.lake import PARTITION_COLUMN, fsync_dir, lake_files
from warehouse.paths import DataPaths

log = logging.getLogger(__name__)

LOCK_FILE = "enrich.lock"


@dataclass(frozen=True)
class PruneResult:
    """What `prune_orphaned_enriched` removed."""

    orphans_removed: int
    temp_files_removed: int
    entries_forgotten: int


@contextlib.contextmanager
def enrich_lock(paths: DataPaths) -> Iterator[None]:
    """One enrichment at a time per data dir (an fcntl lock dies with its process)."""
    paths.state.mkdir(parents=True, exist_ok=True)
    with open(paths.state / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def load_manifest(paths: DataPaths) -> Manifest:
    return Manifest.load(paths.state / MANIFEST_FILE)


def prune(paths: DataPaths, manifest: Manifest) -> PruneResult:
    """`prune_orphaned_enriched` for a caller that holds the lock and the manifest."""
    raw_dir, enriched_dir = paths.raw("events"), paths.enriched_events
    temp_files = orphans = 0
    touched: set[Path] = set()
    for temp in enriched_dir.glob(f"{PARTITION_COLUMN}=*/.*.tmp"):
        temp.unlink(missing_ok=True)
        touched.add(temp.parent)
        temp_files += 1
    for enriched in lake_files(enriched_dir):
        rel = enriched.relative_to(enriched_dir)
        if not (raw_dir / rel).exists():
            enriched.unlink(missing_ok=True)
            touched.add(enriched.parent)
            orphans += 1
    for directory in touched:
        if directory.exists() and not any(directory.iterdir()):
            directory.rmdir()
            fsync_dir(directory.parent)
        elif directory.exists():
            fsync_dir(directory)
    gone = [raw for raw in manifest.entries if not (raw_dir / raw).exists()]
    manifest.forget(gone)
    manifest.compact_if_needed()
    if orphans or temp_files or gone:
        log.info(
            "enrich: removed %d orphaned enriched file(s), %d temp file(s); forgot %d raw file(s)",
            orphans,
            temp_files,
            len(gone),
        )
    return PruneResult(orphans, temp_files, len(gone))


def prune_orphaned_enriched(paths: DataPaths) -> PruneResult:
    """Delete enriched files whose raw file is gone (erasure, retention, rewrite) and temp files.

    `enrich_new_raw_files` does this itself before and after enriching; privacy jobs can
    call it right after deleting raw files so erased rows leave the enriched lake at once.
    """
    with enrich_lock(paths):
        return prune(paths, load_manifest(paths))

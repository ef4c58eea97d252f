"""Steps the `retention` and `erase` flows share: repair the lake first, rebuild after.

Kept apart from the flows (one flow per module). None of these steps takes or returns
a person's identifiers: Prefect records task and flow runs, and they must stay clean.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from warehouse.enrich import prune_orphaned_enriched
from warehouse.paths import DataPaths
from warehouse.privacy.pending import clear_rebuild_pending, rebuild_pending
from warehouse.privacy.rewrite import finish_interrupted_rewrites
from warehouse.publish import drop_old_snapshots, read_current_snapshot_id
from warehouse.runlog import writer_lock


@contextlib.contextmanager
def step(steps: dict[str, float], name: str) -> Iterator[None]:
    """Log a step's start and duration (the operator's progress lines) and record it."""
    logger = get_run_logger()
    logger.info("step %s: started", name)
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        logger.error(
            "step %s: failed after %.1f s (%s)",
            name,
            time.perf_counter() - started,
            type(exc).__name__,
        )
        raise
    steps[name] = round(time.perf_counter() - started, 3)
    logger.info("step %s: done in %.1f s", name, steps[name])


def timed_step(steps: dict[str, float], name: str, call: Callable[..., Any], *args: Any) -> Any:
    """Run one step under `step`; returns what it returned."""
    with step(steps, name):
        return call(*args)


@task(cache_policy=NO_CACHE)
def repair_lake(paths: DataPaths) -> dict[str, int]:
    """Finish rewrites a crash interrupted and drop enriched files whose raw file is gone."""
    finished = finish_interrupted_rewrites(paths)
    pruned = prune_orphaned_enriched(paths)
    if finished:
        get_run_logger().warning(
            "finished %d interrupted partition rewrite(s) from an earlier crash", len(finished)
        )
    return {
        "interrupted_rewrites_finished": len(finished),
        "orphaned_enriched_removed": pruned.orphans_removed,
    }


class RebuildCheckError(RuntimeError):
    """The rebuilt warehouse still holds data the privacy job removed from the lake."""


def rebuild_marts(
    paths: DataPaths,
    wait_seconds: float,
    check: Callable[[], dict[str, int]] | None = None,
) -> dict[str, Any]:
    """Full-refresh the marts from the changed lake, then settle the pending marker.

    Allows marts to shrink (removing data is the point). When the change was an erasure,
    every non-current snapshot is dropped at once: none may still hold the person.
    `check` returns what is still found (table → rows); anything found fails the run and
    leaves the marker set, so the next privacy run rebuilds again.
    """
    from flows.pipeline import pipeline  # a subflow: its own run record and writer lock

    pending = rebuild_pending(paths) or {}
    run = pipeline(full_refresh=True, allow_shrink=True, wait_seconds=wait_seconds)
    dropped: list[str] = []
    with writer_lock(paths, wait_seconds):
        if pending.get("drop_snapshots"):
            dropped = drop_old_snapshots(paths, keep_none=True)
        leftovers = check() if check else {}
        if leftovers:
            raise RebuildCheckError(
                "rebuilt warehouse still holds removed rows in: " + ", ".join(sorted(leftovers))
            )
        clear_rebuild_pending(paths)
    get_run_logger().info(
        "rebuilt marts into snapshot %s; dropped %d older snapshot(s)",
        read_current_snapshot_id(paths),
        len(dropped),
    )
    return {"snapshot_id": run.get("snapshot_id"), "snapshots_dropped": len(dropped)}

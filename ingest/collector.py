"""The collector's runtime: one object per process holding the spool writer, the lander
thread, the rate limiter and the cookieless-id state.

Kept apart from the FastAPI wiring so the CLI can open it (take the spool lock,
recover crash leftovers) before the server binds its port, and report a problem as
a clear message instead of a traceback from inside the server's start-up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from ingest.lander import LanderThread, spool_backlog
from ingest.privacy import ClientAddress, CookielessIds, SaltStore, parse_networks
from ingest.ratelimit import RateLimiter
from ingest.spool import Spool
from warehouse.paths import DataPaths, data_paths
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)


class Collector:
    """Spool + lander + door policy for one data directory."""

    def __init__(
        self,
        settings: Settings | None = None,
        paths: DataPaths | None = None,
        *,
        run_lander: bool = True,
        spool_write: Callable[[int, memoryview], int] = os.write,
        spool_sync: Callable[[int], None] = os.fdatasync,
    ) -> None:
        self.settings = settings or get_settings()
        self.paths = paths or data_paths()
        self.lander = LanderThread(self.paths) if run_lander else None
        self.spool = Spool(
            self.paths.spool,
            segment_seconds=self.settings.spool_segment_seconds,
            segment_bytes=self.settings.spool_segment_bytes,
            on_seal=self.lander.notify if self.lander else None,
            write=spool_write,
            sync=spool_sync,
        )
        self.client_address = ClientAddress(parse_networks(self.settings.trusted_proxies))
        self.limiter = RateLimiter(
            self.settings.rate_limit_per_second, self.settings.rate_limit_burst
        )
        self.cookieless = CookielessIds(
            SaltStore(self.paths.state / "salts"), self.settings.session_timeout_minutes * 60.0
        )
        self.started = False
        self.started_at = 0.0

    def start(self) -> None:
        """Take the spool, seal what a crash left open, start the writer and the lander.

        Raises ingest.spool.SpoolError (with a message naming the directory) if the
        spool is unusable or owned by another collector.
        """
        if self.started:
            return
        self.spool.start()
        if self.lander is not None:
            self.lander.start()
            self.lander.notify()  # land the recovered segments right away
        self.started = True
        self.started_at = time.time()

    def stop(self) -> None:
        """Seal the active segment and land everything sealed before exiting."""
        if not self.started:
            return
        self.spool.close()
        if self.lander is not None:
            self.lander.stop(final_pass=True)
        self.started = False

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, report): unhealthy when the spool cannot currently make data durable."""
        stats = self.spool.stats
        failing = stats.last_error_at is not None and (
            stats.last_ok_at is None or stats.last_error_at > stats.last_ok_at
        )
        healthy = self.spool.running and not failing
        backlog = spool_backlog(self.paths)
        report: dict[str, Any] = {
            "status": "ok" if healthy else "unavailable",
            "spool": {
                "writer_running": self.spool.running,
                "segments": backlog["segments"],
                "bytes": backlog["bytes"],
                "records_written": stats.records_written,
                "syncs": stats.syncs,
                "last_error": stats.last_error if failing else None,
            },
            "lander": {
                "lag_seconds": backlog["lander_lag_seconds"],
                "running": self.lander is not None,
            },
        }
        if self.lander is not None:
            status = self.lander.status
            report["lander"].update(
                last_run_at=status.last_run_at,
                last_error=status.last_error,
                segments_landed=status.segments_landed,
                rows_landed=status.rows_landed,
            )
        return healthy, report

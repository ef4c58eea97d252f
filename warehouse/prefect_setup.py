"""Prefect's process environment for footfall: offline, quiet, state under the data dir.

Prefect reads its settings from the environment when it is imported, so commands call
`configure_prefect()` before they import any flow module.
"""

from __future__ import annotations

import os

from warehouse.paths import DataPaths

# How long to wait for a Prefect server to start: ~30 s on an idle 2-core machine, but a
# start under heavy load once took over 150 s (a server that exits is reported at once).
STARTUP_TIMEOUT_SECONDS = 300

OFFLINE_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(STARTUP_TIMEOUT_SECONDS),
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}


def configure_prefect(paths: DataPaths, **overrides: str) -> None:
    """Set Prefect's offline defaults (an operator's own values win) and its home dir."""
    os.environ.setdefault("PREFECT_HOME", str(paths.root / "prefect"))
    for name, value in {**OFFLINE_DEFAULTS, **overrides}.items():
        os.environ.setdefault(name, value)

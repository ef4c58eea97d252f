"""What the benchmark ran on: CPU, cores, RAM, library versions and the load average.

Figures from different machines (or from this one under other load) are not comparable,
so every result carries the machine it came from. The load average is read at the start
and end of a run: this machine is shared, and a high load explains slow absolute
figures (the ratios against baselines measured in the same run hold up better).
"""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any


def vm_hwm_mib(pid: int | str = "self") -> float | None:
    """A live process's peak RSS (VmHWM) in MiB, from /proc; None if unavailable.

    Unlike `ru_maxrss`, VmHWM starts afresh at exec: a child forked from a large process
    (a pytest worker, say) reports its own peak, not its parent's size at fork.
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "polars", "pyarrow", "fastapi", "uvicorn")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_ram_gib() -> float:
    """Physical memory in GiB (sysconf; 0 when the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 0.0


def package_versions() -> dict[str, str]:
    """Installed versions of the libraries the figures depend on ("missing" if absent)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def describe_machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python and library versions, as one flat dict."""
    return {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count() or 0,
        "ram_gib": round(total_ram_gib(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **{f"{name}_version": version for name, version in package_versions().items()},
    }

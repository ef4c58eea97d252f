"""Run one benchmark stage in a fresh child process and report its figures and peak memory.

Why a child per stage: the peak RSS a process reaches never goes down, so stages run in
one process would each report the largest so far. A fresh interpreter per stage gives
each its own peak: the larger of the child's own `ru_maxrss` and that of the processes it
started and waited for (uvicorn), read with `getrusage(RUSAGE_CHILDREN)`, and of the dbt
builds it forked from its dbt fork server (which report their own peak) — the largest
single process of the stage, not a sum.

A stage is a function `name(root: str, **kwargs) -> dict` in `STAGES` below; it runs with
`FOOTFALL_DATA_DIR` pointing at the benchmark's own data directory, never the user's.

    python -m benchmarks.child STAGE ROOT ARGS_JSON RESULT_PATH   (used by run_stage)
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import vm_hwm_mib

REPO = Path(__file__).resolve().parents[1]

# stage name → "module:function"; imported only in the child.
STAGES = {
    "generate": "benchmarks.dataset:generate_stage",
    "release_new_day": "benchmarks.dataset:release_new_day_stage",
    "enrich": "benchmarks.dataset:enrich_stage",
    "enrich_speedup": "benchmarks.dataset:enrich_speedup_stage",
    "enrich_speedup_realistic": "benchmarks.dataset:enrich_speedup_realistic_stage",
    "naive_upsert": "benchmarks.baseline_upsert:naive_upsert_stage",
    "dbt_parse": "benchmarks.dbt:parse_stage",
    "dbt_build": "benchmarks.dbt:build_stage",
    "sessionization_floor": "benchmarks.dbt:floor_stage",
    "publish": "benchmarks.serving:publish_stage",
    "publish_loop": "benchmarks.serving:publish_loop_stage",
    "api": "benchmarks.serving:api_stage",
    "collector": "benchmarks.serving:collector_stage",
}


class StageError(RuntimeError):
    """A stage's child process failed; the message carries the end of its output."""


def child_environment(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment, pointed at the benchmark data dir, offline and quiet."""
    env = dict(os.environ)
    env.update(
        {
            "FOOTFALL_DATA_DIR": str(root),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra or {})
    return env


def start_stage(
    stage: str, root: Path, *, result_path: Path, log_path: Path, **kwargs: Any
) -> subprocess.Popen[bytes]:
    """Start a stage without waiting (for background load such as a publish loop)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [
                sys.executable, "-m", "benchmarks.child",
                stage, str(root), json.dumps(kwargs), str(result_path),
            ],
            cwd=REPO,
            env=child_environment(root),
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def read_result(stage: str, process: subprocess.Popen[bytes], result_path: Path, log: Path) -> dict:
    """Wait for a started stage and return its result dict (StageError if it failed)."""
    returncode = process.wait()
    if returncode != 0 or not result_path.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise StageError(
            f"stage {stage} failed (exit {returncode}); last lines of {log}:\n"
            + "\n".join(f"  {line}" for line in tail)
        )
    return json.loads(result_path.read_text(encoding="utf-8"))


def run_stage(stage: str, root: Path, work: Path, **kwargs: Any) -> dict:
    """Run `stage` in a child process against the data dir `root`; returns its figures.

    The result has the stage's own figures plus `wall_s` (the child's time inside the
    stage function) and `peak_rss_mib`. Output goes to `work/<stage>.log`.
    """
    work.mkdir(parents=True, exist_ok=True)
    result_path = work / f"{stage}-{time.monotonic_ns()}.json"
    log_path = work / f"{stage}.log"
    process = start_stage(stage, root, result_path=result_path, log_path=log_path, **kwargs)
    try:
        return read_result(stage, process, result_path, log_path)
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise


def peak_rss_mib() -> float:
    """The largest RSS of this process, of any child it has waited for, or of any dbt build
    it forked from its dbt fork server (the server's children, reported by themselves)."""
    own = vm_hwm_mib()  # not ru_maxrss: that one keeps the parent's size across fork+exec
    if own is None:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    forkserver = sys.modules.get("warehouse.dbt_forkserver")
    builds = forkserver.largest_build_rss_mib() if forkserver is not None else 0.0
    return max(own, children, builds)


def _main(argv: list[str]) -> None:
    stage, root, raw_kwargs, result_path = argv
    module_name, function_name = STAGES[stage].split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    load = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    figures = function(root, **json.loads(raw_kwargs))
    figures["load_average_1m_at_start"] = load
    figures["wall_s"] = round(time.perf_counter() - started, 3)
    figures["peak_rss_mib"] = round(peak_rss_mib(), 1)
    target = Path(result_path)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(figures, default=str), encoding="utf-8")
    os.replace(tmp, target)


if __name__ == "__main__":
    _main(sys.argv[1:])

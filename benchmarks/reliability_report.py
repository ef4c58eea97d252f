"""Run the reliability suite and refresh the results table in docs/RELIABILITY.md.

    python -m benchmarks.reliability_report            # CI-default tests, then render
    python -m benchmarks.reliability_report --slow     # the slow variants too
    python -m benchmarks.reliability_report --no-run   # render the last recorded figures

Each test of tests/reliability records what it did and what was lost (nothing, or the test
fails) into test-artifacts/reliability/results.json (tests/reliability/conftest.py); this
command renders that file between the `results:start` and `results:end` markers of the doc,
so the table always shows measured figures and when they were taken.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-artifacts" / "reliability" / "results.json"
DOC = ROOT / "docs" / "RELIABILITY.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"


def run_suite(slow: bool, soak_seconds: int | None) -> int:
    """pytest over tests/reliability; returns its exit code."""
    argv = [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider"]
    if not slow:
        argv += ["-m", "not slow"]
    env = dict(os.environ)
    if soak_seconds is not None:
        env["FOOTFALL_SOAK_SECONDS"] = str(soak_seconds)
    return subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(rows: dict[str, dict]) -> str:
    """The results table (Markdown), CI-default tests first, then the slow ones."""
    lines = [
        "| test | what it did | lost | result | s | run at |",
        "|---|---|---|---|---:|---|",
    ]
    ordered = sorted(rows.items(), key=lambda item: (item[1].get("slow", False), item[0]))
    for nodeid, row in ordered:
        name = nodeid.split("::", 1)[-1]
        module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        title = f"**{_cell(row.get('title', name))}**<br>`{module}::{name}`"
        if row.get("slow"):
            title += " (slow)"
        lines.append(
            "| "
            + " | ".join(
                [
                    title,
                    _cell(row.get("did", "")),
                    _cell(row.get("lost", "")),
                    _cell(row.get("outcome", "?")),
                    _cell(row.get("seconds", "")),
                    _cell(row.get("ran_at", "")),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def update_doc(table: str, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{doc} has no {START} … {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    doc.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")


def main(
    slow: bool = typer.Option(False, "--slow", help="Also run the slow variants (long)."),
    run: bool = typer.Option(True, "--run/--no-run", help="Run the suite before rendering."),
    soak_seconds: int = typer.Option(
        None, "--soak-seconds", help="Length of the slow soak (FOOTFALL_SOAK_SECONDS)."
    ),
) -> None:
    """Run tests/reliability and render its figures into docs/RELIABILITY.md."""
    code = run_suite(slow, soak_seconds) if run else 0
    try:
        rows = json.loads(RESULTS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"no results yet: {RESULTS} (run without --no-run)") from None
    update_doc(render(rows))
    typer.echo(f"{DOC.relative_to(ROOT)}: {len(rows)} rows from {RESULTS.relative_to(ROOT)}")
    raise typer.Exit(code)


if __name__ == "__main__":
    typer.run(main)

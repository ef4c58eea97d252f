"""The dbt models are sqlfluff clean: dbt templater, DuckDB dialect, `.sqlfluff`'s house style.

Run by `make lint-sql` (marker `sqllint`), a CI step of its own after `make test`: ~25 s
alone on a quiet host; inside `make test`'s parallel run it competed for the 2 cores. The
templater compiles the project against a throwaway data directory and target path, so no
real install and no other test's build is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.dbt_runner import PROJECT_DIR


@pytest.mark.slow
@pytest.mark.sqllint
def test_models_are_sqlfluff_clean(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "build").mkdir(parents=True)
    env = {
        **os.environ,
        "FOOTFALL_DATA_DIR": str(data_dir),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "models", "--processes", "1"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        "sqlfluff found problems in models/ (fix them, or `sqlfluff fix models`):\n"
        + result.stdout[-6000:]
        + result.stderr[-2000:]
    )
    assert "All Finished" in result.stdout

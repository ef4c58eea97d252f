# footfall — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.footfall-installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 300

.PHONY: setup setup-browser demo test test-fast reliability lint lint-sql format bench clean

## setup: create .venv and install footfall with its dev tools (quick when nothing changed)
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/pip || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## setup-browser: Debian's chromium for the browser tests (never a downloaded browser)
setup-browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

## demo: generate 30 days of traffic, build, publish and serve the dashboard (Ctrl-C stops)
demo: setup
	$(BIN)/footfall demo

## test: every test, slow and browser ones included (what CI runs), in four workers on the
## 2 cores (most tests wait on servers, subprocesses and timed phases: three workers still
## left ~45 % of the CPU idle), longest files first (tests/conftest.py's list; xdist would
## otherwise put the files with the most tests first); the slow variants at CI sizes
## (`make reliability` runs the reliability ones at full size)
test: setup setup-browser
	FOOTFALL_SOAK_SECONDS=$${FOOTFALL_SOAK_SECONDS:-45} FOOTFALL_CRASH_ROUNDS=$${FOOTFALL_CRASH_ROUNDS:-8} \
	FOOTFALL_MODEL_EXAMPLES=$${FOOTFALL_MODEL_EXAMPLES:-40} FOOTFALL_PUBLISH_SWAPS=$${FOOTFALL_PUBLISH_SWAPS:-40} \
		$(BIN)/python -m pytest -q --durations=40 -n 4 --dist loadfile --no-loadscope-reorder \
			-m "not sqllint"

## reliability: the reliability suite with its slow variants at full size (5-minute soak,
## 25 collector kill rounds); refreshes the results table in docs/RELIABILITY.md
reliability: setup
	$(BIN)/python -m benchmarks.reliability_report --slow

## test-fast: the quick subset while developing
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser"

## bench: measure footfall end to end on 10M events; writes BENCHMARKS.md (`footfall bench --quick`: 1M)
bench: setup
	$(BIN)/footfall bench

## lint-sql: sqlfluff over the dbt models (dbt templater, DuckDB dialect), as a test; a
## separate step of CI (.ci/run) rather than part of `make test`'s parallel run (~25 s alone)
lint-sql: setup
	$(BIN)/python -m pytest -q -m sqllint

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf data target logs .pytest_cache test-artifacts

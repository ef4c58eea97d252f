"""Property-based fuzzing of every read API endpoint from its own OpenAPI document.

Schemathesis derives valid and invalid requests (wrong types, out-of-range numbers, unknown
enum values, huge and odd strings, absurd dates) from `/openapi.json`, sends them to the
app over the built warehouse's snapshot, and checks that the API never answers 5xx, that
it rejects what the schema rules out (4xx), and that it enforces the bearer token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection

from api.main import create_app
from tests.reliability.conftest import Figures
from tests.reliability.procs import READ_TOKEN
from tests.utils.fixtures import BuiltWarehouse
from tests.utils.servers import serve_in_thread
from warehouse.settings import Settings

AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}
EXAMPLES = 40  # per operation and phase; 12 operations

statuses: Counter[int] = Counter()

# The OpenAPI document does not depend on data: build the schema at import (schemathesis's
# fixture-based loader does not work with pytest 9), send the requests to a real server.
SPEC = create_app(Settings(data_dir=Path("/nonexistent"), api_token=[READ_TOKEN])).openapi()
schema = schemathesis.openapi.from_dict(SPEC)


@pytest.fixture(scope="module")
def api_url(built_warehouse: BuiltWarehouse) -> Iterator[str]:
    app = create_app(Settings(data_dir=built_warehouse.paths.root, api_token=[READ_TOKEN]))
    with serve_in_thread(app) as url:
        yield url


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_read_api_never_answers_5xx(case: schemathesis.Case, api_url: str) -> None:
    response = case.call_and_validate(
        base_url=api_url,
        headers=AUTH,
        # negative_data_rejection: a request the schema forbids (a date that is not
        # YYYY-MM-DD, an unknown dimension, a limit out of range) must be refused with a 4xx
        checks=[not_a_server_error, ignored_auth, negative_data_rejection],
    )
    statuses[response.status_code] += 1


def test_fuzz_read_api_summary(figures: Figures) -> None:
    """Records the figures of the fuzzing above (runs after it in file order)."""
    if not statuses:
        pytest.skip("the fuzz test did not run in this session")
    total = sum(statuses.values())
    figures.record(
        title="Fuzzing the read API (schemathesis, from its OpenAPI)",
        did=f"{total} generated requests over every operation: valid and schema-violating "
        "parameters, unknown enum values, odd strings and dates, missing and wrong tokens",
        lost=f"nothing: {sum(n for s, n in statuses.items() if s >= 500)} answers were 5xx; "
        "the token was enforced and every schema-violating request was refused (4xx)",
        statuses=dict(statuses),
    )
    assert not [s for s in statuses if s >= 500]

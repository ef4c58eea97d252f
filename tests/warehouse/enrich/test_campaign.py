"""UTM fields: trimmed, source and medium lower-cased, empty values null."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.warehouse.enrich.conftest import FIXTURES
from warehouse.enrich.campaign import UTM_FIELDS, normalise_campaigns

CASES = json.loads((FIXTURES / "campaigns.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_normalise_campaigns_matches_fixture(case: dict) -> None:
    frame = pl.LazyFrame([case["input"]], schema={name: pl.String for name in UTM_FIELDS})
    row = normalise_campaigns(frame).collect().row(0, named=True)
    assert row == case["expected"]


def test_normalise_campaigns_leaves_other_columns_alone() -> None:
    frame = pl.LazyFrame({"utm_source": [" A "], "page": [" /Cart "]}).with_columns(
        *(pl.lit(None, pl.String).alias(name) for name in UTM_FIELDS[1:])
    )
    row = normalise_campaigns(frame).collect().row(0, named=True)
    assert (row["utm_source"], row["page"]) == ("a", " /Cart ")

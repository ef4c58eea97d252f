"""Evaluate an expensive per-value lookup once per distinct value of a column.

UA strings, IP prefixes and referrers repeat heavily (a batch of 500k events has a few
thousand distinct UAs), so each enrichment resolves `unique()` values and joins the
answers back onto the rows. Doing that inside one expression — rather than as a separate
lazy branch joined to the frame — keeps the query plan a straight line: a branch would
re-run every earlier join of the pipeline (polars cannot prove a left join keeps rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

Lookup = Callable[[pl.Series], pl.DataFrame]
"""Takes the distinct values; returns one row per value, in the same order."""


def lookup_distinct(column: str, lookup: Lookup, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A struct expression: `lookup` applied to the distinct values of `column`, per row.

    Nulls are distinct values too (the lookup decides what a null means). Unnest the
    result to get the `schema` columns.
    """
    key = f"__{column}"

    def apply(values: pl.Series) -> pl.Series:
        distinct = values.unique().alias(key)
        found = lookup(distinct)
        if found.height != distinct.len():
            raise ValueError(
                f"lookup on {column} returned {found.height} rows for {distinct.len()}"
            )
        answers = found.select(list(schema)).with_columns(distinct)
        return (
            values.alias(key)
            .to_frame()
            .join(answers, on=key, how="left", nulls_equal=True, maintain_order="left")
            .drop(key)
            .to_struct(column)
        )

    return pl.col(column).map_batches(apply, return_dtype=pl.Struct(dict(schema)))

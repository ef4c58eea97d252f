"""UTM fields normalised so "Google ", "google" and "GOOGLE" are one source in every report.

All five fields are trimmed and an empty value becomes null; utm_source and utm_medium
are also lower-cased (they feed the channel rules). Campaign, term and content keep their
case: they are free text that analysts read.
"""

from __future__ import annotations

import polars as pl

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_LOWERED = frozenset({"utm_source", "utm_medium"})


def _normalised(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    if name in _LOWERED:
        value = value.str.to_lowercase()
    return pl.when(value.str.len_bytes() > 0).then(value).alias(name)


def normalise_campaigns(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Trim the utm_* columns, lower-case utm_source/utm_medium, empty → null."""
    return frame.with_columns(_normalised(name) for name in UTM_FIELDS)

"""Referrer host, whether it is the shop itself, and whether it is a search engine or social site.

Host: taken from the referrer URL (scheme://[user@]host[:port]/…, or a bare "host/…"
when it contains a dot), lower-cased, trailing dot and a leading "www." removed.

Matching rule for seeds/referrer_sources.csv (the dbt models use the same rule):
- a row whose `host` contains a dot (``bing.com``) matches a referrer host equal to it or
  ending with "." + host (``www.bing.com``, ``cn.bing.com``; not ``notbing.com``);
- a row without a dot (``google``, ``yandex``) matches when any dot-separated label of
  the referrer host equals it (``www.google.co.uk``, ``google.de``, ``news.google.com``);
- when several rows match, the longest `host` wins (the most specific), then file order.

is_internal_referrer: the host, normalised the same way, is one of settings.shop_hosts
(false, not null, when there is no referrer).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from warehouse.enrich.lookup import lookup_distinct

# scheme://, or scheme-relative //, then optional user-info, then the host (IPv6 in []).
_HOST_PATTERN = (
    r"(?i)^\s*(?:[a-z][a-z0-9+.\-]*://|//)?(?:[^@/?#\s]*@)?(\[[^\]/?#\s]*\]|[^:/?#\s@]+)"
)


_FIELDS = {"referrer_host": pl.String, "referrer_kind": pl.String}


def normalise_host(host: str) -> str:
    """Lower-case, no port, no trailing dot, no leading "www." (as applied to referrers)."""
    host = host.strip().lower()
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    return host.rstrip(".").removeprefix("www.")


def _host_expr() -> pl.Expr:
    referrer = pl.col("referrer")
    host = referrer.str.extract(_HOST_PATTERN, 1).str.to_lowercase()
    host = host.str.strip_chars_end(".").str.strip_prefix("www.")
    # Without a scheme, accept only something that looks like a domain: "about:blank" is not.
    looks_like_url = referrer.str.contains("//", literal=True) | host.str.contains(
        ".", literal=True
    )
    return pl.when(looks_like_url & (host.str.len_chars() > 0)).then(host).alias("referrer_host")


def _kind_expr(sources: pl.DataFrame) -> pl.Expr:
    host = pl.col("referrer_host")
    ordered = sources.with_row_index("_order").sort(
        [pl.col("host").str.len_chars(), pl.col("_order")], descending=[True, False]
    )
    kind: pl.Expr = pl.lit(None, dtype=pl.String)
    # Built from the least specific rule up, so the most specific one is tested first.
    for rule, rule_kind in reversed(list(zip(ordered["host"], ordered["kind"], strict=True))):
        if "." in rule:
            matches = (host == rule) | host.str.ends_with("." + rule)
        else:
            matches = (pl.lit(".") + host + pl.lit(".")).str.contains(f".{rule}.", literal=True)
        kind = pl.when(matches).then(pl.lit(rule_kind)).otherwise(kind)
    return kind.alias("referrer_kind")


def parse_referrers(
    frame: pl.LazyFrame, sources: pl.DataFrame, shop_hosts: Sequence[str] = ()
) -> pl.LazyFrame:
    """Add referrer_host, is_internal_referrer and referrer_kind (search | social | null).

    `sources` is seeds/referrer_sources.csv (host, kind, …). Hosts are parsed once per
    distinct referrer and the kind rules run once per distinct host.
    """
    shop = sorted({normalise_host(host) for host in shop_hosts if host.strip()})
    kind = _kind_expr(sources)

    def classify(distinct: pl.Series) -> pl.DataFrame:
        hosts = distinct.rename("referrer").to_frame().select(_host_expr())
        kinds = hosts.unique().drop_nulls().with_columns(kind)
        return hosts.join(kinds, on="referrer_host", how="left", maintain_order="left")

    return (
        frame.with_columns(lookup_distinct("referrer", classify, _FIELDS).alias("_referrer"))
        .unnest("_referrer")
        .with_columns(is_internal_referrer=pl.col("referrer_host").is_in(shop).fill_null(False))
    )

"""Raw events → enriched events: the enrichment modules composed with `.pipe()`, no I/O.

The result has exactly the columns of `warehouse.lake.ENRICHED_EVENT_SCHEMA`, in order,
and the input's rows in the input's order (the step slices a batch back into files by
row offsets, so order matters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from warehouse.enrich.campaign import normalise_campaigns
from warehouse.enrich.geo import GeoResolver, geolocate
from warehouse.enrich.referrer import parse_referrers
from warehouse.enrich.user_agent import UserAgentResolver, parse_user_agents
from warehouse.lake import ENRICHED_EVENT_SCHEMA

ENRICHED_COLUMNS = tuple(ENRICHED_EVENT_SCHEMA.names)


@dataclass(frozen=True)
class Enrichers:
    """Everything enrichment looks things up in: parsers, GeoIP, seeds, settings."""

    user_agents: UserAgentResolver
    geo: GeoResolver
    bot_markers: Sequence[str]
    referrer_sources: pl.DataFrame
    shop_hosts: Sequence[str] = ()


def enrich_events(frame: pl.LazyFrame, enrichers: Enrichers) -> pl.LazyFrame:
    """Add device, browser, OS, bot flag, place, referrer and normalised UTM columns."""
    return (
        frame.pipe(normalise_campaigns)
        .pipe(parse_user_agents, enrichers.user_agents, enrichers.bot_markers)
        .pipe(geolocate, enrichers.geo)
        .pipe(parse_referrers, enrichers.referrer_sources, enrichers.shop_hosts)
        .select(ENRICHED_COLUMNS)
    )

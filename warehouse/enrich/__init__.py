"""Enrichment: raw events → events with device, browser, OS, bot flag, place, referrer kind.

`enrich_new_raw_files(paths)` is the pipeline step; the modules beside it are pure
polars transforms (one public function each, composed in `events.enrich_events`).
"""

from warehouse.enrich.geoip_database import describe_geoip_database
from warehouse.enrich.prune import PruneResult, prune_orphaned_enriched
from warehouse.enrich.step import EnrichError, EnrichResult, enrich_new_raw_files

__all__ = [
    "EnrichError",
    "EnrichResult",
    "PruneResult",
    "describe_geoip_database",
    "enrich_new_raw_files",
    "prune_orphaned_enriched",
]

"""Synthetic shop traffic for demos, tests and benchmarks (`footfall generate`).

`generate_lake` writes the raw lake directly, in the collector's exact format;
`replay_http` sends the same kind of traffic to a running collector.
"""

from warehouse.synthetic.generate import GenerateSummary, generate_lake
from warehouse.synthetic.replay import ReplaySummary, replay_http

__all__ = ["GenerateSummary", "ReplaySummary", "generate_lake", "replay_http"]

"""`python -m warehouse.cli` — the same as the `footfall` console script."""

from warehouse.cli import main

main()

"""footfall ingest package."""

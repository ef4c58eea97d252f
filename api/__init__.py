"""footfall api package."""

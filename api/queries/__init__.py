"""SQL behind each endpoint: bound parameters only, identifiers only from allow-lists."""

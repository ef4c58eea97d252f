"""footfall's warehouse side: settings, lake layout, publish, privacy, generator and the CLI."""

"""footfall flows package."""

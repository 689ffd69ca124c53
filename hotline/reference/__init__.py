"""Read-only reference data for clients: areas, categories and units, with search."""

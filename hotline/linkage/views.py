"""HTTP handlers for the 110 platform (in progress)."""
ROUTES: list = []

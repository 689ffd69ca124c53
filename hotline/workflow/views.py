"""HTTP handlers of the handling workflow (in progress)."""
ROUTES: list = []

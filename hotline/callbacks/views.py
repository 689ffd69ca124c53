"""Callback endpoints (in progress)."""
ROUTES: list = []

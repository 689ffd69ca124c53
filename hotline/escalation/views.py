"""Escalation reports (in progress)."""
ROUTES: list = []

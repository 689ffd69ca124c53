"""Project-written training corpus for the department classifier (see build.py)."""

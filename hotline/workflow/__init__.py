"""See views.py."""

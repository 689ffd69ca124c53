"""Callback surveys."""

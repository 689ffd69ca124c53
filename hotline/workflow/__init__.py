"""Handling workflow."""

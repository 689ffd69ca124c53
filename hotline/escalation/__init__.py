"""Deadlines and escalation."""

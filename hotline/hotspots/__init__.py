"""Hotspots and surges (#16): unusual counts of calls against their own baseline, and what follows."""

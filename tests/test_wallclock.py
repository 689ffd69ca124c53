"""The service's one now: the wall clock to the millisecond, or the app's injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from aiohttp import web

from hotline import keys, wallclock


def test_wall_clock_is_utc_to_the_millisecond():
    before = datetime.now(timezone.utc)
    now = wallclock.now()
    assert now.tzinfo is not None and now.microsecond % 1000 == 0
    assert before - timedelta(milliseconds=1) <= now <= datetime.now(timezone.utc)


def test_injected_clock_wins():
    fixed = datetime(2026, 6, 15, 4, tzinfo=timezone.utc)
    app = web.Application()
    app[keys.CLOCK] = lambda: fixed
    assert wallclock.now(app) == fixed

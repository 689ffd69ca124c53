"""The service's one `now`: the app's injected clock (keys.CLOCK; tests set it) or the wall clock.

Every part of the service (intake, workflow, callbacks, reports, the escalation sweep) reads the
time here, so an injected clock moves all of them together. The wall clock is cut to the
millisecond: finer precision does not matter for a deadline, and tickets settled in the same
millisecond share routing.clock.at_dispatch's cached clock under load.
(routing/clock.py is something else: a ticket's deadlines, computed from a start time.)
"""
from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from hotline import keys


def now(app: web.Application | None = None) -> datetime:
    """The current time, timezone-aware: app's injected clock when set, else UTC to the millisecond."""
    injected = app.get(keys.CLOCK) if app is not None else None
    if injected is not None:
        return injected()
    wall = datetime.now(timezone.utc)
    return wall.replace(microsecond=wall.microsecond - wall.microsecond % 1000)

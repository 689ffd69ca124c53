"""The cached dispatch clock equals compute()."""
from __future__ import annotations

from datetime import datetime, timezone

from routing import clock


def test_cached_dispatch_clock_equals_compute():
    start = datetime(2026, 3, 6, 16, 30, 0, 123000, tzinfo=timezone.utc)  # a Friday afternoon in Beijing
    for urgency in ("normal", "urgent"):
        for tier in ("county", "city", "province"):
            expected = clock.compute(start, urgency, "ordinary", tier)
            assert clock.at_dispatch(start, urgency, "ordinary", tier) == expected
            assert clock.at_dispatch(start, urgency, "ordinary", tier) is clock.at_dispatch(start, urgency,
                                                                                            "ordinary", tier)
            assert expected.reply_by > expected.sign_by > start and not expected.error

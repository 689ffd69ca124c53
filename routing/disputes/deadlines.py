"""Mediation time limits and the escalation ladder of a case, on the working-day clock.

The limit is the dispute type's (人民调解 is generally settled within a month: 20
working days by default; labour and consumer disputes 10) counted from assignment
with routing.sla's working-day rule (次日起算, end of the n-th working day). The ladder:

- 预警 (warn) when 80% of the working time is used;
- 催办 (chase) at the deadline;
- 挂牌督办 (list) LIST_AFTER working days later: the case moves to the next tier
  with a named 包案 leader, and a new clock starts there.

Pure: `now` is always a parameter; CalendarRangeError propagates for dates the
holiday calendar does not cover.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.calendar import add_working_days
from routing.sla import Limit, Unit, time_at_fraction

WARN_FRACTION = 0.8
LIST_AFTER = 2  # working days after the deadline
STEPS = ("warn", "chase", "list")
STEP_LABELS = {"warn": "预警", "chase": "催办", "list": "挂牌督办"}


@dataclass(frozen=True)
class Ladder:
    start: datetime
    due: datetime
    at: dict[str, datetime]

    def pending(self, taken: tuple[str, ...] | list[str], now: datetime) -> list[str]:
        """Steps not yet taken whose time has come, in ladder order."""
        return [s for s in STEPS if s not in taken and self.at[s] <= now]

    def next_at(self, taken: tuple[str, ...] | list[str]) -> datetime | None:
        """When the next untaken step falls due (None: the ladder is done)."""
        times = [self.at[s] for s in STEPS if s not in taken]
        return min(times) if times else None


def mediation_due(start: datetime, limit_days: int) -> datetime:
    """The mediation deadline for a clock started at `start`."""
    return Limit(limit_days, Unit.WORKING_DAYS).due(start)


def ladder(start: datetime, limit_days: int) -> Ladder:
    """The case's deadline and the time of each ladder step."""
    due = mediation_due(start, limit_days)
    warn = time_at_fraction(start, due, (), WARN_FRACTION, Unit.WORKING_DAYS)
    return Ladder(start, due, {"warn": warn, "chase": due, "list": add_working_days(due, LIST_AFTER)})


def overdue(due: datetime | None, now: datetime) -> bool:
    return due is not None and now > due

"""A ticket's clock at its current unit: deadlines and when escalation next looks at it.

Pure: the service stores the result in tickets.sign_by / reply_by / next_escalation_at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Iterable, Sequence

from models.enums import Tier, Urgency
from routing.calendar import CalendarRangeError, is_provisional
from routing.escalation import EscalationInput, Ladder, StepCode, due_at, load_ladder
from routing.sla import Pause, Policy, deadlines, load_policy


@dataclass(frozen=True)
class Clock:
    sign_by: datetime | None
    reply_by: datetime | None
    next_escalation_at: datetime | None
    error: str = ""  # set when the calendar cannot answer (date beyond even the provisional years)
    # True when a deadline (or the next escalation) lies beyond the official holiday data: computed from
    # the statutory holidays only, to be recomputed once the State Council's notice is in the data.
    provisional: bool = False


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy()


@lru_cache(maxsize=1)
def default_ladder() -> Ladder:
    return load_ladder()


def parse_pauses(raw: Iterable[Sequence]) -> tuple[Pause, ...]:
    """Pauses stored as [[start, end|null], ...] ISO strings or datetimes."""
    def as_dt(v):
        return v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v)
    return tuple((as_dt(a), as_dt(b)) for a, b in raw)


def whole_second(t: datetime | None) -> datetime | None:
    """A deadline on a whole second (rounded up, never earlier than the rule): a pause that
    lasted 3.2 s must not leave a deadline of 23:59:59.007234 for people to read."""
    if t is None or t.microsecond == 0:
        return t
    return t.replace(microsecond=0) + timedelta(seconds=1)


def compute(start: datetime, urgency: Urgency | str, category_class: str, tier: Tier | str, *,
            pauses: Sequence[Pause] = (), extension_days: int = 0, steps_taken: Iterable[str] = (),
            policy: Policy | None = None, ladder: Ladder | None = None) -> Clock:
    """Deadlines and the next escalation time for a ticket whose clock started at start."""
    policy = policy or default_policy()
    ladder = ladder or default_ladder()
    try:
        d = deadlines(start, urgency, category_class, policy, pauses=pauses, extensions_days=extension_days)
        state = EscalationInput(tier=Tier(tier), urgency=Urgency(urgency), category_class=category_class,
                                start=start, deadline=d.reply_by, pauses=tuple(pauses),
                                steps_taken=frozenset(StepCode(s) for s in steps_taken))
        next_at = due_at(state, ladder, policy)
        return Clock(whole_second(d.sign_by), whole_second(d.reply_by), next_at,
                     provisional=any(is_provisional(t) for t in (d.sign_by, d.reply_by, next_at)))
    except CalendarRangeError as exc:
        return Clock(None, None, None, error=str(exc))


@lru_cache(maxsize=256)
def at_dispatch(start: datetime, urgency: str, category_class: str, tier: str) -> Clock:
    """compute() for a ticket dispatched at start (no pauses, extensions or steps yet), cached: the
    tickets of one model batch are settled within the same millisecond (hotline.wallclock.now), so under load
    most of them share one clock instead of each walking the calendar again."""
    return compute(start, urgency, category_class, tier)


def clear_cache() -> None:
    """Forget cached clocks (after the holiday data changed)."""
    at_dispatch.cache_clear()


def for_ticket(row, *, pauses=None, extension_days: int | None = None) -> Clock | None:
    """The clock of a stored ticket (a mapping with the tickets columns), optionally with new
    pauses or extension days; None when the ticket has no unit clock yet."""
    if row["dispatched_at"] is None or row["tier"] is None:
        return None
    return compute(row["dispatched_at"], row["urgency"], row["category_class"], row["tier"],
                   pauses=parse_pauses(row["pauses"] if pauses is None else pauses),
                   extension_days=row["extension_days"] if extension_days is None else extension_days,
                   steps_taken=row["escalation_steps"] or ())

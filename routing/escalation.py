"""The escalation ladder: 预警 → 催办 → 督办 → 提级, each step at most once per tier.

The ladder is data (routing/data/ladder.csv). Each rung is timed from:
- `fraction`: when that share of the handling time is used (pauses excluded);
- `deadline`: the handling deadline plus `amount` `unit`;
- `previous`: the previous rung's due time plus `amount` `unit`.
Units are `hours` (calendar) or `working_days` (working time, 24 h per
working day, so weekends and holidays do not count).

The sweep stores `due_at(...)` as `next_escalation_at`, and for due tickets calls
`next_step(...)` until it returns None, recording each returned step. On a
`raise` step the caller moves the ticket: tier=step.new_tier,
start=step.new_start, deadline=step.new_deadline, pauses=(), steps_taken=()
(the ladder starts over at the new tier). A province ticket is never raised:
its ladder ends at 督办.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from models.enums import Tier, Urgency
from routing.sla import Pause, Policy, Unit, advance, deadlines, time_at_fraction

DEFAULT_LADDER_PATH = Path(__file__).parent / "data" / "ladder.csv"

_TIER_ABOVE: dict[Tier, Tier | None] = {
    Tier.STREET: Tier.COUNTY,
    Tier.COUNTY: Tier.CITY,
    Tier.CITY: Tier.PROVINCE,
    Tier.PROVINCE: None,
}


class LadderError(ValueError):
    """The ladder table is malformed."""


class StepCode(StrEnum):
    """Escalation step identifiers."""

    WARN = "warn"
    CHASE = "chase"
    SUPERVISE = "supervise"
    RAISE = "raise"

    @property
    def label(self) -> str:
        return {"warn": "预警", "chase": "催办", "supervise": "督办", "raise": "提级"}[self.value]


class Anchor(StrEnum):
    """What a rung's timing is measured from."""

    FRACTION = "fraction"
    DEADLINE = "deadline"
    PREVIOUS = "previous"


@dataclass(frozen=True)
class Rung:
    """One configured ladder step and its timing."""

    code: StepCode
    label: str
    anchor: Anchor
    amount: float
    unit: Unit | None
    skip_if_late: bool


@dataclass(frozen=True)
class Ladder:
    """The ordered rungs of the ladder."""

    rungs: tuple[Rung, ...]


@dataclass(frozen=True)
class EscalationInput:
    """What the ladder needs to know about a ticket at its current tier."""

    tier: Tier
    urgency: Urgency
    category_class: str
    start: datetime
    deadline: datetime | None
    pauses: tuple[Pause, ...] = ()
    steps_taken: frozenset[StepCode] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Step:
    """An escalation step that is due: who acts, and for a raise, the new tier and deadline."""

    code: StepCode
    label: str
    at: datetime
    tier: Tier
    by_tier: Tier
    new_tier: Tier | None = None
    new_start: datetime | None = None
    new_deadline: datetime | None = None


def tier_above(tier: Tier | str) -> Tier | None:
    """The next tier up (street → county → city → province), None at province."""
    return _TIER_ABOVE[Tier(tier)]


def supervising_tier(tier: Tier | str) -> Tier:
    """The tier whose supervising office supervises (督办) this tier's tickets."""
    return tier_above(tier) or Tier.PROVINCE


def _rung(raw: dict[str, str], line: int, first: bool) -> Rung:
    """Parse and check one ladder row."""
    where = f"ladder.csv line {line}"
    try:
        code, anchor = StepCode(raw["code"].strip()), Anchor(raw["anchor"].strip())
        amount = float(raw["amount"])
        unit = Unit(raw["unit"].strip()) if (raw.get("unit") or "").strip() else None
        skip = (raw.get("skip_if_late") or "false").strip().lower() in {"true", "1", "yes"}
    except (KeyError, ValueError) as exc:
        raise LadderError(f"{where}: {exc}") from None
    if anchor is Anchor.FRACTION and not 0 < amount <= 1:
        raise LadderError(f"{where}: a fraction must be in (0, 1]")
    if anchor is not Anchor.FRACTION and (unit is None or amount < 0):
        raise LadderError(f"{where}: needs a unit and an amount >= 0")
    if first and anchor is Anchor.PREVIOUS:
        raise LadderError(f"{where}: the first rung cannot be timed from a previous one")
    return Rung(code, (raw.get("label") or code.label).strip(), anchor, amount, unit, skip)


def parse_ladder(lines: Iterable[str]) -> Ladder:
    """Build a Ladder from CSV text lines."""
    rungs = tuple(_rung(raw, i + 2, i == 0) for i, raw in enumerate(csv.DictReader(lines)))
    codes = [r.code for r in rungs]
    if not rungs or len(set(codes)) != len(codes):
        raise LadderError("ladder.csv needs at least one rung and no duplicate codes")
    return Ladder(rungs)


def load_ladder(path: str | Path | None = None) -> Ladder:
    """Read the ladder table (default: routing/data/ladder.csv)."""
    with open(path or DEFAULT_LADDER_PATH, encoding="utf-8-sig", newline="") as fh:
        return parse_ladder(fh)


@lru_cache(maxsize=64)
def _offset(rung: Rung) -> timedelta:
    """A rung's period as a duration on its own clock."""
    hours = rung.amount * (24 if rung.unit is Unit.WORKING_DAYS else 1)
    return timedelta(hours=hours)


def _times(start: datetime, deadline: datetime, pauses, tier: Tier, ladder: Ladder,
           handle_unit: Unit) -> list[tuple[Rung, datetime]]:
    """Due time of every rung for a clock from start to deadline (fractions on handle_unit's clock)."""
    out: list[tuple[Rung, datetime]] = []
    previous = deadline
    for rung in ladder.rungs:
        if rung.anchor is Anchor.FRACTION:
            at = time_at_fraction(start, deadline, pauses, rung.amount, handle_unit)
        else:
            base = deadline if rung.anchor is Anchor.DEADLINE else previous
            at = advance(base, _offset(rung), rung.unit)
        previous = at
        if rung.code is not StepCode.RAISE or tier_above(tier) is not None:
            out.append((rung, at))
    return out


def schedule(state: EscalationInput, ladder: Ladder, policy: Policy) -> list[tuple[Rung, datetime]]:
    """Due time of every rung that applies at this tier (empty while the clock is paused)."""
    if state.deadline is None:
        return []
    handle_unit = policy.limits(state.urgency, state.category_class).handle.unit
    return _times(state.start, state.deadline, state.pauses, state.tier, ladder, handle_unit)


def _untaken(sched: list[tuple[Rung, datetime]], steps_taken) -> list[tuple[Rung, datetime]]:
    """Rungs after the last one taken and not yet taken, in ladder order."""
    taken = {StepCode(c) for c in steps_taken}
    last = max((i for i, (r, _) in enumerate(sched) if r.code in taken), default=-1)
    return [(r, at) for r, at in sched[last + 1:] if r.code not in taken]


def _pending(state: EscalationInput, ladder: Ladder, policy: Policy) -> list[tuple[Rung, datetime]]:
    return _untaken(schedule(state, ladder, policy), state.steps_taken)


def due_at(state: EscalationInput, ladder: Ladder, policy: Policy) -> datetime | None:
    """When the next step falls due (store as next_escalation_at); None if none remains."""
    pending = _pending(state, ladder, policy)
    return pending[0][1] if pending else None


def _step(state: EscalationInput, rung: Rung, at: datetime, now: datetime, policy: Policy) -> Step:
    """Build the Step for a due rung, with the new tier and deadline for a raise."""
    if rung.code is StepCode.RAISE:
        new_tier = tier_above(state.tier)
        new_deadline = deadlines(now, state.urgency, state.category_class, policy).reply_by
        return Step(rung.code, rung.label, at, state.tier, new_tier, new_tier, now, new_deadline)
    by = supervising_tier(state.tier) if rung.code is StepCode.SUPERVISE else state.tier
    return Step(rung.code, rung.label, at, state.tier, by)


def next_step(state: EscalationInput, now: datetime, ladder: Ladder, policy: Policy) -> Step | None:
    """The step due at `now`, or None; a skip_if_late rung is skipped once the next one is due."""
    pending = _pending(state, ladder, policy)
    for i, (rung, at) in enumerate(pending):
        if at > now:
            return None
        later_due = i + 1 < len(pending) and pending[i + 1][1] <= now
        if rung.skip_if_late and later_due:
            continue
        return _step(state, rung, at, now, policy)
    return None


def due_steps(state: EscalationInput, now: datetime, ladder: Ladder,
              policy: Policy) -> tuple[list[Step], datetime | None]:
    """Every step due at `now`, in order (stopping after a raise), and when the next one falls due.

    The same as calling next_step() until None and then due_at() with each step added to
    steps_taken, with the schedule computed once (the calendar arithmetic is most of a sweep's
    CPU time). The due time is None after a raise: the raised ticket starts a new clock.
    """
    return _walk(_pending(state, ladder, policy), now, lambda rung, due: _step(state, rung, due, now, policy))


def _walk(pending: list[tuple[Rung, datetime]], now: datetime, make) -> tuple[list[Step], datetime | None]:
    """The due rungs of pending as steps (skip_if_late honoured, stopping after a raise), and the next due time."""
    i, steps = 0, []
    while i < len(pending) and pending[i][1] <= now:
        rung, due = pending[i]
        i += 1
        if rung.skip_if_late and i < len(pending) and pending[i][1] <= now:
            continue
        step = make(rung, due)
        steps.append(step)
        if step.code is StepCode.RAISE:
            return steps, None
    return steps, pending[i][1] if i < len(pending) else None


RECTIFY_LADDER_PATH = Path(__file__).parent / "data" / "rectify_ladder.csv"


@lru_cache(maxsize=1)
def rectify_ladder() -> Ladder:
    """The ladder of a valid bad review's rectification (routing/data/rectify_ladder.csv)."""
    ladder = load_ladder(RECTIFY_LADDER_PATH)
    if any(r.code in (StepCode.SUPERVISE, StepCode.RAISE) for r in ladder.rungs):
        raise LadderError("rectify_ladder.csv: a rectification is only warned and chased")
    return ladder


def rectification_due(start: datetime, deadline: datetime, steps_taken, tier: Tier | str, now: datetime,
                      ladder: Ladder | None = None) -> tuple[list[Step], datetime | None]:
    """整改预警 / 整改催办 due at `now` for a rectification ruled at start and due at deadline (a working-day
    clock, no pauses), and when the next one falls due: the ticket ladder's timing rules on another clock."""
    tier = Tier(tier)
    sched = _times(start, deadline, (), tier, ladder or rectify_ladder(), Unit.WORKING_DAYS)
    return _walk(_untaken(sched, steps_taken), now, lambda rung, due: Step(rung.code, rung.label, due, tier, tier))

"""Time limits (签收时限, 办理时限, 延期, 退单时限) and deadline computation.

The policy table lives in routing/data/time_limits.csv and is edited by
operators; docs/deadlines.md explains each column and where the defaults come
from. Everything here is pure: the current time is always a parameter.

A pause is `(start, end)` with `end=None` while the ticket still waits for the
requester (补充材料). Paused time does not count: the handling deadline moves by
the paused time, measured on the same clock as the limit (calendar hours for
"hours", working time for "working_days"). A pause opened after the deadline
has already passed does not stop the overdue clock.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from models.enums import Urgency
from routing.calendar import (
    add_working_days,
    add_working_time,
    local,
    working_time_between,
)

DEFAULT_POLICY_PATH = Path(__file__).parent / "data" / "time_limits.csv"
ZERO = timedelta(0)

Pause = tuple[datetime, datetime | None]


class PolicyError(ValueError):
    """The policy table is malformed or has no row for a ticket."""


class ExtensionError(ValueError):
    """An extension request exceeds what the policy allows."""


class Unit(StrEnum):
    """The clock a limit is measured on."""

    HOURS = "hours"
    WORKING_DAYS = "working_days"

    @property
    def label(self) -> str:
        return {"hours": "小时", "working_days": "个工作日"}[self.value]


@dataclass(frozen=True)
class Limit:
    """An amount of time on one clock, e.g. 5 working days or 2 hours."""

    amount: float
    unit: Unit

    def due(self, start: datetime) -> datetime:
        """The deadline this limit sets for a clock started at `start`."""
        if self.unit is Unit.HOURS:
            return local(start) + timedelta(hours=self.amount)
        return add_working_days(start, int(self.amount))

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit.label}"


@dataclass(frozen=True)
class TimeLimits:
    """One row of the policy table: the limits for an urgency and category class."""

    urgency: Urgency
    category_class: str
    class_label: str
    sign: Limit
    handle: Limit
    max_extension_days: int
    return_window_hours: float

    @property
    def return_window(self) -> timedelta:
        """How long after dispatch a unit may still return (退单) the ticket."""
        return timedelta(hours=self.return_window_hours)


@dataclass(frozen=True)
class Policy:
    """The whole time-limit table, keyed by (urgency, category class)."""

    rows: Mapping[tuple[Urgency, str], TimeLimits]

    def limits(self, urgency: Urgency | str, category_class: str) -> TimeLimits:
        """The row for a ticket; PolicyError when the table has none."""
        try:
            return self.rows[(Urgency(urgency), category_class)]
        except (KeyError, ValueError):
            raise PolicyError(f"no time limits for urgency={urgency!r}, class={category_class!r}") from None

    @property
    def classes(self) -> list[str]:
        """The category classes the table defines, in file order."""
        return list(dict.fromkeys(c for _, c in self.rows))


@dataclass(frozen=True)
class Deadlines:
    """Sign-off and reply deadlines; reply_by is None while the clock is paused."""

    sign_by: datetime
    reply_by: datetime | None

    @property
    def paused(self) -> bool:
        """True while the ticket waits for the requester and no deadline runs."""
        return self.reply_by is None


def _limit(amount: str, unit: str, where: str) -> Limit:
    """Parse one amount+unit pair of the table."""
    try:
        u, value = Unit(unit.strip()), float(amount)
    except ValueError:
        raise PolicyError(f"{where}: bad limit {amount!r} {unit!r}") from None
    if value <= 0 or (u is Unit.WORKING_DAYS and not value.is_integer()):
        raise PolicyError(f"{where}: limit must be > 0 (whole number of working days)")
    return Limit(value, u)


def _row(raw: Mapping[str, str], line: int) -> TimeLimits:
    """Parse and check one CSV row."""
    where = f"time_limits.csv line {line}"
    try:
        urgency = Urgency(raw["urgency"].strip())
        ext, window = int(raw["max_extension_days"]), float(raw["return_window_hours"])
    except (KeyError, ValueError) as exc:
        raise PolicyError(f"{where}: {exc}") from None
    if ext < 0 or window < 0:
        raise PolicyError(f"{where}: negative extension or return window")
    return TimeLimits(
        urgency=urgency,
        category_class=raw["category_class"].strip(),
        class_label=(raw.get("class_label") or "").strip(),
        sign=_limit(raw["sign_limit"], raw["sign_unit"], where),
        handle=_limit(raw["handle_limit"], raw["handle_unit"], where),
        max_extension_days=ext,
        return_window_hours=window,
    )


def parse_policy(lines: Iterable[str]) -> Policy:
    """Build a Policy from CSV text lines; every urgency needs the same classes."""
    rows: dict[tuple[Urgency, str], TimeLimits] = {}
    for line, raw in enumerate(csv.DictReader(lines), start=2):
        row = _row(raw, line)
        key = (row.urgency, row.category_class)
        if key in rows:
            raise PolicyError(f"time_limits.csv line {line}: duplicate row {key}")
        rows[key] = row
    classes = {c for _, c in rows}
    missing = [(u.value, c) for u in Urgency for c in classes if (u, c) not in rows]
    if not rows or missing:
        raise PolicyError(f"time_limits.csv is missing rows: {missing or 'all'}")
    return Policy(MappingProxyType(rows))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read the time-limit table (default: routing/data/time_limits.csv)."""
    with open(path or DEFAULT_POLICY_PATH, encoding="utf-8-sig", newline="") as fh:
        return parse_policy(fh)


def span(a: datetime, b: datetime, unit: Unit) -> timedelta:
    """Time from a to b on the limit's clock (calendar or working time)."""
    if unit is Unit.HOURS:
        return max(local(b) - local(a), ZERO)
    return working_time_between(a, b)


def advance(t: datetime, amount: timedelta, unit: Unit) -> datetime:
    """Move t forward by an amount of time on the limit's clock."""
    if unit is Unit.HOURS:
        return local(t) + amount
    return add_working_time(t, amount)


def _normalised(pauses: Sequence[Pause], start: datetime) -> list[Pause]:
    """Pauses clipped to start, sorted and merged; an open pause ends the list."""
    if not pauses:
        return []
    merged: list[list] = []
    for p_start, p_end in sorted(((local(s), e and local(e)) for s, e in pauses), key=lambda p: p[0]):
        p_start = max(p_start, local(start))
        if p_end is not None and p_end <= p_start:
            continue
        if merged and (merged[-1][1] is None or p_start <= merged[-1][1]):
            last_end = merged[-1][1]
            merged[-1][1] = None if None in (last_end, p_end) else max(last_end, p_end)
        else:
            merged.append([p_start, p_end])
    return [(s, e) for s, e in merged]


def shift_for_pauses(deadline: datetime, start: datetime, pauses: Sequence[Pause], unit: Unit) -> datetime | None:
    """Move a deadline by the paused time; None while a pause that counts is open."""
    for p_start, p_end in _normalised(pauses, start):
        if p_start >= deadline:
            break
        if p_end is None:
            return None
        deadline = advance(deadline, span(p_start, p_end, unit), unit)
    return deadline


def deadlines(
    received_at: datetime,
    urgency: Urgency | str,
    category_class: str,
    policy: Policy,
    pauses: Sequence[Pause] = (),
    extensions_days: int = 0,
) -> Deadlines:
    """Sign-off and reply deadlines for a ticket whose clock started at received_at."""
    limits = policy.limits(urgency, category_class)
    if extensions_days < 0:
        raise ExtensionError("extensions_days must be >= 0")
    return Deadlines(
        sign_by=limits.sign.due(received_at),
        reply_by=reply_deadline(received_at, limits, pauses, extensions_days),
    )


def reply_deadline(received_at: datetime, limits: TimeLimits, pauses: Sequence[Pause] = (),
                   extensions_days: int = 0) -> datetime | None:
    """deadlines(...).reply_by alone, for a ticket's limits row (the escalation sweep needs no sign-off)."""
    if extensions_days < 0:
        raise ExtensionError("extensions_days must be >= 0")
    base = limits.handle.due(received_at)
    if extensions_days:
        base = add_working_days(base, extensions_days)
    return shift_for_pauses(base, received_at, pauses, limits.handle.unit)


def validate_extension(requested_days: int, already_granted: int, limits: TimeLimits) -> int:
    """Check an extension request; return the new total of granted working days."""
    if requested_days < 1:
        raise ExtensionError("an extension is at least 1 working day")
    total = already_granted + requested_days
    if total > limits.max_extension_days:
        left = max(limits.max_extension_days - already_granted, 0)
        raise ExtensionError(
            f"延期超限: requested {requested_days} working day(s), {already_granted} already granted, "
            f"at most {limits.max_extension_days} in total ({left} left)"
        )
    return total


def active_time(start: datetime, end: datetime, pauses: Sequence[Pause], unit: Unit) -> timedelta:
    """Running (unpaused) time between start and end on the limit's clock."""
    start, end = local(start), local(end)
    total, cursor = ZERO, start
    for p_start, p_end in _normalised(pauses, start):
        if p_start >= end:
            break
        total += span(cursor, p_start, unit)
        if p_end is None or p_end >= end:
            return total
        cursor = p_end
    return total + span(cursor, end, unit)


def elapsed_fraction(
    now: datetime,
    start: datetime,
    deadline: datetime,
    pauses: Sequence[Pause] = (),
    unit: Unit | str = Unit.WORKING_DAYS,
) -> float:
    """Share of the allowed (unpaused) time used by `now`: 0.8 = warn, >= 1.0 = overdue."""
    unit = Unit(unit)
    budget = active_time(start, deadline, pauses, unit)
    used = active_time(start, now, pauses, unit) if now > start else ZERO
    if budget <= ZERO:
        return 1.0 if now >= deadline else 0.0
    return used / budget


def time_at_fraction(
    start: datetime,
    deadline: datetime,
    pauses: Sequence[Pause],
    fraction: float,
    unit: Unit | str = Unit.WORKING_DAYS,
) -> datetime:
    """The instant at which `fraction` of the allowed time has been used."""
    unit = Unit(unit)
    remaining = active_time(start, deadline, pauses, unit) * fraction
    cursor, deadline = local(start), local(deadline)
    counted = [p for p in _normalised(pauses, start) if p[0] < deadline]
    for p_start, p_end in counted + [(deadline, None)]:
        segment = span(cursor, p_start, unit)
        if remaining <= segment or p_end is None:
            return advance(cursor, remaining, unit)
        remaining -= segment
        cursor = max(cursor, p_end)
    raise AssertionError("unreachable")

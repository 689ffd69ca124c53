"""Provisional mediation deadlines become official: the cases' half of escalation.calendar_sync.

A case assigned near the end of the official holiday data has its deadline (and ladder) computed
from the provisional calendar, like a ticket's. When the official range grows (the operator's
notice file, or a package upgrade), calendar_sync calls `recompute` batch by batch for the open
cases whose clock ran past the old official end, or that had no clock at all (`clock_error`).
The ladder is worked out again from the clock's start with the steps already taken kept.
"""
from __future__ import annotations

from datetime import datetime

from routing.calendar import CalendarRangeError
from routing.disputes import catalogue, deadlines

AFFECTED = """
SELECT id, dispute_type, assigned_at, escalation_steps
FROM dispute_cases
WHERE status IN ('assigned', 'mediating') AND assigned_at IS NOT NULL
  AND (greatest(due_at, next_escalation_at) > $1 OR due_at IS NULL) AND id > $2
ORDER BY id LIMIT $3
FOR UPDATE
"""
RECOMPUTE = """
UPDATE dispute_cases c SET due_at = u.due_at, next_escalation_at = u.next_at, clock_error = ''
FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS u(id, due_at, next_at)
WHERE c.id = u.id
"""


async def recompute(conn, since: datetime, after: int, batch: int) -> tuple[int, int | None]:
    """One batch of cases: (cases updated, last id seen or None when this was the last batch)."""
    rows = await conn.fetch(AFFECTED, since, after, batch)
    types = catalogue.load_types()
    ids, due, nxt = [], [], []
    for row in rows:
        try:
            lad = deadlines.ladder(row["assigned_at"], types[row["dispute_type"]].limit_days)
        except (CalendarRangeError, KeyError):   # still beyond any calendar, or a type no longer listed
            continue
        ids.append(row["id"])
        due.append(lad.due)
        nxt.append(lad.next_at(list(row["escalation_steps"])))
    if ids:
        await conn.execute(RECOMPUTE, ids, due, nxt)
    return len(ids), (rows[-1]["id"] if len(rows) == batch else None)

"""Data access for the escalation sweep: claiming due tickets, storing steps, the escalation columns.

Each step is an `escalations` row under UNIQUE (ticket_id, tier, step, clock_start), inserted with
ON CONFLICT DO NOTHING, so a step already stored is never written twice. Ticket state (status,
units, the audit trail) is written by the workflow (hotline.workflow, hotline.tickets.service);
the sweep itself only moves the escalation columns (escalation_steps, next_escalation_at).
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from routing.escalation import Step

CLAIM = """
SELECT t.id, t.ticket_no, t.status::text AS status, t.tier::text AS tier, t.urgency::text AS urgency,
       t.category_class, t.dispatched_at, t.pauses, t.extension_days, t.escalation_steps,
       t.unit_id, t.next_escalation_at, t.area_code, t.county_code, t.city_code, t.province_code
FROM tickets t
WHERE t.next_escalation_at <= $1 AND t.status IN ('dispatched', 'signed', 'in_progress')
ORDER BY t.next_escalation_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""

# Closed, replied or returned tickets keep no escalation time: clearing it keeps the
# partial index (and so the sweep's cost) down to the tickets that can still escalate.
CLEAR_STALE = """
UPDATE tickets SET next_escalation_at = NULL
WHERE id IN (SELECT id FROM tickets
             WHERE next_escalation_at <= $1 AND status NOT IN ('dispatched', 'signed', 'in_progress')
             LIMIT $2 FOR UPDATE SKIP LOCKED)
"""

UNITS = "SELECT id, code, name, unit_type, area_code, tier::text AS tier FROM units WHERE id = ANY($1::int[])"

INSERT_STEPS = """
INSERT INTO escalations (ticket_id, step, tier, by_tier, unit_id, due_at, at, clock_start, reason)
SELECT u.ticket_id, u.step, u.tier::tier, u.by_tier::tier, u.unit_id, u.due_at, $7, u.clock_start, u.reason
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[],
            $8::timestamptz[], $9::text[])
     AS u(ticket_id, step, tier, by_tier, unit_id, due_at, clock_start, reason)
ON CONFLICT (ticket_id, tier, step, clock_start) DO NOTHING
RETURNING id, ticket_id, step
"""

SET_ESCALATION = """
UPDATE tickets t
SET escalation_steps = CASE WHEN u.steps = '' THEN '{}'::text[] ELSE string_to_array(u.steps, ',') END,
    next_escalation_at = u.next_at
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS u(id, steps, next_at)
WHERE t.id = u.id
"""

INSERT_RAISE = """
INSERT INTO escalations (ticket_id, step, tier, by_tier, unit_id, due_at, at, clock_start, reason, to_unit_id)
VALUES ($1, 'raise', $2::tier, $3::tier, $4, $5, $6, $7, $8, $9)
ON CONFLICT (ticket_id, tier, step, clock_start) DO NOTHING
RETURNING id
"""


async def clear_stale(conn: asyncpg.Connection, now: datetime, limit: int) -> int:
    """Drop the escalation time of tickets that can no longer escalate; returns how many."""
    status = await conn.execute(CLEAR_STALE, now, limit)
    return int(status.split()[-1])


async def claim(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` due open tickets, earliest first (skipping those another sweeper holds)."""
    return await conn.fetch(CLAIM, now, limit)


async def units(conn: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await conn.fetch(UNITS, ids)


async def insert_steps(conn: asyncpg.Connection, now: datetime, cols: list[list]) -> list[asyncpg.Record]:
    """Store steps given as columns (ticket_id, step, tier, by_tier, unit_id, due_at, clock_start, reason);
    returns the rows actually inserted (id, ticket_id, step)."""
    return await conn.fetch(INSERT_STEPS, *cols[:6], now, *cols[6:])


async def set_escalation(conn: asyncpg.Connection, ids: list[int], steps: list[str],
                         next_at: list[datetime | None]) -> None:
    """Each ticket's steps taken at its tier (comma-joined) and when the next one falls due."""
    await conn.execute(SET_ESCALATION, ids, steps, next_at)


async def record_raise(conn: asyncpg.Connection, ticket_id: int, step: Step, unit_id: int | None,
                       now: datetime, clock_start: datetime | None, reason: str, to_unit_id: int) -> int | None:
    """The 提级 step's row; None when it is already stored."""
    return await conn.fetchval(INSERT_RAISE, ticket_id, step.tier.value, step.by_tier.value, unit_id, step.at,
                               now, clock_start, reason, to_unit_id)

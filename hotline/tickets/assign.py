"""Assigning a ticket to its lead and supporting units, with the unit's clock.

Shared by intake (first dispatch), redispatch (改派), uphold and reopen (重办):
the caller holds the transaction and writes the event.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from routing import clock

DEACTIVATE_UNITS = "UPDATE ticket_units SET active = false WHERE ticket_id = $1 AND active"
ADD_UNIT = """
INSERT INTO ticket_units (ticket_id, unit_id, role, assigned_at)
SELECT $1, id, $3, $4 FROM units WHERE code = $2
RETURNING unit_id
"""
SET_ASSIGNMENT = """
UPDATE tickets SET unit_id = $2, tier = $3, dispatched_at = $4, sign_by = $5, reply_by = $6,
    next_escalation_at = $7, escalation_steps = '{}', extension_days = 0, pauses = '[]',
    signed_at = NULL, updated_at = $4
WHERE id = $1
"""


async def assign(conn: asyncpg.Connection, ticket_id: int, *, lead_code: str, support_codes: tuple[str, ...],
                 tier: str, urgency: str, category_class: str, now: datetime) -> dict:
    """Point the ticket at its units and start the lead unit's clock; returns what was set."""
    await conn.execute(DEACTIVATE_UNITS, ticket_id)
    lead_id = await conn.fetchval(ADD_UNIT, ticket_id, lead_code, "lead", now)
    if lead_id is None:
        raise LookupError(f"unknown unit {lead_code}")
    for code in support_codes:
        await conn.fetchval(ADD_UNIT, ticket_id, code, "support", now)
    c = clock.compute(now, urgency, category_class, tier)
    await conn.execute(SET_ASSIGNMENT, ticket_id, lead_id, tier, now, c.sign_by, c.reply_by,
                       c.next_escalation_at)
    return {"unit_id": lead_id, "unit_code": lead_code, "support": list(support_codes), "tier": tier,
            "sign_by": c.sign_by, "reply_by": c.reply_by, "clock_error": c.error,
            "deadline_provisional": c.provisional}

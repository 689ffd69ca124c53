"""Data access for the 110 linkage's HTTP side: tickets by incident number, acknowledgements, the outbox list.

(Queueing deliveries is linkage/outbox.py; sending them linkage/worker.py.)
"""
from __future__ import annotations

import asyncpg

from hotline import scope
from hotline.auth import Principal

Db = asyncpg.Pool | asyncpg.Connection

BY_INCIDENT = "SELECT id FROM tickets WHERE police_incident_no = $1"


async def ticket_for_incident(db: Db, incident_no: str) -> int | None:
    """The ticket already opened for a 110 incident number, if any."""
    return await db.fetchval(BY_INCIDENT, incident_no)


ACK = """
UPDATE linkage_outbox SET state = 'acknowledged', acknowledged_at = now(), remote_ref = coalesce($2, remote_ref)
WHERE idempotency_key = $1 AND state IN ('pending', 'delivered')
RETURNING id
"""


async def acknowledge(db: Db, key: str, ref: str | None) -> bool:
    """Mark a pending or delivered hand-off acknowledged; False when nothing was in that state."""
    return await db.fetchval(ACK, key, ref) is not None


async def outbox_state(db: Db, key: str) -> str | None:
    return await db.fetchval("SELECT state FROM linkage_outbox WHERE idempotency_key = $1", key)


OUTBOX = """
SELECT o.id, o.ticket_id, t.ticket_no, o.kind, o.idempotency_key, o.state, o.attempts, o.last_error, o.created_at,
       o.delivered_at, o.acknowledged_at, o.next_attempt_at
FROM linkage_outbox o JOIN tickets t ON t.id = o.ticket_id
WHERE ($1::text IS NULL OR o.state = $1) AND {scope}
ORDER BY o.id DESC LIMIT $2
"""


async def outbox(db: Db, principal: Principal, state: str | None, limit: int) -> list[asyncpg.Record]:
    """Deliveries of the tickets the principal may see, newest first."""
    args: list = [state, limit]
    return await db.fetch(OUTBOX.format(scope=scope.clause(principal, args)), *args)

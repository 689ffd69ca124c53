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
SELECT o.id, o.ticket_id, t.ticket_no, o.case_id, c.case_no, o.kind, o.payload->>'risk' AS risk, o.idempotency_key,
       o.state, o.attempts, o.last_error, o.created_at, o.delivered_at, o.acknowledged_at, o.next_attempt_at
FROM linkage_outbox o LEFT JOIN tickets t ON t.id = o.ticket_id LEFT JOIN dispute_cases c ON c.id = o.case_id
WHERE ($1::text IS NULL OR o.state = $1) AND {scope}
ORDER BY o.id DESC LIMIT $2
"""
# 移交 to 110, 结果回告 of a ticket 110 handed over, 风险预警 of a high-risk dispute case (no ticket)
KIND_LABELS = {"handoff": "移交110", "outcome": "办理结果回告", "risk_alert": "高风险纠纷预警"}


async def outbox(db: Db, principal: Principal, state: str | None, limit: int) -> list[dict]:
    """Deliveries of the tickets and dispute cases the principal may see, newest first."""
    args: list = [state, limit]
    rows = await db.fetch(OUTBOX.format(scope=scope.outbox_clause(principal, args)), *args)
    return [{**r, "kind_label": KIND_LABELS.get(r["kind"], r["kind"])} for r in rows]

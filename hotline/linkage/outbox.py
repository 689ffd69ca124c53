"""The linkage outbox: hand-offs to 110 and outcome reports, written in the ticket's transaction."""
from __future__ import annotations

import asyncpg

from hotline.jsoncodec import iso

ENQUEUE = """
INSERT INTO linkage_outbox (ticket_id, kind, idempotency_key, payload)
VALUES ($1, $2, $3, $4)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""


def handoff_payload(row: dict, reasons: list[str], joint: bool) -> dict:
    """What the 110 platform receives: the matter, where, and why (no ID numbers)."""
    return {
        "ticket_no": row["ticket_no"], "joint": joint, "reasons": reasons,
        "content": row["content"], "address": row["address"], "area_code": row["area_code"],
        "urgency": row["urgency"], "received_at": iso(row["created_at"]),
        "requester": {"name": row["requester_name"], "phone": row["requester_phone"]},
    }


async def enqueue(conn: asyncpg.Connection, ticket_id: int, kind: str, key: str, payload: dict) -> int | None:
    """Queue one delivery; the idempotency key makes a repeat a no-op."""
    return await conn.fetchval(ENQUEUE, ticket_id, kind, key, payload)


async def enqueue_handoff(conn: asyncpg.Connection, ticket_id: int, reasons: list[str], joint: bool) -> int | None:
    row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)
    return await enqueue(conn, ticket_id, "handoff", f"handoff:{row['ticket_no']}",
                         handoff_payload(dict(row), reasons, joint))

"""Data access for the requester's status lookup (plain SQL, asyncpg)."""
from __future__ import annotations

import asyncpg

LOOKUP = """
SELECT t.ticket_no, t.status, t.lookup_code_hash, t.created_at, t.sign_by, t.reply_by, t.resolution, t.replied_at,
       c.name AS category_name, u.name AS unit_name
FROM tickets t
LEFT JOIN categories c ON c.code = t.category_code
LEFT JOIN units u ON u.id = t.unit_id
WHERE t.ticket_no = $1
"""


async def by_ticket_no(pool: asyncpg.Pool, ticket_no: str) -> asyncpg.Record | None:
    return await pool.fetchrow(LOOKUP, ticket_no)

"""Data access for callbacks (plain SQL, asyncpg): attempts, results and one-time links."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import asyncpg

LOCK_TICKET = """
SELECT t.id, t.ticket_no, t.status, t.reopen_count, t.unit_id, t.requester_type, t.tier, t.urgency,
       t.category_class, t.title, t.resolution, t.replied_at, t.reply_by, u.tier AS unit_tier,
       u.name AS unit_name
FROM tickets t LEFT JOIN units u ON u.id = t.unit_id
WHERE t.id = $1
FOR UPDATE OF t
"""

INSERT_ATTEMPT = """
INSERT INTO callback_attempts (ticket_id, round, via, reached, satisfaction, solved, comment, actor_id, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""

COUNT_UNREACHED = "SELECT count(*) FROM callback_attempts WHERE ticket_id = $1 AND round = $2 AND NOT reached"

INSERT_RESULT = """
INSERT INTO callback_results (ticket_id, round, outcome, via, satisfaction, solved, comment, attempts, decision,
                              unit_id, requester_type, actor_id, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (ticket_id, round) DO NOTHING
RETURNING id
"""


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_TICKET, ticket_id)


LAST_UNREACHED = "SELECT max(at) FROM callback_attempts WHERE ticket_id = $1 AND round = $2 AND NOT reached"


async def last_unreached(conn: asyncpg.Connection, ticket_id: int, round_: int) -> datetime | None:
    """When this round's last unreachable attempt was made, if any."""
    return await conn.fetchval(LAST_UNREACHED, ticket_id, round_)


async def add_attempt(conn: asyncpg.Connection, ticket_id: int, round_: int, via: str, reached: bool,
                      satisfaction: str | None, solved: bool | None, comment: str, actor_id: int | None,
                      at: datetime) -> int:
    """Store one attempt; returns the unreachable attempts of this round so far."""
    await conn.execute(INSERT_ATTEMPT, ticket_id, round_, via, reached, satisfaction, solved, comment,
                        actor_id, at)
    return await conn.fetchval(COUNT_UNREACHED, ticket_id, round_)


async def add_result(conn: asyncpg.Connection, t: asyncpg.Record, *, outcome: str, via: str,
                     satisfaction: str | None, solved: bool | None, comment: str, attempts: int,
                     decision: str, actor_id: int | None, at: datetime) -> int | None:
    """The round's one outcome; None when it was already recorded."""
    return await conn.fetchval(INSERT_RESULT, t["id"], t["reopen_count"], outcome, via, satisfaction, solved,
                               comment, attempts, decision, t["unit_id"], t["requester_type"], actor_id, at)


async def ticket_state(db: asyncpg.Pool | asyncpg.Connection, ticket_id: int) -> asyncpg.Record:
    """The ticket's status and reply deadline after a callback."""
    return await db.fetchrow("SELECT status, reply_by FROM tickets WHERE id = $1", ticket_id)


# One-time survey links: the secret goes to the requester by SMS, only its hash is stored.

def hash_link(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_link_token() -> str:
    return "sv_" + secrets.token_urlsafe(24)


async def create_link(conn: asyncpg.Connection, ticket_id: int, round_: int, actor_id: int | None,
                      expires_at: datetime) -> str:
    token = new_link_token()
    await conn.execute(
        "INSERT INTO callback_links (ticket_id, round, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)",
        ticket_id, round_, hash_link(token), actor_id, expires_at)
    return token


GET_LINK = """
SELECT l.id, l.ticket_id, l.round, l.expires_at, l.used_at, t.ticket_no, t.title, t.resolution, t.replied_at,
       t.status, t.reopen_count, u.name AS unit_name,
       EXISTS (SELECT 1 FROM callback_results r WHERE r.ticket_id = l.ticket_id AND r.round = l.round) AS answered
FROM callback_links l JOIN tickets t ON t.id = l.ticket_id LEFT JOIN units u ON u.id = t.unit_id
WHERE l.token_hash = $1
"""


async def get_link(conn: asyncpg.Connection | asyncpg.Pool, token: str, *, lock: bool = False) -> asyncpg.Record | None:
    sql = GET_LINK + (" FOR UPDATE OF l" if lock else "")
    return await conn.fetchrow(sql, hash_link(token))


async def use_link(conn: asyncpg.Connection, link_id: int, at: datetime) -> None:
    await conn.execute("UPDATE callback_links SET used_at = $2 WHERE id = $1", link_id, at)


async def history(pool: asyncpg.Pool, ticket_id: int) -> dict:
    """Attempts and outcomes of a ticket's callbacks."""
    attempts = await pool.fetch(
        "SELECT round, via, reached, satisfaction, solved, comment, at FROM callback_attempts "
        "WHERE ticket_id = $1 ORDER BY id", ticket_id)
    results = await pool.fetch(
        "SELECT round, outcome, via, satisfaction, solved, comment, attempts, decision, at FROM callback_results "
        "WHERE ticket_id = $1 ORDER BY round", ticket_id)
    return {"attempts": [dict(r) for r in attempts], "results": [dict(r) for r in results]}

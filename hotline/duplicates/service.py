"""Data access for repeat calls and merged tickets (plain SQL): links, counts and candidate searches."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal

Db = asyncpg.Pool | asyncpg.Connection

LOCK_PAIR = "SELECT id FROM tickets WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE"


async def lock_pair(conn: asyncpg.Connection, a: int, b: int) -> None:
    """Lock both tickets in id order, so two actions on the same pair never deadlock."""
    await conn.execute(LOCK_PAIR, [a, b])


async def merged_into(conn: Db, ticket_id: int) -> int | None:
    return await conn.fetchval("SELECT merged_into FROM tickets WHERE id = $1", ticket_id)


INSERT_LINK = """
INSERT INTO ticket_links (ticket_id, lead_id, kind, reason, at, actor_id) VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""


async def insert_link(conn, ticket_id: int, lead_id: int, kind: str, reason: str, at: datetime,
                      principal: Principal | None) -> int:
    return await conn.fetchval(INSERT_LINK, ticket_id, lead_id, kind, reason, at,
                               principal.token_id if principal else None)


LINKED = """
SELECT EXISTS (SELECT 1 FROM ticket_links WHERE undone_at IS NULL
               AND ((ticket_id = $1 AND lead_id = $2) OR (ticket_id = $2 AND lead_id = $1)))
"""


async def linked(conn, a: int, b: int) -> bool:
    """Whether the two tickets are already linked or merged, in either direction."""
    return await conn.fetchval(LINKED, a, b)


async def has_folded_calls(conn, ticket_id: int) -> bool:
    """Whether repeat calls or merged tickets point at this ticket (it is a lead)."""
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM tickets WHERE merged_into = $1)", ticket_id)


UNDO_LINK = """
UPDATE ticket_links SET undone_at = $3, undo_reason = $4
WHERE ticket_id = $1 AND lead_id = $2 AND kind IN ('repeat', 'merged') AND undone_at IS NULL
RETURNING id, kind
"""


async def undo_link(conn, ticket_id: int, lead_id: int, at: datetime, reason: str) -> asyncpg.Record | None:
    return await conn.fetchrow(UNDO_LINK, ticket_id, lead_id, at, reason)


async def count_repeat(conn, lead_id: int, n: int, at: datetime) -> int:
    """Add n to the lead's repeat-call count; returns the new count."""
    return await conn.fetchval("UPDATE tickets SET repeat_calls = repeat_calls + $2, updated_at = $3 "
                               "WHERE id = $1 RETURNING repeat_calls", lead_id, n, at)


# --- what a lead ticket shows ------------------------------------------------------------------------

LINKS = """
SELECT l.id, l.kind, l.reason, l.at, l.ticket_id, l.lead_id,
       t.ticket_no, t.requester_name, t.requester_phone, t.title, t.status::text AS status, t.created_at
FROM ticket_links l
JOIN tickets t ON t.id = CASE WHEN l.ticket_id = $1 THEN l.lead_id ELSE l.ticket_id END
WHERE (l.ticket_id = $1 OR l.lead_id = $1) AND l.undone_at IS NULL
ORDER BY l.at, l.id
"""


async def links(db: Db, ticket_id: int) -> list[asyncpg.Record]:
    """Active links of a ticket, either side, with the other ticket's caller and title."""
    return await db.fetch(LINKS, ticket_id)


# --- candidates (off the intake path: asked for by an agent, never at intake) --------------------

CANDIDATE_COLUMNS = """
t.id, t.ticket_no, t.title, t.content, t.status::text AS status, t.created_at, t.closed_at,
t.area_code, t.county_code, t.category_code, t.requester_name, t.requester_phone, t.repeat_calls
"""
# Open, or closed within the window; never a call already folded into a lead (its lead is the matter).
LIVE = ("t.id <> $1 AND t.merged_into IS NULL AND t.status <> 'transferred' "
        "AND (t.status <> 'closed' OR t.closed_at >= $2)")

SAME_CALLER = f"""
SELECT {CANDIDATE_COLUMNS} FROM tickets t
WHERE t.requester_phone = $3 AND t.created_at >= $2 AND {LIVE} AND {{scope}}
ORDER BY t.created_at DESC LIMIT $4
"""
SAME_PLACE = f"""
SELECT {CANDIDATE_COLUMNS} FROM tickets t
WHERE t.county_code = $3 AND t.category_code = $4 AND t.created_at >= $2 AND {LIVE} AND {{scope}}
ORDER BY t.created_at DESC LIMIT $5
"""
NEARBY_TEXT = f"""
SELECT {CANDIDATE_COLUMNS} FROM tickets t
WHERE t.county_code = $3 AND t.created_at >= $2 AND {LIVE} AND {{scope}}
ORDER BY t.created_at DESC LIMIT $4
"""


async def _fetch(db: Db, sql: str, principal: Principal, *args) -> list[asyncpg.Record]:
    args = list(args)
    clause = scope.clause(principal, args)
    return await db.fetch(sql.replace("{scope}", clause), *args)


async def same_caller(db, principal, ticket_id: int, since: datetime, phone: str, limit: int):
    return await _fetch(db, SAME_CALLER, principal, ticket_id, since, phone, limit)


async def same_place(db, principal, ticket_id: int, since: datetime, county: str, category: str, limit: int):
    return await _fetch(db, SAME_PLACE, principal, ticket_id, since, county, category, limit)


async def nearby(db, principal, ticket_id: int, since: datetime, county: str, limit: int):
    """The county's recent tickets, newest first: the pool the text comparison looks in."""
    return await _fetch(db, NEARBY_TEXT, principal, ticket_id, since, county, limit)


async def fold_state(db: Db, ticket_id: int) -> asyncpg.Record:
    """The ticket's repeat-call count and, for a folded call, its lead."""
    return await db.fetchrow("SELECT repeat_calls, merged_into, closed_as FROM tickets WHERE id = $1", ticket_id)


# --- every requester of a matter (the callback list) --------------------------------------------

REQUESTERS = """
SELECT t.id AS ticket_id, t.ticket_no, t.requester_name, t.requester_phone, t.confidential,
       coalesce(t.closed_as, 'lead') AS role, t.created_at
FROM tickets t WHERE t.id = $1 OR t.merged_into = $1
ORDER BY t.id = $1 DESC, t.id
"""
LATEST_SMS = """
SELECT DISTINCT ON (phone) phone, kind, state FROM sms_outbox
WHERE ticket_id = $1 AND kind IN ('replied', 'reopened') ORDER BY phone, id DESC
"""


async def requesters(db: Db, lead_id: int) -> tuple[list[asyncpg.Record], dict[str, asyncpg.Record]]:
    """The lead's requester and every caller folded into it (追加/并单, not undone), and the latest reply
    or reopen text queued for each phone number."""
    rows = await db.fetch(REQUESTERS, lead_id)
    texts = {r["phone"]: r for r in await db.fetch(LATEST_SMS, lead_id)}
    return rows, texts
